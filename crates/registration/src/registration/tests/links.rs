//! Following emailed links: single use, expiry, unknown secrets, closed tenants.

use chrono::Duration;
use serde_json::json;
use tenantry_tenant::Action;

use super::*;
use crate::Password;

/// Registers `ada` with an activation email; returns the secret.
fn with_activation_link(ports: &mut InMemorySession, tenant: &Tenant) -> String {
    register(ports, tenant, &form(), t0()).unwrap();
    secret_in_email(ports, "activate")
}

/// Registers `ada` without a password; returns the password-reset secret.
fn with_reset_link(ports: &mut InMemorySession, tenant: &Tenant) -> String {
    let form = RegistrationForm {
        password: None,
        ..form()
    };
    register(ports, tenant, &form, t0()).unwrap();
    secret_in_email(ports, "password-reset")
}

fn new_hash() -> PasswordHash {
    PasswordHash::from_phc(
        "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdG5ld3NhbHQ$bmV3aGFzaG5ld2hhc2huZXc".into(),
    )
    .unwrap()
}

#[test]
fn an_activation_link_activates_once() {
    let (mut ports, tenant) = setup();
    let secret = with_activation_link(&mut ports, &tenant);
    let later = t0() + Duration::hours(3);

    let user = activate(&mut ports, &context(later), &secret).unwrap();
    assert!(user.is_active);
    assert_eq!(user.activated_at, Some(later));

    let event = ports.events().last().unwrap();
    assert_eq!(event.action, Action::UserActivate);
    assert_eq!(event.tenant_id, Some(tenant.id));
    assert_eq!(event.at, later);
    assert_eq!(
        event.details,
        json!({ "user_id": user.id, "username": "ada_lovelace" })
    );
    assert!(!event.details.to_string().contains(&secret));

    let again = activate(&mut ports, &context(later + Duration::minutes(1)), &secret);
    assert!(matches!(again, Err(LinkError::Used)), "{again:?}");
    assert_eq!(ports.events().len(), 2);
}

/// `(time after registration, works)`: activation links live 7 days, reset links 24 h.
#[test]
fn links_expire_after_their_lifetime() {
    let rows = [
        (
            LinkPurpose::Activation,
            Duration::days(7) - Duration::seconds(1),
            true,
        ),
        (LinkPurpose::Activation, Duration::days(7), false),
        (LinkPurpose::Activation, Duration::days(30), false),
        (
            LinkPurpose::PasswordReset,
            Duration::hours(24) - Duration::seconds(1),
            true,
        ),
        (LinkPurpose::PasswordReset, Duration::hours(24), false),
    ];
    for (purpose, after, works) in rows {
        let label = format!("{} after {after}", purpose.as_str());
        let (mut ports, tenant) = setup();
        let at = t0() + after;
        let result = match purpose {
            LinkPurpose::Activation => {
                let secret = with_activation_link(&mut ports, &tenant);
                activate(&mut ports, &context(at), &secret).map(|_| ())
            }
            LinkPurpose::PasswordReset => {
                let secret = with_reset_link(&mut ports, &tenant);
                check_password_reset(&mut ports, &secret, at)
                    .and_then(|_| {
                        complete_password_reset(&mut ports, &context(at), &secret, new_hash())
                    })
                    .map(|_| ())
            }
        };
        match (result, works) {
            (Ok(()), true) | (Err(LinkError::Expired), false) => {}
            (other, _) => panic!("{label}: {other:?}"),
        }
        assert_eq!(ports.users()[0].is_active, works, "{label}");
    }
}

#[test]
fn unknown_secrets_and_links_of_the_other_kind_do_nothing() {
    let (mut ports, tenant) = setup();
    let activation = with_activation_link(&mut ports, &tenant);
    let grace = RegistrationForm {
        username: Some("grace".into()),
        email: Some("grace@example.org".into()),
        password: None,
        ..form()
    };
    register(&mut ports, &tenant, &grace, t0()).unwrap();
    let emails = ports.pending_emails();
    let prefix = format!("{LINK_BASE}/password-reset/");
    let reset = emails[1]
        .email
        .body
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap()
        .to_owned();

    let now = context(t0());
    for secret in ["", "nope", &"A".repeat(43), &reset] {
        assert!(
            matches!(activate(&mut ports, &now, secret), Err(LinkError::Unknown)),
            "{secret:?}"
        );
    }
    for secret in ["", "nope", &activation] {
        assert!(matches!(
            check_password_reset(&mut ports, secret, t0()),
            Err(LinkError::Unknown)
        ));
        assert!(matches!(
            complete_password_reset(&mut ports, &now, secret, new_hash()),
            Err(LinkError::Unknown)
        ));
    }
    // Nothing was used up: both links still work.
    activate(&mut ports, &now, &activation).unwrap();
    complete_password_reset(&mut ports, &now, &reset, new_hash()).unwrap();
}

#[test]
fn a_password_reset_checks_then_sets_the_password_once() {
    let (mut ports, tenant) = setup();
    let secret = with_reset_link(&mut ports, &tenant);
    let later = t0() + Duration::hours(1);

    // The read phase can be repeated: it does not use the link.
    for _ in 0..2 {
        let (user, policy) = check_password_reset(&mut ports, &secret, later).unwrap();
        assert_eq!(user.username.as_str(), "ada_lovelace");
        assert!(!user.is_active);
        assert_eq!(policy, strict_policy());
    }
    // The HTTP layer parses the new password with the policy; a violation is a LinkError.
    let weak: LinkError = Password::parse("weak", &strict_policy())
        .unwrap_err()
        .into();
    assert!(matches!(weak, LinkError::Password(_)));

    let user = complete_password_reset(&mut ports, &context(later), &secret, new_hash()).unwrap();
    assert!(user.is_active);
    assert_eq!(user.activated_at, Some(later));
    assert_eq!(user.password_hash, Some(new_hash()));

    let event = ports.events().last().unwrap();
    assert_eq!(event.action, Action::UserPasswordReset);
    assert_eq!(event.tenant_id, Some(tenant.id));
    assert_eq!(
        event.details,
        json!({ "user_id": user.id, "username": "ada_lovelace", "activated": true })
    );
    let text = event.details.to_string();
    assert!(!text.contains(&secret) && !text.contains(new_hash().as_str()));

    assert!(matches!(
        check_password_reset(&mut ports, &secret, later),
        Err(LinkError::Used)
    ));
    assert!(matches!(
        complete_password_reset(&mut ports, &context(later), &secret, hash()),
        Err(LinkError::Used)
    ));
    assert_eq!(ports.users()[0].password_hash, Some(new_hash()));
}

#[test]
fn a_link_checked_then_used_by_another_request_is_used() {
    let (mut ports, tenant) = setup();
    let secret = with_reset_link(&mut ports, &tenant);
    check_password_reset(&mut ports, &secret, t0()).unwrap();
    // Another request completes first.
    complete_password_reset(&mut ports, &context(t0()), &secret, new_hash()).unwrap();
    let second = complete_password_reset(&mut ports, &context(t0()), &secret, hash());
    assert!(matches!(second, Err(LinkError::Used)));
}

#[test]
fn activating_an_active_user_keeps_the_first_activation_time() {
    let (mut ports, tenant) = setup();
    let secret = with_activation_link(&mut ports, &tenant);
    let id = ports.users()[0].id;
    ports.activate_user(id, None, t0()).unwrap();
    let user = activate(&mut ports, &context(t0() + Duration::hours(2)), &secret).unwrap();
    assert_eq!(user.activated_at, Some(t0()));
}

#[test]
fn a_closed_tenant_keeps_its_links_unused() {
    let (mut ports, tenant) = setup();
    let secret = with_activation_link(&mut ports, &tenant);
    let reset = {
        let grace = RegistrationForm {
            username: Some("grace".into()),
            email: Some("grace@example.org".into()),
            password: None,
            ..form()
        };
        register(&mut ports, &tenant, &grace, t0()).unwrap();
        let emails = ports.pending_emails();
        let prefix = format!("{LINK_BASE}/password-reset/");
        emails[1]
            .email
            .body
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap()
            .to_owned()
    };
    let suspended = ports
        .save(&Tenant {
            status: Status::Suspended,
            ..tenant.clone()
        })
        .unwrap();
    let now = context(t0());
    assert!(matches!(
        activate(&mut ports, &now, &secret),
        Err(LinkError::TenantClosed(Status::Suspended))
    ));
    assert!(matches!(
        check_password_reset(&mut ports, &reset, t0()),
        Err(LinkError::TenantClosed(Status::Suspended))
    ));
    assert!(matches!(
        complete_password_reset(&mut ports, &now, &reset, new_hash()),
        Err(LinkError::TenantClosed(Status::Suspended))
    ));

    ports
        .save(&Tenant {
            status: Status::Active,
            ..suspended
        })
        .unwrap();
    activate(&mut ports, &now, &secret).unwrap();
    complete_password_reset(&mut ports, &now, &reset, new_hash()).unwrap();
}
