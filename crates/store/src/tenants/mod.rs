//! Tenants on SQLite or PostgreSQL: [`TenantStore`] implements the tenant crate's
//! [`TenantRepository`](tenantry_tenant::TenantRepository) over one borrowed connection
//! (and, in their own modules, the audit, idempotency, access, user and outbox ports).
//!
//! The caller owns the transaction: a sequence of calls runs in whatever transaction the
//! caller opened on the connection. A method that writes several rows (`insert`, `save`,
//! `delete`, each of which also increases the routing version) wraps them in a nested
//! transaction of its own, which is a savepoint inside the caller's, so a refused write
//! leaves the caller's transaction usable.

mod backfill;
mod domains;
mod repository;
mod rows;
mod search;

pub(crate) use backfill::{backfill_search_text, backfill_user_search_text};
#[cfg(test)]
pub(crate) use repository::insert_before_search_text;
pub(crate) use rows::{from_json, to_json};
pub(crate) use search::search_is_indexed;

use crate::{AsDbConnection, DbConnection};

/// The repositories of tenants, audit events, idempotent responses, operators, API
/// tokens, users and their links, and the outbox, over one connection.
pub struct TenantStore<'c> {
    conn: &'c mut DbConnection,
}

impl<'c> TenantStore<'c> {
    /// A store working on `conn` (inside whatever transaction it has open): a
    /// [`DbConnection`] or a [`PooledConnection`](crate::PooledConnection).
    pub fn new(conn: &'c mut impl AsDbConnection) -> Self {
        Self {
            conn: conn.db_connection(),
        }
    }

    /// The connection, for queries beyond the repository's.
    pub fn conn(&mut self) -> &mut DbConnection {
        self.conn
    }
}
