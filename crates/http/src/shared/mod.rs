//! What several dialects use on top of [`crate::core`]: audited changes, the one permanent
//! delete, and the JSON views of tenants, users, tokens and audit events. Nothing here
//! knows a dialect.

pub mod audited;
pub mod conditional;
pub mod lifecycle;
pub mod views;
