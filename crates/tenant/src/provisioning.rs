//! Each tenant's own database: what the control plane records about it, the credentials
//! handed once to whoever created the tenant, the name it gets, and the ports that create
//! it ([`DatabaseProvisioner`]) and remember it ([`TenantDatabases`]).
//!
//! Nothing here touches a database: `tenantry-store` implements both ports for SQLite
//! (one file per tenant) and PostgreSQL (one database and one login role per tenant), and
//! `testing::InMemoryProvisioner` (with the `testing` feature) stands in for them in
//! tests of callers.
//!
//! ```
//! use tenantry_tenant::TenantName;
//! use tenantry_tenant::provisioning::database_identifier;
//!
//! let name = TenantName::parse("talent-1")?;
//! assert_eq!(database_identifier(&name), "tenant_talent_1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use chrono::{DateTime, Utc};

use crate::{RepositoryError, TenantId, TenantName};

/// The database engine a tenant's database lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatabaseBackend {
    /// One SQLite file per tenant.
    Sqlite,
    /// One PostgreSQL database, owned by a login role of its own, per tenant.
    Postgres,
}

impl DatabaseBackend {
    /// `sqlite` or `postgres`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            DatabaseBackend::Sqlite => "sqlite",
            DatabaseBackend::Postgres => "postgres",
        }
    }

    /// The backend stored as `text` (`sqlite` or `postgres`); `None` for anything else.
    ///
    /// ```
    /// use tenantry_tenant::provisioning::DatabaseBackend;
    ///
    /// assert_eq!(DatabaseBackend::parse("postgres"), Some(DatabaseBackend::Postgres));
    /// assert_eq!(DatabaseBackend::parse("mysql"), None);
    /// ```
    pub fn parse(text: &str) -> Option<DatabaseBackend> {
        match text {
            "sqlite" => Some(DatabaseBackend::Sqlite),
            "postgres" => Some(DatabaseBackend::Postgres),
            _ => None,
        }
    }
}

impl fmt::Display for DatabaseBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tenant's database as the control plane records it: where it is, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProvisionedDatabase {
    /// The engine it lives on.
    pub backend: DatabaseBackend,
    /// The SQLite file's path, or the PostgreSQL database's name.
    pub database: String,
    /// The PostgreSQL role that owns the database and logs in to it; `None` on SQLite.
    pub role: Option<String>,
}

/// A new tenant database with what it takes to connect to it. Handed once to whoever
/// created the tenant and never stored by tenantry; only [`database`](Self::database) is
/// recorded.
///
/// `Debug` shows neither the password nor the URL's password:
///
/// ```
/// use tenantry_tenant::provisioning::{DatabaseBackend, DatabaseCredentials, ProvisionedDatabase};
///
/// let credentials = DatabaseCredentials {
///     database: ProvisionedDatabase {
///         backend: DatabaseBackend::Postgres,
///         database: "tenant_talent1".into(),
///         role: Some("tenant_talent1".into()),
///     },
///     password: Some("Secret123".into()),
///     url: "postgres://tenant_talent1:Secret123@db:5432/tenant_talent1".into(),
/// };
/// let shown = format!("{credentials:?}");
/// assert!(!shown.contains("Secret123"));
/// assert!(shown.contains("postgres://tenant_talent1:***@db:5432/tenant_talent1"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseCredentials {
    /// What the control plane records.
    pub database: ProvisionedDatabase,
    /// The role's password; `None` on SQLite.
    pub password: Option<String>,
    /// A URL to connect with (`sqlite://PATH` or `postgres://ROLE:PASSWORD@HOST:PORT/DB`).
    pub url: String,
}

impl fmt::Debug for DatabaseCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseCredentials")
            .field("database", &self.database)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("url", &redact_url(&self.url, self.password.as_deref()))
            .finish()
    }
}

/// `url` with the password of its user-info part, and any other occurrence of
/// `password`, replaced by `***`.
fn redact_url(url: &str, password: Option<&str>) -> String {
    let mut shown = match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((userinfo, host)) if userinfo.contains(':') => {
                    let user = userinfo.split(':').next().unwrap_or_default();
                    format!("{scheme}://{user}:***@{host}{tail}")
                }
                _ => url.to_owned(),
            }
        }
        None => url.to_owned(),
    };
    if let Some(password) = password.filter(|password| !password.is_empty()) {
        shown = shown.replace(password, "***");
    }
    shown
}

/// The longest identifier PostgreSQL keeps (`NAMEDATALEN - 1` bytes); longer ones are
/// silently truncated by the server, so tenantry never produces one.
pub const MAX_IDENTIFIER_LENGTH: usize = 63;

const IDENTIFIER_PREFIX: &str = "tenant_";

/// Hexadecimal digits of the hash that ends a shortened identifier.
const HASH_DIGITS: usize = 16;

/// The SQL identifier (PostgreSQL database and role name) and SQLite file stem of the
/// tenant `name`: `tenant_` followed by the name with `-` turned into `_`.
///
/// Tenant names are `[a-z][a-z0-9-]{0,61}[a-z0-9]`, so the result holds only `[a-z0-9_]`
/// and needs no quoting (it is quoted anyway where it is used). It is at most
/// [`MAX_IDENTIFIER_LENGTH`] bytes: when `tenant_` + name would reach 63 bytes (names of
/// 56 characters or more), the identifier keeps the first 39 characters of the name and
/// ends with `_` and a 64-bit FNV-1a hash of the whole name in 16 hexadecimal digits,
/// 63 bytes in all. Identifiers kept whole are at most 62 bytes long and shortened ones
/// exactly 63, so the two forms never meet; names differing only past their 39th
/// character are told apart by the hash. (FNV is not a cryptographic hash: two crafted
/// long names could share an identifier, and the second tenant's database would then be
/// refused as already existing, never shared.)
///
/// ```
/// use tenantry_tenant::TenantName;
/// use tenantry_tenant::provisioning::database_identifier;
///
/// assert_eq!(database_identifier(&TenantName::parse("acme-corp")?), "tenant_acme_corp");
/// let long = TenantName::parse(&"a".repeat(63))?;
/// let identifier = database_identifier(&long);
/// assert_eq!(identifier.len(), 63);
/// assert!(identifier.starts_with(&format!("tenant_{}_", "a".repeat(39))));
/// # Ok::<(), tenantry_tenant::NameError>(())
/// ```
pub fn database_identifier(name: &TenantName) -> String {
    let mapped = name.as_str().replace('-', "_");
    if IDENTIFIER_PREFIX.len() + mapped.len() < MAX_IDENTIFIER_LENGTH {
        return format!("{IDENTIFIER_PREFIX}{mapped}");
    }
    let keep = MAX_IDENTIFIER_LENGTH - IDENTIFIER_PREFIX.len() - 1 - HASH_DIGITS;
    // The name is ASCII, so every index is a character boundary.
    let head = mapped.get(..keep).unwrap_or(&mapped);
    format!(
        "{IDENTIFIER_PREFIX}{head}_{:0width$x}",
        fnv1a_64(name.as_str().as_bytes()),
        width = HASH_DIGITS
    )
}

/// The 64-bit FNV-1a hash: small, stable across releases and platforms.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// Why a tenant database could not be created or dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvisionError {
    /// The database (or, on PostgreSQL, its role) already exists; nothing was changed.
    #[error("the tenant's database already exists")]
    AlreadyExists,
    /// The server refuses: tenantry's database user lacks a privilege that creating
    /// tenant databases needs. The text names it and says how to grant it; it may be shown
    /// to operators.
    #[error("{0}")]
    MissingPrivilege(String),
    /// Anything else. The text is for logs, never for clients, and never holds a password.
    #[error("database provisioning failed: {0}")]
    Failed(String),
}

/// Creates and drops tenant databases (SQLite files, PostgreSQL databases and roles).
///
/// Neither call runs inside the control database's transaction. A caller holds a
/// [`claim`](Self::claim) on the tenant's name, records its intent
/// ([`TenantDatabases::record_intent`]) for the [`planned`](Self::planned) database in a
/// transaction of its own, creates the database, then records it
/// ([`TenantDatabases::record_database`]) and forgets the intent in one transaction. If
/// that transaction fails, the caller drops the database again; if the process dies on
/// the way, the intent tells the next start-up (or the next create of that tenant) what to
/// drop ([`clear_leftover`]).
pub trait DatabaseProvisioner: Send + Sync {
    /// The database [`create`](Self::create) makes for `tenant`, without making it.
    fn planned(&self, tenant: &TenantName) -> ProvisionedDatabase;

    /// Exclusive right to create or clear `tenant`'s database, held until the claim is
    /// dropped; `None` while someone else holds it. The default grants every claim (for
    /// provisioners that need no exclusion).
    ///
    /// # Errors
    /// [`ProvisionError::Failed`] when the claim cannot be asked for.
    fn claim(&self, tenant: &TenantName) -> Result<Option<ProvisioningClaim>, ProvisionError> {
        let _ = tenant;
        Ok(Some(ProvisioningClaim::new(())))
    }

    /// Whether this provisioner can create databases at all (on PostgreSQL: whether its
    /// user may create databases and roles); [`ProvisionError::MissingPrivilege`] saying
    /// what is missing. The default can.
    ///
    /// # Errors
    /// [`ProvisionError::MissingPrivilege`], or `Failed` when it cannot tell.
    fn check(&self) -> Result<(), ProvisionError> {
        Ok(())
    }

    /// Creates the database of `tenant`, named by [`database_identifier`], and returns
    /// how to connect to it. [`ProvisionError::AlreadyExists`] when it exists already;
    /// on any failure nothing is left behind.
    fn create(&self, tenant: &TenantName) -> Result<DatabaseCredentials, ProvisionError>;

    /// Removes `database` (and its role) for good. Dropping a database that does not
    /// exist succeeds.
    fn drop_database(&self, database: &ProvisionedDatabase) -> Result<(), ProvisionError>;
}

/// A held [`DatabaseProvisioner::claim`]: released when dropped (or when the process
/// ends).
pub struct ProvisioningClaim {
    _held: Box<dyn Send>,
}

impl ProvisioningClaim {
    /// A claim that keeps `held` (a lock guard, a connection holding a lock) until it is
    /// dropped.
    pub fn new(held: impl Send + 'static) -> Self {
        Self {
            _held: Box::new(held),
        }
    }
}

impl fmt::Debug for ProvisioningClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProvisioningClaim")
    }
}

/// A tenant database about to be created, recorded before it is: the trace an
/// interrupted create leaves for the clean-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningIntent {
    /// The tenant the database is for.
    pub tenant: TenantName,
    /// The database (and role) being created.
    pub database: ProvisionedDatabase,
    /// When the intent was recorded.
    pub created_at: DateTime<Utc>,
}

/// Where the control plane remembers each tenant's database; one per tenant, gone with
/// the tenant.
pub trait TenantDatabases {
    /// Records `database` as `tenant`'s, created `at`. A tenant that already has one, or a
    /// database recorded for another tenant, is a [`RepositoryError::Conflict`] on
    /// `database`; an unknown tenant is [`RepositoryError::NotFound`].
    fn record_database(
        &mut self,
        tenant: TenantId,
        database: &ProvisionedDatabase,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// The database recorded for `tenant`, if any.
    fn find_database(
        &mut self,
        tenant: TenantId,
    ) -> Result<Option<ProvisionedDatabase>, RepositoryError>;

    /// Whether `database` (an SQLite path or PostgreSQL name) is recorded for a tenant.
    fn is_recorded(&mut self, database: &str) -> Result<bool, RepositoryError>;

    /// Records that `intent`'s database is about to be created. An intent for the same
    /// database is a [`RepositoryError::Conflict`] on `database`.
    fn record_intent(&mut self, intent: &ProvisioningIntent) -> Result<(), RepositoryError>;

    /// The intent recorded for `database`, if any.
    fn find_intent(
        &mut self,
        database: &str,
    ) -> Result<Option<ProvisioningIntent>, RepositoryError>;

    /// Every recorded intent, oldest first.
    fn intents(&mut self) -> Result<Vec<ProvisioningIntent>, RepositoryError>;

    /// Removes the intent for `database`; whether there was one.
    fn forget_intent(&mut self, database: &str) -> Result<bool, RepositoryError>;
}

/// What [`clear_leftover`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leftover {
    /// No intent: nothing to do.
    None,
    /// The intent's database belongs to a tenant (the create committed): only the intent
    /// was removed.
    Committed,
    /// An interrupted create: its database (and role) were dropped, then the intent.
    Dropped,
}

/// Clears what an interrupted create left of `database`: when an intent for it is
/// recorded and no tenant has the database, the database (and role) are dropped and the
/// intent is forgotten. The caller holds the tenant's [`DatabaseProvisioner::claim`], so
/// no create of it is under way.
///
/// # Errors
/// A store error, or [`RepositoryError::Backend`] naming the provisioner's failure
/// (the intent then stays, for a later attempt).
pub fn clear_leftover<P: TenantDatabases + ?Sized>(
    ports: &mut P,
    provisioner: &dyn DatabaseProvisioner,
    database: &str,
) -> Result<Leftover, RepositoryError> {
    let Some(intent) = ports.find_intent(database)? else {
        return Ok(Leftover::None);
    };
    if ports.is_recorded(database)? {
        ports.forget_intent(database)?;
        return Ok(Leftover::Committed);
    }
    provisioner
        .drop_database(&intent.database)
        .map_err(|error| RepositoryError::Backend(error.to_string()))?;
    ports.forget_intent(database)?;
    Ok(Leftover::Dropped)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn identifier(name: &str) -> String {
        database_identifier(&TenantName::parse(name).unwrap())
    }

    #[test]
    fn short_names_become_prefixed_identifiers() {
        assert_eq!(identifier("talent1"), "tenant_talent1");
        assert_eq!(identifier("ab"), "tenant_ab");
        assert_eq!(identifier("acme-corp-2"), "tenant_acme_corp_2");
        assert_eq!(identifier("a--b"), "tenant_a__b");
        let longest_whole = "a".repeat(55);
        assert_eq!(
            identifier(&longest_whole),
            format!("tenant_{longest_whole}")
        );
        assert_eq!(identifier(&longest_whole).len(), 62);
    }

    #[test]
    fn long_names_are_shortened_with_a_hash() {
        let name = format!("{}-{}", "x".repeat(40), "y".repeat(15)); // 56 characters
        let shortened = identifier(&name);
        assert_eq!(shortened.len(), MAX_IDENTIFIER_LENGTH);
        assert_eq!(
            shortened,
            format!(
                "tenant_{}_{:016x}",
                "x".repeat(39),
                fnv1a_64(name.as_bytes())
            )
        );
        let longest = "z".repeat(63);
        assert_eq!(identifier(&longest).len(), MAX_IDENTIFIER_LENGTH);
        // Stable across releases: a fixed value, not just "the same twice".
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn names_sharing_a_long_prefix_stay_apart() {
        let prefix = "p".repeat(50);
        let one = identifier(&format!("{prefix}-one"));
        let two = identifier(&format!("{prefix}-two"));
        assert_ne!(one, two);
        assert_eq!(one[..47], two[..47], "the same readable head");
    }

    #[test]
    fn backends_round_trip_through_text() {
        for backend in [DatabaseBackend::Sqlite, DatabaseBackend::Postgres] {
            assert_eq!(DatabaseBackend::parse(backend.as_str()), Some(backend));
            assert_eq!(backend.to_string(), backend.as_str());
        }
        assert_eq!(DatabaseBackend::parse("Postgres"), None);
        assert_eq!(DatabaseBackend::parse(""), None);
    }

    #[test]
    fn credentials_debug_hides_every_password() {
        let credentials = DatabaseCredentials {
            database: ProvisionedDatabase {
                backend: DatabaseBackend::Postgres,
                database: "tenant_t1".into(),
                role: Some("tenant_t1".into()),
            },
            password: Some("Pa55wordXYZ".into()),
            url: "postgres://tenant_t1:Pa55wordXYZ@db:5432/tenant_t1?password=Pa55wordXYZ".into(),
        };
        let shown = format!("{credentials:?}");
        assert!(!shown.contains("Pa55wordXYZ"), "{shown}");
        assert!(shown.contains("tenant_t1:***@db:5432/tenant_t1"), "{shown}");
        assert!(shown.contains("password: Some(\"***\")"), "{shown}");

        // A password the URL carries but the struct does not still disappears.
        let foreign = DatabaseCredentials {
            password: None,
            url: "postgres://u:hunter2@h/d".into(),
            ..credentials.clone()
        };
        let shown = format!("{foreign:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("password: None"), "{shown}");

        let sqlite = DatabaseCredentials {
            database: ProvisionedDatabase {
                backend: DatabaseBackend::Sqlite,
                database: "/srv/tenants/tenant_t1.db".into(),
                role: None,
            },
            password: None,
            url: "sqlite:///srv/tenants/tenant_t1.db".into(),
        };
        assert!(format!("{sqlite:?}").contains("sqlite:///srv/tenants/tenant_t1.db"));
    }

    #[test]
    fn the_provisioner_port_is_object_safe_and_shareable() {
        fn shareable<T: Send + Sync + ?Sized>() {}
        shareable::<dyn DatabaseProvisioner>();
        let boxed: Box<dyn DatabaseProvisioner> =
            Box::new(crate::testing::InMemoryProvisioner::new());
        assert!(boxed.create(&TenantName::parse("ab").unwrap()).is_ok());
    }

    fn tenant_name() -> impl Strategy<Value = TenantName> {
        "[a-z][a-z0-9-]{0,61}[a-z0-9]".prop_map(|text| TenantName::parse(&text).unwrap())
    }

    /// Long names that agree on their first 39 characters, where shortening kicks in.
    fn long_name_pair() -> impl Strategy<Value = (TenantName, TenantName)> {
        (
            "[a-z][a-z0-9-]{38}",
            "[a-z0-9-]{16,22}[a-z0-9]",
            "[a-z0-9-]{16,22}[a-z0-9]",
        )
            .prop_map(|(head, one, two)| {
                (
                    TenantName::parse(&format!("{head}{one}")).unwrap(),
                    TenantName::parse(&format!("{head}{two}")).unwrap(),
                )
            })
    }

    proptest! {
        #[test]
        fn identifiers_are_short_safe_and_stable(name in tenant_name()) {
            let id = database_identifier(&name);
            prop_assert!(id.len() <= MAX_IDENTIFIER_LENGTH, "{id}");
            prop_assert!(id.starts_with("tenant_"));
            prop_assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{id}");
            prop_assert_eq!(&id, &database_identifier(&name));
        }

        #[test]
        fn distinct_names_get_distinct_identifiers(one in tenant_name(), two in tenant_name()) {
            prop_assume!(one != two);
            prop_assert_ne!(database_identifier(&one), database_identifier(&two));
        }

        #[test]
        fn long_names_with_a_common_head_get_distinct_identifiers((one, two) in long_name_pair()) {
            prop_assume!(one != two);
            prop_assert_ne!(database_identifier(&one), database_identifier(&two));
        }

        #[test]
        fn whole_identifiers_map_back_to_their_name(name in tenant_name()) {
            let id = database_identifier(&name);
            if id.len() < MAX_IDENTIFIER_LENGTH {
                prop_assert_eq!(id.strip_prefix("tenant_").unwrap_or_default().replace('_', "-"), name.as_str());
            }
        }
    }
}
