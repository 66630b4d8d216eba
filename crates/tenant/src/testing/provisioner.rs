//! Tenant databases that only exist in lists.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::TenantName;
use crate::provisioning::{
    DatabaseBackend, DatabaseCredentials, DatabaseProvisioner, ProvisionError, ProvisionedDatabase,
    database_identifier,
};

/// A [`DatabaseProvisioner`] that only keeps lists, for tests of callers: databases are
/// named by [`database_identifier`], live in memory, and can be made to fail.
///
/// ```
/// use tenantry_tenant::TenantName;
/// use tenantry_tenant::provisioning::DatabaseProvisioner;
/// use tenantry_tenant::testing::InMemoryProvisioner;
///
/// let provisioner = InMemoryProvisioner::new();
/// let credentials = provisioner.create(&TenantName::parse("talent-1")?)?;
/// assert_eq!(credentials.database.database, "tenant_talent_1");
/// provisioner.drop_database(&credentials.database)?;
/// assert_eq!(provisioner.dropped(), ["tenant_talent_1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct InMemoryProvisioner {
    state: Mutex<MemoryState>,
}

#[derive(Debug, Default)]
struct MemoryState {
    existing: Vec<String>,
    created: Vec<String>,
    dropped: Vec<String>,
    fail_create: bool,
}

impl InMemoryProvisioner {
    /// A provisioner with no databases.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later [`create`](DatabaseProvisioner::create) fail with
    /// [`ProvisionError::Failed`] (`true`) or succeed again (`false`).
    pub fn set_fail_create(&self, fail: bool) {
        self.state().fail_create = fail;
    }

    /// The databases created, oldest first (including those dropped since).
    pub fn created(&self) -> Vec<String> {
        self.state().created.clone()
    }

    /// The databases dropped, oldest first (including those that did not exist).
    pub fn dropped(&self) -> Vec<String> {
        self.state().dropped.clone()
    }

    /// Whether the database named `database` exists now.
    pub fn exists(&self, database: &str) -> bool {
        self.state().existing.iter().any(|name| name == database)
    }

    fn state(&self) -> MutexGuard<'_, MemoryState> {
        // A panic while holding the lock leaves plain lists behind, still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl DatabaseProvisioner for InMemoryProvisioner {
    fn planned(&self, tenant: &TenantName) -> ProvisionedDatabase {
        ProvisionedDatabase {
            backend: DatabaseBackend::Sqlite,
            database: database_identifier(tenant),
            role: None,
        }
    }

    fn create(&self, tenant: &TenantName) -> Result<DatabaseCredentials, ProvisionError> {
        let mut state = self.state();
        if state.fail_create {
            return Err(ProvisionError::Failed(
                "the in-memory provisioner was told to fail".into(),
            ));
        }
        let identifier = database_identifier(tenant);
        if state.existing.contains(&identifier) {
            return Err(ProvisionError::AlreadyExists);
        }
        state.existing.push(identifier.clone());
        state.created.push(identifier.clone());
        Ok(DatabaseCredentials {
            url: format!("memory://{identifier}"),
            database: self.planned(tenant),
            password: None,
        })
    }

    fn drop_database(&self, database: &ProvisionedDatabase) -> Result<(), ProvisionError> {
        let mut state = self.state();
        state.existing.retain(|name| name != &database.database);
        state.dropped.push(database.database.clone());
        Ok(())
    }
}
