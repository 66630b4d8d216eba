//! A tenant as the hosting panel sees it: its public fields under the panel's names, never
//! a secret.

use serde_json::{Value, json};
use tenantry_tenant::Tenant;

use crate::shared::views::timestamp;

/// The panel's `tenant_id`: the tenant's unique name (the seed shows a text id).
pub fn panel_id(tenant: &Tenant) -> &str {
    tenant.name.as_str()
}

/// `getTenant`'s `tenant` and each of `getTenantList`'s `tenants`.
pub fn public_tenant(tenant: &Tenant) -> Value {
    json!({
        "tenant_id": panel_id(tenant),
        "serviceId": tenant.profile.service_id.as_ref().map(|id| id.as_str()),
        "domain": tenant.primary_domain().map(|host| host.as_str()),
        "domains": tenant.domains.iter().map(|domain| domain.host.as_str()).collect::<Vec<_>>(),
        "name": tenant.profile.display_name,
        "email": tenant.profile.admin_email,
        "planId": tenant.profile.plan_id,
        "modules": tenant.profile.modules,
        "epaper_frequency": tenant.profile.metadata.get("epaper_frequency").cloned().unwrap_or(Value::Null),
        "status": tenant.status.as_str(),
        "created_at": timestamp(tenant.created_at),
        "updated_at": timestamp(tenant.updated_at),
    })
}
