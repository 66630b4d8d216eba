//! The audit view of a tenant: its fields as JSON, and the difference between two states.
//!
//! Built field by field (the profile through [`TenantProfile::snapshot`]), never by
//! serialising domain types, so a change of a type's stored form cannot change what the
//! audit log says.
//!
//! [`TenantProfile::snapshot`]: crate::TenantProfile::snapshot

use serde_json::{Map, Value, json};

use crate::Tenant;

/// The tenant's caller-visible fields as a JSON object (no timestamps, no version).
pub(crate) fn snapshot(tenant: &Tenant) -> Map<String, Value> {
    let hosts: Vec<&str> = tenant
        .domains
        .iter()
        .map(|domain| domain.host.as_str())
        .collect();
    let mut fields = tenant.profile.snapshot();
    fields.insert("name".into(), json!(tenant.name.as_str()));
    fields.insert("status".into(), json!(tenant.status.as_str()));
    fields.insert("domains".into(), json!(hosts));
    fields.insert(
        "primary_domain".into(),
        json!(tenant.primary_domain().map(|host| host.as_str())),
    );
    fields
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
