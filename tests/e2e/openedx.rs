//! The Open edX dialect (seed 000): health, list, create, delete, its errors, the
//! eox-tenant record of a created tenant, and the audit trail of every step.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_e2e::{ADMIN_PASSWORD, Reply, TestApp, TestDatabase, on_both_backends};

on_both_backends!(
    health_counts_the_live_tenants,
    the_seeds_json_create_answers_201_with_hosts_entries,
    a_form_create_reads_repeated_org_filters,
    list_answers_every_live_tenant_to_basic_tokens_and_jwts,
    delete_purges_the_tenant_and_frees_its_name,
    errors_have_the_dialects_shape,
    the_eox_record_of_talent1_is_exact,
    every_step_is_in_the_audit_log,
);

const CREATE: &str = "/api/tenant/v1/create";
const LIST: &str = "/api/tenant/v1/list";

/// Seed 000's Python example body.
fn seed_body() -> Value {
    json!({
        "tenant_name": "talent1",
        "platform_name": "Talent 1 Learning",
        "theme_name": "indigo",
        "org_filter": ["org1"],
    })
}

fn error(message: &str) -> Value {
    json!({"status": "error", "message": message})
}

async fn create_seed_tenant(app: &TestApp) -> Reply {
    let reply = app
        .send_json(app.operator(Method::POST, CREATE), &seed_body())
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply
}

async fn post_create(app: &TestApp, body: Value) -> Reply {
    app.send_json(app.operator(Method::POST, CREATE), &body)
        .await
}

async fn created_at(app: &TestApp, name: &str) -> Value {
    let path = format!("/api/v1/admin/tenants/{name}");
    app.send(app.operator(Method::GET, &path)).await.json["created_at"].clone()
}

async fn jwt(app: &TestApp) -> String {
    let reply = app
        .send_json(
            app.client.post(app.url("/oauth/token")),
            &json!({"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["access_token"].as_str().unwrap().to_owned()
}

async fn health_counts_the_live_tenants(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let health = |expected: u64| json!({"status": "healthy", "eox_tenant_installed": true, "tenant_count": expected});
    let empty = app.get("/api/tenant/v1/health").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.json, health(0));
    create_seed_tenant(&app).await;
    app.create_tenant(json!({"name": "other", "display_name": "Other"}))
        .await;
    assert_eq!(app.get("/api/tenant/v1/health").await.json, health(2));
    let deleted = app
        .send(app.operator(Method::DELETE, "/api/v1/admin/tenants/other"))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/tenant/v1/health").await.json,
        health(1),
        "a soft-deleted tenant is not live"
    );
    let posted = app
        .send(app.client.post(app.url("/api/tenant/v1/health")))
        .await;
    assert_eq!(posted.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(posted.json, error("Method not allowed."));
}

/// Dropping the PostgreSQL database under a running server makes the health check
/// answer 503 without the cause.
#[actix_web::test]
#[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
async fn health_answers_503_when_the_database_is_gone() {
    let Some(database) = TestDatabase::postgres() else {
        eprintln!("skipped: TENANTRY_TEST_POSTGRES_URL is unset");
        return;
    };
    let app = TestApp::spawn(database).await;
    assert_eq!(
        app.get("/api/tenant/v1/health").await.status,
        StatusCode::OK
    );
    app.database.drop_now();
    let reply = app.get("/api/tenant/v1/health").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        reply.json,
        json!({"status": "unhealthy", "eox_tenant_installed": true,
               "message": "The database is unavailable."})
    );
}

async fn the_seeds_json_create_answers_201_with_hosts_entries(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    // As seed 000's curl: -u admin:pw -H "Content-Type: application/json" -d '{…}'.
    let reply = app
        .send(
            app.operator(Method::POST, CREATE)
                .insert_header(("Content-Type", "application/json")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "empty body");
    let mut response = app
        .operator(Method::POST, CREATE)
        .insert_header(("Content-Type", "application/json"))
        .send_body(
            r#"{
  "tenant_name": "talent1",
  "platform_name": "Talent 1 Learning",
  "theme_name": "indigo"
}"#,
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = serde_json::from_slice(&response.body().await.unwrap()).unwrap();
    assert_eq!(
        body,
        json!({
            "status": "success",
            "tenant_id": 1,
            "tenant_name": "talent1",
            "lms_url": "http://talent1.local.openedx.io:8000",
            "authn_url": "http://talent1.apps.local.openedx.io:1999/authn",
            "learner_dashboard_url": "http://talent1.apps.local.openedx.io:1996/learner-dashboard/",
            "message": "Tenant created successfully. Add DNS entries to your hosts file.",
            "hosts_entries": [
                "127.0.0.1 talent1.local.openedx.io",
                "127.0.0.1 talent1.apps.local.openedx.io",
                "127.0.0.1 studio.talent1.local.openedx.io",
            ],
        })
    );
    let tenant = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/talent1"))
        .await;
    assert_eq!(tenant.json["display_name"], "Talent 1 Learning");
    assert_eq!(tenant.json["theme_name"], "indigo");
    assert_eq!(tenant.json["org_filter"], json!([]));
    assert_eq!(tenant.json["primary_domain"], "talent1.local.openedx.io");

    // As seed 000's Python: requests.post(url, auth=(…), json={… 'org_filter': ['org1']}).
    let python = app
        .send_json(
            app.operator(Method::POST, CREATE),
            &json!({"tenant_name": "talent2", "platform_name": "Talent 2",
                    "theme_name": "indigo", "org_filter": ["org1"]}),
        )
        .await;
    assert_eq!(python.status, StatusCode::CREATED, "{}", python.text);
    assert_eq!(python.json["tenant_id"], 2);
    assert_eq!(
        python.json["hosts_entries"][2],
        "127.0.0.1 studio.talent2.local.openedx.io"
    );
}

async fn a_form_create_reads_repeated_org_filters(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let mut response = app
        .operator(Method::POST, CREATE)
        .send_form(&[
            ("tenant_name", "talent1"),
            ("platform_name", "Talent 1 Learning"),
            ("theme_name", "indigo"),
            ("org_filter", "org1"),
            ("org_filter", "org2"),
        ])
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = serde_json::from_slice(&response.body().await.unwrap()).unwrap();
    assert_eq!(body["tenant_name"], "talent1");
    assert_eq!(
        body["message"],
        "Tenant created successfully. Add DNS entries to your hosts file."
    );
    let listed = app.send(app.operator(Method::GET, LIST)).await;
    assert_eq!(
        listed.json["tenants"][0]["org_filter"],
        json!(["org1", "org2"])
    );
    assert_eq!(
        listed.json["tenants"][0]["platform_name"],
        "Talent 1 Learning"
    );

    let mut invalid = app
        .operator(Method::POST, CREATE)
        .send_form(&[("tenant_name", "Talent 2"), ("platform_name", "x")])
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_slice(&invalid.body().await.unwrap()).unwrap();
    assert_eq!(
        body,
        error("tenant_name: tenant name must start with a lowercase letter")
    );
}

async fn list_answers_every_live_tenant_to_basic_tokens_and_jwts(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let empty = app.send(app.operator(Method::GET, LIST)).await;
    assert_eq!(
        empty.json,
        json!({"status": "success", "count": 0, "tenants": []})
    );
    create_seed_tenant(&app).await;
    app.create_tenant(json!({"name": "plain", "display_name": "Plain"}))
        .await;
    app.create_tenant(json!({"name": "gone", "display_name": "Gone"}))
        .await;
    app.send(app.operator(Method::POST, "/api/v1/admin/tenants/plain/suspend"))
        .await;
    app.send(app.operator(Method::DELETE, "/api/v1/admin/tenants/gone"))
        .await;
    let expected = json!({
        "status": "success",
        "count": 2,
        "tenants": [
            {
                "tenant_id": 1,
                "tenant_name": "talent1",
                "platform_name": "Talent 1 Learning",
                "theme_name": "indigo",
                "org_filter": ["org1"],
                "lms_url": "http://talent1.local.openedx.io:8000",
                "authn_url": "http://talent1.apps.local.openedx.io:1999/authn",
                "learner_dashboard_url": "http://talent1.apps.local.openedx.io:1996/learner-dashboard/",
                "status": "active",
                "created_at": created_at(&app, "talent1").await,
            },
            {
                "tenant_id": 2,
                "tenant_name": "plain",
                "platform_name": "Plain",
                "theme_name": null,
                "org_filter": [],
                "lms_url": "http://plain.local.openedx.io:8000",
                "authn_url": "http://plain.apps.local.openedx.io:1999/authn",
                "learner_dashboard_url": "http://plain.apps.local.openedx.io:1996/learner-dashboard/",
                "status": "suspended",
                "created_at": created_at(&app, "plain").await,
            },
        ],
    });
    let basic = app.send(app.operator(Method::GET, LIST)).await;
    assert_eq!(basic.status, StatusCode::OK, "{}", basic.text);
    assert_eq!(basic.json, expected);
    let token = app.admin_token().await;
    let bearer = app.send(app.bearer(Method::GET, LIST, &token)).await;
    assert_eq!(bearer.json, expected);
    let token_scheme = app
        .send(
            app.client
                .get(app.url(LIST))
                .insert_header(("Authorization", format!("Token {token}"))),
        )
        .await;
    assert_eq!(token_scheme.json, expected);
    let jwt = jwt(&app).await;
    let by_jwt = app.send(app.bearer(Method::GET, LIST, &jwt)).await;
    assert_eq!(by_jwt.status, StatusCode::OK, "{}", by_jwt.text);
    assert_eq!(by_jwt.json, expected);
}

async fn delete_purges_the_tenant_and_frees_its_name(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    create_seed_tenant(&app).await;
    let path = "/api/tenant/v1/delete/talent1";
    let token = app.admin_token().await;
    // As seed 000: requests.delete(url, headers={'Authorization': 'Bearer YOUR_TOKEN'}).
    let deleted = app.send(app.bearer(Method::DELETE, path, &token)).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(
        deleted.json,
        json!({"status": "success", "message": "Tenant talent1 deleted successfully."})
    );
    let gone = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/talent1"))
        .await;
    assert_eq!(
        gone.status,
        StatusCode::NOT_FOUND,
        "purged, not soft-deleted"
    );
    let again = app.send(app.bearer(Method::DELETE, path, &token)).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.json, error("Tenant not found."));

    let recreated = create_seed_tenant(&app).await;
    assert_eq!(recreated.json["tenant_name"], "talent1", "the name is free");
    let jwt = jwt(&app).await;
    let by_jwt = app.send(app.bearer(Method::DELETE, path, &jwt)).await;
    assert_eq!(by_jwt.status, StatusCode::OK, "{}", by_jwt.text);

    app.create_tenant(json!({"name": "soft", "display_name": "Soft"}))
        .await;
    app.send(app.operator(Method::DELETE, "/api/v1/admin/tenants/soft"))
        .await;
    let soft = app
        .send(app.operator(Method::DELETE, "/api/tenant/v1/delete/soft"))
        .await;
    assert_eq!(
        soft.status,
        StatusCode::OK,
        "a soft-deleted tenant is purged too"
    );
    let listed = app.send(app.operator(Method::GET, LIST)).await;
    assert_eq!(listed.json["count"], 0);
}

async fn errors_have_the_dialects_shape(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let anonymous = app.get(LIST).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.header("www-authenticate"), Some("Basic"));
    let unauthorized = error("Authentication credentials were not provided or are invalid.");
    assert_eq!(anonymous.json, unauthorized);
    let wrong = app
        .send_json(
            app.client
                .post(app.url(CREATE))
                .basic_auth("admin", "wrong-password"),
            &seed_body(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json, unauthorized);
    let bad_token = app
        .send(app.bearer(Method::DELETE, "/api/tenant/v1/delete/x1", "nope"))
        .await;
    assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);

    create_seed_tenant(&app).await;
    let issued = app
        .send_json(
            app.operator(Method::POST, "/api/v1/admin/tenants/talent1/tokens"),
            &json!({}),
        )
        .await;
    let registration = issued.json["token"].as_str().unwrap();
    let forbidden = app.send(app.bearer(Method::GET, LIST, registration)).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(
        forbidden.json,
        error("You do not have permission to perform this action.")
    );

    let taken = post_create(&app, seed_body()).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.json, error("tenant_name is already taken"));
    let missing = post_create(&app, json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json,
        error("tenant_name: Field required; platform_name: Field required")
    );
    let invalid = post_create(
        &app,
        json!({"tenant_name": "1talent", "platform_name": "x"}),
    )
    .await;
    assert_eq!(
        invalid.json,
        error("tenant_name: tenant name must start with a lowercase letter")
    );
    let blank = post_create(
        &app,
        json!({"tenant_name": "talent3", "platform_name": "  "}),
    )
    .await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert_eq!(blank.json, error("platform_name: must not be blank"));
    let not_a_list = post_create(
        &app,
        json!({"tenant_name": "talent3", "platform_name": "x", "org_filter": "org1"}),
    )
    .await;
    assert_eq!(
        not_a_list.json,
        error("org_filter: Input should be a valid list")
    );
    let not_json = app
        .send(
            app.operator(Method::POST, CREATE)
                .insert_header(("Content-Type", "application/json")),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);

    let unknown = app
        .send(app.operator(Method::DELETE, "/api/tenant/v1/delete/nobody"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json, error("Tenant not found."));
    let not_a_name = app
        .send(app.operator(Method::DELETE, "/api/tenant/v1/delete/Not_A_Name"))
        .await;
    assert_eq!(not_a_name.status, StatusCode::NOT_FOUND);
    assert_eq!(not_a_name.json, error("Tenant not found."));

    let put = app.send(app.operator(Method::PUT, CREATE)).await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(put.json, error("Method not allowed."));
    let get_delete = app
        .send(app.operator(Method::GET, "/api/tenant/v1/delete/talent1"))
        .await;
    assert_eq!(get_delete.status, StatusCode::METHOD_NOT_ALLOWED);
    let post_list = app.send(app.operator(Method::POST, LIST)).await;
    assert_eq!(post_list.json, error("Method not allowed."));

    let text = app
        .send(
            app.operator(Method::POST, CREATE)
                .insert_header(("Content-Type", "text/plain")),
        )
        .await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        text.json,
        error("Send the body as application/json or application/x-www-form-urlencoded.")
    );
    let huge = "x".repeat(1024 * 1024 + 1);
    let too_large = post_create(&app, json!({"tenant_name": "big", "platform_name": huge})).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.json, error("Request body is too large."));
}

fn talent1_record(created_by: &str) -> Value {
    let mfe = |port: u16, path: &str| format!("http://talent1.apps.local.openedx.io:{port}{path}");
    json!({
        "external_key": "talent1.local.openedx.io",
        "lms_configs": {
            "EDNX_USE_SIGNAL": true,
            "LMS_BASE": "talent1.local.openedx.io:8000",
            "SITE_NAME": "talent1.local.openedx.io",
            "PLATFORM_NAME": "Talent 1 Learning",
            "THEME_NAME": "indigo",
            "BASE_URL": "http://talent1.apps.local.openedx.io",
            "LMS_BASE_URL": "http://talent1.local.openedx.io:8000",
            "LMS_ROOT_URL": "http://talent1.local.openedx.io:8000",
            "course_org_filter": ["org1"],
            "AUTHN_MICROFRONTEND_URL": mfe(1999, "/authn"),
            "LEARNER_HOME_MICROFRONTEND_URL": mfe(1996, "/learner-dashboard/"),
            "ACCOUNT_MICROFRONTEND_URL": mfe(1997, "/account/"),
            "PROFILE_MICROFRONTEND_URL": mfe(1995, "/profile/u/"),
            "LEARNING_MICROFRONTEND_URL": mfe(2000, "/learning"),
            "DISCUSSIONS_MICROFRONTEND_URL": mfe(2002, "/discussions"),
            "WRITABLE_GRADEBOOK_URL": mfe(1994, "/gradebook"),
            "COMMUNICATIONS_MICROFRONTEND_URL": mfe(1984, "/communications"),
            "ORA_GRADING_MICROFRONTEND_URL": mfe(1993, "/ora-grading"),
            "ADMIN_CONSOLE_MICROFRONTEND_URL": mfe(2025, "/admin-console"),
            "COURSE_AUTHORING_MICROFRONTEND_URL": mfe(2001, "/authoring"),
            "MFE_CONFIG": {
                "BASE_URL": "http://talent1.apps.local.openedx.io",
                "LMS_BASE_URL": "http://talent1.local.openedx.io:8000",
                "LOGIN_URL": "http://talent1.local.openedx.io:8000/login",
                "LOGOUT_URL": "http://talent1.local.openedx.io:8000/logout",
                "SITE_NAME": "Talent 1 Learning",
                "ACCOUNT_SETTINGS_URL": mfe(1997, "/account/"),
                "ACCOUNT_PROFILE_URL": mfe(1995, "/profile/u/"),
                "LEARNER_HOME_MICROFRONTEND_URL": mfe(1996, "/learner-dashboard/"),
                "STUDIO_BASE_URL": "http://studio.talent1.local.openedx.io:8001",
            },
        },
        "studio_configs": {
            "EDNX_USE_SIGNAL": true,
            "SITE_NAME": "studio.talent1.local.openedx.io",
            "PLATFORM_NAME": "Talent 1 Learning",
            "THEME_NAME": "indigo",
            "LMS_BASE": "talent1.local.openedx.io:8000",
            "LMS_ROOT_URL": "http://talent1.local.openedx.io:8000",
            "COURSE_AUTHORING_MICROFRONTEND_URL": mfe(2001, "/authoring"),
        },
        "theming_configs": {"THEME_NAME": "indigo"},
        "meta": {"created_by": created_by},
        "routes": ["talent1.local.openedx.io"],
    })
}

async fn the_eox_record_of_talent1_is_exact(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    create_seed_tenant(&app).await;
    for path in [
        "/api/v1/admin/tenants/talent1/eox-tenant",
        "/api/v1/admin/tenants/1/eox-tenant",
    ] {
        let record = app.send(app.operator(Method::GET, path)).await;
        assert_eq!(record.status, StatusCode::OK, "{}", record.text);
        assert_eq!(record.json, talent1_record("admin"));
    }
    let token = app.admin_token().await;
    let by_token = app
        .send_json(
            app.bearer(Method::POST, CREATE, &token),
            &json!({"tenant_name": "bytoken", "platform_name": "By Token"}),
        )
        .await;
    assert_eq!(by_token.status, StatusCode::CREATED, "{}", by_token.text);
    let record = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/bytoken/eox-tenant"))
        .await;
    assert_eq!(record.json["meta"], json!({"created_by": "token:1"}));
    assert_eq!(record.json["theming_configs"], json!({}));

    let missing = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/nobody/eox-tenant"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json, json!({"detail": "Tenant not found"}));
    let anonymous = app.get("/api/v1/admin/tenants/talent1/eox-tenant").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let openapi = app.get("/openapi.json").await;
    assert!(
        openapi.json["paths"]["/api/v1/admin/tenants/{tenant_id}/eox-tenant"]["get"].is_object()
    );
    assert!(openapi.json["components"]["schemas"]["EoxTenantRecord"].is_object());
}

async fn every_step_is_in_the_audit_log(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let created = app
        .send_json(
            app.operator(Method::POST, CREATE)
                .insert_header(("X-Request-Id", "req-create")),
            &seed_body(),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let taken = app
        .send_json(app.operator(Method::POST, CREATE), &seed_body())
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let invalid = app
        .send_json(
            app.operator(Method::POST, CREATE),
            &json!({"tenant_name": "talent1"}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    let deleted = app
        .send(app.operator(Method::DELETE, "/api/tenant/v1/delete/talent1"))
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    let missing = app
        .send(app.operator(Method::DELETE, "/api/tenant/v1/delete/talent1"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let log = app
        .send(app.operator(Method::GET, "/api/v1/admin/audit?per_page=100"))
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    let steps: Vec<(String, String, Value)> = log.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["action"] != "operator.create" && event["action"] != "token.create")
        .map(|event| {
            (
                event["action"].as_str().unwrap().to_owned(),
                event["outcome"].as_str().unwrap().to_owned(),
                event["tenant_name"].clone(),
            )
        })
        .collect();
    let step = |action: &str, outcome: &str, tenant: Value| {
        (action.to_owned(), outcome.to_owned(), tenant)
    };
    assert_eq!(
        steps,
        [
            step("tenant.purge", "failure", json!("talent1")),
            step("tenant.purge", "success", json!("talent1")),
            step("tenant.create", "failure", Value::Null),
            step("tenant.create", "failure", json!("talent1")),
            step("tenant.create", "success", json!("talent1")),
        ],
        "newest first"
    );
    let items = log.json["items"].as_array().unwrap();
    let create = items
        .iter()
        .find(|event| event["request_id"] == "req-create")
        .unwrap();
    assert_eq!(create["actor"], "operator:admin");
    assert_eq!(create["action"], "tenant.create");
    assert_eq!(
        create["details"]["after"]["display_name"],
        "Talent 1 Learning"
    );
    let refused = items
        .iter()
        .find(|event| event["action"] == "tenant.create" && event["tenant_name"].is_null())
        .unwrap();
    assert_eq!(
        refused["details"]["error"],
        json!([{"loc": ["body", "platform_name"], "msg": "Field required", "type": "missing"}])
            .to_string(),
        "{refused}"
    );
}
