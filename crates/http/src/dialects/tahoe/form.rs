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
use crate::core::body::MAX_BODY_BYTES;
use crate::core::error::ApiError;

/// The fields of a registration body, by name.
pub type Fields = HashMap<String, String>;

/// A registration body: its fields as text, and the names of fields that were not text.
#[derive(Debug, Default)]
pub struct Form {
    /// Field values as text (JSON booleans and numbers in their text form).
    pub fields: Fields,
    /// Fields whose JSON value was a boolean, list or object — invalid for a text field,
    /// as for DRF's `CharField` (numbers it accepts as text).
    pub not_text: Vec<String>,
}

impl Form {
    /// The first of `names` that was not text or holds a NUL character (which no stored
    /// value has, and PostgreSQL refuses to compare).
    pub fn first_unusable(&self, names: &[&'static str]) -> Option<&'static str> {
        names.iter().copied().find(|name| {
            self.not_text.iter().any(|field| field == name)
                || self
                    .fields
                    .get(*name)
                    .is_some_and(|value| value.contains('\0'))
        })
    }
}

impl From<Fields> for Form {
    fn from(fields: Fields) -> Self {
        Self {
            fields,
            not_text: Vec::new(),
        }
    }
}

/// Reads `bytes` (already limited) of media type `media`.
pub fn parse_simple(media: Option<&str>, bytes: &[u8]) -> Result<Form, TahoeError> {
    match media {
        None | Some("application/json") => json_fields(bytes),
        Some("application/x-www-form-urlencoded") => form_fields(bytes).map(Form::from),
        Some(other) => Err(TahoeError::UnsupportedMediaType(other.to_owned())),
    }
}

fn json_fields(bytes: &[u8]) -> Result<Form, TahoeError> {
    if bytes.is_empty() {
        return Ok(Form::default());
    }
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(TahoeError::Malformed);
    };
    let mut form = Form::default();
    for (key, value) in object {
        let text = match value {
            Value::Null => continue,
            Value::String(text) => text,
            Value::Number(number) => number.to_string(),
            // DRF's BooleanField reads JSON true as True; its text here is "true".
            Value::Bool(flag) => {
                form.not_text.push(key.clone());
                flag.to_string()
            }
            other => {
                form.not_text.push(key.clone());
                other.to_string()
            }
        };
        form.fields.insert(key, text);
    }
    Ok(form)
}

fn form_fields(bytes: &[u8]) -> Result<Fields, TahoeError> {
    let text = std::str::from_utf8(bytes).map_err(|_| TahoeError::Malformed)?;
    let pairs =
        web::Query::<Vec<(String, String)>>::from_query(text).map_err(|_| TahoeError::Malformed)?;
    Ok(pairs.into_inner().into_iter().collect())
}

/// Reads a `multipart/form-data` body's text fields; files are refused as malformed. The
/// whole body is limited to [`MAX_BODY_BYTES`].
pub async fn multipart_fields(headers: &HeaderMap, payload: Payload) -> Result<Form, TahoeError> {
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
    Ok(Form::from(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_is_text(form: &Form, name: &str) -> bool {
        !form.not_text.iter().any(|field| field == name)
    }

    #[test]
    fn non_text_values_and_nul_make_a_field_unusable() {
        let form = parse_simple(
            Some("application/json"),
            br#"{"username":"ada","name":[1],"email":"a\u0000@x.org","password":true}"#,
        )
        .unwrap();
        assert_eq!(
            form.first_unusable(&["username", "email", "name"]),
            Some("email")
        );
        assert_eq!(form.first_unusable(&["username", "name"]), Some("name"));
        assert_eq!(form.first_unusable(&["password"]), Some("password"));
        assert_eq!(form.first_unusable(&["username"]), None);
    }

    #[test]
    fn json_scalars_become_text_and_nulls_vanish() {
        let fields = parse_simple(
            Some("application/json"),
            br#"{"username":"ada","send_activation_email":false,"age":3,"name":null}"#,
        )
        .unwrap();
        assert!(form_is_text(&fields, "username"));
        let fields = fields.fields;
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
        .unwrap()
        .fields;
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
