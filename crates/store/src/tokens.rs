//! API tokens: rows of `api_tokens`, read with the name of the operator who created them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_registration::{ApiToken, NewApiToken, TokenDigest, TokenFilter, TokenScope};
use tenantry_tenant::TenantId;

use crate::connection::MultiBackend;
use crate::schema::{api_tokens, operators, tenants};
use crate::time::{from_db, to_db};
use crate::{DbConnection, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
struct TokenRow {
    id: i64,
    label: Option<String>,
    scope: String,
    tenant_id: Option<i64>,
    created_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
}

impl TokenRow {
    /// The token this row stores, created by `created_by`.
    fn into_token(self, created_by: Option<String>) -> Result<ApiToken, StoreError> {
        let scope = match (self.scope.as_str(), self.tenant_id) {
            ("admin", None) => TokenScope::Admin,
            ("registration", Some(tenant)) => TokenScope::Registration(TenantId(tenant)),
            (other, _) => return Err(StoreError::corrupt("api_tokens.scope", other)),
        };
        Ok(ApiToken {
            id: self.id,
            label: self.label,
            scope,
            created_by,
            created_at: from_db(self.created_at),
            revoked_at: self.revoked_at.map(from_db),
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = api_tokens, treat_none_as_default_value = false)]
struct NewTokenRow<'a> {
    digest: &'a str,
    label: Option<&'a str>,
    scope: &'static str,
    tenant_id: Option<i64>,
    operator_id: Option<i64>,
    created_at: NaiveDateTime,
}

/// Tokens with the username of their creator (NULL once that operator is gone).
type WithCreator = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::LeftJoin<api_tokens::table, operators::table>,
    MultiBackend,
>;

fn with_creator() -> WithCreator {
    api_tokens::table.left_join(operators::table).into_boxed()
}

/// The tokens `query` selects, in its order, with their creators.
fn load(conn: &mut DbConnection, query: WithCreator) -> Result<Vec<ApiToken>, StoreError> {
    let rows: Vec<(TokenRow, Option<String>)> = query
        .select((TokenRow::as_select(), operators::username.nullable()))
        .load(conn)?;
    rows.into_iter()
        .map(|(row, created_by)| row.into_token(created_by))
        .collect()
}

/// Stores `token` and reads it back by its digest (`RETURNING` does not work on the
/// multi-backend connection). An unknown tenant (for a registration token) or creator is
/// [`StoreError::NotFound`]; a digest already stored is a conflict on `token`.
///
/// Both are checked before the insert, so the common refusals do not depend on a failed
/// statement; a tenant deleted concurrently still fails the foreign key, inside a nested
/// transaction (a savepoint) that keeps the caller's transaction usable.
pub(crate) fn insert(conn: &mut DbConnection, token: &NewApiToken) -> Result<ApiToken, StoreError> {
    conn.transaction(|conn| {
        let tenant_id = token.scope.tenant_id().map(|tenant| tenant.0);
        if let Some(tenant_id) = tenant_id {
            let tenants: i64 = tenants::table
                .filter(tenants::id.eq(tenant_id))
                .count()
                .get_result(conn)?;
            if tenants == 0 {
                return Err(StoreError::NotFound);
            }
        }
        let operator_id = match &token.created_by {
            Some(username) => Some(
                operators::table
                    .filter(operators::username.eq(username))
                    .select(operators::id)
                    .first::<i64>(conn)?,
            ),
            None => None,
        };
        let row = NewTokenRow {
            digest: token.digest.as_str(),
            label: token.label.as_deref(),
            scope: token.scope.name(),
            tenant_id,
            operator_id,
            created_at: to_db(token.created_at),
        };
        diesel::insert_into(api_tokens::table)
            .values(&row)
            .execute(conn)?;
        find(conn, &token.digest)?.ok_or(StoreError::NotFound)
    })
}

/// The token with this digest.
pub(crate) fn find(
    conn: &mut DbConnection,
    digest: &TokenDigest,
) -> Result<Option<ApiToken>, StoreError> {
    let query = with_creator().filter(api_tokens::digest.eq(digest.as_str().to_owned()));
    Ok(load(conn, query)?.pop())
}

/// The token with this id.
pub(crate) fn get(conn: &mut DbConnection, id: i64) -> Result<Option<ApiToken>, StoreError> {
    let query = with_creator().filter(api_tokens::id.eq(id));
    Ok(load(conn, query)?.pop())
}

/// The tokens `filter` selects, oldest first.
pub(crate) fn list(
    conn: &mut DbConnection,
    filter: TokenFilter,
) -> Result<Vec<ApiToken>, StoreError> {
    let query = match filter {
        TokenFilter::Admin => with_creator().filter(api_tokens::scope.eq("admin")),
        TokenFilter::Tenant(tenant) => with_creator()
            .filter(api_tokens::scope.eq("registration"))
            .filter(api_tokens::tenant_id.eq(tenant.0)),
    };
    load(conn, query.order((api_tokens::created_at, api_tokens::id)))
}

/// Marks the token revoked at `at` unless it already is, and returns it.
pub(crate) fn revoke(
    conn: &mut DbConnection,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Option<ApiToken>, StoreError> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(to_db(at)))
    .execute(conn)?;
    get(conn, id)
}
