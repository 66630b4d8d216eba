//! The Open edX dialect in the OpenAPI document.

use serde_json::{Map, Value};

use crate::shared::openapi::{Described, add, operation};

const OPERATOR: &[&str] = &["basic", "bearer", "token"];

/// This dialect's paths.
pub fn paths() -> Map<String, Value> {
    let mut paths = Map::new();
    for (method, path, described) in [
        (
            "get",
            "/api/tenant/v1/health",
            Described {
                summary: "Open edX: whether the service and its database answer, with the live tenant count",
                security: &[],
                body: &[],
                query: &[],
                responses: &[(200, "Healthy"), (503, "The database does not answer")],
            },
        ),
        (
            "get",
            "/api/tenant/v1/list",
            Described {
                summary: "Open edX: every live tenant",
                security: OPERATOR,
                body: &[],
                query: &[],
                responses: &[(200, "The tenants"), (401, "Not authenticated")],
            },
        ),
        (
            "post",
            "/api/tenant/v1/create",
            Described {
                summary: "Open edX: create a tenant (seed 000)",
                security: OPERATOR,
                body: &["application/json"],
                query: &[],
                responses: &[
                    (201, "Created"),
                    (400, "Invalid input"),
                    (401, "Not authenticated"),
                    (409, "Name taken"),
                ],
            },
        ),
        (
            "delete",
            "/api/tenant/v1/delete/{tenant_name}",
            Described {
                summary: "Open edX: delete a tenant",
                security: OPERATOR,
                body: &[],
                query: &[],
                responses: &[
                    (200, "Deleted"),
                    (401, "Not authenticated"),
                    (404, "No such tenant"),
                ],
            },
        ),
    ] {
        add(&mut paths, path, method, operation(path, &described));
    }
    paths
}
