//! The filters of a tenant listing, shared by its count and its page.

use diesel::dsl::sql;
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use tenantry_tenant::TenantQuery;
use tenantry_tenant::search::{FIELD_SEPARATOR, fold};

use crate::connection::MultiBackend;
use crate::schema::tenants;
use crate::sql::{LIKE_ESCAPE, escape_like};
use crate::{Backend, DbConnection, StoreError};

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
///   host, taken literally, over all of Unicode (`tenantry_tenant::search`), looked up in
///   `search_text` on an index. An empty search matches everything.
pub(crate) fn matching(
    query: &TenantQuery,
    backend: Backend,
) -> tenants::BoxedQuery<'static, MultiBackend> {
    let mut select = tenants::table.into_boxed();
    select = match query.status {
        Some(status) => select.filter(tenants::status.eq(status.as_str())),
        None => select.filter(live()),
    };
    if let Some(partner_id) = &query.partner_id {
        select = select.filter(tenants::partner_id.eq(partner_id.clone()));
    }
    let Some(search) = query.search.as_deref().filter(|search| !search.is_empty()) else {
        return select;
    };
    let folded = fold(search);
    if folded.contains(FIELD_SEPARATOR) {
        // No field holds a line break: nothing matches (and no text spans two fields).
        return select.filter(sql::<Bool>("1 = 0"));
    }
    match backend {
        // The trigram index holds every run of three characters: a phrase of the search's
        // trigrams is exactly "contains it". Shorter searches have no trigram to look up.
        Backend::Sqlite if folded.chars().count() >= 3 => select.filter(
            sql::<Bool>(
                "tenants.id IN (SELECT rowid FROM tenants_search WHERE tenants_search MATCH ",
            )
            .bind::<Text, _>(fts_phrase(&folded))
            .sql(")"),
        ),
        Backend::Sqlite => select.filter(
            sql::<Bool>("instr(tenants.search_text, ")
                .bind::<Text, _>(folded)
                .sql(") > 0"),
        ),
        // pg_trgm's GIN index serves LIKE '%…%' (a search under three characters reads the
        // whole index, still not the table).
        Backend::Postgres => select.filter(
            tenants::search_text
                .like(format!("%{}%", escape_like(&folded)))
                .escape(LIKE_ESCAPE),
        ),
    }
}

/// Whether tenant search has its index: always on SQLite (FTS5 is built in); on
/// PostgreSQL only where migration `…000013_tenant_search` could create `pg_trgm`.
pub(crate) fn search_is_indexed(conn: &mut DbConnection) -> Result<bool, StoreError> {
    if conn.backend() == Backend::Sqlite {
        return Ok(true);
    }
    let found: i64 = diesel::sql_query(
        "SELECT count(*) AS count FROM pg_indexes WHERE indexname = 'tenants_search_trgm'",
    )
    .get_result::<Count>(conn)?
    .count;
    Ok(found > 0)
}

/// One count read with `sql_query`.
#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

/// `text` as one FTS5 phrase: in double quotes, a double quote written twice; nothing
/// inside a phrase is query syntax.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use tenantry_tenant::Status;

    use super::fts_phrase;

    #[test]
    fn an_fts_phrase_quotes_its_text() {
        assert_eq!(fts_phrase("ab c"), "\"ab c\"");
        assert_eq!(fts_phrase("say \"hi\" OR x*"), "\"say \"\"hi\"\" OR x*\"");
    }

    #[test]
    fn the_live_literal_names_the_deleted_status() {
        assert_eq!(
            Status::Deleted.as_str(),
            "deleted",
            "update `live()` and its index"
        );
    }
}
