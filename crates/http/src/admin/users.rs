//! `GET /api/v1/admin/tenants/{tenant_id}/users`: a tenant's users, paged and searchable.
//! Password hashes never leave the store's side.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use tenantry_registration::{User, UserQuery};
use tenantry_tenant::operations::find_tenant;

use super::query::{QueryParams, page_json};
use super::representation::timestamp;
use super::tenants::tenant_key;
use crate::caller::Operator;
use crate::error::ApiError;
use crate::state::AppState;

/// A user as operators see one.
pub fn user_json(user: &User) -> Value {
    json!({
        "id": user.id,
        "tenant_id": user.tenant_id.0,
        "username": user.username.as_str(),
        "email": user.email.as_str(),
        "name": user.name.as_str(),
        "is_active": user.is_active,
        "is_tenant_admin": user.is_tenant_admin,
        "has_password": user.password_hash.is_some(),
        "created_at": timestamp(user.created_at),
        "activated_at": user.activated_at.map(timestamp),
    })
}

/// `GET /api/v1/admin/tenants/{tenant_id}/users?search=&page=&per_page=`
pub async fn list(
    state: web::Data<AppState>,
    _operator: Operator,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let key = tenant_key(&path)?;
    let mut params = QueryParams::parse(request.query_string())?;
    params.forbid_others(&["search", "page", "per_page"]);
    let (page, per_page) = params.paging();
    let query = UserQuery {
        search: params.text("search"),
        page,
        per_page,
    };
    params.finish()?;
    let found = state
        .read(move |session| {
            let tenant = find_tenant(session, &key)?;
            Ok(session.list_users(tenant.id, &query)?)
        })
        .await?;
    let items = found.items.iter().map(user_json).collect();
    Ok(HttpResponse::Ok().json(page_json(items, found.total, page, per_page)))
}
