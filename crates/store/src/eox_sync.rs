//! The ledger of the eox-tenant sync (`eox_sync`, `eox_owned_keys`): which tenants have
//! changes the LMS does not have yet, and which `external_key`s tenantry owns there.
//!
//! [`mark_changed`] runs inside the transaction of every successful change that affects
//! Open edX (the audit log's [`append`](crate::audit::append) calls it), so a change and
//! its sync request commit together. The worker (in the binary) takes due tenants with
//! [`due`] and [`claim`], and records the outcome with [`record_success`] or
//! [`record_failure`].

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;
use tenantry_tenant::eox_sync::{EoxSyncStates, SyncState, SyncSummary};
use tenantry_tenant::{RepositoryError, TenantName};

use crate::schema::{eox_owned_keys, eox_sync};
use crate::time::{from_db, to_db};
use crate::{AsDbConnection, StoreError, TenantStore};

/// The longest failure reason kept.
const MAX_ERROR_CHARS: usize = 500;

/// A tenant whose changes are not all in the LMS, as [`due`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueSync {
    /// The tenant's name.
    pub tenant_name: String,
    /// Changes recorded so far; the worker reports the one it brought the LMS to.
    pub generation: i64,
    /// Failed attempts since the last success.
    pub attempts: u32,
    /// When it became due (the claim checks it is unchanged).
    pub next_attempt_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = eox_sync)]
struct SyncRow {
    tenant_name: String,
    generation: i64,
    synced_generation: i64,
    pending_since: Option<NaiveDateTime>,
    next_attempt_at: NaiveDateTime,
    attempts: i32,
    last_error: Option<String>,
    synced_at: Option<NaiveDateTime>,
}

/// Records a change of the tenant named `tenant_name` at `at`: one more generation, due
/// at once (a change may be what resolves an earlier failure).
pub fn mark_changed(
    conn: &mut impl AsDbConnection,
    tenant_name: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let conn = conn.db_connection();
    let row = eox_sync::table.find(tenant_name);
    let updated = diesel::update(row)
        .set((
            eox_sync::generation.eq(eox_sync::generation + 1),
            eox_sync::next_attempt_at.eq(to_db(at)),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(eox_sync::table)
            .values((
                eox_sync::tenant_name.eq(tenant_name),
                eox_sync::generation.eq(1),
                eox_sync::synced_generation.eq(0),
                eox_sync::pending_since.eq(Some(to_db(at))),
                eox_sync::next_attempt_at.eq(to_db(at)),
                eox_sync::attempts.eq(0),
            ))
            .execute(conn)?;
    } else {
        diesel::update(row.filter(eox_sync::pending_since.is_null()))
            .set(eox_sync::pending_since.eq(Some(to_db(at))))
            .execute(conn)?;
    }
    Ok(())
}

/// Up to `limit` tenants with changes not in the LMS whose next attempt is due at `now`,
/// longest waiting first.
pub fn due(
    conn: &mut impl AsDbConnection,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<DueSync>, StoreError> {
    let rows: Vec<SyncRow> = eox_sync::table
        .filter(eox_sync::generation.gt(eox_sync::synced_generation))
        .filter(eox_sync::next_attempt_at.le(to_db(now)))
        .order(eox_sync::next_attempt_at.asc())
        .limit(i64::from(limit))
        .select(SyncRow::as_select())
        .load(conn.db_connection())?;
    rows.into_iter()
        .map(|row| {
            Ok(DueSync {
                tenant_name: row.tenant_name,
                generation: row.generation,
                attempts: u32::try_from(row.attempts)
                    .map_err(|error| StoreError::corrupt("eox_sync.attempts", error))?,
                next_attempt_at: from_db(row.next_attempt_at),
            })
        })
        .collect()
}

/// The changes recorded so far for the tenant named `tenant_name` (`None`: never one).
pub fn generation_of(
    conn: &mut impl AsDbConnection,
    tenant_name: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(eox_sync::table
        .find(tenant_name)
        .select(eox_sync::generation)
        .first(conn.db_connection())
        .optional()?)
}

/// Every tenant the ledger knows (to reconcile them all), by name.
pub fn every_tenant_name(conn: &mut impl AsDbConnection) -> Result<Vec<String>, StoreError> {
    let conn = conn.db_connection();
    let mut names: Vec<String> = eox_sync::table.select(eox_sync::tenant_name).load(conn)?;
    names.extend(
        eox_owned_keys::table
            .select(eox_owned_keys::tenant_name)
            .distinct()
            .load::<String>(conn)?,
    );
    names.sort_unstable();
    names.dedup();
    Ok(names)
}

/// Takes `due` for one worker until `lease_until`: false when another worker took it
/// first (its due time moved).
pub fn claim(
    conn: &mut impl AsDbConnection,
    due: &DueSync,
    lease_until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        eox_sync::table
            .find(&due.tenant_name)
            .filter(eox_sync::next_attempt_at.eq(to_db(due.next_attempt_at))),
    )
    .set(eox_sync::next_attempt_at.eq(to_db(lease_until)))
    .execute(conn.db_connection())?;
    Ok(changed == 1)
}

/// Records that the LMS has the tenant's changes up to `generation`, at `at`. Changes
/// made since stay due.
pub fn record_success(
    conn: &mut impl AsDbConnection,
    tenant_name: &str,
    generation: i64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let conn = conn.db_connection();
    let row = eox_sync::table.find(tenant_name);
    diesel::update(row.filter(eox_sync::synced_generation.lt(generation)))
        .set(eox_sync::synced_generation.eq(generation))
        .execute(conn)?;
    diesel::update(row)
        .set((
            eox_sync::attempts.eq(0),
            eox_sync::last_error.eq(None::<String>),
            eox_sync::synced_at.eq(Some(to_db(at))),
            eox_sync::next_attempt_at.eq(to_db(at)),
        ))
        .execute(conn)?;
    diesel::update(row.filter(eox_sync::generation.le(eox_sync::synced_generation)))
        .set(eox_sync::pending_since.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt (the `attempts`-th in a row) and when to try again.
pub fn record_failure(
    conn: &mut impl AsDbConnection,
    tenant_name: &str,
    attempts: u32,
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
    diesel::update(eox_sync::table.find(tenant_name))
        .set((
            eox_sync::attempts.eq(i32::try_from(attempts).unwrap_or(i32::MAX)),
            eox_sync::last_error.eq(Some(error)),
            eox_sync::next_attempt_at.eq(to_db(next_attempt_at)),
        ))
        .execute(conn.db_connection())?;
    Ok(())
}

/// The LMS keys the tenant named `tenant_name` owns.
pub fn owned_keys(
    conn: &mut impl AsDbConnection,
    tenant_name: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(eox_owned_keys::table
        .filter(eox_owned_keys::tenant_name.eq(tenant_name))
        .select(eox_owned_keys::external_key)
        .order(eox_owned_keys::external_key.asc())
        .load(conn.db_connection())?)
}

/// Which of `keys` tenantry owns (for any tenant).
pub fn owned_among(
    conn: &mut impl AsDbConnection,
    keys: &[String],
) -> Result<Vec<String>, StoreError> {
    Ok(eox_owned_keys::table
        .filter(eox_owned_keys::external_key.eq_any(keys))
        .select(eox_owned_keys::external_key)
        .load(conn.db_connection())?)
}

/// Records `key` as the tenant's before its config is written.
pub fn own_key(
    conn: &mut impl AsDbConnection,
    key: &str,
    tenant_name: &str,
) -> Result<(), StoreError> {
    let conn = conn.db_connection();
    let owner: Option<String> = eox_owned_keys::table
        .find(key)
        .select(eox_owned_keys::tenant_name)
        .first(conn)
        .optional()?;
    match owner {
        Some(owner) if owner == tenant_name => {}
        Some(_) => {
            diesel::update(eox_owned_keys::table.find(key))
                .set(eox_owned_keys::tenant_name.eq(tenant_name))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(eox_owned_keys::table)
                .values((
                    eox_owned_keys::external_key.eq(key),
                    eox_owned_keys::tenant_name.eq(tenant_name),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Forgets the tenant's keys other than `keep`, once their configs are gone from the LMS.
pub fn release_keys(
    conn: &mut impl AsDbConnection,
    tenant_name: &str,
    keep: Option<&str>,
) -> Result<(), StoreError> {
    let of_tenant = eox_owned_keys::table.filter(eox_owned_keys::tenant_name.eq(tenant_name));
    match keep {
        Some(keep) => diesel::delete(of_tenant.filter(eox_owned_keys::external_key.ne(keep)))
            .execute(conn.db_connection())?,
        None => diesel::delete(of_tenant).execute(conn.db_connection())?,
    };
    Ok(())
}

fn state_of(row: SyncRow) -> Result<SyncState, StoreError> {
    let in_sync = row.generation <= row.synced_generation;
    Ok(SyncState {
        tenant: TenantName::parse(&row.tenant_name)
            .map_err(|error| StoreError::corrupt("eox_sync.tenant_name", error))?,
        in_sync,
        pending_since: if in_sync {
            None
        } else {
            row.pending_since.map(from_db)
        },
        synced_at: row.synced_at.map(from_db),
        attempts: u32::try_from(row.attempts)
            .map_err(|error| StoreError::corrupt("eox_sync.attempts", error))?,
        last_error: row.last_error,
        next_attempt_at: (!in_sync).then(|| from_db(row.next_attempt_at)),
    })
}

impl EoxSyncStates for TenantStore<'_> {
    fn eox_sync_state(
        &mut self,
        tenant: &TenantName,
    ) -> Result<Option<SyncState>, RepositoryError> {
        let row: Option<SyncRow> = eox_sync::table
            .find(tenant.as_str())
            .select(SyncRow::as_select())
            .first(self.conn())
            .optional()
            .map_err(StoreError::from)?;
        Ok(row.map(state_of).transpose()?)
    }

    fn eox_sync_summary(&mut self) -> Result<SyncSummary, RepositoryError> {
        let pending = eox_sync::table.filter(eox_sync::generation.gt(eox_sync::synced_generation));
        let (count, oldest): (i64, Option<NaiveDateTime>) = pending
            .select((count_star(), min(eox_sync::pending_since)))
            .first(self.conn())
            .map_err(StoreError::from)?;
        let failing: i64 = pending
            .filter(eox_sync::attempts.gt(0))
            .count()
            .get_result(self.conn())
            .map_err(StoreError::from)?;
        Ok(SyncSummary {
            pending: u64::try_from(count).unwrap_or(0),
            failing: u64::try_from(failing).unwrap_or(0),
            oldest_pending: oldest.map(from_db),
        })
    }
}
