//! Responses remembered for `Idempotency-Key`s ([`IdempotencyRepository`] for
//! [`TenantStore`]).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_tenant::{IdempotencyRepository, IdempotentResponse, RepositoryError};

use crate::schema::idempotency_keys;
use crate::time::{from_db, to_db};
use crate::{DbConnection, StoreError, TenantStore};

/// The field a clash on (actor, key) names.
const FIELD: &str = "idempotency_key";

#[derive(Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
struct IdempotencyRow {
    actor: String,
    key: String,
    fingerprint: String,
    status: i32,
    body: String,
    created_at: NaiveDateTime,
}

impl IdempotencyRow {
    fn into_response(self) -> Result<IdempotentResponse, StoreError> {
        Ok(IdempotentResponse {
            actor: self.actor,
            key: self.key,
            fingerprint: self.fingerprint,
            status: u16::try_from(self.status)
                .map_err(|error| StoreError::corrupt("idempotency_keys.status", error))?,
            body: self.body,
            created_at: from_db(self.created_at),
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = idempotency_keys)]
struct NewIdempotencyRow<'a> {
    actor: &'a str,
    key: &'a str,
    fingerprint: &'a str,
    status: i32,
    body: &'a str,
    created_at: NaiveDateTime,
}

impl IdempotencyRepository for TenantStore<'_> {
    fn find_response(
        &mut self,
        actor: &str,
        key: &str,
        not_before: DateTime<Utc>,
    ) -> Result<Option<IdempotentResponse>, RepositoryError> {
        Ok(find(self.conn(), actor, key, not_before)?)
    }

    fn remember_response(
        &mut self,
        response: &IdempotentResponse,
        expired_before: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        Ok(remember(self.conn(), response, expired_before)?)
    }
}

/// The response stored for (`actor`, `key`) at or after `not_before`.
fn find(
    conn: &mut DbConnection,
    actor: &str,
    key: &str,
    not_before: DateTime<Utc>,
) -> Result<Option<IdempotentResponse>, StoreError> {
    let row: Option<IdempotencyRow> = idempotency_keys::table
        .filter(idempotency_keys::actor.eq(actor))
        .filter(idempotency_keys::key.eq(key))
        .filter(idempotency_keys::created_at.ge(to_db(not_before)))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .optional()?;
    row.map(IdempotencyRow::into_response).transpose()
}

/// Deletes a row for the same (actor, key) stored before `expired_before`, refuses when a
/// newer one is left, then inserts.
///
/// A live row is found by a query rather than by a failed insert, since a failed statement
/// aborts a PostgreSQL transaction. The insert can still clash with a concurrent request
/// that stored the same key after the check; that is a conflict too, and the nested
/// transaction (a savepoint inside the caller's) keeps the caller's transaction usable.
fn remember(
    conn: &mut DbConnection,
    response: &IdempotentResponse,
    expired_before: DateTime<Utc>,
) -> Result<(), StoreError> {
    let status = i32::from(response.status);
    conn.transaction(|conn| {
        let same_key = idempotency_keys::actor
            .eq(&response.actor)
            .and(idempotency_keys::key.eq(&response.key));
        diesel::delete(
            idempotency_keys::table
                .filter(same_key)
                .filter(idempotency_keys::created_at.lt(to_db(expired_before))),
        )
        .execute(conn)?;
        let live: i64 = idempotency_keys::table
            .filter(same_key)
            .count()
            .get_result(conn)?;
        if live > 0 {
            return Err(StoreError::conflict(FIELD));
        }
        let row = NewIdempotencyRow {
            actor: &response.actor,
            key: &response.key,
            fingerprint: &response.fingerprint,
            status,
            body: &response.body,
            created_at: to_db(response.created_at),
        };
        diesel::insert_into(idempotency_keys::table)
            .values(&row)
            .execute(conn)?;
        Ok(())
    })
}
