//! Tests of the registration rules, on in-memory ports.

mod available;
mod links;
mod prepare;
mod record;

use chrono::{DateTime, TimeZone, Utc};
use tenantry_tenant::testing::new_tenant;
use tenantry_tenant::{
    NewTenant, PasswordPolicy, RequestContext, Settings, Status, Tenant, TenantId, TenantName,
    TenantProfile, TenantRepository,
};

use super::*;
use crate::testing::InMemorySession;
use crate::users::{LinkPurpose, NewLink, NewUser, Taken, User, UserRepository};
use crate::{FullName, PasswordHash, TokenDigest, Username};

/// The display name every test tenant has.
const DISPLAY_NAME: &str = "Talent One Academy";
/// The public base URL given to `record_registration`.
const LINK_BASE: &str = "https://tenantry.example.org";
/// A password every test policy accepts.
const GOOD_PASSWORD: &str = "Correct-horse-9";

/// 2026-11-25 12:00:00 UTC, the time every test starts at.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

/// A context acting at `now` for API token 7.
fn context(now: DateTime<Utc>) -> RequestContext {
    RequestContext {
        actor: tenantry_tenant::Actor::Token(7),
        request_id: Some("req-1".into()),
        source: Some("192.0.2.1".into()),
        now,
    }
}

/// A policy that needs every character class, 10 to 64 characters.
fn strict_policy() -> PasswordPolicy {
    PasswordPolicy {
        min_length: 10,
        max_length: 64,
        require_uppercase: true,
        require_lowercase: true,
        require_digit: true,
        require_symbol: true,
    }
}

/// Stores a tenant named `name` in `status` with `policy`.
fn add_tenant(
    ports: &mut InMemorySession,
    name: &str,
    status: Status,
    policy: PasswordPolicy,
) -> Tenant {
    let settings = Settings {
        password_policy: policy,
        ..Settings::default()
    };
    ports
        .insert(&NewTenant {
            status,
            profile: TenantProfile {
                settings,
                ..TenantProfile::new(DISPLAY_NAME)
            },
            ..new_tenant(TenantName::parse(name).unwrap(), t0())
        })
        .unwrap()
}

/// An active tenant with the strict policy, in fresh ports.
fn setup() -> (InMemorySession, Tenant) {
    let mut ports = InMemorySession::new();
    let tenant = add_tenant(&mut ports, "talent1", Status::Active, strict_policy());
    (ports, tenant)
}

/// A complete, valid form for `ada`, with a password and no activation flag.
fn form() -> RegistrationForm {
    RegistrationForm {
        username: Some("ada_lovelace".into()),
        email: Some("Ada@Example.org".into()),
        name: Some("Ada Lovelace".into()),
        password: Some(GOOD_PASSWORD.into()),
        send_activation_email: None,
    }
}

/// A stand-in for an argon2id hash (hashing for real is slow and tested elsewhere).
fn hash() -> PasswordHash {
    PasswordHash::from_phc(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA".into(),
    )
    .unwrap()
}

/// Runs the whole registration as the HTTP layer does, with the fake hash.
fn register(
    ports: &mut InMemorySession,
    tenant: &Tenant,
    form: &RegistrationForm,
    now: DateTime<Utc>,
) -> Result<Registered, RegistrationError> {
    ensure_open(tenant)?;
    check_available(ports, tenant.id, form)?;
    let prepared = prepare_registration(form, tenant)?;
    record_registration(ports, &context(now), tenant, prepared, hash(), LINK_BASE)
}

/// Stores a user directly, as a concurrent registration would.
fn insert_existing(
    ports: &mut InMemorySession,
    tenant: TenantId,
    username: &str,
    email: &str,
) -> User {
    ports
        .insert_user(&NewUser {
            tenant_id: tenant,
            username: Username::parse(username).unwrap(),
            email: crate::Email::parse(email).unwrap(),
            name: FullName::parse("Someone Else").unwrap(),
            password_hash: None,
            is_active: true,
            is_tenant_admin: false,
            created_at: t0(),
        })
        .unwrap()
}

/// The secret in the link of the only email queued, for `path` (`activate` or
/// `password-reset`).
fn secret_in_email(ports: &InMemorySession, path: &str) -> String {
    let emails = ports.pending_emails();
    assert_eq!(emails.len(), 1, "{emails:?}");
    let prefix = format!("{LINK_BASE}/{path}/");
    let line = emails[0]
        .email
        .body
        .lines()
        .find(|line| line.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in {}", emails[0].email.body));
    line[prefix.len()..].to_owned()
}
