//! `/api/v1/admin/tenants/{tenant_id}/domains…`: list, add, remove, set primary.

use actix_web::{HttpResponse, web};
use serde_json::json;
use tenantry_tenant::operations::{self, find_tenant};
use tenantry_tenant::{Action, DomainName, Tenant};

use super::input;
use super::tenants::{tenant_key, tenant_response};
use crate::core::auth::caller::Operator;
use crate::core::body::JsonObject;
use crate::core::error::ApiError;
use crate::core::state::AppState;
use crate::shared::audited;

fn domains_json(tenant: &Tenant) -> serde_json::Value {
    json!({
        "items": tenant.domains.iter().map(|domain| json!({
            "host": domain.host.as_str(),
            "is_primary": domain.is_primary,
        })).collect::<Vec<_>>(),
    })
}

fn host(segment: &str) -> Result<DomainName, ApiError> {
    DomainName::parse(segment).map_err(|_| ApiError::Missing("Domain not found"))
}

/// `GET …/{tenant_id}/domains`
pub async fn list(
    state: web::Data<AppState>,
    _operator: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = tenant_key(&path)?;
    let tenant = state
        .read(move |session| Ok(find_tenant(session, &key)?))
        .await?;
    Ok(HttpResponse::Ok().json(domains_json(&tenant)))
}

/// `POST …/{tenant_id}/domains` with `{"host": …, "is_primary": false}`; 201 with the
/// tenant.
pub async fn add(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    path: web::Path<String>,
    JsonObject(body): JsonObject,
) -> Result<HttpResponse, ApiError> {
    let key = tenant_key(&path)?;
    let context = caller.context(&state);
    let (host, primary) = match input::domain(&body) {
        Ok(parsed) => parsed,
        Err(error) => {
            audited::record_failure(&state, context, Action::DomainAdd, Some(key), &error).await;
            return Err(error);
        }
    };
    let tenant = audited::on_tenant(
        &state,
        &caller,
        Action::DomainAdd,
        key,
        move |session, context, key| {
            Ok(operations::add_domain(
                session,
                context,
                key,
                host.clone(),
                primary,
            )?)
        },
    )
    .await?;
    Ok(tenant_response(HttpResponse::Created(), &tenant, &state))
}

/// `DELETE …/{tenant_id}/domains/{host}`; 200 with the tenant.
pub async fn remove(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, host_segment) = path.into_inner();
    let host = host(&host_segment)?;
    let tenant = audited::on_tenant(
        &state,
        &caller,
        Action::DomainRemove,
        tenant_key(&tenant)?,
        move |session, context, key| Ok(operations::remove_domain(session, context, key, &host)?),
    )
    .await?;
    Ok(tenant_response(HttpResponse::Ok(), &tenant, &state))
}

/// `POST …/{tenant_id}/domains/{host}/primary`; 200 with the tenant.
pub async fn set_primary(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, host_segment) = path.into_inner();
    let host = host(&host_segment)?;
    let tenant = audited::on_tenant(
        &state,
        &caller,
        Action::DomainSetPrimary,
        tenant_key(&tenant)?,
        move |session, context, key| {
            Ok(operations::set_primary_domain(
                session, context, key, &host,
            )?)
        },
    )
    .await?;
    Ok(tenant_response(HttpResponse::Ok(), &tenant, &state))
}
