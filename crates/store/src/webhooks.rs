//! Webhook endpoints, their events and deliveries (`webhooks`, `webhook_events`,
//! `webhook_deliveries`), behind [`WebhookRepository`] for the API and plain functions for
//! the delivery worker.
//!
//! [`record_event`] runs inside the transaction of every audited change (the audit log's
//! [`append`](crate::audit::append) calls it): a successful change that is a webhook event
//! becomes one event row and one pending delivery per matching enabled endpoint, so an
//! event commits with its change or not at all.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use tenantry_tenant::webhooks::{
    Delivery, EventType, NewWebhook, Webhook, WebhookPatch, WebhookRepository, WebhookStatus,
};
use tenantry_tenant::{AuditEvent, Outcome, Page, RepositoryError, TenantId};

use crate::schema::{webhook_deliveries, webhook_events, webhooks};
use crate::sql::count;
use crate::time::{from_db, to_db};
use crate::{AsDbConnection, StoreError, TenantStore};
use diesel::dsl::count_star;

/// The longest failure reason or response excerpt kept for a delivery.
pub const MAX_EXCERPT_CHARS: usize = 200;

const PENDING: &str = "pending";
const DELIVERED: &str = "delivered";
const FAILED: &str = "failed";

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhooks)]
struct WebhookRow {
    id: i64,
    url: String,
    events: Option<String>,
    tenant_id: Option<i64>,
    previous_secret_until: Option<NaiveDateTime>,
    enabled: bool,
    failing_since: Option<NaiveDateTime>,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// The event types an endpoint takes. A name this build does not know (written by a
/// newer one, during a rolling upgrade or after a rollback) is skipped with a warning:
/// it must never fail the change whose transaction is queueing an event.
fn parse_events(text: Option<&str>) -> Result<Option<Vec<EventType>>, StoreError> {
    let Some(text) = text else { return Ok(None) };
    let names: Vec<String> = serde_json::from_str(text)
        .map_err(|error| StoreError::corrupt("webhooks.events", error))?;
    Ok(Some(
        names
            .iter()
            .filter_map(|name| match name.parse() {
                Ok(event) => Some(event),
                Err(_) => {
                    log::warn!("a webhook takes the event type {name:?}, unknown to this version");
                    None
                }
            })
            .collect(),
    ))
}

fn events_text(events: Option<&[EventType]>) -> Option<String> {
    events.map(|events| {
        Value::from(
            events
                .iter()
                .map(|event| event.as_str())
                .collect::<Vec<_>>(),
        )
        .to_string()
    })
}

impl WebhookRow {
    fn into_webhook(self) -> Result<Webhook, StoreError> {
        Ok(Webhook {
            id: self.id,
            url: self.url,
            events: parse_events(self.events.as_deref())?,
            tenant_id: self.tenant_id.map(TenantId),
            status: match (self.enabled, self.failing_since) {
                (false, _) => WebhookStatus::Disabled,
                (true, Some(_)) => WebhookStatus::Failing,
                (true, None) => WebhookStatus::Active,
            },
            failing_since: self.failing_since.map(from_db),
            previous_secret_until: self.previous_secret_until.map(from_db),
            created_by: self.created_by,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
        })
    }
}

fn find(conn: &mut crate::DbConnection, id: i64) -> Result<Option<Webhook>, StoreError> {
    let row: Option<WebhookRow> = webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()?;
    row.map(WebhookRow::into_webhook).transpose()
}

/// A new random event id, `msg_` and 32 hexadecimal digits.
fn message_id() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|error| StoreError::Unavailable(format!("no randomness: {error}")))?;
    Ok(format!("msg_{}", hex::encode(bytes)))
}

/// The body every endpoint receives for `event` of type `event_type`.
fn event_body(message_id: &str, event_type: EventType, event: &AuditEvent) -> Value {
    let tenant = match (event.tenant_id, &event.tenant_name) {
        (Some(id), Some(name)) => json!({"id": id.0, "name": name}),
        (None, Some(name)) => json!({"id": null, "name": name}),
        _ => Value::Null,
    };
    json!({
        "id": message_id,
        "type": event_type.as_str(),
        "timestamp": event.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "data": {
            "tenant": tenant,
            "actor": event.actor.to_string(),
            "details": event.details,
        },
    })
}

/// Queues `event` for every enabled endpoint that takes it (its type, and its tenant or
/// every tenant). Nothing is written when no endpoint does.
pub fn record_event(conn: &mut impl AsDbConnection, event: &AuditEvent) -> Result<(), StoreError> {
    if event.outcome != Outcome::Success {
        return Ok(());
    }
    let Some(event_type) = EventType::for_action(event.action) else {
        return Ok(());
    };
    let conn = conn.db_connection();
    let tenant_id = event.tenant_id.map(|id| id.0);
    let candidates: Vec<(i64, Option<String>, Option<i64>)> = webhooks::table
        .filter(webhooks::enabled.eq(true))
        .select((webhooks::id, webhooks::events, webhooks::tenant_id))
        .load(conn)?;
    let mut targets = Vec::new();
    for (id, events, scope) in candidates {
        let takes_type =
            parse_events(events.as_deref())?.is_none_or(|events| events.contains(&event_type));
        let takes_tenant = scope.is_none() || scope == tenant_id;
        if takes_type && takes_tenant {
            targets.push(id);
        }
    }
    if targets.is_empty() {
        return Ok(());
    }
    let message_id = message_id()?;
    let body = event_body(&message_id, event_type, event).to_string();
    let at = to_db(event.at);
    diesel::insert_into(webhook_events::table)
        .values((
            webhook_events::message_id.eq(&message_id),
            webhook_events::event_type.eq(event_type.as_str()),
            webhook_events::tenant_id.eq(tenant_id),
            webhook_events::created_at.eq(at),
            webhook_events::body.eq(&body),
        ))
        .execute(conn)?;
    let event_id: i64 = webhook_events::table
        .filter(webhook_events::message_id.eq(&message_id))
        .select(webhook_events::id)
        .first(conn)?;
    for webhook_id in targets {
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::webhook_id.eq(webhook_id),
                webhook_deliveries::event_id.eq(event_id),
                webhook_deliveries::status.eq(PENDING),
                webhook_deliveries::attempts.eq(0),
                webhook_deliveries::next_attempt_at.eq(at),
                webhook_deliveries::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A delivery due for an attempt, with what the attempt needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// The delivery.
    pub id: i64,
    /// Its endpoint.
    pub webhook_id: i64,
    /// Where to post.
    pub url: String,
    /// The signing secrets: the current one, and the previous one while it is valid.
    pub secrets: Vec<String>,
    /// `webhook-id`.
    pub message_id: String,
    /// The body to post.
    pub body: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it became due (the claim checks it is unchanged).
    pub next_attempt_at: DateTime<Utc>,
}

type DueRow = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<NaiveDateTime>,
    String,
    String,
    i32,
    NaiveDateTime,
);

/// Up to `limit` pending deliveries due at `now` to enabled endpoints, oldest first.
pub fn due_deliveries(
    conn: &mut impl AsDbConnection,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<DueDelivery>, StoreError> {
    let rows: Vec<DueRow> = webhook_deliveries::table
        .inner_join(webhooks::table)
        .inner_join(webhook_events::table)
        .filter(webhook_deliveries::status.eq(PENDING))
        .filter(webhook_deliveries::next_attempt_at.le(to_db(now)))
        .filter(webhooks::enabled.eq(true))
        .order(webhook_deliveries::next_attempt_at.asc())
        .limit(i64::from(limit))
        .select((
            webhook_deliveries::id,
            webhook_deliveries::webhook_id,
            webhooks::url,
            webhooks::secret,
            webhooks::previous_secret,
            webhooks::previous_secret_until,
            webhook_events::message_id,
            webhook_events::body,
            webhook_deliveries::attempts,
            webhook_deliveries::next_attempt_at,
        ))
        .load(conn.db_connection())?;
    rows.into_iter()
        .map(
            |(id, webhook_id, url, secret, previous, until, message_id, body, attempts, next)| {
                let mut secrets = vec![secret];
                if let (Some(previous), Some(until)) = (previous, until)
                    && from_db(until) > now
                {
                    secrets.push(previous);
                }
                Ok(DueDelivery {
                    id,
                    webhook_id,
                    url,
                    secrets,
                    message_id,
                    body,
                    attempts: u32::try_from(attempts).map_err(|error| {
                        StoreError::corrupt("webhook_deliveries.attempts", error)
                    })?,
                    next_attempt_at: from_db(next),
                })
            },
        )
        .collect()
}

/// Takes `due` for one worker until `lease_until`: false when another worker took it.
pub fn claim_delivery(
    conn: &mut impl AsDbConnection,
    due: &DueDelivery,
    lease_until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        webhook_deliveries::table
            .find(due.id)
            .filter(webhook_deliveries::status.eq(PENDING))
            .filter(webhook_deliveries::next_attempt_at.eq(to_db(due.next_attempt_at))),
    )
    .set(webhook_deliveries::next_attempt_at.eq(to_db(lease_until)))
    .execute(conn.db_connection())?;
    Ok(changed == 1)
}

/// What one attempt ended in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// The attempt's number (1 for the first).
    pub attempts: u32,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// The HTTP status, when the endpoint answered.
    pub status_code: Option<u16>,
    /// Why it failed, or the start of the answer.
    pub excerpt: Option<String>,
    /// Whether the endpoint accepted it (a 2xx answer).
    pub delivered: bool,
    /// When to try again; `None` after a failure gives the delivery up.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Records an attempt's outcome under the claim that made it (`lease_until` of
/// [`claim_delivery`]): when the delivery was claimed again meanwhile (an operator's
/// redeliver), nothing is recorded and this returns false. A success marks the endpoint
/// working again; a delivery given up marks it failing (from then on, until a success).
pub fn record_attempt(
    conn: &mut impl AsDbConnection,
    delivery: &DueDelivery,
    lease_until: DateTime<Utc>,
    outcome: &AttemptOutcome,
) -> Result<bool, StoreError> {
    let conn = conn.db_connection();
    let excerpt: Option<String> = outcome
        .excerpt
        .as_ref()
        .map(|text| text.chars().take(MAX_EXCERPT_CHARS).collect());
    let status = match (outcome.delivered, outcome.next_attempt_at) {
        (true, _) => DELIVERED,
        (false, Some(_)) => PENDING,
        (false, None) => FAILED,
    };
    let at = to_db(outcome.at);
    let claimed = webhook_deliveries::table
        .find(delivery.id)
        .filter(webhook_deliveries::status.eq(PENDING))
        .filter(webhook_deliveries::next_attempt_at.eq(to_db(lease_until)));
    let recorded = diesel::update(claimed)
        .set((
            webhook_deliveries::status.eq(status),
            webhook_deliveries::attempts.eq(i32::try_from(outcome.attempts).unwrap_or(i32::MAX)),
            webhook_deliveries::last_attempt_at.eq(Some(at)),
            webhook_deliveries::last_status_code.eq(outcome.status_code.map(i32::from)),
            webhook_deliveries::last_error.eq(excerpt),
            webhook_deliveries::next_attempt_at
                .eq(to_db(outcome.next_attempt_at.unwrap_or(outcome.at))),
            webhook_deliveries::delivered_at.eq(outcome.delivered.then_some(at)),
        ))
        .execute(conn)?;
    if recorded == 0 {
        return Ok(false);
    }
    let endpoint = webhooks::table.find(delivery.webhook_id);
    if outcome.delivered {
        diesel::update(endpoint)
            .set(webhooks::failing_since.eq(None::<NaiveDateTime>))
            .execute(conn)?;
    } else if status == FAILED {
        diesel::update(endpoint.filter(webhooks::failing_since.is_null()))
            .set(webhooks::failing_since.eq(Some(at)))
            .execute(conn)?;
    }
    Ok(true)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
struct DeliveryRow {
    id: i64,
    status: String,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    last_attempt_at: Option<NaiveDateTime>,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    delivered_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

fn delivery_of(
    row: DeliveryRow,
    message_id: String,
    event_type: String,
) -> Result<Delivery, StoreError> {
    let pending = row.status == PENDING;
    Ok(Delivery {
        id: row.id,
        message_id,
        event_type,
        attempts: u32::try_from(row.attempts)
            .map_err(|error| StoreError::corrupt("webhook_deliveries.attempts", error))?,
        last_status_code: row
            .last_status_code
            .and_then(|code| u16::try_from(code).ok()),
        last_error: row.last_error,
        last_attempt_at: row.last_attempt_at.map(from_db),
        next_attempt_at: pending.then(|| from_db(row.next_attempt_at)),
        delivered_at: row.delivered_at.map(from_db),
        created_at: from_db(row.created_at),
        status: row.status,
    })
}

impl WebhookRepository for TenantStore<'_> {
    fn create_webhook(&mut self, new: &NewWebhook) -> Result<Webhook, RepositoryError> {
        let conn = self.conn();
        let at = to_db(new.at);
        diesel::insert_into(webhooks::table)
            .values((
                webhooks::url.eq(new.url.as_str()),
                webhooks::events.eq(events_text(new.events.as_deref())),
                webhooks::tenant_id.eq(new.tenant_id.map(|id| id.0)),
                webhooks::secret.eq(&new.secret),
                webhooks::enabled.eq(true),
                webhooks::created_by.eq(&new.created_by),
                webhooks::created_at.eq(at),
                webhooks::updated_at.eq(at),
            ))
            .execute(conn)
            .map_err(StoreError::from)?;
        let id: i64 = webhooks::table
            .filter(webhooks::secret.eq(&new.secret))
            .select(webhooks::id)
            .first(conn)
            .map_err(StoreError::from)?;
        find(conn, id)?.ok_or(RepositoryError::NotFound)
    }

    fn list_webhooks(&mut self) -> Result<Vec<Webhook>, RepositoryError> {
        let rows: Vec<WebhookRow> = webhooks::table
            .order(webhooks::id.asc())
            .select(WebhookRow::as_select())
            .load(self.conn())
            .map_err(StoreError::from)?;
        Ok(rows
            .into_iter()
            .map(WebhookRow::into_webhook)
            .collect::<Result<_, _>>()?)
    }

    fn find_webhook(&mut self, id: i64) -> Result<Option<Webhook>, RepositoryError> {
        Ok(find(self.conn(), id)?)
    }

    fn update_webhook(
        &mut self,
        id: i64,
        patch: &WebhookPatch,
        at: DateTime<Utc>,
    ) -> Result<Option<Webhook>, RepositoryError> {
        let conn = self.conn();
        let row = webhooks::table.find(id);
        let changed = diesel::update(row)
            .set(webhooks::updated_at.eq(to_db(at)))
            .execute(conn)
            .map_err(StoreError::from)?;
        if changed == 0 {
            return Ok(None);
        }
        if let Some(url) = &patch.url {
            diesel::update(row)
                .set(webhooks::url.eq(url.as_str()))
                .execute(conn)
                .map_err(StoreError::from)?;
        }
        if let Some(events) = &patch.events {
            diesel::update(row)
                .set(webhooks::events.eq(events_text(events.as_deref())))
                .execute(conn)
                .map_err(StoreError::from)?;
        }
        if let Some(tenant) = patch.tenant_id {
            diesel::update(row)
                .set(webhooks::tenant_id.eq(tenant.map(|id| id.0)))
                .execute(conn)
                .map_err(StoreError::from)?;
        }
        if let Some(enabled) = patch.enabled {
            diesel::update(row)
                .set((
                    webhooks::enabled.eq(enabled),
                    webhooks::failing_since.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)
                .map_err(StoreError::from)?;
        }
        Ok(find(conn, id)?)
    }

    fn delete_webhook(&mut self, id: i64) -> Result<bool, RepositoryError> {
        let conn = self.conn();
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
            .execute(conn)
            .map_err(StoreError::from)?;
        let removed = diesel::delete(webhooks::table.find(id))
            .execute(conn)
            .map_err(StoreError::from)?;
        Ok(removed == 1)
    }

    fn rotate_webhook_secret(
        &mut self,
        id: i64,
        secret: &str,
        grace_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Option<Webhook>, RepositoryError> {
        let conn = self.conn();
        let current: Option<String> = webhooks::table
            .find(id)
            .select(webhooks::secret)
            .first(conn)
            .optional()
            .map_err(StoreError::from)?;
        let Some(current) = current else {
            return Ok(None);
        };
        diesel::update(webhooks::table.find(id))
            .set((
                webhooks::secret.eq(secret),
                webhooks::previous_secret.eq(Some(current)),
                webhooks::previous_secret_until.eq(Some(to_db(grace_until))),
                webhooks::updated_at.eq(to_db(at)),
            ))
            .execute(conn)
            .map_err(StoreError::from)?;
        Ok(find(conn, id)?)
    }

    fn list_deliveries(
        &mut self,
        webhook_id: i64,
        page: u32,
        per_page: u32,
    ) -> Result<Page<Delivery>, RepositoryError> {
        let conn = self.conn();
        let of_webhook = webhook_deliveries::webhook_id.eq(webhook_id);
        let total: i64 = webhook_deliveries::table
            .filter(of_webhook)
            .select(count_star())
            .first(conn)
            .map_err(StoreError::from)?;
        let rows: Vec<(DeliveryRow, String, String)> = webhook_deliveries::table
            .inner_join(webhook_events::table)
            .filter(of_webhook)
            .order(webhook_deliveries::id.desc())
            .limit(i64::from(per_page))
            .offset(i64::from(page.saturating_sub(1)) * i64::from(per_page))
            .select((
                DeliveryRow::as_select(),
                webhook_events::message_id,
                webhook_events::event_type,
            ))
            .load(conn)
            .map_err(StoreError::from)?;
        let items = rows
            .into_iter()
            .map(|(row, message_id, event_type)| delivery_of(row, message_id, event_type))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            total: count(total)?,
        })
    }

    fn redeliver(
        &mut self,
        webhook_id: i64,
        delivery_id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<Delivery>, RepositoryError> {
        let conn = self.conn();
        // A pending delivery is already on its way (perhaps in an attempt right now).
        let changed = diesel::update(
            webhook_deliveries::table
                .find(delivery_id)
                .filter(webhook_deliveries::webhook_id.eq(webhook_id))
                .filter(webhook_deliveries::status.ne(PENDING)),
        )
        .set((
            webhook_deliveries::status.eq(PENDING),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(to_db(at)),
            webhook_deliveries::delivered_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map_err(StoreError::from)?;
        if changed == 0 {
            let pending: Option<i64> = webhook_deliveries::table
                .find(delivery_id)
                .filter(webhook_deliveries::webhook_id.eq(webhook_id))
                .select(webhook_deliveries::id)
                .first(conn)
                .optional()
                .map_err(StoreError::from)?;
            return match pending {
                Some(_) => Err(RepositoryError::Conflict {
                    field: "delivery".into(),
                }),
                None => Ok(None),
            };
        }
        let (row, message_id, event_type): (DeliveryRow, String, String) =
            webhook_deliveries::table
                .inner_join(webhook_events::table)
                .filter(webhook_deliveries::id.eq(delivery_id))
                .select((
                    DeliveryRow::as_select(),
                    webhook_events::message_id,
                    webhook_events::event_type,
                ))
                .first(conn)
                .map_err(StoreError::from)?;
        Ok(Some(delivery_of(row, message_id, event_type)?))
    }
}
