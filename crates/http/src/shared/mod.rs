//! What several dialects use on top of [`crate::core`]: audited changes, the one permanent
//! delete, the JSON views of tenants, users, tokens and audit events, the wire table of a
//! tenant's descriptive fields, the settings object's JSON, and the FastAPI wording of
//! domain field errors. Nothing here knows a dialect.

pub mod audited;
pub mod conditional;
pub mod field_errors;
pub mod lifecycle;
pub mod openapi;
pub mod settings_json;
pub mod tenant_fields;
pub mod views;
