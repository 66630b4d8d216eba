//! The registration emails end to end: registered over the Tahoe API, delivered over SMTP to
//! an in-process sink, followed by "clicking" the link.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_e2e::smtp::SmtpSink;
use tenantry_e2e::{Reply, TestApp, TestDatabase, on_both_backends};

on_both_backends!(
    an_activation_link_activates_once,
    a_password_reset_link_sets_the_password,
    an_email_in_flight_for_a_purged_tenant_leaves_the_next_tenants_email_alone,
);

/// The path of the first link to this server in `body`.
fn link_path(body: &str, base: &str) -> String {
    let start = body.find(base).expect("the email has a link to tenantry");
    let link: String = body[start + base.len()..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    link
}

async fn app_with_sink(database: TestDatabase) -> (TestApp, SmtpSink, String) {
    app_with(database, SmtpSink::start()).await
}

async fn app_with(database: TestDatabase, sink: SmtpSink) -> (TestApp, SmtpSink, String) {
    let public = "http://tenantry.test";
    let app = TestApp::spawn_with(database, |config| {
        sink.configure(config);
        config.public_url = Some(public.to_owned());
    })
    .await;
    let token = tenant_with_token(&app, "talent1", "Talent One").await;
    (app, sink, token)
}

/// Creates a tenant and returns a registration token for it.
async fn tenant_with_token(app: &TestApp, name: &str, display_name: &str) -> String {
    app.create_tenant(json!({"name": name, "display_name": display_name}))
        .await;
    app.send_json(
        app.operator(
            Method::POST,
            &format!("/api/v1/admin/tenants/{name}/tokens"),
        ),
        &json!({}),
    )
    .await
    .json["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn register(app: &TestApp, token: &str, body: Value) -> Reply {
    app.send_json(
        app.client
            .post(app.url("/tahoe/api/v2/registrations/"))
            .insert_header(("Authorization", format!("Token {token}"))),
        &body,
    )
    .await
}

async fn user(app: &TestApp) -> Value {
    app.send(app.operator(Method::GET, "/api/v1/admin/tenants/talent1/users"))
        .await
        .json["items"][0]
        .clone()
}

async fn an_activation_link_activates_once(database: TestDatabase) {
    let (app, sink, token) = app_with_sink(database).await;
    let reply = register(
        &app,
        &token,
        json!({"username": "ada", "email": "ada@example.org", "name": "Ada", "password": "correct-horse-9"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(user(&app).await["is_active"], false);

    let messages = sink.wait_for(1, Duration::from_secs(10));
    let message = &messages[0];
    assert_eq!(message.to, vec!["ada@example.org".to_owned()]);
    assert!(
        message.subject().unwrap().contains("Talent One"),
        "{:?}",
        message.subject()
    );
    assert!(message.body.contains("Talent One"));
    let path = link_path(&message.body, "http://tenantry.test");
    assert!(path.starts_with("/activate/"), "{path}");

    let page = app.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text.contains("Your account is active"));
    let activated = user(&app).await;
    assert_eq!(activated["is_active"], true);
    assert!(activated["activated_at"].is_string());

    let again = app
        .send(
            app.client
                .get(app.url(&path))
                .insert_header(("Accept", "application/json")),
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert_eq!(again.json, json!({"detail": "This link was already used."}));
    let unknown = app.get("/activate/not-a-real-link").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let log = app
        .send(app.operator(
            Method::GET,
            "/api/v1/admin/audit?tenant=talent1&action=user.activate",
        ))
        .await;
    assert_eq!(log.json["total"], 1);
    assert!(
        !log.text.contains(&path["/activate/".len()..]),
        "link secrets stay out of the log"
    );
}

async fn a_password_reset_link_sets_the_password(database: TestDatabase) {
    let (app, sink, token) = app_with_sink(database).await;
    let reply = register(
        &app,
        &token,
        json!({"username": "grace", "email": "grace@example.org", "name": "Grace"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let messages = sink.wait_for(1, Duration::from_secs(10));
    let path = link_path(&messages[0].body, "http://tenantry.test");
    assert!(path.starts_with("/password-reset/"), "{path}");
    // The headers large providers ask for, and the link whole as sent (no soft break).
    assert!(
        messages[0].header("Message-ID").is_some(),
        "{}",
        messages[0].data
    );
    assert_eq!(messages[0].header("MIME-Version").as_deref(), Some("1.0"));
    assert!(
        messages[0]
            .data
            .contains(&format!("http://tenantry.test{path}")),
        "{}",
        messages[0].data
    );

    let form = app.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text.contains("<form method=\"post\">"),
        "{}",
        form.text
    );

    let weak = app
        .send_json(
            app.client.post(app.url(&path)),
            &json!({"password": "short"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST, "{}", weak.text);
    assert!(weak.json["detail"].as_str().unwrap().contains("password"));

    let mut set = app
        .client
        .post(app.url(&path))
        .send_form(&[("password", "a-much-better-passphrase")])
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let page = String::from_utf8(set.body().await.unwrap().to_vec()).unwrap();
    assert!(page.contains("Your password is set"), "{page}");
    let user = user(&app).await;
    assert_eq!(user["is_active"], true);

    let reused = app
        .send_json(
            app.client.post(app.url(&path)),
            &json!({"password": "another-good-passphrase"}),
        )
        .await;
    assert_eq!(reused.status, StatusCode::GONE);
}

/// Issue 10, defect 1: the worker was still sending the email of a tenant that was then
/// purged; on SQLite the next tenant and its email got the purged ones' ids, and marking
/// the first email delivered marked the new one, which was never sent.
async fn an_email_in_flight_for_a_purged_tenant_leaves_the_next_tenants_email_alone(
    database: TestDatabase,
) {
    let sink = SmtpSink::start_slow("slow", Duration::from_secs(2));
    let (app, sink, token) = app_with(database, sink).await;
    let reply = register(
        &app,
        &token,
        json!({"username": "slow", "email": "slow@example.org", "name": "Slow", "password": "correct-horse-9"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // The worker (polling every 100 ms) is now waiting for the slow recipient's server.
    tokio_sleep(Duration::from_millis(600)).await;
    let purged = app
        .send(app.operator(Method::DELETE, "/api/tenant/v1/delete/talent1"))
        .await;
    assert_eq!(purged.status, StatusCode::OK, "{}", purged.text);

    let next_token = tenant_with_token(&app, "talent2", "Talent Two").await;
    let reply = register(
        &app,
        &next_token,
        json!({"username": "bob", "email": "bob@example.org", "name": "Bob", "password": "correct-horse-9"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);

    let messages = sink.wait_for(2, Duration::from_secs(10));
    assert_eq!(messages[0].to, ["slow@example.org"]);
    assert_eq!(
        messages[1].to,
        ["bob@example.org"],
        "the next tenant's email is sent"
    );
    assert!(messages[1].subject().unwrap().contains("Talent Two"));
}

/// Waits without blocking the test's runtime (the app's server runs on it).
async fn tokio_sleep(duration: Duration) {
    actix_web::rt::time::sleep(duration).await;
}
