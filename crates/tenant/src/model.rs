//! The tenant aggregate: a tenant with its domains, as stored and as served.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DomainName, Status, TenantName, TenantProfile};

/// A tenant's numeric identifier, assigned by the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(pub i64);

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How a caller names a tenant: by id, or by unique name.
///
/// APIs accept either in one path segment (`/tenants/42` or `/tenants/talent1`);
/// [`TenantKey::parse`] decides which it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantKey {
    /// The numeric id.
    Id(TenantId),
    /// The unique tenant name.
    Name(TenantName),
}

impl TenantKey {
    /// Reads a path segment: all digits is an id, anything else must be a tenant name.
    pub fn parse(segment: &str) -> Option<TenantKey> {
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            return segment.parse().ok().map(|id| TenantKey::Id(TenantId(id)));
        }
        TenantName::parse(segment).ok().map(TenantKey::Name)
    }
}

/// A host name attached to a tenant. Exactly one domain of a tenant that has any is primary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// The host, lower-cased.
    pub host: DomainName,
    /// Whether this is the tenant's primary domain (used to build links).
    pub is_primary: bool,
}

/// A tenant as stored: identity, lifecycle, descriptive fields and domains.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    /// Repository-assigned id.
    pub id: TenantId,
    /// Unique DNS-label name; also the Open edX `tenant_name`.
    pub name: TenantName,
    /// Lifecycle state.
    pub status: Status,
    /// The descriptive fields: display name, ids, plan, modules, theme, settings, ….
    pub profile: TenantProfile,
    /// Host names, primary first.
    pub domains: Vec<Domain>,
    /// When the tenant was created.
    pub created_at: DateTime<Utc>,
    /// When the tenant last changed.
    pub updated_at: DateTime<Utc>,
    /// When the tenant was soft-deleted, if it is.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version, incremented by every saved change.
    pub version: i64,
}

impl Tenant {
    /// The primary domain, if the tenant has any domain.
    pub fn primary_domain(&self) -> Option<&DomainName> {
        self.domains
            .iter()
            .find(|domain| domain.is_primary)
            .map(|domain| &domain.host)
    }

    /// Whether `host` is one of the tenant's domains.
    pub fn has_domain(&self, host: &DomainName) -> bool {
        self.domains.iter().any(|domain| &domain.host == host)
    }
}

/// A tenant to be inserted: every field of [`Tenant`] the repository does not assign.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTenant {
    /// See [`Tenant::name`].
    pub name: TenantName,
    /// See [`Tenant::status`].
    pub status: Status,
    /// See [`Tenant::profile`].
    pub profile: TenantProfile,
    /// See [`Tenant::domains`]; exactly one is primary.
    pub domains: Vec<Domain>,
    /// Creation time; also the first `updated_at`.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_ids_when_all_digits_and_names_otherwise() {
        assert_eq!(TenantKey::parse("42"), Some(TenantKey::Id(TenantId(42))));
        assert_eq!(
            TenantKey::parse("talent1"),
            Some(TenantKey::Name(TenantName::parse("talent1").unwrap()))
        );
        assert_eq!(TenantKey::parse("Not A Name"), None);
        assert_eq!(TenantKey::parse("99999999999999999999"), None);
        assert_eq!(TenantKey::parse(""), None);
    }
}
