//! Conditional requests: entity tags of versioned resources and the `If-Match` header.

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderValue};
use serde_json::Value;

use crate::core::error::ApiError;

/// The entity tag of a resource version: `"3"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version `If-Match` asks for: `None` without the header or with `*`; a value
/// that is not an entity tag of [`etag`]'s form is a 422.
pub fn if_match(request: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = request.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    parse_if_match(value).ok_or_else(|| {
        ApiError::invalid(
            vec![Value::from("header"), Value::from("If-Match")],
            "value_error",
            "If-Match must be an ETag of this API, like \"3\"",
        )
    })
}

fn parse_if_match(value: &HeaderValue) -> Option<Option<i64>> {
    let text = value.to_str().ok()?.trim();
    if text == "*" {
        return Some(None);
    }
    let text = text.strip_prefix("W/").unwrap_or(text);
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    inner.parse().ok().map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_accepts_strong_weak_and_star() {
        let parse = |text: &'static str| parse_if_match(&HeaderValue::from_static(text));
        assert_eq!(parse("\"3\""), Some(Some(3)));
        assert_eq!(parse("W/\"4\""), Some(Some(4)));
        assert_eq!(parse("*"), Some(None));
        assert_eq!(parse("3"), None);
        assert_eq!(parse("\"x\""), None);
    }
}
