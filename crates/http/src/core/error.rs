//! The one error type of the HTTP layer and its mapping to status codes and bodies.
//!
//! Bodies follow FastAPI, whose shape the canonical API keeps: `{"detail": "…"}`, and for
//! validation `{"detail": [{"loc": […], "msg": "…", "type": "…"}]}`. Domain errors of
//! tenant operations convert in `shared::field_errors`, which words their field errors.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{Value, json};
use tenantry_registration::AccessError;
use tenantry_tenant::RepositoryError;

/// One validation problem in FastAPI's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Where: `["body", "settings", "mfa_methods", 0]` or `["query", "page"]`.
    pub loc: Vec<Value>,
    /// What is wrong, for people.
    pub msg: String,
    /// What is wrong, for programs (`missing`, `string_type`, `value_error`, …).
    #[serde(rename = "type")]
    pub kind: String,
}

impl Problem {
    /// A problem at `loc`.
    pub fn new(loc: Vec<Value>, kind: &str, msg: impl Into<String>) -> Self {
        Self {
            loc,
            msg: msg.into(),
            kind: kind.to_owned(),
        }
    }
}

/// Everything a handler can fail with. The status of each variant is decided in
/// [`ResponseError::status_code`], one exhaustive `match`; the body is a stable
/// `{"detail": …}` that never includes the cause of a server-side fault.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No route or resource matches.
    #[error("not found")]
    NotFound,
    /// A named thing does not exist (`Tenant not found`).
    #[error("{0}")]
    Missing(&'static str),
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// No or wrong credentials.
    #[error("not authenticated")]
    Unauthorized,
    /// Valid credentials without the right to do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The input broke rules; each problem says where.
    #[error("invalid input")]
    Invalid(Vec<Problem>),
    /// The change clashes with the current state (a taken name, an illegal transition).
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` names a version that is no longer current.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// The thing existed but is gone for good (a used or expired single-use token).
    #[error("gone: {0}")]
    Gone(&'static str),
    /// The body is larger than allowed.
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body's media type is not accepted.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// Too many attempts; try again after the given time.
    #[error("too many requests")]
    TooManyRequests(Duration),
    /// Too much work is queued (password hashing); retry after the given time (503).
    #[error("busy")]
    Busy(Duration),
    /// The client did not send its body within the read deadline (408).
    #[error("request timeout")]
    RequestTimeout,
    /// A dependency (the database) cannot be reached; retrying later may work.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A fault on our side. The text goes to the log, never to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A single validation problem.
    pub fn invalid(loc: Vec<Value>, kind: &str, msg: impl Into<String>) -> Self {
        ApiError::Invalid(vec![Problem::new(loc, kind, msg)])
    }
}

impl From<RepositoryError> for ApiError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound => ApiError::NotFound,
            RepositoryError::Conflict { field } => {
                ApiError::Conflict(format!("{field} is already taken"))
            }
            RepositoryError::Unavailable(cause) => ApiError::Unavailable(cause),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::TokenNotFound => ApiError::Missing("Token not found"),
            AccessError::Repository(error) => error.into(),
            AccessError::Token(error) => ApiError::Internal(error.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(format!("blocking task failed: {error}"))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound | ApiError::Missing(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy(_) | ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let detail = match self {
            ApiError::NotFound => json!("Not Found"),
            ApiError::Missing(what) => json!(what),
            ApiError::MethodNotAllowed => json!("Method Not Allowed"),
            ApiError::Unauthorized => json!("Not authenticated"),
            ApiError::Forbidden(why) | ApiError::Gone(why) => json!(why),
            ApiError::Invalid(problems) => json!(problems),
            ApiError::Conflict(why) | ApiError::PreconditionFailed(why) => json!(why),
            ApiError::PayloadTooLarge => json!("Request body is too large"),
            ApiError::UnsupportedMediaType => {
                json!("Send the body as application/json")
            }
            ApiError::TooManyRequests(_) => json!("Too many requests; try again later"),
            // The cause is logged with the request id by `request_id::attach`.
            ApiError::Busy(_) | ApiError::Unavailable(_) => json!("Service Unavailable"),
            ApiError::RequestTimeout => json!("The request body was not received in time"),
            ApiError::Internal(_) => json!("Internal Server Error"),
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unauthorized => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::TooManyRequests(retry_after) | ApiError::Busy(retry_after) => {
                let seconds = retry_after.as_secs().max(1);
                response.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            ApiError::RequestTimeout => {
                response.insert_header((header::CONNECTION, "close"));
            }
            _ => {}
        }
        response.json(json!({ "detail": detail }))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    async fn body(error: ApiError) -> String {
        let response = error.error_response();
        String::from_utf8(to_bytes(response.into_body()).await.unwrap().to_vec()).unwrap()
    }

    #[actix_web::test]
    async fn server_faults_never_show_their_cause() {
        let error = ApiError::Internal("password=hunter2 at db.example:5432".into());
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body(error).await, r#"{"detail":"Internal Server Error"}"#);
    }

    #[actix_web::test]
    async fn storage_errors_map_to_their_status() {
        let unavailable: ApiError = RepositoryError::Unavailable("refused".into()).into();
        assert_eq!(unavailable.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let backend: ApiError = RepositoryError::Backend("syntax".into()).into();
        assert_eq!(backend.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body(unavailable).await,
            r#"{"detail":"Service Unavailable"}"#
        );
    }

    #[actix_web::test]
    async fn unauthorized_answers_carry_the_challenge() {
        let response = ApiError::Unauthorized.error_response();
        assert_eq!(
            response.headers().get("www-authenticate").unwrap(),
            "Bearer"
        );
        let response = ApiError::TooManyRequests(Duration::from_millis(1500)).error_response();
        assert_eq!(response.headers().get("retry-after").unwrap(), "1");
        let response = ApiError::Busy(Duration::from_secs(2)).error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get("retry-after").unwrap(), "2");
    }
}
