//! The Tahoe activation decision: is a new user active, and which email goes out.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use thiserror::Error;

/// The `send_activation_email` flag of a Tahoe registration (default `true`).
///
/// ```
/// use tenantry_registration::SendActivationEmail;
///
/// assert!(SendActivationEmail::parse("TRUE")?.value());
/// assert!(!SendActivationEmail::parse("false")?.value());
/// assert!(SendActivationEmail::default().value());
/// assert_eq!(
///     SendActivationEmail::parse("yes").unwrap_err().to_string(),
///     r#"yes is not a valid value for "send_activation_email""#
/// );
/// # Ok::<(), tenantry_registration::SendActivationEmailError>(())
/// ```
///
/// It deserializes from a JSON boolean or from a string that [`SendActivationEmail::parse`]
/// accepts (form bodies carry only strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendActivationEmail(bool);

/// The value given for `send_activation_email` is neither `true` nor `false`.
///
/// Its message is the Tahoe API's: `<v> is not a valid value for "send_activation_email"`,
/// with the raw input in place of `<v>`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{value} is not a valid value for \"send_activation_email\"")]
pub struct SendActivationEmailError {
    /// The raw input, as received.
    pub value: String,
}

impl SendActivationEmail {
    /// Parses `true` or `false`, in any letter case; nothing else (no trimming, no `1`/`0`).
    ///
    /// # Errors
    /// [`SendActivationEmailError`] carrying the raw input.
    pub fn parse(raw: &str) -> Result<Self, SendActivationEmailError> {
        if raw.eq_ignore_ascii_case("true") {
            Ok(Self(true))
        } else if raw.eq_ignore_ascii_case("false") {
            Ok(Self(false))
        } else {
            Err(SendActivationEmailError {
                value: raw.to_owned(),
            })
        }
    }

    /// The flag.
    #[must_use]
    pub fn value(self) -> bool {
        self.0
    }
}

impl Default for SendActivationEmail {
    /// `true`: the Tahoe API sends an activation email unless told otherwise.
    fn default() -> Self {
        Self(true)
    }
}

impl From<bool> for SendActivationEmail {
    fn from(value: bool) -> Self {
        Self(value)
    }
}

impl From<SendActivationEmail> for bool {
    fn from(flag: SendActivationEmail) -> Self {
        flag.0
    }
}

impl Serialize for SendActivationEmail {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(self.0)
    }
}

impl<'de> Deserialize<'de> for SendActivationEmail {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FlagVisitor)
    }
}

struct FlagVisitor;

impl Visitor<'_> for FlagVisitor {
    type Value = SendActivationEmail;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean or the string \"true\" or \"false\"")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok(SendActivationEmail(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        SendActivationEmail::parse(value).map_err(E::custom)
    }
}

/// An email the registration makes the outbox send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutgoingEmail {
    /// "Activate your account": a link to `GET /activate/{token}`.
    Activation,
    /// "Set your password": a link to `POST /password-reset/{token}`.
    PasswordReset,
}

impl OutgoingEmail {
    /// A stable snake_case name (`activation`, `password_reset`), e.g. for an outbox row.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::PasswordReset => "password_reset",
        }
    }
}

impl fmt::Display for OutgoingEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a registration does with the new user: whether it starts active, and which email,
/// if any, goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActivationDecision {
    /// Whether the user can log in right away.
    pub active: bool,
    /// The email to send, if any.
    pub email: Option<OutgoingEmail>,
}

/// Decides a new user's activation the way the Tahoe registration API did.
///
/// | password given | `send_activation_email` | active | email |
/// |---|---|---|---|
/// | yes | true | no | [`OutgoingEmail::Activation`] |
/// | yes | false | yes | none |
/// | no | (ignored: forced to false) | no | [`OutgoingEmail::PasswordReset`] |
///
/// Without a password the caller sets a random one ([`crate::Password::generate_for`]); the
/// password-reset email lets the user choose their own, which also proves the address.
///
/// ```
/// use tenantry_registration::{decide, ActivationDecision, OutgoingEmail};
///
/// assert_eq!(
///     decide(true, true),
///     ActivationDecision { active: false, email: Some(OutgoingEmail::Activation) }
/// );
/// assert_eq!(decide(true, false), ActivationDecision { active: true, email: None });
/// ```
#[must_use]
pub fn decide(password_given: bool, send_activation_email: bool) -> ActivationDecision {
    match (password_given, send_activation_email) {
        (true, true) => ActivationDecision {
            active: false,
            email: Some(OutgoingEmail::Activation),
        },
        (true, false) => ActivationDecision {
            active: true,
            email: None,
        },
        (false, _) => ActivationDecision {
            active: false,
            email: Some(OutgoingEmail::PasswordReset),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{BoolDeserializer, Error as DeError, StrDeserializer};

    #[test]
    fn decision_table() {
        let table = [
            // (password given, send flag, active, email)
            (true, true, false, Some(OutgoingEmail::Activation)),
            (true, false, true, None),
            (false, true, false, Some(OutgoingEmail::PasswordReset)),
            (false, false, false, Some(OutgoingEmail::PasswordReset)),
        ];
        for (password_given, send, active, email) in table {
            assert_eq!(
                decide(password_given, send),
                ActivationDecision { active, email },
                "password_given={password_given} send_activation_email={send}"
            );
        }
    }

    #[test]
    fn parses_booleans_in_any_case() {
        for (raw, value) in [
            ("true", true),
            ("True", true),
            ("TRUE", true),
            ("tRuE", true),
            ("false", false),
            ("False", false),
            ("FALSE", false),
        ] {
            assert_eq!(
                SendActivationEmail::parse(raw).unwrap().value(),
                value,
                "{raw}"
            );
        }
    }

    #[test]
    fn refuses_anything_else_with_the_tahoe_message() {
        for raw in ["", "1", "0", "yes", "no", " true", "true ", "truee", "null"] {
            let err = SendActivationEmail::parse(raw).unwrap_err();
            assert_eq!(err.value, raw);
            assert_eq!(
                err.to_string(),
                format!("{raw} is not a valid value for \"send_activation_email\"")
            );
        }
    }

    #[test]
    fn defaults_to_true() {
        assert!(SendActivationEmail::default().value());
        assert!(bool::from(SendActivationEmail::from(true)));
    }

    #[test]
    fn deserializes_from_bool_or_string() {
        let from_bool = |value: bool| {
            let de: BoolDeserializer<DeError> = value.into_deserializer();
            SendActivationEmail::deserialize(de)
        };
        let from_str = |raw: &'static str| {
            let de: StrDeserializer<'_, DeError> = raw.into_deserializer();
            SendActivationEmail::deserialize(de)
        };
        assert!(!from_bool(false).unwrap().value());
        assert!(from_bool(true).unwrap().value());
        assert!(!from_str("False").unwrap().value());
        assert_eq!(
            from_str("maybe").unwrap_err().to_string(),
            "maybe is not a valid value for \"send_activation_email\""
        );
    }

    #[test]
    fn outgoing_email_names_are_stable() {
        assert_eq!(OutgoingEmail::Activation.to_string(), "activation");
        assert_eq!(OutgoingEmail::PasswordReset.as_str(), "password_reset");
    }

    proptest! {
        #[test]
        fn parse_accepts_exactly_true_and_false(raw in "\\PC{0,10}") {
            let lowered = raw.to_ascii_lowercase();
            match SendActivationEmail::parse(&raw) {
                Ok(flag) => {
                    prop_assert!(lowered == "true" || lowered == "false");
                    prop_assert_eq!(flag.value(), lowered == "true");
                }
                Err(err) => {
                    prop_assert!(lowered != "true" && lowered != "false");
                    prop_assert_eq!(err.value, raw);
                }
            }
        }

        #[test]
        fn every_casing_of_the_keywords_parses(
            word in prop::sample::select(vec!["true", "false"]),
            mask in prop::collection::vec(any::<bool>(), 5),
        ) {
            let raw: String = word
                .chars()
                .zip(mask)
                .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
                .collect();
            prop_assert_eq!(SendActivationEmail::parse(&raw).unwrap().value(), word == "true");
        }

        #[test]
        fn without_a_password_the_user_is_inactive_and_gets_a_reset(send: bool) {
            let decision = decide(false, send);
            prop_assert!(!decision.active);
            prop_assert_eq!(decision.email, Some(OutgoingEmail::PasswordReset));
        }
    }
}
