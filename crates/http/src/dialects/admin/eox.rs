//! `GET /api/v1/admin/tenants/{tenant_id}/eox-tenant`: the tenant as eox-tenant stores it.

use actix_web::{HttpResponse, web};
use serde_json::json;
use tenantry_tenant::eox::record_of;
use tenantry_tenant::operations::find_tenant;

use super::tenants::tenant_key;
use crate::core::auth::caller::Operator;
use crate::core::error::ApiError;
use crate::core::state::AppState;
use crate::shared::views::timestamp;

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

/// `GET /api/v1/admin/tenants/{tenant_id}/eox-tenant/sync`: where the tenant's sync to
/// the Open edX database stands. `enabled` is false when this node has no
/// `TENANTRY_EOX_DATABASE_URL`; `state` is `in_sync`, `pending`, `failing`, or `unknown`
/// for a tenant with no change since the sync was installed (`tenantry eox-tenant sync`
/// brings those in step).
pub async fn sync_state(
    state: web::Data<AppState>,
    _operator: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = tenant_key(&path)?;
    let (tenant, sync) = state
        .read(move |session| {
            let tenant = find_tenant(session, &key)?;
            let sync = session.eox_sync_state(&tenant.name)?;
            Ok((tenant, sync))
        })
        .await?;
    let time = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(timestamp);
    let body = match sync {
        Some(sync) => json!({
            "tenant": tenant.name.as_str(),
            "enabled": state.eox_sync_enabled,
            "state": match (sync.in_sync, &sync.last_error) {
                (true, _) => "in_sync",
                (false, Some(_)) => "failing",
                (false, None) => "pending",
            },
            "pending_since": time(sync.pending_since),
            "synced_at": time(sync.synced_at),
            "attempts": sync.attempts,
            "last_error": sync.last_error,
            "next_attempt_at": time(sync.next_attempt_at),
        }),
        None => json!({
            "tenant": tenant.name.as_str(),
            "enabled": state.eox_sync_enabled,
            "state": "unknown",
            "pending_since": null,
            "synced_at": null,
            "attempts": 0,
            "last_error": null,
            "next_attempt_at": null,
        }),
    };
    Ok(HttpResponse::Ok().json(body))
}
