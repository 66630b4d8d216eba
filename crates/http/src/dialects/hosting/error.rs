//! The hosting panel's error envelope: `{"success": false, "message": …}` with a 4xx/5xx.

use crate::core::routing::MethodNotAllowed;
use actix_web::http::Method;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;
use tenantry_tenant::TenantError;

use crate::core::error::ApiError;

/// An answer of the hosting dialect that is not a success.
#[derive(Debug, thiserror::Error)]
pub enum HostingError {
    /// A required parameter is missing or a parameter is invalid.
    #[error("{0}")]
    BadRequest(String),
    /// No tenant has the `serviceId`.
    #[error("Tenant not found")]
    UnknownTenant,
    /// A unique value is taken, or the tenant's state forbids the change.
    #[error("{0}")]
    Conflict(String),
    /// Provisioning the tenant's database failed; nothing was kept.
    #[error("{0}")]
    ProvisioningFailed(String),
    /// The database server refuses to create tenant databases for tenantry's user: the
    /// text names the missing privilege and the fix (it holds no secret).
    #[error("The tenant's database could not be provisioned: {0}; nothing was created")]
    ProvisioningRefused(String),
    /// Anything the shared error type answers (authentication, storage faults).
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<TenantError> for HostingError {
    fn from(error: TenantError) -> Self {
        match error {
            TenantError::NotFound => HostingError::UnknownTenant,
            TenantError::Invalid(errors) => HostingError::BadRequest(
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            TenantError::Conflict { field } => HostingError::Conflict(taken(&field)),
            error @ (TenantError::IllegalTransition(_)
            | TenantError::NotAllowed { .. }
            | TenantError::StaleVersion { .. }
            | TenantError::VersionNotMatched { .. }
            | TenantError::NameOfDeletedTenant { .. }
            | TenantError::DomainNotFound(_)) => HostingError::Conflict(error.to_string()),
            TenantError::Unavailable(cause) => HostingError::Api(ApiError::Unavailable(cause)),
            TenantError::Backend(cause) => HostingError::Api(ApiError::Internal(cause)),
        }
    }
}

/// The message for a taken unique value, in the panel's field names.
pub fn taken(field: &str) -> String {
    let field = match field {
        "service_id" => "serviceId",
        "name" => "tenant name",
        other => other,
    };
    format!("The {field} is already in use")
}

impl ResponseError for HostingError {
    fn status_code(&self) -> StatusCode {
        match self {
            HostingError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HostingError::UnknownTenant => StatusCode::NOT_FOUND,
            HostingError::Conflict(_) => StatusCode::CONFLICT,
            HostingError::ProvisioningFailed(_) | HostingError::ProvisioningRefused(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            HostingError::Api(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            HostingError::Api(ApiError::Unauthorized) => "Authentication required".to_owned(),
            HostingError::Api(ApiError::Forbidden(why)) => (*why).to_owned(),
            HostingError::Api(ApiError::Invalid(problems)) => problems
                .iter()
                .map(|problem| problem.msg.clone())
                .collect::<Vec<_>>()
                .join("; "),
            HostingError::Api(ApiError::TooManyRequests(_)) => {
                "Too many failed logins; try again later".to_owned()
            }
            HostingError::Api(
                error @ (ApiError::NotFound
                | ApiError::Missing(_)
                | ApiError::Gone(_)
                | ApiError::MethodNotAllowed
                | ApiError::Conflict(_)
                | ApiError::PreconditionFailed(_)
                | ApiError::PayloadTooLarge
                | ApiError::UnsupportedMediaType),
            ) => error.to_string(),
            // Causes are logged with the request id by `request_id::attach`.
            HostingError::Api(ApiError::RequestTimeout) => {
                "The request body was not received in time".to_owned()
            }
            HostingError::Api(ApiError::Unavailable(_) | ApiError::Busy(_)) => {
                "Service unavailable; try again later".to_owned()
            }
            HostingError::Api(ApiError::Internal(_)) => "Internal error".to_owned(),
            HostingError::ProvisioningFailed(_) => {
                "The tenant's database could not be provisioned; nothing was created".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            HostingError::Api(ApiError::Unauthorized) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"tenantry\""));
            }
            HostingError::Api(ApiError::TooManyRequests(wait) | ApiError::Busy(wait)) => {
                response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
            }
            _ => {}
        }
        response.json(json!({"success": false, "message": message}))
    }
}

impl MethodNotAllowed for HostingError {
    fn method_not_allowed(_method: &Method) -> Self {
        HostingError::Api(ApiError::MethodNotAllowed)
    }
}
