//! The port through which HTTP handlers reach storage.

use tenantry_tenant::RepositoryError;

/// Storage as the HTTP layer sees it. Methods block; handlers call them through
/// `web::block`, never on an actix worker thread.
pub trait Backend: Send + Sync + 'static {
    /// Succeeds when the database answers a trivial query.
    fn ping(&self) -> Result<(), RepositoryError>;
}
