//! In-memory implementations of the ports, for tests of the rules and for embedding.
//!
//! They keep the same promises as the database: unique names, service ids and hosts,
//! optimistic versions, and a `delete` that removes domains with their tenant.

use chrono::{DateTime, Utc};

use crate::ports::{Page, TenantQuery};
use crate::{
    AuditEvent, AuditFilter, AuditLog, AuditRecord, AuditSink, Clock, DomainName,
    IdempotencyRepository, IdempotentResponse, NewTenant, RepositoryError, ServiceId, Status,
    Tenant, TenantId, TenantName, TenantRepository,
};

/// Tenants and audit events held in vectors.
#[derive(Debug, Default, Clone)]
pub struct InMemoryTenants {
    tenants: Vec<Tenant>,
    events: Vec<AuditEvent>,
    last_id: i64,
    routing_version: i64,
    responses: Vec<IdempotentResponse>,
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
        Ok(self.tenants.iter().find(|tenant| tenant.id == id).cloned())
    }

    fn find_by_name(&mut self, name: &TenantName) -> Result<Option<Tenant>, RepositoryError> {
        Ok(self
            .tenants
            .iter()
            .find(|tenant| &tenant.name == name)
            .cloned())
    }

    fn find_by_service_id(&mut self, id: &ServiceId) -> Result<Option<Tenant>, RepositoryError> {
        let found = self
            .tenants
            .iter()
            .find(|tenant| tenant.profile.service_id.as_ref() == Some(id));
        Ok(found.cloned())
    }

    fn find_by_host(&mut self, host: &DomainName) -> Result<Option<Tenant>, RepositoryError> {
        Ok(self
            .tenants
            .iter()
            .find(|tenant| tenant.has_domain(host))
            .cloned())
    }

    fn list(&mut self, query: &TenantQuery) -> Result<Page<Tenant>, RepositoryError> {
        let needle = query.search.as_deref().map(str::to_lowercase);
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
                    tenant.name.as_str().contains(needle)
                        || tenant.profile.display_name.to_lowercase().contains(needle)
                        || tenant
                            .domains
                            .iter()
                            .any(|domain| domain.host.as_str().contains(needle))
                })
            })
            .collect();
        let per_page = query.per_page.max(1) as usize;
        let skip = (query.page.max(1) as usize - 1).saturating_mul(per_page);
        Ok(Page {
            total: matches.len() as u64,
            items: matches
                .into_iter()
                .skip(skip)
                .take(per_page)
                .cloned()
                .collect(),
        })
    }

    fn save(&mut self, tenant: &Tenant) -> Result<Tenant, RepositoryError> {
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
        let before = self.tenants.len();
        self.tenants.retain(|tenant| tenant.id != id);
        self.routing_version += 1;
        Ok(self.tenants.len() < before)
    }

    fn count_live(&mut self) -> Result<u64, RepositoryError> {
        let live = self
            .tenants
            .iter()
            .filter(|tenant| tenant.status != Status::Deleted);
        Ok(live.count() as u64)
    }

    fn routing_version(&mut self) -> Result<i64, RepositoryError> {
        Ok(self.routing_version)
    }
}

impl AuditLog for InMemoryTenants {
    fn list_audit(&mut self, filter: &AuditFilter) -> Result<Page<AuditRecord>, RepositoryError> {
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
        self.events.push(event.clone());
        Ok(())
    }
}

/// A clock that always says the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
