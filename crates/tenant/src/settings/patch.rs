//! Partial changes of settings: `None` leaves a field as it is.

/// A partial change of [`Settings`](super::Settings): `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    /// New `mfa_required`.
    pub mfa_required: Option<bool>,
    /// New method list; replaces the whole list.
    pub mfa_methods: Option<Vec<super::MfaMethod>>,
    /// Password policy fields to change.
    pub password_policy: Option<PasswordPolicyPatch>,
    /// New session timeout, in minutes.
    pub session_timeout: Option<u32>,
}

impl SettingsPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == SettingsPatch::default()
    }
}

/// A partial change of a [`PasswordPolicy`](super::PasswordPolicy): `None` leaves a field
/// as it is.
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
