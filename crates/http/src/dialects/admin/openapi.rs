//! `GET /openapi.json`: the canonical API described from the same endpoint table that
//! registers its routes, with the schemas of its bodies (a tenant's descriptive fields
//! from [`TENANT_FIELDS`], the settings object from [`settings_json::schema`]).

use serde_json::{Map, Value, json};

use super::{Endpoint, Guard, endpoints};
use crate::shared::openapi::path_parameters;
use crate::shared::settings_json;
use crate::shared::tenant_fields::{Shape, TENANT_FIELDS};

/// The OpenAPI 3.1 document of the canonical API.
pub fn document() -> Value {
    let mut paths = Map::new();
    for endpoint in endpoints() {
        let path = paths
            .entry(endpoint.path.to_owned())
            .or_insert_with(|| json!({}));
        path[endpoint.method.as_str().to_ascii_lowercase()] = operation(&endpoint);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "tenantry",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Tenant provisioning and registration: the canonical admin API, \
                            the Open edX, hosting-panel and Tahoe dialects, the emailed link \
                            pages and the operational endpoints.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "bearer": {"type": "http", "scheme": "bearer", "description": "A JWT from /oauth/token or an API token"},
                "token": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Token <api token>"},
            },
            "schemas": schemas(),
        },
    })
}

fn operation(endpoint: &Endpoint) -> Value {
    let mut parameters: Vec<Value> = path_parameters(endpoint.path)
        .into_iter()
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    parameters.extend(endpoint.query.iter().map(|name| {
        let schema = match *name {
            "page" | "per_page" => json!({"type": "integer", "minimum": 1}),
            _ => json!({"type": "string"}),
        };
        json!({"name": name, "in": "query", "required": *name == "host", "schema": schema})
    }));
    let mut responses = Map::new();
    for (status, description) in endpoint.responses {
        let (text, schema) = match description.split_once(':') {
            Some((text, schema)) => (text, Some(schema)),
            None => (*description, None),
        };
        let mut response = json!({"description": text});
        if let Some(schema) = schema {
            response["content"] = json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}});
        }
        responses.insert(status.to_string(), response);
    }
    if endpoint.guard != Guard::Public {
        responses.insert("401".into(), json!({"description": "Not authenticated"}));
    }
    if endpoint.guard == Guard::Operator {
        responses.insert(
            "403".into(),
            json!({"description": "Not an operator credential"}),
        );
    }
    let mut operation = json!({
        "summary": endpoint.summary,
        "operationId": operation_id(endpoint),
        "parameters": parameters,
        "responses": responses,
    });
    if endpoint.guard != Guard::Public {
        operation["security"] = json!([{"basic": []}, {"bearer": []}, {"token": []}]);
    }
    if let Some(body) = endpoint.body {
        operation["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body}")}}},
        });
    }
    operation
}

fn operation_id(endpoint: &Endpoint) -> String {
    let mut id = endpoint.method.as_str().to_ascii_lowercase();
    for part in endpoint.path.split('/').filter(|part| !part.is_empty()) {
        id.push('_');
        id.push_str(part.trim_matches(|c| c == '{' || c == '}'));
    }
    id
}

fn schemas() -> Value {
    let text = json!({"type": "string"});
    let nullable_text = json!({"type": ["string", "null"]});
    let texts = json!({"type": "array", "items": {"type": "string"}});
    let mut editable = json!({});
    let mut required = vec!["name"];
    for field in &TENANT_FIELDS {
        editable[field.name] = field.shape.schema();
        if field.shape == Shape::RequiredText {
            required.push(field.name);
        }
    }
    let mut create = editable.clone();
    create["name"] = json!({"type": "string", "pattern": "^[a-z][a-z0-9-]{0,61}[a-z0-9]$"});
    create["domains"] = json!({"type": "array", "items": {"type": "string"}, "description": "the first is primary; default <name>.<base domain>"});
    let domain =
        json!({"type": "object", "properties": {"host": text, "is_primary": {"type": "boolean"}}});
    let token = json!({"type": "object", "properties": {
        "id": {"type": "integer"}, "scope": {"enum": ["admin", "registration"]},
        "tenant_id": {"type": ["integer", "null"]}, "label": nullable_text,
        "created_by": nullable_text, "created_at": text, "revoked_at": nullable_text,
    }});
    let mut issued = token.clone();
    issued["properties"]["token"] =
        json!({"type": "string", "description": "the secret, shown once"});
    let mut tenant = editable.clone();
    for (name, schema) in [
        ("id", json!({"type": "integer"})),
        ("name", text.clone()),
        (
            "status",
            json!({"enum": ["active", "suspended", "cancelled", "deleted"]}),
        ),
        ("domains", json!({"type": "array", "items": domain})),
        ("primary_domain", nullable_text.clone()),
        ("lms_url", text.clone()),
        (
            "mfe_urls",
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
        ),
        ("created_at", text.clone()),
        ("updated_at", text.clone()),
        ("deleted_at", nullable_text.clone()),
        ("version", json!({"type": "integer"})),
    ] {
        tenant[name] = schema;
    }
    let mut schemas = json!({
        "Settings": settings_json::schema(),
        "TenantCreate": {"type": "object", "required": required, "additionalProperties": false, "properties": create},
        "TenantPatch": {"type": "object", "additionalProperties": false, "properties": editable},
        "Tenant": {"type": "object", "properties": tenant},
        "TenantPage": page("Tenant"),
        "DomainCreate": {"type": "object", "required": ["host"], "additionalProperties": false,
            "properties": {"host": text, "is_primary": {"type": "boolean"}}},
        "DomainList": {"type": "object", "properties": {"items": {"type": "array", "items": domain}}},
        "TokenCreate": {"type": "object", "additionalProperties": false, "properties": {"label": nullable_text}},
        "Token": token,
        "IssuedToken": issued,
        "TokenList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}}}},
        "TokenRequest": {"type": "object", "required": ["grant_type"], "properties": {
            "grant_type": {"enum": ["client_credentials", "password"]},
            "username": text, "password": text, "client_id": text, "client_secret": text,
        }},
        "TokenResponse": {"type": "object", "properties": {
            "access_token": text, "token_type": {"const": "Bearer"}, "expires_in": {"type": "integer"},
        }},
        "AuditEvent": {"type": "object", "properties": {
            "id": {"type": "integer"}, "at": text, "actor": text, "action": text,
            "tenant_id": {"type": ["integer", "null"]}, "tenant_name": nullable_text,
            "request_id": nullable_text, "source": nullable_text,
            "outcome": {"enum": ["success", "failure"]}, "details": {"type": "object"},
        }},
        "AuditPage": page("AuditEvent"),
        "User": {"type": "object", "properties": {
            "id": {"type": "integer"}, "tenant_id": {"type": "integer"}, "username": text,
            "email": text, "name": text, "is_active": {"type": "boolean"},
            "is_tenant_admin": {"type": "boolean"}, "has_password": {"type": "boolean"},
            "created_at": text, "activated_at": nullable_text,
        }},
        "UserPage": page("User"),
        "Resolution": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": text, "status": text,
            "primary_domain": nullable_text, "display_name": text,
        }},
        "EoxTenantRecord": {"type": "object",
            "description": "The tenant as eox-tenant stores it: TenantConfig columns (JSON objects here; compact JSON text in eox-tenant's table) and its Route domains, LMS domain first",
            "required": ["external_key", "lms_configs", "studio_configs", "theming_configs", "meta", "routes"],
            "properties": {
                "external_key": {"type": "string", "description": "the LMS host name"},
                "lms_configs": {"type": "object", "description": "EDNX_USE_SIGNAL, LMS_BASE, SITE_NAME, PLATFORM_NAME, THEME_NAME, BASE_URL, LMS_BASE_URL, LMS_ROOT_URL, course_org_filter, every MFE URL, MFE_CONFIG"},
                "studio_configs": {"type": "object", "description": "EDNX_USE_SIGNAL, SITE_NAME (the Studio host), PLATFORM_NAME, THEME_NAME, LMS_BASE, LMS_ROOT_URL, COURSE_AUTHORING_MICROFRONTEND_URL"},
                "theming_configs": {"type": "object"},
                "meta": {"type": "object", "properties": {"created_by": text}},
                "routes": texts,
            }},
        "EoxSyncState": {"type": "object",
            "description": "Where the tenant's sync to the Open edX database stands (TENANTRY_EOX_DATABASE_URL)",
            "required": ["tenant", "enabled", "state", "pending_since", "synced_at", "attempts", "last_error", "next_attempt_at"],
            "properties": {
                "tenant": text,
                "enabled": {"type": "boolean", "description": "whether this node has TENANTRY_EOX_DATABASE_URL"},
                "state": {"type": "string", "enum": ["in_sync", "pending", "failing", "unknown"]},
                "pending_since": nullable_text, "synced_at": nullable_text,
                "attempts": {"type": "integer", "description": "failed attempts since the last success"},
                "last_error": nullable_text, "next_attempt_at": nullable_text,
            }},
        "HTTPValidationError": {"type": "object", "properties": {"detail": {"type": "array", "items": {
            "type": "object", "required": ["loc", "msg", "type"], "properties": {
                "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                "msg": text, "type": text,
            }}}}},
    });
    if let Value::Object(map) = &mut schemas
        && let Value::Object(webhooks) = webhook_schemas()
    {
        map.extend(webhooks);
    }
    schemas
}

/// The schema of a page of `item`s.
fn page(item: &str) -> Value {
    json!({"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}},
        "total": {"type": "integer"}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "pages": {"type": "integer"},
    }})
}

/// The schemas of the webhook endpoints' bodies and answers.
fn webhook_schemas() -> Value {
    let text = json!({"type": "string"});
    let nullable_text = json!({"type": ["string", "null"]});
    let event_types: Vec<&str> = tenantry_tenant::webhooks::EventType::ALL
        .iter()
        .map(|event| event.as_str())
        .collect();
    json!({
        "WebhookCreate": {"type": "object", "required": ["url"], "additionalProperties": false,
            "properties": {
                "url": {"type": "string", "description": "http:// or https://; no credentials, no fragment; loopback, private and link-local targets are refused unless TENANTRY_WEBHOOKS_ALLOW_PRIVATE is true"},
                "events": {"type": ["array", "null"], "items": {"type": "string", "enum": event_types}, "description": "the event types to receive; omitted or null: every type"},
                "tenant": {"type": ["string", "integer", "null"], "description": "only this tenant's events (id or name); omitted or null: every tenant's"},
            }},
        "WebhookPatch": {"type": "object", "additionalProperties": false,
            "properties": {
                "url": text,
                "events": {"type": ["array", "null"], "items": {"type": "string", "enum": event_types}},
                "tenant": {"type": ["string", "integer", "null"]},
                "enabled": {"type": "boolean", "description": "false stops deliveries; true resumes them and clears failing"},
            }},
        "Webhook": {"type": "object", "properties": {
            "id": {"type": "integer"}, "url": text,
            "events": {"type": ["array", "null"], "items": text},
            "tenant_id": {"type": ["integer", "null"]},
            "status": {"type": "string", "enum": ["active", "failing", "disabled"]},
            "failing_since": nullable_text, "previous_secret_expires_at": nullable_text,
            "created_by": text, "created_at": text, "updated_at": text,
        }},
        "WebhookWithSecret": {"allOf": [{"$ref": "#/components/schemas/Webhook"}, {"type": "object",
            "properties": {"secret": {"type": "string", "description": "whsec_ + base64; shown only here"}}}]},
        "WebhookList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Webhook"}}}},
        "Delivery": {"type": "object", "properties": {
            "id": {"type": "integer"}, "event_id": text, "event_type": text,
            "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
            "attempts": {"type": "integer"}, "last_status_code": {"type": ["integer", "null"]},
            "last_error": nullable_text, "last_attempt_at": nullable_text,
            "next_attempt_at": nullable_text, "delivered_at": nullable_text, "created_at": text,
        }},
        "DeliveryPage": page("Delivery"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_documented_and_every_reference_resolves() {
        let document = document();
        let count: usize = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|path| path.as_object().unwrap().len())
            .sum();
        assert_eq!(count, endpoints().len());
        let text = document.to_string();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(
                document["components"]["schemas"].get(name).is_some(),
                "{name} is referenced but not defined"
            );
        }
    }
}
