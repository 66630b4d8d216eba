//! A tenant's descriptive fields on the canonical wire: one row per field of
//! [`TenantProfile`] that names it for clients, gives its JSON Schema, shows it in the
//! tenant view and reads it from create and patch bodies.
//!
//! The tenant view ([`views::tenant_json`](super::views::tenant_json)), the admin body
//! readers and the OpenAPI schemas `Tenant`, `TenantCreate` and `TenantPatch` are built
//! from [`TENANT_FIELDS`], so adding a profile field to the wire is adding one row here.
//! Rows are in the order bodies are read, which is the order problems are reported in.

use serde_json::{Value, json};
use tenantry_tenant::{ServiceId, Settings, TenantPatch, TenantProfile};

use super::field_errors::record_under;
use super::settings_json;
use crate::core::fields::Fields;

/// The JSON shape of a field, for its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A string a create body must carry and a patch cannot clear.
    RequiredText,
    /// A string or `null`.
    OptionalText,
    /// A list of strings.
    Texts,
    /// Any JSON object.
    Object,
    /// The settings object (`#/components/schemas/Settings`).
    Settings,
}

impl Shape {
    /// The field's JSON Schema.
    pub fn schema(self) -> Value {
        match self {
            Shape::RequiredText => json!({"type": "string"}),
            Shape::OptionalText => json!({"type": ["string", "null"]}),
            Shape::Texts => json!({"type": "array", "items": {"type": "string"}}),
            Shape::Object => json!({"type": "object"}),
            Shape::Settings => json!({"$ref": "#/components/schemas/Settings"}),
        }
    }
}

/// One descriptive field as the canonical API names, shows and reads it.
pub struct TenantField {
    /// The field's name in bodies, views and schemas.
    pub name: &'static str,
    /// Its JSON shape.
    pub shape: Shape,
    /// Its value in the tenant view.
    pub view: fn(&TenantProfile) -> Value,
    /// Reads it from a create body (given the name) into the new tenant's profile;
    /// absent means the default.
    pub create: fn(&mut Fields<'_>, &'static str, &mut TenantProfile),
    /// Reads it from a patch body (given the name) into the patch; absent means unchanged.
    pub patch: fn(&mut Fields<'_>, &'static str, &mut TenantPatch),
}

/// Every field of [`TenantProfile`] on the wire.
pub static TENANT_FIELDS: [TenantField; 10] = [
    TenantField {
        name: "display_name",
        shape: Shape::RequiredText,
        view: |profile| json!(profile.display_name),
        create: |fields, name, profile| {
            if let Some(text) = fields.required_string(name) {
                profile.display_name = text;
            }
        },
        patch: |fields, name, patch| patch.display_name = text_not_null(fields, name),
    },
    TenantField {
        name: "service_id",
        shape: Shape::OptionalText,
        view: |profile| json!(profile.service_id.as_ref().map(ServiceId::as_str)),
        create: |fields, name, profile| profile.service_id = service_id(fields, name).flatten(),
        patch: |fields, name, patch| {
            if fields.has(name) {
                patch.service_id = service_id(fields, name);
            }
        },
    },
    TenantField {
        name: "theme_name",
        shape: Shape::OptionalText,
        view: |profile| json!(profile.theme_name),
        create: |fields, name, profile| profile.theme_name = fields.optional_string(name).flatten(),
        patch: |fields, name, patch| patch.theme_name = fields.optional_string(name),
    },
    TenantField {
        name: "org_filter",
        shape: Shape::Texts,
        view: |profile| json!(profile.org_filter),
        create: |fields, name, profile| {
            profile.org_filter = fields.string_list(name).unwrap_or_default();
        },
        patch: |fields, name, patch| patch.org_filter = fields.string_list(name),
    },
    TenantField {
        name: "plan_id",
        shape: Shape::OptionalText,
        view: |profile| json!(profile.plan_id),
        create: |fields, name, profile| profile.plan_id = fields.optional_string(name).flatten(),
        patch: |fields, name, patch| patch.plan_id = fields.optional_string(name),
    },
    TenantField {
        name: "modules",
        shape: Shape::Texts,
        view: |profile| json!(profile.modules),
        create: |fields, name, profile| {
            profile.modules = fields.string_list(name).unwrap_or_default();
        },
        patch: |fields, name, patch| patch.modules = fields.string_list(name),
    },
    TenantField {
        name: "partner_id",
        shape: Shape::OptionalText,
        view: |profile| json!(profile.partner_id),
        create: |fields, name, profile| profile.partner_id = fields.optional_string(name).flatten(),
        patch: |fields, name, patch| patch.partner_id = fields.optional_string(name),
    },
    TenantField {
        name: "admin_email",
        shape: Shape::OptionalText,
        view: |profile| json!(profile.admin_email),
        create: |fields, name, profile| {
            profile.admin_email = fields.optional_string(name).flatten();
        },
        patch: |fields, name, patch| patch.admin_email = fields.optional_string(name),
    },
    TenantField {
        name: "metadata",
        shape: Shape::Object,
        view: |profile| json!(profile.metadata),
        create: |fields, name, profile| profile.metadata = fields.object(name).unwrap_or_default(),
        patch: |fields, name, patch| patch.metadata = fields.object(name),
    },
    TenantField {
        name: "settings",
        shape: Shape::Settings,
        view: |profile| settings_json::view(&profile.settings),
        create: |fields, name, profile| {
            let Some(value) = fields.raw(name) else {
                return;
            };
            let read = settings_json::read_patch(value)
                .and_then(|patch| Settings::default().apply(&patch));
            match read {
                Ok(settings) => profile.settings = settings,
                Err(errors) => record_under(fields, name, errors),
            }
        },
        patch: |fields, name, patch| {
            let Some(value) = fields.raw(name) else {
                return;
            };
            match settings_json::read_patch(value) {
                Ok(settings) => patch.settings = Some(settings),
                Err(errors) => record_under(fields, name, errors),
            }
        },
    },
];

/// A string that may be absent but not `null`.
fn text_not_null(fields: &mut Fields<'_>, name: &'static str) -> Option<String> {
    match fields.optional_string(name) {
        Some(None) => {
            let loc = fields.loc(name);
            fields.problem(loc, "string_type", "Input should be a valid string");
            None
        }
        other => other.flatten(),
    }
}

/// `Some(None)` when absent or null, `Some(Some(id))` when valid, `None` when invalid.
fn service_id(fields: &mut Fields<'_>, name: &'static str) -> Option<Option<ServiceId>> {
    match fields.optional_string(name) {
        None | Some(None) => Some(None),
        Some(Some(text)) => fields.parsed(name, &text, ServiceId::parse).map(Some),
    }
}

#[cfg(test)]
mod tests;
