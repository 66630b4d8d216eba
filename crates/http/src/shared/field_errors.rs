//! Domain field errors in FastAPI's words: the `type` and `msg` Pydantic v2 gives each
//! [`FieldProblem`], and the conversion of [`TenantError`] into [`ApiError`].
//!
//! Every dialect's refusals travel as [`ApiError`] (the audit log records their problems
//! whatever the dialect), so this wording lives here rather than in the admin dialect;
//! the Open edX and hosting dialects reuse only `loc` and `msg`, which for the errors they
//! can meet are the domain's own sentences ([`FieldProblem`]'s `Display`).
//!
//! Inside `settings` (a nested Pydantic model in the FastAPI original) rule errors come
//! from model validators, which Pydantic words `"Value error, …"`.

use serde_json::Value;
use tenantry_tenant::{
    FieldError, FieldPath, FieldProblem, LengthUnit, PathSegment, TenantError, ValueKind,
};

use crate::core::error::{ApiError, Problem};
use crate::core::fields::Fields;

/// The FastAPI problem for `error`, located under `root` (`"body"`).
pub fn problem(root: &str, error: &FieldError) -> Problem {
    let mut loc = vec![Value::from(root)];
    loc.extend(error.path.segments().iter().map(segment));
    let (kind, msg) = wording(error);
    Problem::new(loc, kind, msg)
}

/// Records `errors`, whose paths are relative to the field `name` of the object `fields`
/// reads, as problems of that reader.
pub fn record_under(fields: &mut Fields<'_>, name: &'static str, errors: Vec<FieldError>) {
    let prefix = FieldPath::field(name);
    for error in errors {
        let error = error.under(&prefix);
        let (kind, msg) = wording(&error);
        let mut loc = fields.loc(name);
        loc.extend(error.path.segments().iter().skip(1).map(segment));
        fields.problem(loc, kind, msg);
    }
}

impl From<TenantError> for ApiError {
    fn from(error: TenantError) -> Self {
        match error {
            TenantError::Invalid(errors) => {
                ApiError::Invalid(errors.iter().map(|error| problem("body", error)).collect())
            }
            TenantError::NotFound => ApiError::Missing("Tenant not found"),
            TenantError::DomainNotFound(_) => ApiError::Missing("Domain not found"),
            TenantError::Conflict { field } => {
                ApiError::Conflict(format!("{field} is already taken"))
            }
            TenantError::NameOfDeletedTenant { name } => ApiError::Conflict(format!(
                "name {name} belongs to a deleted tenant: restore it \
                 (POST /api/v1/admin/tenants/{name}/restore), or purge it to use the name again"
            )),
            error @ (TenantError::IllegalTransition(_) | TenantError::NotAllowed { .. }) => {
                ApiError::Conflict(error.to_string())
            }
            error @ (TenantError::StaleVersion { .. } | TenantError::VersionNotMatched { .. }) => {
                ApiError::PreconditionFailed(error.to_string())
            }
            TenantError::Unavailable(cause) => ApiError::Unavailable(cause),
            TenantError::Backend(cause) => ApiError::Internal(cause),
        }
    }
}

fn segment(segment: &PathSegment) -> Value {
    match segment {
        PathSegment::Field(name) => Value::from(*name),
        PathSegment::Index(index) => Value::from(*index),
    }
}

/// Pydantic v2's `type` and `msg` for `error`.
fn wording(error: &FieldError) -> (&'static str, String) {
    let problem = &error.problem;
    let validator = error.path.starts_with("settings");
    let value_error = |text: String| {
        let msg = if validator {
            format!("Value error, {text}")
        } else {
            text
        };
        ("value_error", msg)
    };
    match problem {
        FieldProblem::WrongType { expected } => match expected {
            ValueKind::Boolean => ("bool_type", "Input should be a valid boolean".into()),
            ValueKind::Integer => ("int_type", "Input should be a valid integer".into()),
            ValueKind::List => ("list_type", "Input should be a valid list".into()),
            ValueKind::Object => ("dict_type", "Input should be a valid dictionary".into()),
        },
        FieldProblem::NotOneOf { allowed } => {
            ("enum", format!("Input should be {}", choices(allowed)))
        }
        FieldProblem::OutOfRange { value, min, .. } if *value < i128::from(*min) => (
            "greater_than_equal",
            format!("Input should be greater than or equal to {min}"),
        ),
        FieldProblem::OutOfRange { max, .. } => (
            "less_than_equal",
            format!("Input should be less than or equal to {max}"),
        ),
        FieldProblem::UnknownField { name, expected } => (
            "extra_forbidden",
            format!(
                "Extra inputs are not permitted: {name:?} is not a {} field (expected {})",
                error.path.last_field().unwrap_or("body"),
                expected.join(", ")
            ),
        ),
        FieldProblem::Blank => ("string_too_short", problem.to_string()),
        FieldProblem::TooLong {
            unit: LengthUnit::Characters,
            ..
        } => ("string_too_long", problem.to_string()),
        FieldProblem::TooLong { .. } => ("too_long", problem.to_string()),
        FieldProblem::Duplicate { value } if validator => {
            value_error(format!("{value} is listed more than once"))
        }
        FieldProblem::LessThanField { .. } => value_error(format!(
            "{} {problem}",
            error.path.last_field().unwrap_or("value")
        )),
        FieldProblem::Duplicate { .. }
        | FieldProblem::ControlCharacter
        | FieldProblem::NotAnEmail
        | FieldProblem::MfaMethodNeeded
        | FieldProblem::DefaultDomain { .. } => value_error(problem.to_string()),
    }
}

/// `'a', 'b' or 'c'`, as Pydantic lists the members of an enum.
fn choices(allowed: &[&str]) -> String {
    let quoted: Vec<String> = allowed.iter().map(|value| format!("'{value}'")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
