//! Writing a prepared registration: the user, the link, the email and the audit event.

use serde_json::json;
use tenantry_tenant::{Action, AuditEvent, AuditSink, RepositoryError, RequestContext, Tenant};

use super::message::{compose, link_url, purpose_of};
use super::{PreparedRegistration, RegistrationError, ensure_open};
use crate::users::{NewEmail, NewLink, NewUser, Outbox, Taken, User, UserRepository};
use crate::{OutgoingEmail, PasswordHash, SecretToken};

/// A recorded registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The user as stored (its `id` is the Tahoe `user_id`).
    pub user: User,
    /// The email queued in the outbox, if any.
    pub email: Option<OutgoingEmail>,
}

/// Records a prepared registration through `ports`, which the caller runs in one
/// transaction: inserts the user (active per the decision, with `hash`), and when the
/// decision sends an email, stores a fresh single-use link (its digest only, expiring
/// after [`LinkPurpose::lifetime`](crate::LinkPurpose::lifetime)) and queues a plain-text
/// email naming the tenant's display name with the link
/// `{link_base}/activate/{secret}` or `{link_base}/password-reset/{secret}`; finally
/// audits `user.register` (user id, username, email, whether active, which email was
/// queued — never the password, its hash or the secret).
///
/// `link_base` is the public base URL without a trailing slash, e.g.
/// `https://tenantry.example.org`. The tenant is checked again, so a caller that re-reads
/// it inside the transaction refuses a tenant suspended meanwhile.
///
/// # Errors
/// [`RegistrationError::Taken`] when a concurrent registration took the username or the
/// email first (the store's conflict names one field; the other flag stays `false`);
/// [`RegistrationError::TenantClosed`]; [`RegistrationError::Randomness`];
/// [`RegistrationError::Repository`].
pub fn record_registration<P: UserRepository + Outbox + AuditSink + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    tenant: &Tenant,
    prepared: PreparedRegistration,
    hash: PasswordHash,
    link_base: &str,
) -> Result<Registered, RegistrationError> {
    ensure_open(tenant)?;
    let now = context.now;
    let decision = prepared.decision;
    let user = ports
        .insert_user(&NewUser {
            tenant_id: tenant.id,
            username: prepared.username,
            email: prepared.email,
            name: prepared.name,
            password_hash: Some(hash),
            is_active: decision.active,
            is_tenant_admin: false,
            created_at: now,
        })
        .map_err(conflict_to_taken)?;
    if let Some(email) = decision.email {
        let purpose = purpose_of(email);
        let secret = SecretToken::generate()?;
        ports.insert_link(&NewLink {
            user_id: user.id,
            purpose,
            digest: secret.digest(),
            created_at: now,
            expires_at: now + purpose.lifetime(),
        })?;
        let (subject, body) = compose(email, tenant, &user, &link_url(link_base, purpose, &secret));
        ports.enqueue_email(&NewEmail {
            tenant_id: Some(tenant.id),
            recipient: user.email.as_str().to_owned(),
            subject,
            body,
            created_at: now,
        })?;
    }
    let details = json!({
        "user_id": user.id,
        "username": user.username.as_str(),
        "email": user.email.as_str(),
        "active": user.is_active,
        "email_queued": decision.email.map(OutgoingEmail::as_str),
    });
    ports.record(&AuditEvent::success(
        context,
        Action::UserRegister,
        tenant,
        details,
    ))?;
    Ok(Registered {
        user,
        email: decision.email,
    })
}

/// A uniqueness conflict on `username` or `email` is the 409 of a registration that lost
/// a race; anything else stays a storage error.
fn conflict_to_taken(error: RepositoryError) -> RegistrationError {
    match &error {
        RepositoryError::Conflict { field } if field == "username" => {
            RegistrationError::Taken(Taken {
                username: true,
                email: false,
            })
        }
        RepositoryError::Conflict { field } if field == "email" => {
            RegistrationError::Taken(Taken {
                username: false,
                email: true,
            })
        }
        _ => RegistrationError::Repository(error),
    }
}
