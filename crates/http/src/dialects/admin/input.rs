//! Reading the canonical API's request bodies into domain inputs, every problem located.
//!
//! The profile fields are read by their rows in [`TENANT_FIELDS`]; this module adds the
//! fields that are not part of a profile (`name`, `domains`, `status`). Problems are
//! reported in reading order, the order the API has always used: for a create `name`,
//! `display_name`, `domains`, the other profile fields, `status`, `settings`; for a patch
//! `display_name`, `service_id`, `settings`, then the others.

use serde_json::{Map, Value, json};
use tenantry_tenant::operations::{CreateTenant, TenantPatch};
use tenantry_tenant::{DomainName, TenantName, TenantProfile};

use crate::core::error::ApiError;
use crate::core::fields::Fields;
use crate::shared::tenant_fields::{TENANT_FIELDS, TenantField};

/// The fields of a create body that are not profile fields.
const CREATE_ONLY: [&str; 3] = ["name", "domains", "status"];

/// Reads a create request.
pub fn create_tenant(body: &Map<String, Value>) -> Result<CreateTenant, ApiError> {
    let mut fields = Fields::new(body, vec![json!("body")]);
    let known: Vec<&str> = CREATE_ONLY.into_iter().chain(names()).collect();
    fields.forbid_others(&known);
    let name = fields
        .required_string("name")
        .and_then(|name| fields.parsed("name", &name, TenantName::parse));
    let mut profile = TenantProfile::new(String::new());
    let mut domains = None;
    for field in &TENANT_FIELDS {
        if field.name == "settings" {
            status(&mut fields);
        }
        (field.create)(&mut fields, field.name, &mut profile);
        if field.name == "display_name" {
            domains = fields
                .string_list("domains")
                .map(|hosts| parse_domains(&mut fields, &hosts));
        }
    }
    fields.finish(|| {
        Some(CreateTenant {
            name: name?,
            domains: match domains {
                None => Vec::new(),
                Some(parsed) => parsed?,
            },
            profile,
        })
    })
}

/// Reads a partial update.
pub fn tenant_patch(body: &Map<String, Value>) -> Result<TenantPatch, ApiError> {
    let mut fields = Fields::new(body, vec![json!("body")]);
    fields.forbid_others(&names().collect::<Vec<_>>());
    let mut patch = TenantPatch::default();
    for field in patch_order() {
        (field.patch)(&mut fields, field.name, &mut patch);
    }
    fields.finish(|| Some(patch))
}

/// Reads one host name (a domain to add).
pub fn domain(body: &Map<String, Value>) -> Result<(DomainName, bool), ApiError> {
    let mut fields = Fields::new(body, vec![json!("body")]);
    fields.forbid_others(&["host", "is_primary"]);
    let host = fields
        .required_string("host")
        .and_then(|host| fields.parsed("host", &host, DomainName::parse));
    let primary = fields.boolean("is_primary").unwrap_or(false);
    fields.finish(|| Some((host?, primary)))
}

/// The profile fields in the order a patch reads them: the table's, but `settings` right
/// after `service_id`.
fn patch_order() -> Vec<&'static TenantField> {
    let (settings, mut order): (Vec<_>, Vec<_>) = TENANT_FIELDS
        .iter()
        .partition(|field| field.name == "settings");
    let after = order
        .iter()
        .position(|field| field.name == "service_id")
        .map_or(0, |index| index + 1);
    order.splice(after..after, settings);
    order
}

fn names() -> impl Iterator<Item = &'static str> {
    TENANT_FIELDS.iter().map(|field| field.name)
}

/// A create may name its status, but only `active`.
fn status(fields: &mut Fields<'_>) {
    if let Some(status) = fields.raw("status")
        && status != &json!("active")
    {
        let loc = fields.loc("status");
        fields.problem(loc, "value_error", "a tenant is created active");
    }
}

/// `Some(hosts)` with every host parsed, `None` when one is invalid (each is reported).
fn parse_domains(fields: &mut Fields<'_>, hosts: &[String]) -> Option<Vec<DomainName>> {
    let mut parsed = Vec::with_capacity(hosts.len());
    for (index, host) in hosts.iter().enumerate() {
        match DomainName::parse(host) {
            Ok(host) => parsed.push(host),
            Err(error) => {
                let mut loc = fields.loc("domains");
                loc.push(json!(index));
                fields.problem(loc, "value_error", error.to_string());
            }
        }
    }
    (parsed.len() == hosts.len()).then_some(parsed)
}

#[cfg(test)]
mod tests {
    use tenantry_tenant::Settings;

    use super::*;
    use crate::core::fields::object;

    fn problems(error: ApiError) -> Value {
        match error {
            ApiError::Invalid(problems) => json!(problems),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    fn locs(error: ApiError) -> Vec<Value> {
        problems(error)
            .as_array()
            .unwrap()
            .iter()
            .map(|problem| problem["loc"].clone())
            .collect()
    }

    #[test]
    fn a_minimal_create_takes_defaults() {
        let body = object(json!({"name": "talent1", "display_name": "Talent"}));
        let input = create_tenant(&body).unwrap();
        assert_eq!(input.name.as_str(), "talent1");
        assert!(input.domains.is_empty());
        assert_eq!(input.profile, TenantProfile::new("Talent"));
        assert_eq!(input.profile.settings, Settings::default());
    }

    #[test]
    fn a_full_create_fills_every_profile_field() {
        let body = object(json!({
            "name": "talent1", "display_name": "Talent", "domains": ["a.example.com"],
            "service_id": "WHMCS:1", "theme_name": "indigo", "org_filter": ["org1"],
            "plan_id": "pro", "modules": ["news"], "partner_id": "p1",
            "admin_email": "a@example.com", "metadata": {"k": 1}, "status": "active",
            "settings": {"session_timeout": 5},
        }));
        let input = create_tenant(&body).unwrap();
        let profile = input.profile;
        assert_eq!(input.domains.len(), 1);
        assert_eq!(profile.service_id.unwrap().as_str(), "WHMCS:1");
        assert_eq!(profile.theme_name.as_deref(), Some("indigo"));
        assert_eq!(profile.org_filter, ["org1"]);
        assert_eq!(profile.plan_id.as_deref(), Some("pro"));
        assert_eq!(profile.modules, ["news"]);
        assert_eq!(profile.partner_id.as_deref(), Some("p1"));
        assert_eq!(profile.admin_email.as_deref(), Some("a@example.com"));
        assert_eq!(profile.metadata["k"], 1);
        assert_eq!(profile.settings.session_timeout, 5);
    }

    #[test]
    fn create_reports_every_bad_field_in_reading_order() {
        let body = object(json!({
            "name": "Bad Name",
            "domains": ["ok.example.com", "not a host"],
            "theme_name": 5,
            "status": "suspended",
            "settings": {"mfa_methods": ["totp", "carrier-pigeon"], "session_timeout": 0},
            "nope": true,
        }));
        assert_eq!(
            locs(create_tenant(&body).unwrap_err()),
            [
                json!(["body", "nope"]),
                json!(["body", "name"]),
                json!(["body", "display_name"]),
                json!(["body", "domains", 1]),
                json!(["body", "theme_name"]),
                json!(["body", "status"]),
                json!(["body", "settings", "mfa_methods", 1]),
                json!(["body", "settings", "session_timeout"]),
            ]
        );
    }

    #[test]
    fn patch_reports_settings_after_service_id() {
        let body = object(json!({
            "modules": "x", "service_id": 3, "display_name": null,
            "settings": {"mfa_required": "no"},
        }));
        assert_eq!(
            locs(tenant_patch(&body).unwrap_err()),
            [
                json!(["body", "display_name"]),
                json!(["body", "service_id"]),
                json!(["body", "settings", "mfa_required"]),
                json!(["body", "modules"]),
            ]
        );
    }

    #[test]
    fn patches_distinguish_absent_from_null() {
        let body = object(json!({"theme_name": null, "settings": {"mfa_required": false}}));
        let patch = tenant_patch(&body).unwrap();
        assert_eq!(patch.theme_name, Some(None));
        assert_eq!(patch.plan_id, None);
        assert_eq!(patch.service_id, None);
        assert_eq!(patch.settings.unwrap().mfa_required, Some(false));
        let cleared = tenant_patch(&object(json!({"service_id": null}))).unwrap();
        assert_eq!(cleared.service_id, Some(None));
        let error = tenant_patch(&object(json!({"display_name": null, "nope": 1}))).unwrap_err();
        assert_eq!(problems(error).as_array().unwrap().len(), 2);
    }
}
