//! Authentication and authorisation of the canonical API: Basic, API tokens, JWTs,
//! tenant-scoped tokens, failed-login limits.

use std::sync::Arc;

use actix_web::http::{Method, StatusCode};
use serde_json::json;
use tenantry_e2e::{ADMIN_PASSWORD, TestApp, TestDatabase, on_both_backends};
use tenantry_http::ManualClock;

on_both_backends!(
    missing_or_wrong_credentials_get_401_with_a_challenge,
    api_tokens_are_shown_once_and_can_be_revoked,
    token_labels_with_control_characters_are_422,
    tenant_tokens_cannot_call_operator_endpoints,
    oauth_issues_jwts_for_operators,
    failed_logins_are_audited_and_rate_limited,
    a_changed_password_is_refused_within_the_staleness_bound_despite_the_cache,
    a_token_revoked_elsewhere_stops_working_within_the_staleness_bound,
);

async fn missing_or_wrong_credentials_get_401_with_a_challenge(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let path = "/api/v1/admin/tenants/";
    let anonymous = app.get(path).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.json, json!({"detail": "Not authenticated"}));
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    let wrong = app
        .send(
            app.client
                .get(app.url(path))
                .basic_auth("admin", "wrong-password"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let garbage = app.send(app.bearer(Method::GET, path, "not-a-token")).await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
    let forged = app.send(app.bearer(Method::GET, path, "a.b.c")).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let basic = app.send(app.operator(Method::GET, path)).await;
    assert_eq!(basic.status, StatusCode::OK);
}

async fn api_tokens_are_shown_once_and_can_be_revoked(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let created = app
        .send_json(
            app.operator(Method::POST, "/api/v1/admin/tokens"),
            &json!({"label": "ci"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.json["token"].as_str().unwrap().to_owned();
    assert_eq!(created.json["scope"], "admin");
    assert_eq!(created.json["tenant_id"], json!(null));
    assert_eq!(created.json["label"], "ci");
    assert_eq!(created.json["created_by"], "admin");

    let path = "/api/v1/admin/tenants/";
    let bearer = app.send(app.bearer(Method::GET, path, &secret)).await;
    assert_eq!(bearer.status, StatusCode::OK, "{}", bearer.text);
    let token_scheme = app
        .send(
            app.client
                .get(app.url(path))
                .insert_header(("Authorization", format!("Token {secret}"))),
        )
        .await;
    assert_eq!(token_scheme.status, StatusCode::OK);

    let listed = app
        .send(app.operator(Method::GET, "/api/v1/admin/tokens"))
        .await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 1);
    assert!(
        !listed.text.contains(&secret),
        "the secret is never shown again"
    );
    assert!(listed.json["items"][0].get("token").is_none());

    let id = created.json["id"].as_i64().unwrap();
    let revoked = app
        .send(app.operator(Method::DELETE, &format!("/api/v1/admin/tokens/{id}")))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let after = app.send(app.bearer(Method::GET, path, &secret)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    let unknown = app
        .send(app.operator(Method::DELETE, "/api/v1/admin/tokens/999"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json, json!({"detail": "Token not found"}));
}

async fn token_labels_with_control_characters_are_422(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent"}))
        .await;
    for path in [
        "/api/v1/admin/tokens",
        "/api/v1/admin/tenants/talent1/tokens",
    ] {
        for label in ["ci\u{0}", "ci\r\nforged: yes", "\u{1b}[31mci", "tab\there"] {
            let reply = app
                .send_json(app.operator(Method::POST, path), &json!({"label": label}))
                .await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path} {label:?}: {}",
                reply.text
            );
            assert_eq!(
                reply.json,
                json!({"detail": [{
                    "type": "value_error",
                    "loc": ["body", "label"],
                    "msg": "must not contain control characters",
                }]}),
                "{label:?}"
            );
        }
        let fine = app
            .send_json(
                app.operator(Method::POST, path),
                &json!({"label": "CI – déploiement ✓"}),
            )
            .await;
        assert_eq!(fine.status, StatusCode::CREATED, "{}", fine.text);
    }
    let listed = app
        .send(app.operator(Method::GET, "/api/v1/admin/tokens"))
        .await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 1);
}

async fn tenant_tokens_cannot_call_operator_endpoints(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent"}))
        .await;
    let created = app
        .send_json(
            app.operator(Method::POST, "/api/v1/admin/tenants/talent1/tokens"),
            &json!({}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json["scope"], "registration");
    assert_eq!(created.json["tenant_id"], 1);
    let secret = created.json["token"].as_str().unwrap();
    let refused = app
        .send(app.bearer(Method::GET, "/api/v1/admin/tenants/", secret))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json,
        json!({"detail": "Operator credentials required"})
    );
    let resolved = app
        .send(app.bearer(
            Method::GET,
            "/api/v1/resolve?host=talent1.local.openedx.io",
            secret,
        ))
        .await;
    assert_eq!(
        resolved.status,
        StatusCode::OK,
        "any valid token may resolve"
    );

    let listed = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/talent1/tokens"))
        .await;
    assert_eq!(listed.json["items"][0]["scope"], "registration");
    let id = created.json["id"].as_i64().unwrap();
    let wrong_tenant = app
        .send(app.operator(Method::DELETE, &format!("/api/v1/admin/tokens/{id}")))
        .await;
    assert_eq!(
        wrong_tenant.status,
        StatusCode::NOT_FOUND,
        "revoked through its tenant only"
    );
    let revoked = app
        .send(app.operator(
            Method::DELETE,
            &format!("/api/v1/admin/tenants/talent1/tokens/{id}"),
        ))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
}

async fn oauth_issues_jwts_for_operators(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let form = app
        .send(
            app.client
                .post(app.url("/oauth/token"))
                .insert_header(("content-type", "application/x-www-form-urlencoded")),
        )
        .await;
    assert_eq!(
        form.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        form.text
    );

    let mut response = app
        .client
        .post(app.url("/oauth/token"))
        .send_form(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ])
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = serde_json::from_slice(&response.body().await.unwrap()).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let jwt = body["access_token"].as_str().unwrap();
    assert_eq!(jwt.split('.').count(), 3);
    let listed = app
        .send(app.bearer(Method::GET, "/api/v1/admin/tenants/", jwt))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);

    let client_credentials = app
        .send_json(
            app.client
                .post(app.url("/oauth/token"))
                .basic_auth("admin", ADMIN_PASSWORD),
            &json!({"grant_type": "client_credentials"}),
        )
        .await;
    assert_eq!(
        client_credentials.status,
        StatusCode::OK,
        "{}",
        client_credentials.text
    );
    let wrong = app
        .send_json(
            app.client.post(app.url("/oauth/token")),
            &json!({"grant_type": "password", "username": "admin", "password": "nope"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let nul = app
        .send_json(
            app.client.post(app.url("/oauth/token")),
            &json!({"grant_type": "password", "username": "ad\u{0}min", "password": "x"}),
        )
        .await;
    assert_eq!(nul.status, StatusCode::UNAUTHORIZED, "{}", nul.text);
    let grant = app
        .send_json(
            app.client.post(app.url("/oauth/token")),
            &json!({"grant_type": "implicit"}),
        )
        .await;
    assert_eq!(
        grant.json["detail"][0]["loc"],
        json!(["body", "grant_type"])
    );
}

async fn failed_logins_are_audited_and_rate_limited(database: TestDatabase) {
    // The limiter's clock stands still, so no token comes back while argon2 runs, however
    // slow the machine.
    let clock = Arc::new(ManualClock::new());
    let limiter_clock = Arc::clone(&clock);
    let app = TestApp::spawn_with(database, move |config| {
        config.monotonic_clock = limiter_clock;
    })
    .await;
    let token = app.admin_token().await;
    let path = "/api/v1/admin/tenants/";
    for _ in 0..10 {
        let reply = app
            .send(
                app.client
                    .get(app.url(path))
                    .basic_auth("admin", "guess-password"),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let limited = app
        .send(
            app.client
                .get(app.url(path))
                .basic_auth("admin", ADMIN_PASSWORD),
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.header("retry-after"), Some("6"));
    // The limit counts password guesses: a token is not refused because of it.
    let audit = app
        .send(app.bearer(
            Method::GET,
            "/api/v1/admin/audit?action=auth.login_failed",
            &token,
        ))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    assert_eq!(audit.json["total"], 10);
    let event = &audit.json["items"][0];
    assert_eq!(event["outcome"], "failure");
    assert_eq!(event["actor"], "anonymous");
    assert_eq!(event["details"]["claimed"], "admin");
    assert_eq!(event["source"], "127.0.0.1");
    assert!(
        !audit.text.contains("guess-password"),
        "passwords never reach the log"
    );
    clock.advance(std::time::Duration::from_secs(6));
    let refilled = app.send(app.operator(Method::GET, path)).await;
    assert_eq!(refilled.status, StatusCode::OK, "{}", refilled.text);
}

/// A password changed behind the server's back (the CLI, another node) is refused once the
/// credential staleness bound has passed, although the pair is in the cache of verified
/// passwords (for 5 minutes).
async fn a_changed_password_is_refused_within_the_staleness_bound_despite_the_cache(
    database: TestDatabase,
) {
    let clock = Arc::new(ManualClock::new());
    let cache_clock = Arc::clone(&clock);
    let app = TestApp::spawn_with(database, move |config| {
        config.monotonic_clock = cache_clock;
    })
    .await;
    let path = "/api/v1/admin/tenants/";
    assert_eq!(
        app.send(app.operator(Method::GET, path)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.send(app.operator(Method::GET, path)).await.status,
        StatusCode::OK,
        "served from the cache of verified passwords"
    );
    app.behind_the_server(move |database| {
        let context = tenantry_tenant::RequestContext::system(tenantry_tenant::Clock::now(
            &tenantry_tenant::SystemClock,
        ));
        tenantry::operators::set_password(database, &context, "admin", "a-brand-new-password")
            .unwrap();
    })
    .await;
    clock.advance(tenantry::config::CREDENTIAL_STALENESS);
    let old = app.send(app.operator(Method::GET, path)).await;
    assert_eq!(
        old.status,
        StatusCode::UNAUTHORIZED,
        "the cached pair is forgotten"
    );
    let new = app
        .send(
            app.client
                .get(app.url(path))
                .basic_auth("admin", "a-brand-new-password"),
        )
        .await;
    assert_eq!(new.status, StatusCode::OK);
}

/// A token revoked behind the server's back (another node) stops working once the
/// credential staleness bound has passed; one revoked through this node stops at once
/// (`api_tokens_are_shown_once_and_can_be_revoked`).
async fn a_token_revoked_elsewhere_stops_working_within_the_staleness_bound(
    database: TestDatabase,
) {
    let clock = Arc::new(ManualClock::new());
    let cache_clock = Arc::clone(&clock);
    let app = TestApp::spawn_with(database, move |config| {
        config.monotonic_clock = cache_clock;
    })
    .await;
    let token = app.admin_token().await;
    let path = "/api/v1/admin/tenants/";
    let used = app.send(app.bearer(Method::GET, path, &token)).await;
    assert_eq!(used.status, StatusCode::OK);
    app.behind_the_server(move |database| {
        use diesel::prelude::*;
        use tenantry_store::AsDbConnection as _;
        use tenantry_store::schema::api_tokens;
        let mut conn = database.conn().unwrap();
        let revoked = diesel::update(api_tokens::table)
            .set(
                api_tokens::revoked_at
                    .eq(tenantry_tenant::Clock::now(&tenantry_tenant::SystemClock).naive_utc()),
            )
            .execute(conn.db_connection())
            .unwrap();
        assert!(revoked >= 1);
    })
    .await;
    clock.advance(tenantry::config::CREDENTIAL_STALENESS);
    let refused = app.send(app.bearer(Method::GET, path, &token)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
}
