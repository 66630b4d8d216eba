//! API tokens: `/api/v1/admin/tokens` (operator-wide) and
//! `/api/v1/admin/tenants/{tenant_id}/tokens` (registration tokens of one tenant).
//! A token's secret is in the 201 response of its creation and nowhere else, ever.

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};
use tenantry_registration::{TokenFilter, TokenScope, issue_token, revoke_token};
use tenantry_tenant::operations::find_tenant;
use tenantry_tenant::{Action, Status, TenantError};

use super::tenants::tenant_key;
use crate::core::auth::caller::Operator;
use crate::core::body::JsonObject;
use crate::core::error::ApiError;
use crate::core::fields::Fields;
use crate::core::state::AppState;
use crate::shared::audited;
use crate::shared::views::token_json;

const MAX_LABEL_LENGTH: usize = 255;

fn label(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let mut fields = Fields::new(body, vec![json!("body")]);
    fields.forbid_others(&["label"]);
    let label = fields.optional_string("label").flatten();
    if let Some(text) = &label {
        let loc = fields.loc("label");
        if text.chars().count() > MAX_LABEL_LENGTH {
            fields.problem(
                loc,
                "string_too_long",
                "String should have at most 255 characters",
            );
        } else if text.chars().any(char::is_control) {
            // NUL is refused by PostgreSQL (a 500), CR/LF and escapes would reach logs and
            // terminals: the same rule and words as tenants' text fields.
            fields.problem(loc, "value_error", "must not contain control characters");
        }
    }
    fields.finish(|| Some(label))
}

fn created(issued: &tenantry_registration::IssuedToken) -> HttpResponse {
    let mut body = token_json(&issued.token);
    body["token"] = json!(issued.secret.expose());
    HttpResponse::Created()
        .insert_header(("cache-control", "no-store"))
        .json(body)
}

fn token_id(segment: &str) -> Result<i64, ApiError> {
    segment
        .parse()
        .map_err(|_| ApiError::Missing("Token not found"))
}

/// `POST /api/v1/admin/tokens` with an optional `{"label": …}`.
pub async fn create_admin(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    JsonObject(body): JsonObject,
) -> Result<HttpResponse, ApiError> {
    let label = label(&body)?;
    let context = caller.context(&state);
    let work_context = context.clone();
    let issued = audited::change(
        &state,
        &context,
        Action::TokenCreate,
        None,
        move |session| {
            Ok(issue_token(
                session,
                &work_context,
                TokenScope::Admin,
                label,
                None,
            )?)
        },
    )
    .await?;
    Ok(created(&issued))
}

/// `GET /api/v1/admin/tokens`
pub async fn list_admin(
    state: web::Data<AppState>,
    _operator: Operator,
) -> Result<HttpResponse, ApiError> {
    let tokens = state
        .read(|session| Ok(session.list_tokens(TokenFilter::Admin)?))
        .await?;
    let items: Vec<Value> = tokens.iter().map(token_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `DELETE /api/v1/admin/tokens/{token_id}`: revokes; 204.
pub async fn revoke_admin(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = token_id(&path)?;
    let context = caller.context(&state);
    let work_context = context.clone();
    audited::change(
        &state,
        &context,
        Action::TokenRevoke,
        None,
        move |session| {
            Ok(revoke_token(
                session,
                &work_context,
                id,
                TokenFilter::Admin,
                None,
            )?)
        },
    )
    .await?;
    // This node serves the revocation at once; others within the staleness bound.
    state.tokens.clear(state.monotonic_clock.now());
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/admin/tenants/{tenant_id}/tokens`: a registration token for the tenant.
pub async fn create_for_tenant(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    path: web::Path<String>,
    JsonObject(body): JsonObject,
) -> Result<HttpResponse, ApiError> {
    let key = tenant_key(&path)?;
    let label = label(&body)?;
    let context = caller.context(&state);
    let work_context = context.clone();
    let target = key.clone();
    let issued = audited::change(
        &state,
        &context,
        Action::TokenCreate,
        Some(key),
        move |session| {
            let tenant = find_tenant(session, &target)?;
            if tenant.status == Status::Deleted {
                return Err(TenantError::NotAllowed {
                    status: tenant.status,
                    reason: "a deleted tenant takes no registrations; restore it first",
                }
                .into());
            }
            Ok(issue_token(
                session,
                &work_context,
                TokenScope::Registration(tenant.id),
                label,
                Some(&tenant),
            )?)
        },
    )
    .await?;
    Ok(created(&issued))
}

/// `GET /api/v1/admin/tenants/{tenant_id}/tokens`
pub async fn list_for_tenant(
    state: web::Data<AppState>,
    _operator: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = tenant_key(&path)?;
    let tokens = state
        .read(move |session| {
            let tenant = find_tenant(session, &key)?;
            Ok(session.list_tokens(TokenFilter::Tenant(tenant.id))?)
        })
        .await?;
    let items: Vec<Value> = tokens.iter().map(token_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `DELETE /api/v1/admin/tenants/{tenant_id}/tokens/{token_id}`: revokes; 204.
pub async fn revoke_for_tenant(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant_segment, token_segment) = path.into_inner();
    let key = tenant_key(&tenant_segment)?;
    let id = token_id(&token_segment)?;
    let context = caller.context(&state);
    let work_context = context.clone();
    let target = key.clone();
    audited::change(
        &state,
        &context,
        Action::TokenRevoke,
        Some(key),
        move |session| {
            let tenant = find_tenant(session, &target)?;
            Ok(revoke_token(
                session,
                &work_context,
                id,
                TokenFilter::Tenant(tenant.id),
                Some(&tenant),
            )?)
        },
    )
    .await?;
    // This node serves the revocation at once; others within the staleness bound.
    state.tokens.clear(state.monotonic_clock.now());
    Ok(HttpResponse::NoContent().finish())
}
