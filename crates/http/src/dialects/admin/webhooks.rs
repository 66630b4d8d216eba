//! Webhook endpoints: `/api/v1/admin/webhooks…`. The signing secret is in the answers of
//! the create and of a rotation, and nowhere else; every change is audited.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use tenantry_tenant::operations::find_tenant;
use tenantry_tenant::webhooks::{
    Delivery, EventType, NewWebhook, Webhook, WebhookPatch, WebhookUrl, restricted_address,
};
use tenantry_tenant::{
    Action, AuditEvent, Outcome, RepositoryError, RequestContext, TenantId, TenantKey,
};

use crate::core::auth::caller::Operator;
use crate::core::body::JsonObject;
use crate::core::error::ApiError;
use crate::core::fields::Fields;
use crate::core::query::{QueryParams, page_json};
use crate::core::state::AppState;
use crate::core::storage::Session;
use crate::shared::views::timestamp;

/// How long a rotated-out secret keeps signing (both signatures are sent meanwhile).
pub const ROTATION_GRACE: chrono::Duration = chrono::Duration::hours(24);
/// Random bytes in a signing secret.
const SECRET_BYTES: usize = 32;

const NOT_FOUND: &str = "Webhook not found";

fn webhook_json(webhook: &Webhook) -> Value {
    let time = |at: Option<DateTime<Utc>>| at.map(timestamp);
    json!({
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.events.as_ref().map(|events| {
            events.iter().map(|event| event.as_str()).collect::<Vec<_>>()
        }),
        "tenant_id": webhook.tenant_id.map(|id| id.0),
        "status": webhook.status.as_str(),
        "failing_since": time(webhook.failing_since),
        "previous_secret_expires_at": time(webhook.previous_secret_until),
        "created_by": webhook.created_by,
        "created_at": timestamp(webhook.created_at),
        "updated_at": timestamp(webhook.updated_at),
    })
}

fn delivery_json(delivery: &Delivery) -> Value {
    let time = |at: Option<DateTime<Utc>>| at.map(timestamp);
    json!({
        "id": delivery.id,
        "event_id": delivery.message_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "last_attempt_at": time(delivery.last_attempt_at),
        "next_attempt_at": time(delivery.next_attempt_at),
        "delivered_at": time(delivery.delivered_at),
        "created_at": timestamp(delivery.created_at),
    })
}

/// A new signing secret in the Standard Webhooks form: `whsec_` and base64.
fn new_secret() -> Result<String, ApiError> {
    use base64::Engine as _;
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|error| ApiError::Internal(format!("no randomness for a secret: {error}")))?;
    Ok(format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// An answer that shows the endpoint's secret (create, rotate): never cached.
fn with_secret(
    mut answer: actix_web::HttpResponseBuilder,
    webhook: &Webhook,
    secret: &str,
) -> HttpResponse {
    let mut body = webhook_json(webhook);
    body["secret"] = json!(secret);
    answer
        .insert_header(("cache-control", "no-store"))
        .json(body)
}

fn webhook_id(segment: &str) -> Result<i64, ApiError> {
    segment.parse().map_err(|_| ApiError::Missing(NOT_FOUND))
}

/// What the create and patch bodies may say.
struct Input {
    url: Option<WebhookUrl>,
    events: Option<Option<Vec<EventType>>>,
    tenant: Option<Option<TenantKey>>,
    enabled: Option<bool>,
}

fn read_input(
    body: &Map<String, Value>,
    creating: bool,
    allow_private: bool,
) -> Result<Input, ApiError> {
    let mut fields = Fields::new(body, vec![json!("body")]);
    let mut known = vec!["url", "events", "tenant"];
    if !creating {
        known.push("enabled");
    }
    fields.forbid_others(&known);
    let url_text = if creating {
        fields.required_string("url")
    } else {
        fields.optional_string("url").flatten()
    };
    let url = url_text.and_then(|text| {
        let loc = fields.loc("url");
        match WebhookUrl::parse(&text) {
            Ok(url) => match literal_restriction(&url, allow_private) {
                Some(message) => {
                    fields.problem(loc, "value_error", message);
                    None
                }
                None => Some(url),
            },
            Err(error) => {
                fields.problem(loc, "value_error", format!("the URL {error}"));
                None
            }
        }
    });
    let events = if fields.raw("events").is_some_and(|value| !value.is_null()) {
        fields.string_list("events").map(|names| {
            let mut events = Vec::new();
            for (index, name) in names.iter().enumerate() {
                match name.parse::<EventType>() {
                    Ok(event) if !events.contains(&event) => events.push(event),
                    Ok(_) => {}
                    Err(_) => fields.problem(
                        vec![json!("body"), json!("events"), json!(index)],
                        "enum",
                        format!(
                            "Input should be one of: {}",
                            EventType::ALL.map(|event| event.as_str()).join(", ")
                        ),
                    ),
                }
            }
            if names.is_empty() {
                fields.problem(
                    fields.loc("events"),
                    "value_error",
                    "name at least one event type, or leave events out (or null) for all",
                );
            }
            Some(events)
        })
    } else if fields.has("events") {
        Some(None)
    } else {
        None
    };
    let tenant = match fields.raw("tenant") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(value) => {
            let text = match value {
                Value::String(text) => Some(text.clone()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            };
            match text.as_deref().and_then(TenantKey::parse) {
                Some(key) => Some(Some(key)),
                None => {
                    fields.problem(
                        fields.loc("tenant"),
                        "value_error",
                        "Input should be a tenant id or name",
                    );
                    None
                }
            }
        }
    };
    let enabled = if fields.has("enabled") {
        fields.boolean("enabled")
    } else {
        None
    };
    fields.finish(|| {
        Some(Input {
            url,
            events,
            tenant,
            enabled,
        })
    })
}

/// Refuses, at registration, a URL whose host is itself a restricted IP address (a host
/// name is checked when a delivery resolves it).
fn literal_restriction(url: &WebhookUrl, allow_private: bool) -> Option<String> {
    let address: std::net::IpAddr = url.host.parse().ok()?;
    let kind = restricted_address(address)?;
    (!allow_private).then(|| {
        format!(
            "{address} is a {kind} address: webhooks may not target loopback, private or \
             link-local addresses unless TENANTRY_WEBHOOKS_ALLOW_PRIVATE is true"
        )
    })
}

/// The tenant a scope names, as an id; a 422 on `tenant` when there is none.
fn scope_of(
    session: &mut dyn Session,
    key: Option<TenantKey>,
) -> Result<Option<TenantId>, ApiError> {
    let Some(key) = key else { return Ok(None) };
    match find_tenant(session, &key) {
        Ok(tenant) => Ok(Some(tenant.id)),
        Err(_) => Err(ApiError::invalid(
            vec![json!("body"), json!("tenant")],
            "value_error",
            match key {
                TenantKey::Id(id) => format!("no tenant has the id {}", id.0),
                TenantKey::Name(name) => format!("no tenant is named {name}"),
            },
        )),
    }
}

fn audit(
    session: &mut dyn Session,
    context: &RequestContext,
    action: Action,
    details: Value,
) -> Result<(), ApiError> {
    session.record(&AuditEvent {
        at: context.now,
        actor: context.actor.clone(),
        action,
        tenant_id: None,
        tenant_name: None,
        request_id: context.request_id.clone(),
        source: context.source.clone(),
        outcome: Outcome::Success,
        details,
    })?;
    Ok(())
}

/// `POST /api/v1/admin/webhooks` `{"url", "events"?, "tenant"?}`: 201 with the secret.
pub async fn create(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    JsonObject(body): JsonObject,
) -> Result<HttpResponse, ApiError> {
    let input = read_input(&body, true, state.webhooks_allow_private)?;
    let Some(url) = input.url else {
        return Err(ApiError::invalid(
            vec![json!("body"), json!("url")],
            "missing",
            "Field required",
        ));
    };
    let context = caller.context(&state);
    let secret = new_secret()?;
    let created_by = caller.actor().to_string();
    let stored_secret = secret.clone();
    let webhook = state
        .change(move |session| {
            let tenant_id = scope_of(session, input.tenant.flatten())?;
            let webhook = session.create_webhook(&NewWebhook {
                url,
                events: input.events.flatten(),
                tenant_id,
                secret: stored_secret,
                created_by,
                at: context.now,
            })?;
            audit(
                session,
                &context,
                Action::WebhookCreate,
                webhook_json(&webhook),
            )?;
            Ok(webhook)
        })
        .await?;
    Ok(with_secret(HttpResponse::Created(), &webhook, &secret))
}

/// `GET /api/v1/admin/webhooks`
pub async fn list(
    state: web::Data<AppState>,
    _operator: Operator,
) -> Result<HttpResponse, ApiError> {
    let webhooks = state.read(|session| Ok(session.list_webhooks()?)).await?;
    let items: Vec<Value> = webhooks.iter().map(webhook_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `GET /api/v1/admin/webhooks/{webhook_id}`
pub async fn get(
    state: web::Data<AppState>,
    _operator: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let webhook = state
        .read(move |session| {
            session
                .find_webhook(id)?
                .ok_or(ApiError::Missing(NOT_FOUND))
        })
        .await?;
    Ok(HttpResponse::Ok().json(webhook_json(&webhook)))
}

/// `PATCH /api/v1/admin/webhooks/{webhook_id}` `{"url"?, "events"?, "tenant"?, "enabled"?}`
pub async fn patch(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    path: web::Path<String>,
    JsonObject(body): JsonObject,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let input = read_input(&body, false, state.webhooks_allow_private)?;
    let context = caller.context(&state);
    let webhook = state
        .change(move |session| {
            let tenant_id = match input.tenant {
                Some(key) => Some(scope_of(session, key)?),
                None => None,
            };
            let patch = WebhookPatch {
                url: input.url,
                events: input.events,
                tenant_id,
                enabled: input.enabled,
            };
            let webhook = session
                .update_webhook(id, &patch, context.now)?
                .ok_or(ApiError::Missing(NOT_FOUND))?;
            audit(
                session,
                &context,
                Action::WebhookUpdate,
                webhook_json(&webhook),
            )?;
            Ok(webhook)
        })
        .await?;
    Ok(HttpResponse::Ok().json(webhook_json(&webhook)))
}

/// `DELETE /api/v1/admin/webhooks/{webhook_id}`: 204; its pending deliveries go too.
pub async fn delete(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let context = caller.context(&state);
    state
        .change(move |session| {
            let webhook = session
                .find_webhook(id)?
                .ok_or(ApiError::Missing(NOT_FOUND))?;
            session.delete_webhook(id)?;
            audit(
                session,
                &context,
                Action::WebhookDelete,
                webhook_json(&webhook),
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/admin/webhooks/{webhook_id}/rotate-secret`: 200 with the new secret; the
/// old one keeps signing for [`ROTATION_GRACE`].
pub async fn rotate_secret(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let context = caller.context(&state);
    let secret = new_secret()?;
    let stored_secret = secret.clone();
    let webhook = state
        .change(move |session| {
            let grace_until = context.now + ROTATION_GRACE;
            let webhook = session
                .rotate_webhook_secret(id, &stored_secret, grace_until, context.now)?
                .ok_or(ApiError::Missing(NOT_FOUND))?;
            let details =
                json!({"webhook_id": id, "previous_secret_expires_at": timestamp(grace_until)});
            audit(session, &context, Action::WebhookRotateSecret, details)?;
            Ok(webhook)
        })
        .await?;
    Ok(with_secret(HttpResponse::Ok(), &webhook, &secret))
}

/// `GET /api/v1/admin/webhooks/{webhook_id}/deliveries?page=&per_page=`: newest first.
pub async fn deliveries(
    state: web::Data<AppState>,
    _operator: Operator,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let mut params = QueryParams::parse(request.query_string())?;
    params.forbid_others(&["page", "per_page"]);
    let (page, per_page) = params.paging();
    params.finish()?;
    let found = state
        .read(move |session| {
            session
                .find_webhook(id)?
                .ok_or(ApiError::Missing(NOT_FOUND))?;
            Ok(session.list_deliveries(id, page, per_page)?)
        })
        .await?;
    let items = found.items.iter().map(delivery_json).collect();
    Ok(HttpResponse::Ok().json(page_json(items, found.total, page, per_page)))
}

/// `POST /api/v1/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver`: 202;
/// a delivered or given-up delivery is due at once with a fresh series of attempts (same
/// `webhook-id`); a pending one is 409.
pub async fn redeliver(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (webhook, delivery) = path.into_inner();
    let id = webhook_id(&webhook)?;
    let delivery_id: i64 = delivery
        .parse()
        .map_err(|_| ApiError::Missing("Delivery not found"))?;
    let context = caller.context(&state);
    let delivery = state
        .change(move |session| {
            let delivery = session
                .redeliver(id, delivery_id, context.now)
                .map_err(|error| match error {
                    RepositoryError::Conflict { .. } => ApiError::Conflict(
                        "the delivery is still pending: it is attempted again at its \
                         next_attempt_at"
                            .into(),
                    ),
                    other => other.into(),
                })?
                .ok_or(ApiError::Missing("Delivery not found"))?;
            let details = json!({"webhook_id": id, "delivery_id": delivery_id, "event_id": delivery.message_id});
            audit(session, &context, Action::WebhookRedeliver, details)?;
            Ok(delivery)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(delivery_json(&delivery)))
}
