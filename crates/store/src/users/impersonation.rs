//! Impersonation secrets behind the registration crate's port
//! ([`ImpersonationRepository`] for [`TenantStore`]): stored by digest, used up
//! atomically, and a tenant's administrator found.
//!
//! A secret goes with its tenant and with its user (ON DELETE CASCADE).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use tenantry_registration::{
    ImpersonationRepository, ImpersonationState, NewImpersonation, TokenDigest, User,
};
use tenantry_tenant::{RepositoryError, TenantId};

use super::rows::UserRow;
use crate::schema::{impersonation_tokens, users};
use crate::time::to_db;
use crate::{DbConnection, StoreError, TenantStore};

impl ImpersonationRepository for TenantStore<'_> {
    fn insert_impersonation(&mut self, new: &NewImpersonation) -> Result<(), RepositoryError> {
        Ok(insert(self.conn(), new)?)
    }

    fn use_impersonation(
        &mut self,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<ImpersonationState, RepositoryError> {
        Ok(use_up(self.conn(), digest, now)?)
    }

    fn find_tenant_admin(&mut self, tenant: TenantId) -> Result<Option<User>, RepositoryError> {
        Ok(find_admin(self.conn(), tenant)?)
    }
}

/// Stores `new`. An unknown tenant or user is [`StoreError::NotFound`]; the nested
/// transaction (a savepoint) keeps the caller's PostgreSQL transaction usable after that
/// refusal.
fn insert(conn: &mut DbConnection, new: &NewImpersonation) -> Result<(), StoreError> {
    conn.transaction(|conn| {
        diesel::insert_into(impersonation_tokens::table)
            .values((
                impersonation_tokens::tenant_id.eq(new.tenant_id.0),
                impersonation_tokens::user_id.eq(new.user_id),
                impersonation_tokens::digest.eq(new.digest.as_str()),
                impersonation_tokens::created_at.eq(to_db(new.created_at)),
                impersonation_tokens::expires_at.eq(to_db(new.expires_at)),
                impersonation_tokens::used_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// What the secret with `digest` is at `now`, without using it. A used secret is `Used`
/// whether or not it has expired since.
fn state(
    conn: &mut DbConnection,
    digest: &TokenDigest,
    now: NaiveDateTime,
) -> Result<ImpersonationState, StoreError> {
    let row: Option<(i64, i64, NaiveDateTime, Option<NaiveDateTime>)> = impersonation_tokens::table
        .filter(impersonation_tokens::digest.eq(digest.as_str()))
        .select((
            impersonation_tokens::tenant_id,
            impersonation_tokens::user_id,
            impersonation_tokens::expires_at,
            impersonation_tokens::used_at,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => ImpersonationState::Unknown,
        Some((_, _, _, Some(_))) => ImpersonationState::Used,
        Some((_, _, expires_at, None)) if expires_at <= now => ImpersonationState::Expired,
        Some((tenant_id, user_id, _, None)) => ImpersonationState::Valid {
            tenant_id: TenantId(tenant_id),
            user_id,
        },
    })
}

/// Uses the secret up when it is valid at `now`.
///
/// One conditional `UPDATE` decides, as for links: of two concurrent uses, the one whose
/// update changes the row wins (`Valid`); the other's waits for the winner's row lock
/// (PostgreSQL, which then re-checks `used_at IS NULL`) or for the write lock (SQLite),
/// changes nothing, and reads the row as `Used`.
fn use_up(
    conn: &mut DbConnection,
    digest: &TokenDigest,
    now: DateTime<Utc>,
) -> Result<ImpersonationState, StoreError> {
    let now = to_db(now);
    let this_secret = impersonation_tokens::digest.eq(digest.as_str());
    let used = diesel::update(
        impersonation_tokens::table
            .filter(this_secret)
            .filter(impersonation_tokens::used_at.is_null())
            .filter(impersonation_tokens::expires_at.gt(now)),
    )
    .set(impersonation_tokens::used_at.eq(now))
    .execute(conn)?;
    if used == 0 {
        // Not valid: say why, as of the same instant.
        return state(conn, digest, now);
    }
    let (tenant_id, user_id): (i64, i64) = impersonation_tokens::table
        .filter(this_secret)
        .select((
            impersonation_tokens::tenant_id,
            impersonation_tokens::user_id,
        ))
        .first(conn)?;
    Ok(ImpersonationState::Valid {
        tenant_id: TenantId(tenant_id),
        user_id,
    })
}

/// Of the tenant's users flagged `is_tenant_admin`, the one with the lowest id.
fn find_admin(conn: &mut DbConnection, tenant: TenantId) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = users::table
        .filter(users::tenant_id.eq(tenant.0))
        .filter(users::is_tenant_admin.eq(true))
        .order(users::id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(UserRow::into_user).transpose()
}
