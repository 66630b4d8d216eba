//! Opening connections: the backend comes from the URL scheme, never from trial and error.
//!
//! diesel's `MultiConnection::establish` tries each backend in turn and reports only that
//! none worked; establishing the concrete connection keeps the real cause (wrong password,
//! refused connection, unwritable directory) in the error.

use std::path::Path;

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
}

impl ConnectionManager {
    /// A manager for `url`.
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConnection, StoreError> {
        establish(&self.url)
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

/// A new SQLite connection to the file at `path` with tenantry's pragmas; creates the
/// file's parent directory when it is missing.
pub(crate) fn establish_sqlite(path: &Path) -> Result<SqliteConnection, StoreError> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|error| {
            StoreError::Unavailable(format!("cannot create {}: {error}", parent.display()))
        })?;
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
