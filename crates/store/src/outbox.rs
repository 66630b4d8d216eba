//! The outbox of emails ([`Outbox`] for [`TenantStore`]): written in the transaction of
//! the change that causes an email, read and marked by a delivery worker.
//!
//! An email belongs to its tenant: purging the tenant removes its emails, sent or not
//! (ON DELETE CASCADE), since they carry the addresses and links of users who are gone.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_registration::{NewEmail, Outbox, QueuedEmail};
use tenantry_tenant::{RepositoryError, TenantId};

use crate::schema::outbox;
use crate::time::{from_db, to_db};
use crate::{DbConnection, StoreError, TenantStore};

/// The most characters of a delivery error kept in `last_error`: enough for an SMTP
/// reply, not a whole transcript.
const MAX_ERROR_CHARS: usize = 1000;

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

    fn mark_delivered(&mut self, id: i64, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let changed = diesel::update(undelivered(id))
            .set(outbox::delivered_at.eq(to_db(at)))
            .execute(self.conn())
            .map_err(StoreError::from)?;
        Ok(changed_or_exists(self.conn(), id, changed)?)
    }

    fn claim_email(
        &mut self,
        id: i64,
        due_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let changed =
            diesel::update(undelivered(id).filter(outbox::next_attempt_at.eq(to_db(due_at))))
                .set(outbox::next_attempt_at.eq(to_db(lease_until)))
                .execute(self.conn())
                .map_err(StoreError::from)?;
        Ok(changed == 1)
    }

    fn mark_failed(
        &mut self,
        id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let changed = diesel::update(undelivered(id))
            .set((
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::last_error.eq(truncated(error)),
                outbox::next_attempt_at.eq(to_db(retry_at)),
            ))
            .execute(self.conn())
            .map_err(StoreError::from)?;
        Ok(changed_or_exists(self.conn(), id, changed)?)
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
        .filter(outbox::next_attempt_at.le(to_db(now)))
        .order((outbox::created_at, outbox::id))
        .limit(i64::from(limit))
        .select(OutboxRow::as_select())
        .load(conn)?;
    rows.into_iter().map(OutboxRow::into_queued).collect()
}

/// The email `id` while it is undelivered.
fn undelivered(
    id: i64,
) -> diesel::dsl::Filter<
    diesel::dsl::Filter<outbox::table, diesel::dsl::Eq<outbox::id, i64>>,
    diesel::dsl::IsNull<outbox::delivered_at>,
> {
    outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::delivered_at.is_null())
}

/// `Ok` when an update changed the email, or left alone one already delivered (a
/// delivered email stays delivered, at its first time); [`StoreError::NotFound`] when
/// there is no such email.
fn changed_or_exists(conn: &mut DbConnection, id: i64, changed: usize) -> Result<(), StoreError> {
    if changed > 0 {
        return Ok(());
    }
    let exists: i64 = outbox::table
        .filter(outbox::id.eq(id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
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
