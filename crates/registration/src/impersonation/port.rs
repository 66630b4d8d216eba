//! The port impersonation secrets are kept behind.

use chrono::{DateTime, Utc};
use tenantry_tenant::{RepositoryError, TenantId};

use crate::TokenDigest;
use crate::users::User;

/// An impersonation secret's digest, for whom and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImpersonation {
    /// The tenant whose site the secret signs in to.
    pub tenant_id: TenantId,
    /// The tenant administrator it signs in as.
    pub user_id: i64,
    /// SHA-256 of the secret in the redirect URL.
    pub digest: TokenDigest,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// What presenting an impersonation secret found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpersonationState {
    /// No secret has this digest (or its tenant or user is gone).
    Unknown,
    /// The secret was used before (whether or not it has expired since).
    Used,
    /// The secret expired unused.
    Expired,
    /// The secret was valid and, from [`ImpersonationRepository::use_impersonation`], is
    /// now used up.
    Valid {
        /// The tenant it signs in to.
        tenant_id: TenantId,
        /// The user it signs in as.
        user_id: i64,
    },
}

/// Where impersonation secrets are kept, and how a tenant's administrator is found.
pub trait ImpersonationRepository {
    /// Stores a secret's digest. An unknown tenant or user is
    /// [`RepositoryError::NotFound`].
    fn insert_impersonation(&mut self, new: &NewImpersonation) -> Result<(), RepositoryError>;

    /// Uses the secret with `digest` up when it is valid at `now` (unused, and `now` before
    /// its `expires_at`), atomically: of two concurrent uses, one gets
    /// [`ImpersonationState::Valid`] and the other [`ImpersonationState::Used`]. Otherwise
    /// changes nothing and says why.
    fn use_impersonation(
        &mut self,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<ImpersonationState, RepositoryError>;

    /// The tenant's administrator: of its users flagged `is_tenant_admin`, the one with
    /// the lowest id.
    fn find_tenant_admin(&mut self, tenant: TenantId) -> Result<Option<User>, RepositoryError>;
}
