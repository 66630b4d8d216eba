//! Following the emailed links: activation (`GET /activate/{secret}`) and password reset
//! (`POST /password-reset/{secret}`).

use chrono::{DateTime, Utc};
use serde_json::json;
use tenantry_tenant::{
    Action, AuditEvent, AuditSink, PasswordPolicy, RepositoryError, RequestContext, Status, Tenant,
    TenantRepository,
};
use thiserror::Error;

use crate::users::{LinkPurpose, LinkState, User, UserRepository};
use crate::{PasswordError, PasswordHash, TokenDigest};

/// Why a link did not work.
#[derive(Debug, Error)]
pub enum LinkError {
    /// No link of this kind has this secret (or its user or tenant is gone).
    #[error("unknown link")]
    Unknown,
    /// The link was used before.
    #[error("the link was already used")]
    Used,
    /// The link expired.
    #[error("the link expired")]
    Expired,
    /// The new password breaks the tenant's policy (produced by the HTTP layer when it
    /// parses the password between [`check_password_reset`] and
    /// [`complete_password_reset`]).
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The user's tenant is not active; its links do nothing meanwhile (and are not used
    /// up).
    #[error("the tenant is {0}")]
    TenantClosed(Status),
    /// Storage failed.
    #[error(transparent)]
    Repository(#[from] RepositoryError),
}

/// Activates the user of an activation link and uses the link up; audits `user.activate`
/// on the user's tenant. Activating an already active user keeps its `activated_at`.
///
/// `secret` is the text from the link's path; `context.now` decides expiry.
///
/// # Errors
/// [`LinkError::Unknown`], [`LinkError::Used`] (also for the loser of two concurrent
/// uses), [`LinkError::Expired`], [`LinkError::TenantClosed`] (the link stays unused),
/// [`LinkError::Repository`].
pub fn activate<P: UserRepository + TenantRepository + AuditSink + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    secret: &str,
) -> Result<User, LinkError> {
    let (user, tenant) = use_link(ports, LinkPurpose::Activation, secret, context.now)?;
    ports.activate_user(user.id, None, context.now)?;
    let details = json!({
        "user_id": user.id,
        "username": user.username.as_str(),
    });
    ports.record(&AuditEvent::success(
        context,
        Action::UserActivate,
        &tenant,
        details,
    ))?;
    reread(ports, user.id)
}

/// The read phase of a password reset: the user a valid password-reset link is for and
/// the tenant's password policy to parse the new password with. The link is not used.
///
/// # Errors
/// [`LinkError::Unknown`], [`LinkError::Used`], [`LinkError::Expired`],
/// [`LinkError::TenantClosed`], [`LinkError::Repository`].
pub fn check_password_reset<P: UserRepository + TenantRepository + ?Sized>(
    ports: &mut P,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(User, PasswordPolicy), LinkError> {
    let digest = TokenDigest::of(secret);
    let (user, tenant) = valid_link(ports, LinkPurpose::PasswordReset, &digest, now)?;
    Ok((user, tenant.profile.settings.password_policy))
}

/// Completes a password reset: uses the link up (atomically: of two concurrent
/// completions one wins, the other gets [`LinkError::Used`]), sets `hash` as the user's
/// password, activates the user and audits `user.password_reset` (never the hash).
///
/// # Errors
/// As [`check_password_reset`].
pub fn complete_password_reset<P: UserRepository + TenantRepository + AuditSink + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    secret: &str,
    hash: PasswordHash,
) -> Result<User, LinkError> {
    let (user, tenant) = use_link(ports, LinkPurpose::PasswordReset, secret, context.now)?;
    ports.activate_user(user.id, Some(&hash), context.now)?;
    let details = json!({
        "user_id": user.id,
        "username": user.username.as_str(),
        "activated": !user.is_active,
    });
    ports.record(&AuditEvent::success(
        context,
        Action::UserPasswordReset,
        &tenant,
        details,
    ))?;
    reread(ports, user.id)
}

/// Checks the link, its user and tenant, then uses the link up.
fn use_link<P: UserRepository + TenantRepository + ?Sized>(
    ports: &mut P,
    purpose: LinkPurpose,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(User, Tenant), LinkError> {
    let digest = TokenDigest::of(secret);
    let (user, tenant) = valid_link(ports, purpose, &digest, now)?;
    // Another request may have used the link since it was read.
    match ports.use_link(purpose, &digest, now)? {
        LinkState::Valid(id) if id == user.id => Ok((user, tenant)),
        LinkState::Valid(_) | LinkState::Unknown => Err(LinkError::Unknown),
        LinkState::Used => Err(LinkError::Used),
        LinkState::Expired => Err(LinkError::Expired),
    }
}

/// The user and tenant of a link that is valid at `now`, without using it.
fn valid_link<P: UserRepository + TenantRepository + ?Sized>(
    ports: &mut P,
    purpose: LinkPurpose,
    digest: &TokenDigest,
    now: DateTime<Utc>,
) -> Result<(User, Tenant), LinkError> {
    let user_id = match ports.link_state(purpose, digest, now)? {
        LinkState::Valid(id) => id,
        LinkState::Unknown => return Err(LinkError::Unknown),
        LinkState::Used => return Err(LinkError::Used),
        LinkState::Expired => return Err(LinkError::Expired),
    };
    let user = ports.get_user(user_id)?.ok_or(LinkError::Unknown)?;
    let tenant = ports.get(user.tenant_id)?.ok_or(LinkError::Unknown)?;
    match tenant.status {
        Status::Active => Ok((user, tenant)),
        closed => Err(LinkError::TenantClosed(closed)),
    }
}

/// The user as stored after a change.
fn reread<P: UserRepository + ?Sized>(ports: &mut P, id: i64) -> Result<User, LinkError> {
    ports.get_user(id)?.ok_or(LinkError::Unknown)
}
