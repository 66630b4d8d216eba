use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::PathSegment;

/// `(path, problem)` of each error, paths written like `password_policy.min_length`.
fn summary(errors: &[FieldError]) -> Vec<(String, FieldProblem)> {
    errors
        .iter()
        .map(|error| (error.path.to_string(), error.problem.clone()))
        .collect()
}

fn apply_errors(settings: &Settings, patch: &SettingsPatch) -> Vec<(String, FieldProblem)> {
    summary(&settings.apply(patch).unwrap_err())
}

fn policy(patch: PasswordPolicyPatch) -> SettingsPatch {
    SettingsPatch {
        password_policy: Some(patch),
        ..SettingsPatch::default()
    }
}

fn methods(methods: &[MfaMethod]) -> SettingsPatch {
    SettingsPatch {
        mfa_methods: Some(methods.to_vec()),
        ..SettingsPatch::default()
    }
}

fn out_of_range(value: i128, min: i64, max: i64) -> FieldProblem {
    FieldProblem::OutOfRange { value, min, max }
}

#[test]
fn defaults_are_documented_values() {
    let settings = Settings::default();
    assert!(!settings.mfa_required);
    assert!(settings.mfa_methods.is_empty());
    assert_eq!(settings.session_timeout, 60);
    assert_eq!(
        settings.password_policy,
        PasswordPolicy {
            min_length: 8,
            max_length: 128,
            require_uppercase: false,
            require_lowercase: false,
            require_digit: false,
            require_symbol: false,
        }
    );
    assert_eq!(settings.validate(), Ok(()));
}

#[test]
fn mfa_method_names_round_trip() {
    for method in MfaMethod::ALL {
        assert_eq!(method.as_str().parse::<MfaMethod>(), Ok(method));
        assert_eq!(method.to_string(), method.as_str());
        assert_eq!(
            serde_json::to_value(method).unwrap(),
            json!(method.as_str())
        );
    }
    assert_eq!(MfaMethod::names(), ["totp", "sms", "email", "webauthn"]);
    assert_eq!(
        "TOTP".parse::<MfaMethod>(),
        Err(UnknownMfaMethod("TOTP".into()))
    );
    assert_eq!(
        UnknownMfaMethod("x".into()).to_string(),
        "unknown MFA method \"x\": expected one of totp, sms, email, webauthn"
    );
}

#[test]
fn apply_merges_field_by_field() {
    let current = Settings {
        mfa_required: true,
        mfa_methods: vec![MfaMethod::Totp],
        password_policy: PasswordPolicy {
            min_length: 10,
            require_digit: true,
            ..PasswordPolicy::default()
        },
        session_timeout: 120,
    };
    let patch = SettingsPatch {
        password_policy: Some(PasswordPolicyPatch {
            require_symbol: Some(true),
            ..PasswordPolicyPatch::default()
        }),
        session_timeout: Some(30),
        ..SettingsPatch::default()
    };
    let next = current.apply(&patch).unwrap();
    assert_eq!(
        next,
        Settings {
            password_policy: PasswordPolicy {
                require_symbol: true,
                ..current.password_policy
            },
            session_timeout: 30,
            ..current.clone()
        }
    );
    assert!(SettingsPatch::default().is_empty());
    assert_eq!(
        current.apply(&SettingsPatch::default()),
        Ok(current.clone())
    );
    let replaced = current
        .apply(&methods(&[MfaMethod::Sms, MfaMethod::Email]))
        .unwrap();
    assert_eq!(replaced.mfa_methods, [MfaMethod::Sms, MfaMethod::Email]);
    assert!(replaced.mfa_required);
}

#[test]
fn max_length_below_min_length_is_an_error_on_max_length() {
    let below_default = policy(PasswordPolicyPatch {
        max_length: Some(7),
        ..PasswordPolicyPatch::default()
    });
    let less_than_min = |value| FieldProblem::LessThanField {
        field: "min_length",
        value,
    };
    assert_eq!(
        apply_errors(&Settings::default(), &below_default),
        [("password_policy.max_length".to_owned(), less_than_min(8))]
    );
    let crossed = policy(PasswordPolicyPatch {
        min_length: Some(100),
        max_length: Some(99),
        ..PasswordPolicyPatch::default()
    });
    assert_eq!(
        apply_errors(&Settings::default(), &crossed),
        [("password_policy.max_length".to_owned(), less_than_min(100))]
    );
}

#[test]
fn a_method_listed_twice_is_reported_at_the_repeat() {
    use MfaMethod::{Sms, Totp};
    let duplicate = |value: &str| FieldProblem::Duplicate {
        value: value.into(),
    };
    assert_eq!(
        apply_errors(&Settings::default(), &methods(&[Totp, Sms, Totp, Sms])),
        [
            ("mfa_methods[2]".to_owned(), duplicate("totp")),
            ("mfa_methods[3]".to_owned(), duplicate("sms"))
        ]
    );
}

#[test]
fn mfa_required_needs_a_method() {
    let required = SettingsPatch {
        mfa_required: Some(true),
        ..SettingsPatch::default()
    };
    let needed = [("mfa_methods".to_owned(), FieldProblem::MfaMethodNeeded)];
    assert_eq!(apply_errors(&Settings::default(), &required), needed);
    let with_mfa = Settings::default()
        .apply(&SettingsPatch {
            mfa_methods: Some(vec![MfaMethod::Email]),
            ..required
        })
        .unwrap();
    assert_eq!(apply_errors(&with_mfa, &methods(&[])), needed);
    let relaxed = SettingsPatch {
        mfa_required: Some(false),
        mfa_methods: Some(vec![]),
        ..SettingsPatch::default()
    };
    assert!(with_mfa.apply(&relaxed).is_ok());
}

#[test]
fn apply_checks_bounds() {
    let patch = SettingsPatch {
        session_timeout: Some(0),
        password_policy: Some(PasswordPolicyPatch {
            min_length: Some(200),
            max_length: Some(2000),
            ..PasswordPolicyPatch::default()
        }),
        ..SettingsPatch::default()
    };
    assert_eq!(
        apply_errors(&Settings::default(), &patch),
        [
            (
                "password_policy.min_length".to_owned(),
                out_of_range(200, 6, 128)
            ),
            (
                "password_policy.max_length".to_owned(),
                out_of_range(2000, 6, 1024)
            ),
            ("session_timeout".to_owned(), out_of_range(0, 1, 43_200)),
        ]
    );
}

#[test]
fn the_edges_of_the_bounds_are_accepted() {
    for (min, max) in [(6, 6), (128, 128), (6, 1024), (128, 1024)] {
        let settings = Settings::default()
            .apply(&SettingsPatch {
                session_timeout: Some(1),
                ..policy(PasswordPolicyPatch {
                    min_length: Some(min),
                    max_length: Some(max),
                    ..PasswordPolicyPatch::default()
                })
            })
            .unwrap();
        assert_eq!(settings.password_policy.min_length, min);
        assert_eq!(settings.password_policy.max_length, max);
        assert_eq!(settings.session_timeout, 1);
    }
    let longest = SettingsPatch {
        session_timeout: Some(43_200),
        ..SettingsPatch::default()
    };
    assert!(Settings::default().apply(&longest).is_ok());
}

#[test]
fn errors_move_under_the_settings_field() {
    let errors = Settings::default()
        .apply(&SettingsPatch {
            mfa_methods: Some(vec![MfaMethod::Sms, MfaMethod::Sms]),
            ..SettingsPatch::default()
        })
        .unwrap_err();
    let moved = errors[0].clone().under(&FieldPath::field("settings"));
    assert_eq!(
        moved.path.segments(),
        [
            PathSegment::Field("settings"),
            PathSegment::Field("mfa_methods"),
            PathSegment::Index(1)
        ]
    );
}

#[test]
fn the_stored_form_uses_the_field_names_and_fills_defaults() {
    let settings = Settings {
        mfa_required: true,
        mfa_methods: vec![MfaMethod::Webauthn],
        ..Settings::default()
    };
    let stored = json!({
        "mfa_required": true,
        "mfa_methods": ["webauthn"],
        "password_policy": {
            "min_length": 8, "max_length": 128, "require_uppercase": false,
            "require_lowercase": false, "require_digit": false, "require_symbol": false
        },
        "session_timeout": 60
    });
    assert_eq!(serde_json::to_value(&settings).unwrap(), stored);
    let read: Settings = serde_json::from_value(
        json!({"session_timeout": 5, "password_policy": {"min_length": 12}}),
    )
    .unwrap();
    assert_eq!(read.session_timeout, 5);
    assert_eq!(read.password_policy.min_length, 12);
    assert_eq!(read.password_policy.max_length, 128);
    assert!(read.mfa_methods.is_empty());
}

#[test]
fn the_snapshot_names_every_field() {
    let settings = Settings {
        mfa_required: true,
        mfa_methods: vec![MfaMethod::Totp, MfaMethod::Sms],
        password_policy: PasswordPolicy {
            min_length: 10,
            require_symbol: true,
            ..PasswordPolicy::default()
        },
        session_timeout: 15,
    };
    assert_eq!(
        settings.snapshot(),
        json!({
            "mfa_required": true,
            "mfa_methods": ["totp", "sms"],
            "password_policy": {
                "min_length": 10, "max_length": 128, "require_uppercase": false,
                "require_lowercase": false, "require_digit": false, "require_symbol": true
            },
            "session_timeout": 15
        })
    );
}

fn method() -> impl Strategy<Value = MfaMethod> {
    prop::sample::select(MfaMethod::ALL.to_vec())
}

fn policy_patch(
    lengths: std::ops::RangeInclusive<u16>,
) -> impl Strategy<Value = PasswordPolicyPatch> {
    (
        prop::option::of(lengths.clone()),
        prop::option::of(lengths),
        prop::array::uniform4(prop::option::of(any::<bool>())),
    )
        .prop_map(|(min_length, max_length, [upper, lower, digit, symbol])| {
            PasswordPolicyPatch {
                min_length,
                max_length,
                require_uppercase: upper,
                require_lowercase: lower,
                require_digit: digit,
                require_symbol: symbol,
            }
        })
}

/// Patches with any values, in bounds or not.
fn any_patch() -> impl Strategy<Value = SettingsPatch> {
    (
        prop::option::of(any::<bool>()),
        prop::option::of(prop::collection::vec(method(), 0..6)),
        prop::option::of(policy_patch(0..=2000)),
        prop::option::of(prop_oneof![0u32..=50_000, any::<u32>()]),
    )
        .prop_map(
            |(mfa_required, mfa_methods, password_policy, session_timeout)| SettingsPatch {
                mfa_required,
                mfa_methods,
                password_policy,
                session_timeout,
            },
        )
}

fn within_bounds(settings: &Settings) -> bool {
    let policy = &settings.password_policy;
    (6..=128).contains(&policy.min_length)
        && (policy.min_length..=1024).contains(&policy.max_length)
        && (1..=43_200).contains(&settings.session_timeout)
        && !(settings.mfa_required && settings.mfa_methods.is_empty())
        && settings
            .mfa_methods
            .iter()
            .enumerate()
            .all(|(i, m)| !settings.mfa_methods[..i].contains(m))
}

proptest! {
    #[test]
    fn applying_a_patch_to_defaults_stays_within_bounds(patch in any_patch()) {
        let defaults = Settings::default();
        let merged = Settings {
            mfa_required: patch.mfa_required.unwrap_or(false),
            mfa_methods: patch.mfa_methods.clone().unwrap_or_default(),
            password_policy: patch
                .password_policy
                .map_or(defaults.password_policy, |p| defaults.password_policy.merged(&p)),
            session_timeout: patch.session_timeout.unwrap_or(60),
        };
        match defaults.apply(&patch) {
            Ok(settings) => {
                prop_assert!(within_bounds(&settings));
                prop_assert_eq!(settings, merged);
            }
            Err(errors) => {
                prop_assert!(!within_bounds(&merged));
                prop_assert!(!errors.is_empty());
            }
        }
    }
}
