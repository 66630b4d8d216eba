//! `prepare_registration` (and the whole flow) against the rules of API.md §2.

use super::*;
use crate::{Email, OutgoingEmail, Password};

/// `(password, send_activation_email, active, email)` — every combination of API.md §2.
#[test]
fn activation_follows_the_tahoe_table() {
    use OutgoingEmail::{Activation, PasswordReset};
    let rows = [
        (Some(GOOD_PASSWORD), Some("true"), false, Some(Activation)),
        (Some(GOOD_PASSWORD), Some("True"), false, Some(Activation)),
        (Some(GOOD_PASSWORD), None, false, Some(Activation)),
        (Some(GOOD_PASSWORD), Some("false"), true, None),
        (Some(GOOD_PASSWORD), Some("FALSE"), true, None),
        (None, Some("true"), false, Some(PasswordReset)),
        (None, Some("TRUE"), false, Some(PasswordReset)),
        (None, None, false, Some(PasswordReset)),
        (None, Some("false"), false, Some(PasswordReset)),
        (None, Some("False"), false, Some(PasswordReset)),
    ];
    for (password, flag, active, email) in rows {
        let label = format!("password={password:?} send_activation_email={flag:?}");
        let (mut ports, tenant) = setup();
        let form = RegistrationForm {
            password: password.map(Into::into),
            send_activation_email: flag.map(Into::into),
            ..form()
        };
        let registered = register(&mut ports, &tenant, &form, t0()).expect(&label);
        assert_eq!(registered.email, email, "{label}");
        assert_eq!(registered.user.is_active, active, "{label}");
        assert_eq!(
            registered.user.activated_at,
            active.then_some(t0()),
            "{label}"
        );
        assert!(registered.user.password_hash.is_some(), "{label}");
        let stored: Vec<LinkPurpose> = ports.links().map(|link| link.purpose).collect();
        let expected: Vec<LinkPurpose> = email
            .map(|email| match email {
                Activation => LinkPurpose::Activation,
                PasswordReset => LinkPurpose::PasswordReset,
            })
            .into_iter()
            .collect();
        assert_eq!(stored, expected, "{label}");
        assert_eq!(
            ports.pending_emails().len(),
            usize::from(email.is_some()),
            "{label}"
        );
    }
}

#[test]
fn an_invalid_activation_flag_is_refused_with_its_raw_value() {
    for password in [Some(GOOD_PASSWORD), None] {
        for raw in ["yes", "1", "0", "", " true", "false ", "null", "Truee"] {
            let (_, tenant) = setup();
            let form = RegistrationForm {
                password: password.map(Into::into),
                send_activation_email: Some(raw.into()),
                ..form()
            };
            match prepare_registration(&form, &tenant) {
                Err(RegistrationError::ActivationFlag(value)) => assert_eq!(value, raw),
                other => panic!("{raw:?} with password {password:?}: {other:?}"),
            }
        }
    }
}

fn invalid(field: &'static str) -> Option<&'static str> {
    Some(field)
}

#[test]
fn a_missing_field_is_named() {
    type Edit = fn(&mut RegistrationForm);
    let rows: [(&str, Edit, Option<&'static str>); 5] = [
        ("no username", |f| f.username = None, invalid("username")),
        ("no email", |f| f.email = None, invalid("email")),
        ("no name", |f| f.name = None, invalid("name")),
        (
            "nothing",
            |f| *f = RegistrationForm::default(),
            invalid("username"),
        ),
        (
            "no email nor name",
            |f| {
                f.email = None;
                f.name = None;
            },
            invalid("email"),
        ),
    ];
    for (label, edit, field) in rows {
        let (_, tenant) = setup();
        let mut form = form();
        edit(&mut form);
        match prepare_registration(&form, &tenant) {
            Err(RegistrationError::Invalid { field: found }) => assert_eq!(found, field, "{label}"),
            other => panic!("{label}: {other:?}"),
        }
    }
}

/// What a form of [`the_first_invalid_field_is_named`] gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Prepared,
    Invalid(&'static str),
    BadFlag,
}

/// `(username, email, name, password, flag, expected)`: the first offending field, in
/// the order username, email, name, activation flag, password.
#[test]
fn the_first_invalid_field_is_named() {
    use Expected::{BadFlag, Invalid, Prepared};
    const NAME: &str = "<script>";
    const OK: &str = "ada@example.org";
    let yes = Some("yes");
    let rows = [
        ("a", "bad", NAME, "short", yes, Invalid("username")),
        ("ada", "bad", NAME, "short", yes, Invalid("email")),
        ("ada", OK, NAME, "short", yes, Invalid("name")),
        ("ada", OK, "Ada", "short", yes, BadFlag),
        ("ada", OK, "Ada", "short", None, Invalid("password")),
        ("ada", OK, "Ada", "", Some("false"), Invalid("password")),
        ("ada", OK, "Ada", GOOD_PASSWORD, Some("false"), Prepared),
        (
            "ada lovelace",
            OK,
            "Ada",
            GOOD_PASSWORD,
            None,
            Invalid("username"),
        ),
        (
            "ada",
            "ada@@example.org",
            "Ada",
            GOOD_PASSWORD,
            None,
            Invalid("email"),
        ),
    ];
    for (username, email, name, password, flag, expected) in rows {
        let label = format!("{username:?} {email:?} {name:?} {password:?} {flag:?}");
        let (_, tenant) = setup();
        let form = RegistrationForm {
            username: Some(username.into()),
            email: Some(email.into()),
            name: Some(name.into()),
            password: Some(password.into()),
            send_activation_email: flag.map(Into::into),
        };
        let outcome = match prepare_registration(&form, &tenant) {
            Ok(_) => Prepared,
            Err(RegistrationError::Invalid { field: Some(field) }) => Invalid(field),
            Err(RegistrationError::ActivationFlag(value)) => {
                assert_eq!(Some(value.as_str()), flag, "{label}");
                BadFlag
            }
            Err(other) => panic!("{label}: {other:?}"),
        };
        assert_eq!(outcome, expected, "{label}");
    }
}

#[test]
fn field_rules_follow_the_api() {
    let long_email = format!("{}@example.org", "a".repeat(64)); // valid
    // Well-formed labels, 255 characters in all.
    let labels = [
        "x".repeat(60),
        "y".repeat(60),
        "z".repeat(60),
        "w".repeat(3),
    ]
    .join(".");
    let too_long_email = format!("{}@{labels}.org", "a".repeat(64));
    assert_eq!(too_long_email.chars().count(), 255);
    let rows: [(&str, String, Option<&'static str>); 14] = [
        ("username", "ab".into(), None),
        ("username", "a".into(), invalid("username")),
        ("username", "a".repeat(30), None),
        ("username", "a".repeat(31), invalid("username")),
        ("username", "x-y_Z9".into(), None),
        ("username", "ada.l".into(), invalid("username")),
        ("email", long_email, None),
        ("email", too_long_email, invalid("email")),
        ("email", "ada@localhost".into(), None),
        ("name", "".into(), invalid("name")),
        ("name", "n".repeat(255), None),
        ("name", "n".repeat(256), invalid("name")),
        ("name", "see https://example.org".into(), invalid("name")),
        ("name", "a > b".into(), invalid("name")),
    ];
    for (field, value, expected) in rows {
        let (_, tenant) = setup();
        let mut form = form();
        match field {
            "username" => form.username = Some(value.clone()),
            "email" => form.email = Some(value.clone()),
            _ => form.name = Some(value.clone()),
        }
        let found = match prepare_registration(&form, &tenant) {
            Ok(_) => None,
            Err(RegistrationError::Invalid { field }) => field,
            Err(other) => panic!("{field}={value:?}: {other:?}"),
        };
        assert_eq!(found, expected, "{field}={value:?}");
    }
}

#[test]
fn the_password_must_satisfy_the_tenant_policy() {
    let (_, tenant) = setup();
    // Each breaks one rule of the strict policy.
    for password in [
        "Short-9",
        "no-uppercase-9",
        "NO-LOWERCASE-9",
        "No-digits-here",
        "NoSymbols99x",
    ] {
        let form = RegistrationForm {
            password: Some(password.into()),
            ..form()
        };
        assert!(
            matches!(
                prepare_registration(&form, &tenant),
                Err(RegistrationError::Invalid {
                    field: Some("password")
                })
            ),
            "{password}"
        );
    }
    // The same password passes a tenant with the default policy.
    let mut ports = InMemorySession::new();
    let lenient = add_tenant(
        &mut ports,
        "talent2",
        Status::Active,
        PasswordPolicy::default(),
    );
    let form = RegistrationForm {
        password: Some("no-uppercase-9".into()),
        ..form()
    };
    assert!(prepare_registration(&form, &lenient).is_ok());
}

#[test]
fn without_a_password_one_is_generated_for_the_policy() {
    let (_, tenant) = setup();
    let form = RegistrationForm {
        password: None,
        ..form()
    };
    let first = prepare_registration(&form, &tenant).unwrap();
    let second = prepare_registration(&form, &tenant).unwrap();
    assert!(Password::parse(first.password.expose(), &strict_policy()).is_ok());
    assert_ne!(first.password.expose(), second.password.expose());
}

#[test]
fn a_given_password_is_kept_and_fields_are_parsed() {
    let (_, tenant) = setup();
    let prepared = prepare_registration(&form(), &tenant).unwrap();
    assert_eq!(prepared.password.expose(), GOOD_PASSWORD);
    assert_eq!(prepared.username.as_str(), "ada_lovelace");
    assert_eq!(prepared.email.as_str(), "Ada@Example.org");
    assert_eq!(prepared.email, Email::parse("ada@example.org").unwrap());
    assert_eq!(prepared.name.as_str(), "Ada Lovelace");
}

#[test]
fn debug_output_never_shows_the_password() {
    let (_, tenant) = setup();
    let form = form();
    let prepared = prepare_registration(&form, &tenant).unwrap();
    for shown in [format!("{form:?}"), format!("{prepared:?}")] {
        assert!(!shown.contains(GOOD_PASSWORD), "{shown}");
        assert!(shown.contains("ada_lovelace"), "{shown}");
    }
    let generated = prepare_registration(
        &RegistrationForm {
            password: None,
            ..form
        },
        &tenant,
    )
    .unwrap();
    assert!(!format!("{generated:?}").contains(generated.password.expose()));
}

#[test]
fn a_closed_tenant_refuses_registrations_before_validation() {
    for status in [Status::Suspended, Status::Cancelled, Status::Deleted] {
        let mut ports = InMemorySession::new();
        let tenant = add_tenant(&mut ports, "closed1", status, strict_policy());
        assert!(matches!(
            ensure_open(&tenant),
            Err(RegistrationError::TenantClosed(found)) if found == status
        ));
        // Even an empty form gets the tenant's refusal, not a 400.
        let refused = prepare_registration(&RegistrationForm::default(), &tenant);
        assert!(
            matches!(refused, Err(RegistrationError::TenantClosed(found)) if found == status),
            "{status}: {refused:?}"
        );
        let prepared = {
            let (_, open) = setup();
            prepare_registration(&form(), &open).unwrap()
        };
        let recorded = record_registration(
            &mut ports,
            &context(t0()),
            &tenant,
            prepared,
            hash(),
            LINK_BASE,
        );
        assert!(
            matches!(recorded, Err(RegistrationError::TenantClosed(_))),
            "{status}"
        );
        assert!(ports.users().is_empty());
    }
}

#[test]
fn an_unsatisfiable_stored_policy_is_an_internal_fault_without_a_password() {
    let mut ports = InMemorySession::new();
    // Stored policies are trusted and not re-validated; this one admits no password.
    let broken = PasswordPolicy {
        min_length: 20,
        max_length: 10,
        ..PasswordPolicy::default()
    };
    let tenant = add_tenant(&mut ports, "broken1", Status::Active, broken);
    let form = RegistrationForm {
        password: None,
        ..form()
    };
    assert!(matches!(
        prepare_registration(&form, &tenant),
        Err(RegistrationError::Randomness(GenerationError::Password(_)))
    ));
}
