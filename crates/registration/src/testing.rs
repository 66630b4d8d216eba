//! An in-memory session of every port this crate's operations run over, for tests of the
//! rules and of the crates built on this one. Compiled only for this crate's tests and
//! with the `testing` feature (`tenantry-registration = { workspace = true, features =
//! ["testing"] }` in a crate's `[dev-dependencies]`), never into a release binary.
//!
//! [`InMemorySession`] implements [`UserRepository`], [`Outbox`],
//! [`ImpersonationRepository`] and [`AccessRepository`] itself, and the tenant ports
//! ([`TenantRepository`], [`AuditSink`]) over the tenant crate's
//! [`InMemoryTenants`], which it owns: one value is every port at once, as a database
//! session is. [`InMemorySession::fail_next`] makes the next call of any of its port
//! methods fail.
//!
//! [`UserRepository`]: crate::UserRepository
//! [`Outbox`]: crate::Outbox
//! [`ImpersonationRepository`]: crate::ImpersonationRepository
//! [`AccessRepository`]: crate::AccessRepository

mod access;
#[cfg(test)]
pub(crate) mod fixtures;
mod outbox;
mod users;

use chrono::{DateTime, Utc};
use tenantry_tenant::testing::{Failures, InMemoryTenants};
use tenantry_tenant::{
    AuditEvent, AuditSink, DomainName, NewTenant, Page, RepositoryError, ServiceId, Tenant,
    TenantId, TenantKey, TenantName, TenantQuery, TenantRepository,
};

use crate::TokenDigest;
use crate::access::{ApiToken, OperatorAccount};
use crate::impersonation::NewImpersonation;
use crate::users::{NewLink, QueuedEmail, User};

/// Tenants and the audit log (in the tenant crate's [`InMemoryTenants`]), users, links,
/// outbox emails, impersonation secrets, operators, API tokens and the signing key, held
/// in vectors.
///
/// It keeps the database's promises: a username is unique per tenant, an email is unique
/// per tenant case-insensitively (both as [`RepositoryError::Conflict`] on `username` or
/// `email`), a link or an impersonation secret is used at most once, and a secret, link
/// or token needs the user or tenant it belongs to ([`RepositoryError::NotFound`]). It
/// has no transactions: a failed operation leaves what it wrote before failing, where the
/// database would roll it back.
///
/// ```
/// use tenantry_registration::UserRepository;
/// use tenantry_registration::testing::InMemorySession;
/// use tenantry_tenant::RepositoryError;
///
/// let mut session = InMemorySession::new();
/// session.fail_next("get_user", RepositoryError::Unavailable("down".into()));
/// assert!(session.get_user(1).is_err());
/// assert_eq!(session.get_user(1), Ok(None));
/// ```
#[derive(Debug, Default, Clone)]
pub struct InMemorySession {
    tenants: InMemoryTenants,
    users: Vec<User>,
    links: Vec<StoredLink>,
    emails: Vec<StoredEmail>,
    impersonations: Vec<StoredImpersonation>,
    operators: Vec<OperatorAccount>,
    tokens: Vec<StoredToken>,
    signing_key: Option<Vec<u8>>,
    /// Each token's counted requests: (token id, when).
    token_requests: Vec<(i64, DateTime<Utc>)>,
    last_user_id: i64,
    last_email_id: i64,
    failures: Failures,
}

/// A link and when it was used.
#[derive(Debug, Clone)]
struct StoredLink {
    link: NewLink,
    used_at: Option<DateTime<Utc>>,
}

/// An impersonation secret's digest and when it was used.
#[derive(Debug, Clone)]
struct StoredImpersonation {
    new: NewImpersonation,
    used_at: Option<DateTime<Utc>>,
}

/// An outbox row.
#[derive(Debug, Clone)]
struct StoredEmail {
    queued: QueuedEmail,
    delivered_at: Option<DateTime<Utc>>,
    failed_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

/// An API token and the digest of its secret.
#[derive(Debug, Clone)]
struct StoredToken {
    digest: TokenDigest,
    token: ApiToken,
}

impl InMemorySession {
    /// An empty session: no tenants, users, tokens or events.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next call of the port method named `call` (`insert_user`,
    /// `enqueue_email`, `save`, `record`, …) return `error` without reading or changing
    /// anything.
    pub fn fail_next(&mut self, call: &'static str, error: RepositoryError) {
        self.failures.arm(call, error);
    }

    /// Every audit event recorded, oldest first.
    pub fn events(&self) -> &[AuditEvent] {
        self.tenants.events()
    }

    /// Every user, in id order.
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// Every link stored, used or not, oldest first.
    pub fn links(&self) -> impl Iterator<Item = &NewLink> {
        self.links.iter().map(|stored| &stored.link)
    }

    /// Emails neither delivered nor given up yet, oldest first, whether due or not.
    pub fn pending_emails(&self) -> Vec<QueuedEmail> {
        self.emails
            .iter()
            .filter(|stored| stored.is_waiting())
            .map(|stored| stored.queued.clone())
            .collect()
    }

    /// The reason of the last failed delivery of the email `id`.
    pub fn last_error(&self, id: i64) -> Option<&str> {
        self.emails
            .iter()
            .find(|stored| stored.queued.id == id)
            .and_then(|stored| stored.last_error.as_deref())
    }

    /// Adds an operator account, found by
    /// [`find_operator`](crate::AccessRepository::find_operator) afterwards.
    pub fn add_operator(&mut self, operator: OperatorAccount) {
        self.operators.push(operator);
    }

    /// Whether a tenant with this id exists, as the database's foreign keys check.
    fn tenant_exists(&mut self, id: TenantId) -> Result<bool, RepositoryError> {
        Ok(self.tenants.get(id)?.is_some())
    }
}

fn conflict(field: &str) -> RepositoryError {
    RepositoryError::Conflict {
        field: field.to_owned(),
    }
}

/// The tenant ports, on the owned [`InMemoryTenants`] after this session's own failure
/// check (the tenant session's own failures stay unarmed).
impl TenantRepository for InMemorySession {
    fn insert(&mut self, tenant: &NewTenant) -> Result<Tenant, RepositoryError> {
        self.failures.check("insert")?;
        self.tenants.insert(tenant)
    }

    fn get(&mut self, id: TenantId) -> Result<Option<Tenant>, RepositoryError> {
        self.failures.check("get")?;
        self.tenants.get(id)
    }

    fn find_by_name(&mut self, name: &TenantName) -> Result<Option<Tenant>, RepositoryError> {
        self.failures.check("find_by_name")?;
        self.tenants.find_by_name(name)
    }

    fn find_by_service_id(&mut self, id: &ServiceId) -> Result<Option<Tenant>, RepositoryError> {
        self.failures.check("find_by_service_id")?;
        self.tenants.find_by_service_id(id)
    }

    fn find_by_host(&mut self, host: &DomainName) -> Result<Option<Tenant>, RepositoryError> {
        self.failures.check("find_by_host")?;
        self.tenants.find_by_host(host)
    }

    fn list(&mut self, query: &TenantQuery) -> Result<Page<Tenant>, RepositoryError> {
        self.failures.check("list")?;
        self.tenants.list(query)
    }

    fn save(&mut self, tenant: &Tenant) -> Result<Tenant, RepositoryError> {
        self.failures.check("save")?;
        self.tenants.save(tenant)
    }

    fn delete(&mut self, id: TenantId) -> Result<bool, RepositoryError> {
        self.failures.check("delete")?;
        self.tenants.delete(id)
    }

    fn count_live(&mut self) -> Result<u64, RepositoryError> {
        self.failures.check("count_live")?;
        self.tenants.count_live()
    }

    fn routing_version(&mut self) -> Result<i64, RepositoryError> {
        self.failures.check("routing_version")?;
        self.tenants.routing_version()
    }

    fn lock_tenant(&mut self, key: &TenantKey) -> Result<(), RepositoryError> {
        self.failures.check("lock_tenant")?;
        self.tenants.lock_tenant(key)
    }
}

impl AuditSink for InMemorySession {
    fn record(&mut self, event: &AuditEvent) -> Result<(), RepositoryError> {
        self.failures.check("record")?;
        self.tenants.record(event)
    }
}

#[cfg(test)]
mod tests;
