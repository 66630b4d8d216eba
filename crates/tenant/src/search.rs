//! What a tenant search matches: a case-insensitive substring of the name, the display name
//! or any domain host, for every script Unicode has, decided the same way on every backend.
//!
//! Both sides are *folded* here, in Rust: Unicode default case folding (so `Élan`, `ÉLAN`
//! and `élan` are one text, `Straße` matches `STRASSE`, a final `ς` matches `Σ`), then
//! canonical composition (NFC), so that a precomposed `é` and `e` + combining acute are one
//! text too. The store keeps each tenant's folded text ([`searchable_text`]) in a column it
//! indexes, and looks for the folded search ([`fold`]) in it.

use caseless::default_case_fold_str;
use unicode_normalization::UnicodeNormalization;

use crate::{Domain, TenantName, TenantProfile};

/// Separates the fields of [`searchable_text`]. No field can contain it (names, display
/// names and hosts refuse control characters), so a search that does matches nothing
/// rather than a text spanning two fields.
pub const FIELD_SEPARATOR: char = '\n';

/// `text` case-folded and composed: the form both a tenant's fields and a search take
/// before they are compared.
pub fn fold(text: &str) -> String {
    default_case_fold_str(text).nfc().collect()
}

/// The folded text a search looks in: the name, the display name and each host, one per
/// line.
pub fn searchable_text(name: &TenantName, profile: &TenantProfile, domains: &[Domain]) -> String {
    let fields = [name.as_str(), profile.display_name.as_str()]
        .into_iter()
        .chain(domains.iter().map(|domain| domain.host.as_str()));
    searchable_fields(fields)
}

/// `fields`, each [`fold`]ed, one per line: the text a search of any record looks in (a
/// tenant's, a user's username, email and name).
pub fn searchable_fields<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = String::new();
    for (index, field) in fields.into_iter().enumerate() {
        if index > 0 {
            text.push(FIELD_SEPARATOR);
        }
        text.push_str(&fold(field));
    }
    text
}

/// Whether a search for `search` (already [`fold`]ed) finds a tenant whose
/// [`searchable_text`] is `text`: a substring of one of its fields. An empty search finds
/// every tenant.
pub fn finds(text: &str, search: &str) -> bool {
    !search.contains(FIELD_SEPARATOR) && text.contains(search)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::DomainName;

    fn text(name: &str, display_name: &str, hosts: &[&str]) -> String {
        let profile = TenantProfile::new(display_name);
        let domains: Vec<Domain> = hosts
            .iter()
            .map(|host| Domain {
                host: DomainName::parse(host).unwrap(),
                is_primary: false,
            })
            .collect();
        searchable_text(&TenantName::parse(name).unwrap(), &profile, &domains)
    }

    fn finds_in(haystack: &str, search: &str) -> bool {
        finds(haystack, &fold(search))
    }

    #[test]
    fn accented_letters_match_in_either_case() {
        let haystack = text("elan", "Élan Ärzte", &[]);
        assert!(finds_in(&haystack, "élan"));
        assert!(finds_in(&haystack, "ÉLAN"));
        assert!(finds_in(&haystack, "ärzte"));
        assert!(finds_in(&haystack, "N ÄR"));
        assert!(!finds_in(&haystack, "elan ä"), "accents are not ignored");
    }

    #[test]
    fn german_sharp_s_matches_its_capital_and_double_s() {
        let haystack = text("strasse", "Große Straße", &[]);
        assert!(finds_in(&haystack, "STRASSE"));
        assert!(finds_in(&haystack, "straße"));
        assert!(finds_in(&haystack, "GROẞE"));
    }

    #[test]
    fn greek_final_sigma_matches_the_capital() {
        let haystack = text("odos", "ΟΔΟΣ ΟΔΟΣ", &[]);
        assert!(finds_in(&haystack, "οδος"));
        assert!(finds_in(&haystack, "οδοσ"));
    }

    #[test]
    fn cjk_text_matches_itself() {
        let haystack = text("tokyo", "東京大学 オンライン", &[]);
        assert!(finds_in(&haystack, "京大"));
        assert!(finds_in(&haystack, "オンライン"));
        assert!(!finds_in(&haystack, "大阪"));
    }

    #[test]
    fn composed_and_decomposed_accents_are_one_text() {
        let haystack = text("cafe", "Caf\u{e9}", &[]);
        assert!(finds_in(&haystack, "CAFE\u{301}"));
    }

    #[test]
    fn a_search_never_spans_two_fields() {
        let haystack = text("alpha", "Beta", &["gamma.example.com"]);
        assert!(finds_in(&haystack, "gamma.example"));
        assert!(!finds_in(&haystack, "alpha\nbeta"));
        assert!(!finds_in(&haystack, "\n"));
    }

    #[test]
    fn an_empty_search_finds_every_tenant() {
        assert!(finds_in(&text("alpha", "", &[]), ""));
    }

    proptest! {
        #[test]
        fn folding_is_idempotent(input in "\\PC{0,24}") {
            let once = fold(&input);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn any_piece_of_a_field_finds_it_in_either_case(
            display_name in "[A-Za-zÀ-ÖØ-öø-ÿĀ-İĲ-ſΑ-ωА-я0-9 ]{1,24}",
            start in 0_usize..24,
            len in 1_usize..24,
        ) {
            let haystack = text("tenant", &display_name, &[]);
            let chars: Vec<char> = display_name.chars().collect();
            let start = start % chars.len();
            let end = (start + len).min(chars.len());
            let piece: String = chars[start..end].iter().collect();
            prop_assert!(finds_in(&haystack, &piece));
            prop_assert!(finds_in(&haystack, &piece.to_uppercase()));
            prop_assert!(finds_in(&haystack, &piece.to_lowercase()));
        }
    }
}
