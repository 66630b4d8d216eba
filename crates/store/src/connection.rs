//! One connection type over both backends.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::{Connection, PgConnection, SqliteConnection};

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
    /// another connection has written. On PostgreSQL, and when already inside a
    /// transaction, it is [`Connection::transaction`] (a savepoint when nested).
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        let DbConnection::Sqlite(conn) = self else {
            return self.transaction(f);
        };
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
