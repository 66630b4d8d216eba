//! `GET /api/v1/admin/tenants/{tenant_id}/eox-tenant`: the tenant as eox-tenant stores it.

use actix_web::{HttpResponse, web};
use tenantry_tenant::eox::record_of;
use tenantry_tenant::operations::find_tenant;

use super::tenants::tenant_key;
use crate::core::auth::caller::Operator;
use crate::core::error::ApiError;
use crate::core::state::AppState;

/// The tenant's `TenantConfig` (JSON columns as objects) and routes; `meta.created_by`
/// is the operator the audit log names as its creator.
pub async fn get(
    state: web::Data<AppState>,
    _operator: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = tenant_key(&path)?;
    let urls = state.urls.clone();
    let record = state
        .read(move |session| {
            let tenant = find_tenant(session, &key)?;
            Ok(record_of(session, &urls, &tenant)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(record.to_json()))
}
