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

pub use postgres::PostgresProvisioner;
pub use sqlite::SqliteProvisioner;

use tenantry_tenant::DatabaseProvisioner;

use crate::DatabaseUrl;

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
    match (url.sqlite_path(), namespace) {
        (Some(path), _) => Box::new(SqliteProvisioner::beside(path)),
        (None, Some(namespace)) => {
            Box::new(PostgresProvisioner::new(url.clone()).in_namespace(namespace))
        }
        (None, None) => Box::new(PostgresProvisioner::new(url.clone())),
    }
}
