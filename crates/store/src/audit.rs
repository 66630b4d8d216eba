//! The audit log: appending events ([`AuditSink`] for [`TenantStore`]) and reading them
//! back ([`AuditLog`] for [`TenantStore`], [`list`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tenantry_tenant::{
    AuditEvent, AuditFilter, AuditLog, AuditRecord, AuditSink, Outcome, Page, RepositoryError,
    TenantId,
};

use crate::connection::MultiBackend;
use crate::schema::audit_events;
use crate::sql::count;
use crate::tenants::{from_json, to_json};
use crate::time::{from_db, to_db};
use crate::{AsDbConnection, StoreError, TenantStore};

#[derive(Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
struct NewAuditRow<'a> {
    at: NaiveDateTime,
    actor: String,
    action: &'static str,
    tenant_id: Option<i64>,
    tenant_name: Option<&'a str>,
    request_id: Option<&'a str>,
    source: Option<&'a str>,
    outcome: &'static str,
    details: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_events)]
struct AuditRow {
    id: i64,
    at: NaiveDateTime,
    actor: String,
    action: String,
    tenant_id: Option<i64>,
    tenant_name: Option<String>,
    request_id: Option<String>,
    source: Option<String>,
    outcome: String,
    details: String,
}

impl AuditRow {
    fn into_record(self) -> Result<AuditRecord, StoreError> {
        let outcome = match self.outcome.as_str() {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            other => return Err(StoreError::corrupt("audit_events.outcome", other)),
        };
        Ok(AuditRecord {
            id: self.id,
            event: AuditEvent {
                at: from_db(self.at),
                actor: self
                    .actor
                    .parse()
                    .map_err(|error| StoreError::corrupt("audit_events.actor", error))?,
                action: self
                    .action
                    .parse()
                    .map_err(|error| StoreError::corrupt("audit_events.action", error))?,
                tenant_id: self.tenant_id.map(TenantId),
                tenant_name: self.tenant_name,
                request_id: self.request_id,
                source: self.source,
                outcome,
                details: from_json("audit_events.details", &self.details)?,
            },
        })
    }
}

impl AuditSink for TenantStore<'_> {
    fn record(&mut self, event: &AuditEvent) -> Result<(), RepositoryError> {
        Ok(append(self.conn(), event)?)
    }
}

/// Appends `event` to the log, and does what a successful change entails in the same
/// transaction: marks its tenant for the eox-tenant sync when it affects Open edX, and
/// queues it for the webhook endpoints that take it.
pub fn append(conn: &mut impl AsDbConnection, event: &AuditEvent) -> Result<(), StoreError> {
    insert(conn, event)?;
    if event.outcome == Outcome::Success
        && event.action.affects_open_edx()
        && let Some(tenant_name) = &event.tenant_name
    {
        crate::eox_sync::mark_changed(conn, tenant_name, event.at)?;
    }
    crate::webhooks::record_event(conn, event)
}

/// Inserts `event`'s row and nothing else (tests of older schemas use it directly).
pub(crate) fn insert(conn: &mut impl AsDbConnection, event: &AuditEvent) -> Result<(), StoreError> {
    let row = NewAuditRow {
        at: to_db(event.at),
        actor: event.actor.to_string(),
        action: event.action.as_str(),
        tenant_id: event.tenant_id.map(|id| id.0),
        tenant_name: event.tenant_name.as_deref(),
        request_id: event.request_id.as_deref(),
        source: event.source.as_deref(),
        outcome: event.outcome.as_str(),
        details: to_json("details", &event.details)?,
    };
    diesel::insert_into(audit_events::table)
        .values(&row)
        .execute(conn.db_connection())?;
    Ok(())
}

impl AuditLog for TenantStore<'_> {
    fn list_audit(&mut self, filter: &AuditFilter) -> Result<Page<AuditRecord>, RepositoryError> {
        Ok(list(self.conn(), filter)?)
    }
}

/// One page of the events `filter` selects, newest first (by time, then by id), and how
/// many match in all. Each filter but `since`/`until` alone is served by an index on
/// (column, `at`); `at` alone by `audit_events_at_idx`.
pub fn list(
    conn: &mut impl AsDbConnection,
    filter: &AuditFilter,
) -> Result<Page<AuditRecord>, StoreError> {
    let conn = conn.db_connection();
    let total: i64 = matching(filter).count().get_result(conn)?;
    let per_page = i64::from(filter.per_page.max(1));
    let offset = i64::from(filter.page.max(1) - 1).saturating_mul(per_page);
    let rows: Vec<AuditRow> = matching(filter)
        .select(AuditRow::as_select())
        .order((audit_events::at.desc(), audit_events::id.desc()))
        .limit(per_page)
        .offset(offset)
        .load(conn)?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(AuditRow::into_record)
            .collect::<Result<_, _>>()?,
        total: count(total)?,
    })
}

/// The events `filter` selects, before ordering and paging. `since` is inclusive,
/// `until` exclusive.
fn matching(filter: &AuditFilter) -> audit_events::BoxedQuery<'static, MultiBackend> {
    let mut select = audit_events::table.into_boxed();
    if let Some(tenant_id) = filter.tenant_id {
        select = select.filter(audit_events::tenant_id.eq(tenant_id.0));
    }
    if let Some(tenant_name) = &filter.tenant_name {
        select = select.filter(audit_events::tenant_name.eq(tenant_name.clone()));
    }
    if let Some(action) = filter.action {
        select = select.filter(audit_events::action.eq(action.as_str()));
    }
    if let Some(actor) = &filter.actor {
        select = select.filter(audit_events::actor.eq(actor.to_string()));
    }
    if let Some(since) = filter.since {
        select = select.filter(audit_events::at.ge(to_db(since)));
    }
    if let Some(until) = filter.until {
        select = select.filter(audit_events::at.lt(to_db(until)));
    }
    select
}
