//! One connection type over both backends.

use std::sync::{Mutex, PoisonError};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::{Connection, PgConnection, SqliteConnection};

/// The turn of this process's SQLite write transactions (see
/// [`DbConnection::write_transaction`]). SQLite admits one writer at a time per database
/// anyway; one process writes one SQLite database (its control plane), so one lock for the
/// process orders exactly the writers that would otherwise wait in SQLite's busy handler.
/// A writer that sleeps there wakes up to 100 ms after the lock is free: with four
/// connections creating tenants, the 99th percentile of a create was 35 ms on a database
/// that commits in about 1 ms.
static SQLITE_WRITER: Mutex<()> = Mutex::new(());

/// A connection to SQLite or PostgreSQL. Queries written against [`crate::schema`]
/// run on either; the variant is chosen from the URL scheme when the connection is made
/// (see [`crate::DatabaseUrl`]).
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// An SQLite connection with tenantry's pragmas applied.
    Sqlite(SqliteConnection),
    /// A PostgreSQL connection.
    Postgres(PgConnection),
}

/// Anything a store function can work on: a [`DbConnection`] itself, or a connection
/// borrowed from the pool ([`crate::PooledConnection`]), so that both
/// `count_operators(&mut database.conn()?)` and `count_operators(conn)` inside a
/// transaction read naturally.
pub trait AsDbConnection {
    /// The connection.
    fn db_connection(&mut self) -> &mut DbConnection;
}

impl AsDbConnection for DbConnection {
    fn db_connection(&mut self) -> &mut DbConnection {
        self
    }
}

impl DbConnection {
    /// Which backend this connection talks to.
    pub fn backend(&self) -> crate::Backend {
        match self {
            DbConnection::Sqlite(_) => crate::Backend::Sqlite,
            DbConnection::Postgres(_) => crate::Backend::Postgres,
        }
    }

    /// Runs `f` in a transaction meant to write, committing when it returns `Ok`.
    ///
    /// On SQLite the outermost such transaction starts with `BEGIN IMMEDIATE`: it takes
    /// the write lock up front, waiting up to `busy_timeout` for it, instead of failing
    /// with "database is locked" when a read transaction later tries to write after
    /// another connection has written. Writers of this process take their turn at a
    /// process-wide lock first (`SQLITE_WRITER`), so they queue on a lock that wakes the next one as soon as
    /// the last commits, rather than in SQLite's busy handler, which sleeps and polls. On
    /// PostgreSQL, and when already inside a transaction, it is [`Connection::transaction`]
    /// (a savepoint when nested).
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        let DbConnection::Sqlite(conn) = self else {
            return self.transaction(f);
        };
        let depth =
            AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth()?;
        if depth.is_some() {
            return self.transaction(f);
        }
        let _turn = SQLITE_WRITER.lock().unwrap_or_else(PoisonError::into_inner);
        // Refuses, without touching the database, when a transaction is already open.
        match AnsiTransactionManager::begin_transaction_sql(conn, "BEGIN IMMEDIATE") {
            Ok(()) => {}
            Err(diesel::result::Error::AlreadyInTransaction) => return self.transaction(f),
            Err(error) => return Err(error.into()),
        }
        type Manager = <DbConnection as Connection>::TransactionManager;
        match f(self) {
            Ok(value) => {
                Manager::commit_transaction(self)?;
                Ok(value)
            }
            Err(error) => match Manager::rollback_transaction(self) {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
                Err(rollback_error) => Err(rollback_error.into()),
            },
        }
    }
}
