//! Impersonation: the hosting panel signs an operator in as a tenant's administrator on
//! the tenant's own site (API.md §3).
//!
//! `GET /api/impersonate-tenant?serviceId=` calls [`issue_impersonation`] and redirects
//! the operator to `https://<domain>/impersonate/<secret>`; the site then redeems the
//! secret through the canonical API (`POST /api/v1/admin/impersonation/redeem`), which
//! calls [`redeem_impersonation`] and learns which tenant and user to sign in.
//!
//! A secret is a random [`SecretToken`](crate::SecretToken); the store keeps only its
//! digest. It works once, for [`IMPERSONATION_LIFETIME`], and only while the tenant is
//! active.

mod operations;
mod port;
#[cfg(test)]
mod tests;

pub use operations::{
    IMPERSONATION_LIFETIME, ImpersonationError, issue_impersonation, redeem_impersonation,
};
pub use port::{ImpersonationRepository, ImpersonationState, NewImpersonation};
