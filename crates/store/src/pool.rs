//! The connection pool: a migrated database, shared by every request.

use std::fmt;
use std::time::Duration;

use diesel::RunQueryDsl;

use crate::connection::AsDbConnection;
use crate::manager::ConnectionManager;
use crate::{Backend, DatabaseUrl, DbConnection, StoreError, migrations, tenants};

/// A connection borrowed from a [`Database`]; it goes back to the pool when dropped.
/// Dereferences to [`crate::DbConnection`].
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

impl AsDbConnection for PooledConnection {
    fn db_connection(&mut self) -> &mut DbConnection {
        self
    }
}

/// How the pool behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// The most connections open at once.
    pub max_size: u32,
    /// How long [`Database::conn`] waits for a connection before answering
    /// [`StoreError::Unavailable`]. Short, so that requests and readiness checks fail fast
    /// when the database is down (r2d2's own default is 30 s).
    pub connection_timeout: Duration,
    /// PostgreSQL's `statement_timeout` on every pooled connection: a statement running
    /// longer is cancelled by the server. `None` keeps the server's setting.
    pub statement_timeout: Option<Duration>,
    /// Idle connections the pool keeps ready, reopening them in the background. A server
    /// keeps one; a one-shot command keeps none ([`PoolOptions::one_shot`]), because a
    /// connection still being opened in the background when the process exits can crash
    /// it inside libpq and OpenSSL's exit handlers.
    pub min_idle: u32,
}

impl PoolOptions {
    /// Options for a command that opens the database, does one thing and exits: at most
    /// two connections, none opened in the background.
    pub fn one_shot() -> Self {
        Self {
            max_size: 2,
            min_idle: 0,
            ..Self::default()
        }
    }
}

impl Default for PoolOptions {
    /// 10 connections (one kept idle), 3 s timeout, statements cancelled after 4 s.
    fn default() -> Self {
        Self {
            max_size: 10,
            connection_timeout: Duration::from_secs(3),
            statement_timeout: Some(Duration::from_secs(4)),
            min_idle: 1,
        }
    }
}

/// How many connections the pool holds, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections open, idle or in use.
    pub connections: u32,
    /// Connections open and not in use.
    pub idle_connections: u32,
}

/// A migrated database behind a connection pool. Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
    url: DatabaseUrl,
}

impl Database {
    /// Applies pending migrations on a connection of its own, then builds the pool and
    /// fills in what a migration could not compute in SQL (the search text of tenants
    /// stored before it existed).
    ///
    /// Fails with [`StoreError::Unavailable`] when the database cannot be reached (the
    /// real cause in the text), [`StoreError::Migration`] when a migration fails.
    pub fn connect(url: &DatabaseUrl, options: PoolOptions) -> Result<Database, StoreError> {
        let applied = migrations::run_pending(url)?;
        for name in &applied {
            log::info!("applied migration {name} to {}", url.redacted());
        }
        let database = Self::pooled(url, options)?;
        let filled = tenants::backfill_search_text(database.conn()?.db_connection())?;
        if filled > 0 {
            log::info!("wrote the search text of {filled} tenants stored before it existed");
        }
        let filled = tenants::backfill_user_search_text(database.conn()?.db_connection())?;
        if filled > 0 {
            log::info!("wrote the search text of {filled} users stored before it existed");
        }
        if !tenants::search_is_indexed(database.conn()?.db_connection())? {
            log::warn!(
                "tenant search reads every tenant: the pg_trgm extension could not be \
                 created (install PostgreSQL's contrib package, or have a superuser run \
                 CREATE EXTENSION pg_trgm, then create the index of migration \
                 2026-11-30-000013_tenant_search)"
            );
        }
        Ok(database)
    }

    /// A pool over a database that already exists and is migrated, for commands that only
    /// read: nothing is created or migrated. An SQLite file that does not exist is
    /// [`StoreError::Unavailable`] naming the path; a database with migrations to apply is
    /// [`StoreError::Migration`] saying to run `tenantry migrate`.
    pub fn open_existing(url: &DatabaseUrl, options: PoolOptions) -> Result<Database, StoreError> {
        if let Some(path) = url.sqlite_path()
            && !path.is_file()
        {
            return Err(StoreError::Unavailable(format!(
                "there is no database at {}",
                path.display()
            )));
        }
        let pending = migrations::pending(url)?;
        if !pending.is_empty() {
            return Err(StoreError::Migration(format!(
                "{} is not up to date ({} migrations to apply, from {}): run `tenantry migrate`",
                url.redacted(),
                pending.len(),
                pending.first().map_or("", String::as_str)
            )));
        }
        Self::pooled(url, options)
    }

    /// The pool, with nothing checked or changed.
    fn pooled(url: &DatabaseUrl, options: PoolOptions) -> Result<Database, StoreError> {
        let pool = r2d2::Pool::builder()
            .max_size(options.max_size)
            .min_idle(Some(options.min_idle))
            .connection_timeout(options.connection_timeout)
            .build(
                ConnectionManager::new(url.clone())
                    .with_statement_timeout(options.statement_timeout),
            )?;
        Ok(Database {
            pool,
            backend: url.backend(),
            url: url.clone(),
        })
    }

    /// A connection from the pool; [`StoreError::Unavailable`] when none can be had within
    /// the pool's timeout.
    pub fn conn(&self) -> Result<PooledConnection, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Runs `SELECT 1` on a pooled connection: does the database answer?
    pub fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        diesel::sql_query("SELECT 1").execute(&mut *conn)?;
        Ok(())
    }

    /// The backend the database runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database's URL (its `Display` is redacted).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// How many connections are open and idle now.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle_connections: state.idle_connections,
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.url)
            .field("state", &self.pool_state())
            .finish()
    }
}
