//! A tenant's security settings: multi-factor authentication, password policy and
//! session timeout.
//!
//! Clients send settings as JSON (the admin dialect's `settings` object). They are read by
//! hand with [`SettingsPatch::from_json`] so that every error names its field path
//! relative to the settings object (`mfa_methods[1]`, `password_policy.min_length`) and
//! carries a Pydantic v2 error kind, which the HTTP layer turns into FastAPI's
//! `{"loc": ["body","settings","mfa_methods",1], "msg": …, "type": "enum"}`. All errors
//! are collected, not just the first. A patch is then merged over the current settings
//! with [`Settings::apply`], which checks the rules that span fields.
//!
//! ```
//! use serde_json::json;
//! use tenantry_tenant::{MfaMethod, Settings, SettingsPatch};
//!
//! let patch = SettingsPatch::from_json(&json!({"mfa_required": true, "mfa_methods": ["totp"]}))
//!     .map_err(|errors| errors[0].to_string())?;
//! let settings = Settings::default().apply(&patch).map_err(|errors| errors[0].to_string())?;
//! assert_eq!(settings.mfa_methods, [MfaMethod::Totp]);
//! assert_eq!(settings.session_timeout, 60);
//!
//! let errors = SettingsPatch::from_json(&json!({"session_timeout": 0})).unwrap_err();
//! assert_eq!(errors[0].path.to_string(), "session_timeout");
//! assert_eq!(errors[0].kind, "greater_than_equal");
//! # Ok::<(), String>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{FieldError, FieldPath};

/// Pydantic v2 error kinds used by settings validation.
mod kind {
    pub const DICT_TYPE: &str = "dict_type";
    pub const BOOL_TYPE: &str = "bool_type";
    pub const INT_TYPE: &str = "int_type";
    pub const LIST_TYPE: &str = "list_type";
    pub const ENUM: &str = "enum";
    pub const GREATER_THAN_EQUAL: &str = "greater_than_equal";
    pub const LESS_THAN_EQUAL: &str = "less_than_equal";
    pub const EXTRA_FORBIDDEN: &str = "extra_forbidden";
    pub const VALUE_ERROR: &str = "value_error";
}

/// A second factor a tenant's users may sign in with. Serialises in lowercase (`"totp"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MfaMethod {
    /// Time-based one-time passwords from an authenticator app.
    Totp,
    /// One-time codes by text message.
    Sms,
    /// One-time codes by e-mail.
    Email,
    /// Security keys and passkeys.
    Webauthn,
}

impl MfaMethod {
    /// Every method, in the order error messages list them.
    pub const ALL: [MfaMethod; 4] = [
        MfaMethod::Totp,
        MfaMethod::Sms,
        MfaMethod::Email,
        MfaMethod::Webauthn,
    ];

    /// The method's lowercase wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MfaMethod::Totp => "totp",
            MfaMethod::Sms => "sms",
            MfaMethod::Email => "email",
            MfaMethod::Webauthn => "webauthn",
        }
    }
}

impl fmt::Display for MfaMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MfaMethod {
    type Err = UnknownMfaMethod;

    /// Reads a lowercase wire name; case matters, as it does in JSON.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        MfaMethod::ALL
            .into_iter()
            .find(|method| method.as_str() == input)
            .ok_or_else(|| UnknownMfaMethod(input.to_owned()))
    }
}

/// A text that names no MFA method.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown MFA method {0:?}: expected one of totp, sms, email, webauthn")]
pub struct UnknownMfaMethod(pub String);

/// What a tenant's user passwords must look like.
///
/// Bounds: `min_length` in [`LOWEST_MIN_LENGTH`](Self::LOWEST_MIN_LENGTH)`..=`
/// [`HIGHEST_MIN_LENGTH`](Self::HIGHEST_MIN_LENGTH) (6..=128); `max_length` in
/// `min_length..=`[`HIGHEST_MAX_LENGTH`](Self::HIGHEST_MAX_LENGTH) (..=1024). Lengths
/// count characters.
///
/// `Deserialize` is for trusted, stored data: it does not check the bounds, and missing
/// fields take their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    /// Fewest characters.
    pub min_length: u16,
    /// Most characters.
    pub max_length: u16,
    /// Needs at least one uppercase letter.
    pub require_uppercase: bool,
    /// Needs at least one lowercase letter.
    pub require_lowercase: bool,
    /// Needs at least one digit.
    pub require_digit: bool,
    /// Needs at least one character that is neither a letter nor a digit.
    pub require_symbol: bool,
}

impl PasswordPolicy {
    /// The lowest allowed `min_length`.
    pub const LOWEST_MIN_LENGTH: u16 = 6;
    /// The highest allowed `min_length`.
    pub const HIGHEST_MIN_LENGTH: u16 = 128;
    /// The highest allowed `max_length` (its lowest is the policy's `min_length`).
    pub const HIGHEST_MAX_LENGTH: u16 = 1024;
    /// `min_length` by default.
    pub const DEFAULT_MIN_LENGTH: u16 = 8;
    /// `max_length` by default.
    pub const DEFAULT_MAX_LENGTH: u16 = 128;

    /// Every rule the policy breaks, with paths relative to the policy (`min_length`).
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let min_ok = check_bounds(
            &mut errors,
            FieldPath::field("min_length"),
            self.min_length,
            Self::LOWEST_MIN_LENGTH,
            Self::HIGHEST_MIN_LENGTH,
        );
        let max_ok = check_bounds(
            &mut errors,
            FieldPath::field("max_length"),
            self.max_length,
            Self::LOWEST_MIN_LENGTH,
            Self::HIGHEST_MAX_LENGTH,
        );
        if min_ok && max_ok && self.max_length < self.min_length {
            errors.push(FieldError::new(
                FieldPath::field("max_length"),
                kind::VALUE_ERROR,
                format!(
                    "Value error, max_length must be greater than or equal to min_length ({})",
                    self.min_length
                ),
            ));
        }
        into_result(errors)
    }

    fn merged(&self, patch: &PasswordPolicyPatch) -> PasswordPolicy {
        PasswordPolicy {
            min_length: patch.min_length.unwrap_or(self.min_length),
            max_length: patch.max_length.unwrap_or(self.max_length),
            require_uppercase: patch.require_uppercase.unwrap_or(self.require_uppercase),
            require_lowercase: patch.require_lowercase.unwrap_or(self.require_lowercase),
            require_digit: patch.require_digit.unwrap_or(self.require_digit),
            require_symbol: patch.require_symbol.unwrap_or(self.require_symbol),
        }
    }
}

impl Default for PasswordPolicy {
    /// 8 to 128 characters, no character classes required.
    fn default() -> Self {
        Self {
            min_length: Self::DEFAULT_MIN_LENGTH,
            max_length: Self::DEFAULT_MAX_LENGTH,
            require_uppercase: false,
            require_lowercase: false,
            require_digit: false,
            require_symbol: false,
        }
    }
}

/// A tenant's security settings.
///
/// `Deserialize` is for trusted, stored data: it does not validate, and missing fields
/// take their defaults. Client input goes through [`Settings::from_json`] or
/// [`SettingsPatch::from_json`] and [`Settings::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Whether every user must set up a second factor.
    pub mfa_required: bool,
    /// The second factors users may choose from; no duplicates.
    pub mfa_methods: Vec<MfaMethod>,
    /// Rules for user passwords.
    pub password_policy: PasswordPolicy,
    /// Minutes of inactivity after which a session ends, in
    /// [`SHORTEST_SESSION_TIMEOUT`](Self::SHORTEST_SESSION_TIMEOUT)`..=`
    /// [`LONGEST_SESSION_TIMEOUT`](Self::LONGEST_SESSION_TIMEOUT) (1..=43200, 30 days).
    pub session_timeout: u32,
}

impl Settings {
    /// The shortest allowed session timeout, in minutes.
    pub const SHORTEST_SESSION_TIMEOUT: u32 = 1;
    /// The longest allowed session timeout, in minutes (30 days).
    pub const LONGEST_SESSION_TIMEOUT: u32 = 43_200;
    /// The session timeout by default, in minutes.
    pub const DEFAULT_SESSION_TIMEOUT: u32 = 60;

    /// Settings for a new tenant from client JSON: the defaults with the patch read from
    /// `value` applied. `null` gives the defaults.
    pub fn from_json(value: &Value) -> Result<Settings, Vec<FieldError>> {
        Settings::default().apply(&SettingsPatch::from_json(value)?)
    }

    /// These settings with `patch` merged field by field (the password policy too), if
    /// the result keeps every rule. Errors name paths relative to the settings object.
    ///
    /// Rules: the bounds documented on the fields; `max_length ≥ min_length` (reported on
    /// `password_policy.max_length`); no method listed twice (reported at the repeat's
    /// index); `mfa_required` needs at least one method (reported on `mfa_methods`).
    pub fn apply(&self, patch: &SettingsPatch) -> Result<Settings, Vec<FieldError>> {
        let merged = Settings {
            mfa_required: patch.mfa_required.unwrap_or(self.mfa_required),
            mfa_methods: patch
                .mfa_methods
                .clone()
                .unwrap_or_else(|| self.mfa_methods.clone()),
            password_policy: match &patch.password_policy {
                Some(policy) => self.password_policy.merged(policy),
                None => self.password_policy,
            },
            session_timeout: patch.session_timeout.unwrap_or(self.session_timeout),
        };
        merged.validate()?;
        Ok(merged)
    }

    /// Every rule these settings break, with paths relative to the settings object.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        for (index, method) in self.mfa_methods.iter().enumerate() {
            if self.mfa_methods[..index].contains(method) {
                errors.push(FieldError::new(
                    FieldPath::field("mfa_methods").at(index),
                    kind::VALUE_ERROR,
                    format!("Value error, {method} is listed more than once"),
                ));
            }
        }
        if self.mfa_required && self.mfa_methods.is_empty() {
            errors.push(FieldError::new(
                FieldPath::field("mfa_methods"),
                kind::VALUE_ERROR,
                "Value error, at least one MFA method is needed when mfa_required is true",
            ));
        }
        if let Err(policy_errors) = self.password_policy.validate() {
            let prefix = FieldPath::field("password_policy");
            errors.extend(policy_errors.into_iter().map(|error| error.under(&prefix)));
        }
        check_bounds(
            &mut errors,
            FieldPath::field("session_timeout"),
            self.session_timeout,
            Self::SHORTEST_SESSION_TIMEOUT,
            Self::LONGEST_SESSION_TIMEOUT,
        );
        into_result(errors)
    }
}

impl Default for Settings {
    /// No MFA, the default [`PasswordPolicy`], 60-minute sessions.
    fn default() -> Self {
        Self {
            mfa_required: false,
            mfa_methods: Vec::new(),
            password_policy: PasswordPolicy::default(),
            session_timeout: Self::DEFAULT_SESSION_TIMEOUT,
        }
    }
}

/// A partial change of [`Settings`]: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    /// New `mfa_required`.
    pub mfa_required: Option<bool>,
    /// New method list; replaces the whole list.
    pub mfa_methods: Option<Vec<MfaMethod>>,
    /// Password policy fields to change.
    pub password_policy: Option<PasswordPolicyPatch>,
    /// New session timeout, in minutes.
    pub session_timeout: Option<u32>,
}

/// A partial change of a [`PasswordPolicy`]: `None` leaves a field as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PasswordPolicyPatch {
    /// New `min_length`.
    pub min_length: Option<u16>,
    /// New `max_length`.
    pub max_length: Option<u16>,
    /// New `require_uppercase`.
    pub require_uppercase: Option<bool>,
    /// New `require_lowercase`.
    pub require_lowercase: Option<bool>,
    /// New `require_digit`.
    pub require_digit: Option<bool>,
    /// New `require_symbol`.
    pub require_symbol: Option<bool>,
}

const SETTINGS_FIELDS: [&str; 4] = [
    "mfa_required",
    "mfa_methods",
    "password_policy",
    "session_timeout",
];
const POLICY_FIELDS: [&str; 6] = [
    "min_length",
    "max_length",
    "require_uppercase",
    "require_lowercase",
    "require_digit",
    "require_symbol",
];

impl SettingsPatch {
    /// Reads a patch from client JSON, collecting every error with its path relative to
    /// the settings object.
    ///
    /// Types are strict: booleans must be JSON booleans and integers JSON integers (not
    /// floats, not strings). `null`, for the whole object or for a field, means "not
    /// given". Each field's own bounds are checked here; rules that span fields are
    /// checked by [`Settings::apply`]. Unknown keys are refused (`extra_forbidden`) so
    /// that typos do not pass silently; since [`FieldPath`] holds only known field names,
    /// such an error sits on the enclosing object and its message names the key.
    pub fn from_json(value: &Value) -> Result<SettingsPatch, Vec<FieldError>> {
        let object = match value {
            Value::Null => return Ok(SettingsPatch::default()),
            Value::Object(object) => object,
            _ => return Err(vec![not_an_object(FieldPath::root())]),
        };
        let mut errors = Vec::new();
        let mut patch = SettingsPatch::default();
        for (key, value) in object {
            if value.is_null() {
                // An unknown key is refused even when null.
                if !SETTINGS_FIELDS.contains(&key.as_str()) {
                    errors.push(extra_key(
                        FieldPath::root(),
                        key,
                        "settings",
                        &SETTINGS_FIELDS,
                    ));
                }
                continue;
            }
            match key.as_str() {
                "mfa_required" => {
                    patch.mfa_required =
                        read_bool(&mut errors, FieldPath::field("mfa_required"), value);
                }
                "mfa_methods" => {
                    patch.mfa_methods = read_methods(&mut errors, value);
                }
                "password_policy" => {
                    patch.password_policy = read_policy(&mut errors, value);
                }
                "session_timeout" => {
                    patch.session_timeout = read_int(
                        &mut errors,
                        FieldPath::field("session_timeout"),
                        value,
                        Settings::SHORTEST_SESSION_TIMEOUT,
                        Settings::LONGEST_SESSION_TIMEOUT,
                    );
                }
                _ => errors.push(extra_key(
                    FieldPath::root(),
                    key,
                    "settings",
                    &SETTINGS_FIELDS,
                )),
            }
        }
        into_result(errors).map(|()| patch)
    }

    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == SettingsPatch::default()
    }
}

fn read_methods(errors: &mut Vec<FieldError>, value: &Value) -> Option<Vec<MfaMethod>> {
    let path = FieldPath::field("mfa_methods");
    let Value::Array(items) = value else {
        errors.push(FieldError::new(
            path,
            kind::LIST_TYPE,
            "Input should be a valid list",
        ));
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
                kind::ENUM,
                "Input should be 'totp', 'sms', 'email' or 'webauthn'",
            )),
        }
    }
    (errors.len() == before).then_some(methods)
}

fn read_policy(errors: &mut Vec<FieldError>, value: &Value) -> Option<PasswordPolicyPatch> {
    let prefix = FieldPath::field("password_policy");
    let Value::Object(object) = value else {
        errors.push(not_an_object(prefix));
        return None;
    };
    let before = errors.len();
    let mut patch = PasswordPolicyPatch::default();
    let field = |name: &'static str| prefix.clone().and(name);
    for (key, value) in object {
        if value.is_null() {
            if !POLICY_FIELDS.contains(&key.as_str()) {
                errors.push(extra_key(
                    prefix.clone(),
                    key,
                    "password_policy",
                    &POLICY_FIELDS,
                ));
            }
            continue;
        }
        match key.as_str() {
            "min_length" => {
                patch.min_length = read_int(
                    errors,
                    field("min_length"),
                    value,
                    PasswordPolicy::LOWEST_MIN_LENGTH,
                    PasswordPolicy::HIGHEST_MIN_LENGTH,
                );
            }
            "max_length" => {
                patch.max_length = read_int(
                    errors,
                    field("max_length"),
                    value,
                    PasswordPolicy::LOWEST_MIN_LENGTH,
                    PasswordPolicy::HIGHEST_MAX_LENGTH,
                );
            }
            "require_uppercase" => {
                patch.require_uppercase = read_bool(errors, field("require_uppercase"), value);
            }
            "require_lowercase" => {
                patch.require_lowercase = read_bool(errors, field("require_lowercase"), value);
            }
            "require_digit" => {
                patch.require_digit = read_bool(errors, field("require_digit"), value);
            }
            "require_symbol" => {
                patch.require_symbol = read_bool(errors, field("require_symbol"), value);
            }
            _ => errors.push(extra_key(
                prefix.clone(),
                key,
                "password_policy",
                &POLICY_FIELDS,
            )),
        }
    }
    (errors.len() == before).then_some(patch)
}

fn read_bool(errors: &mut Vec<FieldError>, path: FieldPath, value: &Value) -> Option<bool> {
    let read = value.as_bool();
    if read.is_none() {
        errors.push(FieldError::new(
            path,
            kind::BOOL_TYPE,
            "Input should be a valid boolean",
        ));
    }
    read
}

/// An integer within `low..=high`. Any JSON integer is accepted for the comparison, so a
/// value too large for `T` is reported as out of bounds rather than as a type error.
fn read_int<T>(
    errors: &mut Vec<FieldError>,
    path: FieldPath,
    value: &Value,
    low: T,
    high: T,
) -> Option<T>
where
    T: Copy + fmt::Display + Into<i128> + TryFrom<i128>,
{
    let integer = match value {
        Value::Number(number) => number
            .as_i64()
            .map(i128::from)
            .or_else(|| number.as_u64().map(i128::from)),
        _ => None,
    };
    let Some(integer) = integer else {
        errors.push(FieldError::new(
            path,
            kind::INT_TYPE,
            "Input should be a valid integer",
        ));
        return None;
    };
    if integer < low.into() {
        errors.push(greater_than_equal(path, low));
        return None;
    }
    if integer > high.into() {
        errors.push(less_than_equal(path, high));
        return None;
    }
    // `low <= integer <= high` and both bounds are `T`s, so the conversion succeeds.
    T::try_from(integer).ok()
}

/// Pushes a bounds error when `value` is outside `low..=high`; returns whether it is inside.
fn check_bounds<T>(errors: &mut Vec<FieldError>, path: FieldPath, value: T, low: T, high: T) -> bool
where
    T: PartialOrd + fmt::Display,
{
    if value < low {
        errors.push(greater_than_equal(path, low));
        false
    } else if value > high {
        errors.push(less_than_equal(path, high));
        false
    } else {
        true
    }
}

fn greater_than_equal(path: FieldPath, bound: impl fmt::Display) -> FieldError {
    FieldError::new(
        path,
        kind::GREATER_THAN_EQUAL,
        format!("Input should be greater than or equal to {bound}"),
    )
}

fn less_than_equal(path: FieldPath, bound: impl fmt::Display) -> FieldError {
    FieldError::new(
        path,
        kind::LESS_THAN_EQUAL,
        format!("Input should be less than or equal to {bound}"),
    )
}

fn not_an_object(path: FieldPath) -> FieldError {
    FieldError::new(path, kind::DICT_TYPE, "Input should be a valid dictionary")
}

fn extra_key(path: FieldPath, key: &str, object: &str, known: &[&str]) -> FieldError {
    FieldError::new(
        path,
        kind::EXTRA_FORBIDDEN,
        format!(
            "Extra inputs are not permitted: {key:?} is not a {object} field (expected {})",
            known.join(", ")
        ),
    )
}

fn into_result(errors: Vec<FieldError>) -> Result<(), Vec<FieldError>> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::PathSegment;

    /// `(path, kind)` of each error, paths written like `password_policy.min_length`.
    fn summary(errors: &[FieldError]) -> Vec<(String, &'static str)> {
        errors
            .iter()
            .map(|error| (error.path.to_string(), error.kind))
            .collect()
    }

    fn patch_errors(value: Value) -> Vec<(String, &'static str)> {
        summary(&SettingsPatch::from_json(&value).unwrap_err())
    }

    fn apply_errors(settings: &Settings, value: Value) -> Vec<(String, &'static str)> {
        let patch = SettingsPatch::from_json(&value).unwrap();
        summary(&settings.apply(&patch).unwrap_err())
    }

    fn one(path: &str, kind: &'static str) -> Vec<(String, &'static str)> {
        vec![(path.to_owned(), kind)]
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
    fn reads_a_full_patch() {
        let patch = SettingsPatch::from_json(&json!({
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
        assert_eq!(
            SettingsPatch::from_json(&Value::Null),
            Ok(SettingsPatch::default())
        );
        let patch = SettingsPatch::from_json(&json!({
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
            SettingsPatch::from_json(&json!({"password_policy": null}))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn type_errors_name_their_field() {
        assert_eq!(patch_errors(json!([])), one("", "dict_type"));
        assert_eq!(patch_errors(json!("x")), one("", "dict_type"));
        assert_eq!(
            patch_errors(json!({"mfa_required": "true"})),
            one("mfa_required", "bool_type")
        );
        assert_eq!(
            patch_errors(json!({"mfa_required": 1})),
            one("mfa_required", "bool_type")
        );
        assert_eq!(
            patch_errors(json!({"mfa_methods": "totp"})),
            one("mfa_methods", "list_type")
        );
        assert_eq!(
            patch_errors(json!({"password_policy": [8]})),
            one("password_policy", "dict_type")
        );
        assert_eq!(
            patch_errors(json!({"password_policy": {"require_symbol": "yes"}})),
            one("password_policy.require_symbol", "bool_type")
        );
        for not_an_integer in [
            json!(1.5),
            json!(60.0),
            json!("60"),
            json!(true),
            json!([60]),
        ] {
            assert_eq!(
                patch_errors(json!({"session_timeout": not_an_integer})),
                one("session_timeout", "int_type")
            );
        }
        assert_eq!(
            patch_errors(json!({"password_policy": {"min_length": "8"}})),
            one("password_policy.min_length", "int_type")
        );
    }

    #[test]
    fn unknown_methods_are_reported_at_their_index() {
        let errors =
            SettingsPatch::from_json(&json!({"mfa_methods": ["totp", "carrier-pigeon", 3]}))
                .unwrap_err();
        assert_eq!(
            summary(&errors),
            [
                ("mfa_methods[1]".to_owned(), "enum"),
                ("mfa_methods[2]".to_owned(), "enum")
            ]
        );
        assert_eq!(
            errors[0].path,
            FieldPath::field("mfa_methods").at(1),
            "the path keeps the index as an index"
        );
        assert_eq!(
            errors[0].message,
            "Input should be 'totp', 'sms', 'email' or 'webauthn'"
        );
        assert_eq!(
            patch_errors(json!({"mfa_methods": ["TOTP"]})),
            one("mfa_methods[0]", "enum")
        );
    }

    #[test]
    fn bounds_are_checked_while_reading() {
        let cases = [
            (
                json!({"session_timeout": 0}),
                one("session_timeout", "greater_than_equal"),
            ),
            (
                json!({"session_timeout": -5}),
                one("session_timeout", "greater_than_equal"),
            ),
            (
                json!({"session_timeout": 43_201}),
                one("session_timeout", "less_than_equal"),
            ),
            (
                json!({"session_timeout": u64::MAX}),
                one("session_timeout", "less_than_equal"),
            ),
            (
                json!({"password_policy": {"min_length": 5}}),
                one("password_policy.min_length", "greater_than_equal"),
            ),
            (
                json!({"password_policy": {"min_length": 129}}),
                one("password_policy.min_length", "less_than_equal"),
            ),
            (
                json!({"password_policy": {"max_length": 1025}}),
                one("password_policy.max_length", "less_than_equal"),
            ),
            (
                json!({"password_policy": {"max_length": 70_000}}),
                one("password_policy.max_length", "less_than_equal"),
            ),
            (
                json!({"password_policy": {"max_length": -1}}),
                one("password_policy.max_length", "greater_than_equal"),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(patch_errors(input.clone()), expected, "input {input}");
        }
        let errors = SettingsPatch::from_json(&json!({"session_timeout": 0})).unwrap_err();
        assert_eq!(
            errors[0].message,
            "Input should be greater than or equal to 1"
        );
        let errors = SettingsPatch::from_json(&json!({"session_timeout": 50_000})).unwrap_err();
        assert_eq!(
            errors[0].message,
            "Input should be less than or equal to 43200"
        );
    }

    #[test]
    fn the_edges_of_the_bounds_are_accepted() {
        for (min, max) in [(6, 6), (128, 128), (6, 1024), (128, 1024)] {
            let settings = Settings::from_json(&json!({
                "password_policy": {"min_length": min, "max_length": max},
                "session_timeout": 1
            }))
            .unwrap();
            assert_eq!(settings.password_policy.min_length, min);
            assert_eq!(settings.password_policy.max_length, max);
            assert_eq!(settings.session_timeout, 1);
        }
    }

    #[test]
    fn unknown_keys_are_refused_and_named() {
        let errors = SettingsPatch::from_json(&json!({"mfa_requird": true})).unwrap_err();
        assert_eq!(summary(&errors), one("", "extra_forbidden"));
        assert!(
            errors[0]
                .message
                .starts_with("Extra inputs are not permitted")
        );
        assert!(errors[0].message.contains("\"mfa_requird\""));
        assert!(errors[0].message.contains("mfa_required, mfa_methods"));
        assert_eq!(
            patch_errors(json!({"password_policy": {"min_lenght": 8}})),
            one("password_policy", "extra_forbidden")
        );
        assert_eq!(
            patch_errors(json!({"typo": null})),
            one("", "extra_forbidden")
        );
    }

    #[test]
    fn every_error_is_collected() {
        // Sorted: the order of keys depends on serde_json's `preserve_order` feature.
        let mut errors = patch_errors(json!({
            "mfa_required": "no",
            "mfa_methods": ["sms", "fax"],
            "password_policy": {"min_length": 2, "max_length": 2000, "require_digit": 0, "extra": 1},
            "session_timeout": "1h",
            "colour": "blue"
        }));
        errors.sort();
        assert_eq!(
            errors,
            [
                ("".to_owned(), "extra_forbidden"),
                ("mfa_methods[1]".to_owned(), "enum"),
                ("mfa_required".to_owned(), "bool_type"),
                ("password_policy".to_owned(), "extra_forbidden"),
                ("password_policy.max_length".to_owned(), "less_than_equal"),
                (
                    "password_policy.min_length".to_owned(),
                    "greater_than_equal"
                ),
                ("password_policy.require_digit".to_owned(), "bool_type"),
                ("session_timeout".to_owned(), "int_type"),
            ]
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
        let patch = SettingsPatch::from_json(&json!({
            "password_policy": {"require_symbol": true},
            "session_timeout": 30
        }))
        .unwrap();
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
        assert_eq!(
            current.apply(&SettingsPatch::default()),
            Ok(current.clone())
        );
        let replaced = current
            .apply(&SettingsPatch {
                mfa_methods: Some(vec![MfaMethod::Sms, MfaMethod::Email]),
                ..SettingsPatch::default()
            })
            .unwrap();
        assert_eq!(replaced.mfa_methods, [MfaMethod::Sms, MfaMethod::Email]);
        assert!(replaced.mfa_required);
    }

    #[test]
    fn max_length_below_min_length_is_a_value_error_on_max_length() {
        let errors = Settings::default()
            .apply(&SettingsPatch {
                password_policy: Some(PasswordPolicyPatch {
                    max_length: Some(7),
                    ..PasswordPolicyPatch::default()
                }),
                ..SettingsPatch::default()
            })
            .unwrap_err();
        assert_eq!(
            summary(&errors),
            one("password_policy.max_length", "value_error")
        );
        assert_eq!(
            errors[0].message,
            "Value error, max_length must be greater than or equal to min_length (8)"
        );
        assert_eq!(
            apply_errors(
                &Settings::default(),
                json!({"password_policy": {"min_length": 100, "max_length": 99}})
            ),
            one("password_policy.max_length", "value_error")
        );
    }

    #[test]
    fn a_method_listed_twice_is_reported_at_the_repeat() {
        let errors = apply_errors(
            &Settings::default(),
            json!({"mfa_methods": ["totp", "sms", "totp", "sms"]}),
        );
        assert_eq!(
            errors,
            [
                ("mfa_methods[2]".to_owned(), "value_error"),
                ("mfa_methods[3]".to_owned(), "value_error")
            ]
        );
    }

    #[test]
    fn mfa_required_needs_a_method() {
        assert_eq!(
            apply_errors(&Settings::default(), json!({"mfa_required": true})),
            one("mfa_methods", "value_error")
        );
        let with_mfa =
            Settings::from_json(&json!({"mfa_required": true, "mfa_methods": ["email"]})).unwrap();
        assert_eq!(
            apply_errors(&with_mfa, json!({"mfa_methods": []})),
            one("mfa_methods", "value_error")
        );
        let relaxed =
            SettingsPatch::from_json(&json!({"mfa_required": false, "mfa_methods": []})).unwrap();
        assert!(with_mfa.apply(&relaxed).is_ok());
    }

    #[test]
    fn apply_checks_bounds_of_programmatic_patches() {
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
            summary(&Settings::default().apply(&patch).unwrap_err()),
            [
                ("password_policy.min_length".to_owned(), "less_than_equal"),
                ("password_policy.max_length".to_owned(), "less_than_equal"),
                ("session_timeout".to_owned(), "greater_than_equal"),
            ]
        );
    }

    #[test]
    fn errors_move_under_the_settings_field() {
        let errors = Settings::from_json(&json!({"mfa_methods": ["x"]})).unwrap_err();
        let moved = errors[0].clone().under(&FieldPath::field("settings"));
        assert_eq!(
            moved.path.segments(),
            [
                PathSegment::Field("settings"),
                PathSegment::Field("mfa_methods"),
                PathSegment::Index(0)
            ]
        );
    }

    #[test]
    fn from_json_starts_from_the_defaults() {
        assert_eq!(Settings::from_json(&Value::Null), Ok(Settings::default()));
        assert_eq!(Settings::from_json(&json!({})), Ok(Settings::default()));
        let settings = Settings::from_json(&json!({"session_timeout": 15})).unwrap();
        assert_eq!(
            settings,
            Settings {
                session_timeout: 15,
                ..Settings::default()
            }
        );
    }

    #[test]
    fn serde_uses_the_field_names_and_fills_defaults() {
        let settings = Settings {
            mfa_required: true,
            mfa_methods: vec![MfaMethod::Webauthn],
            ..Settings::default()
        };
        assert_eq!(
            serde_json::to_value(&settings).unwrap(),
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
        let stored: Settings = serde_json::from_value(
            json!({"session_timeout": 5, "password_policy": {"min_length": 12}}),
        )
        .unwrap();
        assert_eq!(stored.session_timeout, 5);
        assert_eq!(stored.password_policy.min_length, 12);
        assert_eq!(stored.password_policy.max_length, 128);
        assert!(stored.mfa_methods.is_empty());
    }

    fn patch_json(patch: &SettingsPatch) -> Value {
        let mut object = serde_json::Map::new();
        if let Some(required) = patch.mfa_required {
            object.insert("mfa_required".into(), json!(required));
        }
        if let Some(methods) = &patch.mfa_methods {
            object.insert("mfa_methods".into(), json!(methods));
        }
        if let Some(policy) = &patch.password_policy {
            let mut fields = serde_json::Map::new();
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
            for (key, value) in entries {
                if let Some(value) = value {
                    fields.insert(key.into(), value);
                }
            }
            object.insert("password_policy".into(), Value::Object(fields));
        }
        if let Some(timeout) = patch.session_timeout {
            object.insert("session_timeout".into(), json!(timeout));
        }
        Value::Object(object)
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

    /// Patches whose every field is within its own bounds (cross-field rules may fail).
    fn in_bounds_patch() -> impl Strategy<Value = SettingsPatch> {
        (
            prop::option::of(any::<bool>()),
            prop::option::of(prop::collection::vec(method(), 0..6)),
            prop::option::of(policy_patch(6..=128)),
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

        #[test]
        fn valid_patches_read_back_from_json(patch in in_bounds_patch()) {
            let read = SettingsPatch::from_json(&patch_json(&patch));
            prop_assert_eq!(read, Ok(patch));
        }

        #[test]
        fn any_json_is_read_or_refused_with_known_kinds(value in json_value()) {
            let known = [
                "dict_type", "bool_type", "int_type", "list_type", "enum",
                "greater_than_equal", "less_than_equal", "extra_forbidden", "value_error",
            ];
            match Settings::from_json(&value) {
                Ok(settings) => prop_assert!(within_bounds(&settings)),
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for error in errors {
                        prop_assert!(known.contains(&error.kind), "kind {}", error.kind);
                    }
                }
            }
        }
    }
}
