//! A tenant's administrator account, created with the tenant by the hosting panel
//! (`POST /api/create-tenant`, API.md §3).
//!
//! The creation runs in three steps, so that the slow hashing stays out of the database
//! transaction:
//!
//! 1. [`generate_admin_password`]: a random password, shown once in the response;
//! 2. hashing it (slow: on a blocking pool);
//! 3. [`record_tenant_admin`], in the transaction that creates the tenant: the user and
//!    the audit event.

use serde_json::json;
use tenantry_tenant::{
    Action, AuditEvent, AuditSink, PasswordPolicy, RepositoryError, RequestContext, Tenant,
};
use thiserror::Error;

use crate::users::{NewUser, Taken, User, UserRepository};
use crate::{Email, FullName, Password, PasswordGenerationError, PasswordHash, Username};

/// The username every tenant administrator gets.
pub const ADMIN_USERNAME: &str = "admin";

/// The full name every tenant administrator gets.
pub const ADMIN_FULL_NAME: &str = "Administrator";

/// The policy [`generate_admin_password`] generates for: 20 to 128 characters with every
/// character class. [`Password::generate_for`] makes such a password
/// [`Password::GENERATED_LENGTH`] (24) characters long.
pub const ADMIN_PASSWORD_POLICY: PasswordPolicy = PasswordPolicy {
    min_length: 20,
    max_length: 128,
    require_uppercase: true,
    require_lowercase: true,
    require_digit: true,
    require_symbol: true,
};

/// Why a tenant administrator was not recorded.
#[derive(Debug, Error)]
pub enum TenantAdminError {
    /// No email was given and `admin@<primary domain>` (or, without a domain,
    /// `admin@<tenant name>`) is not a valid address — a tenant name alone has no dot.
    #[error("no email for the tenant administrator: give one or add a domain to the tenant")]
    NoEmail,
    /// The tenant already has a user named `admin`, or one with the email.
    #[error("the tenant administrator's {} is already taken", taken_field(*.0))]
    Taken(Taken),
    /// Storage failed.
    #[error(transparent)]
    Repository(RepositoryError),
}

impl From<RepositoryError> for TenantAdminError {
    /// A uniqueness conflict on `username` or `email` is [`TenantAdminError::Taken`].
    fn from(error: RepositoryError) -> Self {
        match &error {
            RepositoryError::Conflict { field } if field == "username" => {
                TenantAdminError::Taken(Taken {
                    username: true,
                    email: false,
                })
            }
            RepositoryError::Conflict { field } if field == "email" => {
                TenantAdminError::Taken(Taken {
                    username: false,
                    email: true,
                })
            }
            _ => TenantAdminError::Repository(error),
        }
    }
}

fn taken_field(taken: Taken) -> &'static str {
    if taken.username { "username" } else { "email" }
}

/// A random password for a new tenant administrator: 25 characters from an alphabet
/// without look-alikes, with at least one uppercase letter, lowercase letter, digit and
/// symbol (it satisfies [`ADMIN_PASSWORD_POLICY`], and every tenant policy whose length
/// bounds admit 25 characters, the default one included).
///
/// It is returned to the hosting panel once (the `password` of the create-tenant
/// response) and stored only as its hash.
///
/// ```
/// use tenantry_registration::tenant_admin::{generate_admin_password, ADMIN_PASSWORD_POLICY};
/// use tenantry_registration::Password;
///
/// let password = generate_admin_password()?;
/// assert_eq!(password.expose().chars().count(), 25);
/// assert!(Password::parse(password.expose(), &ADMIN_PASSWORD_POLICY).is_ok());
/// # Ok::<(), tenantry_registration::PasswordGenerationError>(())
/// ```
///
/// # Errors
/// [`PasswordGenerationError::Randomness`] if the random number generator fails.
pub fn generate_admin_password() -> Result<Password, PasswordGenerationError> {
    Password::generate_for(&ADMIN_PASSWORD_POLICY)
}

/// The email a tenant administrator gets: `email` when given, otherwise
/// `admin@<primary domain>`, or `admin@<tenant name>` for a tenant without domains.
///
/// # Errors
/// [`TenantAdminError::NoEmail`] when no email is given and the fallback is not a valid
/// address.
pub fn admin_email(tenant: &Tenant, email: Option<Email>) -> Result<Email, TenantAdminError> {
    if let Some(email) = email {
        return Ok(email);
    }
    let host = match tenant.primary_domain() {
        Some(domain) => domain.to_string(),
        None => tenant.name.to_string(),
    };
    Email::parse(&format!("{ADMIN_USERNAME}@{host}")).map_err(|_| TenantAdminError::NoEmail)
}

/// Records the administrator of `tenant` through `ports`, in the caller's transaction
/// (the one that creates the tenant): an active user named [`ADMIN_USERNAME`], flagged
/// `is_tenant_admin`, with `hash` (of a password from [`generate_admin_password`]) and
/// the email chosen by [`admin_email`]; then audits `user.create_admin` (user id,
/// username, email — never the password or its hash).
///
/// The tenant's status is not checked: the hosting panel creates the administrator with
/// the tenant.
///
/// **The hosting API's `username` is the administrator's email**: the create-tenant
/// response (API.md §3) answers `"username": user.email`, as the seed did, because Open
/// edX signs users in with their email; the stored username stays `admin`.
///
/// # Errors
/// [`TenantAdminError::NoEmail`]; [`TenantAdminError::Taken`] when the tenant already
/// has a user named `admin` or one with that email; [`TenantAdminError::Repository`].
pub fn record_tenant_admin<P: UserRepository + AuditSink + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    tenant: &Tenant,
    email: Option<Email>,
    hash: PasswordHash,
) -> Result<User, TenantAdminError> {
    let email = admin_email(tenant, email)?;
    let user = ports.insert_user(&NewUser {
        tenant_id: tenant.id,
        username: admin_username(),
        email,
        name: admin_full_name(),
        password_hash: Some(hash),
        is_active: true,
        is_tenant_admin: true,
        created_at: context.now,
    })?;
    let details = json!({
        "user_id": user.id,
        "username": user.username.as_str(),
        "email": user.email.as_str(),
    });
    ports.record(&AuditEvent::success(
        context,
        Action::UserCreateAdmin,
        tenant,
        details,
    ))?;
    Ok(user)
}

/// [`ADMIN_USERNAME`] as a [`Username`].
fn admin_username() -> Username {
    // "admin" is 5 ASCII letters: a valid username; the test `the_constants_parse` proves
    // it, so the fallback is unreachable.
    Username::parse(ADMIN_USERNAME).unwrap_or_else(|_| unreachable!("\"admin\" is a username"))
}

/// [`ADMIN_FULL_NAME`] as a [`FullName`].
fn admin_full_name() -> FullName {
    // A plain word: a valid full name (see `the_constants_parse`).
    FullName::parse(ADMIN_FULL_NAME)
        .unwrap_or_else(|_| unreachable!("\"Administrator\" is a full name"))
}

#[cfg(test)]
mod tests;
