//! What HTTP clients rely on in every dialect: 405 with `Allow`, `HEAD` wherever `GET` is
//! served, `If-Match` as RFC 9110 defines it, and both forms of a canonical path's
//! trailing slash.

use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_e2e::{Reply, TestApp, TestDatabase, on_both_backends};

on_both_backends!(
    a_405_names_the_allowed_methods_in_every_dialect,
    head_is_served_wherever_get_is,
    if_match_compares_strongly_and_accepts_lists_and_star,
    canonical_paths_answer_with_or_without_their_trailing_slash,
);

fn allowed(reply: &Reply) -> Vec<&str> {
    let mut methods: Vec<&str> = reply
        .header("allow")
        .unwrap_or_else(|| panic!("no Allow header: {}", reply.text))
        .split(", ")
        .collect();
    methods.sort_unstable();
    methods
}

async fn a_405_names_the_allowed_methods_in_every_dialect(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    for (method, path, expected) in [
        (Method::GET, "/api/tenant/v1/create", vec!["POST"]),
        (Method::POST, "/api/tenant/v1/health", vec!["GET", "HEAD"]),
        (
            Method::GET,
            "/tahoe/api/v2/registrations/",
            vec!["HEAD", "POST"],
        ),
        (Method::GET, "/api/create-tenant", vec!["POST"]),
        (
            Method::PUT,
            "/api/v1/admin/tenants/talent1",
            vec!["DELETE", "GET", "HEAD", "PATCH"],
        ),
        (
            Method::DELETE,
            "/api/v1/admin/tenants/",
            vec!["GET", "HEAD", "POST"],
        ),
        (Method::POST, "/health", vec!["GET", "HEAD"]),
    ] {
        let reply = app.send(app.operator(method.clone(), path)).await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            reply.text
        );
        assert_eq!(allowed(&reply), expected, "{method} {path}");
    }
}

async fn head_is_served_wherever_get_is(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    for path in [
        "/health",
        "/api/tenant/v1/health",
        "/api/tenant/v1/list",
        "/api/v1/admin/tenants/",
        "/api/v1/admin/tenants/talent1",
        "/openapi.json",
    ] {
        let get = app.send(app.operator(Method::GET, path)).await;
        let head = app.send(app.operator(Method::HEAD, path)).await;
        assert_eq!(get.status, StatusCode::OK, "GET {path}: {}", get.text);
        assert_eq!(head.status, StatusCode::OK, "HEAD {path}");
        assert_eq!(head.text, "", "HEAD {path} has no body");
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{path}"
        );
        assert_eq!(
            head.header("content-length"),
            Some(get.text.len().to_string().as_str()),
            "HEAD {path} tells the length GET sends"
        );
    }
    let anonymous = app
        .send(app.client.head(app.url("/api/v1/admin/tenants/")))
        .await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "HEAD is authenticated too"
    );
}

async fn if_match_compares_strongly_and_accepts_lists_and_star(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    let path = "/api/v1/admin/tenants/talent1";
    let app = &app;
    let patch = |if_match: &str, name: &str| {
        let request = app
            .operator(Method::PATCH, path)
            .insert_header(("If-Match", if_match.to_owned()));
        let body = json!({"display_name": name});
        async move { app.send_json(request, &body).await }
    };
    let weak = patch("W/\"1\"", "Weak").await;
    assert_eq!(
        weak.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        weak.text
    );
    let listed = patch("\"999\", \"1\"", "Listed").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.header("etag"), Some("\"2\""));
    let stale_list = patch("\"1\", W/\"2\"", "Stale").await;
    assert_eq!(stale_list.status, StatusCode::PRECONDITION_FAILED);
    let star = patch("*", "Star").await;
    assert_eq!(star.status, StatusCode::OK, "{}", star.text);
    assert_eq!(star.json["display_name"], "Star");
    let malformed = patch("1", "Malformed").await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        malformed.json["detail"][0]["loc"],
        json!(["header", "If-Match"])
    );
    let missing = app
        .send_json(
            app.operator(Method::PATCH, "/api/v1/admin/tenants/nobody")
                .insert_header(("If-Match", "*")),
            &json!({"display_name": "Nobody"}),
        )
        .await;
    assert_eq!(
        missing.status,
        StatusCode::NOT_FOUND,
        "* needs a current tenant"
    );
}

async fn canonical_paths_answer_with_or_without_their_trailing_slash(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let created = app
        .send_json(
            app.operator(Method::POST, "/api/v1/admin/tenants"),
            &json!({"name": "talent1", "display_name": "Talent One"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let listed = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants"))
        .await;
    let canonical = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/"))
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json, canonical.json);
    let one = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/talent1/"))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(one.json["name"], "talent1");
    let wrong = app
        .send(app.operator(Method::PUT, "/api/v1/admin/tenants/talent1/"))
        .await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(allowed(&wrong), vec!["DELETE", "GET", "HEAD", "PATCH"]);
}
