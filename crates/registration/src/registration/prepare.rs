//! The checks a registration passes before anything is written: the tenant is open, the
//! username and email are free, and every field parses.

use secrecy::{ExposeSecret, SecretString};
use tenantry_tenant::{Status, Tenant, TenantId};

use super::RegistrationError;
use crate::{
    ActivationDecision, Email, FullName, Password, SendActivationEmail, Username, decide,
    users::{Taken, UserRepository},
};

/// A Tahoe registration as received: raw text, nothing checked yet.
///
/// `None` means the field was absent. The HTTP layer turns a JSON boolean
/// `send_activation_email` into the text `"true"` or `"false"`. `Debug` does not print the
/// password.
#[derive(Debug, Clone, Default)]
pub struct RegistrationForm {
    /// The wanted username.
    pub username: Option<String>,
    /// The email address.
    pub email: Option<String>,
    /// The full name.
    pub name: Option<String>,
    /// The password; absent means "generate one and send a password-reset email". An
    /// empty text counts as given (and fails the policy), as in the Tahoe API, which
    /// tested for the key's presence.
    pub password: Option<SecretString>,
    /// `true` or `false` in any letter case; absent means `true`.
    pub send_activation_email: Option<String>,
}

/// A registration whose fields all passed, ready to be hashed and recorded with
/// [`record_registration`](super::record_registration).
///
/// `Debug` does not print the password ([`Password`] holds it as a `secrecy::SecretString`).
#[derive(Debug, Clone)]
pub struct PreparedRegistration {
    /// The username.
    pub username: Username,
    /// The email address.
    pub email: Email,
    /// The full name.
    pub name: FullName,
    /// The password to hash: the one given, or a generated one that satisfies the
    /// tenant's policy (nobody knows it; the user sets their own through the emailed
    /// password-reset link).
    pub password: Password,
    /// Whether the user starts active, and which email goes out.
    pub decision: ActivationDecision,
}

/// Refuses a tenant that is not [`Status::Active`] (suspended, cancelled or deleted
/// tenants take no registrations and activate no links).
///
/// # Errors
/// [`RegistrationError::TenantClosed`] with the tenant's status.
pub fn ensure_open(tenant: &Tenant) -> Result<(), RegistrationError> {
    match tenant.status {
        Status::Active => Ok(()),
        closed => Err(RegistrationError::TenantClosed(closed)),
    }
}

/// Refuses a registration whose username or email the tenant already has — the 409 that
/// the Tahoe API answers **before** validating any field.
///
/// It looks the raw values up as given (the store compares emails case-insensitively), so
/// a taken but otherwise invalid value is still a 409. An absent field is not looked up;
/// with both absent, the store is not asked. Call [`ensure_open`] first, so a closed
/// tenant does not reveal who is registered.
///
/// # Errors
/// [`RegistrationError::Taken`] naming what is taken; [`RegistrationError::Repository`]
/// if the store fails.
pub fn check_available<R: UserRepository + ?Sized>(
    repo: &mut R,
    tenant: TenantId,
    form: &RegistrationForm,
) -> Result<(), RegistrationError> {
    let username = form.username.as_deref();
    let email = form.email.as_deref();
    if username.is_none() && email.is_none() {
        return Ok(());
    }
    let found = repo.taken(
        tenant,
        username.unwrap_or_default(),
        email.unwrap_or_default(),
    )?;
    let taken = Taken {
        username: found.username && username.is_some(),
        email: found.email && email.is_some(),
    };
    if taken.any() {
        Err(RegistrationError::Taken(taken))
    } else {
        Ok(())
    }
}

/// Checks a registration against the tenant's rules and decides what happens to the new
/// user; nothing is written.
///
/// In order: the tenant must be active; `username`, `email` and `name` must be present
/// and valid (the first failing one is named); `send_activation_email` must be a boolean
/// when given (default `true`; checked even when the password is absent, where its value
/// is ignored); the password must satisfy the tenant's password policy. The activation
/// follows [`decide`]: with a password, the user is active unless an activation email is
/// sent; without one, a random password satisfying the policy is generated, the user
/// stays inactive and gets a password-reset email.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tenantry_registration::registration::{prepare_registration, RegistrationForm};
/// use tenantry_registration::OutgoingEmail;
/// use tenantry_tenant::testing::InMemoryTenants;
/// use tenantry_tenant::{NewTenant, Status, TenantName, TenantProfile, TenantRepository};
///
/// let mut tenants = InMemoryTenants::new();
/// let tenant = tenants.insert(&NewTenant {
///     name: TenantName::parse("talent1")?,
///     status: Status::Active,
///     profile: TenantProfile::new("Talent 1"),
///     domains: vec![],
///     created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
/// })?;
/// let form = RegistrationForm {
///     username: Some("ada".into()),
///     email: Some("ada@example.org".into()),
///     name: Some("Ada Lovelace".into()),
///     password: None,
///     send_activation_email: Some("True".into()),
/// };
/// let prepared = prepare_registration(&form, &tenant)?;
/// assert!(!prepared.decision.active);
/// assert_eq!(prepared.decision.email, Some(OutgoingEmail::PasswordReset));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`RegistrationError::TenantClosed`], [`RegistrationError::Invalid`],
/// [`RegistrationError::ActivationFlag`], or [`RegistrationError::Randomness`] when no
/// password could be generated.
pub fn prepare_registration(
    form: &RegistrationForm,
    tenant: &Tenant,
) -> Result<PreparedRegistration, RegistrationError> {
    ensure_open(tenant)?;
    let username = required(&form.username, "username", Username::parse)?;
    let email = required(&form.email, "email", Email::parse)?;
    let name = required(&form.name, "name", FullName::parse)?;
    let send = match &form.send_activation_email {
        None => SendActivationEmail::default(),
        Some(raw) => SendActivationEmail::parse(raw)
            .map_err(|error| RegistrationError::ActivationFlag(error.value))?,
    };
    let policy = &tenant.profile.settings.password_policy;
    let password = match &form.password {
        Some(raw) => Password::parse(raw.expose_secret(), policy)
            .map_err(|_| RegistrationError::invalid("password"))?,
        None => Password::generate_for(policy)?,
    };
    Ok(PreparedRegistration {
        username,
        email,
        name,
        password,
        decision: decide(form.password.is_some(), send.value()),
    })
}

/// Parses a required field, naming it when it is absent or invalid.
fn required<T, E>(
    raw: &Option<String>,
    field: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, RegistrationError> {
    raw.as_deref()
        .ok_or(RegistrationError::invalid(field))
        .and_then(|raw| parse(raw).map_err(|_| RegistrationError::invalid(field)))
}
