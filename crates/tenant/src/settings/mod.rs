//! A tenant's security settings: multi-factor authentication, password policy and
//! session timeout.
//!
//! Settings change by [`SettingsPatch`]es merged with [`Settings::apply`], which checks
//! every rule and reports each broken one as a [`FieldError`] whose path is relative to
//! the settings object (`mfa_methods[1]`, `password_policy.max_length`). All errors are
//! collected, not just the first. Reading a patch from a wire format (and wording its
//! errors) is the job of that format's adapter; this module knows no JSON of clients.
//!
//! ```
//! use tenantry_tenant::{FieldProblem, MfaMethod, Settings, SettingsPatch};
//!
//! let patch = SettingsPatch {
//!     mfa_required: Some(true),
//!     mfa_methods: Some(vec![MfaMethod::Totp]),
//!     ..SettingsPatch::default()
//! };
//! let settings = Settings::default().apply(&patch).map_err(|errors| errors[0].to_string())?;
//! assert_eq!(settings.mfa_methods, [MfaMethod::Totp]);
//! assert_eq!(settings.session_timeout, 60);
//!
//! let errors = Settings::default()
//!     .apply(&SettingsPatch { session_timeout: Some(0), ..SettingsPatch::default() })
//!     .unwrap_err();
//! assert_eq!(errors[0].path.to_string(), "session_timeout");
//! assert_eq!(errors[0].problem, FieldProblem::OutOfRange { value: 0, min: 1, max: 43_200 });
//! # Ok::<(), String>(())
//! ```

mod mfa_method;
mod password_policy;
mod patch;
mod rules;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use mfa_method::{MfaMethod, UnknownMfaMethod};
pub use password_policy::PasswordPolicy;
pub use patch::{PasswordPolicyPatch, SettingsPatch};

use crate::validation::{into_result, repeats};
use crate::{FieldError, FieldPath, FieldProblem};
use rules::check_bounds;

/// A tenant's security settings.
///
/// `Serialize` and `Deserialize` are the stored form, for trusted data: reading does not
/// validate, and missing fields take their defaults. Changes go through
/// [`Settings::apply`].
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
        repeats(
            &mut errors,
            &FieldPath::field("mfa_methods"),
            &self.mfa_methods,
        );
        if self.mfa_required && self.mfa_methods.is_empty() {
            errors.push(FieldError::new(
                FieldPath::field("mfa_methods"),
                FieldProblem::MfaMethodNeeded,
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

    /// The settings as the audit log records them: every field by name, methods by
    /// their names.
    pub fn snapshot(&self) -> Value {
        let Self {
            mfa_required,
            mfa_methods,
            password_policy,
            session_timeout,
        } = self;
        let methods: Vec<&str> = mfa_methods.iter().map(|method| method.as_str()).collect();
        json!({
            "mfa_required": mfa_required,
            "mfa_methods": methods,
            "password_policy": password_policy.snapshot(),
            "session_timeout": session_timeout,
        })
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
