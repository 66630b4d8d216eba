//! The wire formats tenantry speaks, each a thin adapter over [`crate::core`] and
//! [`crate::shared`] with its own error shape. A dialect never imports another.
//!
//! - `admin`: the canonical API (`/api/v1/…`, `/oauth/token`, `/openapi.json`).
//! - `openedx`: the Open edX tenant API (seed 000).
//! - `hosting`: the hosting panel's tenant API (seed 002).
//! - `tahoe`: Tahoe user registration v1/v2 (seeds 001 and 004).
//! - `links`: the activation and password-reset pages emailed to users.

pub mod admin;
pub mod hosting;
pub mod links;
pub mod openedx;
pub mod tahoe;

use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value};

use crate::core::error::ApiError;
use crate::core::routing::Resource;
use crate::shared::openapi::{Described, add, operation};

/// Registers every dialect's routes, and `/openapi.json` describing all of them.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .configure(admin::configure)
        .configure(tahoe::configure)
        .configure(openedx::configure)
        .configure(links::configure)
        .configure(hosting::configure)
        .service(
            Resource::<ApiError>::new("/openapi.json")
                .get(serve_openapi)
                .build(),
        );
}

/// The OpenAPI 3.1 document of every endpoint the server serves: the canonical API's
/// (with its schemas), each dialect's, the link pages and the operational endpoints.
pub fn openapi_document() -> Value {
    let mut document = admin::openapi::document();
    let mut paths = match document["paths"].take() {
        Value::Object(paths) => paths,
        _ => Map::new(),
    };
    for more in [
        openedx::openapi::paths(),
        hosting::openapi::paths(),
        tahoe::openapi::paths(),
        links::openapi_paths(),
        operational_paths(),
    ] {
        for (path, operations) in more {
            if let (Some(Value::Object(known)), Value::Object(operations)) =
                (paths.get_mut(&path), &operations)
            {
                known.extend(operations.clone());
            } else {
                paths.insert(path, operations);
            }
        }
    }
    document["paths"] = Value::Object(paths);
    document
}

/// `GET /openapi.json`: built once.
async fn serve_openapi() -> HttpResponse {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    HttpResponse::Ok().json(DOCUMENT.get_or_init(openapi_document))
}

/// `/health`, `/ready`, `/metrics` and `/openapi.json` itself.
fn operational_paths() -> Map<String, Value> {
    let mut paths = Map::new();
    for (path, summary, responses) in [
        (
            "/health",
            "Whether the process serves",
            &[(200, "{\"status\": \"ok\"}")][..],
        ),
        (
            "/ready",
            "Whether the database answers",
            &[
                (200, "{\"status\": \"ready\"}"),
                (503, "The database does not answer"),
            ][..],
        ),
        (
            "/metrics",
            "Prometheus metrics (text exposition)",
            &[(200, "Metrics")][..],
        ),
        (
            "/openapi.json",
            "This document",
            &[(200, "The OpenAPI document")][..],
        ),
    ] {
        let described = Described {
            summary,
            security: &[],
            body: &[],
            query: &[],
            responses,
        };
        add(&mut paths, path, "get", operation(path, &described));
    }
    paths
}

#[cfg(test)]
mod tests {
    use actix_web::App;
    use actix_web::http::Method;

    use super::*;

    #[actix_web::test]
    async fn every_registered_route_is_in_the_openapi_document() {
        let _app = actix_web::test::init_service(
            App::new()
                .configure(crate::core::server::routes)
                .configure(configure),
        )
        .await;
        let document = openapi_document();
        let built = crate::core::routing::built_here();
        assert!(built.len() > 40, "{} routes", built.len());
        for (path, methods) in built {
            // The canonical API answers both trailing-slash forms; the document names one.
            let other = match path.strip_suffix('/') {
                Some(bare) => bare.to_owned(),
                None => format!("{path}/"),
            };
            let described = match &document["paths"][&path] {
                Value::Null => &document["paths"][&other],
                found => found,
            };
            for method in methods {
                let name = method.as_str().to_ascii_lowercase();
                let implicit_head = method == Method::HEAD && described["get"].is_object();
                assert!(
                    described[&name].is_object() || implicit_head,
                    "{method} {path} is not in /openapi.json"
                );
            }
        }
    }
}
