//! Filling in `tenants.search_text` and `users.search_text` for rows stored before the
//! columns existed.

use diesel::prelude::*;
use tenantry_tenant::search::searchable_text;

use crate::schema::{tenants, users};
use crate::tenants::domains as tenant_domains;
use crate::tenants::rows::TenantRow;
use crate::users::user_search_text;
use crate::{DbConnection, StoreError};

/// Rows read and written per transaction.
const BATCH: i64 = 500;

/// Writes the search text of every tenant that has none yet (rows stored before migration
/// `…000013_tenant_search`), a batch per transaction, and returns how many it wrote. Quick
/// when there are none. A row that no longer parses is logged and left without one: search
/// does not find it.
pub fn backfill_search_text(conn: &mut DbConnection) -> Result<u64, StoreError> {
    in_batches(conn, backfill_batch)
}

/// Runs `batch` (rows with an id above the one given: the last id read, none when no row
/// was left, and how many were written) a write transaction at a time until no row is
/// left; returns how many were written in all.
fn in_batches(
    conn: &mut DbConnection,
    mut batch: impl FnMut(&mut DbConnection, i64) -> Result<(Option<i64>, u64), StoreError>,
) -> Result<u64, StoreError> {
    let mut after = 0_i64;
    let mut written = 0_u64;
    loop {
        let (last, count) = conn.write_transaction(|conn| batch(conn, after))?;
        written += count;
        match last {
            Some(last) => after = last,
            None => return Ok(written),
        }
    }
}

/// One batch of rows without search text and with an id above `after`: the last id read
/// (none when there was no such row) and how many were written.
fn backfill_batch(conn: &mut DbConnection, after: i64) -> Result<(Option<i64>, u64), StoreError> {
    let rows: Vec<TenantRow> = tenants::table
        .filter(tenants::search_text.is_null())
        .filter(tenants::id.gt(after))
        .order(tenants::id)
        .limit(BATCH)
        .select(TenantRow::as_select())
        .load(conn)?;
    let Some(last) = rows.last().map(|row| row.id) else {
        return Ok((None, 0));
    };
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let mut domains = tenant_domains::load(conn, &ids)?;
    let mut written = 0;
    for row in rows {
        let id = row.id;
        let tenant = match row.into_tenant(domains.remove(&id).unwrap_or_default()) {
            Ok(tenant) => tenant,
            Err(error) => {
                log::warn!("tenant {id} is left out of search: {error}");
                continue;
            }
        };
        let text = searchable_text(&tenant.name, &tenant.profile, &tenant.domains);
        diesel::update(tenants::table.filter(tenants::id.eq(id)))
            .set(tenants::search_text.eq(text))
            .execute(conn)?;
        written += 1;
    }
    Ok((Some(last), written))
}

/// Writes the search text of every user that has none yet (rows stored before migration
/// `…000015_user_search`), a batch per transaction, and returns how many it wrote.
pub fn backfill_user_search_text(conn: &mut DbConnection) -> Result<u64, StoreError> {
    in_batches(conn, |conn, after| {
        let rows: Vec<(i64, String, String, String)> = users::table
            .filter(users::search_text.is_null())
            .filter(users::id.gt(after))
            .order(users::id)
            .limit(BATCH)
            .select((users::id, users::username, users::email, users::name))
            .load(conn)?;
        for (id, username, email, name) in &rows {
            diesel::update(users::table.filter(users::id.eq(id)))
                .set(users::search_text.eq(user_search_text(username, email, name)))
                .execute(conn)?;
        }
        Ok((rows.last().map(|row| row.0), rows.len() as u64))
    })
}
