//! The audit view of a tenant: its fields as JSON, and the difference between two states.
//!
//! Built field by field, never by serialising domain types, so a change of a type's
//! stored form cannot change what the audit log says.

use serde_json::{Map, Value, json};

use crate::Tenant;

/// The tenant's caller-visible fields as a JSON object (no timestamps, no version).
pub(crate) fn snapshot(tenant: &Tenant) -> Map<String, Value> {
    let hosts: Vec<&str> = tenant
        .domains
        .iter()
        .map(|domain| domain.host.as_str())
        .collect();
    let value = json!({
        "name": tenant.name.as_str(),
        "display_name": tenant.display_name,
        "status": tenant.status.as_str(),
        "service_id": tenant.service_id.as_ref().map(|id| id.as_str()),
        "partner_id": tenant.partner_id,
        "plan_id": tenant.plan_id,
        "modules": tenant.modules,
        "theme_name": tenant.theme_name,
        "org_filter": tenant.org_filter,
        "admin_email": tenant.admin_email,
        "metadata": tenant.metadata,
        "settings": tenant.settings.snapshot(),
        "domains": hosts,
        "primary_domain": tenant.primary_domain().map(|host| host.as_str()),
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `{"field": {"before": …, "after": …}}` for every field that differs.
pub(crate) fn changes(before: &Tenant, after: &Tenant) -> Map<String, Value> {
    let before = snapshot(before);
    let after = snapshot(after);
    after
        .into_iter()
        .filter(|(field, value)| before.get(field) != Some(value))
        .map(|(field, value)| {
            let old = before.get(&field).cloned().unwrap_or(Value::Null);
            let change = json!({ "before": old, "after": value });
            (field, change)
        })
        .collect()
}
