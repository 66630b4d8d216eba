//! How tenants, tokens and audit events look on the wire of the canonical API.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tenantry_registration::{ApiToken, User};
use tenantry_tenant::urls::{Mfe, UrlConfig};
use tenantry_tenant::{AuditRecord, Tenant};

use super::tenant_fields::TENANT_FIELDS;

/// An RFC 3339 UTC timestamp with microseconds, as every API field carries time.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A tenant with its domains, generated URLs and every profile field ([`TENANT_FIELDS`]).
pub fn tenant_json(tenant: &Tenant, urls: &UrlConfig) -> Value {
    let site = urls.site(&tenant.name);
    let mut mfe_urls = Map::new();
    for mfe in Mfe::ALL {
        mfe_urls.insert(mfe.key().to_owned(), Value::from(site.mfe_url(mfe)));
    }
    let mut view = json!({
        "id": tenant.id.0,
        "name": tenant.name.as_str(),
        "status": tenant.status.as_str(),
        "domains": tenant.domains.iter().map(|domain| json!({
            "host": domain.host.as_str(),
            "is_primary": domain.is_primary,
        })).collect::<Vec<_>>(),
        "primary_domain": tenant.primary_domain().map(|host| host.as_str()),
        "lms_url": site.lms_url(),
        "mfe_urls": mfe_urls,
        "created_at": timestamp(tenant.created_at),
        "updated_at": timestamp(tenant.updated_at),
        "deleted_at": tenant.deleted_at.map(timestamp),
        "version": tenant.version,
    });
    for field in &TENANT_FIELDS {
        view[field.name] = (field.view)(&tenant.profile);
    }
    view
}

/// A token without its secret.
pub fn token_json(token: &ApiToken) -> Value {
    json!({
        "id": token.id,
        "scope": token.scope.name(),
        "tenant_id": token.scope.tenant_id().map(|id| id.0),
        "label": token.label,
        "created_by": token.created_by,
        "created_at": timestamp(token.created_at),
        "revoked_at": token.revoked_at.map(timestamp),
    })
}

/// An audit event.
pub fn audit_json(record: &AuditRecord) -> Value {
    let event = &record.event;
    json!({
        "id": record.id,
        "at": timestamp(event.at),
        "actor": event.actor.to_string(),
        "action": event.action.as_str(),
        "tenant_id": event.tenant_id.map(|id| id.0),
        "tenant_name": event.tenant_name,
        "request_id": event.request_id,
        "source": event.source,
        "outcome": event.outcome.as_str(),
        "details": event.details,
    })
}

/// A user as operators see one.
pub fn user_json(user: &User) -> Value {
    json!({
        "id": user.id,
        "tenant_id": user.tenant_id.0,
        "username": user.username.as_str(),
        "email": user.email.as_str(),
        "name": user.name.as_str(),
        "is_active": user.is_active,
        "is_tenant_admin": user.is_tenant_admin,
        "has_password": user.password_hash.is_some(),
        "created_at": timestamp(user.created_at),
        "activated_at": user.activated_at.map(timestamp),
    })
}
