//! Password-guessing limits (per account and source, reserved before argon2 runs), which
//! never refuse a valid token or JWT; client addresses behind trusted proxies; JWTs of
//! changed or deleted operators. The limiter's clock stands still unless a test moves it.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use futures_util::future::join_all;
use serde_json::json;
use tenantry_e2e::{ADMIN_PASSWORD, Reply, TestApp, TestDatabase, on_both_backends};
use tenantry_http::{ManualClock, TrustedProxies};

on_both_backends!(
    concurrent_wrong_passwords_verify_at_most_the_budget,
    a_password_flood_never_refuses_valid_tokens_or_jwts,
    wrong_tokens_have_their_own_budget,
    forwarded_addresses_count_only_from_trusted_proxies,
    forwarding_headers_are_ignored_without_trusted_proxies,
    jwts_of_a_changed_or_deleted_operator_are_refused,
);

const PATH: &str = "/api/v1/admin/tenants/";

/// An app whose limiter clock stands still, and that clock.
async fn app_with_stopped_clock(
    database: TestDatabase,
    trusted_proxies: &str,
) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let limiter_clock = Arc::clone(&clock);
    let proxies = TrustedProxies::parse(trusted_proxies).unwrap();
    let app = TestApp::spawn_with(database, move |config| {
        config.monotonic_clock = limiter_clock;
        config.trusted_proxies = proxies;
    })
    .await;
    (app, clock)
}

fn basic(app: &TestApp, user: &str, password: &str) -> awc::ClientRequest {
    app.client.get(app.url(PATH)).basic_auth(user, password)
}

/// Sends `(user, password)` Basic logins all at once, each on its own connection of a
/// fresh client (no idle pooled connection the server may have closed), with a timeout
/// long enough for a slow machine's argon2.
async fn flood(app: &TestApp, logins: Vec<(String, String)>) -> Vec<Reply> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(300))
        .connector(
            awc::Connector::new()
                .limit(logins.len())
                .timeout(Duration::from_secs(60)),
        )
        .finish();
    let requests = logins.iter().map(|(user, password)| {
        app.send(
            client
                .get(app.url(PATH))
                .basic_auth(user.as_str(), password.as_str()),
        )
    });
    join_all(requests).await
}

fn statuses(replies: &[Reply]) -> (usize, usize) {
    let unauthorized = replies
        .iter()
        .filter(|reply| reply.status == StatusCode::UNAUTHORIZED)
        .count();
    let limited = replies
        .iter()
        .filter(|reply| reply.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    (unauthorized, limited)
}

/// How many failed logins the audit log holds.
async fn audited_failures(app: &TestApp, token: &str) -> serde_json::Value {
    let audit = app
        .send(app.bearer(
            Method::GET,
            "/api/v1/admin/audit?action=auth.login_failed&per_page=100",
            token,
        ))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    audit.json
}

async fn jwt(app: &TestApp, user: &str, password: &str) -> String {
    let reply = app
        .send_json(
            app.client.post(app.url("/oauth/token")),
            &json!({"grant_type": "password", "username": user, "password": password}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["access_token"].as_str().unwrap().to_owned()
}

async fn concurrent_wrong_passwords_verify_at_most_the_budget(database: TestDatabase) {
    let (app, _clock) = app_with_stopped_clock(database, "").await;
    let token = app.admin_token().await;
    // One account: its budget of 10 per source. Every 401 is one argon2 verification
    // (and one audit event); a 429 ran none.
    let guesses = (0..48)
        .map(|i| ("admin".to_owned(), format!("guess-{i}")))
        .collect();
    let replies = flood(&app, guesses).await;
    assert_eq!(statuses(&replies), (10, 38));
    let limited = replies
        .iter()
        .find(|reply| reply.status == StatusCode::TOO_MANY_REQUESTS)
        .unwrap();
    assert_eq!(limited.header("retry-after"), Some("6"));
    assert_eq!(audited_failures(&app, &token).await["total"], 10);

    // Many accounts from one source: the source's budget of 50, of which 10 are spent.
    let sprayed = (0..64)
        .map(|i| (format!("user{i}"), "guess".to_owned()))
        .collect();
    let replies = flood(&app, sprayed).await;
    assert_eq!(statuses(&replies), (40, 24));
    assert_eq!(audited_failures(&app, &token).await["total"], 50);
}

async fn a_password_flood_never_refuses_valid_tokens_or_jwts(database: TestDatabase) {
    let (app, clock) = app_with_stopped_clock(database, "").await;
    let token = app.admin_token().await;
    let session = jwt(&app, "admin", ADMIN_PASSWORD).await;
    create_operator(&app, "ops", "ops-password-123").await;
    for i in 0..60 {
        let reply = app.send(basic(&app, "admin", &format!("guess-{i}"))).await;
        let expected = if i < 10 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(reply.status, expected, "guess {i}");
    }
    let by_token = app.send(app.bearer(Method::GET, PATH, &token)).await;
    assert_eq!(by_token.status, StatusCode::OK, "{}", by_token.text);
    let by_jwt = app.send(app.bearer(Method::GET, PATH, &session)).await;
    assert_eq!(by_jwt.status, StatusCode::OK, "{}", by_jwt.text);
    let other_operator = app.send(basic(&app, "ops", "ops-password-123")).await;
    assert_eq!(
        other_operator.status,
        StatusCode::OK,
        "another account's budget"
    );
    let guessed_account = app.send(basic(&app, "admin", ADMIN_PASSWORD)).await;
    assert_eq!(guessed_account.status, StatusCode::TOO_MANY_REQUESTS);
    let by_oauth = app
        .send_json(
            app.client.post(app.url("/oauth/token")),
            &json!({"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(by_oauth.status, StatusCode::TOO_MANY_REQUESTS, "one budget");

    // Deterministic refill: nothing comes back until the clock moves, one every 6 s.
    clock.advance(Duration::from_millis(5_999));
    let early = app.send(basic(&app, "admin", ADMIN_PASSWORD)).await;
    assert_eq!(early.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(early.header("retry-after"), Some("1"));
    clock.advance(Duration::from_millis(1));
    let back = app.send(basic(&app, "admin", ADMIN_PASSWORD)).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    // ... and the success gave its reservation back: still one attempt left.
    let again = app.send(basic(&app, "admin", ADMIN_PASSWORD)).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
}

async fn wrong_tokens_have_their_own_budget(database: TestDatabase) {
    let (app, _clock) = app_with_stopped_clock(database, "").await;
    let token = app.admin_token().await;
    for i in 0..50 {
        let garbage = if i % 2 == 0 { "not-a-token" } else { "a.b.c" };
        let reply = app.send(app.bearer(Method::GET, PATH, garbage)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let limited = app.send(app.bearer(Method::GET, PATH, "not-a-token")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let valid = app.send(app.bearer(Method::GET, PATH, &token)).await;
    assert_eq!(valid.status, StatusCode::OK, "{}", valid.text);
    let password = app.send(app.operator(Method::GET, PATH)).await;
    assert_eq!(
        password.status,
        StatusCode::OK,
        "passwords have their own budget"
    );
    assert_eq!(audited_failures(&app, &token).await["total"], 50);
}

async fn forwarded_addresses_count_only_from_trusted_proxies(database: TestDatabase) {
    let (app, _clock) = app_with_stopped_clock(database, "127.0.0.1, 10.0.0.0/8").await;
    let token = app.admin_token().await;
    let from = |client: &str, password: &str| {
        basic(&app, "admin", password).insert_header(("X-Forwarded-For", client.to_owned()))
    };
    for _ in 0..10 {
        let reply = app.send(from("203.0.113.9, 198.51.100.7", "guess")).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let same_client = app.send(from("198.51.100.7", ADMIN_PASSWORD)).await;
    assert_eq!(same_client.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is not locked out, nor the proxy itself.
    let other_client = app
        .send(from("198.51.100.8, 10.1.2.3", ADMIN_PASSWORD))
        .await;
    assert_eq!(other_client.status, StatusCode::OK, "{}", other_client.text);
    let forwarded = app
        .send(
            basic(&app, "admin", ADMIN_PASSWORD)
                .insert_header(("Forwarded", "for=\"[2001:db8::1]:4711\";proto=https")),
        )
        .await;
    assert_eq!(forwarded.status, StatusCode::OK, "{}", forwarded.text);
    let direct = app.send(app.operator(Method::GET, PATH)).await;
    assert_eq!(direct.status, StatusCode::OK, "{}", direct.text);

    let audit = audited_failures(&app, &token).await;
    assert_eq!(audit["total"], 10);
    assert_eq!(audit["items"][0]["source"], "198.51.100.7");
    let changed = app
        .send_json(
            app.operator(Method::POST, "/api/v1/admin/tokens")
                .insert_header(("X-Forwarded-For", "198.51.100.99")),
            &json!({"label": "proxied"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::CREATED, "{}", changed.text);
    let created = app
        .send(app.bearer(
            Method::GET,
            "/api/v1/admin/audit?action=token.create&per_page=1",
            &token,
        ))
        .await;
    assert_eq!(created.json["items"][0]["source"], "198.51.100.99");
}

async fn forwarding_headers_are_ignored_without_trusted_proxies(database: TestDatabase) {
    let (app, _clock) = app_with_stopped_clock(database, "").await;
    let token = app.admin_token().await;
    for i in 0..10 {
        let reply = app
            .send(
                basic(&app, "admin", "guess")
                    .insert_header(("X-Forwarded-For", format!("198.51.100.{i}"))),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let spoofed = app
        .send(basic(&app, "admin", ADMIN_PASSWORD).insert_header(("X-Forwarded-For", "192.0.2.1")))
        .await;
    assert_eq!(spoofed.status, StatusCode::TOO_MANY_REQUESTS);
    let audit = audited_failures(&app, &token).await;
    assert_eq!(audit["items"][0]["source"], "127.0.0.1");
}

async fn jwts_of_a_changed_or_deleted_operator_are_refused(database: TestDatabase) {
    let (app, clock) = app_with_stopped_clock(database, "").await;
    let token = app.admin_token().await;
    create_operator(&app, "ops", "ops-password-123").await;
    let admin_session = jwt(&app, "admin", ADMIN_PASSWORD).await;
    let ops_session = jwt(&app, "ops", "ops-password-123").await;
    for session in [&admin_session, &ops_session] {
        let reply = app.send(app.bearer(Method::GET, PATH, session)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }

    // The password changes after the tokens were issued (a few seconds on, so that the
    // change does not fall into the tokens' own second, which `iat` cannot tell apart).
    app.behind_the_server(move |database| {
        let now = tenantry_tenant::Clock::now(&tenantry_tenant::SystemClock);
        let context = tenantry_tenant::RequestContext::system(now + chrono::Duration::seconds(5));
        tenantry::operators::set_password(database, &context, "admin", "a-brand-new-password")
            .unwrap();
        use diesel::prelude::*;
        use tenantry_store::AsDbConnection as _;
        use tenantry_store::schema::operators;
        let mut conn = database.conn().unwrap();
        let deleted = diesel::delete(operators::table.filter(operators::username.eq("ops")))
            .execute(conn.db_connection())
            .unwrap();
        assert_eq!(deleted, 1);
    })
    .await;
    // Accounts are read again once the credential staleness bound has passed.
    clock.advance(tenantry::config::CREDENTIAL_STALENESS);
    for (session, claimed) in [(&admin_session, "admin"), (&ops_session, "ops")] {
        let reply = app.send(app.bearer(Method::GET, PATH, session)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{claimed}: {}",
            reply.text
        );
        assert_eq!(reply.json, json!({"detail": "Not authenticated"}));
    }
    let audit = audited_failures(&app, &token).await;
    assert_eq!(audit["total"], 2);
    assert_eq!(
        audit["items"][0]["details"],
        json!({"scheme": "bearer", "claimed": "ops"})
    );
    assert_eq!(audit["items"][1]["details"]["claimed"], "admin");
    let new_password = app.send(basic(&app, "admin", "a-brand-new-password")).await;
    assert_eq!(new_password.status, StatusCode::OK, "{}", new_password.text);
}

async fn create_operator(app: &TestApp, name: &'static str, password: &'static str) {
    app.behind_the_server(move |database| {
        let now = tenantry_tenant::Clock::now(&tenantry_tenant::SystemClock);
        let context = tenantry_tenant::RequestContext::system(now);
        tenantry::operators::create_operator(database, &context, name, password).unwrap();
    })
    .await;
}
