//! Issuing and redeeming impersonation secrets.

use serde_json::json;
use tenantry_tenant::{
    Action, AuditEvent, AuditSink, RepositoryError, RequestContext, Status, Tenant,
    TenantRepository,
};
use thiserror::Error;

use super::{ImpersonationRepository, ImpersonationState, NewImpersonation};
use crate::users::{User, UserRepository};
use crate::{SecretToken, TokenDigest, TokenError};

/// How long an impersonation secret works after it is issued: 5 minutes, enough for the
/// redirect to reach the tenant's site.
pub const IMPERSONATION_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

/// Why an impersonation secret was not issued or not redeemed.
#[derive(Debug, Error)]
pub enum ImpersonationError {
    /// No secret has this text (or its tenant or user is gone).
    #[error("unknown impersonation link")]
    Unknown,
    /// The secret was used before.
    #[error("the impersonation link was already used")]
    Used,
    /// The secret expired.
    #[error("the impersonation link expired")]
    Expired,
    /// The tenant has no active administrator to sign in as.
    #[error("the tenant has no active administrator")]
    NoAdmin,
    /// The tenant is not active; nobody signs in to it meanwhile.
    #[error("the tenant is {0}")]
    TenantClosed(Status),
    /// The secret could not be generated. An internal fault, never the client's.
    #[error("could not generate a secret: {0}")]
    Randomness(#[from] TokenError),
    /// Storage failed.
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Issues a single-use secret that signs in as `tenant`'s administrator (see
/// [`ImpersonationRepository::find_tenant_admin`]) on the tenant's site, valid for
/// [`IMPERSONATION_LIFETIME`] from `context.now`. Stores its digest only and audits
/// `tenant.impersonate` with the administrator's user id and username and the expiry —
/// never the secret.
///
/// The caller builds the redirect `https://<primary domain>/impersonate/<secret>` from
/// [`SecretToken::expose`].
///
/// # Errors
/// [`ImpersonationError::TenantClosed`] for a tenant that is not active;
/// [`ImpersonationError::NoAdmin`] when it has no administrator, or its administrator is
/// inactive; [`ImpersonationError::Randomness`]; [`ImpersonationError::Repository`].
pub fn issue_impersonation<P: ImpersonationRepository + AuditSink + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    tenant: &Tenant,
) -> Result<SecretToken, ImpersonationError> {
    ensure_active(tenant)?;
    let admin = ports
        .find_tenant_admin(tenant.id)?
        .filter(|admin| admin.is_active)
        .ok_or(ImpersonationError::NoAdmin)?;
    let secret = SecretToken::generate()?;
    let expires_at = context.now + IMPERSONATION_LIFETIME;
    ports.insert_impersonation(&NewImpersonation {
        tenant_id: tenant.id,
        user_id: admin.id,
        digest: secret.digest(),
        created_at: context.now,
        expires_at,
    })?;
    let details = json!({
        "user_id": admin.id,
        "username": admin.username.as_str(),
        "expires_at": expires_at.to_rfc3339(),
    });
    ports.record(&AuditEvent::success(
        context,
        Action::TenantImpersonate,
        tenant,
        details,
    ))?;
    Ok(secret)
}

/// Redeems an impersonation secret (the text from the redirect's path) at `context.now`:
/// uses it up, atomically (of two concurrent redemptions one wins, the other gets
/// [`ImpersonationError::Used`]), and returns the tenant and the administrator to sign in
/// as; audits `tenant.impersonation_redeem` with the user id and username.
///
/// Run it in one transaction and roll back on error: a redemption refused after the
/// secret was used up (closed tenant, administrator deactivated meanwhile) then leaves
/// the secret as it was.
///
/// # Errors
/// [`ImpersonationError::Unknown`], [`ImpersonationError::Used`],
/// [`ImpersonationError::Expired`]; [`ImpersonationError::TenantClosed`] when the tenant
/// is no longer active; [`ImpersonationError::NoAdmin`] when the user is no longer an
/// active administrator; [`ImpersonationError::Repository`].
pub fn redeem_impersonation<
    P: ImpersonationRepository + UserRepository + TenantRepository + AuditSink + ?Sized,
>(
    ports: &mut P,
    context: &RequestContext,
    secret: &str,
) -> Result<(Tenant, User), ImpersonationError> {
    let digest = TokenDigest::of(secret);
    let (tenant_id, user_id) = match ports.use_impersonation(&digest, context.now)? {
        ImpersonationState::Valid { tenant_id, user_id } => (tenant_id, user_id),
        ImpersonationState::Unknown => return Err(ImpersonationError::Unknown),
        ImpersonationState::Used => return Err(ImpersonationError::Used),
        ImpersonationState::Expired => return Err(ImpersonationError::Expired),
    };
    let user = ports
        .get_user(user_id)?
        .filter(|user| user.tenant_id == tenant_id)
        .ok_or(ImpersonationError::Unknown)?;
    let tenant = ports.get(tenant_id)?.ok_or(ImpersonationError::Unknown)?;
    ensure_active(&tenant)?;
    if !(user.is_tenant_admin && user.is_active) {
        return Err(ImpersonationError::NoAdmin);
    }
    let details = json!({
        "user_id": user.id,
        "username": user.username.as_str(),
    });
    ports.record(&AuditEvent::success(
        context,
        Action::ImpersonationRedeem,
        &tenant,
        details,
    ))?;
    Ok((tenant, user))
}

/// Refuses a tenant that is not [`Status::Active`].
fn ensure_active(tenant: &Tenant) -> Result<(), ImpersonationError> {
    match tenant.status {
        Status::Active => Ok(()),
        closed => Err(ImpersonationError::TenantClosed(closed)),
    }
}
