//! Values and shortcuts the tests of this crate share.

use chrono::{DateTime, TimeZone, Utc};
use tenantry_tenant::testing::new_tenant;
use tenantry_tenant::{
    Actor, Domain, DomainName, NewTenant, RequestContext, Status, Tenant, TenantId, TenantName,
    TenantProfile, TenantRepository,
};

use super::InMemorySession;
use crate::users::{NewUser, User, UserRepository};
use crate::{Email, FullName, PasswordHash, Username};

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

impl InMemorySession {
    /// Stores a tenant named `name` in `status` with the domains `hosts` (the first is
    /// primary).
    pub(crate) fn add_tenant(&mut self, name: &str, status: Status, hosts: &[&str]) -> Tenant {
        self.insert(&NewTenant {
            profile: TenantProfile::new(format!("{name} academy")),
            status,
            domains: hosts
                .iter()
                .enumerate()
                .map(|(index, host)| Domain {
                    host: DomainName::parse(host).unwrap(),
                    is_primary: index == 0,
                })
                .collect(),
            ..new_tenant(TenantName::parse(name).unwrap(), t0())
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
