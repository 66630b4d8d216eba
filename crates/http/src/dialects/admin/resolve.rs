//! `GET /api/v1/resolve?host=`: which tenant serves a host name — the hot path.
//!
//! Answers come from [`crate::core::resolve_cache::ResolveCache`]. Before answering from the
//! cache, a node confirms the database's routing version whenever the last confirmation
//! is older than the configured staleness bound; a change on this node clears its cache
//! at once. So a removed or moved domain is served for at most that bound after another
//! node changed it, and never after this node did.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use tenantry_tenant::{DomainName, Tenant};

use crate::core::auth::caller::Caller;
use crate::core::error::ApiError;
use crate::core::query::QueryParams;
use crate::core::state::{AppState, CachedJson, cached_json, cached_json_response};

fn summary(tenant: &Tenant) -> Value {
    json!({
        "id": tenant.id.0,
        "name": tenant.name.as_str(),
        "status": tenant.status.as_str(),
        "primary_domain": tenant.primary_domain().map(|host| host.as_str()),
        "display_name": tenant.profile.display_name,
    })
}

/// `GET /api/v1/resolve?host=`
pub async fn resolve(
    state: web::Data<AppState>,
    _caller: Caller,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut params = QueryParams::parse(request.query_string())?;
    params.forbid_others(&["host"]);
    let host = match params.text("host") {
        Some(text) => params.parsed("host", |_| DomainName::from_host_header(&text)),
        None => {
            params.problem("host", "missing", "Field required");
            None
        }
    };
    params.finish()?;
    let Some(host) = host else {
        return Err(ApiError::Internal("a checked host is missing".into()));
    };
    let found = lookup(&state, host).await?;
    match found {
        Some(summary) => Ok(cached_json_response(summary)),
        None => Err(ApiError::Missing("No tenant serves this host")),
    }
}

async fn lookup(
    state: &web::Data<AppState>,
    host: DomainName,
) -> Result<Option<CachedJson>, ApiError> {
    let cache = &state.resolutions;
    // Each instant is taken before its database read: a read that started before a local
    // change must not confirm a version the change has since invalidated.
    let checked_at = Instant::now();
    if cache.needs_version_check(checked_at) {
        let version = state.read(|session| Ok(session.routing_version()?)).await?;
        cache.confirm_version(version, checked_at);
    }
    if let Some(hit) = cache.get(host.as_str()) {
        return Ok(hit);
    }
    let key = host.clone();
    let read_at = Instant::now();
    let (version, tenant) = state
        .read(move |session| {
            let version = session.routing_version()?;
            Ok((version, session.find_by_host(&key)?))
        })
        .await?;
    let answer = tenant.as_ref().map(|tenant| cached_json(&summary(tenant)));
    cache.confirm_version(version, read_at);
    cache.insert(host.as_str(), answer.clone(), version);
    Ok(answer)
}
