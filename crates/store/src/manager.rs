//! Opening connections: the backend comes from the URL scheme, never from trial and error.
//!
//! diesel's `MultiConnection::establish` tries each backend in turn and reports only that
//! none worked; establishing the concrete connection keeps the real cause (wrong password,
//! refused connection, unwritable directory) in the error.

use std::fs::{File, OpenOptions, Permissions};
use std::io::ErrorKind;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::R2D2Connection;
use diesel::{Connection, PgConnection, SqliteConnection};

use crate::url::DatabaseUrl;
use crate::{DbConnection, StoreError};

/// Set on every new SQLite connection. `busy_timeout` comes first so that switching to
/// WAL waits for a lock held by another connection instead of failing.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; \
                              PRAGMA foreign_keys = ON; \
                              PRAGMA journal_mode = WAL; \
                              PRAGMA synchronous = NORMAL;";

/// An r2d2 connection manager that opens [`DbConnection`]s for one [`DatabaseUrl`].
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    statement_timeout: Option<Duration>,
}

impl ConnectionManager {
    /// A manager for `url`.
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            statement_timeout: None,
        }
    }

    /// Sets PostgreSQL's `statement_timeout` on each new connection (SQLite has none; its
    /// waits are bounded by `busy_timeout`).
    #[must_use]
    pub fn with_statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = timeout;
        self
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConnection, StoreError> {
        let mut conn = establish(&self.url)?;
        if let (DbConnection::Postgres(pg), Some(timeout)) = (&mut conn, self.statement_timeout) {
            pg.batch_execute(&format!(
                "SET statement_timeout = {}",
                timeout.as_millis().max(1)
            ))?;
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        conn.ping().map_err(StoreError::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// A new connection to `url`'s backend.
pub fn establish(url: &DatabaseUrl) -> Result<DbConnection, StoreError> {
    match url.sqlite_path() {
        Some(path) => establish_sqlite(path).map(DbConnection::Sqlite),
        None => establish_postgres(url).map(DbConnection::Postgres),
    }
}

/// The mode of the SQLite files tenantry creates: they hold password hashes, the JWT
/// signing key and token digests, so only the owner may read them. SQLite gives the
/// `-wal` and `-shm` files the database file's mode.
pub(crate) const DATABASE_FILE_MODE: u32 = 0o600;

/// Creates the file `path`, which must not exist, readable and writable by its owner
/// only ([`DATABASE_FILE_MODE`]) whatever the umask: the mode is set as the file is
/// created (never readable by others, not even for a moment) and again afterwards,
/// since the umask may have taken bits off the first.
pub(crate) fn create_private_file(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(DATABASE_FILE_MODE)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(DATABASE_FILE_MODE))?;
    Ok(file)
}

/// A new SQLite connection to the file at `path` with tenantry's pragmas; creates the file
/// with [`DATABASE_FILE_MODE`] before SQLite would create it readable by everyone. Its
/// directory must exist: a mistyped path is refused, not created (the binary creates its
/// default data directory itself).
pub(crate) fn establish_sqlite(path: &Path) -> Result<SqliteConnection, StoreError> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(StoreError::Unavailable(format!(
            "cannot create {}: the directory {} does not exist",
            path.display(),
            parent.display()
        )));
    }
    match create_private_file(path) {
        Ok(_) => {}
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {}
        Err(error) => {
            return Err(StoreError::Unavailable(format!(
                "cannot create {}: {error}",
                path.display()
            )));
        }
    }
    let text = path
        .to_str()
        .ok_or_else(|| StoreError::InvalidUrl(format!("{} is not a UTF-8 path", path.display())))?;
    let mut conn = SqliteConnection::establish(text).map_err(|error| {
        StoreError::Unavailable(format!("cannot open {}: {error}", path.display()))
    })?;
    conn.batch_execute(SQLITE_PRAGMAS)?;
    Ok(conn)
}

/// A new PostgreSQL connection.
pub(crate) fn establish_postgres(url: &DatabaseUrl) -> Result<PgConnection, StoreError> {
    let libpq_url = url.libpq_url().ok_or_else(|| {
        StoreError::InvalidUrl(format!("{} is not a PostgreSQL URL", url.redacted()))
    })?;
    // libpq names the host and user; scrubbing guards against it quoting the URL back.
    PgConnection::establish(&libpq_url).map_err(|error| {
        let cause = url.scrub(&error.to_string());
        StoreError::Unavailable(format!("cannot connect to {}: {cause}", url.redacted()))
    })
}
