//! Domains, host resolution, the audit log, metrics and the OpenAPI document.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_e2e::{TestApp, TestDatabase, on_both_backends};

on_both_backends!(
    domains_are_added_moved_and_removed,
    hosts_resolve_to_their_tenant,
    every_change_and_refusal_is_audited,
    metrics_and_openapi_are_served,
);

async fn domains_are_added_moved_and_removed(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent"}))
        .await;
    app.create_tenant(
        json!({"name": "other", "display_name": "Other", "domains": ["taken.example"]}),
    )
    .await;
    let domains = "/api/v1/admin/tenants/talent1/domains";
    let added = app
        .send_json(
            app.operator(Method::POST, domains),
            &json!({"host": "Learn.Example.com"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let taken = app
        .send_json(
            app.operator(Method::POST, domains),
            &json!({"host": "taken.example"}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.json, json!({"detail": "domain is already taken"}));
    let invalid = app
        .send_json(
            app.operator(Method::POST, domains),
            &json!({"host": "not a host"}),
        )
        .await;
    assert_eq!(invalid.json["detail"][0]["loc"], json!(["body", "host"]));

    let primary = app
        .send(app.operator(
            Method::POST,
            &format!("{domains}/learn.example.com/primary"),
        ))
        .await;
    assert_eq!(primary.status, StatusCode::OK, "{}", primary.text);
    assert_eq!(primary.json["primary_domain"], "learn.example.com");
    let listed = app.send(app.operator(Method::GET, domains)).await;
    assert_eq!(
        listed.json,
        json!({"items": [
            {"host": "learn.example.com", "is_primary": true},
            {"host": "talent1.local.openedx.io", "is_primary": false},
        ]})
    );
    let removed = app
        .send(app.operator(Method::DELETE, &format!("{domains}/learn.example.com")))
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    assert_eq!(removed.json["primary_domain"], "talent1.local.openedx.io");
    let gone = app
        .send(app.operator(Method::DELETE, &format!("{domains}/learn.example.com")))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.json, json!({"detail": "Domain not found"}));
}

async fn hosts_resolve_to_their_tenant(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent"}))
        .await;
    let resolve = |host: &str| {
        let path = format!("/api/v1/resolve?host={host}");
        app.send(app.operator(Method::GET, &path))
    };
    let found = resolve("Talent1.Local.OpenedX.io:8000").await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert_eq!(
        found.json,
        json!({"id": 1, "name": "talent1", "status": "active",
               "primary_domain": "talent1.local.openedx.io", "display_name": "Talent"})
    );
    let unknown = resolve("nobody.example").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json,
        json!({"detail": "No tenant serves this host"})
    );
    let bad = resolve("not%20a%20host").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    app.send(app.operator(Method::POST, "/api/v1/admin/tenants/talent1/suspend"))
        .await;
    let suspended = resolve("talent1.local.openedx.io").await;
    assert_eq!(
        suspended.json["status"], "suspended",
        "changes are seen at once"
    );
    app.send(app.operator(Method::DELETE, "/api/v1/admin/tenants/talent1"))
        .await;
    assert_eq!(
        resolve("talent1.local.openedx.io").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn every_change_and_refusal_is_audited(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent"}))
        .await;
    app.send_json(
        app.operator(Method::PATCH, "/api/v1/admin/tenants/talent1")
            .insert_header(("X-Request-Id", "req-patch")),
        &json!({"display_name": "Talent One"}),
    )
    .await;
    let refused = app
        .send_json(
            app.operator(Method::POST, "/api/v1/admin/tenants/"),
            &json!({"name": "talent1", "display_name": "Again"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    app.send(app.operator(Method::DELETE, "/api/v1/admin/tenants/talent1"))
        .await;

    let log = app
        .send(app.operator(Method::GET, "/api/v1/admin/audit?tenant=talent1"))
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let actions: Vec<(String, String)> = log.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["action"].as_str().unwrap().to_owned(),
                event["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("tenant.delete", "success"),
        ("tenant.create", "failure"),
        ("tenant.update", "success"),
        ("tenant.create", "success"),
    ]
    .iter()
    .map(|(action, outcome)| ((*action).to_owned(), (*outcome).to_owned()))
    .collect();
    assert_eq!(actions, expected, "newest first");
    let update = &log.json["items"][2];
    assert_eq!(update["actor"], "operator:admin");
    assert_eq!(update["request_id"], "req-patch");
    assert_eq!(update["tenant_id"], 1);
    assert_eq!(update["source"], "127.0.0.1");
    assert_eq!(
        update["details"]["changes"]["display_name"],
        json!({"before": "Talent", "after": "Talent One"})
    );
    let by_id = app
        .send(app.operator(
            Method::GET,
            "/api/v1/admin/audit?tenant=1&action=tenant.update",
        ))
        .await;
    assert_eq!(by_id.json["total"], 1);
    let bad = app
        .send(app.operator(Method::GET, "/api/v1/admin/audit?since=yesterday"))
        .await;
    assert_eq!(bad.json["detail"][0]["loc"], json!(["query", "since"]));
    let filters = app
        .send(app.operator(
            Method::GET,
            "/api/v1/admin/audit?action=bogus&actor=nobody&tenant=-&until=x",
        ))
        .await;
    assert_eq!(filters.status, StatusCode::UNPROCESSABLE_ENTITY);
    let messages: Vec<(Value, Value)> = filters.json["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| (problem["loc"][1].clone(), problem["msg"].clone()))
        .collect();
    assert_eq!(
        messages,
        vec![
            (
                json!("tenant"),
                json!("Input should be a tenant id or name")
            ),
            (json!("action"), json!("unknown action \"bogus\"")),
            (json!("actor"), json!("unknown actor \"nobody\"")),
            (
                json!("until"),
                json!("Input should be an RFC 3339 time such as 2026-11-25T12:00:00Z")
            ),
        ],
        "{}",
        filters.text
    );
}

async fn metrics_and_openapi_are_served(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent"}))
        .await;
    app.get("/api/v1/admin/tenants/talent1").await;
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    assert!(metrics.text.contains(
        "tenantry_http_requests_total{method=\"POST\",route=\"/api/v1/admin/tenants/\",status=\"201\"} 1"
    ), "{}", metrics.text);
    assert!(metrics.text.contains(
        "tenantry_http_requests_total{method=\"GET\",route=\"/api/v1/admin/tenants/{tenant_id}\",status=\"401\"} 1"
    ), "{}", metrics.text);
    assert!(
        metrics.text.contains("tenantry_tenants 1"),
        "{}",
        metrics.text
    );
    assert!(
        metrics.text.contains("tenantry_db_pool_max_connections 10"),
        "{}",
        metrics.text
    );
    assert!(
        metrics
            .text
            .contains("# TYPE tenantry_emails_failed gauge\ntenantry_emails_failed 0\n"),
        "{}",
        metrics.text
    );

    let openapi = app.get("/openapi.json").await;
    assert_eq!(openapi.status, StatusCode::OK);
    assert_eq!(openapi.json["openapi"], "3.1.0");
    let tenant = &openapi.json["paths"]["/api/v1/admin/tenants/{tenant_id}"];
    for method in ["get", "patch", "delete"] {
        assert!(tenant.get(method).is_some(), "{method} is documented");
    }
}
