use proptest::prelude::*;
use serde_json::{Map, json};

use super::*;

/// `(path, problem)` of each error, paths written like `password_policy.min_length`.
fn summary(errors: &[FieldError]) -> Vec<(String, FieldProblem)> {
    errors
        .iter()
        .map(|error| (error.path.to_string(), error.problem.clone()))
        .collect()
}

fn errors(value: Value) -> Vec<(String, FieldProblem)> {
    summary(&read_patch(&value).unwrap_err())
}

fn one(path: &str, problem: FieldProblem) -> Vec<(String, FieldProblem)> {
    vec![(path.to_owned(), problem)]
}

fn wrong(expected: ValueKind) -> FieldProblem {
    FieldProblem::WrongType { expected }
}

fn range(value: i128, min: i64, max: i64) -> FieldProblem {
    FieldProblem::OutOfRange { value, min, max }
}

fn methods() -> FieldProblem {
    FieldProblem::NotOneOf {
        allowed: MfaMethod::names(),
    }
}

#[test]
fn reads_a_full_patch() {
    let patch = read_patch(&json!({
        "mfa_required": true,
        "mfa_methods": ["totp", "webauthn"],
        "password_policy": {
            "min_length": 10, "max_length": 64, "require_uppercase": true,
            "require_lowercase": false, "require_digit": true, "require_symbol": false
        },
        "session_timeout": 43200
    }))
    .unwrap();
    assert_eq!(
        patch,
        SettingsPatch {
            mfa_required: Some(true),
            mfa_methods: Some(vec![MfaMethod::Totp, MfaMethod::Webauthn]),
            password_policy: Some(PasswordPolicyPatch {
                min_length: Some(10),
                max_length: Some(64),
                require_uppercase: Some(true),
                require_lowercase: Some(false),
                require_digit: Some(true),
                require_symbol: Some(false),
            }),
            session_timeout: Some(43_200),
        }
    );
}

#[test]
fn null_means_not_given() {
    assert_eq!(read_patch(&Value::Null), Ok(SettingsPatch::default()));
    let patch = read_patch(&json!({
        "mfa_required": null, "mfa_methods": null, "session_timeout": null,
        "password_policy": {"min_length": null, "require_digit": true}
    }))
    .unwrap();
    assert_eq!(
        patch,
        SettingsPatch {
            password_policy: Some(PasswordPolicyPatch {
                require_digit: Some(true),
                ..PasswordPolicyPatch::default()
            }),
            ..SettingsPatch::default()
        }
    );
    assert!(
        read_patch(&json!({"password_policy": null}))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn type_errors_name_their_field() {
    assert_eq!(errors(json!([])), one("", wrong(ValueKind::Object)));
    assert_eq!(errors(json!("x")), one("", wrong(ValueKind::Object)));
    for not_a_boolean in [json!("true"), json!(1)] {
        assert_eq!(
            errors(json!({"mfa_required": not_a_boolean})),
            one("mfa_required", wrong(ValueKind::Boolean))
        );
    }
    assert_eq!(
        errors(json!({"mfa_methods": "totp"})),
        one("mfa_methods", wrong(ValueKind::List))
    );
    assert_eq!(
        errors(json!({"password_policy": [8]})),
        one("password_policy", wrong(ValueKind::Object))
    );
    assert_eq!(
        errors(json!({"password_policy": {"require_symbol": "yes"}})),
        one("password_policy.require_symbol", wrong(ValueKind::Boolean))
    );
    for not_an_integer in [
        json!(1.5),
        json!(60.0),
        json!("60"),
        json!(true),
        json!([60]),
    ] {
        assert_eq!(
            errors(json!({"session_timeout": not_an_integer})),
            one("session_timeout", wrong(ValueKind::Integer))
        );
    }
    assert_eq!(
        errors(json!({"password_policy": {"min_length": "8"}})),
        one("password_policy.min_length", wrong(ValueKind::Integer))
    );
}

#[test]
fn unknown_methods_are_reported_at_their_index() {
    let read = read_patch(&json!({"mfa_methods": ["totp", "carrier-pigeon", 3]})).unwrap_err();
    assert_eq!(
        summary(&read),
        [
            ("mfa_methods[1]".to_owned(), methods()),
            ("mfa_methods[2]".to_owned(), methods())
        ]
    );
    assert_eq!(
        read[0].path,
        FieldPath::field("mfa_methods").at(1),
        "the path keeps the index as an index"
    );
    assert_eq!(
        errors(json!({"mfa_methods": ["TOTP"]})),
        one("mfa_methods[0]", methods())
    );
}

#[test]
fn bounds_are_checked_while_reading() {
    let cases = [
        (
            json!({"session_timeout": 0}),
            one("session_timeout", range(0, 1, 43_200)),
        ),
        (
            json!({"session_timeout": -5}),
            one("session_timeout", range(-5, 1, 43_200)),
        ),
        (
            json!({"session_timeout": 43_201}),
            one("session_timeout", range(43_201, 1, 43_200)),
        ),
        (
            json!({"session_timeout": u64::MAX}),
            one("session_timeout", range(u64::MAX.into(), 1, 43_200)),
        ),
        (
            json!({"password_policy": {"min_length": 5}}),
            one("password_policy.min_length", range(5, 6, 128)),
        ),
        (
            json!({"password_policy": {"min_length": 129}}),
            one("password_policy.min_length", range(129, 6, 128)),
        ),
        (
            json!({"password_policy": {"max_length": 1025}}),
            one("password_policy.max_length", range(1025, 6, 1024)),
        ),
        (
            json!({"password_policy": {"max_length": -1}}),
            one("password_policy.max_length", range(-1, 6, 1024)),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(errors(input.clone()), expected, "input {input}");
    }
}

#[test]
fn unknown_keys_are_refused_on_their_object() {
    let unknown = |name: &str, expected: &'static [&'static str]| FieldProblem::UnknownField {
        name: name.into(),
        expected,
    };
    assert_eq!(
        errors(json!({"mfa_requird": true})),
        one("", unknown("mfa_requird", &SETTINGS_FIELDS))
    );
    assert_eq!(
        errors(json!({"typo": null})),
        one("", unknown("typo", &SETTINGS_FIELDS))
    );
    assert_eq!(
        errors(json!({"password_policy": {"min_lenght": 8}})),
        one("password_policy", unknown("min_lenght", &POLICY_FIELDS))
    );
}

#[test]
fn every_error_is_collected_in_key_order() {
    let paths: Vec<String> = errors(json!({
        "mfa_required": "no",
        "mfa_methods": ["sms", "fax"],
        "password_policy": {"min_length": 2, "max_length": 2000, "require_digit": 0, "extra": 1},
        "session_timeout": "1h",
        "colour": "blue",
        "zebra": 1
    }))
    .into_iter()
    .map(|(path, _)| path)
    .collect();
    assert_eq!(
        paths,
        [
            "",
            "mfa_methods[1]",
            "mfa_required",
            "password_policy",
            "password_policy.max_length",
            "password_policy.min_length",
            "password_policy.require_digit",
            "session_timeout",
            ""
        ]
    );
}

#[test]
fn the_view_names_every_field() {
    let settings = Settings {
        mfa_required: true,
        mfa_methods: vec![MfaMethod::Webauthn],
        ..Settings::default()
    };
    assert_eq!(
        view(&settings),
        json!({
            "mfa_required": true,
            "mfa_methods": ["webauthn"],
            "password_policy": {
                "min_length": 8, "max_length": 128, "require_uppercase": false,
                "require_lowercase": false, "require_digit": false, "require_symbol": false
            },
            "session_timeout": 60
        })
    );
}

#[test]
fn the_schema_lists_the_fields_the_reader_knows() {
    let schema = schema();
    let properties = |schema: &Value| -> Vec<String> {
        schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let mut settings = SETTINGS_FIELDS.map(str::to_owned).to_vec();
    settings.sort();
    assert_eq!(properties(&schema), settings);
    let mut policy = POLICY_FIELDS.map(str::to_owned).to_vec();
    policy.sort();
    assert_eq!(properties(&schema["properties"]["password_policy"]), policy);
    assert_eq!(
        schema["properties"]["mfa_methods"]["items"]["enum"],
        json!(["totp", "sms", "email", "webauthn"])
    );
    assert_eq!(schema["properties"]["session_timeout"]["maximum"], 43_200);
}

fn patch_json(patch: &SettingsPatch) -> Value {
    let mut object = Map::new();
    if let Some(required) = patch.mfa_required {
        object.insert("mfa_required".into(), json!(required));
    }
    if let Some(methods) = &patch.mfa_methods {
        let names: Vec<&str> = methods.iter().map(|method| method.as_str()).collect();
        object.insert("mfa_methods".into(), json!(names));
    }
    if let Some(policy) = &patch.password_policy {
        let entries = [
            ("min_length", policy.min_length.map(|n| json!(n))),
            ("max_length", policy.max_length.map(|n| json!(n))),
            (
                "require_uppercase",
                policy.require_uppercase.map(|b| json!(b)),
            ),
            (
                "require_lowercase",
                policy.require_lowercase.map(|b| json!(b)),
            ),
            ("require_digit", policy.require_digit.map(|b| json!(b))),
            ("require_symbol", policy.require_symbol.map(|b| json!(b))),
        ];
        let fields: Map<String, Value> = entries
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_owned(), value?)))
            .collect();
        object.insert("password_policy".into(), Value::Object(fields));
    }
    if let Some(timeout) = patch.session_timeout {
        object.insert("session_timeout".into(), json!(timeout));
    }
    Value::Object(object)
}

/// Patches whose every field is within its own bounds.
fn in_bounds_patch() -> impl Strategy<Value = SettingsPatch> {
    let policy = (
        prop::option::of(6u16..=128),
        prop::option::of(6u16..=128),
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
        });
    (
        prop::option::of(any::<bool>()),
        prop::option::of(prop::collection::vec(
            prop::sample::select(MfaMethod::ALL.to_vec()),
            0..6,
        )),
        prop::option::of(policy),
        prop::option::of(1u32..=43_200),
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

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        prop::sample::select(vec!["totp", "sms", "x", "min_length", ""]).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        let keys = prop::sample::select(vec![
            "mfa_required",
            "mfa_methods",
            "password_policy",
            "session_timeout",
            "min_length",
            "max_length",
            "require_digit",
            "other",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..5).prop_map(|map| {
                Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #[test]
    fn valid_patches_read_back_from_json(patch in in_bounds_patch()) {
        prop_assert_eq!(read_patch(&patch_json(&patch)), Ok(patch));
    }

    #[test]
    fn any_json_is_read_or_refused_with_reader_problems(value in json_value()) {
        match read_patch(&value) {
            Ok(patch) => {
                // What was read is in bounds; only rules across fields may still fail.
                if let Err(errors) = Settings::default().apply(&patch) {
                    for error in errors {
                        prop_assert!(matches!(
                            error.problem,
                            FieldProblem::Duplicate { .. }
                                | FieldProblem::MfaMethodNeeded
                                | FieldProblem::LessThanField { .. }
                        ), "{error}");
                    }
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for error in errors {
                    prop_assert!(matches!(
                        error.problem,
                        FieldProblem::WrongType { .. }
                            | FieldProblem::NotOneOf { .. }
                            | FieldProblem::OutOfRange { .. }
                            | FieldProblem::UnknownField { .. }
                    ), "{error}");
                }
            }
        }
    }
}
