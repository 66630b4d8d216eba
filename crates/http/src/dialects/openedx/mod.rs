//! The Open edX dialect (seed 000): `/api/tenant/v1/{health,list,create,delete/{name}}`.
//!
//! A thin adapter: it authenticates like the canonical API ([`crate::core::auth::caller`]), runs the
//! same domain operations through the same audited helpers ([`crate::shared::audited`]),
//! and only renames fields and reshapes bodies. Errors are `{"status":"error","message":…}`
//! ([`OpenEdxError`]).

mod error;
mod input;
pub mod openapi;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use tenantry_tenant::eox::every_tenant;
use tenantry_tenant::operations;
use tenantry_tenant::urls::Mfe;
use tenantry_tenant::{Action, Tenant, TenantKey, TenantName};

pub use error::OpenEdxError;

use crate::core::auth::caller::{Caller, authenticate_operator, origin};
use crate::core::body::read_fields;
use crate::core::error::ApiError;
use crate::core::routing::Resource;
use crate::core::state::AppState;
use crate::shared::audited;
use crate::shared::views::timestamp;

/// The address the hosts-file lines of a create answer point at, as in seed 000.
pub const HOSTS_IP: &str = "127.0.0.1";

/// What a successful create says, word for word as seed 000.
pub const CREATED_MESSAGE: &str =
    "Tenant created successfully. Add DNS entries to your hosts file.";

/// Registers the dialect's routes; other methods on them answer 405 in the dialect's shape.
pub fn configure(config: &mut web::ServiceConfig) {
    let resource = Resource::<OpenEdxError>::new;
    for resource in [
        resource("/api/tenant/v1/health").get(health),
        resource("/api/tenant/v1/list").get(list),
        resource("/api/tenant/v1/create").post(create),
        resource("/api/tenant/v1/delete/{tenant_name}").delete(delete),
    ] {
        config.service(resource.build());
    }
}

/// The caller, who must be an operator (or hold an `admin` token): 401 without valid
/// credentials, 403 with credentials that are not an operator's.
async fn operator(request: &HttpRequest) -> Result<Caller, OpenEdxError> {
    Ok(authenticate_operator(request).await?)
}

/// `GET /api/tenant/v1/health` (no auth): the live tenants' count, or 503.
async fn health(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    match state.read(|session| Ok(session.count_live()?)).await {
        Ok(count) => HttpResponse::Ok().json(json!({
            "status": "healthy",
            "eox_tenant_installed": true,
            "tenant_count": count,
        })),
        Err(error) => {
            let (request_id, _) = origin(&request);
            log::warn!(
                "Open edX health check: the database does not answer: {error} request_id={}",
                request_id.unwrap_or_default()
            );
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "unhealthy",
                "eox_tenant_installed": true,
                "message": "The database is unavailable.",
            }))
        }
    }
}

/// `GET /api/tenant/v1/list`: every live tenant (every status but deleted), by id.
async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, OpenEdxError> {
    operator(&request).await?;
    let tenants = state
        .read(|session| Ok(every_tenant(session, None)?))
        .await?;
    let items: Vec<Value> = tenants
        .iter()
        .map(|tenant| tenant_json(&state, tenant))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "status": "success",
        "count": items.len(),
        "tenants": items,
    })))
}

/// One tenant of the list.
fn tenant_json(state: &AppState, tenant: &Tenant) -> Value {
    let site = state.urls.site(&tenant.name);
    json!({
        "tenant_id": tenant.id.0,
        "tenant_name": tenant.name.as_str(),
        "platform_name": tenant.profile.display_name,
        "theme_name": tenant.profile.theme_name,
        "org_filter": tenant.profile.org_filter,
        "lms_url": site.lms_url(),
        "authn_url": site.mfe_url(Mfe::Authn),
        "learner_dashboard_url": site.mfe_url(Mfe::LearnerDashboard),
        "status": tenant.status.as_str(),
        "created_at": timestamp(tenant.created_at),
    })
}

/// `POST /api/tenant/v1/create`: the domain's `create_tenant` with the default domain,
/// audited as `tenant.create` (refusals too), answered 201 with seed 000's body and the
/// hosts-file lines.
async fn create(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, OpenEdxError> {
    let caller = operator(&request).await?;
    let body = read_fields(&request, payload.into_inner(), input::CREATE_BODY)
        .await
        .map_err(ApiError::from)?;
    let context = caller.context(&state);
    let input = match input::create_tenant(&body) {
        Ok(input) => input,
        Err(error) => {
            audited::record_failure(&state, context, Action::TenantCreate, None, &error).await;
            return Err(error.into());
        }
    };
    let key = Some(TenantKey::Name(input.name.clone()));
    let urls = state.urls.clone();
    let work_context = context.clone();
    let tenant = audited::change(
        &state,
        &context,
        Action::TenantCreate,
        key,
        move |session| {
            operations::create_tenant(session, &work_context, &urls, input)
                .map_err(error::in_dialect)
        },
    )
    .await?;
    let site = state.urls.site(&tenant.name);
    Ok(HttpResponse::Created().json(json!({
        "status": "success",
        "tenant_id": tenant.id.0,
        "tenant_name": tenant.name.as_str(),
        "lms_url": site.lms_url(),
        "authn_url": site.mfe_url(Mfe::Authn),
        "learner_dashboard_url": site.mfe_url(Mfe::LearnerDashboard),
        "message": CREATED_MESSAGE,
        "hosts_entries": site.hosts_entries(HOSTS_IP),
    })))
}

/// `DELETE /api/tenant/v1/delete/{tenant_name}`: removes the tenant for good (eox-tenant
/// deletes the `TenantConfig` and its `Route`s, so clients expect the name to be free).
async fn delete(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, OpenEdxError> {
    let caller = operator(&request).await?;
    let name = TenantName::parse(&path).map_err(|_| ApiError::Missing("Tenant not found"))?;
    let tenant = delete_tenant_permanently(&state, &caller, TenantKey::Name(name)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "status": "success",
        "message": format!("Tenant {} deleted successfully.", tenant.name),
    })))
}

/// Removes the tenant `key` names, in any status, and everything that belongs to it for
/// good — its own database too, through the shared permanent delete; audited as
/// `tenant.purge` (a refusal too).
pub async fn delete_tenant_permanently(
    state: &web::Data<AppState>,
    caller: &Caller,
    key: TenantKey,
) -> Result<Tenant, ApiError> {
    crate::shared::lifecycle::delete_permanently(state, caller, key).await
}
