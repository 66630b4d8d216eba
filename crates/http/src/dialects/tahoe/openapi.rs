//! The Tahoe dialect in the OpenAPI document.

use serde_json::{Map, Value};

use crate::shared::openapi::{Described, add, operation};

const TOKEN: &[&str] = &["token", "bearer"];
const FORM: &[&str] = &[
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/json",
];

/// This dialect's paths: registration v1 (seed 001) and v2 (seed 004).
pub fn paths() -> Map<String, Value> {
    let mut paths = Map::new();
    for (path, summary) in [
        (
            "/tahoe/api/v1/registrations/",
            "Tahoe v1: register a user ({\"user_id \": id})",
        ),
        (
            "/tahoe/api/v2/registrations/",
            "Tahoe v2: register a user ({\"user_id\": id})",
        ),
    ] {
        let register = Described {
            summary,
            security: TOKEN,
            body: FORM,
            query: &[],
            responses: &[
                (200, "Registered"),
                (400, "Invalid parameters"),
                (403, "No or invalid token"),
                (409, "Username or email taken"),
                (429, "Throttled: 60 requests a minute per token"),
            ],
        };
        add(&mut paths, path, "post", operation(path, &register));
        let check = Described {
            summary: "Check the token and the tenant without registering",
            security: TOKEN,
            body: &[],
            query: &[],
            responses: &[
                (200, "The token may register here"),
                (403, "No or invalid token"),
                (429, "Throttled"),
            ],
        };
        add(&mut paths, path, "head", operation(path, &check));
    }
    paths
}
