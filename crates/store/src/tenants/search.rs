//! The filters of a tenant listing, shared by its count and its page.

use diesel::dsl::sql;
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use tenantry_tenant::TenantQuery;

use crate::connection::MultiBackend;
use crate::schema::{domains, tenants};
use crate::sql::{LIKE_ESCAPE, escape_like, lower};

/// `status <> 'deleted'`, as a literal: the partial index `tenants_live_by_id` has this
/// condition, and a planner proves a query implies it only when it reads the value (a bound
/// parameter hides it from PostgreSQL's generic plans).
pub(crate) fn live() -> SqlLiteral<Bool> {
    sql::<Bool>("tenants.status <> 'deleted'")
}

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
        None => select.filter(live()),
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

#[cfg(test)]
mod tests {
    use tenantry_tenant::Status;

    #[test]
    fn the_live_literal_names_the_deleted_status() {
        assert_eq!(
            Status::Deleted.as_str(),
            "deleted",
            "update `live()` and its index"
        );
    }
}
