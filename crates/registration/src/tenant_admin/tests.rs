//! Tests of the tenant administrator's creation, on in-memory ports.

use serde_json::json;
use tenantry_tenant::{Action, Outcome, PasswordPolicy, Status};

use super::*;
use crate::testing::InMemorySession;
use crate::testing::fixtures::{context, hash, t0};
use crate::users::NewUser;

#[test]
fn the_constants_parse() {
    assert_eq!(admin_username().as_str(), "admin");
    assert_eq!(admin_full_name().as_str(), "Administrator");
    assert_eq!(ADMIN_PASSWORD_POLICY.validate(), Ok(()));
}

#[test]
fn generated_passwords_are_long_random_and_pass_the_policies() {
    let first = generate_admin_password().unwrap();
    let second = generate_admin_password().unwrap();
    assert_eq!(first.expose().chars().count(), 25);
    assert!(first.expose().chars().count() >= 16);
    assert_ne!(first.expose(), second.expose());
    assert!(Password::parse(first.expose(), &ADMIN_PASSWORD_POLICY).is_ok());
    assert!(Password::parse(first.expose(), &PasswordPolicy::default()).is_ok());
}

#[test]
fn the_admin_is_active_flagged_and_audited_without_its_hash() {
    let mut ports = InMemorySession::new();
    let tenant = ports.add_tenant("talent1", Status::Active, &["learn.example.com"]);
    let email = Email::parse("Owner@Example.org").unwrap();
    let user =
        record_tenant_admin(&mut ports, &context(t0()), &tenant, Some(email), hash()).unwrap();

    assert_eq!(user.tenant_id, tenant.id);
    assert_eq!(user.username.as_str(), "admin");
    assert_eq!(user.email.as_str(), "Owner@Example.org", "kept as given");
    assert_eq!(user.name.as_str(), "Administrator");
    assert_eq!(user.password_hash, Some(hash()));
    assert!(user.is_active && user.is_tenant_admin);
    assert_eq!((user.created_at, user.activated_at), (t0(), Some(t0())));
    assert_eq!(ports.get_user(user.id).unwrap(), Some(user.clone()));

    let [event] = ports.events() else {
        panic!("one event expected: {:?}", ports.events());
    };
    assert_eq!(event.action, Action::UserCreateAdmin);
    assert_eq!(event.action.as_str(), "user.create_admin");
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(event.tenant_id, Some(tenant.id));
    assert_eq!(event.at, t0());
    assert_eq!(
        event.details,
        json!({ "user_id": user.id, "username": "admin", "email": "Owner@Example.org" })
    );
    assert!(!event.details.to_string().contains("argon2"));
}

#[test]
fn without_an_email_the_admin_is_admin_at_the_primary_domain() {
    let mut ports = InMemorySession::new();
    let tenant = ports.add_tenant(
        "talent1",
        Status::Active,
        &["learn.example.com", "other.example.com"],
    );
    let user = record_tenant_admin(&mut ports, &context(t0()), &tenant, None, hash()).unwrap();
    assert_eq!(user.email.as_str(), "admin@learn.example.com");
}

#[test]
fn a_tenant_without_domains_needs_an_email() {
    let mut ports = InMemorySession::new();
    let tenant = ports.add_tenant("talent1", Status::Active, &[]);
    // `admin@talent1` has no dot in its domain: not an address.
    let error = record_tenant_admin(&mut ports, &context(t0()), &tenant, None, hash());
    assert!(matches!(error, Err(TenantAdminError::NoEmail)), "{error:?}");
    assert!(ports.users().is_empty());
    assert!(ports.events().is_empty());

    let email = Email::parse("owner@example.org").unwrap();
    assert_eq!(
        admin_email(&tenant, Some(email.clone())).unwrap(),
        email,
        "a given email wins"
    );
}

#[test]
fn a_second_admin_or_a_taken_email_is_refused() {
    let mut ports = InMemorySession::new();
    let tenant = ports.add_tenant("talent1", Status::Active, &["learn.example.com"]);
    record_tenant_admin(&mut ports, &context(t0()), &tenant, None, hash()).unwrap();
    let again = record_tenant_admin(&mut ports, &context(t0()), &tenant, None, hash());
    let Err(TenantAdminError::Taken(taken)) = again else {
        panic!("expected Taken, got {again:?}");
    };
    assert!(taken.username && !taken.email);
    assert_eq!(
        TenantAdminError::Taken(taken).to_string(),
        "the tenant administrator's username is already taken"
    );

    let other = ports.add_tenant("talent2", Status::Active, &["two.example.com"]);
    ports
        .insert_user(&NewUser {
            tenant_id: other.id,
            username: Username::parse("owner").unwrap(),
            email: Email::parse("owner@example.org").unwrap(),
            name: FullName::parse("Owner").unwrap(),
            password_hash: None,
            is_active: true,
            is_tenant_admin: false,
            created_at: t0(),
        })
        .unwrap();
    let email = Email::parse("OWNER@example.org").unwrap();
    let clash = record_tenant_admin(&mut ports, &context(t0()), &other, Some(email), hash());
    let Err(TenantAdminError::Taken(taken)) = clash else {
        panic!("expected Taken, got {clash:?}");
    };
    assert!(!taken.username && taken.email);
    assert_eq!(
        ports.events().len(),
        1,
        "refusals are not audited as successes"
    );
}
