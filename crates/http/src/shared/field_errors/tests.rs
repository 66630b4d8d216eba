use actix_web::ResponseError;
use actix_web::body::to_bytes;
use serde_json::json;
use tenantry_tenant::{FieldPath, TenantError};

use super::*;

/// `(type, msg)` of `problem` at `path`.
fn words(path: FieldPath, problem: FieldProblem) -> (&'static str, String) {
    wording(&FieldError::new(path, problem))
}

fn settings(path: &'static str) -> FieldPath {
    FieldPath::field("settings").and(path)
}

#[test]
fn settings_problems_read_as_pydantic_words() {
    let policy = |field| settings("password_policy").and(field);
    let cases = [
        (
            words(
                settings("mfa_required"),
                FieldProblem::WrongType {
                    expected: ValueKind::Boolean,
                },
            ),
            ("bool_type", "Input should be a valid boolean"),
        ),
        (
            words(
                settings("session_timeout"),
                FieldProblem::WrongType {
                    expected: ValueKind::Integer,
                },
            ),
            ("int_type", "Input should be a valid integer"),
        ),
        (
            words(
                settings("mfa_methods"),
                FieldProblem::WrongType {
                    expected: ValueKind::List,
                },
            ),
            ("list_type", "Input should be a valid list"),
        ),
        (
            words(
                FieldPath::field("settings"),
                FieldProblem::WrongType {
                    expected: ValueKind::Object,
                },
            ),
            ("dict_type", "Input should be a valid dictionary"),
        ),
        (
            words(
                settings("mfa_methods").at(1),
                FieldProblem::NotOneOf {
                    allowed: vec!["totp", "sms", "email", "webauthn"],
                },
            ),
            (
                "enum",
                "Input should be 'totp', 'sms', 'email' or 'webauthn'",
            ),
        ),
        (
            words(
                settings("session_timeout"),
                FieldProblem::OutOfRange {
                    value: 0,
                    min: 1,
                    max: 43_200,
                },
            ),
            (
                "greater_than_equal",
                "Input should be greater than or equal to 1",
            ),
        ),
        (
            words(
                settings("session_timeout"),
                FieldProblem::OutOfRange {
                    value: u64::MAX.into(),
                    min: 1,
                    max: 43_200,
                },
            ),
            (
                "less_than_equal",
                "Input should be less than or equal to 43200",
            ),
        ),
        (
            words(
                FieldPath::field("settings"),
                FieldProblem::UnknownField {
                    name: "mfa_requird".into(),
                    expected: &["mfa_required", "mfa_methods"],
                },
            ),
            (
                "extra_forbidden",
                "Extra inputs are not permitted: \"mfa_requird\" is not a settings field (expected mfa_required, mfa_methods)",
            ),
        ),
        (
            words(
                settings("password_policy"),
                FieldProblem::UnknownField {
                    name: "x".into(),
                    expected: &["min_length"],
                },
            ),
            (
                "extra_forbidden",
                "Extra inputs are not permitted: \"x\" is not a password_policy field (expected min_length)",
            ),
        ),
        (
            words(
                policy("max_length"),
                FieldProblem::LessThanField {
                    field: "min_length",
                    value: 8,
                },
            ),
            (
                "value_error",
                "Value error, max_length must be greater than or equal to min_length (8)",
            ),
        ),
        (
            words(
                settings("mfa_methods").at(2),
                FieldProblem::Duplicate {
                    value: "totp".into(),
                },
            ),
            ("value_error", "Value error, totp is listed more than once"),
        ),
        (
            words(settings("mfa_methods"), FieldProblem::MfaMethodNeeded),
            (
                "value_error",
                "Value error, at least one MFA method is needed when mfa_required is true",
            ),
        ),
    ];
    for (got, (kind, msg)) in cases {
        assert_eq!(got, (kind, msg.to_owned()));
    }
}

#[test]
fn profile_problems_keep_the_domains_sentences() {
    let field = FieldPath::field;
    let cases = [
        (
            words(field("display_name"), FieldProblem::Blank),
            ("string_too_short", "must not be blank"),
        ),
        (
            words(
                field("theme_name"),
                FieldProblem::TooLong {
                    max: 255,
                    unit: LengthUnit::Characters,
                },
            ),
            ("string_too_long", "must be at most 255 characters"),
        ),
        (
            words(
                field("modules"),
                FieldProblem::TooLong {
                    max: 100,
                    unit: LengthUnit::Items,
                },
            ),
            ("too_long", "must have at most 100 items"),
        ),
        (
            words(
                field("metadata"),
                FieldProblem::TooLong {
                    max: 65_536,
                    unit: LengthUnit::JsonBytes,
                },
            ),
            ("too_long", "must be at most 65536 bytes as JSON"),
        ),
        (
            words(field("plan_id"), FieldProblem::ControlCharacter),
            ("value_error", "must not contain control characters"),
        ),
        (
            words(field("admin_email"), FieldProblem::NotAnEmail),
            ("value_error", "must be an e-mail address"),
        ),
        (
            words(
                field("domains").at(1),
                FieldProblem::Duplicate {
                    value: "a.example.com".into(),
                },
            ),
            ("value_error", "a.example.com is listed twice"),
        ),
        (
            words(
                field("name"),
                FieldProblem::DefaultDomain {
                    host: "x.example".into(),
                    reason: "too long".into(),
                },
            ),
            (
                "value_error",
                "makes the default domain \"x.example\" invalid: too long",
            ),
        ),
    ];
    for (got, (kind, msg)) in cases {
        assert_eq!(got, (kind, msg.to_owned()));
    }
}

#[test]
fn pydantic_lists_choices_with_a_final_or() {
    assert_eq!(choices(&["a"]), "'a'");
    assert_eq!(choices(&["a", "b"]), "'a' or 'b'");
    assert_eq!(choices(&["a", "b", "c"]), "'a', 'b' or 'c'");
}

#[actix_web::test]
async fn tenant_field_errors_become_fastapi_problems() {
    let path = FieldPath::field("settings").and("mfa_methods").at(0);
    let error: ApiError = TenantError::Invalid(vec![FieldError::new(
        path,
        FieldProblem::NotOneOf {
            allowed: vec!["totp"],
        },
    )])
    .into();
    assert_eq!(
        error.status_code(),
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    );
    let body = to_bytes(error.error_response().into_body()).await.unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"detail": [{"loc": ["body", "settings", "mfa_methods", 0],
                           "msg": "Input should be 'totp'", "type": "enum"}]})
    );
}

#[test]
fn recorded_errors_sit_under_their_field() {
    let body = serde_json::Map::new();
    let mut fields = Fields::new(&body, vec![json!("body")]);
    record_under(
        &mut fields,
        "settings",
        vec![FieldError::new(
            FieldPath::field("session_timeout"),
            FieldProblem::OutOfRange {
                value: 0,
                min: 1,
                max: 43_200,
            },
        )],
    );
    let Err(ApiError::Invalid(problems)) = fields.finish(|| Some(())) else {
        panic!("a problem was recorded");
    };
    assert_eq!(
        json!(problems),
        json!([{"loc": ["body", "settings", "session_timeout"],
                "msg": "Input should be greater than or equal to 1", "type": "greater_than_equal"}])
    );
}
