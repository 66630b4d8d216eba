//! Reading the canonical API's request bodies into domain inputs, every problem located.

use serde_json::{Map, Value, json};
use tenantry_tenant::operations::{CreateTenant, TenantPatch};
use tenantry_tenant::{DomainName, ServiceId, Settings, TenantName};

use crate::core::body::Fields;
use crate::core::error::ApiError;
use crate::shared::field_errors::record_under;
use crate::shared::settings_json;

const CREATE_FIELDS: [&str; 13] = [
    "name",
    "display_name",
    "domains",
    "theme_name",
    "org_filter",
    "plan_id",
    "modules",
    "partner_id",
    "service_id",
    "admin_email",
    "metadata",
    "settings",
    "status",
];

const PATCH_FIELDS: [&str; 10] = [
    "display_name",
    "theme_name",
    "org_filter",
    "plan_id",
    "modules",
    "partner_id",
    "service_id",
    "admin_email",
    "metadata",
    "settings",
];

/// Reads a create request.
pub fn create_tenant(body: &Map<String, Value>) -> Result<CreateTenant, ApiError> {
    let mut fields = Fields::new(body, vec![json!("body")]);
    fields.forbid_others(&CREATE_FIELDS);
    let name = fields
        .required_string("name")
        .and_then(|name| fields.parsed("name", &name, TenantName::parse));
    let display_name = fields.required_string("display_name");
    let domains = fields
        .string_list("domains")
        .map(|hosts| domains(&mut fields, &hosts));
    let service_id = optional_service_id(&mut fields);
    let theme_name = fields.optional_string("theme_name").flatten();
    let org_filter = fields.string_list("org_filter").unwrap_or_default();
    let plan_id = fields.optional_string("plan_id").flatten();
    let modules = fields.string_list("modules").unwrap_or_default();
    let partner_id = fields.optional_string("partner_id").flatten();
    let admin_email = fields.optional_string("admin_email").flatten();
    let metadata = fields.object("metadata").unwrap_or_default();
    if let Some(status) = fields.raw("status")
        && status != &json!("active")
    {
        let loc = fields.loc("status");
        fields.problem(loc, "value_error", "a tenant is created active");
    }
    let settings = match fields.raw("settings") {
        Some(value) => {
            match settings_json::read_patch(value)
                .and_then(|patch| Settings::default().apply(&patch))
            {
                Ok(settings) => Some(settings),
                Err(errors) => {
                    record_under(&mut fields, "settings", errors);
                    None
                }
            }
        }
        None => Some(Settings::default()),
    };
    fields.finish(|| {
        let mut input = CreateTenant::new(name?, display_name?);
        input.domains = match domains {
            None => Vec::new(),
            Some(parsed) => parsed?,
        };
        input.service_id = service_id?;
        input.theme_name = theme_name;
        input.org_filter = org_filter;
        input.plan_id = plan_id;
        input.modules = modules;
        input.partner_id = partner_id;
        input.admin_email = admin_email;
        input.metadata = metadata;
        input.settings = settings?;
        Some(input)
    })
}

/// Reads a partial update.
pub fn tenant_patch(body: &Map<String, Value>) -> Result<TenantPatch, ApiError> {
    let mut fields = Fields::new(body, vec![json!("body")]);
    fields.forbid_others(&PATCH_FIELDS);
    let display_name = match fields.optional_string("display_name") {
        Some(None) => {
            let loc = fields.loc("display_name");
            fields.problem(loc, "string_type", "Input should be a valid string");
            None
        }
        other => other.flatten(),
    };
    let service_id = if fields.has("service_id") {
        optional_service_id(&mut fields).map(Some)
    } else {
        Some(None)
    };
    let settings = match fields.raw("settings") {
        None => Some(None),
        Some(value) => match settings_json::read_patch(value) {
            Ok(patch) => Some(Some(patch)),
            Err(errors) => {
                record_under(&mut fields, "settings", errors);
                None
            }
        },
    };
    let patch = TenantPatch {
        display_name,
        theme_name: fields.optional_string("theme_name"),
        org_filter: fields.string_list("org_filter"),
        plan_id: fields.optional_string("plan_id"),
        modules: fields.string_list("modules"),
        partner_id: fields.optional_string("partner_id"),
        service_id: None,
        admin_email: fields.optional_string("admin_email"),
        metadata: fields.object("metadata"),
        settings: None,
    };
    fields.finish(|| {
        Some(TenantPatch {
            service_id: service_id?,
            settings: settings?,
            ..patch
        })
    })
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

/// `Some(Ok(value))` with every host parsed, `Some(None)` when one is invalid.
fn domains(fields: &mut Fields<'_>, hosts: &[String]) -> Option<Vec<DomainName>> {
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

/// `Some(None)` when absent or null, `Some(Some(id))` when valid, `None` when invalid.
fn optional_service_id(fields: &mut Fields<'_>) -> Option<Option<ServiceId>> {
    match fields.optional_string("service_id") {
        None | Some(None) => Some(None),
        Some(Some(text)) => fields
            .parsed("service_id", &text, ServiceId::parse)
            .map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("tests pass objects"),
        }
    }

    fn problems(error: ApiError) -> Value {
        match error {
            ApiError::Invalid(problems) => json!(problems),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_create_takes_defaults() {
        let body = object(json!({"name": "talent1", "display_name": "Talent"}));
        let input = create_tenant(&body).unwrap();
        assert_eq!(input.name.as_str(), "talent1");
        assert!(input.domains.is_empty());
        assert_eq!(input.settings, Settings::default());
    }

    #[test]
    fn create_reports_every_bad_field() {
        let body = object(json!({
            "name": "Bad Name",
            "domains": ["ok.example.com", "not a host"],
            "settings": {"mfa_methods": ["totp", "carrier-pigeon"], "session_timeout": 0},
        }));
        let error = create_tenant(&body).unwrap_err();
        let locs: Vec<Value> = problems(error)
            .as_array()
            .unwrap()
            .iter()
            .map(|problem| problem["loc"].clone())
            .collect();
        assert!(locs.contains(&json!(["body", "name"])), "{locs:?}");
        assert!(locs.contains(&json!(["body", "display_name"])), "{locs:?}");
        assert!(locs.contains(&json!(["body", "domains", 1])), "{locs:?}");
        assert!(
            locs.contains(&json!(["body", "settings", "mfa_methods", 1])),
            "{locs:?}"
        );
        assert!(
            locs.contains(&json!(["body", "settings", "session_timeout"])),
            "{locs:?}"
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
