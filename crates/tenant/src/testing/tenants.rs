//! The tenant crate's in-memory session.

use chrono::{DateTime, Utc};

use super::{Failures, page_of};
use crate::ports::{Page, TenantQuery};
use crate::search;
use crate::{
    AuditEvent, AuditFilter, AuditLog, AuditRecord, AuditSink, DomainName, IdempotencyRepository,
    IdempotentResponse, NewTenant, RepositoryError, ServiceId, Status, Tenant, TenantId, TenantKey,
    TenantName, TenantRepository,
};

/// Tenants, audit events and idempotent responses held in vectors: every port of this
/// crate's operations at once, as a database session is.
///
/// It keeps the database's promises: unique names, service ids and hosts, optimistic
/// versions, and a `delete` that removes domains with their tenant. It has no
/// transactions: a failed operation leaves what it wrote before failing, where the
/// database would roll it back.
///
/// [`fail_next`](Self::fail_next) makes the next call of a port method fail:
///
/// ```
/// use tenantry_tenant::testing::InMemoryTenants;
/// use tenantry_tenant::{RepositoryError, TenantId, TenantRepository};
///
/// let mut store = InMemoryTenants::new();
/// store.fail_next("get", RepositoryError::Unavailable("down".into()));
/// assert!(store.get(TenantId(1)).is_err());
/// assert_eq!(store.get(TenantId(1)), Ok(None));
/// ```
#[derive(Debug, Default, Clone)]
pub struct InMemoryTenants {
    tenants: Vec<Tenant>,
    events: Vec<AuditEvent>,
    last_id: i64,
    routing_version: i64,
    responses: Vec<IdempotentResponse>,
    failures: Failures,
}

impl InMemoryTenants {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every audit event recorded, oldest first.
    pub fn events(&self) -> &[AuditEvent] {
        &self.events
    }

    /// Makes the next call of the port method named `call` (`insert`, `save`, `record`,
    /// `remember_response`, …) return `error` without reading or changing anything.
    pub fn fail_next(&mut self, call: &'static str, error: RepositoryError) {
        self.failures.arm(call, error);
    }

    fn check_unique(
        &self,
        tenant_id: Option<TenantId>,
        candidate: &NewTenantView<'_>,
    ) -> Result<(), RepositoryError> {
        for other in self
            .tenants
            .iter()
            .filter(|other| Some(other.id) != tenant_id)
        {
            if &other.name == candidate.name {
                return Err(conflict("name"));
            }
            if candidate.service_id.is_some()
                && other.profile.service_id.as_ref() == candidate.service_id
            {
                return Err(conflict("service_id"));
            }
            if candidate.hosts.iter().any(|host| other.has_domain(host)) {
                return Err(conflict("domain"));
            }
        }
        Ok(())
    }
}

/// The fields uniqueness is checked on.
struct NewTenantView<'a> {
    name: &'a TenantName,
    service_id: Option<&'a ServiceId>,
    hosts: Vec<&'a DomainName>,
}

impl<'a> From<&'a Tenant> for NewTenantView<'a> {
    fn from(tenant: &'a Tenant) -> Self {
        Self {
            name: &tenant.name,
            service_id: tenant.profile.service_id.as_ref(),
            hosts: tenant.domains.iter().map(|domain| &domain.host).collect(),
        }
    }
}

impl<'a> From<&'a NewTenant> for NewTenantView<'a> {
    fn from(tenant: &'a NewTenant) -> Self {
        Self {
            name: &tenant.name,
            service_id: tenant.profile.service_id.as_ref(),
            hosts: tenant.domains.iter().map(|domain| &domain.host).collect(),
        }
    }
}

fn conflict(field: &str) -> RepositoryError {
    RepositoryError::Conflict {
        field: field.to_owned(),
    }
}

impl TenantRepository for InMemoryTenants {
    fn insert(&mut self, new: &NewTenant) -> Result<Tenant, RepositoryError> {
        self.failures.check("insert")?;
        self.check_unique(None, &new.into())?;
        self.last_id += 1;
        self.routing_version += 1;
        let tenant = Tenant {
            id: TenantId(self.last_id),
            name: new.name.clone(),
            status: new.status,
            profile: new.profile.clone(),
            domains: new.domains.clone(),
            created_at: new.created_at,
            updated_at: new.created_at,
            deleted_at: None,
            version: 1,
        };
        self.tenants.push(tenant.clone());
        Ok(tenant)
    }

    fn get(&mut self, id: TenantId) -> Result<Option<Tenant>, RepositoryError> {
        self.failures.check("get")?;
        Ok(self.tenants.iter().find(|tenant| tenant.id == id).cloned())
    }

    fn find_by_name(&mut self, name: &TenantName) -> Result<Option<Tenant>, RepositoryError> {
        self.failures.check("find_by_name")?;
        Ok(self
            .tenants
            .iter()
            .find(|tenant| &tenant.name == name)
            .cloned())
    }

    fn find_by_service_id(&mut self, id: &ServiceId) -> Result<Option<Tenant>, RepositoryError> {
        self.failures.check("find_by_service_id")?;
        let found = self
            .tenants
            .iter()
            .find(|tenant| tenant.profile.service_id.as_ref() == Some(id));
        Ok(found.cloned())
    }

    fn find_by_host(&mut self, host: &DomainName) -> Result<Option<Tenant>, RepositoryError> {
        self.failures.check("find_by_host")?;
        Ok(self
            .tenants
            .iter()
            .find(|tenant| tenant.has_domain(host))
            .cloned())
    }

    fn list(&mut self, query: &TenantQuery) -> Result<Page<Tenant>, RepositoryError> {
        self.failures.check("list")?;
        let needle = query.search.as_deref().map(search::fold);
        let matches: Vec<&Tenant> = self
            .tenants
            .iter()
            .filter(|tenant| match query.status {
                Some(status) => tenant.status == status,
                None => tenant.status != Status::Deleted,
            })
            .filter(|tenant| {
                query
                    .partner_id
                    .as_ref()
                    .is_none_or(|partner| tenant.profile.partner_id.as_ref() == Some(partner))
            })
            .filter(|tenant| {
                needle.as_deref().is_none_or(|needle| {
                    let text =
                        search::searchable_text(&tenant.name, &tenant.profile, &tenant.domains);
                    search::finds(&text, needle)
                })
            })
            .collect();
        Ok(page_of(matches, query.page, query.per_page))
    }

    fn save(&mut self, tenant: &Tenant) -> Result<Tenant, RepositoryError> {
        self.failures.check("save")?;
        let index = self
            .tenants
            .iter()
            .position(|stored| stored.id == tenant.id)
            .ok_or(RepositoryError::NotFound)?;
        let current = self.tenants[index].version;
        if current != tenant.version {
            return Err(RepositoryError::StaleVersion { current });
        }
        self.check_unique(Some(tenant.id), &tenant.into())?;
        let mut saved = tenant.clone();
        saved.version += 1;
        self.routing_version += 1;
        self.tenants[index] = saved.clone();
        Ok(saved)
    }

    fn delete(&mut self, id: TenantId) -> Result<bool, RepositoryError> {
        self.failures.check("delete")?;
        let before = self.tenants.len();
        self.tenants.retain(|tenant| tenant.id != id);
        self.routing_version += 1;
        Ok(self.tenants.len() < before)
    }

    fn count_live(&mut self) -> Result<u64, RepositoryError> {
        self.failures.check("count_live")?;
        let live = self
            .tenants
            .iter()
            .filter(|tenant| tenant.status != Status::Deleted);
        Ok(live.count() as u64)
    }

    fn routing_version(&mut self) -> Result<i64, RepositoryError> {
        self.failures.check("routing_version")?;
        Ok(self.routing_version)
    }

    fn lock_tenant(&mut self, _key: &TenantKey) -> Result<(), RepositoryError> {
        self.failures.check("lock_tenant")
    }
}

impl AuditLog for InMemoryTenants {
    fn list_audit(&mut self, filter: &AuditFilter) -> Result<Page<AuditRecord>, RepositoryError> {
        self.failures.check("list_audit")?;
        let matching: Vec<AuditRecord> = self
            .events
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, event)| audit_matches(filter, event))
            .map(|(index, event)| AuditRecord {
                id: index as i64 + 1,
                event: event.clone(),
            })
            .collect();
        let skip = (filter.page.max(1) as usize - 1) * filter.per_page as usize;
        Ok(Page {
            total: matching.len() as u64,
            items: matching
                .into_iter()
                .skip(skip)
                .take(filter.per_page as usize)
                .collect(),
        })
    }
}

fn audit_matches(filter: &AuditFilter, event: &AuditEvent) -> bool {
    filter
        .tenant_id
        .is_none_or(|id| event.tenant_id == Some(id))
        && filter
            .tenant_name
            .as_ref()
            .is_none_or(|name| event.tenant_name.as_ref() == Some(name))
        && filter.action.is_none_or(|action| event.action == action)
        && filter
            .actor
            .as_ref()
            .is_none_or(|actor| &event.actor == actor)
        && filter.since.is_none_or(|since| event.at >= since)
        && filter.until.is_none_or(|until| event.at < until)
}

impl IdempotencyRepository for InMemoryTenants {
    fn find_response(
        &mut self,
        actor: &str,
        key: &str,
        not_before: DateTime<Utc>,
    ) -> Result<Option<IdempotentResponse>, RepositoryError> {
        self.failures.check("find_response")?;
        Ok(self
            .responses
            .iter()
            .find(|stored| stored.actor == actor && stored.key == key)
            .filter(|stored| stored.created_at >= not_before)
            .cloned())
    }

    fn remember_response(
        &mut self,
        response: &IdempotentResponse,
        expired_before: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.failures.check("remember_response")?;
        let same = |stored: &IdempotentResponse| {
            stored.actor == response.actor && stored.key == response.key
        };
        if self
            .responses
            .iter()
            .any(|stored| same(stored) && stored.created_at >= expired_before)
        {
            return Err(conflict("idempotency_key"));
        }
        self.responses.retain(|stored| !same(stored));
        self.responses.push(response.clone());
        Ok(())
    }
}

impl AuditSink for InMemoryTenants {
    fn record(&mut self, event: &AuditEvent) -> Result<(), RepositoryError> {
        self.failures.check("record")?;
        self.events.push(event.clone());
        Ok(())
    }
}
