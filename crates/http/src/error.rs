//! The one error type of the HTTP layer and its mapping to status codes and bodies.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;
use tenantry_tenant::RepositoryError;

/// Everything a handler can fail with. The status of each variant is decided in
/// [`ResponseError::status_code`], one exhaustive `match`; the body is a stable
/// `{"detail": …}` that never includes the cause of a server-side fault.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No route or resource matches.
    #[error("not found")]
    NotFound,
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A dependency (the database) cannot be reached; retrying later may work.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A fault on our side. The text goes to the log, never to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<RepositoryError> for ApiError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound => ApiError::NotFound,
            RepositoryError::Unavailable(cause) => ApiError::Unavailable(cause),
            other => ApiError::Internal(other.to_string()),
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
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let detail = match self {
            ApiError::NotFound => "Not Found",
            ApiError::MethodNotAllowed => "Method Not Allowed",
            ApiError::Unavailable(cause) => {
                log::warn!("answering 503: {cause}");
                "Service Unavailable"
            }
            ApiError::Internal(cause) => {
                log::error!("answering 500: {cause}");
                "Internal Server Error"
            }
        };
        HttpResponse::build(self.status_code()).json(json!({ "detail": detail }))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    #[actix_web::test]
    async fn server_faults_never_show_their_cause() {
        let response =
            ApiError::Internal("password=hunter2 at db.example:5432".into()).error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = to_bytes(response.into_body()).await.unwrap();
        assert_eq!(body, r#"{"detail":"Internal Server Error"}"#);
    }

    #[actix_web::test]
    async fn storage_errors_map_to_their_status() {
        let unavailable: ApiError = RepositoryError::Unavailable("refused".into()).into();
        assert_eq!(unavailable.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let backend: ApiError = RepositoryError::Backend("syntax".into()).into();
        assert_eq!(backend.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = to_bytes(unavailable.error_response().into_body())
            .await
            .unwrap();
        assert_eq!(body, r#"{"detail":"Service Unavailable"}"#);
    }
}
