//! The port through which HTTP handlers reach storage.

use tenantry_registration::impersonation::ImpersonationRepository;
use tenantry_registration::{AccessRepository, Outbox, UserRepository};
use tenantry_tenant::eox_sync::EoxSyncStates;
use tenantry_tenant::provisioning::TenantDatabases;
use tenantry_tenant::webhooks::WebhookRepository;
use tenantry_tenant::{
    AuditLog, AuditSink, IdempotencyRepository, RepositoryError, TenantRepository,
};

/// Everything a handler may do with storage inside one transaction.
pub trait Session:
    TenantRepository
    + AuditSink
    + AuditLog
    + IdempotencyRepository
    + AccessRepository
    + UserRepository
    + Outbox
    + TenantDatabases
    + ImpersonationRepository
    + EoxSyncStates
    + WebhookRepository
{
}

impl<T> Session for T where
    T: TenantRepository
        + AuditSink
        + AuditLog
        + IdempotencyRepository
        + AccessRepository
        + UserRepository
        + Outbox
        + TenantDatabases
        + ImpersonationRepository
        + EoxSyncStates
        + WebhookRepository
        + ?Sized
{
}

/// How busy the connection pool is, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUsage {
    /// Connections open now.
    pub connections: u32,
    /// Of those, how many are idle.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// Storage as the HTTP layer sees it. Methods block; handlers call them through
/// `web::block`, never on an actix worker thread.
pub trait Storage: Send + Sync + 'static {
    /// Succeeds when the database answers a trivial query.
    fn ping(&self) -> Result<(), RepositoryError>;

    /// Runs `work` inside one write transaction, which commits when `work` returns
    /// `true` and rolls back otherwise.
    fn transaction(
        &self,
        work: &mut dyn FnMut(&mut dyn Session) -> bool,
    ) -> Result<(), RepositoryError>;

    /// Runs `work` on a connection without an explicit transaction (reads).
    fn read(&self, work: &mut dyn FnMut(&mut dyn Session)) -> Result<(), RepositoryError>;

    /// The pool's current usage.
    fn pool_usage(&self) -> PoolUsage;
}

/// Runs `work` in one transaction that commits exactly when it returns `Ok`.
pub fn in_transaction<T, E>(
    backend: &dyn Storage,
    work: impl FnOnce(&mut dyn Session) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<RepositoryError>,
{
    let mut work = Some(work);
    let mut outcome = None;
    backend.transaction(&mut |session| match work.take() {
        Some(work) => {
            let result = work(session);
            let commit = result.is_ok();
            outcome = Some(result);
            commit
        }
        None => false,
    })?;
    outcome
        .unwrap_or_else(|| Err(RepositoryError::Backend("the transaction never ran".into()).into()))
}

/// Runs `work` on a connection without a transaction.
pub fn reading<T, E>(
    backend: &dyn Storage,
    work: impl FnOnce(&mut dyn Session) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<RepositoryError>,
{
    let mut work = Some(work);
    let mut outcome = None;
    backend.read(&mut |session| {
        if let Some(work) = work.take() {
            outcome = Some(work(session));
        }
    })?;
    outcome.unwrap_or_else(|| Err(RepositoryError::Backend("the read never ran".into()).into()))
}
