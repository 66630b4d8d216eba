//! Conditional requests: entity tags of versioned resources and the `If-Match` header.

use actix_web::HttpRequest;
use actix_web::http::header;
use serde_json::Value;

use crate::core::error::ApiError;

/// The entity tag of a resource version: `"3"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The versions `If-Match` allows a change to apply to (RFC 9110 §13.1.1): `None` without
/// the header or with `*` (any current version); otherwise the versions of its strong
/// entity tags of [`etag`]'s form. Weak tags never match (strong comparison) and tags
/// this API never issues match nothing, so either may leave the list empty (412). A value
/// that is not a list of entity tags is a 422.
pub fn if_match(request: &HttpRequest) -> Result<Option<Vec<i64>>, ApiError> {
    let mut values = request.headers().get_all(header::IF_MATCH).peekable();
    if values.peek().is_none() {
        return Ok(None);
    }
    let mut joined = String::new();
    for value in values {
        let Ok(text) = value.to_str() else {
            return Err(malformed());
        };
        if !joined.is_empty() {
            joined.push(',');
        }
        joined.push_str(text);
    }
    match parse_if_match(&joined) {
        Some(IfMatch::Any) => Ok(None),
        Some(IfMatch::Versions(versions)) => Ok(Some(versions)),
        None => Err(malformed()),
    }
}

fn malformed() -> ApiError {
    ApiError::invalid(
        vec![Value::from("header"), Value::from("If-Match")],
        "value_error",
        "If-Match must be * or a list of ETags, like \"3\"",
    )
}

/// An `If-Match` value, read.
#[derive(Debug, PartialEq, Eq)]
enum IfMatch {
    /// `*`.
    Any,
    /// The versions of the strong tags of [`etag`]'s form, in order.
    Versions(Vec<i64>),
}

/// `If-Match = "*" / #entity-tag`, where `entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE` and
/// `etagc = %x21 / %x23-7E / obs-text`; `None` when `text` is not that (or is empty).
fn parse_if_match(text: &str) -> Option<IfMatch> {
    let text = text.trim_matches([' ', '\t']);
    if text == "*" {
        return Some(IfMatch::Any);
    }
    let mut versions = Vec::new();
    let mut tags = 0;
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let weak = rest.starts_with("W/");
        let quoted = rest.strip_prefix("W/").unwrap_or(rest).strip_prefix('"')?;
        let end = quoted.find('"')?;
        let tag = &quoted[..end];
        if !tag
            .bytes()
            .all(|byte| byte == 0x21 || (0x23..=0x7e).contains(&byte) || byte >= 0x80)
        {
            return None;
        }
        rest = quoted[end + 1..].trim_start_matches([' ', '\t']);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return None;
        }
        tags += 1;
        if let (false, Ok(version)) = (weak, tag.parse::<i64>()) {
            versions.push(version);
        }
    }
    (tags > 0).then_some(IfMatch::Versions(versions))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn versions(text: &str) -> Option<Vec<i64>> {
        match parse_if_match(text)? {
            IfMatch::Any => None,
            IfMatch::Versions(versions) => Some(versions),
        }
    }

    #[test]
    fn star_matches_any_version() {
        assert_eq!(parse_if_match("*"), Some(IfMatch::Any));
        assert_eq!(parse_if_match(" * "), Some(IfMatch::Any));
    }

    #[test]
    fn strong_tags_name_versions_and_weak_ones_never_match() {
        assert_eq!(versions("\"3\""), Some(vec![3]));
        assert_eq!(versions("W/\"4\""), Some(vec![]));
        assert_eq!(versions("\"999\", \"3\""), Some(vec![999, 3]));
        assert_eq!(versions("W/\"3\", \"5\""), Some(vec![5]));
        assert_eq!(
            versions("\"x\",\"7\""),
            Some(vec![7]),
            "a foreign tag matches nothing"
        );
        assert_eq!(
            versions("\"a,b\""),
            Some(vec![]),
            "a comma inside a tag is part of it"
        );
    }

    #[test]
    fn anything_else_is_malformed() {
        for text in [
            "",
            "3",
            "\"3",
            "\"3\" \"4\"",
            "w/\"3\"",
            "\"3\"x",
            "*, \"3\"",
            ",",
            "\"a b\"",
        ] {
            assert_eq!(parse_if_match(text), None, "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn a_written_list_reads_back_its_strong_versions(
            tags in proptest::collection::vec((any::<bool>(), 0_i64..1_000_000), 1..6),
            spaces in "[ \t]{0,2}",
        ) {
            let written: Vec<String> = tags
                .iter()
                .map(|(weak, version)| format!("{}\"{version}\"", if *weak { "W/" } else { "" }))
                .collect();
            let text = written.join(&format!("{spaces},{spaces}"));
            let strong: Vec<i64> = tags.iter().filter(|(weak, _)| !weak).map(|(_, v)| *v).collect();
            prop_assert_eq!(parse_if_match(&text), Some(IfMatch::Versions(strong)));
        }

        #[test]
        fn no_input_panics(text in "\\PC{0,40}") {
            let _ = parse_if_match(&text);
        }
    }
}
