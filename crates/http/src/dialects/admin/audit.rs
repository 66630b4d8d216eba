//! `GET /api/v1/admin/audit`: the audit log, newest first, filtered and paged.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use tenantry_tenant::{Action, Actor, AuditFilter, TenantKey};

use crate::core::auth::caller::Operator;
use crate::core::error::ApiError;
use crate::core::query::{QueryParams, page_json};
use crate::core::state::AppState;
use crate::shared::views::audit_json;

fn timestamp(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| "Input should be an RFC 3339 time such as 2026-11-25T12:00:00Z".to_owned())
}

/// `GET /api/v1/admin/audit?tenant=&action=&actor=&since=&until=&page=&per_page=`
pub async fn list(
    state: web::Data<AppState>,
    _operator: Operator,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let mut params = QueryParams::parse(request.query_string())?;
    params.forbid_others(&[
        "tenant", "action", "actor", "since", "until", "page", "per_page",
    ]);
    let (page, per_page) = params.paging();
    let tenant = params.parsed("tenant", |text| {
        TenantKey::parse(text).ok_or("Input should be a tenant id or name")
    });
    let mut filter = AuditFilter {
        action: params.parsed("action", str::parse::<Action>),
        actor: params.parsed("actor", str::parse::<Actor>),
        since: params.parsed("since", timestamp),
        until: params.parsed("until", timestamp),
        page,
        per_page,
        ..AuditFilter::default()
    };
    match tenant {
        Some(TenantKey::Id(id)) => filter.tenant_id = Some(id),
        Some(TenantKey::Name(name)) => filter.tenant_name = Some(name.to_string()),
        None => {}
    }
    params.finish()?;
    let found = state
        .read(move |session| Ok(session.list_audit(&filter)?))
        .await?;
    let items = found.items.iter().map(audit_json).collect();
    Ok(HttpResponse::Ok().json(page_json(items, found.total, page, per_page)))
}
