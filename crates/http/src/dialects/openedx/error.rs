//! The Open edX dialect's errors: `{"status":"error","message":…}`, mapped from the
//! shared [`ApiError`] in one place ([`OpenEdxError`]), and the dialect's field names.

use crate::core::routing::MethodNotAllowed;
use actix_web::http::Method;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};
use tenantry_tenant::TenantError;

use crate::core::error::{ApiError, Problem};

/// An [`ApiError`] answered in the Open edX dialect's shape. Statuses follow the shared
/// error except that invalid input is 400 (Django REST framework's status), and a 401
/// challenges with `Basic` (the seed's clients send `auth=(user, password)`).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct OpenEdxError(#[from] pub ApiError);

impl From<TenantError> for OpenEdxError {
    fn from(error: TenantError) -> Self {
        OpenEdxError(in_dialect(error))
    }
}

/// A domain error with its field names in the dialect's terms (`name` is `tenant_name`,
/// `display_name` is `platform_name`), as an [`ApiError`].
pub fn in_dialect(error: TenantError) -> ApiError {
    match error {
        TenantError::Conflict { field } => {
            ApiError::Conflict(format!("{} is already taken", dialect_field(&field)))
        }
        other => ApiError::from(other),
    }
}

/// The dialect's name of a domain field.
pub fn dialect_field(field: &str) -> &str {
    match field {
        "name" => "tenant_name",
        "display_name" => "platform_name",
        other => other,
    }
}

impl ResponseError for OpenEdxError {
    fn status_code(&self) -> StatusCode {
        match &self.0 {
            ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            other => other.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match &self.0 {
            ApiError::NotFound => "Not found.".to_owned(),
            ApiError::Missing(what) | ApiError::Gone(what) => format!("{what}."),
            ApiError::MethodNotAllowed => "Method not allowed.".to_owned(),
            ApiError::Unauthorized => {
                "Authentication credentials were not provided or are invalid.".to_owned()
            }
            ApiError::Forbidden(_) => "You do not have permission to perform this action.".into(),
            ApiError::Invalid(problems) => {
                problems.iter().map(describe).collect::<Vec<_>>().join("; ")
            }
            ApiError::Conflict(why) | ApiError::PreconditionFailed(why) => why.clone(),
            ApiError::PayloadTooLarge => "Request body is too large.".to_owned(),
            ApiError::UnsupportedMediaType => {
                "Send the body as application/json or application/x-www-form-urlencoded.".to_owned()
            }
            ApiError::TooManyRequests(_) => "Too many requests; try again later.".to_owned(),
            // The cause is logged with the request id by `request_id::attach`.
            ApiError::Busy(_) | ApiError::Unavailable(_) => "Service unavailable.".to_owned(),
            ApiError::RequestTimeout => "The request body was not received in time.".to_owned(),
            ApiError::Internal(_) => "Internal server error.".to_owned(),
        };
        let mut response = HttpResponse::build(self.status_code());
        match &self.0 {
            ApiError::Unauthorized => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic")));
            }
            ApiError::TooManyRequests(retry_after) | ApiError::Busy(retry_after) => {
                let seconds = retry_after.as_secs().max(1);
                response.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            _ => {}
        }
        response.json(json!({ "status": "error", "message": message }))
    }
}

/// `tenant_name: tenant name must start with a lowercase letter`: the problem's place
/// (without the leading `body`, in the dialect's names) and what is wrong.
fn describe(problem: &Problem) -> String {
    let place: Vec<String> = problem
        .loc
        .iter()
        .skip(1)
        .map(|segment| match segment {
            Value::String(name) => dialect_field(name).to_owned(),
            other => other.to_string(),
        })
        .collect();
    if place.is_empty() {
        return format!("body: {}", problem.msg);
    }
    format!("{}: {}", place.join("."), problem.msg)
}

impl MethodNotAllowed for OpenEdxError {
    fn method_not_allowed(_method: &Method) -> Self {
        ApiError::MethodNotAllowed.into()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use actix_web::body::to_bytes;
    use tenantry_tenant::{FieldError, FieldPath, FieldProblem};

    use super::*;

    async fn answer(error: impl Into<OpenEdxError>) -> (u16, String) {
        let response = error.into().error_response();
        let status = response.status().as_u16();
        let bytes = to_bytes(response.into_body()).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[actix_web::test]
    async fn invalid_input_is_400_naming_the_dialect_field() {
        let error = TenantError::Invalid(vec![
            FieldError::new(FieldPath::field("display_name"), FieldProblem::Blank),
            FieldError::new(
                FieldPath::field("org_filter").at(1),
                FieldProblem::ControlCharacter,
            ),
        ]);
        assert_eq!(
            answer(error).await,
            (
                400,
                r#"{"message":"platform_name: must not be blank; org_filter.1: must not contain control characters","status":"error"}"#
                    .into()
            )
        );
    }

    #[actix_web::test]
    async fn conflicts_name_the_dialect_field() {
        let error = TenantError::Conflict {
            field: "name".into(),
        };
        assert_eq!(
            answer(error).await,
            (
                409,
                r#"{"message":"tenant_name is already taken","status":"error"}"#.into()
            )
        );
    }

    #[actix_web::test]
    async fn server_faults_stay_opaque() {
        assert_eq!(
            answer(ApiError::Internal("password=hunter2".into())).await,
            (
                500,
                r#"{"message":"Internal server error.","status":"error"}"#.into()
            )
        );
        assert_eq!(
            answer(ApiError::Unavailable("db.example:5432 refused".into())).await,
            (
                503,
                r#"{"message":"Service unavailable.","status":"error"}"#.into()
            )
        );
    }

    #[actix_web::test]
    async fn auth_errors_carry_their_headers() {
        let response = OpenEdxError(ApiError::Unauthorized).error_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers().get("www-authenticate").unwrap(), "Basic");
        let response =
            OpenEdxError(ApiError::TooManyRequests(Duration::from_secs(3))).error_response();
        assert_eq!(response.headers().get("retry-after").unwrap(), "3");
        assert_eq!(
            answer(ApiError::Forbidden("x")).await,
            (
                403,
                r#"{"message":"You do not have permission to perform this action.","status":"error"}"#
                    .into()
            )
        );
        assert_eq!(
            answer(ApiError::Missing("Tenant not found")).await,
            (
                404,
                r#"{"message":"Tenant not found.","status":"error"}"#.into()
            )
        );
    }
}
