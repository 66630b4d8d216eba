//! Tenant operations: the rules of creating, changing and removing tenants, written over
//! the [ports](crate::ports) so that they run the same against memory and a database.
//!
//! Each operation that changes something writes the change and one success
//! [`AuditEvent`] through the same ports; run it inside one transaction and both commit
//! or neither does. A refused operation writes nothing; the caller records its failure
//! event (outside the rolled-back transaction) with [`AuditEvent::failure`].

mod input;
mod snapshot;

use serde_json::json;

pub use crate::profile::{
    MAX_EMAIL_LENGTH, MAX_LIST_ITEMS, MAX_METADATA_BYTES, MAX_TEXT_LENGTH, TenantPatch,
};
pub use input::CreateTenant;

use crate::audit::RequestContext;
use crate::urls::{SiteUrls, UrlConfig};
use crate::{
    Action, AuditEvent, AuditSink, Domain, DomainName, FieldError, FieldPath, FieldProblem,
    NewTenant, RepositoryError, Status, Tenant, TenantError, TenantKey, TenantRepository,
};
use snapshot::{changes, snapshot};

/// The ports a changing operation needs: somewhere to keep tenants and to audit.
pub trait TenantPorts: TenantRepository + AuditSink {}

impl<T: TenantRepository + AuditSink + ?Sized> TenantPorts for T {}

/// Loads a tenant by id or name, in any status.
pub fn find_tenant<R: TenantRepository + ?Sized>(
    repository: &mut R,
    key: &TenantKey,
) -> Result<Tenant, TenantError> {
    let found = match key {
        TenantKey::Id(id) => repository.get(*id)?,
        TenantKey::Name(name) => repository.find_by_name(name)?,
    };
    found.ok_or(TenantError::NotFound)
}

/// The domain a tenant gets when it is created without one: its LMS domain,
/// `<name>.<base domain>`.
pub fn default_domain(
    input_name: &crate::TenantName,
    urls: &UrlConfig,
) -> Result<DomainName, TenantError> {
    let host = SiteUrls::new(input_name, urls).lms_domain();
    DomainName::parse(&host).map_err(|error| {
        TenantError::invalid(FieldError::new(
            FieldPath::field("name"),
            FieldProblem::DefaultDomain {
                host: host.clone(),
                reason: error.to_string(),
            },
        ))
    })
}

/// Creates an active tenant. Without domains it gets [`default_domain`]; otherwise the
/// first domain is primary.
pub fn create_tenant<P: TenantPorts + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    urls: &UrlConfig,
    input: CreateTenant,
) -> Result<Tenant, TenantError> {
    let errors = input.check();
    if !errors.is_empty() {
        return Err(TenantError::Invalid(errors));
    }
    let hosts = if input.domains.is_empty() {
        vec![default_domain(&input.name, urls)?]
    } else {
        input.domains
    };
    let domains = hosts
        .into_iter()
        .enumerate()
        .map(|(index, host)| Domain {
            host,
            is_primary: index == 0,
        })
        .collect();
    let new = NewTenant {
        name: input.name,
        status: Status::Active,
        profile: input.profile,
        domains,
        created_at: context.now,
    };
    let tenant = match ports.insert(&new) {
        Ok(tenant) => tenant,
        Err(RepositoryError::Conflict { field }) if field == "name" => {
            // The refused insert was its own savepoint: the transaction can still read.
            let holder = ports.find_by_name(&new.name)?;
            return Err(match holder {
                Some(holder) if holder.status == Status::Deleted => {
                    TenantError::NameOfDeletedTenant {
                        name: new.name.as_str().to_owned(),
                    }
                }
                _ => TenantError::Conflict { field },
            });
        }
        Err(error) => return Err(error.into()),
    };
    let details = json!({ "after": snapshot(&tenant) });
    ports.record(&AuditEvent::success(
        context,
        Action::TenantCreate,
        &tenant,
        details,
    ))?;
    Ok(tenant)
}

/// Applies a partial update. With `expected_versions`, refuses to change a tenant whose
/// current version is not one of them ([`TenantError::StaleVersion`] for one version,
/// [`TenantError::VersionNotMatched`] for none or several; `None`: any version). A deleted tenant cannot be changed.
pub fn update_tenant<P: TenantPorts + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    key: &TenantKey,
    patch: &TenantPatch,
    expected_versions: Option<&[i64]>,
) -> Result<Tenant, TenantError> {
    let current = find_tenant(ports, key)?;
    if let Some(expected) = expected_versions
        && !expected.contains(&current.version)
    {
        return Err(match expected {
            [one] => TenantError::StaleVersion {
                expected: *one,
                current: current.version,
            },
            _ => TenantError::VersionNotMatched {
                current: current.version,
            },
        });
    }
    if current.status == Status::Deleted {
        return Err(TenantError::NotAllowed {
            status: current.status,
            reason: "a deleted tenant cannot be changed; restore it first",
        });
    }
    let next = patched(&current, patch, context)?;
    let changed = changes(&current, &next);
    let saved = if changed.is_empty() {
        current
    } else {
        save(ports, &next)?
    };
    let details = json!({ "changes": changed });
    ports.record(&AuditEvent::success(
        context,
        Action::TenantUpdate,
        &saved,
        details,
    ))?;
    Ok(saved)
}

fn patched(
    current: &Tenant,
    patch: &TenantPatch,
    context: &RequestContext,
) -> Result<Tenant, TenantError> {
    let profile = patch
        .apply(&current.profile)
        .map_err(TenantError::Invalid)?;
    Ok(Tenant {
        profile,
        updated_at: context.now,
        ..current.clone()
    })
}

/// Moves a tenant through its lifecycle (see [`Status::transition_to`]) with the side
/// effects of each state: cancelling or deleting releases every domain (deleting also
/// sets `deleted_at`); restoring a deleted tenant clears `deleted_at` and re-attaches its
/// default domain when no other tenant has taken it.
pub fn change_status<P: TenantPorts + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    urls: &UrlConfig,
    key: &TenantKey,
    target: Status,
) -> Result<Tenant, TenantError> {
    let current = find_tenant(ports, key)?;
    current.status.transition_to(target)?;
    let mut next = current.clone();
    next.status = target;
    next.updated_at = context.now;
    match target {
        Status::Cancelled => next.domains.clear(),
        Status::Deleted => {
            next.domains.clear();
            next.deleted_at = Some(context.now);
        }
        Status::Active if current.status == Status::Deleted => {
            next.deleted_at = None;
            let host = default_domain(&current.name, urls)?;
            if ports.find_by_host(&host)?.is_none() {
                next.domains = vec![Domain {
                    host,
                    is_primary: true,
                }];
            }
        }
        Status::Active | Status::Suspended => {}
    }
    let saved = save(ports, &next)?;
    let action = status_action(current.status, target);
    let details = json!({ "changes": changes(&current, &saved) });
    ports.record(&AuditEvent::success(context, action, &saved, details))?;
    Ok(saved)
}

fn status_action(from: Status, to: Status) -> Action {
    match (from, to) {
        (_, Status::Suspended) => Action::TenantSuspend,
        (_, Status::Cancelled) => Action::TenantCancel,
        (_, Status::Deleted) => Action::TenantDelete,
        (Status::Deleted, Status::Active) => Action::TenantRestore,
        (_, Status::Active) => Action::TenantUnsuspend,
    }
}

/// Attaches `host` to the tenant; it becomes primary when asked or when it is the
/// tenant's only domain. A host owned by another tenant is a conflict on `domain`.
pub fn add_domain<P: TenantPorts + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    key: &TenantKey,
    host: DomainName,
    make_primary: bool,
) -> Result<Tenant, TenantError> {
    let current = editable_domains(ports, key)?;
    if current.has_domain(&host) {
        return Err(TenantError::Conflict {
            field: "domain".into(),
        });
    }
    let mut next = current.clone();
    let primary = make_primary || next.domains.is_empty();
    next.domains.push(Domain {
        host: host.clone(),
        is_primary: false,
    });
    if primary {
        mark_primary(&mut next.domains, &host);
    }
    next.updated_at = context.now;
    let saved = save(ports, &next)?;
    let details = json!({ "domain": host.as_str(), "primary": primary });
    ports.record(&AuditEvent::success(
        context,
        Action::DomainAdd,
        &saved,
        details,
    ))?;
    Ok(saved)
}

/// Detaches `host`. When it was primary, the next remaining domain becomes primary.
pub fn remove_domain<P: TenantPorts + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    key: &TenantKey,
    host: &DomainName,
) -> Result<Tenant, TenantError> {
    let current = editable_domains(ports, key)?;
    let mut next = current.clone();
    next.domains.retain(|domain| &domain.host != host);
    if next.domains.len() == current.domains.len() {
        return Err(TenantError::DomainNotFound(host.to_string()));
    }
    if next.primary_domain().is_none()
        && let Some(first) = next.domains.first_mut()
    {
        first.is_primary = true;
    }
    next.updated_at = context.now;
    let saved = save(ports, &next)?;
    let details = json!({
        "domain": host.as_str(),
        "primary_domain": saved.primary_domain().map(|host| host.as_str()),
    });
    ports.record(&AuditEvent::success(
        context,
        Action::DomainRemove,
        &saved,
        details,
    ))?;
    Ok(saved)
}

/// Makes `host`, already one of the tenant's domains, its primary domain.
pub fn set_primary_domain<P: TenantPorts + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    key: &TenantKey,
    host: &DomainName,
) -> Result<Tenant, TenantError> {
    let current = editable_domains(ports, key)?;
    if !current.has_domain(host) {
        return Err(TenantError::DomainNotFound(host.to_string()));
    }
    let mut next = current.clone();
    mark_primary(&mut next.domains, host);
    next.updated_at = context.now;
    let saved = if next.domains == current.domains {
        current.clone()
    } else {
        save(ports, &next)?
    };
    let details = json!({
        "before": current.primary_domain().map(|host| host.as_str()),
        "after": host.as_str(),
    });
    ports.record(&AuditEvent::success(
        context,
        Action::DomainSetPrimary,
        &saved,
        details,
    ))?;
    Ok(saved)
}

/// Removes a tenant and everything that belongs to it for good, in any status, and
/// returns it as it was.
pub fn purge_tenant<P: TenantPorts + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    key: &TenantKey,
) -> Result<Tenant, TenantError> {
    let current = find_tenant(ports, key)?;
    if !ports.delete(current.id)? {
        return Err(TenantError::NotFound);
    }
    let details = json!({ "before": snapshot(&current) });
    ports.record(&AuditEvent::success(
        context,
        Action::TenantPurge,
        &current,
        details,
    ))?;
    Ok(current)
}

fn editable_domains<R: TenantRepository + ?Sized>(
    repository: &mut R,
    key: &TenantKey,
) -> Result<Tenant, TenantError> {
    let tenant = find_tenant(repository, key)?;
    match tenant.status {
        Status::Active | Status::Suspended => Ok(tenant),
        status @ (Status::Cancelled | Status::Deleted) => Err(TenantError::NotAllowed {
            status,
            reason: "domains can only change while the tenant is active or suspended",
        }),
    }
}

/// Marks `host` primary and moves it to the front; every other domain keeps its order.
fn mark_primary(domains: &mut [Domain], host: &DomainName) {
    for domain in domains.iter_mut() {
        domain.is_primary = &domain.host == host;
    }
    domains.sort_by_key(|domain| !domain.is_primary);
}

fn save<R: TenantRepository + ?Sized>(
    repository: &mut R,
    tenant: &Tenant,
) -> Result<Tenant, TenantError> {
    repository.save(tenant).map_err(|error| match error {
        RepositoryError::StaleVersion { current } => TenantError::StaleVersion {
            expected: tenant.version,
            current,
        },
        other => other.into(),
    })
}

#[cfg(test)]
mod tests;
