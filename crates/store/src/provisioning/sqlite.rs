//! One SQLite file per tenant, `<directory>/<identifier>.db`.

use std::collections::HashSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tenantry_tenant::provisioning::ProvisioningClaim;
use tenantry_tenant::{
    DatabaseBackend, DatabaseCredentials, DatabaseProvisioner, ProvisionError, ProvisionedDatabase,
    TenantName, database_identifier,
};

use crate::manager::{create_private_file, establish_sqlite};

/// The files SQLite keeps beside a database, removed with it.
const SIBLING_SUFFIXES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Creates each tenant's database as the file `<directory>/<identifier>.db` (in WAL
/// mode, like the control database), with no role and no password; the URL handed back
/// is `sqlite://<path>`.
///
/// Its [`claim`](DatabaseProvisioner::claim)s exclude each other within the process (and
/// its clones): an SQLite control database is served by one process.
#[derive(Debug, Clone)]
pub struct SqliteProvisioner {
    directory: PathBuf,
    claimed: Arc<Mutex<HashSet<PathBuf>>>,
}

/// A claimed file, released on drop.
struct Claimed {
    claimed: Arc<Mutex<HashSet<PathBuf>>>,
    path: PathBuf,
}

impl Drop for Claimed {
    fn drop(&mut self) {
        self.claimed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.path);
    }
}

impl SqliteProvisioner {
    /// A provisioner keeping tenant databases in `directory`, created when missing.
    pub fn new(directory: impl Into<PathBuf>) -> Self {
        Self {
            directory: directory.into(),
            claimed: Arc::default(),
        }
    }

    /// A provisioner keeping tenant databases in `tenants/` beside the control database's
    /// file: `data/tenantry.db` → `data/tenants/`, `tenantry.db` → `tenants/`.
    pub fn beside(control_database: &Path) -> Self {
        let parent = control_database.parent().unwrap_or(Path::new(""));
        Self::new(parent.join("tenants"))
    }

    /// Where the tenant databases are.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The file of `tenant`'s database.
    pub fn path_of(&self, tenant: &TenantName) -> PathBuf {
        self.directory
            .join(format!("{}.db", database_identifier(tenant)))
    }

    /// Opens the newly claimed file `path`: switching to WAL writes SQLite's header, so
    /// the file is a real database from now on.
    fn initialise(path: &Path) -> Result<(), ProvisionError> {
        for sibling in siblings(path) {
            remove_if_present(&sibling)?;
        }
        let conn =
            establish_sqlite(path).map_err(|error| ProvisionError::Failed(error.to_string()))?;
        drop(conn);
        Ok(())
    }
}

impl DatabaseProvisioner for SqliteProvisioner {
    fn planned(&self, tenant: &TenantName) -> ProvisionedDatabase {
        ProvisionedDatabase {
            backend: DatabaseBackend::Sqlite,
            database: self.path_of(tenant).display().to_string(),
            role: None,
        }
    }

    fn claim(&self, tenant: &TenantName) -> Result<Option<ProvisioningClaim>, ProvisionError> {
        let path = self.path_of(tenant);
        let fresh = self
            .claimed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.clone());
        Ok(fresh.then(|| {
            ProvisioningClaim::new(Claimed {
                claimed: Arc::clone(&self.claimed),
                path,
            })
        }))
    }

    fn create(&self, tenant: &TenantName) -> Result<DatabaseCredentials, ProvisionError> {
        std::fs::create_dir_all(&self.directory).map_err(|error| {
            ProvisionError::Failed(format!(
                "cannot create {}: {error}",
                self.directory.display()
            ))
        })?;
        let path = self.path_of(tenant);
        // `create_new` claims the name atomically: of two concurrent creates, one fails.
        // The file is the owner's alone (0600) from the start: see `create_private_file`.
        match create_private_file(&path) {
            Ok(_) => {}
            Err(error) if error.kind() == ErrorKind::AlreadyExists => {
                return Err(ProvisionError::AlreadyExists);
            }
            Err(error) => {
                return Err(ProvisionError::Failed(format!(
                    "cannot create {}: {error}",
                    path.display()
                )));
            }
        }
        // Stale `-wal`/`-shm` files of an earlier database of that name would be read
        // into the new one: the claimer removes them before opening the file.
        if let Err(error) = Self::initialise(&path) {
            let _ = remove_database_files(&path);
            return Err(error);
        }
        let shown = path.display().to_string();
        Ok(DatabaseCredentials {
            url: format!("sqlite://{shown}"),
            database: ProvisionedDatabase {
                backend: DatabaseBackend::Sqlite,
                database: shown,
                role: None,
            },
            password: None,
        })
    }

    /// Removes the file and its `-wal`, `-shm` and `-journal` siblings; files already gone
    /// are fine. Refuses anything but an SQLite database named like a tenant's
    /// (`tenant_….db`), so a bad record cannot delete an arbitrary file.
    fn drop_database(&self, database: &ProvisionedDatabase) -> Result<(), ProvisionError> {
        if database.backend != DatabaseBackend::Sqlite {
            return Err(ProvisionError::Failed(format!(
                "{} is a {} database, not an SQLite one",
                database.database, database.backend
            )));
        }
        let path = Path::new(&database.database);
        let is_tenant_file = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with("tenant_") && name.ends_with(".db"));
        if !is_tenant_file {
            return Err(ProvisionError::Failed(format!(
                "{} is not a tenant database file",
                path.display()
            )));
        }
        remove_database_files(path)
    }
}

fn siblings(path: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    SIBLING_SUFFIXES.iter().map(move |suffix| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    })
}

fn remove_database_files(path: &Path) -> Result<(), ProvisionError> {
    remove_if_present(path)?;
    for sibling in siblings(path) {
        remove_if_present(&sibling)?;
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), ProvisionError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(()),
        Err(error) => Err(ProvisionError::Failed(format!(
            "cannot remove {}: {error}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_sits_beside_the_control_database() {
        assert_eq!(
            SqliteProvisioner::beside(Path::new("data/tenantry.db")).directory(),
            Path::new("data/tenants")
        );
        assert_eq!(
            SqliteProvisioner::beside(Path::new("/srv/t.db")).directory(),
            Path::new("/srv/tenants")
        );
        assert_eq!(
            SqliteProvisioner::beside(Path::new("tenantry.db")).directory(),
            Path::new("tenants")
        );
        let name = TenantName::parse("acme-corp").unwrap();
        assert_eq!(
            SqliteProvisioner::new("/srv/tenants").path_of(&name),
            Path::new("/srv/tenants/tenant_acme_corp.db")
        );
    }
}
