//! A person's full name: 1–255 characters, not blank, no control characters, markup or
//! URLs.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A user's full (display) name.
///
/// 1–255 characters (Unicode scalar values, not bytes), not only whitespace, free of
/// control characters (a CR/LF would start a new line in an email's text, NUL is refused
/// by PostgreSQL) and of `<`, `>` and `://` (the Tahoe API refused names that could carry
/// HTML or links). The text is kept as given, surrounding whitespace included.
///
/// ```
/// use tenantry_registration::FullName;
///
/// assert_eq!(FullName::parse("Ada Lovelace")?.as_str(), "Ada Lovelace");
/// assert!(FullName::parse("   ").is_err());
/// assert!(FullName::parse("see https://example.org").is_err());
/// assert!(FullName::parse("Ada\r\nBcc: x").is_err());
/// # Ok::<(), tenantry_registration::FullNameError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FullName(String);

/// Why a text is not a [`FullName`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FullNameError {
    /// Empty or only whitespace.
    #[error("name must not be blank")]
    Blank,
    /// More than [`FullName::MAX_LENGTH`] characters.
    #[error("name must be at most {max} characters long", max = FullName::MAX_LENGTH)]
    TooLong,
    /// Contains a control character (`char::is_control`: C0, DEL and C1, tab and line
    /// breaks included).
    #[error("name must not contain control characters")]
    ControlCharacter,
    /// Contains `<`, `>` or `://` (the field holds the first one found).
    #[error("name must not contain {0:?}")]
    ForbiddenText(&'static str),
}

/// Substrings a name may not contain, in the order they are reported.
const FORBIDDEN: [&str; 3] = ["<", ">", "://"];

impl FullName {
    /// The most characters a name may have.
    pub const MAX_LENGTH: usize = 255;

    /// Parses a full name; nothing is trimmed or changed.
    ///
    /// # Errors
    /// [`FullNameError`]: blank first, then too long, then control characters, then
    /// forbidden text.
    pub fn parse(raw: &str) -> Result<Self, FullNameError> {
        if raw.trim().is_empty() {
            return Err(FullNameError::Blank);
        }
        if raw.chars().count() > Self::MAX_LENGTH {
            return Err(FullNameError::TooLong);
        }
        if raw.chars().any(char::is_control) {
            return Err(FullNameError::ControlCharacter);
        }
        if let Some(found) = FORBIDDEN.iter().find(|f| raw.contains(**f)) {
            return Err(FullNameError::ForbiddenText(found));
        }
        Ok(Self(raw.to_owned()))
    }
}

tenantry_tenant::string_newtype!(FullName, 0, FullNameError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_names_of_any_script() {
        for ok in [
            "A",
            "Ada Lovelace",
            "José Álvarez-Ñúñez",
            "李小龙",
            "O'Brien, Jr.",
            " x ",
        ] {
            assert_eq!(FullName::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_blank_names() {
        for blank in ["", " ", "\t\n", "\u{3000}"] {
            assert_eq!(
                FullName::parse(blank),
                Err(FullNameError::Blank),
                "{blank:?}"
            );
        }
    }

    #[test]
    fn length_counts_characters() {
        assert!(FullName::parse(&"é".repeat(255)).is_ok());
        assert_eq!(
            FullName::parse(&"é".repeat(256)),
            Err(FullNameError::TooLong)
        );
        assert_eq!(
            FullName::parse(&"a".repeat(256)),
            Err(FullNameError::TooLong)
        );
    }

    #[test]
    fn refuses_markup_and_urls() {
        assert_eq!(
            FullName::parse("<b>Ada</b>"),
            Err(FullNameError::ForbiddenText("<"))
        );
        assert_eq!(
            FullName::parse("Ada >"),
            Err(FullNameError::ForbiddenText(">"))
        );
        assert_eq!(
            FullName::parse("Ada http://evil.example"),
            Err(FullNameError::ForbiddenText("://"))
        );
        // A colon or slashes alone are fine.
        assert!(FullName::parse("Ada: the first / programmer").is_ok());
        assert_eq!(
            FullNameError::ForbiddenText("://").to_string(),
            "name must not contain \"://\""
        );
    }

    #[test]
    fn refuses_control_characters() {
        for raw in [
            "Ada\r\nBcc: eve@example.org",
            "Ada\nLovelace",
            "Ada\tLovelace",
            "Ada\u{0}",
            "\u{1b}[31mAda",
            "Ada\u{7f}",
            "Ada\u{85}",
        ] {
            assert_eq!(
                FullName::parse(raw),
                Err(FullNameError::ControlCharacter),
                "{raw:?}"
            );
        }
        // Other invisible or unusual characters are not control characters.
        assert!(FullName::parse("Ada\u{200b}Lovelace").is_ok());
        assert!(FullName::parse("Ada\u{a0}Lovelace").is_ok());
    }

    proptest! {
        #[test]
        fn parse_agrees_with_the_rules(raw in "\\PC{0,300}") {
            let expected = !raw.trim().is_empty()
                && raw.chars().count() <= 255
                && !raw.chars().any(char::is_control)
                && !raw.contains('<')
                && !raw.contains('>')
                && !raw.contains("://");
            prop_assert_eq!(FullName::parse(&raw).is_ok(), expected);
        }

        #[test]
        fn any_control_character_is_refused(
            before in "[A-Za-z ]{0,20}",
            control in prop::char::ranges(vec!['\u{0}'..='\u{1f}', '\u{7f}'..='\u{9f}'].into()),
            after in "[A-Za-z ]{0,20}",
        ) {
            let raw = format!("x{before}{control}{after}");
            prop_assert_eq!(FullName::parse(&raw), Err(FullNameError::ControlCharacter));
        }

        #[test]
        fn plain_names_round_trip(raw in "[A-Za-zÀ-ÿ' .-]{0,100}[A-Za-z]") {
            let name = FullName::parse(&raw).unwrap();
            prop_assert_eq!(name.as_str(), raw.as_str());
        }

        #[test]
        fn a_url_anywhere_is_refused(
            before in "[a-z ]{0,20}",
            scheme in "[a-z]{1,8}",
            after in "[a-z./]{0,20}",
        ) {
            let raw = format!("x{before}{scheme}://{after}");
            prop_assert_eq!(FullName::parse(&raw), Err(FullNameError::ForbiddenText("://")));
        }
    }

    #[test]
    fn serde_writes_the_text_and_reads_through_parse() {
        let value: FullName = serde_json::from_str(r#""Ada Lovelace""#).unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), r#""Ada Lovelace""#);
        let refused = serde_json::from_str::<FullName>(r#""<b>""#).unwrap_err();
        let parse_error = FullName::parse("<b>").unwrap_err();
        assert_eq!(refused.to_string(), parse_error.to_string());
        let not_text = serde_json::from_str::<FullName>("5").unwrap_err();
        assert_eq!(
            not_text.to_string(),
            "invalid type: integer `5`, expected a string at line 1 column 1"
        );
    }
}
