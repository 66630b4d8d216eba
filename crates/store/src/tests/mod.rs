//! Tests against real databases: each runs on a fresh SQLite file and, when
//! `TENANTRY_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database (otherwise the
//! PostgreSQL half prints why it is skipped).

mod audit;
mod conflicts;
mod eox_sync;
mod idempotency;
mod impersonation;
mod links;
mod listing;
mod migrations;
mod operators;
mod outbox;
mod pool;
mod provisioning;
mod roundtrip;
mod routing;
mod saving;
mod schema_rules;
mod search;
mod signing_key;
mod tenant_databases;
mod tokens;
mod transactions;
mod users;
mod webhooks;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use tenantry_registration::{Email, FullName, NewUser, PasswordHash, Username};
use tenantry_tenant::{
    Domain, DomainName, MfaMethod, NewTenant, ServiceId, Settings, Status, TenantId, TenantName,
    TenantProfile,
};

use crate::testing::TestDatabase;
use crate::{Database, PoolOptions};

/// Runs each named `fn(&TestDatabase)` as two tests, `<name>::sqlite` and
/// `<name>::postgres`, each on its own new database.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&$crate::testing::TestDatabase::sqlite());
            }

            #[test]
            #[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
            fn postgres() {
                if let Some(database) = $crate::testing::TestDatabase::postgres() {
                    super::$name(&database);
                }
            }
        }
    )*};
}
pub(crate) use on_both_backends;

/// A fixed instant, `seconds` after a base time, with a sub-microsecond part that the
/// store must drop.
pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 250_000_999)
        .unwrap()
}

/// `at(seconds)` as it comes back from the database (microsecond precision).
pub(crate) fn stored_at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 250_000_000)
        .unwrap()
}

/// The migrated database behind `test`, with a small pool.
pub(crate) fn open(test: &TestDatabase) -> Database {
    Database::connect(&test.url(), PoolOptions::default()).unwrap()
}

/// Domains from host names; the first is primary.
pub(crate) fn domains(hosts: &[&str]) -> Vec<Domain> {
    hosts
        .iter()
        .enumerate()
        .map(|(index, host)| Domain {
            host: DomainName::parse(host).unwrap(),
            is_primary: index == 0,
        })
        .collect()
}

/// A full tenant with every optional field set, named `name`, with `hosts`.
pub(crate) fn new_tenant(name: &str, hosts: &[&str]) -> NewTenant {
    NewTenant {
        name: TenantName::parse(name).unwrap(),
        status: Status::Active,
        profile: TenantProfile {
            service_id: Some(ServiceId::parse(&format!("WHMCS:{name}")).unwrap()),
            partner_id: Some("partner-1".into()),
            plan_id: Some("plan-basic".into()),
            modules: vec!["courses".into(), "epaper".into()],
            theme_name: Some("indigo".into()),
            org_filter: vec!["OrgA".into(), "OrgB".into()],
            admin_email: Some(format!("admin@{name}.example.com")),
            metadata: json!({ "epaper_frequency": "weekly", "seats": 25 })
                .as_object()
                .unwrap()
                .clone(),
            settings: Settings {
                mfa_required: true,
                mfa_methods: vec![MfaMethod::Totp, MfaMethod::Email],
                session_timeout: 90,
                ..Settings::default()
            },
            ..TenantProfile::new(format!("{name} site"))
        },
        domains: domains(hosts),
        created_at: at(0),
    }
}

/// A tenant with only the required fields.
pub(crate) fn bare_tenant(
    name: &str,
    display_name: &str,
    status: Status,
    hosts: &[&str],
) -> NewTenant {
    NewTenant {
        name: TenantName::parse(name).unwrap(),
        status,
        profile: TenantProfile::new(display_name),
        domains: domains(hosts),
        created_at: at(0),
    }
}

/// A well-formed argon2id PHC string, told apart by `salt` (base64 without padding).
pub(crate) fn password_hash(salt: &str) -> PasswordHash {
    PasswordHash::from_phc(format!(
        "$argon2id$v=19$m=19456,t=2,p=1${salt}$RdescudvJCsgt3ub+b+dWRWJTmaaJObG8Ma5jq4Jf5Q"
    ))
    .unwrap()
}

/// An inactive user of `tenant` without a password, registered `seconds` after the base
/// time, named after the username.
pub(crate) fn new_user(tenant: TenantId, username: &str, email: &str, seconds: i64) -> NewUser {
    NewUser {
        tenant_id: tenant,
        username: Username::parse(username).unwrap(),
        email: Email::parse(email).unwrap(),
        name: FullName::parse(&format!("{username} Lovelace")).unwrap(),
        password_hash: None,
        is_active: false,
        is_tenant_admin: false,
        created_at: at(seconds),
    }
}
