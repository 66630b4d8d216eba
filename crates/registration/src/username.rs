//! Usernames: 2–30 ASCII letters, digits, `-` and `_`, case preserved.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A valid username: 2–30 characters from `[-a-zA-Z0-9_]` (ASCII only).
///
/// The text is kept exactly as given (case preserved). Equality is case-sensitive;
/// per-tenant uniqueness is the store's rule, not this type's.
///
/// ```
/// use tenantry_registration::Username;
///
/// let name = Username::parse("Ada_Lovelace-1815")?;
/// assert_eq!(name.as_str(), "Ada_Lovelace-1815");
/// assert!(Username::parse("a").is_err());
/// assert!(Username::parse("ada lovelace").is_err());
/// # Ok::<(), tenantry_registration::UsernameError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

/// Why a text is not a [`Username`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UsernameError {
    /// Fewer than [`Username::MIN_LENGTH`] characters.
    #[error("username must be at least {min} characters long", min = Username::MIN_LENGTH)]
    TooShort,
    /// More than [`Username::MAX_LENGTH`] characters.
    #[error("username must be at most {max} characters long", max = Username::MAX_LENGTH)]
    TooLong,
    /// A character outside `[-a-zA-Z0-9_]`.
    #[error("username may contain only ASCII letters, digits, '-' and '_' (found {0:?})")]
    InvalidCharacter(char),
}

impl Username {
    /// The fewest characters a username may have.
    pub const MIN_LENGTH: usize = 2;
    /// The most characters a username may have.
    pub const MAX_LENGTH: usize = 30;

    /// Parses a username, refusing anything outside the rules (nothing is trimmed or
    /// changed).
    ///
    /// # Errors
    /// [`UsernameError`] naming the first rule broken: length (in characters) first, then
    /// the first character outside `[-a-zA-Z0-9_]`.
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let length = raw.chars().count();
        if length < Self::MIN_LENGTH {
            return Err(UsernameError::TooShort);
        }
        if length > Self::MAX_LENGTH {
            return Err(UsernameError::TooLong);
        }
        if let Some(bad) = raw.chars().find(|c| !is_username_char(*c)) {
            return Err(UsernameError::InvalidCharacter(bad));
        }
        Ok(Self(raw.to_owned()))
    }
}

fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

tenantry_tenant::string_newtype!(Username, 0, UsernameError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_allowed_alphabet_and_keeps_case() {
        for ok in [
            "ab",
            "Ab",
            "a-b_c",
            "--",
            "__",
            "0123456789",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcd",
        ] {
            assert_eq!(Username::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_wrong_lengths() {
        assert_eq!(Username::parse(""), Err(UsernameError::TooShort));
        assert_eq!(Username::parse("a"), Err(UsernameError::TooShort));
        assert_eq!(
            Username::parse(&"a".repeat(31)),
            Err(UsernameError::TooLong)
        );
        assert!(Username::parse(&"a".repeat(30)).is_ok());
    }

    #[test]
    fn refuses_characters_outside_the_alphabet() {
        assert_eq!(
            Username::parse("a b"),
            Err(UsernameError::InvalidCharacter(' '))
        );
        assert_eq!(
            Username::parse("ab."),
            Err(UsernameError::InvalidCharacter('.'))
        );
        assert_eq!(
            Username::parse("josé"),
            Err(UsernameError::InvalidCharacter('é'))
        );
        assert_eq!(
            Username::parse("ab\n"),
            Err(UsernameError::InvalidCharacter('\n'))
        );
        // Non-ASCII digits and letters are not allowed either.
        assert_eq!(
            Username::parse("ab٣"),
            Err(UsernameError::InvalidCharacter('٣'))
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // Two characters, four bytes: long enough, but not ASCII.
        assert_eq!(
            Username::parse("éé"),
            Err(UsernameError::InvalidCharacter('é'))
        );
        assert_eq!(
            Username::parse(&"é".repeat(16)),
            Err(UsernameError::InvalidCharacter('é'))
        );
    }

    #[test]
    fn error_messages_are_readable() {
        assert_eq!(
            UsernameError::TooShort.to_string(),
            "username must be at least 2 characters long"
        );
        assert_eq!(
            UsernameError::TooLong.to_string(),
            "username must be at most 30 characters long"
        );
        assert_eq!(
            UsernameError::InvalidCharacter('!').to_string(),
            "username may contain only ASCII letters, digits, '-' and '_' (found '!')"
        );
    }

    #[test]
    fn deserialize_goes_through_parse() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as DeError, StrDeserializer};

        let from = |raw: &'static str| {
            let de: StrDeserializer<'_, DeError> = raw.into_deserializer();
            Username::deserialize(de)
        };
        assert_eq!(from("Ada-1").unwrap().as_str(), "Ada-1");
        let err = from("a b").unwrap_err();
        assert!(
            err.to_string().contains("username may contain only"),
            "{err}"
        );
        assert!(from("a").is_err());
    }

    proptest! {
        #[test]
        fn valid_usernames_round_trip(raw in "[-a-zA-Z0-9_]{2,30}") {
            let name = Username::parse(&raw).unwrap();
            prop_assert_eq!(name.as_str(), raw.as_str());
            prop_assert_eq!(name.to_string(), raw);
        }

        #[test]
        fn parse_agrees_with_the_rule(raw in "\\PC{0,40}") {
            let count = raw.chars().count();
            let expected = (2..=30).contains(&count) && raw.chars().all(is_username_char);
            prop_assert_eq!(Username::parse(&raw).is_ok(), expected);
        }

        #[test]
        fn any_forbidden_character_is_refused(
            prefix in "[a-z]{1,10}",
            bad in "[^-a-zA-Z0-9_]",
            suffix in "[a-z]{0,10}",
        ) {
            let raw = format!("{prefix}{bad}{suffix}");
            prop_assert!(Username::parse(&raw).is_err());
        }
    }

    #[test]
    fn serde_writes_the_text_and_reads_through_parse() {
        let value: Username = serde_json::from_str(r#""Ada_1""#).unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), r#""Ada_1""#);
        let refused = serde_json::from_str::<Username>(r#""a""#).unwrap_err();
        let parse_error = Username::parse("a").unwrap_err();
        assert_eq!(refused.to_string(), parse_error.to_string());
        let not_text = serde_json::from_str::<Username>("5").unwrap_err();
        assert_eq!(
            not_text.to_string(),
            "invalid type: integer `5`, expected a string at line 1 column 1"
        );
    }
}
