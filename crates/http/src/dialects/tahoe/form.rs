//! Reading a registration body — JSON, form-urlencoded or multipart, through the one body
//! reader — into text fields, as Django REST framework's parsers would: unknown fields are
//! kept (and later ignored), JSON booleans and numbers become their text.

use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::dev::Payload;
use serde_json::{Map, Value};

use super::error::TahoeError;
use crate::core::body::{BodyError, BodyRules, read_fields};
use crate::core::error::ApiError;

/// Registrations come as JSON, a form or multipart, as DRF's default parsers accept.
const REGISTRATION_BODY: BodyRules = BodyRules {
    multipart: true,
    ..BodyRules::JSON_OR_FORM
};

/// A registration body: its fields as text, and the names of fields that were not text.
#[derive(Debug, Default)]
pub struct Form {
    /// Field values as text (JSON booleans and numbers in their text form).
    pub fields: HashMap<String, String>,
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

    /// The form of a decoded body: nulls vanish, scalars become text.
    fn from_values(object: Map<String, Value>) -> Self {
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
        form
    }
}

/// Reads the body of a registration request.
pub async fn read(request: &HttpRequest, payload: Payload) -> Result<Form, TahoeError> {
    read_fields(request, payload, REGISTRATION_BODY)
        .await
        .map(Form::from_values)
        .map_err(|error| match error {
            BodyError::TooLarge => TahoeError::Api(ApiError::PayloadTooLarge),
            BodyError::TimedOut => TahoeError::Api(ApiError::RequestTimeout),
            BodyError::UnsupportedMediaType(media) => TahoeError::UnsupportedMediaType(media),
            _ => TahoeError::Malformed,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    use actix_web::http::header;
    use actix_web::test::TestRequest;

    async fn parse_simple(media: Option<&str>, bytes: &'static [u8]) -> Result<Form, TahoeError> {
        let mut request = TestRequest::post();
        if let Some(media) = media {
            request = request.insert_header((header::CONTENT_TYPE, media));
        }
        let (request, payload) = request.set_payload(bytes).to_http_parts();
        read(&request, payload).await
    }

    fn form_is_text(form: &Form, name: &str) -> bool {
        !form.not_text.iter().any(|field| field == name)
    }

    #[actix_web::test]
    async fn non_text_values_and_nul_make_a_field_unusable() {
        let form = parse_simple(
            Some("application/json"),
            br#"{"username":"ada","name":[1],"email":"a\u0000@x.org","password":true}"#,
        )
        .await
        .unwrap();
        assert_eq!(
            form.first_unusable(&["username", "email", "name"]),
            Some("email")
        );
        assert_eq!(form.first_unusable(&["username", "name"]), Some("name"));
        assert_eq!(form.first_unusable(&["password"]), Some("password"));
        assert_eq!(form.first_unusable(&["username"]), None);
    }

    #[actix_web::test]
    async fn json_scalars_become_text_and_nulls_vanish() {
        let fields = parse_simple(
            Some("application/json"),
            br#"{"username":"ada","send_activation_email":false,"age":3,"name":null}"#,
        )
        .await
        .unwrap();
        assert!(form_is_text(&fields, "username"));
        let fields = fields.fields;
        assert_eq!(fields["username"], "ada");
        assert_eq!(fields["send_activation_email"], "false");
        assert_eq!(fields["age"], "3");
        assert!(!fields.contains_key("name"));
    }

    #[actix_web::test]
    async fn forms_decode_and_other_media_are_refused() {
        let fields = parse_simple(
            Some("application/x-www-form-urlencoded"),
            b"username=ada&email=ada%40example.org&send_activation_email=False",
        )
        .await
        .unwrap()
        .fields;
        assert_eq!(fields["email"], "ada@example.org");
        assert_eq!(fields["send_activation_email"], "False");
        assert!(matches!(
            parse_simple(Some("text/plain"), b"x").await,
            Err(TahoeError::UnsupportedMediaType(_))
        ));
        assert!(matches!(
            parse_simple(Some("application/json"), b"[1]").await,
            Err(TahoeError::Malformed)
        ));
    }
}
