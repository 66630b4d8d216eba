//! A tenant's domains: loading them for many tenants at once, writing them, and making
//! the stored set equal a wanted one.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tenantry_tenant::Domain;

use crate::schema::domains;
use crate::tenants::rows::{DomainRow, NewDomainRow};
use crate::{DbConnection, StoreError};

/// The domains of each of `tenant_ids`, primary first and then by host, in one query.
/// Tenants without domains are absent from the map.
pub(crate) fn load(
    conn: &mut DbConnection,
    tenant_ids: &[i64],
) -> Result<HashMap<i64, Vec<Domain>>, StoreError> {
    let mut by_tenant: HashMap<i64, Vec<Domain>> = HashMap::new();
    if tenant_ids.is_empty() {
        return Ok(by_tenant);
    }
    let rows: Vec<DomainRow> = domains::table
        .filter(domains::tenant_id.eq_any(tenant_ids))
        .order((
            domains::tenant_id,
            domains::is_primary.desc(),
            domains::host,
        ))
        .select(DomainRow::as_select())
        .load(conn)?;
    for row in rows {
        let tenant_id = row.tenant_id;
        by_tenant
            .entry(tenant_id)
            .or_default()
            .push(row.into_domain()?);
    }
    Ok(by_tenant)
}

/// Inserts `wanted` for `tenant_id`, one statement each (the multi-backend connection
/// has no batch insert; a tenant has a handful of domains). A host another tenant owns
/// is a conflict on `domain`.
pub(crate) fn insert(
    conn: &mut DbConnection,
    tenant_id: i64,
    wanted: &[&Domain],
    created_at: NaiveDateTime,
) -> Result<(), StoreError> {
    for domain in wanted {
        let row = NewDomainRow {
            tenant_id,
            host: domain.host.as_str(),
            is_primary: domain.is_primary,
            created_at,
        };
        diesel::insert_into(domains::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}

/// Makes the stored domains of `tenant_id` equal `wanted`: deletes hosts not wanted, moves
/// the primary flag, inserts new hosts (stamped `now`). Primary flags are cleared before
/// any is set, so the one-primary-per-tenant index never sees two.
pub(crate) fn sync(
    conn: &mut DbConnection,
    tenant_id: i64,
    wanted: &[Domain],
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let stored: Vec<DomainRow> = domains::table
        .filter(domains::tenant_id.eq(tenant_id))
        .select(DomainRow::as_select())
        .load(conn)?;
    let wanted_primary: HashMap<&str, bool> = wanted
        .iter()
        .map(|domain| (domain.host.as_str(), domain.is_primary))
        .collect();
    let stored_hosts: HashSet<&str> = stored.iter().map(|row| row.host.as_str()).collect();

    let removed: Vec<&str> = stored
        .iter()
        .map(|row| row.host.as_str())
        .filter(|host| !wanted_primary.contains_key(host))
        .collect();
    let demoted: Vec<&str> = stored
        .iter()
        .filter(|row| row.is_primary && wanted_primary.get(row.host.as_str()) == Some(&false))
        .map(|row| row.host.as_str())
        .collect();
    let promoted: Vec<&str> = stored
        .iter()
        .filter(|row| !row.is_primary && wanted_primary.get(row.host.as_str()) == Some(&true))
        .map(|row| row.host.as_str())
        .collect();
    let added: Vec<&Domain> = wanted
        .iter()
        .filter(|domain| !stored_hosts.contains(domain.host.as_str()))
        .collect();

    let of_tenant = domains::tenant_id.eq(tenant_id);
    if !removed.is_empty() {
        diesel::delete(
            domains::table
                .filter(of_tenant)
                .filter(domains::host.eq_any(&removed)),
        )
        .execute(conn)?;
    }
    if !demoted.is_empty() {
        diesel::update(
            domains::table
                .filter(of_tenant)
                .filter(domains::host.eq_any(&demoted)),
        )
        .set(domains::is_primary.eq(false))
        .execute(conn)?;
    }
    if !promoted.is_empty() {
        diesel::update(
            domains::table
                .filter(of_tenant)
                .filter(domains::host.eq_any(&promoted)),
        )
        .set(domains::is_primary.eq(true))
        .execute(conn)?;
    }
    insert(conn, tenant_id, &added, now)
}
