//! The Tahoe dialect's errors, in the shapes its clients read: Django REST framework's
//! `{"detail": …}` for authentication and throttling, Tahoe's `{"user_message": …}` for
//! registration outcomes.

use crate::core::routing::MethodNotAllowed;
use actix_web::http::Method;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};
use tenantry_registration::Taken;
use tenantry_tenant::Status;

use crate::core::error::ApiError;

/// Which version of the registration API answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `/tahoe/api/v1/registrations/` (seed 001).
    V1,
    /// `/tahoe/api/v2/registrations/` (seed 004).
    V2,
}

/// Everything a Tahoe registration can fail with.
#[derive(Debug, thiserror::Error)]
pub enum TahoeError {
    /// No `Authorization` header with a token.
    #[error("no credentials")]
    NoCredentials,
    /// The token is unknown, revoked or malformed.
    #[error("invalid token")]
    InvalidToken,
    /// A tenant's token on another tenant's host, or no tenant for an operator token.
    #[error("permission denied")]
    PermissionDenied,
    /// The tenant does not accept registrations in this status.
    #[error("tenant is {0}")]
    TenantClosed(Status),
    /// Username and/or email already registered.
    #[error("already registered")]
    Taken(Version, Taken),
    /// A field is missing or invalid (`None`: the request as a whole).
    #[error("invalid parameters")]
    Invalid(Option<&'static str>),
    /// `send_activation_email` is not a boolean.
    #[error("bad send_activation_email")]
    ActivationFlag(String),
    /// Too many registrations with this token.
    #[error("throttled")]
    Throttled(Duration),
    /// The method is not POST or HEAD.
    #[error("method not allowed")]
    MethodNotAllowed(String),
    /// The body's media type is not JSON, form or multipart.
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    /// The body could not be read or parsed.
    #[error("malformed body")]
    Malformed,
    /// Anything the shared error type answers (storage faults, body too large).
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl ResponseError for TahoeError {
    fn status_code(&self) -> StatusCode {
        match self {
            TahoeError::NoCredentials
            | TahoeError::InvalidToken
            | TahoeError::PermissionDenied
            | TahoeError::TenantClosed(_) => StatusCode::FORBIDDEN,
            TahoeError::Taken(..) => StatusCode::CONFLICT,
            TahoeError::Invalid(_) | TahoeError::ActivationFlag(_) | TahoeError::Malformed => {
                StatusCode::BAD_REQUEST
            }
            TahoeError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            TahoeError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            TahoeError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            TahoeError::Api(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            TahoeError::Api(error) => return error.error_response(),
            TahoeError::NoCredentials => {
                json!({"detail": "Authentication credentials were not provided."})
            }
            TahoeError::InvalidToken => json!({"detail": "Invalid token."}),
            TahoeError::PermissionDenied => {
                json!({"detail": "You do not have permission to perform this action."})
            }
            TahoeError::TenantClosed(status) => json!({
                "user_message": format!("This site does not accept registrations: it is {status}")
            }),
            TahoeError::Taken(version, taken) => taken_body(*version, *taken),
            TahoeError::Invalid(None) => {
                json!({"user_message": "Invalid parameters on user creation"})
            }
            TahoeError::Invalid(Some(field)) => {
                json!({"user_message": format!("Invalid parameters on user creation: {field}")})
            }
            TahoeError::ActivationFlag(value) => json!({
                "user_message": format!(
                    "{} is not a valid value for \"send_activation_email\"",
                    shortened(value)
                )
            }),
            TahoeError::Malformed => json!({"detail": "Malformed request body."}),
            TahoeError::Throttled(wait) => json!({
                "detail": format!(
                    "Request was throttled. Expected available in {} seconds.",
                    whole_seconds(*wait)
                )
            }),
            TahoeError::MethodNotAllowed(method) => {
                json!({"detail": format!("Method \"{method}\" not allowed.")})
            }
            TahoeError::UnsupportedMediaType(media) => {
                json!({"detail": format!("Unsupported media type \"{media}\" in request.")})
            }
        };
        let mut response = HttpResponse::build(self.status_code());
        if let TahoeError::Throttled(wait) = self {
            response.insert_header((header::RETRY_AFTER, whole_seconds(*wait).to_string()));
        }
        response.json(body)
    }
}

/// At most 100 characters of a client's value, to quote it back.
fn shortened(value: &str) -> String {
    const LONGEST: usize = 100;
    if value.chars().count() <= LONGEST {
        return value.to_owned();
    }
    let mut short: String = value.chars().take(LONGEST).collect();
    short.push('…');
    short
}

fn taken_body(version: Version, taken: Taken) -> Value {
    match version {
        Version::V1 => json!({"user_message": "User already exists"}),
        Version::V2 => {
            let (message, fields) = match (taken.email, taken.username) {
                (true, true) => (
                    "Both email and username already exist",
                    json!(["email", "username"]),
                ),
                (true, false) => ("Email already exists", json!(["email"])),
                _ => ("Username already exists", json!(["username"])),
            };
            json!({"user_message": message, "invalid-params": fields})
        }
    }
}

impl MethodNotAllowed for TahoeError {
    fn method_not_allowed(method: &Method) -> Self {
        TahoeError::MethodNotAllowed(method.to_string())
    }
}

/// `wait` in whole seconds, rounded up: a client that waits that long finds a slot (DRF
/// truncates, which can send a client back a fraction of a second too early).
fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn waits_are_rounded_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(30)), 30);
        assert_eq!(whole_seconds(Duration::from_millis(30_001)), 31);
    }

    use actix_web::body::to_bytes;

    use super::*;

    async fn body(error: TahoeError) -> (u16, String) {
        let response = error.error_response();
        let status = response.status().as_u16();
        let bytes = to_bytes(response.into_body()).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[actix_web::test]
    async fn conflicts_speak_each_version() {
        let both = Taken {
            username: true,
            email: true,
        };
        assert_eq!(
            body(TahoeError::Taken(Version::V1, both)).await,
            (409, r#"{"user_message":"User already exists"}"#.into())
        );
        assert_eq!(
            body(TahoeError::Taken(Version::V2, both)).await.1,
            r#"{"invalid-params":["email","username"],"user_message":"Both email and username already exist"}"#
        );
        let email = Taken {
            username: false,
            email: true,
        };
        assert_eq!(
            body(TahoeError::Taken(Version::V2, email)).await.1,
            r#"{"invalid-params":["email"],"user_message":"Email already exists"}"#
        );
    }

    #[actix_web::test]
    async fn validation_and_auth_bodies() {
        assert_eq!(
            body(TahoeError::Invalid(Some("email"))).await,
            (
                400,
                r#"{"user_message":"Invalid parameters on user creation: email"}"#.into()
            )
        );
        assert_eq!(
            body(TahoeError::ActivationFlag("maybe".into())).await.1,
            r#"{"user_message":"maybe is not a valid value for \"send_activation_email\""}"#
        );
        assert_eq!(
            body(TahoeError::NoCredentials).await,
            (
                403,
                r#"{"detail":"Authentication credentials were not provided."}"#.into()
            )
        );
    }
}
