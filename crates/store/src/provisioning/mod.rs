//! Tenant databases on the control database's own engine: the tenant crate's
//! [`DatabaseProvisioner`] as one SQLite file per tenant ([`SqliteProvisioner`]) or one
//! PostgreSQL database with a login role of its own per tenant ([`PostgresProvisioner`]).
//! [`provisioner_for`] picks the one that matches the control database's URL.
//!
//! Names come only from [`database_identifier`](tenantry_tenant::database_identifier)
//! (`tenant_` + the tenant name, `[a-z0-9_]`, at most 63 bytes). Passwords are generated,
//! handed back once in the [`DatabaseCredentials`](tenantry_tenant::DatabaseCredentials),
//! and never logged nor stored.

mod postgres;
mod sqlite;

pub use postgres::{DEFAULT_CONNECTION_LIMIT, PostgresProvisioner};
pub use sqlite::SqliteProvisioner;

use tenantry_tenant::provisioning::{Leftover, TenantDatabases, clear_leftover};
use tenantry_tenant::{DatabaseProvisioner, RepositoryError};

use crate::{Database, DatabaseUrl, TenantStore};

/// The provisioner for tenants of the control database at `url`: SQLite files in the
/// `tenants/` directory beside the control database's file, or databases on the same
/// PostgreSQL server, created through the control database's connection URL.
///
/// ```
/// use tenantry_store::DatabaseUrl;
/// use tenantry_store::provisioning::provisioner_for;
///
/// let url = DatabaseUrl::parse("sqlite://data/tenantry.db")?;
/// let _provisioner = provisioner_for(&url); // creates data/tenants/tenant_<name>.db
/// # Ok::<(), tenantry_store::StoreError>(())
/// ```
pub fn provisioner_for(url: &DatabaseUrl) -> Box<dyn DatabaseProvisioner> {
    provisioner_in(url, None)
}

/// Like [`provisioner_for`], with PostgreSQL databases named in `namespace` (see
/// [`PostgresProvisioner::in_namespace`]); SQLite files live beside the control
/// database anyway.
pub fn provisioner_in(url: &DatabaseUrl, namespace: Option<&str>) -> Box<dyn DatabaseProvisioner> {
    provisioner_with(url, namespace, DEFAULT_CONNECTION_LIMIT)
}

/// Like [`provisioner_in`], with PostgreSQL tenant roles limited to `connection_limit`
/// connections at once (see [`PostgresProvisioner::with_connection_limit`]).
pub fn provisioner_with(
    url: &DatabaseUrl,
    namespace: Option<&str>,
    connection_limit: u32,
) -> Box<dyn DatabaseProvisioner> {
    match (url.sqlite_path(), namespace) {
        (Some(path), _) => Box::new(SqliteProvisioner::beside(path)),
        (None, namespace) => {
            let provisioner =
                PostgresProvisioner::new(url.clone()).with_connection_limit(connection_limit);
            Box::new(match namespace {
                Some(namespace) => provisioner.in_namespace(namespace),
                None => provisioner,
            })
        }
    }
}

/// Clears what interrupted creates left behind (run at start-up): for every recorded
/// provisioning intent whose tenant no create holds a claim on, drops the database (and
/// role) unless a tenant has it, then forgets the intent. Returns the databases dropped.
/// An intent that cannot be cleared stays for the next attempt and is reported in the
/// error.
///
/// # Errors
/// The first store or provisioner failure.
pub fn reconcile_intents(
    database: &Database,
    provisioner: &dyn DatabaseProvisioner,
) -> Result<Vec<String>, RepositoryError> {
    let mut conn = database.conn()?;
    let intents = TenantStore::new(&mut conn).intents()?;
    let mut dropped = Vec::new();
    for intent in intents {
        let claim = provisioner
            .claim(&intent.tenant)
            .map_err(|error| RepositoryError::Backend(error.to_string()))?;
        // Held elsewhere: a create under way on another node clears its own.
        let Some(_claim) = claim else { continue };
        let name = &intent.database.database;
        if clear_leftover(&mut TenantStore::new(&mut conn), provisioner, name)? == Leftover::Dropped
        {
            dropped.push(name.clone());
        }
    }
    Ok(dropped)
}
