//! The hosting-panel dialect (seed 002): `/api/create-tenant` and its nine siblings, with
//! the panel's field names (`serviceId`, `planId`, …), JSON or form parameters and the
//! `{"success": …}` envelope. Every endpoint is a thin adapter over the tenant operations
//! the canonical API uses; tenants are addressed by `serviceId`.

mod create;
mod error;
mod impersonation;
pub mod openapi;
mod params;
mod representation;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use tenantry_tenant::operations::{self, TenantPatch};
use tenantry_tenant::{Action, Status, Tenant, TenantKey};

pub use error::HostingError;
use params::{PanelBody, Params};
use representation::public_tenant;

use crate::core::auth::caller::Caller;
use crate::core::routing::Resource;
use crate::core::state::AppState;
use crate::shared::audited;

/// Registers the dialect's routes; other methods on them answer 405 in the panel's shape.
pub fn configure(config: &mut web::ServiceConfig) {
    let post = |path: &str| Resource::<HostingError>::new(path);
    for resource in [
        post("/api/create-tenant").post(create::create),
        post("/api/suspend-tenant").post(suspend),
        post("/api/unsuspend-tenant").post(unsuspend),
        post("/api/update-domain").post(update_domain),
        post("/api/update-tenant").post(update_tenant),
        post("/api/cancel-tenant").post(cancel),
        post("/api/delete-tenant").post(delete),
        post("/api/getTenant").post(get_tenant),
        post("/api/getTenantList").post(list),
        post("/api/v1/admin/impersonation/redeem").post(impersonation::redeem),
        post("/api/impersonate-tenant").get(impersonation::issue),
    ] {
        config.service(resource.build());
    }
}

type PanelResult = Result<HttpResponse, HostingError>;

/// Authenticates as an operator in this dialect's error shape.
pub async fn operator(request: &HttpRequest) -> Result<Caller, HostingError> {
    crate::core::auth::caller::authenticate_operator(request)
        .await
        .map_err(HostingError::Api)
}

fn success(message: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({"success": true, "message": message}))
}

/// The tenant with the request's `serviceId`.
async fn by_service_id(
    state: &web::Data<AppState>,
    params: &Params,
) -> Result<Tenant, HostingError> {
    let service_id = params.service_id()?;
    state
        .read(move |session| Ok(session.find_by_service_id(&service_id)?))
        .await
        .map_err(HostingError::Api)?
        .ok_or(HostingError::UnknownTenant)
}

fn key(tenant: &Tenant) -> TenantKey {
    TenantKey::Id(tenant.id)
}

async fn transition(
    state: &web::Data<AppState>,
    caller: &Caller,
    tenant: &Tenant,
    action: Action,
    target: Status,
) -> Result<Tenant, HostingError> {
    let changed = if action == Action::TenantUnsuspend {
        audited::activate_from(
            state,
            caller,
            key(tenant),
            Status::Suspended,
            state.urls.clone(),
        )
        .await
    } else {
        let urls = state.urls.clone();
        audited::on_tenant(
            state,
            caller,
            action,
            key(tenant),
            move |session, context, key| {
                Ok(operations::change_status(
                    session, context, &urls, key, target,
                )?)
            },
        )
        .await
    };
    changed.map_err(from_api)
}

/// Maps the shared error of a tenant operation into this dialect's answers.
fn from_api(error: crate::core::error::ApiError) -> HostingError {
    use crate::core::error::ApiError;
    match error {
        ApiError::Missing(_) => HostingError::UnknownTenant,
        ApiError::Conflict(message) => HostingError::Conflict(conflict_message(&message)),
        ApiError::Invalid(problems) => HostingError::BadRequest(
            problems
                .iter()
                .map(|problem| format!("{}: {}", panel_field(&problem.loc), problem.msg))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => HostingError::Api(other),
    }
}

/// The panel's name for the field a problem is located at (`["body","plan_id"]` →
/// `planId`; a list position names its list).
fn panel_field(loc: &[Value]) -> String {
    let field = loc
        .iter()
        .rev()
        .find_map(Value::as_str)
        .unwrap_or("parameters");
    match field {
        "plan_id" => "planId",
        "display_name" => "name",
        "admin_email" => "email",
        "service_id" => "serviceId",
        "domains" => "domain",
        other => other,
    }
    .to_owned()
}

fn conflict_message(message: &str) -> String {
    match message.strip_suffix(" is already taken") {
        Some(field) => error::taken(field),
        None => message.to_owned(),
    }
}

/// The caller (an operator), the parameters and the tenant they name by `serviceId`.
async fn addressed(
    state: &web::Data<AppState>,
    body: PanelBody,
) -> Result<(Caller, Params, Tenant), HostingError> {
    let (caller, params) = Params::from_body(body)?;
    let tenant = by_service_id(state, &params).await?;
    Ok((caller, params, tenant))
}

/// A status change of the addressed tenant, answered with `message`.
async fn lifecycle(
    state: web::Data<AppState>,
    body: PanelBody,
    (action, target, message): (Action, Status, &str),
) -> PanelResult {
    let (caller, _, tenant) = addressed(&state, body).await?;
    transition(&state, &caller, &tenant, action, target).await?;
    Ok(success(message))
}

async fn suspend(state: web::Data<AppState>, body: PanelBody) -> PanelResult {
    let change = (
        Action::TenantSuspend,
        Status::Suspended,
        "Tenant suspended successfully!",
    );
    lifecycle(state, body, change).await
}

async fn unsuspend(state: web::Data<AppState>, body: PanelBody) -> PanelResult {
    let change = (
        Action::TenantUnsuspend,
        Status::Active,
        "Tenant unsuspended successfully!",
    );
    lifecycle(state, body, change).await
}

async fn cancel(state: web::Data<AppState>, body: PanelBody) -> PanelResult {
    let change = (
        Action::TenantCancel,
        Status::Cancelled,
        "Domain(s) deleted successfully!",
    );
    lifecycle(state, body, change).await
}

async fn delete(state: web::Data<AppState>, body: PanelBody) -> PanelResult {
    let (caller, _, tenant) = addressed(&state, body).await?;
    crate::shared::lifecycle::delete_permanently(&state, &caller, key(&tenant))
        .await
        .map_err(from_api)?;
    Ok(success("Tenant deleted successfully!"))
}

/// `update-domain`: the new domain becomes primary and the old primary is released, in one
/// transaction.
async fn update_domain(state: web::Data<AppState>, body: PanelBody) -> PanelResult {
    let (caller, params, tenant) = addressed(&state, body).await?;
    let text = params.required("domain")?;
    let host = tenantry_tenant::DomainName::parse(&text)
        .map_err(|error| HostingError::BadRequest(format!("domain: {error}")))?;
    audited::on_tenant(
        &state,
        &caller,
        Action::DomainSetPrimary,
        key(&tenant),
        move |session, context, key| {
            let current = operations::find_tenant(session, key)?;
            let old = current.primary_domain().cloned();
            if old.as_ref() == Some(&host) {
                return Ok(current);
            }
            let moved = if current.has_domain(&host) {
                operations::set_primary_domain(session, context, key, &host)?
            } else {
                operations::add_domain(session, context, key, host.clone(), true)?
            };
            match old {
                Some(old) => Ok(operations::remove_domain(session, context, key, &old)?),
                None => Ok(moved),
            }
        },
    )
    .await
    .map_err(from_api)?;
    Ok(success("Domain updated successfully!"))
}

/// `update-tenant`: any of `name`, `email`, `planId`, `modules`, `epaper_frequency`.
async fn update_tenant(state: web::Data<AppState>, body: PanelBody) -> PanelResult {
    let (caller, params, tenant) = addressed(&state, body).await?;
    let mut patch = TenantPatch {
        display_name: params.text("name")?,
        plan_id: params.text("planId")?.map(Some),
        admin_email: params.text("email")?.map(Some),
        modules: params.modules()?,
        ..TenantPatch::default()
    };
    if let Some(frequency) = params.text("epaper_frequency")? {
        let mut metadata = serde_json::Map::new();
        metadata.insert("epaper_frequency".into(), Value::String(frequency));
        patch.metadata = Some(metadata);
    }
    audited::on_tenant(
        &state,
        &caller,
        Action::TenantUpdate,
        key(&tenant),
        move |session, context, key| {
            Ok(operations::update_tenant(
                session, context, key, &patch, None,
            )?)
        },
    )
    .await
    .map_err(from_api)?;
    Ok(success("Tenant updated successfully!"))
}

async fn get_tenant(state: web::Data<AppState>, body: PanelBody) -> PanelResult {
    let (_, _, tenant) = addressed(&state, body).await?;
    Ok(HttpResponse::Ok().json(json!({"success": true, "tenant": public_tenant(&tenant)})))
}

async fn list(state: web::Data<AppState>, request: HttpRequest) -> PanelResult {
    operator(&request).await?;
    let tenants = state
        .read(|session| Ok(crate::shared::lifecycle::all_live_tenants(session)?))
        .await
        .map_err(HostingError::Api)?;
    let tenants: Vec<Value> = tenants.iter().map(public_tenant).collect();
    Ok(HttpResponse::Ok().json(json!({"success": true, "tenants": tenants})))
}
