//! The filters of a tenant listing, shared by its count and its page.

use diesel::prelude::*;
use tenantry_tenant::{Status, TenantQuery};

use crate::connection::MultiBackend;
use crate::schema::{domains, tenants};
use crate::sql::{LIKE_ESCAPE, escape_like, lower};

/// The tenants `query` selects, before ordering and paging:
///
/// - `status`: that status; none given, every status but `deleted`;
/// - `partner_id`: that partner;
/// - `search`: a case-insensitive substring of the name, the display name or any domain
///   host, taken literally. An empty search matches everything.
pub(crate) fn matching(query: &TenantQuery) -> tenants::BoxedQuery<'static, MultiBackend> {
    let mut select = tenants::table.into_boxed();
    select = match query.status {
        Some(status) => select.filter(tenants::status.eq(status.as_str())),
        None => select.filter(tenants::status.ne(Status::Deleted.as_str())),
    };
    if let Some(partner_id) = &query.partner_id {
        select = select.filter(tenants::partner_id.eq(partner_id.clone()));
    }
    if let Some(search) = query.search.as_deref().filter(|search| !search.is_empty()) {
        let pattern = format!("%{}%", escape_like(search));
        let by_host = domains::table.select(domains::tenant_id).filter(
            lower(domains::host)
                .like(lower(pattern.clone()))
                .escape(LIKE_ESCAPE),
        );
        select = select.filter(
            lower(tenants::name)
                .like(lower(pattern.clone()))
                .escape(LIKE_ESCAPE)
                .or(lower(tenants::display_name)
                    .like(lower(pattern.clone()))
                    .escape(LIKE_ESCAPE))
                .or(tenants::id.eq_any(by_host)),
        );
    }
    select
}
