//! The requests each API token made in the current throttle window (`token_requests`),
//! behind [`AccessRepository::take_request_slot`](tenantry_registration::AccessRepository).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use tenantry_registration::RequestSlot;

use crate::schema::token_requests;
use crate::time::{from_db, to_db};
use crate::{DbConnection, StoreError};

/// Forgets the token's requests at or before `since`, then counts the rest: with fewer than
/// `limit`, records one at `now`. On PostgreSQL the token's row is locked first, so that
/// concurrent requests of one token (on any node) count one after the other; on SQLite the
/// write transaction the caller runs in already does that.
pub(crate) fn take_slot(
    conn: &mut DbConnection,
    token_id: i64,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<RequestSlot, StoreError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT 1 FROM api_tokens WHERE id = $1 FOR UPDATE")
            .bind::<BigInt, _>(token_id)
            .execute(pg)?;
    }
    let of_token = token_requests::token_id.eq(token_id);
    diesel::delete(
        token_requests::table
            .filter(of_token)
            .filter(token_requests::made_at.le(to_db(since))),
    )
    .execute(conn)?;
    let (counted, oldest): (i64, Option<NaiveDateTime>) = token_requests::table
        .filter(of_token)
        .select((count_star(), min(token_requests::made_at)))
        .first(conn)?;
    if counted >= i64::from(limit) {
        return Ok(RequestSlot::Full {
            oldest: oldest.map_or(now, from_db),
        });
    }
    diesel::insert_into(token_requests::table)
        .values((
            token_requests::token_id.eq(token_id),
            token_requests::made_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(RequestSlot::Taken)
}
