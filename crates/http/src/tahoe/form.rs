//! Reading a registration body — JSON, form-urlencoded or multipart — into text fields, as
//! Django REST framework's parsers would: unknown fields are kept (and later ignored),
//! JSON booleans and numbers become their text.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::web;
use futures_util::StreamExt;
use serde_json::Value;

use super::error::TahoeError;
use crate::body::MAX_BODY_BYTES;
use crate::error::ApiError;

/// The fields of a registration body, by name.
pub type Fields = HashMap<String, String>;

/// Reads `bytes` (already limited) of media type `media`.
pub fn parse_simple(media: Option<&str>, bytes: &[u8]) -> Result<Fields, TahoeError> {
    match media {
        None | Some("application/json") => json_fields(bytes),
        Some("application/x-www-form-urlencoded") => form_fields(bytes),
        Some(other) => Err(TahoeError::UnsupportedMediaType(other.to_owned())),
    }
}

fn json_fields(bytes: &[u8]) -> Result<Fields, TahoeError> {
    if bytes.is_empty() {
        return Ok(Fields::new());
    }
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(TahoeError::Malformed);
    };
    Ok(object
        .into_iter()
        .filter_map(|(key, value)| {
            let text = match value {
                Value::Null => return None,
                Value::String(text) => text,
                // DRF's BooleanField reads JSON true as True; its text here is "true".
                Value::Bool(flag) => flag.to_string(),
                other => other.to_string(),
            };
            Some((key, text))
        })
        .collect())
}

fn form_fields(bytes: &[u8]) -> Result<Fields, TahoeError> {
    let text = std::str::from_utf8(bytes).map_err(|_| TahoeError::Malformed)?;
    let pairs =
        web::Query::<Vec<(String, String)>>::from_query(text).map_err(|_| TahoeError::Malformed)?;
    Ok(pairs.into_inner().into_iter().collect())
}

/// Reads a `multipart/form-data` body's text fields; files are refused as malformed. The
/// whole body is limited to [`MAX_BODY_BYTES`].
pub async fn multipart_fields(headers: &HeaderMap, payload: Payload) -> Result<Fields, TahoeError> {
    let mut multipart = Multipart::new(headers, payload);
    let mut fields = Fields::new();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| TahoeError::Malformed)?;
        let Some(name) = field.name().map(str::to_owned) else {
            return Err(TahoeError::Malformed);
        };
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| TahoeError::Malformed)?;
            total += chunk.len();
            if total > MAX_BODY_BYTES {
                return Err(TahoeError::Api(ApiError::PayloadTooLarge));
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value).map_err(|_| TahoeError::Malformed)?;
        fields.insert(name, value);
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_scalars_become_text_and_nulls_vanish() {
        let fields = parse_simple(
            Some("application/json"),
            br#"{"username":"ada","send_activation_email":false,"age":3,"name":null}"#,
        )
        .unwrap();
        assert_eq!(fields["username"], "ada");
        assert_eq!(fields["send_activation_email"], "false");
        assert_eq!(fields["age"], "3");
        assert!(!fields.contains_key("name"));
    }

    #[test]
    fn forms_decode_and_other_media_are_refused() {
        let fields = parse_simple(
            Some("application/x-www-form-urlencoded"),
            b"username=ada&email=ada%40example.org&send_activation_email=False",
        )
        .unwrap();
        assert_eq!(fields["email"], "ada@example.org");
        assert_eq!(fields["send_activation_email"], "False");
        assert!(matches!(
            parse_simple(Some("text/plain"), b"x"),
            Err(TahoeError::UnsupportedMediaType(_))
        ));
        assert!(matches!(
            parse_simple(Some("application/json"), b"[1]"),
            Err(TahoeError::Malformed)
        ));
    }
}
