//! A tenant's settings object on the canonical wire: read from client JSON, shown in the
//! tenant view, described in OpenAPI.
//!
//! [`read_patch`] reads strictly (booleans must be JSON booleans, integers JSON integers;
//! `null`, for the whole object or a field, means "not given"), checks each field's own
//! bounds, refuses unknown keys (so typos do not pass silently) and collects every error
//! as a typed [`FieldError`] with its path relative to the settings object. Rules that
//! span fields are the domain's ([`Settings::apply`]). [`field_errors`](super::field_errors)
//! words the errors.

use serde_json::{Value, json};
use tenantry_tenant::settings::PasswordPolicyPatch;
use tenantry_tenant::{
    FieldError, FieldPath, FieldProblem, MfaMethod, PasswordPolicy, Settings, SettingsPatch,
    ValueKind,
};

/// The settings object's fields, in the order error messages list them.
const SETTINGS_FIELDS: [&str; 4] = [
    "mfa_required",
    "mfa_methods",
    "password_policy",
    "session_timeout",
];

/// The password policy's fields, in the order error messages list them.
const POLICY_FIELDS: [&str; 6] = [
    "min_length",
    "max_length",
    "require_uppercase",
    "require_lowercase",
    "require_digit",
    "require_symbol",
];

/// Reads a settings patch from client JSON, collecting every error with its path
/// relative to the settings object (an unknown key is reported on the object that has
/// it, naming the key).
pub fn read_patch(value: &Value) -> Result<SettingsPatch, Vec<FieldError>> {
    let object = match value {
        Value::Null => return Ok(SettingsPatch::default()),
        Value::Object(object) => object,
        _ => return Err(vec![wrong_type(FieldPath::root(), ValueKind::Object)]),
    };
    let mut errors = Vec::new();
    let mut patch = SettingsPatch::default();
    for (key, value) in object {
        let Some(key) = known(
            &mut errors,
            &FieldPath::root(),
            key,
            value,
            &SETTINGS_FIELDS,
        ) else {
            continue;
        };
        let path = FieldPath::field;
        match key {
            "mfa_required" => patch.mfa_required = read_bool(&mut errors, path(key), value),
            "mfa_methods" => patch.mfa_methods = read_methods(&mut errors, value),
            "password_policy" => patch.password_policy = read_policy(&mut errors, value),
            _ => {
                patch.session_timeout = read_int(
                    &mut errors,
                    path("session_timeout"),
                    value,
                    Settings::SHORTEST_SESSION_TIMEOUT,
                    Settings::LONGEST_SESSION_TIMEOUT,
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(errors)
    }
}

/// The settings as the tenant view shows them.
pub fn view(settings: &Settings) -> Value {
    let policy = &settings.password_policy;
    let methods: Vec<&str> = settings.mfa_methods.iter().map(|m| m.as_str()).collect();
    json!({
        "mfa_required": settings.mfa_required,
        "mfa_methods": methods,
        "password_policy": {
            "min_length": policy.min_length,
            "max_length": policy.max_length,
            "require_uppercase": policy.require_uppercase,
            "require_lowercase": policy.require_lowercase,
            "require_digit": policy.require_digit,
            "require_symbol": policy.require_symbol,
        },
        "session_timeout": settings.session_timeout,
    })
}

/// The JSON Schema of the settings object (`components.schemas.Settings`).
pub fn schema() -> Value {
    let boolean = json!({"type": "boolean"});
    let policy = json!({"type": "object", "additionalProperties": false, "properties": {
        "min_length": {"type": "integer", "minimum": PasswordPolicy::LOWEST_MIN_LENGTH,
                       "maximum": PasswordPolicy::HIGHEST_MIN_LENGTH},
        // The published minimum; the rule is `min_length` or more.
        "max_length": {"type": "integer", "minimum": 1, "maximum": PasswordPolicy::HIGHEST_MAX_LENGTH},
        "require_uppercase": boolean, "require_lowercase": boolean,
        "require_digit": boolean, "require_symbol": boolean,
    }});
    json!({"type": "object", "additionalProperties": false, "properties": {
        "mfa_required": boolean,
        "mfa_methods": {"type": "array", "items": {"enum": MfaMethod::names()}},
        "password_policy": policy,
        "session_timeout": {"type": "integer", "minimum": Settings::SHORTEST_SESSION_TIMEOUT,
                            "maximum": Settings::LONGEST_SESSION_TIMEOUT, "description": "minutes"},
    }})
}

/// `key` as its `'static` name when it is one of `names` and `value` is given (not
/// null); an unknown key, even with a null value, is an error on the object at `path`.
fn known(
    errors: &mut Vec<FieldError>,
    path: &FieldPath,
    key: &str,
    value: &Value,
    names: &'static [&'static str],
) -> Option<&'static str> {
    let Some(name) = names.iter().find(|name| **name == key) else {
        errors.push(FieldError::new(
            path.clone(),
            FieldProblem::UnknownField {
                name: key.to_owned(),
                expected: names,
            },
        ));
        return None;
    };
    (!value.is_null()).then_some(*name)
}

fn read_methods(errors: &mut Vec<FieldError>, value: &Value) -> Option<Vec<MfaMethod>> {
    let path = FieldPath::field("mfa_methods");
    let Value::Array(items) = value else {
        errors.push(wrong_type(path, ValueKind::List));
        return None;
    };
    let before = errors.len();
    let mut methods = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match item
            .as_str()
            .and_then(|text| text.parse::<MfaMethod>().ok())
        {
            Some(method) => methods.push(method),
            None => errors.push(FieldError::new(
                path.clone().at(index),
                FieldProblem::NotOneOf {
                    allowed: MfaMethod::names(),
                },
            )),
        }
    }
    (errors.len() == before).then_some(methods)
}

fn read_policy(errors: &mut Vec<FieldError>, value: &Value) -> Option<PasswordPolicyPatch> {
    let prefix = FieldPath::field("password_policy");
    let Value::Object(object) = value else {
        errors.push(wrong_type(prefix, ValueKind::Object));
        return None;
    };
    let before = errors.len();
    let mut patch = PasswordPolicyPatch::default();
    for (key, value) in object {
        let Some(key) = known(errors, &prefix, key, value, &POLICY_FIELDS) else {
            continue;
        };
        let path = prefix.clone().and(key);
        match key {
            "min_length" => {
                patch.min_length = read_int(
                    errors,
                    path,
                    value,
                    PasswordPolicy::LOWEST_MIN_LENGTH,
                    PasswordPolicy::HIGHEST_MIN_LENGTH,
                );
            }
            "max_length" => {
                patch.max_length = read_int(
                    errors,
                    path,
                    value,
                    PasswordPolicy::LOWEST_MIN_LENGTH,
                    PasswordPolicy::HIGHEST_MAX_LENGTH,
                );
            }
            "require_uppercase" => patch.require_uppercase = read_bool(errors, path, value),
            "require_lowercase" => patch.require_lowercase = read_bool(errors, path, value),
            "require_digit" => patch.require_digit = read_bool(errors, path, value),
            _ => patch.require_symbol = read_bool(errors, path, value),
        }
    }
    (errors.len() == before).then_some(patch)
}

fn read_bool(errors: &mut Vec<FieldError>, path: FieldPath, value: &Value) -> Option<bool> {
    let read = value.as_bool();
    if read.is_none() {
        errors.push(wrong_type(path, ValueKind::Boolean));
    }
    read
}

/// An integer within `min..=max`. Any JSON integer is accepted for the comparison, so a
/// value too large for `T` is reported as out of range rather than as a type error.
fn read_int<T>(
    errors: &mut Vec<FieldError>,
    path: FieldPath,
    value: &Value,
    min: T,
    max: T,
) -> Option<T>
where
    T: Copy + Into<i64> + TryFrom<i128>,
{
    let integer = match value {
        Value::Number(number) => number
            .as_i64()
            .map(i128::from)
            .or_else(|| number.as_u64().map(i128::from)),
        _ => None,
    };
    let Some(integer) = integer else {
        errors.push(wrong_type(path, ValueKind::Integer));
        return None;
    };
    let (low, high) = (min.into(), max.into());
    if !(i128::from(low)..=i128::from(high)).contains(&integer) {
        errors.push(FieldError::new(
            path,
            FieldProblem::OutOfRange {
                value: integer,
                min: low,
                max: high,
            },
        ));
        return None;
    }
    // `min <= integer <= max` and both bounds are `T`s, so the conversion succeeds.
    T::try_from(integer).ok()
}

fn wrong_type(path: FieldPath, expected: ValueKind) -> FieldError {
    FieldError::new(path, FieldProblem::WrongType { expected })
}

#[cfg(test)]
mod tests;
