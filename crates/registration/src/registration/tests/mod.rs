//! Tests of the registration rules, on in-memory ports.

mod available;
mod links;
mod prepare;
mod record;

use chrono::{DateTime, TimeZone, Utc};
use tenantry_tenant::memory::InMemoryTenants;
use tenantry_tenant::{
    AuditEvent, AuditSink, DomainName, NewTenant, Page, PasswordPolicy, RepositoryError,
    RequestContext, ServiceId, Settings, Status, Tenant, TenantId, TenantName, TenantQuery,
    TenantRepository,
};

use super::*;
use crate::memory::InMemoryUsers;
use crate::users::{
    LinkPurpose, LinkState, NewEmail, NewLink, NewUser, Outbox, QueuedEmail, Taken, User,
    UserQuery, UserRepository,
};
use crate::{FullName, PasswordHash, TokenDigest, Username};

/// The display name every test tenant has.
const DISPLAY_NAME: &str = "Talent One Academy";
/// The public base URL given to `record_registration`.
const LINK_BASE: &str = "https://tenantry.example.org";
/// A password every test policy accepts.
const GOOD_PASSWORD: &str = "Correct-horse-9";

/// Tenants, users, outbox and audit log in memory, as one set of ports (the database
/// implements them all on one connection).
#[derive(Default)]
struct Ports {
    tenants: InMemoryTenants,
    users: InMemoryUsers,
}

impl Ports {
    fn events(&self) -> &[AuditEvent] {
        self.tenants.events()
    }
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

/// 2026-11-25 12:00:00 UTC, the time every test starts at.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

/// A context acting at `now` for API token 7.
fn context(now: DateTime<Utc>) -> RequestContext {
    RequestContext {
        actor: tenantry_tenant::Actor::Token(7),
        request_id: Some("req-1".into()),
        source: Some("192.0.2.1".into()),
        now,
    }
}

/// A policy that needs every character class, 10 to 64 characters.
fn strict_policy() -> PasswordPolicy {
    PasswordPolicy {
        min_length: 10,
        max_length: 64,
        require_uppercase: true,
        require_lowercase: true,
        require_digit: true,
        require_symbol: true,
    }
}

/// Stores a tenant named `name` in `status` with `policy`.
fn add_tenant(ports: &mut Ports, name: &str, status: Status, policy: PasswordPolicy) -> Tenant {
    let settings = Settings {
        password_policy: policy,
        ..Settings::default()
    };
    ports
        .insert(&NewTenant {
            name: TenantName::parse(name).unwrap(),
            display_name: DISPLAY_NAME.into(),
            status,
            service_id: None,
            partner_id: None,
            plan_id: None,
            modules: vec![],
            theme_name: None,
            org_filter: vec![],
            admin_email: None,
            metadata: Default::default(),
            settings,
            domains: vec![],
            created_at: t0(),
        })
        .unwrap()
}

/// An active tenant with the strict policy, in fresh ports.
fn setup() -> (Ports, Tenant) {
    let mut ports = Ports::default();
    let tenant = add_tenant(&mut ports, "talent1", Status::Active, strict_policy());
    (ports, tenant)
}

/// A complete, valid form for `ada`, with a password and no activation flag.
fn form() -> RegistrationForm {
    RegistrationForm {
        username: Some("ada_lovelace".into()),
        email: Some("Ada@Example.org".into()),
        name: Some("Ada Lovelace".into()),
        password: Some(GOOD_PASSWORD.into()),
        send_activation_email: None,
    }
}

/// A stand-in for an argon2id hash (hashing for real is slow and tested elsewhere).
fn hash() -> PasswordHash {
    PasswordHash::from_phc(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA".into(),
    )
    .unwrap()
}

/// Runs the whole registration as the HTTP layer does, with the fake hash.
fn register(
    ports: &mut Ports,
    tenant: &Tenant,
    form: &RegistrationForm,
    now: DateTime<Utc>,
) -> Result<Registered, RegistrationError> {
    ensure_open(tenant)?;
    check_available(ports, tenant.id, form)?;
    let prepared = prepare_registration(form, tenant)?;
    record_registration(ports, &context(now), tenant, prepared, hash(), LINK_BASE)
}

/// Stores a user directly, as a concurrent registration would.
fn insert_existing(ports: &mut Ports, tenant: TenantId, username: &str, email: &str) -> User {
    ports
        .insert_user(&NewUser {
            tenant_id: tenant,
            username: Username::parse(username).unwrap(),
            email: crate::Email::parse(email).unwrap(),
            name: FullName::parse("Someone Else").unwrap(),
            password_hash: None,
            is_active: true,
            is_tenant_admin: false,
            created_at: t0(),
        })
        .unwrap()
}

/// The secret in the link of the only email queued, for `path` (`activate` or
/// `password-reset`).
fn secret_in_email(ports: &Ports, path: &str) -> String {
    let emails = ports.users.pending_emails();
    assert_eq!(emails.len(), 1, "{emails:?}");
    let prefix = format!("{LINK_BASE}/{path}/");
    let line = emails[0]
        .email
        .body
        .lines()
        .find(|line| line.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in {}", emails[0].email.body));
    line[prefix.len()..].to_owned()
}
