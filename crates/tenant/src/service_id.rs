//! Service ids: the billing system's identifier for a tenant (the hosting panel's
//! `serviceId`).
//!
//! The id belongs to another system, so its case is kept and nothing is trimmed: text with
//! surrounding whitespace is refused rather than silently changed.
//!
//! ```
//! use tenantry_tenant::ServiceId;
//!
//! let id = ServiceId::parse("WHMCS:1042")?;
//! assert_eq!(id.as_str(), "WHMCS:1042");
//! assert!(ServiceId::parse(" 1042").is_err());
//! # Ok::<(), tenantry_tenant::ServiceIdError>(())
//! ```

use serde::{Deserialize, Serialize};

/// A valid service id: 1–64 characters of `A-Z`, `a-z`, `0-9`, `.`, `_`, `:` and `-`.
///
/// Serialises as a plain string; deserialising goes through [`ServiceId::parse`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServiceId(String);

impl ServiceId {
    /// Most characters in a service id.
    pub const MAX_LENGTH: usize = 64;

    /// Checks `input` against the service id rules and returns it unchanged.
    pub fn parse(input: &str) -> Result<ServiceId, ServiceIdError> {
        if input.is_empty() {
            return Err(ServiceIdError::Empty);
        }
        let length = input.chars().count();
        if length > Self::MAX_LENGTH {
            return Err(ServiceIdError::TooLong { length });
        }
        if let Some((position, character)) = input
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
        {
            return Err(ServiceIdError::InvalidCharacter {
                character,
                position,
            });
        }
        Ok(ServiceId(input.to_owned()))
    }
}

/// Why a text is not a service id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceIdError {
    /// The input is empty.
    #[error("service id must not be empty")]
    Empty,
    /// The input is longer than 64 characters.
    #[error("service id must be at most 64 characters long (got {length})")]
    TooLong {
        /// The input's length in characters.
        length: usize,
    },
    /// A character outside `A-Z a-z 0-9 . _ : -` (whitespace included).
    #[error(
        "service id may contain only letters, digits, '.', '_', ':' and '-': found {character:?} at position {position}"
    )]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its position in the input, in characters counted from 0.
        position: usize,
    },
}

crate::string_newtype!(ServiceId, 0, ServiceIdError);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn accepts_and_keeps_case() {
        for text in ["1", "1042", "WHMCS:1042", "svc_A.b-c", &"x".repeat(64)] {
            assert_eq!(ServiceId::parse(text).unwrap().as_str(), text);
        }
    }

    #[test]
    fn refuses_with_a_typed_error() {
        assert_eq!(ServiceId::parse(""), Err(ServiceIdError::Empty));
        assert_eq!(
            ServiceId::parse(&"x".repeat(65)),
            Err(ServiceIdError::TooLong { length: 65 })
        );
        assert_eq!(
            ServiceId::parse(" 1042"),
            Err(ServiceIdError::InvalidCharacter {
                character: ' ',
                position: 0
            })
        );
        assert_eq!(
            ServiceId::parse("1042\n"),
            Err(ServiceIdError::InvalidCharacter {
                character: '\n',
                position: 4
            })
        );
        assert_eq!(
            ServiceId::parse("a/b"),
            Err(ServiceIdError::InvalidCharacter {
                character: '/',
                position: 1
            })
        );
    }

    #[test]
    fn messages_are_clear() {
        assert_eq!(
            ServiceIdError::InvalidCharacter {
                character: ' ',
                position: 0
            }
            .to_string(),
            "service id may contain only letters, digits, '.', '_', ':' and '-': found ' ' at position 0"
        );
    }

    #[test]
    fn serde_goes_through_parse() {
        let id: ServiceId = serde_json::from_str("\"Svc-1\"").unwrap();
        assert_eq!(id.to_string(), "Svc-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"Svc-1\"");
        assert!(serde_json::from_str::<ServiceId>("\"\"").is_err());
        assert_eq!("Svc-1".parse::<ServiceId>().unwrap(), id);
    }

    proptest! {
        #[test]
        fn valid_ids_parse_to_themselves(text in "[A-Za-z0-9._:-]{1,64}") {
            let id = ServiceId::parse(&text).unwrap();
            prop_assert_eq!(id.as_str(), text.as_str());
        }

        #[test]
        fn parse_accepts_exactly_the_alphabet(text in "\\PC{0,70}|[A-Za-z0-9._: -]{0,70}") {
            let valid = (1..=64).contains(&text.chars().count())
                && text.chars().all(|c| c.is_ascii_alphanumeric() || ".:_-".contains(c));
            prop_assert_eq!(ServiceId::parse(&text).is_ok(), valid);
        }
    }
}
