//! Signed webhooks (issue 13) with a real HTTP receiver that checks every signature: each
//! event arrives once it happened, across a receiver outage and a tenantry restart; the
//! endpoints are managed over the admin API; private targets are refused by default.

use std::collections::BTreeSet;
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_e2e::receiver::{Received, Receiver, verify};
use tenantry_e2e::smtp::SmtpSink;
use tenantry_e2e::{Reply, TestApp, TestDatabase, on_both_backends};

on_both_backends!(
    every_event_arrives_signed_with_its_documented_body,
    an_outage_and_a_restart_lose_nothing_and_keep_the_webhook_id,
    endpoints_are_managed_and_their_secret_is_shown_once,
    a_rotated_secret_signs_beside_the_new_one,
    a_given_up_delivery_marks_the_endpoint_failing_until_redelivered,
    private_targets_are_refused_when_deliveries_resolve_them,
    filters_and_tenant_scopes_choose_the_events,
);

const WEBHOOKS: &str = "/api/v1/admin/webhooks";
const WAIT: Duration = Duration::from_secs(30);

/// A test app whose deliveries may reach the local receiver, retried quickly.
async fn app(database: TestDatabase, sink: Option<&SmtpSink>) -> TestApp {
    TestApp::spawn_with(database, |config| {
        config.webhooks_allow_private = true;
        config.webhook_retries = vec![Duration::from_millis(100); 3];
        config.webhook_poll_interval = Duration::from_millis(50);
        if let Some(sink) = sink {
            sink.configure(config);
            config.public_url = Some("http://tenantry.test".into());
        }
    })
    .await
}

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Reply {
    let request = app.operator(method, path);
    match body {
        Some(body) => app.send_json(request, &body).await,
        None => app.send(request).await,
    }
}

async fn ok(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let reply = call(app, method, path, body).await;
    assert!(
        reply.status.is_success(),
        "{path}: {} {}",
        reply.status,
        reply.text
    );
    reply.json
}

/// Registers an endpoint; returns its id and secret.
async fn register(app: &TestApp, body: Value) -> (i64, String) {
    let reply = call(app, Method::POST, WEBHOOKS, Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let id = reply.json["id"].as_i64().unwrap();
    (id, reply.json["secret"].as_str().unwrap().to_owned())
}

fn types(received: &[Received]) -> BTreeSet<String> {
    received
        .iter()
        .map(|request| {
            request.json()["type"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

async fn every_event_arrives_signed_with_its_documented_body(database: TestDatabase) {
    let receiver = Receiver::start();
    let sink = SmtpSink::start();
    let app = app(database, Some(&sink)).await;
    let (_, secret) = register(&app, json!({"url": receiver.url()})).await;

    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    let tenant = "/api/v1/admin/tenants/talent1";
    ok(
        &app,
        Method::PATCH,
        tenant,
        Some(json!({"display_name": "Talent 1"})),
    )
    .await;
    ok(
        &app,
        Method::POST,
        &format!("{tenant}/domains"),
        Some(json!({"host": "learn.example.com"})),
    )
    .await;
    ok(
        &app,
        Method::DELETE,
        &format!("{tenant}/domains/learn.example.com"),
        None,
    )
    .await;
    ok(&app, Method::POST, &format!("{tenant}/suspend"), None).await;
    ok(&app, Method::POST, &format!("{tenant}/unsuspend"), None).await;
    let token = ok(
        &app,
        Method::POST,
        &format!("{tenant}/tokens"),
        Some(json!({})),
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let registered = app
        .send_json(
            app.client
                .post(app.url("/tahoe/api/v2/registrations/"))
                .insert_header(("Authorization", format!("Token {token}"))),
            &json!({"username": "ada", "email": "ada@example.org", "name": "Ada",
                    "password": "correct-horse-9"}),
        )
        .await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.text);
    let email = sink.wait_for(1, WAIT).remove(0);
    let start = email.body.find("http://tenantry.test").unwrap() + "http://tenantry.test".len();
    let link: String = email.body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert_eq!(app.get(&link).await.status, StatusCode::OK);
    ok(&app, Method::DELETE, tenant, None).await;
    ok(&app, Method::POST, &format!("{tenant}/restore"), None).await;
    ok(&app, Method::DELETE, "/api/tenant/v1/delete/talent1", None).await;

    let all: BTreeSet<String> = [
        "tenant.created",
        "tenant.updated",
        "tenant.suspended",
        "tenant.unsuspended",
        "tenant.deleted",
        "tenant.restored",
        "tenant.purged",
        "domain.added",
        "domain.removed",
        "user.registered",
        "user.activated",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let received = receiver.wait_until(WAIT, |received| types(received).is_superset(&all));
    for request in &received {
        assert!(verify(request, &secret), "a bad signature: {request:#?}");
        let body = request.json();
        assert_eq!(request.header("webhook-id"), body["id"].as_str().unwrap());
        assert!(body["id"].as_str().unwrap().starts_with("msg_"));
        assert_eq!(request.header("content-type"), "application/json");
        assert_eq!(request.path, "/hook");
        let timestamp: i64 = request.header("webhook-timestamp").parse().unwrap();
        let happened =
            chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).unwrap();
        assert!(
            (timestamp - happened.timestamp()).abs() < 300,
            "signed at the attempt, soon after"
        );
        assert!(
            !request.body.contains("correct-horse-9"),
            "no secrets: {}",
            request.body
        );
        assert!(
            !request.body.contains("\"token\""),
            "no secrets: {}",
            request.body
        );
    }
    let ids: BTreeSet<&str> = received
        .iter()
        .map(|request| request.header("webhook-id"))
        .collect();
    assert_eq!(
        ids.len(),
        received.len(),
        "each event once, each with its own id"
    );

    let created = received
        .iter()
        .map(Received::json)
        .find(|body| body["type"] == "tenant.created")
        .unwrap();
    assert_eq!(
        created.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["data", "id", "timestamp", "type"]
    );
    assert_eq!(
        created["data"]["tenant"],
        json!({"id": 1, "name": "talent1"})
    );
    assert_eq!(created["data"]["actor"], "operator:admin");
    assert_eq!(
        created["data"]["details"]["after"]["display_name"],
        "Talent One"
    );
    let added = received
        .iter()
        .map(Received::json)
        .find(|body| body["type"] == "domain.added")
        .unwrap();
    assert_eq!(
        added,
        json!({
            "id": added["id"], "type": "domain.added", "timestamp": added["timestamp"],
            "data": {
                "tenant": {"id": 1, "name": "talent1"},
                "actor": "operator:admin",
                "details": {"domain": "learn.example.com", "primary": false},
            },
        })
    );
    assert!(added["timestamp"].as_str().unwrap().ends_with('Z'));
    let registered = received
        .iter()
        .map(Received::json)
        .find(|body| body["type"] == "user.registered")
        .unwrap();
    assert_eq!(registered["data"]["details"]["username"], "ada");
    assert_eq!(registered["data"]["details"]["email"], "ada@example.org");
    assert!(
        registered["data"]["actor"]
            .as_str()
            .unwrap()
            .starts_with("token:")
    );
    app.stop().await;
}

async fn deliveries(app: &TestApp, id: i64) -> Vec<Value> {
    ok(
        app,
        Method::GET,
        &format!("{WEBHOOKS}/{id}/deliveries"),
        None,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn an_outage_and_a_restart_lose_nothing_and_keep_the_webhook_id(database: TestDatabase) {
    let receiver = Receiver::start();
    receiver.answer(503);
    let app = TestApp::spawn_with(database, |config| {
        config.webhooks_allow_private = true;
        // Long enough that the restart below happens between two attempts.
        config.webhook_retries = vec![Duration::from_millis(300); 6];
        config.webhook_poll_interval = Duration::from_millis(50);
    })
    .await;
    let (id, secret) = register(
        &app,
        json!({"url": receiver.url(), "events": ["tenant.created"]}),
    )
    .await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    let refused = receiver.wait_until(WAIT, |received| !received.is_empty());
    let first_id = refused[0].header("webhook-id").to_owned();
    let pending = deliveries(&app, id).await;
    assert_eq!(
        pending[0]["last_error"], "HTTP 503: status 503",
        "{pending:?}"
    );

    // The receiver goes away entirely, and tenantry restarts meanwhile.
    receiver.stop();
    let database = app.stop_and_keep_database().await;
    let app = TestApp::spawn_with(database, |config| {
        config.webhooks_allow_private = true;
        config.webhook_retries = vec![Duration::from_millis(100); 6];
        config.webhook_poll_interval = Duration::from_millis(50);
    })
    .await;
    receiver.answer(200);
    receiver.restart();
    let delivered = loop {
        let all = deliveries(&app, id).await;
        if all[0]["status"] == "delivered" {
            break all;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    let received = receiver.received();
    assert!(
        received.len() >= 2,
        "refused first, accepted after the restart"
    );
    assert!(
        received
            .iter()
            .all(|request| request.header("webhook-id") == first_id)
    );
    assert!(received.iter().all(|request| verify(request, &secret)));
    assert_eq!(delivered.len(), 1, "one event, one delivery");
    assert_eq!(delivered[0]["event_id"], first_id.as_str());
    assert_eq!(delivered[0]["last_status_code"], 200);
    assert!(delivered[0]["attempts"].as_u64().unwrap() >= 2);
    assert_eq!(delivered[0]["next_attempt_at"], Value::Null);
    app.stop().await;
}

async fn endpoints_are_managed_and_their_secret_is_shown_once(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    let reply = call(
        &app,
        Method::POST,
        WEBHOOKS,
        Some(json!({"url": "https://hooks.example.com/in", "events": ["tenant.created", "user.registered"], "tenant": "talent1"})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let secret = reply.json["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 6 + 44,
        "{secret}"
    );
    let id = reply.json["id"].as_i64().unwrap();
    let mut expected = reply.json.clone();
    expected.as_object_mut().unwrap().remove("secret");
    assert_eq!(
        expected["events"],
        json!(["tenant.created", "user.registered"])
    );
    assert_eq!(expected["tenant_id"], 1);
    assert_eq!(expected["status"], "active");
    assert_eq!(expected["created_by"], "operator:admin");
    let shown = ok(&app, Method::GET, &format!("{WEBHOOKS}/{id}"), None).await;
    assert_eq!(shown, expected, "the secret is never shown again");
    let listed = ok(&app, Method::GET, WEBHOOKS, None).await;
    assert_eq!(listed, json!({"items": [expected]}));

    let patched = ok(
        &app,
        Method::PATCH,
        &format!("{WEBHOOKS}/{id}"),
        Some(json!({"events": null, "tenant": null, "enabled": false})),
    )
    .await;
    assert_eq!(
        (patched["events"].clone(), patched["tenant_id"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(patched["status"], "disabled");

    for (body, loc, message) in [
        (
            json!({"url": "ftp://x"}),
            json!(["body", "url"]),
            "the URL must start with https:// or http://",
        ),
        (
            json!({"url": "http://10.0.0.5/hook"}),
            json!(["body", "url"]),
            "10.0.0.5 is a private address: webhooks may not target loopback, private or link-local addresses unless TENANTRY_WEBHOOKS_ALLOW_PRIVATE is true",
        ),
        (
            json!({"url": "https://h.example.com", "events": ["tenant.create"]}),
            json!(["body", "events", 0]),
            "Input should be one of: tenant.created, tenant.updated, tenant.suspended, tenant.unsuspended, tenant.cancelled, tenant.deleted, tenant.restored, tenant.purged, domain.added, domain.removed, user.registered, user.activated",
        ),
        (
            json!({"url": "https://h.example.com", "events": []}),
            json!(["body", "events"]),
            "name at least one event type, or leave events out (or null) for all",
        ),
        (
            json!({"url": "https://h.example.com", "tenant": "nobody"}),
            json!(["body", "tenant"]),
            "no tenant is named nobody",
        ),
        (
            json!({"url": "https://h.example.com", "secret": "mine"}),
            json!(["body", "secret"]),
            "Extra inputs are not permitted",
        ),
    ] {
        let reply = call(&app, Method::POST, WEBHOOKS, Some(body.clone())).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.text
        );
        assert_eq!(
            reply.json["detail"][0]["loc"], loc,
            "{body}: {}",
            reply.text
        );
        assert_eq!(
            reply.json["detail"][0]["msg"], message,
            "{body}: {}",
            reply.text
        );
    }

    let reply = call(&app, Method::DELETE, &format!("{WEBHOOKS}/{id}"), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = call(&app, Method::GET, &format!("{WEBHOOKS}/{id}"), None).await;
    assert_eq!(
        (reply.status, reply.json.clone()),
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "Webhook not found"})
        )
    );
    let audit = ok(&app, Method::GET, "/api/v1/admin/audit?per_page=100", None).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["action"].as_str())
        .filter(|action| action.starts_with("webhook."))
        .collect();
    assert_eq!(
        actions,
        ["webhook.delete", "webhook.update", "webhook.create"]
    );
    assert!(
        !audit.to_string().contains(secret),
        "the secret is never audited"
    );
    app.stop().await;
}

async fn a_rotated_secret_signs_beside_the_new_one(database: TestDatabase) {
    let receiver = Receiver::start();
    let app = app(database, None).await;
    let (id, old) = register(&app, json!({"url": receiver.url()})).await;
    let rotated = ok(
        &app,
        Method::POST,
        &format!("{WEBHOOKS}/{id}/rotate-secret"),
        None,
    )
    .await;
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["previous_secret_expires_at"].is_string());
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    let received = receiver.wait_until(WAIT, |received| !received.is_empty());
    assert!(verify(&received[0], &new), "the new secret signs");
    assert!(
        verify(&received[0], &old),
        "the old one too, during the grace period"
    );
    assert_eq!(
        received[0].header("webhook-signature").split(' ').count(),
        2
    );
    assert!(
        !verify(&received[0], "whsec_c29tZXRoaW5nIGVsc2U="),
        "a wrong secret does not"
    );
    app.stop().await;
}

async fn a_given_up_delivery_marks_the_endpoint_failing_until_redelivered(database: TestDatabase) {
    let receiver = Receiver::start();
    receiver.answer(500);
    let app = app(database, None).await;
    let (id, secret) = register(&app, json!({"url": receiver.url()})).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    receiver.wait_until(WAIT, |received| received.len() >= 4);
    let given_up = loop {
        let all = deliveries(&app, id).await;
        if all[0]["status"] == "failed" {
            break all;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        given_up[0]["attempts"], 4,
        "the first attempt and three retries"
    );
    assert_eq!(given_up[0]["last_status_code"], 500);
    let endpoint = ok(&app, Method::GET, &format!("{WEBHOOKS}/{id}"), None).await;
    assert_eq!(endpoint["status"], "failing");
    assert!(endpoint["failing_since"].is_string());

    receiver.answer(200);
    let delivery = given_up[0]["id"].as_i64().unwrap();
    let reply = call(
        &app,
        Method::POST,
        &format!("{WEBHOOKS}/{id}/deliveries/{delivery}/redeliver"),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    assert_eq!(reply.json["status"], "pending");
    let received = receiver.wait_until(WAIT, |received| received.len() >= 5);
    assert!(verify(&received[4], &secret));
    assert_eq!(
        received[4].header("webhook-id"),
        received[0].header("webhook-id")
    );
    loop {
        let endpoint = ok(&app, Method::GET, &format!("{WEBHOOKS}/{id}"), None).await;
        if endpoint["status"] == "active" {
            assert_eq!(endpoint["failing_since"], Value::Null);
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let reply = call(
        &app,
        Method::POST,
        &format!("{WEBHOOKS}/{id}/deliveries/999/redeliver"),
        None,
    )
    .await;
    assert_eq!(
        (reply.status, reply.json),
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "Delivery not found"})
        )
    );
    app.stop().await;
}

async fn private_targets_are_refused_when_deliveries_resolve_them(database: TestDatabase) {
    let receiver = Receiver::start();
    let app = TestApp::spawn_with(database, |config| {
        config.webhook_retries = vec![];
        config.webhook_poll_interval = Duration::from_millis(50);
    })
    .await;
    // A host name passes registration; its address is checked at delivery time.
    let url = format!("http://localhost:{}/hook", receiver.port);
    let (id, _) = register(&app, json!({"url": url})).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    let failed = loop {
        let all = deliveries(&app, id).await;
        if all
            .first()
            .is_some_and(|delivery| delivery["status"] == "failed")
        {
            break all;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    let error = failed[0]["last_error"].as_str().unwrap();
    assert!(
        error.starts_with("refused: localhost resolves to "),
        "{error}"
    );
    assert!(
        error.contains("a loopback address (TENANTRY_WEBHOOKS_ALLOW_PRIVATE=true allows it)"),
        "{error}"
    );
    assert_eq!(failed[0]["last_status_code"], Value::Null);
    assert!(receiver.received().is_empty(), "nothing was sent");
    app.stop().await;
}

async fn filters_and_tenant_scopes_choose_the_events(database: TestDatabase) {
    let everything = Receiver::start();
    let scoped = Receiver::start();
    let app = app(database, None).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    app.create_tenant(json!({"name": "talent2", "display_name": "Talent Two"}))
        .await;
    register(&app, json!({"url": everything.url()})).await;
    let (scoped_id, _) = register(
        &app,
        json!({"url": scoped.url(), "events": ["tenant.suspended"], "tenant": "talent1"}),
    )
    .await;
    for tenant in ["talent2", "talent1"] {
        ok(
            &app,
            Method::POST,
            &format!("/api/v1/admin/tenants/{tenant}/suspend"),
            None,
        )
        .await;
    }
    ok(
        &app,
        Method::POST,
        "/api/v1/admin/tenants/talent1/unsuspend",
        None,
    )
    .await;
    let all = everything.wait_until(WAIT, |received| received.len() >= 3);
    let names: Vec<(String, String)> = all
        .iter()
        .map(|request| {
            let body = request.json();
            (
                body["type"].as_str().unwrap().to_owned(),
                body["data"]["tenant"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(names.contains(&("tenant.suspended".into(), "talent2".into())));
    assert!(names.contains(&("tenant.unsuspended".into(), "talent1".into())));
    // Deliveries are queued with their change, so the scoped endpoint's list is final.
    let queued = deliveries(&app, scoped_id).await;
    assert_eq!(queued.len(), 1, "{queued:#?}");
    assert_eq!(queued[0]["event_type"], "tenant.suspended");
    let only = scoped.wait_until(WAIT, |received| !received.is_empty());
    assert_eq!(only[0].json()["type"], "tenant.suspended");
    assert_eq!(only[0].json()["data"]["tenant"]["name"], "talent1");
    app.stop().await;
}
