//! `/api/v1/admin/tenants/…`: list, create, read, patch, soft-delete and the lifecycle.

use std::time::Instant;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use tenantry_tenant::operations::{self, find_tenant};
use tenantry_tenant::{Action, Status, Tenant, TenantKey, TenantQuery};

use super::idempotency;
use super::input;
use crate::core::auth::caller::Operator;
use crate::core::body::JsonObject;
use crate::core::error::ApiError;
use crate::core::query::{QueryParams, page_json};
use crate::core::state::{AppState, CachedJson, cached_json, cached_json_response};
use crate::shared::audited;
use crate::shared::conditional::{etag, if_match};
use crate::shared::views::tenant_json;

/// Reads the `{tenant_id}` path segment: a numeric id or a tenant name.
pub fn tenant_key(segment: &str) -> Result<TenantKey, ApiError> {
    TenantKey::parse(segment).ok_or(ApiError::Missing("Tenant not found"))
}

/// A tenant response with its `ETag`.
pub fn tenant_response(
    mut builder: actix_web::HttpResponseBuilder,
    tenant: &Tenant,
    state: &AppState,
) -> HttpResponse {
    builder
        .insert_header((header::ETAG, etag(tenant.version)))
        .json(tenant_json(tenant, &state.urls))
}

/// `GET /api/v1/admin/tenants/`
pub async fn list(
    state: web::Data<AppState>,
    _operator: Operator,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut params = QueryParams::parse(request.query_string())?;
    params.forbid_others(&["page", "per_page", "search", "status", "partner_id"]);
    let (page, per_page) = params.paging();
    let status = params.parsed("status", str::parse::<Status>);
    let query = TenantQuery {
        search: params.text("search"),
        status,
        partner_id: params.text("partner_id"),
        page,
        per_page,
    };
    params.finish()?;
    let listed = listing(&state, query).await?;
    Ok(cached_json_response(listed))
}

/// The page `query` asks for, as JSON: from [`AppState::listings`] when this version of the
/// tenants was listed so within the staleness bound, else from the database. The recipe
/// is the resolve cache's (see `core::resolve_cache`): each instant is taken before its
/// read, and the page is labelled with the version read before it.
async fn listing(state: &web::Data<AppState>, query: TenantQuery) -> Result<CachedJson, ApiError> {
    let cache = &state.listings;
    // The cache lower-cases its keys; hex keeps `partner_id` case-sensitive. A key too long
    // to be kept (a long search) is read from the database every time.
    let key = hex::encode(format!(
        "{}|{}|{:?}|{:?}|{:?}",
        query.page, query.per_page, query.status, query.partner_id, query.search
    ));
    let checked_at = Instant::now();
    if cache.needs_version_check(checked_at) {
        let version = state.read(|session| Ok(session.routing_version()?)).await?;
        cache.confirm_version(version, checked_at);
    }
    if let Some(Some(hit)) = cache.get(&key) {
        return Ok(hit);
    }
    let read_at = Instant::now();
    let (page, per_page) = (query.page, query.per_page);
    let (version, found) = state
        .read(move |session| {
            let version = session.routing_version()?;
            Ok((version, session.list(&query)?))
        })
        .await?;
    let items = found
        .items
        .iter()
        .map(|tenant| tenant_json(tenant, &state.urls))
        .collect();
    let listed = cached_json(&page_json(items, found.total, page, per_page));
    cache.confirm_version(version, read_at);
    cache.insert(&key, Some(listed.clone()), version);
    Ok(listed)
}

/// `POST /api/v1/admin/tenants/`
pub async fn create(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    request: HttpRequest,
    JsonObject(body): JsonObject,
) -> Result<HttpResponse, ApiError> {
    let context = caller.context(&state);
    let replay = idempotency::Request::from_headers(&request, &context, &body)?;
    let parsed = input::create_tenant(&body);
    let input = match parsed {
        Ok(input) => input,
        Err(error) => {
            audited::record_failure(&state, context, Action::TenantCreate, None, &error).await;
            return Err(error);
        }
    };
    let key = Some(TenantKey::Name(input.name.clone()));
    let urls = state.urls.clone();
    let render_urls = state.urls.clone();
    let work_context = context.clone();
    let outcome = audited::change(
        &state,
        &context,
        Action::TenantCreate,
        key,
        move |session| {
            if let Some(replay) = &replay
                && let Some(stored) = replay.find(session)?
            {
                return Ok(stored);
            }
            let tenant = operations::create_tenant(session, &work_context, &urls, input)?;
            let body = tenant_json(&tenant, &render_urls).to_string();
            let response = idempotency::Reply::fresh(201, body, tenant.version);
            if let Some(replay) = &replay {
                replay.remember(session, &response)?;
            }
            Ok(response)
        },
    )
    .await?;
    Ok(outcome.respond())
}

/// `GET /api/v1/admin/tenants/{tenant_id}`
pub async fn get(
    state: web::Data<AppState>,
    _operator: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = tenant_key(&path)?;
    let tenant = state
        .read(move |session| Ok(find_tenant(session, &key)?))
        .await?;
    Ok(tenant_response(HttpResponse::Ok(), &tenant, &state))
}

/// `PATCH /api/v1/admin/tenants/{tenant_id}`, honouring `If-Match`.
pub async fn patch(
    state: web::Data<AppState>,
    Operator(caller): Operator,
    path: web::Path<String>,
    request: HttpRequest,
    JsonObject(body): JsonObject,
) -> Result<HttpResponse, ApiError> {
    let key = tenant_key(&path)?;
    let context = caller.context(&state);
    let expected = if_match(&request)?;
    let pinned = expected.is_some();
    let patch = match input::tenant_patch(&body) {
        Ok(patch) => patch,
        Err(error) => {
            audited::record_failure(&state, context, Action::TenantUpdate, Some(key), &error).await;
            return Err(error);
        }
    };
    let work_context = context.clone();
    let target = key.clone();
    let work = move |session: &mut dyn crate::core::storage::Session| {
        Ok(operations::update_tenant(
            session,
            &work_context,
            &target,
            &patch,
            expected.as_deref(),
        )?)
    };
    let tenant = if pinned {
        audited::change(&state, &context, Action::TenantUpdate, Some(key), work).await?
    } else {
        audited::change_unpinned(&state, &context, Action::TenantUpdate, Some(key), work).await?
    };
    Ok(tenant_response(HttpResponse::Ok(), &tenant, &state))
}

/// `DELETE /api/v1/admin/tenants/{tenant_id}`: a soft delete.
pub async fn delete(
    state: web::Data<AppState>,
    operator: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    transition(&state, operator, &path, Status::Deleted).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/admin/tenants/{tenant_id}/suspend`
pub async fn suspend(
    state: web::Data<AppState>,
    operator: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tenant = transition(&state, operator, &path, Status::Suspended).await?;
    Ok(tenant_response(HttpResponse::Ok(), &tenant, &state))
}

/// `POST /api/v1/admin/tenants/{tenant_id}/unsuspend`
pub async fn unsuspend(
    state: web::Data<AppState>,
    operator: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tenant = transition_from(&state, operator, &path, Status::Suspended).await?;
    Ok(tenant_response(HttpResponse::Ok(), &tenant, &state))
}

/// `POST /api/v1/admin/tenants/{tenant_id}/restore`
pub async fn restore(
    state: web::Data<AppState>,
    operator: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tenant = transition_from(&state, operator, &path, Status::Deleted).await?;
    Ok(tenant_response(HttpResponse::Ok(), &tenant, &state))
}

async fn transition(
    state: &web::Data<AppState>,
    Operator(caller): Operator,
    segment: &str,
    target: Status,
) -> Result<Tenant, ApiError> {
    let action = match target {
        Status::Suspended => Action::TenantSuspend,
        Status::Cancelled => Action::TenantCancel,
        Status::Deleted => Action::TenantDelete,
        Status::Active => Action::TenantUnsuspend,
    };
    let urls = state.urls.clone();
    audited::on_tenant(
        state,
        &caller,
        action,
        tenant_key(segment)?,
        move |session, context, key| {
            Ok(operations::change_status(
                session, context, &urls, key, target,
            )?)
        },
    )
    .await
}

async fn transition_from(
    state: &web::Data<AppState>,
    Operator(caller): Operator,
    segment: &str,
    from: Status,
) -> Result<Tenant, ApiError> {
    let key = tenant_key(segment)?;
    audited::activate_from(state, &caller, key, from, state.urls.clone()).await
}
