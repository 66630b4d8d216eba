//! Tests of impersonation, on in-memory ports, with explicit times.

use chrono::Duration;
use serde_json::json;
use tenantry_tenant::{
    Action, Outcome, RepositoryError, Status, Tenant, TenantId, TenantRepository,
};

use super::*;
use crate::testing::InMemorySession;
use crate::testing::fixtures::{context, t0};
use crate::users::{NewUser, User, UserRepository};
use crate::{Email, FullName, SecretToken, TokenDigest, Username};

/// An active tenant with an administrator (and a plain user before it).
fn setup() -> (InMemorySession, Tenant, User) {
    let mut ports = InMemorySession::new();
    let tenant = ports.add_tenant("talent1", Status::Active, &["learn.example.com"]);
    ports.add_user(tenant.id, "learner", false);
    let admin = ports.add_user(tenant.id, "admin", true);
    (ports, tenant, admin)
}

fn issue(ports: &mut InMemorySession, tenant: &Tenant) -> SecretToken {
    issue_impersonation(ports, &context(t0()), tenant).unwrap()
}

#[test]
fn the_lifetime_is_five_minutes() {
    assert_eq!(IMPERSONATION_LIFETIME, Duration::minutes(5));
}

#[test]
fn issuing_stores_the_digest_and_audits_the_admin_not_the_secret() {
    let (mut ports, tenant, admin) = setup();
    let secret = issue(&mut ports, &tenant);
    assert_eq!(secret.expose().len(), SecretToken::LENGTH);

    let [event] = ports.events() else {
        panic!("one event expected: {:?}", ports.events());
    };
    assert_eq!(event.action, Action::TenantImpersonate);
    assert_eq!(event.action.as_str(), "tenant.impersonate");
    assert_eq!(
        (event.outcome, event.tenant_id),
        (Outcome::Success, Some(tenant.id))
    );
    assert_eq!(
        event.details,
        json!({
            "user_id": admin.id,
            "username": "admin",
            "expires_at": "2026-11-25T12:05:00+00:00",
        })
    );
    let details = event.details.to_string();
    assert!(!details.contains(secret.expose()));
    assert!(!details.contains(secret.digest().as_str()));

    // Stored by the secret's digest, valid until the issue time plus the lifetime.
    let expiry = t0() + IMPERSONATION_LIFETIME;
    assert_eq!(
        ports.use_impersonation(&secret.digest(), expiry),
        Ok(ImpersonationState::Expired)
    );
    assert_eq!(
        ports.use_impersonation(&secret.digest(), expiry - Duration::seconds(1)),
        Ok(ImpersonationState::Valid {
            tenant_id: tenant.id,
            user_id: admin.id
        })
    );
}

#[test]
fn a_closed_tenant_gets_no_secret() {
    for status in [Status::Suspended, Status::Cancelled, Status::Deleted] {
        let mut ports = InMemorySession::new();
        let tenant = ports.add_tenant("talent1", status, &["learn.example.com"]);
        ports.add_user(tenant.id, "admin", true);
        let result = issue_impersonation(&mut ports, &context(t0()), &tenant);
        assert!(
            matches!(result, Err(ImpersonationError::TenantClosed(s)) if s == status),
            "{status:?}: {result:?}"
        );
        assert!(ports.events().is_empty());
    }
}

#[test]
fn a_tenant_without_an_active_admin_gets_no_secret() {
    let mut ports = InMemorySession::new();
    let tenant = ports.add_tenant("talent1", Status::Active, &["learn.example.com"]);
    let other = ports.add_tenant("talent2", Status::Active, &["two.example.com"]);
    ports.add_user(tenant.id, "learner", false);
    ports.add_user(other.id, "admin", true);
    let result = issue_impersonation(&mut ports, &context(t0()), &tenant);
    assert!(
        matches!(result, Err(ImpersonationError::NoAdmin)),
        "{result:?}"
    );

    ports
        .insert_user(&NewUser {
            tenant_id: tenant.id,
            username: Username::parse("admin").unwrap(),
            email: Email::parse("admin@learn.example.com").unwrap(),
            name: FullName::parse("Administrator").unwrap(),
            password_hash: None,
            is_active: false,
            is_tenant_admin: true,
            created_at: t0(),
        })
        .unwrap();
    let result = issue_impersonation(&mut ports, &context(t0()), &tenant);
    assert!(
        matches!(result, Err(ImpersonationError::NoAdmin)),
        "an inactive admin does not count: {result:?}"
    );
    assert!(ports.events().is_empty());
}

#[test]
fn the_admin_is_the_lowest_id_admin_of_the_tenant() {
    let mut ports = InMemorySession::new();
    let tenant = ports.add_tenant("talent1", Status::Active, &[]);
    let other = ports.add_tenant("talent2", Status::Active, &[]);
    ports.add_user(other.id, "theirs", true);
    ports.add_user(tenant.id, "learner", false);
    let first = ports.add_user(tenant.id, "first", true);
    ports.add_user(tenant.id, "second", true);
    assert_eq!(ports.find_tenant_admin(tenant.id), Ok(Some(first)));
    assert_eq!(ports.find_tenant_admin(TenantId(99)), Ok(None));
}

#[test]
fn a_secret_is_redeemed_once() {
    let (mut ports, tenant, admin) = setup();
    let secret = issue(&mut ports, &tenant);
    let now = t0() + Duration::minutes(1);
    let (found, user) = redeem_impersonation(&mut ports, &context(now), secret.expose()).unwrap();
    assert_eq!((found.id, user.clone()), (tenant.id, admin.clone()));

    let event = &ports.events()[1];
    assert_eq!(event.action, Action::ImpersonationRedeem);
    assert_eq!(event.action.as_str(), "tenant.impersonation_redeem");
    assert_eq!((event.at, event.tenant_id), (now, Some(tenant.id)));
    assert_eq!(
        event.details,
        json!({ "user_id": admin.id, "username": "admin" })
    );

    let again = redeem_impersonation(&mut ports, &context(now), secret.expose());
    assert!(matches!(again, Err(ImpersonationError::Used)), "{again:?}");
    let later = context(t0() + Duration::hours(1));
    let after_expiry = redeem_impersonation(&mut ports, &later, secret.expose());
    assert!(
        matches!(after_expiry, Err(ImpersonationError::Used)),
        "used stays used after expiry: {after_expiry:?}"
    );
    assert_eq!(ports.events().len(), 2);
}

#[test]
fn a_secret_expires_after_five_minutes() {
    let (mut ports, tenant, admin) = setup();
    let late = issue(&mut ports, &tenant);
    let expiry = t0() + IMPERSONATION_LIFETIME;
    let result = redeem_impersonation(&mut ports, &context(expiry), late.expose());
    assert!(
        matches!(result, Err(ImpersonationError::Expired)),
        "{result:?}"
    );

    let in_time = issue(&mut ports, &tenant);
    let just_before = expiry - Duration::milliseconds(1);
    let (_, user) =
        redeem_impersonation(&mut ports, &context(just_before), in_time.expose()).unwrap();
    assert_eq!(user.id, admin.id);
}

#[test]
fn an_unknown_secret_is_refused() {
    let (mut ports, tenant, _) = setup();
    let secret = issue(&mut ports, &tenant);
    for text in ["", "not-a-secret", &secret.expose()[1..]] {
        let result = redeem_impersonation(&mut ports, &context(t0()), text);
        assert!(
            matches!(result, Err(ImpersonationError::Unknown)),
            "{result:?}"
        );
    }
    assert_eq!(ports.events().len(), 1, "only the issue");
    redeem_impersonation(&mut ports, &context(t0()), secret.expose()).unwrap();
}

#[test]
fn a_tenant_closed_after_issue_is_refused() {
    let (mut ports, tenant, _) = setup();
    let secret = issue(&mut ports, &tenant);
    let mut suspended = ports.get(tenant.id).unwrap().unwrap();
    suspended.status = Status::Suspended;
    ports.save(&suspended).unwrap();
    let result = redeem_impersonation(&mut ports, &context(t0()), secret.expose());
    assert!(
        matches!(
            result,
            Err(ImpersonationError::TenantClosed(Status::Suspended))
        ),
        "{result:?}"
    );
    assert_eq!(ports.events().len(), 1);
}

#[test]
fn a_purged_tenant_makes_its_secrets_unknown() {
    let (mut ports, tenant, _) = setup();
    let secret = issue(&mut ports, &tenant);
    ports.delete(tenant.id).unwrap();
    let result = redeem_impersonation(&mut ports, &context(t0()), secret.expose());
    assert!(
        matches!(result, Err(ImpersonationError::Unknown)),
        "{result:?}"
    );
}

#[test]
fn a_secret_for_a_user_who_is_not_an_admin_is_refused() {
    let (mut ports, tenant, _) = setup();
    let learner = ports.users()[0].clone();
    assert!(!learner.is_tenant_admin);
    ports
        .insert_impersonation(&NewImpersonation {
            tenant_id: tenant.id,
            user_id: learner.id,
            digest: TokenDigest::of("learner"),
            created_at: t0(),
            expires_at: t0() + IMPERSONATION_LIFETIME,
        })
        .unwrap();
    let result = redeem_impersonation(&mut ports, &context(t0()), "learner");
    assert!(
        matches!(result, Err(ImpersonationError::NoAdmin)),
        "{result:?}"
    );
}

#[test]
fn the_in_memory_store_checks_users_and_digests() {
    let (mut ports, tenant, admin) = setup();
    let new = |user_id, tenant_id| NewImpersonation {
        tenant_id,
        user_id,
        digest: TokenDigest::of("secret"),
        created_at: t0(),
        expires_at: t0() + IMPERSONATION_LIFETIME,
    };
    assert_eq!(
        ports.insert_impersonation(&new(admin.id + 100, tenant.id)),
        Err(RepositoryError::NotFound)
    );
    assert_eq!(
        ports.insert_impersonation(&new(admin.id, TenantId(99))),
        Err(RepositoryError::NotFound)
    );
    ports
        .insert_impersonation(&new(admin.id, tenant.id))
        .unwrap();
    assert_eq!(
        ports.insert_impersonation(&new(admin.id, tenant.id)),
        Err(RepositoryError::Conflict {
            field: "digest".into()
        })
    );
    let digest = TokenDigest::of("secret");
    let expiry = t0() + IMPERSONATION_LIFETIME;
    assert_eq!(
        ports.use_impersonation(&digest, expiry),
        Ok(ImpersonationState::Expired),
        "expired at expires_at"
    );
    assert_eq!(
        ports.use_impersonation(&digest, t0()),
        Ok(ImpersonationState::Valid {
            tenant_id: tenant.id,
            user_id: admin.id
        }),
        "a refused use leaves it unused"
    );
    assert_eq!(
        ports.use_impersonation(&digest, t0()),
        Ok(ImpersonationState::Used)
    );
}

#[test]
fn a_storage_fault_is_reported_and_not_audited() {
    let (mut ports, tenant, _) = setup();
    let down = RepositoryError::Unavailable("database down".into());
    ports.fail_next("insert_impersonation", down.clone());
    let result = issue_impersonation(&mut ports, &context(t0()), &tenant);
    assert!(
        matches!(&result, Err(ImpersonationError::Repository(error)) if *error == down),
        "{result:?}"
    );
    assert!(ports.events().is_empty());

    let secret = issue(&mut ports, &tenant);
    ports.fail_next("use_impersonation", down.clone());
    let result = redeem_impersonation(&mut ports, &context(t0()), secret.expose());
    assert!(
        matches!(&result, Err(ImpersonationError::Repository(error)) if *error == down),
        "{result:?}"
    );
    assert_eq!(ports.events().len(), 1, "only the issue");
}
