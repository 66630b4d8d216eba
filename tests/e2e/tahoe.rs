//! The Tahoe registration dialect (seeds 001 and 004) over HTTP.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_e2e::{Reply, TestApp, TestDatabase, on_both_backends};

on_both_backends!(
    v1_and_v2_answer_with_their_user_id_keys,
    json_form_and_multipart_bodies_all_register,
    the_activation_decision_follows_the_table,
    taken_usernames_and_emails_are_409_before_validation,
    invalid_fields_are_400_naming_the_field,
    tokens_are_checked_as_drf_does,
    the_host_chooses_the_tenant,
    closed_tenants_refuse_registrations,
    other_methods_are_405_and_head_checks_credentials,
    each_token_may_register_60_times_a_minute,
    simultaneous_registrations_of_one_username_give_one_409,
);

const V1: &str = "/tahoe/api/v1/registrations/";
const V2: &str = "/tahoe/api/v2/registrations/";
const HOST: &str = "talent1.local.openedx.io";

/// A tenant `talent1` and a registration token for it.
async fn tenant_with_token(app: &TestApp, name: &str) -> String {
    app.create_tenant(json!({"name": name, "display_name": "Talent One"}))
        .await;
    let path = format!("/api/v1/admin/tenants/{name}/tokens");
    let reply = app
        .send_json(app.operator(Method::POST, &path), &json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json["token"].as_str().unwrap().to_owned()
}

fn register(app: &TestApp, path: &str, token: &str) -> awc::ClientRequest {
    app.client
        .post(app.url(path))
        .insert_header(("Authorization", format!("Token {token}")))
        .insert_header(("Host", HOST))
}

async fn post_json(app: &TestApp, path: &str, token: &str, body: Value) -> Reply {
    app.send_json(register(app, path, token), &body).await
}

async fn users(app: &TestApp, tenant: &str) -> Value {
    let path = format!("/api/v1/admin/tenants/{tenant}/users");
    app.send(app.operator(Method::GET, &path)).await.json
}

fn ada(username: &str) -> Value {
    json!({"username": username, "email": format!("{username}@example.org"), "name": "Ada Lovelace",
           "password": "correct-horse-9"})
}

async fn v1_and_v2_answer_with_their_user_id_keys(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let token = tenant_with_token(&app, "talent1").await;
    let v1 = post_json(&app, V1, &token, ada("ada_v1")).await;
    assert_eq!(v1.status, StatusCode::OK, "{}", v1.text);
    assert_eq!(
        v1.text, r#"{"user_id ":1}"#,
        "v1 keeps the trailing space of seed 001"
    );
    let v2 = post_json(&app, V2, &token, ada("ada_v2")).await;
    assert_eq!(v2.status, StatusCode::OK, "{}", v2.text);
    assert_eq!(v2.json, json!({"user_id": 2}));
    let listed = users(&app, "talent1").await;
    assert_eq!(listed["total"], 2);
    let user = &listed["items"][0];
    assert_eq!(user["username"], "ada_v1");
    assert_eq!(user["email"], "ada_v1@example.org");
    assert_eq!(user["name"], "Ada Lovelace");
    assert_eq!(user["has_password"], true);
    assert!(
        user.get("password_hash").is_none(),
        "hashes never leave the store"
    );
}

async fn json_form_and_multipart_bodies_all_register(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let token = tenant_with_token(&app, "talent1").await;
    let json = post_json(&app, V2, &token, ada("by_json")).await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.text);

    let mut form = register(&app, V2, &token)
        .send_form(&[
            ("username", "by_form"),
            ("email", "by_form@example.org"),
            ("name", "Form Person"),
            ("password", "correct-horse-9"),
            ("send_activation_email", "False"),
            ("title", "ignored"),
        ])
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let body: Value = serde_json::from_slice(&form.body().await.unwrap()).unwrap();
    assert_eq!(body, json!({"user_id": 2}));

    let boundary = "tenantry-boundary";
    let multipart: String = [
        ("username", "by_multipart"),
        ("email", "by_multipart@example.org"),
        ("name", "Multi Part"),
        ("password", "correct-horse-9"),
    ]
    .iter()
    .map(|(name, value)| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
    })
    .collect::<String>()
        + &format!("--{boundary}--\r\n");
    let mut response = register(&app, V2, &token)
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .send_body(multipart)
        .await
        .unwrap();
    let status = response.status();
    let body = response.body().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"user_id": 3})
    );
    assert_eq!(users(&app, "talent1").await["total"], 3);
}

async fn the_activation_decision_follows_the_table(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let token = tenant_with_token(&app, "talent1").await;
    let cases = [
        // (username, password given, send_activation_email, active afterwards)
        ("pw_default", true, None, false),
        ("pw_send_true", true, Some(json!(true)), false),
        ("pw_send_false", true, Some(json!(false)), true),
        ("pw_send_text_false", true, Some(json!("False")), true),
        ("nopw_default", false, None, false),
        ("nopw_send_false", false, Some(json!("false")), false),
    ];
    for (username, with_password, send, _) in &cases {
        let mut body = ada(username);
        if !with_password {
            body.as_object_mut().unwrap().remove("password");
        }
        if let Some(send) = send {
            body["send_activation_email"] = send.clone();
        }
        let reply = post_json(&app, V2, &token, body).await;
        assert_eq!(reply.status, StatusCode::OK, "{username}: {}", reply.text);
    }
    let listed = users(&app, "talent1").await;
    for (index, (username, with_password, _, active)) in cases.iter().enumerate() {
        let user = &listed["items"][index];
        assert_eq!(user["username"], *username);
        assert_eq!(user["is_active"], *active, "{username}");
        assert_eq!(
            user["has_password"], true,
            "{username}: a password is always set"
        );
        let _ = with_password;
    }
}

async fn taken_usernames_and_emails_are_409_before_validation(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let token = tenant_with_token(&app, "talent1").await;
    post_json(&app, V2, &token, ada("ada")).await;
    let username = json!({"username": "ada", "email": "other@example.org", "name": "A", "password": "correct-horse-9"});
    let email = json!({"username": "other", "email": "ADA@example.org", "name": "A", "password": "correct-horse-9"});
    let both =
        json!({"username": "ada", "email": "ada@example.org", "name": "<b>", "password": "x"});

    let reply = post_json(&app, V1, &token, username.clone()).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.json, json!({"user_message": "User already exists"}));

    let reply = post_json(&app, V2, &token, username).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(
        reply.json,
        json!({"user_message": "Username already exists", "invalid-params": ["username"]})
    );
    let reply = post_json(&app, V2, &token, email).await;
    assert_eq!(
        reply.json,
        json!({"user_message": "Email already exists", "invalid-params": ["email"]})
    );
    let reply = post_json(&app, V2, &token, both).await;
    assert_eq!(
        reply.status,
        StatusCode::CONFLICT,
        "409 wins over the invalid name"
    );
    assert_eq!(
        reply.json,
        json!({"user_message": "Both email and username already exist", "invalid-params": ["email", "username"]})
    );
}

async fn invalid_fields_are_400_naming_the_field(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let token = tenant_with_token(&app, "talent1").await;
    let cases = [
        (
            json!({"email": "a@example.org", "name": "A"}),
            "Invalid parameters on user creation: username",
        ),
        (
            json!({"username": "a", "email": "a@example.org", "name": "A"}),
            "Invalid parameters on user creation: username",
        ),
        (
            json!({"username": "has space", "email": "a@example.org", "name": "A"}),
            "Invalid parameters on user creation: username",
        ),
        (
            json!({"username": "ada", "email": "not-an-email", "name": "A"}),
            "Invalid parameters on user creation: email",
        ),
        (
            json!({"username": "ada", "email": "a@example.org", "name": "<script>"}),
            "Invalid parameters on user creation: name",
        ),
        (
            json!({"username": "ada", "email": "a@example.org", "name": "see http://x"}),
            "Invalid parameters on user creation: name",
        ),
        (
            json!({"username": "ada", "email": "a@example.org", "name": "A", "password": "short"}),
            "Invalid parameters on user creation: password",
        ),
        (
            json!({"username": "ada", "email": "a@example.org", "name": "A", "send_activation_email": "maybe"}),
            "maybe is not a valid value for \"send_activation_email\"",
        ),
        (
            json!({"username": "ada", "email": "a@example.org", "name": ["A"]}),
            "Invalid parameters on user creation: name",
        ),
        (
            json!({"username": "a\u{0}b", "email": "a@example.org", "name": "A"}),
            "Invalid parameters on user creation: username",
        ),
        (
            json!({"username": "ada", "email": "a@example.org", "name": "Ada\r\nBcc: eve@example.org"}),
            "Invalid parameters on user creation: name",
        ),
        (
            json!({"username": "ada", "email": "a@example.org", "name": "\u{1b}[2JAda"}),
            "Invalid parameters on user creation: name",
        ),
        (
            json!({"username": "ada", "email": "a@example.org", "name": "Ada\u{0}"}),
            "Invalid parameters on user creation: name",
        ),
        (
            json!({"username": "ada", "email": "a@example.org", "name": "A", "password": {"a": 1}}),
            "Invalid parameters on user creation: password",
        ),
    ];
    for (body, message) in cases {
        let reply = post_json(&app, V2, &token, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text
        );
        assert_eq!(reply.json, json!({"user_message": message}), "{body}");
    }
    let mut malformed = register(&app, V2, &token)
        .insert_header(("content-type", "application/json"))
        .send_body("{not json")
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let _ = malformed.body().await;
    assert_eq!(users(&app, "talent1").await["total"], 0);
}

async fn tokens_are_checked_as_drf_does(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let token = tenant_with_token(&app, "talent1").await;
    let anonymous = app
        .send_json(
            app.client.post(app.url(V2)).insert_header(("Host", HOST)),
            &ada("ada"),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::FORBIDDEN);
    assert_eq!(
        anonymous.json,
        json!({"detail": "Authentication credentials were not provided."})
    );
    let wrong = post_json(&app, V2, "not-a-real-token", ada("ada")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.json, json!({"detail": "Invalid token."}));
    let bearer = app
        .send_json(
            app.client
                .post(app.url(V2))
                .insert_header(("Host", HOST))
                .insert_header(("Authorization", format!("Bearer {token}"))),
            &ada("ada"),
        )
        .await;
    assert_eq!(bearer.status, StatusCode::OK, "{}", bearer.text);
}

async fn the_host_chooses_the_tenant(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let talent_token = tenant_with_token(&app, "talent1").await;
    tenant_with_token(&app, "other").await;
    let other_host = app
        .send_json(
            app.client
                .post(app.url(V2))
                .insert_header(("Host", "other.local.openedx.io:8000"))
                .insert_header(("Authorization", format!("Token {talent_token}"))),
            &ada("ada"),
        )
        .await;
    assert_eq!(
        other_host.status,
        StatusCode::FORBIDDEN,
        "{}",
        other_host.text
    );

    let unknown_host = app
        .send_json(
            app.client
                .post(app.url(V2))
                .insert_header(("Authorization", format!("Token {talent_token}"))),
            &ada("ada"),
        )
        .await;
    assert_eq!(
        unknown_host.status,
        StatusCode::OK,
        "the token's tenant: {}",
        unknown_host.text
    );
    assert_eq!(users(&app, "talent1").await["total"], 1);

    let operator_token = app.admin_token().await;
    let on_other = app
        .send_json(
            app.client
                .post(app.url(V2))
                .insert_header(("Host", "OTHER.local.openedx.io"))
                .insert_header(("Authorization", format!("Token {operator_token}"))),
            &ada("grace"),
        )
        .await;
    assert_eq!(on_other.status, StatusCode::OK, "{}", on_other.text);
    assert_eq!(users(&app, "other").await["items"][0]["username"], "grace");
}

async fn closed_tenants_refuse_registrations(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let token = tenant_with_token(&app, "talent1").await;
    app.send(app.operator(Method::POST, "/api/v1/admin/tenants/talent1/suspend"))
        .await;
    let reply = post_json(&app, V2, &token, ada("ada")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.json,
        json!({"user_message": "This site does not accept registrations: it is suspended"})
    );
}

async fn other_methods_are_405_and_head_checks_credentials(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let token = tenant_with_token(&app, "talent1").await;
    let get = app
        .send(
            app.client
                .get(app.url(V1))
                .insert_header(("Authorization", format!("Token {token}"))),
        )
        .await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.json, json!({"detail": "Method \"GET\" not allowed."}));
    let head = app
        .send(
            app.client
                .head(app.url(V2))
                .insert_header(("Host", HOST))
                .insert_header(("Authorization", format!("Token {token}"))),
        )
        .await;
    assert_eq!(head.status, StatusCode::OK);
    let anonymous_head = app.send(app.client.head(app.url(V2))).await;
    assert_eq!(anonymous_head.status, StatusCode::FORBIDDEN);
}

async fn each_token_may_register_60_times_a_minute(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let token = tenant_with_token(&app, "talent1").await;
    // A second node on the same database: the window is counted there, not per node.
    let mut config =
        tenantry::config::ServerConfig::new(app.database.url(), "127.0.0.1:0".parse().unwrap());
    config.http.workers = Some(1);
    config.deliver_emails = false;
    let other_node = tenantry::startup::build(config).await.unwrap();
    let other_address = format!("http://127.0.0.1:{}", other_node.port());
    let other_handle = other_node.handle();
    let (application, _worker) = other_node.into_parts();
    actix_web::rt::spawn(application.run_until_stopped());

    let invalid = json!({"username": "x"});
    let head = |address: &str| {
        app.client
            .head(format!("{address}{V2}"))
            .insert_header(("Host", HOST))
            .insert_header(("Authorization", format!("Token {token}")))
    };
    for attempt in 0..20 {
        let reply = post_json(&app, V2, &token, invalid.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "attempt {attempt}");
    }
    for attempt in 0..20 {
        let reply = app.send(head(&app.address)).await;
        assert_eq!(reply.status, StatusCode::OK, "HEAD {attempt} counts too");
    }
    for attempt in 0..20 {
        let reply = app
            .send_json(
                app.client
                    .post(format!("{other_address}{V2}"))
                    .insert_header(("Authorization", format!("Token {token}"))),
                &invalid,
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "other node, {attempt}"
        );
    }
    // The window holds 60 requests whatever their method or node: the 61st waits for the
    // first to leave it, within a minute.
    for limited in [
        post_json(&app, V2, &token, invalid.clone()).await,
        app.send(head(&other_address)).await,
    ] {
        assert_eq!(
            limited.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            limited.text
        );
        let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        if !limited.text.is_empty() {
            assert_eq!(
                limited.json,
                json!({"detail": format!("Request was throttled. Expected available in {wait} seconds.")})
            );
        }
    }
    let other_token = app.admin_token().await;
    let other = post_json(&app, V2, &other_token, ada("ada")).await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "another token has its own window"
    );
    other_handle.stop(true).await;
}

async fn simultaneous_registrations_of_one_username_give_one_409(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let token = tenant_with_token(&app, "talent1").await;
    let bodies: Vec<Value> = (0..4)
        .map(|index| {
            json!({"username": "racer", "email": format!("racer{index}@example.org"),
                   "name": "Racer", "password": "correct-horse-9"})
        })
        .collect();
    let requests = bodies
        .iter()
        .map(|body| app.send_json(register(&app, V2, &token), body));
    let replies = futures_util::future::join_all(requests).await;
    let mut statuses: Vec<u16> = replies.iter().map(|reply| reply.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        vec![200, 409, 409, 409],
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    for reply in replies
        .iter()
        .filter(|reply| reply.status == StatusCode::CONFLICT)
    {
        assert_eq!(
            reply.json,
            json!({"user_message": "Username already exists", "invalid-params": ["username"]})
        );
    }
}
