//! The ports tenant operations run over: persistence, audit and time.
//!
//! Implementations: `testing` (with the `testing` feature) for tests, `tenantry-store`
//! for SQLite and PostgreSQL. Repository methods are synchronous; the caller decides the
//! transaction that a sequence of calls runs in (an operation in [`crate::operations`]
//! expects to run inside one, so that its change and its audit event commit together).

use chrono::{DateTime, Utc};

use crate::audit::{AuditFilter, AuditRecord};
use crate::{AuditEvent, DomainName, NewTenant, ServiceId, Status, Tenant, TenantId, TenantName};

/// Why a repository call failed. The store layer maps its backend's errors onto these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepositoryError {
    /// The row to change does not exist (any more).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write; `field` names it (`name`, `service_id`, `domain`).
    #[error("{field} is already taken")]
    Conflict {
        /// The field whose value clashed.
        field: String,
    },
    /// The stored version differs from the one the change was based on.
    #[error("the tenant was changed by someone else (version {current})")]
    StaleVersion {
        /// The version now stored.
        current: i64,
    },
    /// The database cannot be reached; retrying later may succeed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Any other storage fault. The text is for logs, never for clients.
    #[error("storage failure: {0}")]
    Backend(String),
}

/// Filters and paging for [`TenantRepository::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantQuery {
    /// Case-insensitive substring of name, display name or any domain. `%` and `_` are
    /// literal characters.
    pub search: Option<String>,
    /// Only tenants in this status. `None` means every status except `deleted`.
    pub status: Option<Status>,
    /// Only tenants of this partner.
    pub partner_id: Option<String>,
    /// Page number, from 1.
    pub page: u32,
    /// Page size, at least 1.
    pub per_page: u32,
}

impl Default for TenantQuery {
    fn default() -> Self {
        Self {
            search: None,
            status: None,
            partner_id: None,
            page: 1,
            per_page: 20,
        }
    }
}

/// One page of results and the number of matches on all pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of the requested page, in order.
    pub items: Vec<T>,
    /// How many items match in all.
    pub total: u64,
}

/// Where tenants live.
pub trait TenantRepository {
    /// Inserts a tenant and its domains and returns it as stored (with id and version 1).
    fn insert(&mut self, tenant: &NewTenant) -> Result<Tenant, RepositoryError>;

    /// The tenant with this id, in any status.
    fn get(&mut self, id: TenantId) -> Result<Option<Tenant>, RepositoryError>;

    /// The tenant with this name, in any status.
    fn find_by_name(&mut self, name: &TenantName) -> Result<Option<Tenant>, RepositoryError>;

    /// The tenant with this billing service id, in any status.
    fn find_by_service_id(&mut self, id: &ServiceId) -> Result<Option<Tenant>, RepositoryError>;

    /// The tenant that owns this host name.
    fn find_by_host(&mut self, host: &DomainName) -> Result<Option<Tenant>, RepositoryError>;

    /// Tenants matching `query`, ordered by id.
    fn list(&mut self, query: &TenantQuery) -> Result<Page<Tenant>, RepositoryError>;

    /// Writes every field of `tenant` and makes its stored domains equal `tenant.domains`,
    /// provided the stored version is still `tenant.version`; returns the tenant as
    /// stored, with the version incremented. A stale version is
    /// [`RepositoryError::StaleVersion`]; a host owned by another tenant is a
    /// [`RepositoryError::Conflict`] on `domain`.
    fn save(&mut self, tenant: &Tenant) -> Result<Tenant, RepositoryError>;

    /// Removes the tenant and its domains for good. `false` when it did not exist.
    fn delete(&mut self, id: TenantId) -> Result<bool, RepositoryError>;

    /// How many tenants exist in each status except `deleted`.
    fn count_live(&mut self) -> Result<u64, RepositoryError>;

    /// A number that changes whenever any answer of [`TenantRepository::find_by_host`]
    /// may have changed: every `insert`, `save` and `delete` increases it, in the same
    /// transaction. Caches of host resolution compare it to know when to forget.
    fn routing_version(&mut self) -> Result<i64, RepositoryError>;

    /// Makes concurrent writers of the tenant `key` names wait for this transaction
    /// (PostgreSQL's `SELECT … FOR UPDATE`), so a change reads what the previous writer
    /// committed instead of losing the race. A store whose write transactions are already
    /// serial (SQLite's `BEGIN IMMEDIATE`, memory) has nothing to do.
    fn lock_tenant(&mut self, key: &crate::TenantKey) -> Result<(), RepositoryError> {
        let _ = key;
        Ok(())
    }
}

/// Reading the audit log back.
pub trait AuditLog {
    /// Events matching `filter`, newest first, and how many match in all.
    fn list_audit(&mut self, filter: &AuditFilter) -> Result<Page<AuditRecord>, RepositoryError>;
}

/// The first response to a request that carried an `Idempotency-Key`, kept so that a
/// retry of the same request gets the same answer instead of a second effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    /// Who sent the request (an actor's stored form); keys are private to their actor.
    pub actor: String,
    /// The client's key.
    pub key: String,
    /// A digest of the request (method, path and body) the key was first used with.
    pub fingerprint: String,
    /// The HTTP status of the first response.
    pub status: u16,
    /// The body of the first response.
    pub body: String,
    /// When the first response was given.
    pub created_at: DateTime<Utc>,
}

/// Where idempotent responses are kept.
pub trait IdempotencyRepository {
    /// The response remembered for `key` of `actor`, if one was stored at or after
    /// `not_before` (older ones have expired).
    fn find_response(
        &mut self,
        actor: &str,
        key: &str,
        not_before: DateTime<Utc>,
    ) -> Result<Option<IdempotentResponse>, RepositoryError>;

    /// Remembers a response. One stored for the same actor and key before `expired_before`
    /// is replaced; a newer one is a [`RepositoryError::Conflict`] on `idempotency_key`
    /// (a concurrent request with the same key won).
    fn remember_response(
        &mut self,
        response: &IdempotentResponse,
        expired_before: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;
}

/// Where audit events go. Appending happens in the same transaction as the change it
/// records, so an event exists exactly when its change does.
pub trait AuditSink {
    /// Appends one event.
    fn record(&mut self, event: &AuditEvent) -> Result<(), RepositoryError>;
}

/// The source of "now". Library code never reads the system clock directly.
pub trait Clock: Send + Sync {
    /// The current time in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the one place that reads the clock"
    )]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
