//! The error of tenant operations.

use crate::{FieldError, RepositoryError, Status, TransitionError};

/// Why a tenant operation did not happen. Each variant maps to one client-visible answer
/// (validation → 422, conflicts → 409, stale version → 412, storage → 503/500).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantError {
    /// The input broke one or more rules; each error names its field.
    #[error("invalid input: {}", join(.0))]
    Invalid(Vec<FieldError>),
    /// No tenant matches the given id or name.
    #[error("tenant not found")]
    NotFound,
    /// The tenant has no such domain.
    #[error("domain {0} does not belong to this tenant")]
    DomainNotFound(String),
    /// A uniqueness rule refused the change; `field` names it.
    #[error("{field} is already taken")]
    Conflict {
        /// The field whose value clashed (`name`, `service_id`, `domain`).
        field: String,
    },
    /// The name is held by a soft-deleted tenant, which can be restored (or purged to free
    /// the name).
    #[error(
        "name {name} belongs to a deleted tenant: restore it, or purge it to use the name again"
    )]
    NameOfDeletedTenant {
        /// The name asked for.
        name: String,
    },
    /// The lifecycle does not allow this status change.
    #[error(transparent)]
    IllegalTransition(#[from] TransitionError),
    /// The tenant's status does not allow this operation (e.g. adding a domain to a
    /// deleted tenant).
    #[error("not allowed while the tenant is {status}: {reason}")]
    NotAllowed {
        /// The tenant's current status.
        status: Status,
        /// What is refused.
        reason: &'static str,
    },
    /// The change was based on an older version of the tenant.
    #[error("the tenant has changed since version {expected}; it is now at version {current}")]
    StaleVersion {
        /// The version the caller based the change on.
        expected: i64,
        /// The version now stored.
        current: i64,
    },
    /// The change was conditional on versions of the tenant, none of which is current
    /// (an `If-Match` naming only other versions).
    #[error("the tenant is now at version {current}, not one the change was based on")]
    VersionNotMatched {
        /// The version now stored.
        current: i64,
    },
    /// Storage cannot be reached right now.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Storage failed; the text is for logs only.
    #[error("storage failure: {0}")]
    Backend(String),
}

impl TenantError {
    /// A single-field validation error.
    pub fn invalid(error: FieldError) -> Self {
        TenantError::Invalid(vec![error])
    }
}

impl From<RepositoryError> for TenantError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound => TenantError::NotFound,
            RepositoryError::Conflict { field } => TenantError::Conflict { field },
            RepositoryError::StaleVersion { current } => TenantError::StaleVersion {
                expected: current,
                current,
            },
            RepositoryError::Unavailable(cause) => TenantError::Unavailable(cause),
            RepositoryError::Backend(cause) => TenantError::Backend(cause),
        }
    }
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
