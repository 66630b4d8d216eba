//! diesel persistence for tenantry, on SQLite or PostgreSQL.
//!
//! - [`DatabaseUrl`] picks the backend from the URL scheme (`sqlite://…`, `postgres://…`);
//! - [`Database::connect`] applies the embedded migrations ([`migrations`]) on a
//!   connection of its own, then opens a pool of [`DbConnection`]s;
//! - [`TenantStore`] implements, over one borrowed connection and inside the caller's
//!   transaction, the tenant crate's `TenantRepository` (with its routing version),
//!   `AuditSink`, `AuditLog` and `IdempotencyRepository`, and the registration crate's
//!   `AccessRepository` (operators, API tokens, the JWT signing key), `UserRepository`
//!   (a tenant's users and their single-use links), `Outbox` (emails to deliver) and
//!   `ImpersonationRepository` (single-use secrets that sign in as a tenant's
//!   administrator);
//! - operator accounts: [`create_operator`], [`find_operator`], [`count_operators`],
//!   [`set_operator_password`];
//! - each tenant's own database: [`provisioner_for`] creates and drops it (an SQLite file
//!   or a PostgreSQL database and role), and `TenantStore` implements the tenant crate's
//!   `TenantDatabases` to record where it is;
//! - errors are [`StoreError`], which converts into the tenant crate's
//!   `RepositoryError`; uniqueness violations name the field that clashed.
//!
//! Both backends share one schema ([`schema`]) written with the column types
//! diesel's `MultiConnection` supports on both: JSON is stored as text, timestamps as
//! `TIMESTAMP` holding UTC.
//!
//! ```no_run
//! use diesel::Connection;
//! use tenantry_store::{Database, DatabaseUrl, PoolOptions, StoreError, TenantStore};
//! use tenantry_tenant::{TenantName, TenantRepository};
//!
//! let url = DatabaseUrl::parse("sqlite://data/tenantry.db")?;
//! let database = Database::connect(&url, PoolOptions::default())?;
//! let mut conn = database.conn()?;
//! let _found = conn.transaction::<_, StoreError, _>(|conn| {
//!     let name = TenantName::parse("talent1").expect("a valid name");
//!     Ok(TenantStore::new(conn).find_by_name(&name)?)
//! })?;
//! # Ok::<(), StoreError>(())
//! ```

mod access;
pub mod audit;
mod connection;
pub mod eox_sync;
mod error;
mod idempotency;
pub mod manager;
pub mod migrations;
mod operators;
mod outbox;
mod pool;
pub mod provisioning;
mod routing;
pub mod schema;
mod signing_key;
mod sql;
mod tenant_databases;
mod tenants;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod time;
mod token_requests;
mod tokens;
mod url;
mod users;
pub mod webhooks;

#[cfg(test)]
mod tests;

pub use connection::{AsDbConnection, DbConnection, MultiBackend};
pub use error::{StoreError, map_diesel_error};
pub use migrations::{pending, revert_all, run_pending};
pub use operators::{
    OperatorRecord, count_operators, create_operator, find_operator, set_operator_password,
};
pub use pool::{Database, PoolOptions, PoolState, PooledConnection};
pub use provisioning::{
    PostgresProvisioner, SqliteProvisioner, provisioner_for, provisioner_in, provisioner_with,
    reconcile_intents,
};
pub use tenants::TenantStore;
pub use url::{Backend, DatabaseUrl};
