//! Single-use links: stored by digest, inspected, and used up atomically.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_registration::{LinkPurpose, LinkState, NewLink, TokenDigest};

use crate::schema::user_links;
use crate::time::{from_db, to_db};
use crate::{DbConnection, StoreError};

/// Stores `link`. An unknown user is [`StoreError::NotFound`]; the nested transaction (a
/// savepoint) keeps the caller's PostgreSQL transaction usable after that refusal.
pub(super) fn insert(conn: &mut DbConnection, link: &NewLink) -> Result<(), StoreError> {
    conn.transaction(|conn| {
        diesel::insert_into(user_links::table)
            .values((
                user_links::user_id.eq(link.user_id),
                user_links::purpose.eq(link.purpose.as_str()),
                user_links::digest.eq(link.digest.as_str()),
                user_links::created_at.eq(to_db(link.created_at)),
                user_links::expires_at.eq(to_db(link.expires_at)),
                user_links::used_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// What the link of `purpose` with `digest` is at `now`. A link is valid while unused and
/// `now` is before `expires_at`; a used link is `Used` whether or not it has expired since.
pub(super) fn state(
    conn: &mut DbConnection,
    purpose: LinkPurpose,
    digest: &TokenDigest,
    now: DateTime<Utc>,
) -> Result<LinkState, StoreError> {
    let row: Option<(i64, NaiveDateTime, Option<NaiveDateTime>)> = user_links::table
        .filter(user_links::digest.eq(digest.as_str()))
        .filter(user_links::purpose.eq(purpose.as_str()))
        .select((
            user_links::user_id,
            user_links::expires_at,
            user_links::used_at,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => LinkState::Unknown,
        Some((_, _, Some(_))) => LinkState::Used,
        Some((_, expires_at, None)) if expires_at <= to_db(now) => LinkState::Expired,
        Some((user_id, _, None)) => LinkState::Valid(user_id),
    })
}

/// Uses the link up when it is valid at `now`.
///
/// One conditional `UPDATE` decides: of two concurrent uses, the one whose update changes
/// the row wins (`Valid`); the other's update waits for the winner's row lock
/// (PostgreSQL, which then re-checks `used_at IS NULL`) or for the write lock (SQLite),
/// changes nothing, and reads the row as `Used`.
pub(super) fn use_up(
    conn: &mut DbConnection,
    purpose: LinkPurpose,
    digest: &TokenDigest,
    now: DateTime<Utc>,
) -> Result<LinkState, StoreError> {
    let now = to_db(now);
    let this_link = user_links::digest
        .eq(digest.as_str())
        .and(user_links::purpose.eq(purpose.as_str()));
    let used = diesel::update(
        user_links::table
            .filter(this_link)
            .filter(user_links::used_at.is_null())
            .filter(user_links::expires_at.gt(now)),
    )
    .set(user_links::used_at.eq(now))
    .execute(conn)?;
    if used == 0 {
        // Not valid: say why, as of the same instant.
        return state(conn, purpose, digest, from_db(now));
    }
    let user_id: i64 = user_links::table
        .filter(this_link)
        .select(user_links::user_id)
        .first(conn)?;
    Ok(LinkState::Valid(user_id))
}
