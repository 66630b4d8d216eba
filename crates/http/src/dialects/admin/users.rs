//! `GET /api/v1/admin/tenants/{tenant_id}/users`: a tenant's users, paged and searchable.
//! Password hashes never leave the store's side.

use actix_web::{HttpRequest, HttpResponse, web};
use tenantry_registration::UserQuery;
use tenantry_tenant::operations::find_tenant;

use super::tenants::tenant_key;
use crate::core::auth::caller::Operator;
use crate::core::error::ApiError;
use crate::core::query::{QueryParams, page_json};
use crate::core::state::AppState;
use crate::shared::views::user_json;

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
