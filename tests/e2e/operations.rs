//! The operational endpoints: health, readiness, request ids, unknown routes.

use actix_web::http::StatusCode;
use serde_json::json;
use tenantry_e2e::{TestApp, TestDatabase, on_both_backends};

on_both_backends!(
    health_answers_ok,
    ready_answers_when_the_database_does,
    request_ids_are_echoed_or_generated,
    unknown_routes_and_methods_answer_json,
);

async fn health_answers_ok(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let reply = app.get("/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, json!({"status": "ok"}));
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

async fn ready_answers_when_the_database_does(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let reply = app.get("/ready").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, json!({"status": "ready"}));
}

async fn request_ids_are_echoed_or_generated(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let echoed = app
        .send(
            app.client
                .get(app.url("/health"))
                .insert_header(("X-Request-Id", "trace-42")),
        )
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("trace-42"));

    let first = app.get("/health").await;
    let second = app.get("/nowhere").await;
    let first_id = first.header("x-request-id").unwrap();
    let second_id = second.header("x-request-id").unwrap();
    assert_eq!(first_id.len(), 32);
    assert_ne!(
        first_id, second_id,
        "every request gets its own id, errors too"
    );
}

async fn unknown_routes_and_methods_answer_json(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let missing = app.get("/no/such/route").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json, json!({"detail": "Not Found"}));

    let wrong_method = app.send(app.client.post(app.url("/health"))).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.json, json!({"detail": "Method Not Allowed"}));
}

/// Dropping a PostgreSQL database under a running server makes `/ready` answer 503 with
/// a body that does not reveal the cause.
#[actix_web::test]
#[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
async fn ready_answers_503_when_the_database_is_gone() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let app = TestApp::spawn(database).await;
    assert_eq!(app.get("/ready").await.status, StatusCode::OK);
    app.database.drop_now();
    let reply = app.get("/ready").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.json, json!({"detail": "Service Unavailable"}));
    assert_eq!(
        app.get("/health").await.status,
        StatusCode::OK,
        "liveness is not readiness"
    );
}
