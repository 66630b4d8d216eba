//! Users: stored, checked for taken names and emails, found, listed and activated.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use tenantry_registration::{NewUser, PasswordHash, Taken, User, UserQuery};
use tenantry_tenant::search::{FIELD_SEPARATOR, fold};
use tenantry_tenant::{Page, TenantId};

use crate::connection::MultiBackend;
use crate::schema::users;
use crate::sql::{LIKE_ESCAPE, coalesce, count, escape_like};
use crate::time::to_db;
use crate::users::rows::{NewUserRow, UserRow};
use crate::{DbConnection, StoreError};

/// Stores `user` and reads it back by its unique (tenant, username) (`RETURNING` does not
/// work on the multi-backend connection).
///
/// A taken username or email is a conflict on `username` or `email`, an unknown tenant
/// [`StoreError::NotFound`]. Both come from the constraints, so that a concurrent
/// registration cannot slip between a check and the insert; the nested transaction (a
/// savepoint inside the caller's) keeps the caller's PostgreSQL transaction usable after
/// such a refusal.
pub(super) fn insert(conn: &mut DbConnection, user: &NewUser) -> Result<User, StoreError> {
    conn.transaction(|conn| {
        diesel::insert_into(users::table)
            .values(NewUserRow::of(user))
            .execute(conn)?;
        let row: UserRow = users::table
            .filter(users::tenant_id.eq(user.tenant_id.0))
            .filter(users::username.eq(user.username.as_str()))
            .select(UserRow::as_select())
            .first(conn)?;
        row.into_user()
    })
}

/// Whether the tenant has a user named exactly `username`, and one whose email is
/// `email` (trimmed and lower-cased, as [`tenantry_registration::Email::normalized`]
/// stores it).
pub(super) fn taken(
    conn: &mut DbConnection,
    tenant: TenantId,
    username: &str,
    email: &str,
) -> Result<Taken, StoreError> {
    let in_tenant = users::table.filter(users::tenant_id.eq(tenant.0));
    let by_username: i64 = in_tenant
        .filter(users::username.eq(username))
        .count()
        .get_result(conn)?;
    let by_email: i64 = in_tenant
        .filter(users::email_normalized.eq(email.trim().to_lowercase()))
        .count()
        .get_result(conn)?;
    Ok(Taken {
        username: by_username > 0,
        email: by_email > 0,
    })
}

/// The user with this id.
pub(super) fn get(conn: &mut DbConnection, id: i64) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = users::table
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(UserRow::into_user).transpose()
}

/// The tenant's users `query` selects, ordered by id, one page of them, with the total.
pub(super) fn list(
    conn: &mut DbConnection,
    tenant: TenantId,
    query: &UserQuery,
) -> Result<Page<User>, StoreError> {
    let total: i64 = matching(tenant, query).count().get_result(conn)?;
    let per_page = i64::from(query.per_page.max(1));
    let offset = i64::from(query.page.max(1) - 1).saturating_mul(per_page);
    let rows: Vec<UserRow> = matching(tenant, query)
        .select(UserRow::as_select())
        .order(users::id)
        .limit(per_page)
        .offset(offset)
        .load(conn)?;
    Ok(Page {
        items: rows
            .into_iter()
            .map(UserRow::into_user)
            .collect::<Result<_, _>>()?,
        total: count(total)?,
    })
}

/// The tenant's users whose username, email or name contains `query.search`,
/// case-insensitively over all of Unicode (`tenantry_tenant::search`) and literally (`%` and `_` match only themselves); an empty or
/// missing search matches every user.
fn matching(tenant: TenantId, query: &UserQuery) -> users::BoxedQuery<'static, MultiBackend> {
    let mut select = users::table
        .filter(users::tenant_id.eq(tenant.0))
        .into_boxed();
    if let Some(search) = query.search.as_deref().filter(|search| !search.is_empty()) {
        let folded = fold(search);
        if folded.contains(FIELD_SEPARATOR) {
            // No field holds a line break: nothing matches.
            return select.filter(sql::<Bool>("1 = 0"));
        }
        // Both sides are folded, so SQLite's ASCII-only case-insensitive LIKE changes nothing.
        select = select.filter(
            users::search_text
                .like(format!("%{}%", escape_like(&folded)))
                .escape(LIKE_ESCAPE),
        );
    }
    select
}

/// Marks the user active, keeps `activated_at` when it is set (otherwise `at`) and, when
/// given, replaces the password hash. An unknown id is [`StoreError::NotFound`].
pub(super) fn activate(
    conn: &mut DbConnection,
    id: i64,
    password_hash: Option<&PasswordHash>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let target = users::table.filter(users::id.eq(id));
    let activated = (
        users::is_active.eq(true),
        users::activated_at.eq(coalesce(users::activated_at, Some(to_db(at)))),
    );
    let updated = match password_hash {
        Some(hash) => diesel::update(target)
            .set((activated, users::password_hash.eq(hash.as_str())))
            .execute(conn)?,
        None => diesel::update(target).set(activated).execute(conn)?,
    };
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
