//! Tenants, users, impersonation secrets and the audit log in memory, as one set of ports
//! (the database implements them all on one connection), for the tests of the tenant
//! administrator and impersonation rules.

use chrono::{DateTime, TimeZone, Utc};
use tenantry_tenant::memory::InMemoryTenants;
use tenantry_tenant::{
    Actor, AuditEvent, AuditSink, Domain, DomainName, NewTenant, Page, RepositoryError,
    RequestContext, ServiceId, Status, Tenant, TenantId, TenantName, TenantProfile, TenantQuery,
    TenantRepository,
};

use crate::impersonation::{ImpersonationRepository, ImpersonationState, NewImpersonation};
use crate::memory::InMemoryUsers;
use crate::users::{LinkPurpose, LinkState, NewLink, NewUser, Taken, User, UserQuery};
use crate::users::{NewEmail, Outbox, QueuedEmail, UserRepository};
use crate::{Email, FullName, PasswordHash, TokenDigest, Username};

#[derive(Default)]
pub(crate) struct Ports {
    pub(crate) tenants: InMemoryTenants,
    pub(crate) users: InMemoryUsers,
}

impl Ports {
    pub(crate) fn events(&self) -> &[AuditEvent] {
        self.tenants.events()
    }

    /// Stores a tenant named `name` in `status` with the domains `hosts` (the first is
    /// primary).
    pub(crate) fn add_tenant(&mut self, name: &str, status: Status, hosts: &[&str]) -> Tenant {
        self.insert(&NewTenant {
            name: TenantName::parse(name).unwrap(),
            status,
            profile: TenantProfile::new(format!("{name} academy")),
            domains: hosts
                .iter()
                .enumerate()
                .map(|(index, host)| Domain {
                    host: DomainName::parse(host).unwrap(),
                    is_primary: index == 0,
                })
                .collect(),
            created_at: t0(),
        })
        .unwrap()
    }

    /// Stores an active user of `tenant`, an administrator or not.
    pub(crate) fn add_user(&mut self, tenant: TenantId, username: &str, admin: bool) -> User {
        self.insert_user(&NewUser {
            tenant_id: tenant,
            username: Username::parse(username).unwrap(),
            email: Email::parse(&format!("{username}@example.org")).unwrap(),
            name: FullName::parse("Someone").unwrap(),
            password_hash: None,
            is_active: true,
            is_tenant_admin: admin,
            created_at: t0(),
        })
        .unwrap()
    }
}

/// 2026-11-25 12:00:00 UTC, the time every test starts at.
pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

/// A context acting at `now` for operator `ops`.
pub(crate) fn context(now: DateTime<Utc>) -> RequestContext {
    RequestContext {
        actor: Actor::Operator("ops".into()),
        request_id: Some("req-1".into()),
        source: Some("192.0.2.1".into()),
        now,
    }
}

/// A stand-in for an argon2id hash (hashing for real is slow and tested elsewhere).
pub(crate) fn hash() -> PasswordHash {
    PasswordHash::from_phc(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA".into(),
    )
    .unwrap()
}

impl UserRepository for Ports {
    fn insert_user(&mut self, user: &NewUser) -> Result<User, RepositoryError> {
        self.users.insert_user(user)
    }
    fn taken(
        &mut self,
        tenant: TenantId,
        username: &str,
        email: &str,
    ) -> Result<Taken, RepositoryError> {
        self.users.taken(tenant, username, email)
    }
    fn get_user(&mut self, id: i64) -> Result<Option<User>, RepositoryError> {
        self.users.get_user(id)
    }
    fn list_users(
        &mut self,
        tenant: TenantId,
        query: &UserQuery,
    ) -> Result<Page<User>, RepositoryError> {
        self.users.list_users(tenant, query)
    }
    fn activate_user(
        &mut self,
        id: i64,
        password_hash: Option<&PasswordHash>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.users.activate_user(id, password_hash, at)
    }
    fn insert_link(&mut self, link: &NewLink) -> Result<(), RepositoryError> {
        self.users.insert_link(link)
    }
    fn link_state(
        &mut self,
        purpose: LinkPurpose,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<LinkState, RepositoryError> {
        self.users.link_state(purpose, digest, now)
    }
    fn use_link(
        &mut self,
        purpose: LinkPurpose,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<LinkState, RepositoryError> {
        self.users.use_link(purpose, digest, now)
    }
}

impl ImpersonationRepository for Ports {
    /// Also checks the tenant exists, as the database's foreign key does.
    fn insert_impersonation(&mut self, new: &NewImpersonation) -> Result<(), RepositoryError> {
        if self.tenants.get(new.tenant_id)?.is_none() {
            return Err(RepositoryError::NotFound);
        }
        self.users.insert_impersonation(new)
    }
    fn use_impersonation(
        &mut self,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<ImpersonationState, RepositoryError> {
        self.users.use_impersonation(digest, now)
    }
    fn find_tenant_admin(&mut self, tenant: TenantId) -> Result<Option<User>, RepositoryError> {
        self.users.find_tenant_admin(tenant)
    }
}

impl Outbox for Ports {
    fn enqueue_email(&mut self, email: &NewEmail) -> Result<i64, RepositoryError> {
        self.users.enqueue_email(email)
    }
    fn due_emails(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedEmail>, RepositoryError> {
        self.users.due_emails(now, limit)
    }
    fn claim_email(
        &mut self,
        id: i64,
        due_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        self.users.claim_email(id, due_at, lease_until)
    }
    fn mark_delivered(&mut self, id: i64, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        self.users.mark_delivered(id, at)
    }
    fn mark_failed(
        &mut self,
        id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.users.mark_failed(id, error, retry_at)
    }
}

impl TenantRepository for Ports {
    fn insert(&mut self, tenant: &NewTenant) -> Result<Tenant, RepositoryError> {
        self.tenants.insert(tenant)
    }
    fn get(&mut self, id: TenantId) -> Result<Option<Tenant>, RepositoryError> {
        self.tenants.get(id)
    }
    fn find_by_name(&mut self, name: &TenantName) -> Result<Option<Tenant>, RepositoryError> {
        self.tenants.find_by_name(name)
    }
    fn find_by_service_id(&mut self, id: &ServiceId) -> Result<Option<Tenant>, RepositoryError> {
        self.tenants.find_by_service_id(id)
    }
    fn find_by_host(&mut self, host: &DomainName) -> Result<Option<Tenant>, RepositoryError> {
        self.tenants.find_by_host(host)
    }
    fn list(&mut self, query: &TenantQuery) -> Result<Page<Tenant>, RepositoryError> {
        self.tenants.list(query)
    }
    fn save(&mut self, tenant: &Tenant) -> Result<Tenant, RepositoryError> {
        self.tenants.save(tenant)
    }
    fn delete(&mut self, id: TenantId) -> Result<bool, RepositoryError> {
        self.tenants.delete(id)
    }
    fn count_live(&mut self) -> Result<u64, RepositoryError> {
        self.tenants.count_live()
    }
    fn routing_version(&mut self) -> Result<i64, RepositoryError> {
        self.tenants.routing_version()
    }
}

impl AuditSink for Ports {
    fn record(&mut self, event: &AuditEvent) -> Result<(), RepositoryError> {
        self.tenants.record(event)
    }
}
