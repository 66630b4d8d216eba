//! Tenant names: the unique DNS label that names a tenant (`talent1`).
//!
//! A tenant name becomes the first label of the tenant's host names
//! (`talent1.local.openedx.io`), so it must be a valid DNS label: 2 to 63 characters,
//! lowercase letters, digits and `-`, starting with a letter and not ending with `-`.
//! Uppercase input is refused rather than lowered, so a name is always stored exactly as
//! the client sent it.
//!
//! ```
//! use tenantry_tenant::{NameError, TenantName};
//!
//! let name = TenantName::parse("talent1")?;
//! assert_eq!(name.as_str(), "talent1");
//! assert_eq!(TenantName::parse("Talent1"), Err(NameError::InvalidStart));
//! # Ok::<(), NameError>(())
//! ```

use serde::{Deserialize, Serialize};

/// A valid tenant name: matches `^[a-z][a-z0-9-]{0,61}[a-z0-9]$`.
///
/// Serialises as a plain string; deserialising goes through [`TenantName::parse`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantName(String);

impl TenantName {
    /// Fewest characters in a tenant name.
    pub const MIN_LENGTH: usize = 2;
    /// Most characters in a tenant name (the DNS label limit).
    pub const MAX_LENGTH: usize = 63;

    /// Checks `input` against the tenant name rules and returns it as a name.
    ///
    /// The rules are checked in this order, and the first broken one is reported:
    /// not empty, at most 63 characters, starts with a lowercase letter, contains only
    /// lowercase letters, digits and `-`, does not end with `-`, at least 2 characters.
    pub fn parse(input: &str) -> Result<TenantName, NameError> {
        let mut chars = input.chars();
        let Some(first) = chars.next() else {
            return Err(NameError::Empty);
        };
        let length = input.chars().count();
        if length > Self::MAX_LENGTH {
            return Err(NameError::TooLong { length });
        }
        if !first.is_ascii_lowercase() {
            return Err(NameError::InvalidStart);
        }
        if let Some((position, character)) = input
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(NameError::InvalidCharacter {
                character,
                position,
            });
        }
        if input.ends_with('-') {
            return Err(NameError::InvalidEnd);
        }
        if length < Self::MIN_LENGTH {
            return Err(NameError::TooShort);
        }
        Ok(TenantName(input.to_owned()))
    }
}

/// Why a text is not a tenant name. Each message names the rule that was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The input is empty.
    #[error("tenant name must not be empty")]
    Empty,
    /// The input has a single character.
    #[error("tenant name must be at least 2 characters long")]
    TooShort,
    /// The input is longer than 63 characters.
    #[error("tenant name must be at most 63 characters long (got {length})")]
    TooLong {
        /// The input's length in characters.
        length: usize,
    },
    /// The first character is not a lowercase ASCII letter.
    #[error("tenant name must start with a lowercase letter")]
    InvalidStart,
    /// The last character is `-`.
    #[error("tenant name must end with a lowercase letter or a digit")]
    InvalidEnd,
    /// A character other than `a-z`, `0-9` or `-`.
    #[error(
        "tenant name may contain only lowercase letters, digits and '-': found {character:?} at position {position}"
    )]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its position in the input, in characters counted from 0.
        position: usize,
    },
}

crate::string_newtype!(TenantName, 0, NameError);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn accepts_dns_labels() {
        for text in ["talent1", "ab", "a1", "my-school", "a-b-c", &"a".repeat(63)] {
            assert_eq!(TenantName::parse(text).unwrap().as_str(), text);
        }
    }

    #[test]
    fn names_the_broken_rule() {
        let cases = [
            ("", NameError::Empty),
            ("a", NameError::TooShort),
            ("Talent1", NameError::InvalidStart),
            ("1talent", NameError::InvalidStart),
            ("-talent", NameError::InvalidStart),
            ("talent-", NameError::InvalidEnd),
            (
                "talEnt",
                NameError::InvalidCharacter {
                    character: 'E',
                    position: 3,
                },
            ),
            (
                "tal_ent",
                NameError::InvalidCharacter {
                    character: '_',
                    position: 3,
                },
            ),
            (
                "tal.ent",
                NameError::InvalidCharacter {
                    character: '.',
                    position: 3,
                },
            ),
            (
                "talent ",
                NameError::InvalidCharacter {
                    character: ' ',
                    position: 6,
                },
            ),
            (
                "tälent",
                NameError::InvalidCharacter {
                    character: 'ä',
                    position: 1,
                },
            ),
            (&"a".repeat(64), NameError::TooLong { length: 64 }),
        ];
        for (text, expected) in cases {
            assert_eq!(TenantName::parse(text), Err(expected), "input {text:?}");
        }
    }

    #[test]
    fn messages_name_the_rule() {
        assert_eq!(
            NameError::InvalidStart.to_string(),
            "tenant name must start with a lowercase letter"
        );
        assert_eq!(
            NameError::TooLong { length: 70 }.to_string(),
            "tenant name must be at most 63 characters long (got 70)"
        );
        assert_eq!(
            NameError::InvalidCharacter {
                character: '_',
                position: 3
            }
            .to_string(),
            "tenant name may contain only lowercase letters, digits and '-': found '_' at position 3"
        );
    }

    #[test]
    fn display_from_str_and_as_ref_agree() {
        let name: TenantName = "talent1".parse().unwrap();
        assert_eq!(name.to_string(), "talent1");
        assert_eq!(name.as_ref(), "talent1");
        assert_eq!(String::from(name), "talent1");
    }

    #[test]
    fn serde_goes_through_parse() {
        let name = TenantName::parse("talent1").unwrap();
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"talent1\"");
        let back: TenantName = serde_json::from_str("\"talent1\"").unwrap();
        assert_eq!(back, name);
        let error = serde_json::from_str::<TenantName>("\"Talent1\"").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("must start with a lowercase letter")
        );
    }

    proptest! {
        #[test]
        fn every_matching_text_parses_to_itself(text in "[a-z][a-z0-9-]{0,61}[a-z0-9]") {
            let name = TenantName::parse(&text).unwrap();
            prop_assert_eq!(name.as_str(), text.as_str());
        }

        #[test]
        fn parse_accepts_exactly_the_pattern(
            text in prop_oneof!["[a-z0-9A-Z_. -]{0,66}", "\\PC{0,70}"],
        ) {
            let matches = {
                let bytes = text.as_bytes();
                (2..=63).contains(&bytes.len())
                    && bytes[0].is_ascii_lowercase()
                    && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
                    && bytes[bytes.len() - 1] != b'-'
            };
            prop_assert_eq!(TenantName::parse(&text).is_ok(), matches);
        }

        #[test]
        fn serde_round_trips(text in "[a-z][a-z0-9-]{0,61}[a-z0-9]") {
            let name = TenantName::parse(&text).unwrap();
            let json = serde_json::to_string(&name).unwrap();
            prop_assert_eq!(serde_json::from_str::<TenantName>(&json).unwrap(), name);
        }
    }
}
