//! The hosting-panel dialect (seed 002) over HTTP.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_e2e::{ADMIN_PASSWORD, Reply, TestApp, TestDatabase, on_both_backends};

on_both_backends!(
    create_tenant_answers_the_seed_body_and_provisions,
    lifecycle_endpoints_answer_the_seed_messages,
    update_domain_and_update_tenant_change_the_tenant,
    errors_use_the_success_false_envelope,
    impersonation_tokens_are_redeemed_once,
    delete_tenant_removes_the_tenant_and_its_database,
);

async fn panel(app: &TestApp, path: &str, body: Value) -> Reply {
    app.send_json(app.operator(Method::POST, path), &body).await
}

async fn create(app: &TestApp, service_id: &str, domain: &str) -> Reply {
    panel(
        app,
        "/api/create-tenant",
        json!({"serviceId": service_id, "domain": domain, "planId": "basic",
               "email": "owner@example.com", "name": "Example Tenant",
               "modules": "news,epaper", "epaper_frequency": "weekly"}),
    )
    .await
}

async fn create_tenant_answers_the_seed_body_and_provisions(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let reply = create(&app, "abc123", "example.com").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let password = reply.json["password"].as_str().unwrap().to_owned();
    assert!(
        password.chars().count() >= 16,
        "a strong generated password"
    );
    let database = reply.json["database"].clone();
    assert!(database["url"].is_string());
    let mut body = reply.json.clone();
    body.as_object_mut().unwrap().remove("password");
    body.as_object_mut().unwrap().remove("database");
    assert_eq!(
        body,
        json!({
            "success": true,
            "tenant_id": "abc123",
            "domain": "example.com",
            "email": "owner@example.com",
            "name": "Example Tenant",
            "planId": "basic",
            "modules": ["news", "epaper"],
            "epaper_frequency": "weekly",
            "adminUrl": "https://example.com/admin/login",
            "username": "owner@example.com",
        })
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));

    let users = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/abc123/users"))
        .await;
    let admin = &users.json["items"][0];
    assert_eq!(admin["is_tenant_admin"], true);
    assert_eq!(admin["email"], "owner@example.com");
    assert!(
        !users.text.contains(&password),
        "the password is never shown again"
    );

    let fetched = panel(&app, "/api/getTenant", json!({"serviceId": "abc123"})).await;
    assert_eq!(fetched.status, StatusCode::OK);
    let tenant = &fetched.json["tenant"];
    assert_eq!(tenant["serviceId"], "abc123");
    assert_eq!(tenant["domain"], "example.com");
    assert_eq!(tenant["epaper_frequency"], "weekly");
    assert_eq!(tenant["status"], "active");
    assert!(!fetched.text.contains(&password));
    let listed = panel(&app, "/api/getTenantList", json!({})).await;
    assert_eq!(listed.json["success"], true);
    assert_eq!(listed.json["tenants"].as_array().unwrap().len(), 1);

    let form = app
        .send(
            app.operator(Method::POST, "/api/create-tenant")
                .insert_header(("content-type", "application/x-www-form-urlencoded")),
        )
        .await;
    assert_eq!(
        form.status,
        StatusCode::BAD_REQUEST,
        "an empty form lacks serviceId"
    );
    let mut by_form = app
        .operator(Method::POST, "/api/create-tenant")
        .send_form(&[("serviceId", "WHMCS:77"), ("domain", "form.example.org")])
        .await
        .unwrap();
    assert_eq!(by_form.status(), StatusCode::OK);
    let body: Value = serde_json::from_slice(&by_form.body().await.unwrap()).unwrap();
    assert_eq!(body["tenant_id"], "whmcs-77");
    assert_eq!(body["username"], "admin@form.example.org");
}

async fn lifecycle_endpoints_answer_the_seed_messages(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    create(&app, "abc123", "example.com").await;
    let id = json!({"serviceId": "abc123"});
    let suspended = panel(&app, "/api/suspend-tenant", id.clone()).await;
    assert_eq!(
        suspended.json,
        json!({"success": true, "message": "Tenant suspended successfully!"})
    );
    let resolved = app
        .send(app.operator(Method::GET, "/api/v1/resolve?host=example.com"))
        .await;
    assert_eq!(resolved.json["status"], "suspended");
    let unsuspended = panel(&app, "/api/unsuspend-tenant", id.clone()).await;
    assert_eq!(
        unsuspended.json,
        json!({"success": true, "message": "Tenant unsuspended successfully!"})
    );
    let again = panel(&app, "/api/unsuspend-tenant", id.clone()).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json["success"], false);
    let cancelled = panel(&app, "/api/cancel-tenant", id.clone()).await;
    assert_eq!(
        cancelled.json,
        json!({"success": true, "message": "Domain(s) deleted successfully!"})
    );
    let tenant = panel(&app, "/api/getTenant", id).await;
    assert_eq!(tenant.json["tenant"]["status"], "cancelled");
    assert_eq!(tenant.json["tenant"]["domains"], json!([]));

    let log = app
        .send(app.operator(Method::GET, "/api/v1/admin/audit?tenant=abc123"))
        .await;
    let actions: Vec<&str> = log.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["action"].as_str().unwrap())
        .collect();
    for action in [
        "tenant.create",
        "user.create_admin",
        "tenant.suspend",
        "tenant.unsuspend",
        "tenant.cancel",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

async fn update_domain_and_update_tenant_change_the_tenant(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    create(&app, "abc123", "example.com").await;
    create(&app, "other", "other.example.com").await;
    let moved = panel(
        &app,
        "/api/update-domain",
        json!({"serviceId": "abc123", "domain": "new.example.com"}),
    )
    .await;
    assert_eq!(
        moved.json,
        json!({"success": true, "message": "Domain updated successfully!"}),
        "{}",
        moved.text
    );
    let taken = panel(
        &app,
        "/api/update-domain",
        json!({"serviceId": "abc123", "domain": "other.example.com"}),
    )
    .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(
        taken.json,
        json!({"success": false, "message": "The domain is already in use"})
    );
    let updated = panel(
        &app,
        "/api/update-tenant",
        json!({"serviceId": "abc123", "name": "Renamed", "planId": "pro", "modules": "news",
               "epaper_frequency": "daily", "email": "new-owner@example.com"}),
    )
    .await;
    assert_eq!(
        updated.json,
        json!({"success": true, "message": "Tenant updated successfully!"}),
        "{}",
        updated.text
    );
    let tenant = panel(&app, "/api/getTenant", json!({"serviceId": "abc123"}))
        .await
        .json["tenant"]
        .clone();
    assert_eq!(tenant["domain"], "new.example.com");
    assert_eq!(
        tenant["domains"],
        json!(["new.example.com"]),
        "the old domain is released"
    );
    assert_eq!(tenant["name"], "Renamed");
    assert_eq!(tenant["planId"], "pro");
    assert_eq!(tenant["modules"], json!(["news"]));
    assert_eq!(tenant["epaper_frequency"], "daily");
    assert_eq!(tenant["email"], "new-owner@example.com");
}

async fn errors_use_the_success_false_envelope(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    create(&app, "abc123", "example.com").await;
    let unknown = panel(&app, "/api/getTenant", json!({"serviceId": "nope"})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json,
        json!({"success": false, "message": "Tenant not found"})
    );
    let missing = panel(&app, "/api/suspend-tenant", json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json,
        json!({"success": false, "message": "serviceId is required"})
    );
    let no_domain = panel(&app, "/api/create-tenant", json!({"serviceId": "x1"})).await;
    assert_eq!(
        no_domain.json,
        json!({"success": false, "message": "domain is required"})
    );
    let duplicate = create(&app, "abc123", "fresh.example.com").await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(
        duplicate.json,
        json!({"success": false, "message": "The serviceId is already in use"})
    );
    let domain = create(&app, "fresh", "example.com").await;
    assert_eq!(domain.status, StatusCode::CONFLICT);
    assert_eq!(
        domain.json,
        json!({"success": false, "message": "The domain is already in use"})
    );
    let anonymous = app
        .send_json(app.client.post(app.url("/api/getTenantList")), &json!({}))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.json,
        json!({"success": false, "message": "Authentication required"})
    );
    assert!(
        anonymous
            .header("www-authenticate")
            .unwrap()
            .starts_with("Basic")
    );
    let get = app
        .send(app.operator(Method::GET, "/api/create-tenant"))
        .await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.json["success"], false, "{}", get.text);
    let one_word = panel(
        &app,
        "/api/create-tenant",
        json!({"serviceId": "x2", "domain": "intranet1"}),
    )
    .await;
    assert_eq!(
        one_word.status,
        StatusCode::BAD_REQUEST,
        "{}",
        one_word.text
    );
    assert_eq!(
        one_word.json,
        json!({"success": false,
               "message": "email is required: admin@intranet1 is not an address for the tenant admin"})
    );
    let bad_plan = panel(
        &app,
        "/api/update-tenant",
        json!({"serviceId": "abc123", "planId": "p\u{1}"}),
    )
    .await;
    assert_eq!(bad_plan.status, StatusCode::BAD_REQUEST);
    let message = bad_plan.json["message"].as_str().unwrap();
    assert!(message.starts_with("planId: "), "{message}");
    let huge = "x".repeat(1024 * 1024 + 1);
    let too_large = panel(&app, "/api/getTenant", json!({"serviceId": huge})).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.json["success"], false);
}

async fn impersonation_tokens_are_redeemed_once(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    create(&app, "abc123", "example.com").await;
    let issued = app
        .send(app.operator(Method::GET, "/api/impersonate-tenant?serviceId=abc123"))
        .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.text);
    assert_eq!(issued.json["success"], true);
    let redirect = issued.json["redirectTo"].as_str().unwrap();
    let token = redirect
        .strip_prefix("https://example.com/impersonate/")
        .expect("a link on the tenant's domain");
    let redeem = |token: String| {
        let app = &app;
        async move {
            app.send_json(
                app.operator(Method::POST, "/api/v1/admin/impersonation/redeem"),
                &json!({"token": token}),
            )
            .await
        }
    };
    let first = redeem(token.to_owned()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.json["tenant"]["name"], "abc123");
    assert_eq!(first.json["user"]["is_tenant_admin"], true);
    let second = redeem(token.to_owned()).await;
    assert_eq!(second.status, StatusCode::GONE);
    assert_eq!(
        second.json,
        json!({"detail": "This impersonation token was already used"})
    );
    let unknown = redeem("nonsense".into()).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let log = app
        .send(app.operator(
            Method::GET,
            "/api/v1/admin/audit?tenant=abc123&action=tenant.impersonation_redeem",
        ))
        .await;
    assert_eq!(log.json["total"], 1);
    assert!(!log.text.contains(token), "the token never reaches the log");
}

async fn delete_tenant_removes_the_tenant_and_its_database(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let created = create(&app, "abc123", "example.com").await;
    let url = created.json["database"]["url"].as_str().unwrap().to_owned();
    assert!(tenantry_e2e::tenant_database_exists(&url), "{url} exists");
    let deleted = panel(&app, "/api/delete-tenant", json!({"serviceId": "abc123"})).await;
    assert_eq!(
        deleted.json,
        json!({"success": true, "message": "Tenant deleted successfully!"}),
        "{}",
        deleted.text
    );
    assert!(!tenantry_e2e::tenant_database_exists(&url), "{url} is gone");
    let gone = panel(&app, "/api/getTenant", json!({"serviceId": "abc123"})).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let again = create(&app, "abc123", "example.com").await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "the serviceId and domain are free again: {}",
        again.text
    );
    let _ = ADMIN_PASSWORD;
}
