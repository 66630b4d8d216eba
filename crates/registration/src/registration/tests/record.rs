//! `record_registration`: the user, the link, the outbox email, the audit event.

use chrono::Duration;
use serde_json::json;
use tenantry_tenant::{Action, RepositoryError};

use super::*;
use crate::OutgoingEmail;

#[test]
fn the_activation_email_names_the_tenant_and_carries_the_stored_link() {
    let (mut ports, tenant) = setup();
    let registered = register(&mut ports, &tenant, &form(), t0()).unwrap();
    assert_eq!(registered.email, Some(OutgoingEmail::Activation));

    let emails = ports.pending_emails();
    let email = &emails[0].email;
    assert_eq!(email.recipient, "Ada@Example.org");
    assert_eq!(email.tenant_id, Some(tenant.id));
    assert_eq!(email.created_at, t0());
    assert_eq!(
        email.subject,
        format!("Activate your {DISPLAY_NAME} account")
    );
    assert!(email.body.contains(DISPLAY_NAME), "{}", email.body);
    assert!(
        email.body.starts_with("Hello Ada Lovelace,"),
        "{}",
        email.body
    );
    assert!(email.body.contains("within 7 days"), "{}", email.body);

    let secret = secret_in_email(&ports, "activate");
    assert_eq!(secret.len(), crate::SecretToken::LENGTH);
    let links: Vec<&NewLink> = ports.links().collect();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].digest, TokenDigest::of(&secret));
    assert_eq!(links[0].purpose, LinkPurpose::Activation);
    assert_eq!(links[0].user_id, registered.user.id);
    assert_eq!(links[0].created_at, t0());
    assert_eq!(links[0].expires_at, t0() + Duration::days(7));
}

#[test]
fn the_password_reset_email_links_to_the_post_form() {
    let (mut ports, tenant) = setup();
    let form = RegistrationForm {
        password: None,
        send_activation_email: Some("true".into()),
        ..form()
    };
    let registered = register(&mut ports, &tenant, &form, t0()).unwrap();
    assert_eq!(registered.email, Some(OutgoingEmail::PasswordReset));
    assert!(!registered.user.is_active);
    assert_eq!(registered.user.password_hash, Some(hash()));

    let emails = ports.pending_emails();
    let email = &emails[0].email;
    assert_eq!(email.subject, format!("Set your {DISPLAY_NAME} password"));
    assert!(email.body.contains(DISPLAY_NAME));
    assert!(email.body.contains("within 24 hours"), "{}", email.body);
    assert!(email.body.contains("POST"), "{}", email.body);
    assert!(email.body.contains("\"password\""), "{}", email.body);

    let secret = secret_in_email(&ports, "password-reset");
    let link = ports.links().next().unwrap().clone();
    assert_eq!(link.digest, TokenDigest::of(&secret));
    assert_eq!(link.purpose, LinkPurpose::PasswordReset);
    assert_eq!(link.expires_at, t0() + Duration::hours(24));
}

#[test]
fn the_audit_event_names_the_user_but_no_secret() {
    let (mut ports, tenant) = setup();
    let registered = register(&mut ports, &tenant, &form(), t0()).unwrap();
    let secret = secret_in_email(&ports, "activate");

    let events = ports.events();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.action, Action::UserRegister);
    assert_eq!(event.tenant_id, Some(tenant.id));
    assert_eq!(event.tenant_name.as_deref(), Some("talent1"));
    assert_eq!(event.at, t0());
    assert_eq!(event.actor, tenantry_tenant::Actor::Token(7));
    assert_eq!(event.request_id.as_deref(), Some("req-1"));
    assert_eq!(
        event.details,
        json!({
            "user_id": registered.user.id,
            "username": "ada_lovelace",
            "email": "Ada@Example.org",
            "active": false,
            "email_queued": "activation",
        })
    );
    let text = event.details.to_string();
    for secret_text in [secret.as_str(), GOOD_PASSWORD, hash().as_str()] {
        assert!(!text.contains(secret_text), "{text}");
    }
}

#[test]
fn an_active_registration_queues_nothing() {
    let (mut ports, tenant) = setup();
    let form = RegistrationForm {
        send_activation_email: Some("false".into()),
        ..form()
    };
    let registered = register(&mut ports, &tenant, &form, t0()).unwrap();
    assert_eq!(registered.email, None);
    assert!(registered.user.is_active);
    assert_eq!(registered.user.activated_at, Some(t0()));
    assert_eq!(registered.user.created_at, t0());
    assert!(!registered.user.is_tenant_admin);
    assert_eq!(ports.links().count(), 0);
    assert!(ports.pending_emails().is_empty());
    assert_eq!(ports.events()[0].details["email_queued"], json!(null));
    assert_eq!(ports.events()[0].details["active"], json!(true));
}

#[test]
fn each_registration_gets_its_own_secret() {
    let (mut ports, tenant) = setup();
    register(&mut ports, &tenant, &form(), t0()).unwrap();
    let grace = RegistrationForm {
        username: Some("grace".into()),
        email: Some("grace@example.org".into()),
        ..form()
    };
    register(&mut ports, &tenant, &grace, t0()).unwrap();
    let digests: Vec<&TokenDigest> = ports.links().map(|link| &link.digest).collect();
    assert_eq!(digests.len(), 2);
    assert_ne!(digests[0], digests[1]);
}

/// A registration that passed `check_available` but lost the race to insert.
#[test]
fn a_concurrent_registration_that_won_becomes_taken() {
    let rows = [
        (
            "ada_lovelace",
            "someone@example.org",
            Taken {
                username: true,
                email: false,
            },
        ),
        (
            "someone",
            "ADA@example.ORG",
            Taken {
                username: false,
                email: true,
            },
        ),
    ];
    for (username, email, expected) in rows {
        let (mut ports, tenant) = setup();
        check_available(&mut ports, tenant.id, &form()).unwrap();
        let prepared = prepare_registration(&form(), &tenant).unwrap();
        // Meanwhile, another request registers a clashing user.
        insert_existing(&mut ports, tenant.id, username, email);
        let result = record_registration(
            &mut ports,
            &context(t0()),
            &tenant,
            prepared,
            hash(),
            LINK_BASE,
        );
        match result {
            Err(RegistrationError::Taken(taken)) => assert_eq!(taken, expected, "{username}"),
            other => panic!("{username}: {other:?}"),
        }
        assert_eq!(ports.users().len(), 1);
        assert_eq!(ports.links().count(), 0);
        assert!(ports.pending_emails().is_empty());
        assert!(ports.events().is_empty());
    }
}

#[test]
fn a_storage_fault_is_reported_and_stops_before_the_audit_event() {
    for call in ["insert_user", "insert_link", "enqueue_email", "record"] {
        let (mut ports, tenant) = setup();
        let down = RepositoryError::Unavailable("database down".into());
        ports.fail_next(call, down.clone());
        let result = register(&mut ports, &tenant, &form(), t0());
        assert!(
            matches!(&result, Err(RegistrationError::Repository(error)) if *error == down),
            "{call}: {result:?}"
        );
        assert!(ports.events().is_empty(), "{call}");
    }
}
