//! The hosting panel dialect in the OpenAPI document.

use serde_json::{Map, Value};

use crate::shared::openapi::{Described, add, operation};

const OPERATOR: &[&str] = &["basic", "bearer", "token"];
const FORM: &[&str] = &[
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/json",
];
const ANSWERS: &[(u16, &str)] = &[
    (200, "{\"success\": true, …}"),
    (
        400,
        "{\"success\": false, \"message\": …}: invalid parameters",
    ),
    (401, "Not authenticated"),
    (404, "No such tenant"),
    (409, "Taken, or not allowed in the tenant's status"),
];

/// This dialect's paths: seed 002's panel calls, `POST` with form parameters.
pub fn paths() -> Map<String, Value> {
    let mut paths = Map::new();
    for (path, summary) in [
        (
            "/api/create-tenant",
            "Panel: create a tenant with its own database and an admin account",
        ),
        ("/api/suspend-tenant", "Panel: suspend a tenant"),
        (
            "/api/unsuspend-tenant",
            "Panel: make a suspended tenant active again",
        ),
        ("/api/update-domain", "Panel: change a tenant's domain"),
        (
            "/api/update-tenant",
            "Panel: change a tenant's plan, modules or settings",
        ),
        ("/api/cancel-tenant", "Panel: cancel a tenant"),
        (
            "/api/delete-tenant",
            "Panel: delete a tenant and drop its database",
        ),
        ("/api/getTenant", "Panel: one tenant"),
        ("/api/getTenantList", "Panel: every tenant"),
    ] {
        let described = Described {
            summary,
            security: OPERATOR,
            body: FORM,
            query: &[],
            responses: ANSWERS,
        };
        add(&mut paths, path, "post", operation(path, &described));
    }
    let issue = Described {
        summary: "Panel: a one-time login link into a tenant as its administrator",
        security: OPERATOR,
        body: &[],
        query: &["serviceId"],
        responses: ANSWERS,
    };
    add(
        &mut paths,
        "/api/impersonate-tenant",
        "get",
        operation("/api/impersonate-tenant", &issue),
    );
    let redeem = Described {
        summary: "Redeem an impersonation secret once (the tenant side of the login link)",
        security: &[],
        body: FORM,
        query: &[],
        responses: &[
            (200, "The impersonated account"),
            (400, "Invalid parameters"),
            (404, "Unknown, used or expired secret"),
        ],
    };
    add(
        &mut paths,
        "/api/v1/admin/impersonation/redeem",
        "post",
        operation("/api/v1/admin/impersonation/redeem", &redeem),
    );
    paths
}
