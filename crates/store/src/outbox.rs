//! The outbox of emails ([`Outbox`] for [`TenantStore`]): written in the transaction of
//! the change that causes an email, read and marked by a delivery worker.
//!
//! An email belongs to its tenant: purging the tenant removes its emails, sent or not
//! (ON DELETE CASCADE), since they carry the addresses and links of users who are gone.
//! A delivered or given-up email keeps its row (recipient, subject, times, attempts) but
//! not its body. Outcomes are recorded by [`Claim`] (id and lease), never by id alone.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_registration::{Claim, NewEmail, Outbox, QueuedEmail};
use tenantry_tenant::{RepositoryError, TenantId};

use crate::schema::outbox;
use crate::time::{from_db, to_db};
use crate::{DbConnection, StoreError, TenantStore};

/// The most characters of a delivery error kept in `last_error`: enough for an SMTP
/// reply, not a whole transcript.
const MAX_ERROR_CHARS: usize = 1000;

/// What an email's body becomes once it was delivered or given up: its links are
/// secrets that must not stay at rest.
const DROPPED_BODY: &str = "";

diesel::define_sql_function! {
    /// SQLite's `last_insert_rowid()`: the id of this connection's latest insert.
    fn last_insert_rowid() -> diesel::sql_types::BigInt;
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = outbox)]
struct OutboxRow {
    id: i64,
    tenant_id: Option<i64>,
    recipient: String,
    subject: String,
    body: String,
    created_at: NaiveDateTime,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
}

impl OutboxRow {
    fn into_queued(self) -> Result<QueuedEmail, StoreError> {
        Ok(QueuedEmail {
            id: self.id,
            email: NewEmail {
                tenant_id: self.tenant_id.map(TenantId),
                recipient: self.recipient,
                subject: self.subject,
                body: self.body,
                created_at: from_db(self.created_at),
            },
            attempts: u32::try_from(self.attempts)
                .map_err(|error| StoreError::corrupt("outbox.attempts", error))?,
            next_attempt_at: from_db(self.next_attempt_at),
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
struct NewOutboxRow<'a> {
    tenant_id: Option<i64>,
    recipient: &'a str,
    subject: &'a str,
    body: &'a str,
    created_at: NaiveDateTime,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    last_error: Option<&'a str>,
    delivered_at: Option<NaiveDateTime>,
}

impl Outbox for TenantStore<'_> {
    fn enqueue_email(&mut self, email: &NewEmail) -> Result<i64, RepositoryError> {
        Ok(enqueue(self.conn(), email)?)
    }

    fn due_emails(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedEmail>, RepositoryError> {
        Ok(due(self.conn(), now, limit)?)
    }

    fn mark_delivered(
        &mut self,
        claim: &Claim,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let changed = diesel::update(claimed(claim))
            .set((
                outbox::delivered_at.eq(to_db(at)),
                outbox::body.eq(DROPPED_BODY),
            ))
            .execute(self.conn())
            .map_err(StoreError::from)?;
        Ok(changed == 1)
    }

    fn claim_email(
        &mut self,
        id: i64,
        due_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let changed = diesel::update(waiting(id).filter(outbox::next_attempt_at.eq(to_db(due_at))))
            .set(outbox::next_attempt_at.eq(to_db(lease_until)))
            .execute(self.conn())
            .map_err(StoreError::from)?;
        Ok(changed == 1)
    }

    fn mark_failed(
        &mut self,
        claim: &Claim,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let changed = diesel::update(claimed(claim))
            .set((
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::last_error.eq(truncated(error)),
                outbox::next_attempt_at.eq(to_db(retry_at)),
            ))
            .execute(self.conn())
            .map_err(StoreError::from)?;
        Ok(changed == 1)
    }

    fn give_up_email(
        &mut self,
        claim: &Claim,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let changed = diesel::update(claimed(claim))
            .set((
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::last_error.eq(truncated(error)),
                outbox::failed_at.eq(to_db(at)),
                outbox::body.eq(DROPPED_BODY),
            ))
            .execute(self.conn())
            .map_err(StoreError::from)?;
        Ok(changed == 1)
    }

    fn failed_email_count(&mut self) -> Result<u64, RepositoryError> {
        let count: i64 = outbox::table
            .filter(outbox::failed_at.is_not_null())
            .count()
            .get_result(self.conn())
            .map_err(StoreError::from)?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}

/// Queues `email`, due at its creation time, and returns its id. `RETURNING` is not
/// available on the multi-backend connection, nor are there unique columns to read the
/// row back by, so each backend reports the id its own way. An unknown tenant is
/// [`StoreError::NotFound`]; the nested transaction (a savepoint) keeps the caller's
/// PostgreSQL transaction usable after that refusal.
fn enqueue(conn: &mut DbConnection, email: &NewEmail) -> Result<i64, StoreError> {
    let created_at = to_db(email.created_at);
    let row = NewOutboxRow {
        tenant_id: email.tenant_id.map(|tenant| tenant.0),
        recipient: &email.recipient,
        subject: &email.subject,
        body: &email.body,
        created_at,
        attempts: 0,
        next_attempt_at: created_at,
        last_error: None,
        delivered_at: None,
    };
    conn.transaction(|conn| {
        let id = match conn {
            DbConnection::Sqlite(conn) => {
                diesel::insert_into(outbox::table)
                    .values(&row)
                    .execute(conn)?;
                diesel::select(last_insert_rowid()).get_result(conn)?
            }
            DbConnection::Postgres(conn) => diesel::insert_into(outbox::table)
                .values(&row)
                .returning(outbox::id)
                .get_result(conn)?,
        };
        Ok(id)
    })
}

/// Up to `limit` undelivered emails due at `now`, oldest first (by creation, then id).
fn due(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<QueuedEmail>, StoreError> {
    let rows: Vec<OutboxRow> = outbox::table
        .filter(outbox::delivered_at.is_null())
        .filter(outbox::failed_at.is_null())
        .filter(outbox::next_attempt_at.le(to_db(now)))
        .order((outbox::created_at, outbox::id))
        .limit(i64::from(limit))
        .select(OutboxRow::as_select())
        .load(conn)?;
    rows.into_iter().map(OutboxRow::into_queued).collect()
}

/// The email `id` while it is waiting: neither delivered nor given up.
fn waiting(id: i64) -> Waiting {
    outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::delivered_at.is_null())
        .filter(outbox::failed_at.is_null())
}

type Waiting = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<outbox::table, diesel::dsl::Eq<outbox::id, i64>>,
        diesel::dsl::IsNull<outbox::delivered_at>,
    >,
    diesel::dsl::IsNull<outbox::failed_at>,
>;

/// The email `claim` holds, while it is waiting and its lease is still the claim's: a
/// worker whose lease ran out and was taken over, or whose email is gone (or, were ids
/// ever reused, replaced), matches nothing.
fn claimed(
    claim: &Claim,
) -> diesel::dsl::Filter<Waiting, diesel::dsl::Eq<outbox::next_attempt_at, NaiveDateTime>> {
    waiting(claim.id).filter(outbox::next_attempt_at.eq(to_db(claim.lease_until)))
}

/// `error` cut to [`MAX_ERROR_CHARS`] characters.
fn truncated(error: &str) -> &str {
    match error.char_indices().nth(MAX_ERROR_CHARS) {
        Some((end, _)) => &error[..end],
        None => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_cut_at_a_character_boundary() {
        assert_eq!(truncated("short"), "short");
        let long = "é".repeat(MAX_ERROR_CHARS + 5);
        let cut = truncated(&long);
        assert_eq!(cut.chars().count(), MAX_ERROR_CHARS);
        assert!(long.starts_with(cut));
        let exact = "x".repeat(MAX_ERROR_CHARS);
        assert_eq!(truncated(&exact), exact);
    }
}
