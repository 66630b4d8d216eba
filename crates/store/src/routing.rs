//! The routing version: one counter row that every tenant write increases, so that caches
//! of host → tenant resolution on any node know when to forget.

use diesel::prelude::*;

use crate::schema::routing_state;
use crate::{DbConnection, StoreError};

/// The id of the single `routing_state` row, seeded by the migration.
const ROW: i64 = 1;

/// The current routing version (a primary-key lookup).
pub(crate) fn current(conn: &mut DbConnection) -> Result<i64, StoreError> {
    routing_state::table
        .find(ROW)
        .select(routing_state::version)
        .first(conn)
        .optional()?
        .ok_or_else(missing_row)
}

/// Increases the routing version by one, in the caller's transaction. On PostgreSQL this
/// locks the row until that transaction ends, so concurrent tenant writes queue here;
/// tenant writes are rare, and cache readers never wait (they read without locking).
pub(crate) fn bump(conn: &mut DbConnection) -> Result<(), StoreError> {
    let updated = diesel::update(routing_state::table.find(ROW))
        .set(routing_state::version.eq(routing_state::version + 1))
        .execute(conn)?;
    if updated == 0 {
        return Err(missing_row());
    }
    Ok(())
}

fn missing_row() -> StoreError {
    StoreError::Backend("the routing_state row is missing".to_owned())
}
