//! The audit log: appending events ([`AuditSink`] for [`TenantStore`]) and reading them
//! back ([`list_audit_events`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tenantry_tenant::{Action, Actor, AuditEvent, AuditSink, Outcome, RepositoryError, TenantId};

use crate::schema::audit_events;
use crate::tenants::{from_json, to_json};
use crate::time::{from_db, to_db};
use crate::{AsDbConnection, StoreError, TenantStore};

/// An audit event as stored, with the id the log gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Position in the log; later events have larger ids.
    pub id: i64,
    /// The event.
    pub event: AuditEvent,
}

/// Which audit events [`list_audit_events`] reads. Filters combine with AND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events about this tenant id.
    pub tenant_id: Option<TenantId>,
    /// Only events about a tenant of this name (found after the tenant is gone).
    pub tenant_name: Option<String>,
    /// Only this action.
    pub action: Option<Action>,
    /// Only this actor.
    pub actor: Option<Actor>,
    /// At most this many events.
    pub limit: u32,
    /// Skip this many of the newest matching events first.
    pub offset: u32,
}

impl Default for AuditQuery {
    /// Every event, the newest 100.
    fn default() -> Self {
        Self {
            tenant_id: None,
            tenant_name: None,
            action: None,
            actor: None,
            limit: 100,
            offset: 0,
        }
    }
}

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

/// Appends `event` to the log.
pub fn append(conn: &mut impl AsDbConnection, event: &AuditEvent) -> Result<(), StoreError> {
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

/// The events `query` selects, newest first.
pub fn list_audit_events(
    conn: &mut impl AsDbConnection,
    query: &AuditQuery,
) -> Result<Vec<AuditRecord>, StoreError> {
    let mut select = audit_events::table.into_boxed();
    if let Some(tenant_id) = query.tenant_id {
        select = select.filter(audit_events::tenant_id.eq(tenant_id.0));
    }
    if let Some(tenant_name) = &query.tenant_name {
        select = select.filter(audit_events::tenant_name.eq(tenant_name.clone()));
    }
    if let Some(action) = query.action {
        select = select.filter(audit_events::action.eq(action.as_str()));
    }
    if let Some(actor) = &query.actor {
        select = select.filter(audit_events::actor.eq(actor.to_string()));
    }
    let rows: Vec<AuditRow> = select
        .select(AuditRow::as_select())
        .order((audit_events::at.desc(), audit_events::id.desc()))
        .limit(i64::from(query.limit))
        .offset(i64::from(query.offset))
        .load(conn.db_connection())?;
    rows.into_iter().map(AuditRow::into_record).collect()
}
