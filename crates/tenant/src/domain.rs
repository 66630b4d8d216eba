//! Domain names: the host names a tenant answers on (`talent1.local.openedx.io`).
//!
//! Parsing is ASCII-only by choice: internationalised names must arrive in their punycode
//! (`xn--…`) form, which is what DNS, eox-tenant routes and `Host` headers carry anyway
//! (IDNA mapping would need Unicode tables larger than the rest of this crate). Names are
//! lower-cased and one trailing dot (the DNS root) is dropped, so equal hosts compare equal.
//!
//! ```
//! use tenantry_tenant::{DomainError, DomainName};
//!
//! let host = DomainName::parse("Talent1.Local.OpenedX.io.")?;
//! assert_eq!(host.as_str(), "talent1.local.openedx.io");
//! let host = DomainName::from_host_header("Talent1.Local.OpenedX.io:8000")?;
//! assert_eq!(host.as_str(), "talent1.local.openedx.io");
//! assert_eq!(DomainName::parse("bücher.de"), Err(DomainError::NonAscii));
//! # Ok::<(), DomainError>(())
//! ```

use serde::{Deserialize, Serialize};

/// A syntactically valid, lower-cased host name without a trailing dot.
///
/// Every label is 1–63 characters of `a-z`, `0-9` and `-`, not starting or ending with
/// `-`; the whole name is at most 253 characters. Single-label names (`localhost`) are
/// valid. Dotted IPv4 addresses (`127.0.0.1`) satisfy these rules and are accepted too.
///
/// Serialises as a plain string; deserialising goes through [`DomainName::parse`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DomainName(String);

impl DomainName {
    /// Most characters in a domain name (without the trailing dot).
    pub const MAX_LENGTH: usize = 253;
    /// Most characters in one label.
    pub const MAX_LABEL_LENGTH: usize = 63;

    /// Checks `input` against the domain name rules and returns it lower-cased, without a
    /// trailing dot.
    pub fn parse(input: &str) -> Result<DomainName, DomainError> {
        if input.is_empty() {
            return Err(DomainError::Empty);
        }
        if !input.is_ascii() {
            return Err(DomainError::NonAscii);
        }
        let lowered = input.to_ascii_lowercase();
        let name = lowered.strip_suffix('.').unwrap_or(&lowered);
        if name.is_empty() {
            return Err(DomainError::Empty);
        }
        if name.len() > Self::MAX_LENGTH {
            return Err(DomainError::TooLong { length: name.len() });
        }
        if let Some((position, character)) = name
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        {
            // ASCII only, so byte offsets are character positions.
            return Err(DomainError::InvalidCharacter {
                character,
                position,
            });
        }
        for label in name.split('.') {
            if label.is_empty() {
                return Err(DomainError::EmptyLabel);
            }
            if label.len() > Self::MAX_LABEL_LENGTH {
                return Err(DomainError::LabelTooLong {
                    label: label.to_owned(),
                    length: label.len(),
                });
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(DomainError::HyphenAtLabelEdge {
                    label: label.to_owned(),
                });
            }
        }
        Ok(DomainName(name.to_owned()))
    }

    /// Reads the value of an HTTP `Host` header: strips an optional `:port` (digits only,
    /// at most 65535), refuses IPv6 literals, then [parses](DomainName::parse) the rest.
    ///
    /// `Talent1.Local.OpenedX.io:8000` gives `talent1.local.openedx.io`.
    pub fn from_host_header(value: &str) -> Result<DomainName, DomainError> {
        if value.starts_with('[') || value.matches(':').count() > 1 {
            return Err(DomainError::IpLiteral);
        }
        let host = match value.split_once(':') {
            Some((host, port)) => {
                let valid_port = !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit())
                    && port.parse::<u16>().is_ok();
                if !valid_port {
                    return Err(DomainError::InvalidPort {
                        port: port.to_owned(),
                    });
                }
                host
            }
            None => value,
        };
        Self::parse(host)
    }

    /// A domain built from text the caller guarantees is already valid and normalised.
    /// Only for compile-time constants of this crate; a unit test parses each of them.
    pub(crate) fn from_trusted(text: &'static str) -> DomainName {
        debug_assert_eq!(Self::parse(text).as_ref().map(DomainName::as_str), Ok(text));
        DomainName(text.to_owned())
    }
}

/// Why a text is not a domain name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The input is empty (or only a dot).
    #[error("domain name must not be empty")]
    Empty,
    /// The input contains non-ASCII characters.
    #[error(
        "domain name must be ASCII: send an internationalised name in its punycode form (xn--…)"
    )]
    NonAscii,
    /// The name is longer than 253 characters.
    #[error("domain name must be at most 253 characters long (got {length})")]
    TooLong {
        /// Its length without the trailing dot.
        length: usize,
    },
    /// Two dots in a row, or a leading dot.
    #[error("domain name must not contain an empty label (a leading dot or two dots in a row)")]
    EmptyLabel,
    /// A label is longer than 63 characters.
    #[error("domain label {label:?} must be at most 63 characters long (got {length})")]
    LabelTooLong {
        /// The offending label, lower-cased.
        label: String,
        /// Its length.
        length: usize,
    },
    /// A label starts or ends with `-`.
    #[error("domain label {label:?} must not start or end with '-'")]
    HyphenAtLabelEdge {
        /// The offending label, lower-cased.
        label: String,
    },
    /// A character other than letters, digits, `-` and `.`.
    #[error(
        "domain name may contain only letters, digits, '-' and '.': found {character:?} at position {position}"
    )]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its position in the input, counted from 0.
        position: usize,
    },
    /// A `Host` header carries an IPv6 literal (`[::1]:8080`); tenants are found by name.
    #[error("host must be a domain name, not an IPv6 address")]
    IpLiteral,
    /// A `Host` header's port is not a number from 0 to 65535.
    #[error("host port must be a number from 0 to 65535 (got {port:?})")]
    InvalidPort {
        /// The text after the colon.
        port: String,
    },
}

crate::string_newtype!(DomainName, 0, DomainError);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parsed(text: &str) -> String {
        DomainName::parse(text).unwrap().as_str().to_owned()
    }

    #[test]
    fn accepts_and_normalises_host_names() {
        assert_eq!(
            parsed("talent1.local.openedx.io"),
            "talent1.local.openedx.io"
        );
        assert_eq!(
            parsed("Talent1.Local.OpenedX.IO"),
            "talent1.local.openedx.io"
        );
        assert_eq!(parsed("example.com."), "example.com");
        assert_eq!(parsed("localhost"), "localhost");
        assert_eq!(parsed("xn--bcher-kva.de"), "xn--bcher-kva.de");
        assert_eq!(parsed("a-b.c-d.e"), "a-b.c-d.e");
        assert_eq!(parsed("127.0.0.1"), "127.0.0.1");
        let longest_label = "a".repeat(63);
        assert_eq!(
            parsed(&format!("{longest_label}.com")),
            format!("{longest_label}.com")
        );
    }

    #[test]
    fn refuses_with_a_typed_error() {
        let long_label = "a".repeat(64);
        let long_name = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(62),
        ]
        .join(".");
        assert_eq!(long_name.len(), 254);
        let cases = [
            ("", DomainError::Empty),
            (".", DomainError::Empty),
            ("bücher.de", DomainError::NonAscii),
            ("example..com", DomainError::EmptyLabel),
            (".example.com", DomainError::EmptyLabel),
            ("example.com..", DomainError::EmptyLabel),
            (
                "-example.com",
                DomainError::HyphenAtLabelEdge {
                    label: "-example".into(),
                },
            ),
            (
                "example-.com",
                DomainError::HyphenAtLabelEdge {
                    label: "example-".into(),
                },
            ),
            (
                "exa_mple.com",
                DomainError::InvalidCharacter {
                    character: '_',
                    position: 3,
                },
            ),
            (
                " example.com",
                DomainError::InvalidCharacter {
                    character: ' ',
                    position: 0,
                },
            ),
            (
                "example.com:80",
                DomainError::InvalidCharacter {
                    character: ':',
                    position: 11,
                },
            ),
            (
                &format!("{long_label}.com"),
                DomainError::LabelTooLong {
                    label: long_label.clone(),
                    length: 64,
                },
            ),
            (&long_name, DomainError::TooLong { length: 254 }),
        ];
        for (text, expected) in cases {
            assert_eq!(DomainName::parse(text), Err(expected), "input {text:?}");
        }
    }

    #[test]
    fn the_length_limit_ignores_the_trailing_dot() {
        let name = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        assert_eq!(name.len(), 253);
        assert_eq!(parsed(&format!("{name}.")), name);
    }

    #[test]
    fn non_ascii_message_asks_for_punycode() {
        assert!(
            DomainError::NonAscii
                .to_string()
                .contains("punycode form (xn--")
        );
    }

    #[test]
    fn host_headers_lose_their_port() {
        let host = |text: &str| DomainName::from_host_header(text).map(String::from);
        assert_eq!(
            host("Talent1.Local.OpenedX.io:8000"),
            Ok("talent1.local.openedx.io".into())
        );
        assert_eq!(host("example.com"), Ok("example.com".into()));
        assert_eq!(host("localhost:65535"), Ok("localhost".into()));
        assert_eq!(host("[::1]:8080"), Err(DomainError::IpLiteral));
        assert_eq!(host("[::1]"), Err(DomainError::IpLiteral));
        assert_eq!(host("::1"), Err(DomainError::IpLiteral));
        assert_eq!(
            host("example.com:"),
            Err(DomainError::InvalidPort {
                port: String::new()
            })
        );
        assert_eq!(
            host("example.com:http"),
            Err(DomainError::InvalidPort {
                port: "http".into()
            })
        );
        assert_eq!(
            host("example.com:65536"),
            Err(DomainError::InvalidPort {
                port: "65536".into()
            })
        );
        assert_eq!(
            host("example.com:+80"),
            Err(DomainError::InvalidPort { port: "+80".into() })
        );
        assert_eq!(host(":8000"), Err(DomainError::Empty));
    }

    #[test]
    fn serde_goes_through_parse() {
        let host: DomainName = serde_json::from_str("\"Example.COM.\"").unwrap();
        assert_eq!(host.as_str(), "example.com");
        assert_eq!(serde_json::to_string(&host).unwrap(), "\"example.com\"");
        assert!(serde_json::from_str::<DomainName>("\"a..b\"").is_err());
    }

    #[test]
    fn display_from_str_and_as_ref_agree() {
        let host: DomainName = "example.com".parse().unwrap();
        assert_eq!(host.to_string(), "example.com");
        assert_eq!(host.as_ref(), "example.com");
    }

    fn label() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    }

    fn domain() -> impl Strategy<Value = String> {
        prop::collection::vec(label(), 1..5)
            .prop_map(|labels| labels.join("."))
            .prop_filter("at most 253 characters", |name| name.len() <= 253)
    }

    proptest! {
        #[test]
        fn a_parsed_domain_reparses_to_itself(text in domain()) {
            let host = DomainName::parse(&text).unwrap();
            prop_assert_eq!(DomainName::parse(host.as_str()), Ok(host.clone()));
        }

        #[test]
        fn parsing_lower_cases(text in domain(), dot in any::<bool>()) {
            let input = if dot { format!("{text}.") } else { text.clone() };
            let host = DomainName::parse(&input).unwrap();
            prop_assert_eq!(host.as_str(), text.to_ascii_lowercase());
        }

        #[test]
        fn host_headers_strip_the_port(text in domain(), port in any::<u16>()) {
            let with_port = DomainName::from_host_header(&format!("{text}:{port}")).unwrap();
            let without = DomainName::from_host_header(&text).unwrap();
            prop_assert_eq!(&with_port, &without);
            prop_assert_eq!(with_port, DomainName::parse(&text).unwrap());
        }

        #[test]
        fn anything_parsed_satisfies_the_rules(text in "\\PC{0,80}|[a-zA-Z0-9.-]{0,80}") {
            if let Ok(host) = DomainName::parse(&text) {
                let name = host.as_str();
                prop_assert!(!name.is_empty() && name.len() <= 253);
                for label in name.split('.') {
                    prop_assert!((1..=63).contains(&label.len()));
                    prop_assert!(!label.starts_with('-') && !label.ends_with('-'));
                    prop_assert!(label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
                }
            }
        }
    }
}
