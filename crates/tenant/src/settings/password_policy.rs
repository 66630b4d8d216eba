//! What a tenant's user passwords must look like.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::patch::PasswordPolicyPatch;
use super::rules::check_bounds;
use crate::validation::into_result;
use crate::{FieldError, FieldPath, FieldProblem};

/// What a tenant's user passwords must look like.
///
/// Bounds: `min_length` in [`LOWEST_MIN_LENGTH`](Self::LOWEST_MIN_LENGTH)`..=`
/// [`HIGHEST_MIN_LENGTH`](Self::HIGHEST_MIN_LENGTH) (6..=128); `max_length` in
/// `min_length..=`[`HIGHEST_MAX_LENGTH`](Self::HIGHEST_MAX_LENGTH) (..=1024). Lengths
/// count characters.
///
/// `Serialize` and `Deserialize` are the stored form, for trusted data: reading does not
/// check the bounds, and missing fields take their defaults.
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
                FieldProblem::LessThanField {
                    field: "min_length",
                    value: self.min_length.into(),
                },
            ));
        }
        into_result(errors)
    }

    /// The policy as the audit log records it: every field by name.
    pub fn snapshot(&self) -> Value {
        let Self {
            min_length,
            max_length,
            require_uppercase,
            require_lowercase,
            require_digit,
            require_symbol,
        } = *self;
        json!({
            "min_length": min_length,
            "max_length": max_length,
            "require_uppercase": require_uppercase,
            "require_lowercase": require_lowercase,
            "require_digit": require_digit,
            "require_symbol": require_symbol,
        })
    }

    /// This policy with the fields `patch` sets replaced (not checked).
    pub(super) fn merged(&self, patch: &PasswordPolicyPatch) -> PasswordPolicy {
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
