//! Email addresses: well-formed, at most 254 characters, compared case-insensitively.

use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use validator::ValidateEmail;

/// A well-formed email address.
///
/// The text is kept as given ([`Email::as_str`]); [`Email::normalized`] is its lower-cased
/// form, the key for per-tenant uniqueness.
///
/// **Equality and hashing are case-insensitive**: two `Email`s are equal when their
/// [`normalized`](Email::normalized) forms are, so `Ada@Example.org == ada@example.org`,
/// and a `HashSet<Email>` holds one of them.
///
/// Well-formed means: accepted by [`validator::ValidateEmail`] (the HTML5 rules: local part
/// of at most 64 characters from ``[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]``, a domain of valid
/// labels, an IDN, or an `[IP literal]`), plus the stricter rules of Django's
/// `EmailValidator`, which the Tahoe registration API applied: no leading, trailing or
/// doubled dot in the local part, and a domain that has a dot and a top-level label of at
/// least two characters, unless it is `localhost` or an address literal.
///
/// ```
/// use tenantry_registration::Email;
///
/// let email = Email::parse("Ada.Lovelace@Example.org")?;
/// assert_eq!(email.as_str(), "Ada.Lovelace@Example.org");
/// assert_eq!(email.normalized(), "ada.lovelace@example.org");
/// assert_eq!(email, Email::parse("ada.lovelace@example.org")?);
/// assert!(Email::parse("not an email").is_err());
/// # Ok::<(), tenantry_registration::EmailError>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email {
    text: String,
    normalized: String,
}

/// Why a text is not an [`Email`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailError {
    /// The text is empty.
    #[error("email is required")]
    Empty,
    /// The text starts or ends with whitespace.
    #[error("email must not start or end with whitespace")]
    SurroundingWhitespace,
    /// More than [`Email::MAX_LENGTH`] characters.
    #[error("email must be at most {max} characters long", max = Email::MAX_LENGTH)]
    TooLong,
    /// Not a well-formed address.
    #[error("email is not a valid email address")]
    Malformed,
}

impl Email {
    /// The most characters an address may have (RFC 5321's path limit minus the brackets).
    pub const MAX_LENGTH: usize = 254;

    /// Parses an email address; nothing is trimmed or changed.
    ///
    /// # Errors
    /// [`EmailError`] for an empty text, surrounding whitespace, more than 254 characters,
    /// or a malformed address (see the type's documentation for the rules).
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        if raw.is_empty() {
            return Err(EmailError::Empty);
        }
        if raw.trim() != raw {
            return Err(EmailError::SurroundingWhitespace);
        }
        if raw.chars().count() > Self::MAX_LENGTH {
            return Err(EmailError::TooLong);
        }
        if !raw.validate_email() || !meets_django_rules(raw) {
            return Err(EmailError::Malformed);
        }
        Ok(Self {
            text: raw.to_owned(),
            normalized: raw.to_lowercase(),
        })
    }

    /// The lower-cased address, used for per-tenant uniqueness.
    #[must_use]
    pub fn normalized(&self) -> String {
        self.normalized.clone()
    }
}

/// The rules Django's `EmailValidator` adds to the HTML5 ones `validator` checks. Only
/// called on text `validate_email` accepted, so it contains an `@`.
fn meets_django_rules(raw: &str) -> bool {
    let Some((local, domain)) = raw.rsplit_once('@') else {
        return false;
    };
    // Dot-atom: no empty atom, so no leading, trailing or doubled dot.
    if local.split('.').any(str::is_empty) {
        return false;
    }
    if domain.starts_with('[') || domain.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match domain.rsplit_once('.') {
        Some((_, top_level)) => top_level.chars().count() >= 2 && !top_level.ends_with('-'),
        None => false,
    }
}

impl PartialEq for Email {
    /// Case-insensitive: compares the [`normalized`](Email::normalized) forms.
    fn eq(&self, other: &Self) -> bool {
        self.normalized == other.normalized
    }
}

impl Eq for Email {}

impl Hash for Email {
    /// Hashes the [`normalized`](Email::normalized) form, consistent with `PartialEq`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.normalized.hash(state);
    }
}

tenantry_tenant::string_newtype!(Email, text, EmailError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "ada@example.org",
            "Ada.Lovelace+tahoe@Example.ORG",
            "a_b-c@sub.example.co.uk",
            "o'neil@example.ie",
            "user@localhost",
            "user@[127.0.0.1]",
            "user@bücher.de",
            "x@example.museum",
        ] {
            assert_eq!(Email::parse(ok).unwrap().as_str(), ok, "{ok}");
        }
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "plainaddress",
            "@example.org",
            "ada@",
            "ada@@example.org",
            "ada lovelace@example.org",
            "ada@exa mple.org",
            "ada@-example.org",
            "ada@example-.org",
            "\"quoted\"@example.org",
            "ada@example",
            "ada@example.c",
            ".ada@example.org",
            "ada.@example.org",
            "a..da@example.org",
            "ada@example..org",
            "<ada@example.org>",
        ] {
            assert_eq!(
                Email::parse(bad).unwrap_err(),
                EmailError::Malformed,
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_empty_whitespace_and_long_texts() {
        assert_eq!(Email::parse("").unwrap_err(), EmailError::Empty);
        assert_eq!(
            Email::parse(" ada@example.org").unwrap_err(),
            EmailError::SurroundingWhitespace
        );
        assert_eq!(
            Email::parse("ada@example.org\n").unwrap_err(),
            EmailError::SurroundingWhitespace
        );
        // 64 + 1 + 189 = 254 characters: at the limit.
        let domain = format!(
            "{}.{}.{}.org",
            "a".repeat(61),
            "b".repeat(61),
            "c".repeat(61)
        );
        let at_limit = format!("{}@{domain}", "u".repeat(64));
        assert_eq!(at_limit.len(), 254);
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("{}@x{domain}", "u".repeat(64));
        assert_eq!(Email::parse(&over).unwrap_err(), EmailError::TooLong);
    }

    #[test]
    fn equality_and_hash_ignore_case() {
        let upper = Email::parse("ADA@EXAMPLE.ORG").unwrap();
        let lower = Email::parse("ada@example.org").unwrap();
        assert_eq!(upper, lower);
        assert_eq!(upper.as_str(), "ADA@EXAMPLE.ORG");
        assert_eq!(upper.normalized(), "ada@example.org");
        let set: HashSet<Email> = [upper, lower].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert_ne!(
            Email::parse("ada@example.org").unwrap(),
            Email::parse("bob@example.org").unwrap()
        );
    }

    #[test]
    fn deserialize_goes_through_parse() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as DeError, StrDeserializer};

        let from = |raw: &'static str| {
            let de: StrDeserializer<'_, DeError> = raw.into_deserializer();
            Email::deserialize(de)
        };
        assert_eq!(from("Ada@example.org").unwrap().as_str(), "Ada@example.org");
        assert!(from("nope").is_err());
    }

    proptest! {
        #[test]
        fn generated_addresses_parse_and_normalize(
            local in "[a-zA-Z0-9_%+-]{1,20}(\\.[a-zA-Z0-9_%+-]{1,10}){0,2}",
            host in "[a-zA-Z0-9]{1,20}",
            tld in "[a-zA-Z]{2,6}",
        ) {
            let raw = format!("{local}@{host}.{tld}");
            let email = Email::parse(&raw).unwrap();
            prop_assert_eq!(email.as_str(), raw.as_str());
            prop_assert_eq!(email.normalized(), raw.to_lowercase());
            prop_assert_eq!(&email, &Email::parse(&raw.to_uppercase()).unwrap());
        }

        #[test]
        fn parse_never_panics_and_respects_limits(raw in "\\PC{0,300}") {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert!(email.as_str().chars().count() <= Email::MAX_LENGTH);
                prop_assert_eq!(email.as_str().trim(), email.as_str());
                prop_assert!(email.as_str().contains('@'));
            }
        }

        #[test]
        fn surrounding_whitespace_is_refused(
            local in "[a-z]{1,10}",
            space in "[ \t\r\n]",
        ) {
            let raw = format!("{space}{local}@example.org");
            prop_assert_eq!(Email::parse(&raw).unwrap_err(), EmailError::SurroundingWhitespace);
            let raw = format!("{local}@example.org{space}");
            prop_assert_eq!(Email::parse(&raw).unwrap_err(), EmailError::SurroundingWhitespace);
        }

        #[test]
        fn texts_without_at_sign_are_refused(raw in "[^@]{1,60}") {
            prop_assert!(Email::parse(&raw).is_err());
        }
    }

    #[test]
    fn serde_writes_the_text_and_reads_through_parse() {
        let value: Email = serde_json::from_str(r#""Ada@Example.org""#).unwrap();
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#""Ada@Example.org""#
        );
        let refused = serde_json::from_str::<Email>(r#""not an email""#).unwrap_err();
        let parse_error = Email::parse("not an email").unwrap_err();
        assert_eq!(refused.to_string(), parse_error.to_string());
        let not_text = serde_json::from_str::<Email>("5").unwrap_err();
        assert_eq!(
            not_text.to_string(),
            "invalid type: integer `5`, expected a string at line 1 column 1"
        );
    }
}
