//! The one body reader: a JSON object, a form or a multipart body into named values, at
//! most [`MAX_BODY_BYTES`], with a typed [`BodyError`] each dialect words in its own shape.
//!
//! Every dialect reads bodies through [`read_fields`] with its own [`BodyRules`] (which
//! encodings it accepts, whether an empty JSON body means "no fields"); the canonical API
//! also has the [`JsonObject`] extractor.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::core::error::ApiError;

/// The largest request body accepted, in bytes (1 MiB); larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a body could not be read into fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// More than [`MAX_BODY_BYTES`], declared or sent.
    TooLarge,
    /// The connection broke off or the payload was malformed on the wire.
    Unreadable,
    /// The body did not arrive within the read deadline ([`BodyDeadline`]).
    TimedOut,
    /// A media type the dialect does not read (lower-cased, without parameters).
    UnsupportedMediaType(String),
    /// Not JSON at all; the decoder's message.
    InvalidJson(String),
    /// JSON, but not an object.
    NotAnObject,
    /// A form body that is not UTF-8.
    FormNotUtf8,
    /// A form body whose pairs do not decode.
    MalformedForm,
    /// A multipart body that does not decode, has a nameless part or a non-UTF-8 value.
    MalformedMultipart,
}

/// How a dialect reads bodies.
#[derive(Debug, Clone, Copy)]
pub struct BodyRules {
    /// Accept `application/x-www-form-urlencoded`.
    pub form: bool,
    /// Accept `multipart/form-data`.
    pub multipart: bool,
    /// Form fields that keep every value they are given, as a list (others keep the last).
    pub lists: &'static [&'static str],
    /// An empty JSON body (or one without a media type) has no fields; otherwise it is
    /// [`BodyError::InvalidJson`].
    pub empty_json_is_empty: bool,
}

impl BodyRules {
    /// JSON objects only; an empty body has no fields.
    pub const JSON: BodyRules = BodyRules {
        form: false,
        multipart: false,
        lists: &[],
        empty_json_is_empty: true,
    };

    /// JSON objects or forms; an empty body has no fields.
    pub const JSON_OR_FORM: BodyRules = BodyRules {
        form: true,
        ..BodyRules::JSON
    };
}

/// Reads the body of `request` into named values: JSON as sent; form and multipart
/// fields as strings. The media type is checked before anything is read; a body without
/// one is read as JSON.
pub async fn read_fields(
    request: &HttpRequest,
    payload: Payload,
    rules: BodyRules,
) -> Result<Map<String, Value>, BodyError> {
    let media = media_type(request);
    match media.as_deref() {
        None | Some("application/json") => {
            let bytes = read_bytes(request, payload).await?;
            if bytes.is_empty() && rules.empty_json_is_empty {
                return Ok(Map::new());
            }
            decode_json_object(&bytes)
        }
        Some("application/x-www-form-urlencoded") if rules.form => {
            let bytes = read_bytes(request, payload).await?;
            decode_form(&bytes, rules.lists)
        }
        Some("multipart/form-data") if rules.multipart => {
            within_deadline(request, read_multipart(request, payload)).await
        }
        Some(other) => Err(BodyError::UnsupportedMediaType(other.to_owned())),
    }
}

/// The request's media type, lower-cased, without parameters; `None` when absent.
pub fn media_type(request: &HttpRequest) -> Option<String> {
    let value = request.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

/// How long a request body may take to arrive (set by the server as app data).
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// The read deadline when the app configures none (unit tests).
const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);

/// Reads `body` within the app's [`BodyDeadline`]: a client that sends a body slowly or
/// stops half-way must not hold its connection (and a file descriptor) forever.
async fn within_deadline<T>(
    request: &HttpRequest,
    body: impl Future<Output = Result<T, BodyError>>,
) -> Result<T, BodyError> {
    let deadline = request
        .app_data::<web::Data<BodyDeadline>>()
        .map_or(DEFAULT_DEADLINE, |deadline| deadline.0);
    actix_web::rt::time::timeout(deadline, body)
        .await
        .unwrap_or(Err(BodyError::TimedOut))
}

/// Reads the whole body, refusing a declared or actual length over [`MAX_BODY_BYTES`],
/// within the read deadline.
pub async fn read_bytes(request: &HttpRequest, payload: Payload) -> Result<web::Bytes, BodyError> {
    within_deadline(request, read_all(request, payload)).await
}

async fn read_all(request: &HttpRequest, payload: Payload) -> Result<web::Bytes, BodyError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(BodyError::TooLarge);
    }
    let mut payload = payload;
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Unreadable)?;
        if bytes.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

/// Decodes `bytes` as one JSON object.
pub fn decode_json_object(bytes: &[u8]) -> Result<Map<String, Value>, BodyError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BodyError::NotAnObject),
        Err(error) => Err(BodyError::InvalidJson(error.to_string())),
    }
}

/// Decodes a form (or a query string): each field a string, the last value winning,
/// except the fields named in `lists`, which keep every value as a list.
pub fn decode_form(bytes: &[u8], lists: &[&str]) -> Result<Map<String, Value>, BodyError> {
    let text = std::str::from_utf8(bytes).map_err(|_| BodyError::FormNotUtf8)?;
    let pairs = web::Query::<Vec<(String, String)>>::from_query(text)
        .map_err(|_| BodyError::MalformedForm)?;
    let mut object = Map::new();
    for (key, value) in pairs.into_inner() {
        if lists.contains(&key.as_str()) {
            let list = object
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = list {
                items.push(Value::String(value));
            }
        } else {
            object.insert(key, Value::String(value));
        }
    }
    Ok(object)
}

/// Reads a `multipart/form-data` body's fields as strings, the whole limited to
/// [`MAX_BODY_BYTES`].
async fn read_multipart(
    request: &HttpRequest,
    payload: Payload,
) -> Result<Map<String, Value>, BodyError> {
    let mut multipart = Multipart::new(request.headers(), payload);
    let mut fields = Map::new();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| BodyError::MalformedMultipart)?;
        let Some(name) = field.name().map(str::to_owned) else {
            return Err(BodyError::MalformedMultipart);
        };
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| BodyError::MalformedMultipart)?;
            total += chunk.len();
            if total > MAX_BODY_BYTES {
                return Err(BodyError::TooLarge);
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value).map_err(|_| BodyError::MalformedMultipart)?;
        fields.insert(name, Value::String(value));
    }
    Ok(fields)
}

/// The canonical API's wording of each failure (FastAPI's 413, 415 and 422 bodies).
impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        let body = || vec![Value::from("body")];
        match error {
            BodyError::TooLarge => ApiError::PayloadTooLarge,
            BodyError::TimedOut => ApiError::RequestTimeout,
            BodyError::UnsupportedMediaType(_) => ApiError::UnsupportedMediaType,
            BodyError::InvalidJson(message) => ApiError::invalid(
                body(),
                "json_invalid",
                format!("JSON decode error: {message}"),
            ),
            BodyError::NotAnObject => {
                ApiError::invalid(body(), "dict_type", "Input should be a JSON object")
            }
            BodyError::FormNotUtf8 | BodyError::MalformedForm => {
                ApiError::invalid(body(), "body_error", "The form could not be read")
            }
            BodyError::Unreadable | BodyError::MalformedMultipart => {
                ApiError::invalid(body(), "body_error", "The body could not be read")
            }
        }
    }
}

/// A request body that is a JSON object (the canonical API's bodies).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonObject(pub Map<String, Value>);

impl FromRequest for JsonObject {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let payload = payload.take();
        Box::pin(async move {
            read_fields(&request, payload, BodyRules::JSON)
                .await
                .map(JsonObject)
                .map_err(ApiError::from)
        })
    }
}

/// A request body of at most [`MAX_BODY_BYTES`], undecoded (the link pages read their
/// one field themselves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBody(pub web::Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let payload = payload.take();
        Box::pin(async move {
            read_bytes(&request, payload)
                .await
                .map(RawBody)
                .map_err(ApiError::from)
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_bodies_must_be_objects() {
        assert_eq!(decode_json_object(b"[1]"), Err(BodyError::NotAnObject));
        assert!(matches!(
            decode_json_object(b"{\"a\":"),
            Err(BodyError::InvalidJson(_))
        ));
        assert_eq!(decode_json_object(b"{}"), Ok(Map::new()));
    }

    #[test]
    fn forms_keep_the_last_value_or_every_value_of_list_fields() {
        let object = decode_form(b"a=1&a=2&tag=x&tag=y%20z&b=", &["tag"]).unwrap();
        assert_eq!(
            Value::Object(object),
            json!({"a": "2", "tag": ["x", "y z"], "b": ""})
        );
        assert_eq!(decode_form(b"\xff", &[]), Err(BodyError::FormNotUtf8));
    }

    #[actix_web::test]
    async fn media_types_are_checked_before_reading_and_sizes_are_bounded() {
        let read = |content_type: Option<&str>, body: Vec<u8>, rules: BodyRules| {
            let mut request = actix_web::test::TestRequest::post();
            if let Some(content_type) = content_type {
                request = request.insert_header((header::CONTENT_TYPE, content_type));
            }
            let (request, payload) = request.set_payload(body).to_http_parts();
            async move { read_fields(&request, payload, rules).await }
        };
        assert_eq!(
            read(Some("text/plain"), b"x".to_vec(), BodyRules::JSON).await,
            Err(BodyError::UnsupportedMediaType("text/plain".into()))
        );
        assert_eq!(
            read(
                Some("application/x-www-form-urlencoded"),
                b"a=1".to_vec(),
                BodyRules::JSON
            )
            .await,
            Err(BodyError::UnsupportedMediaType(
                "application/x-www-form-urlencoded".into()
            ))
        );
        assert_eq!(
            Value::Object(
                read(
                    Some("Application/X-WWW-Form-Urlencoded; charset=utf-8"),
                    b"a=1".to_vec(),
                    BodyRules::JSON_OR_FORM
                )
                .await
                .unwrap()
            ),
            json!({"a": "1"})
        );
        assert_eq!(
            read(None, Vec::new(), BodyRules::JSON).await,
            Ok(Map::new())
        );
        let strict = BodyRules {
            empty_json_is_empty: false,
            ..BodyRules::JSON
        };
        assert!(matches!(
            read(None, Vec::new(), strict).await,
            Err(BodyError::InvalidJson(_))
        ));
        assert_eq!(
            read(None, vec![b' '; MAX_BODY_BYTES + 1], BodyRules::JSON).await,
            Err(BodyError::TooLarge)
        );
    }

    #[actix_web::test]
    async fn a_body_that_stops_half_way_times_out() {
        let half: Result<web::Bytes, actix_web::error::PayloadError> =
            Ok(web::Bytes::from_static(b"{\"name\":"));
        let stream =
            futures_util::stream::once(async move { half }).chain(futures_util::stream::pending());
        let payload: Payload = Payload::Stream {
            payload: Box::pin(stream),
        };
        let request = actix_web::test::TestRequest::post()
            .insert_header((header::CONTENT_LENGTH, "100"))
            .app_data(web::Data::new(BodyDeadline(Duration::from_millis(50))))
            .to_http_request();
        let read = read_bytes(&request, payload).await;
        assert_eq!(read, Err(BodyError::TimedOut));
    }

    #[actix_web::test]
    async fn multipart_fields_become_strings() {
        let body =
            "--XX\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nada\r\n--XX--\r\n";
        let (request, payload) = actix_web::test::TestRequest::post()
            .insert_header((header::CONTENT_TYPE, "multipart/form-data; boundary=XX"))
            .set_payload(body)
            .to_http_parts();
        let rules = BodyRules {
            multipart: true,
            ..BodyRules::JSON_OR_FORM
        };
        let fields = read_fields(&request, payload, rules).await.unwrap();
        assert_eq!(Value::Object(fields), json!({"username": "ada"}));
    }
}
