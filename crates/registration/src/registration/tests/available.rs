//! `check_available`: the 409 comes before field validation.

use super::*;

/// `(username, email, expected)` against an existing `ada` / `ada@example.org`.
#[test]
fn taken_values_are_reported_before_validation() {
    let no = Taken::default();
    let username = Taken {
        username: true,
        email: false,
    };
    let email = Taken {
        username: false,
        email: true,
    };
    let both = Taken {
        username: true,
        email: true,
    };
    let rows: [(Option<&str>, Option<&str>, Taken); 11] = [
        (Some("ada"), Some("ada@example.org"), both),
        (Some("ada"), Some("other@example.org"), username),
        (Some("grace"), Some("ada@example.org"), email),
        (Some("grace"), Some("ADA@Example.ORG"), email),
        (Some("grace"), Some("grace@example.org"), no),
        // Invalid values still get the 409 when the other one is taken.
        (Some("ada"), Some("not an email"), username),
        (Some("x"), Some("ada@example.org"), email),
        // An absent field is skipped.
        (None, Some("ada@example.org"), email),
        (Some("ada"), None, username),
        (None, None, no),
        // Usernames are compared as given.
        (Some("Ada"), None, no),
    ];
    for (name, address, expected) in rows {
        let (mut ports, tenant) = setup();
        insert_existing(&mut ports, tenant.id, "ada", "ada@example.org");
        let form = RegistrationForm {
            username: name.map(Into::into),
            email: address.map(Into::into),
            ..RegistrationForm::default()
        };
        let result = check_available(&mut ports, tenant.id, &form);
        match result {
            Ok(()) => assert_eq!(expected, no, "{name:?} {address:?}"),
            Err(RegistrationError::Taken(taken)) => {
                assert_eq!(taken, expected, "{name:?} {address:?}");
            }
            Err(other) => panic!("{name:?} {address:?}: {other:?}"),
        }
    }
}

#[test]
fn another_tenant_may_have_the_same_username_and_email() {
    let (mut ports, tenant) = setup();
    let other = add_tenant(&mut ports, "talent2", Status::Active, strict_policy());
    insert_existing(&mut ports, other.id, "ada_lovelace", "ada@example.org");
    check_available(&mut ports, tenant.id, &form()).unwrap();
    register(&mut ports, &tenant, &form(), t0()).unwrap();
    assert_eq!(ports.users().len(), 2);
}

#[test]
fn registering_twice_is_refused_with_both_fields() {
    let (mut ports, tenant) = setup();
    register(&mut ports, &tenant, &form(), t0()).unwrap();
    let again = RegistrationForm {
        email: Some("ADA@example.org".into()),
        ..form()
    };
    assert!(matches!(
        register(&mut ports, &tenant, &again, t0()),
        Err(RegistrationError::Taken(Taken {
            username: true,
            email: true
        }))
    ));
}
