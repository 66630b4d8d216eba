//! The second factors a tenant's users may sign in with.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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

impl MfaMethod {
    /// Every method's wire name, in the order of [`MfaMethod::ALL`].
    pub fn names() -> Vec<&'static str> {
        MfaMethod::ALL.into_iter().map(MfaMethod::as_str).collect()
    }
}
