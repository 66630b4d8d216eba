//! The canonical tenant API: create, read, list, patch, lifecycle, soft delete.

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry_e2e::{TestApp, TestDatabase, on_both_backends};

on_both_backends!(
    a_created_tenant_has_the_documented_body,
    tenants_are_found_by_id_or_name_and_listed,
    search_treats_wildcards_as_literals,
    search_is_case_insensitive_over_all_of_unicode,
    a_deleted_tenants_name_says_how_to_get_it_back_and_takes_no_tokens,
    patch_merges_settings_and_validates_them,
    stale_if_match_is_refused_with_412,
    lifecycle_transitions_and_soft_delete,
    conflicts_name_the_field,
    malformed_bodies_are_client_errors,
    idempotency_keys_replay_the_first_response,
    sixteen_concurrent_creates_of_one_name_give_one_201,
    concurrent_writers_never_get_a_server_error,
    list_pages_follow_changes_here_at_once_and_elsewhere_within_the_bound,
);

fn mfe_urls(name: &str) -> Value {
    let mfe = |port: u16, path: &str| format!("http://{name}.apps.local.openedx.io:{port}/{path}");
    json!({
        "authn": mfe(1999, "authn"),
        "learner-dashboard": mfe(1996, "learner-dashboard/"),
        "account": mfe(1997, "account/"),
        "profile": mfe(1995, "profile/u/"),
        "learning": mfe(2000, "learning"),
        "discussions": mfe(2002, "discussions"),
        "gradebook": mfe(1994, "gradebook"),
        "communications": mfe(1984, "communications"),
        "ora-grading": mfe(1993, "ora-grading"),
        "admin-console": mfe(2025, "admin-console"),
        "authoring": mfe(2001, "authoring"),
    })
}

async fn a_created_tenant_has_the_documented_body(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let reply = app
        .send_json(
            app.operator(Method::POST, "/api/v1/admin/tenants/"),
            &json!({"name": "talent1", "display_name": "Talent One", "partner_id": "p1",
                    "metadata": {"epaper_frequency": "weekly"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.header("etag"), Some("\"1\""));
    let created_at = reply.json["created_at"].clone();
    assert_eq!(
        reply.json,
        json!({
            "id": 1,
            "name": "talent1",
            "display_name": "Talent One",
            "status": "active",
            "service_id": null,
            "partner_id": "p1",
            "plan_id": null,
            "modules": [],
            "theme_name": null,
            "org_filter": [],
            "admin_email": null,
            "metadata": {"epaper_frequency": "weekly"},
            "settings": {
                "mfa_required": false,
                "mfa_methods": [],
                "password_policy": {
                    "min_length": 8, "max_length": 128, "require_uppercase": false,
                    "require_lowercase": false, "require_digit": false, "require_symbol": false,
                },
                "session_timeout": 60,
            },
            "domains": [{"host": "talent1.local.openedx.io", "is_primary": true}],
            "primary_domain": "talent1.local.openedx.io",
            "lms_url": "http://talent1.local.openedx.io:8000",
            "mfe_urls": mfe_urls("talent1"),
            "created_at": created_at,
            "updated_at": created_at,
            "deleted_at": null,
            "version": 1,
        })
    );
}

async fn tenants_are_found_by_id_or_name_and_listed(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    for (name, partner) in [("alpha", "p1"), ("beta", "p2"), ("gamma", "p1")] {
        app.create_tenant(
            json!({"name": name, "display_name": name.to_uppercase(), "partner_id": partner}),
        )
        .await;
    }
    let by_id = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/2"))
        .await;
    assert_eq!(by_id.json["name"], "beta");
    let by_name = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/beta"))
        .await;
    assert_eq!(by_name.json, by_id.json);
    let missing = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/nobody"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json, json!({"detail": "Tenant not found"}));

    let page = app
        .send(app.operator(
            Method::GET,
            "/api/v1/admin/tenants/?partner_id=p1&per_page=1&page=2",
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.json["total"], 2);
    assert_eq!(page.json["pages"], 2);
    assert_eq!(page.json["page"], 2);
    assert_eq!(page.json["per_page"], 1);
    assert_eq!(page.json["items"][0]["name"], "gamma");

    let bad = app
        .send(app.operator(
            Method::GET,
            "/api/v1/admin/tenants/?per_page=1000&status=sleeping",
        ))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let locs: Vec<Value> = bad.json["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| problem["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        vec![json!(["query", "per_page"]), json!(["query", "status"])]
    );
}

async fn search_treats_wildcards_as_literals(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "acme", "display_name": "ACME Learning",
                             "domains": ["learn.acme.example"]}))
        .await;
    app.create_tenant(json!({"name": "other", "display_name": "Other"}))
        .await;
    let search = |term: &str| {
        let path = format!("/api/v1/admin/tenants/?search={term}");
        app.send(app.operator(Method::GET, &path))
    };
    assert_eq!(search("%25").await.json["total"], 0, "% is a literal");
    assert_eq!(search("_").await.json["total"], 0, "_ is a literal");
    assert_eq!(
        search("learning").await.json["total"],
        1,
        "display name, any case"
    );
    assert_eq!(search("acme.EXAMPLE").await.json["total"], 1, "domains");
    assert_eq!(
        search("").await.json["total"],
        2,
        "empty search matches all"
    );
    let nul = search("a%00b").await;
    assert_eq!(nul.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nul.text);
    assert_eq!(nul.json["detail"][0]["loc"], json!(["query", "search"]));
}

async fn search_is_case_insensitive_over_all_of_unicode(database: TestDatabase) {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let app = TestApp::spawn(database).await;
    for (name, display_name) in [
        ("elan", "Élan Ärzte"),
        ("strasse", "Große Straße"),
        ("tokyo", "東京大学 オンライン"),
        ("athens", "ΟΔΟΣ Πανεπιστήμιο"),
    ] {
        app.create_tenant(json!({"name": name, "display_name": display_name}))
            .await;
    }
    for (term, expected) in [
        ("élan", json!(["elan"])),
        ("ÉLAN ÄRZTE", json!(["elan"])),
        ("ärz", json!(["elan"])),
        ("elan ä", json!([])),
        ("STRASSE", json!(["strasse"])),
        ("straße", json!(["strasse"])),
        ("京大", json!(["tokyo"])),
        ("大学 オン", json!(["tokyo"])),
        ("οδος", json!(["athens"])),
        ("ß", json!(["strasse"])),
    ] {
        let path = format!(
            "/api/v1/admin/tenants/?search={}",
            utf8_percent_encode(term, NON_ALPHANUMERIC)
        );
        let page = app.send(app.operator(Method::GET, &path)).await;
        assert_eq!(page.status, StatusCode::OK, "{term}: {}", page.text);
        let names: Vec<Value> = page.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tenant| tenant["name"].clone())
            .collect();
        assert_eq!(Value::from(names), expected, "search {term:?}");
        assert_eq!(page.json["total"], expected.as_array().unwrap().len());
    }
}

async fn a_deleted_tenants_name_says_how_to_get_it_back_and_takes_no_tokens(
    database: TestDatabase,
) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    let live_again = app
        .send_json(
            app.operator(Method::POST, "/api/v1/admin/tenants/"),
            &json!({"name": "talent1", "display_name": "Again"}),
        )
        .await;
    assert_eq!(live_again.status, StatusCode::CONFLICT);
    assert_eq!(live_again.json, json!({"detail": "name is already taken"}));

    let deleted = app
        .send(app.operator(Method::DELETE, "/api/v1/admin/tenants/talent1"))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = app
        .send_json(
            app.operator(Method::POST, "/api/v1/admin/tenants/"),
            &json!({"name": "talent1", "display_name": "Again"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(
        again.json,
        json!({"detail": "name talent1 belongs to a deleted tenant: restore it \
                          (POST /api/v1/admin/tenants/talent1/restore), or purge it to use \
                          the name again"})
    );
    let token = app
        .send_json(
            app.operator(Method::POST, "/api/v1/admin/tenants/talent1/tokens"),
            &json!({}),
        )
        .await;
    assert_eq!(token.status, StatusCode::CONFLICT, "{}", token.text);
    assert_eq!(
        token.json,
        json!({"detail": "not allowed while the tenant is deleted: a deleted tenant takes no \
                          registrations; restore it first"})
    );
}

async fn patch_merges_settings_and_validates_them(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent"}))
        .await;
    let path = "/api/v1/admin/tenants/talent1";
    let reply = app
        .send_json(
            app.operator(Method::PATCH, path),
            &json!({"settings": {"mfa_required": true, "mfa_methods": ["totp"],
                                 "password_policy": {"min_length": 12}}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.header("etag"), Some("\"2\""));
    let settings = &reply.json["settings"];
    assert_eq!(settings["mfa_required"], true);
    assert_eq!(settings["password_policy"]["min_length"], 12);
    assert_eq!(
        settings["password_policy"]["max_length"], 128,
        "other fields kept"
    );

    let invalid = app
        .send_json(
            app.operator(Method::PATCH, path),
            &json!({"settings": {"mfa_methods": ["pigeon"], "session_timeout": 0}}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    let locs: Vec<Value> = invalid.json["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| problem["loc"].clone())
        .collect();
    assert!(
        locs.contains(&json!(["body", "settings", "mfa_methods", 0])),
        "{locs:?}"
    );
    assert!(
        locs.contains(&json!(["body", "settings", "session_timeout"])),
        "{locs:?}"
    );
    let unchanged = app.send(app.operator(Method::GET, path)).await;
    assert_eq!(unchanged.json["version"], 2);
}

async fn stale_if_match_is_refused_with_412(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent"}))
        .await;
    let path = "/api/v1/admin/tenants/1";
    let first = app
        .send_json(
            app.operator(Method::PATCH, path)
                .insert_header(("If-Match", "\"1\"")),
            &json!({"display_name": "First"}),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let stale = app
        .send_json(
            app.operator(Method::PATCH, path)
                .insert_header(("If-Match", "\"1\"")),
            &json!({"display_name": "Second"}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        stale.json,
        json!({"detail": "the tenant has changed since version 1; it is now at version 2"})
    );
}

async fn lifecycle_transitions_and_soft_delete(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent"}))
        .await;
    let post = |action: &str| {
        let path = format!("/api/v1/admin/tenants/talent1/{action}");
        app.send(app.operator(Method::POST, &path))
    };
    let suspended = post("suspend").await;
    assert_eq!(suspended.json["status"], "suspended", "{}", suspended.text);
    let again = post("suspend").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert!(again.json["detail"].as_str().unwrap().contains("suspended"));
    assert_eq!(post("unsuspend").await.json["status"], "active");
    assert_eq!(post("restore").await.status, StatusCode::CONFLICT);

    let deleted = app
        .send(app.operator(Method::DELETE, "/api/v1/admin/tenants/talent1"))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.text, "");
    let listed = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/"))
        .await;
    assert_eq!(listed.json["total"], 0, "deleted tenants are hidden");
    let only_deleted = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/?status=deleted"))
        .await;
    assert_eq!(only_deleted.json["total"], 1);
    let tenant = &only_deleted.json["items"][0];
    assert_eq!(tenant["domains"], json!([]), "domains are released");
    assert!(tenant["deleted_at"].is_string());
    let restored = post("restore").await;
    assert_eq!(restored.json["status"], "active", "{}", restored.text);
    assert_eq!(restored.json["primary_domain"], "talent1.local.openedx.io");
}

async fn conflicts_name_the_field(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(
        json!({"name": "talent1", "display_name": "Talent", "service_id": "svc-1",
                             "domains": ["learn.example.com"]}),
    )
    .await;
    let app = &app;
    let create = |body: Value| async move {
        app.send_json(app.operator(Method::POST, "/api/v1/admin/tenants/"), &body)
            .await
    };
    let name = create(json!({"name": "talent1", "display_name": "Again"})).await;
    assert_eq!(name.status, StatusCode::CONFLICT);
    assert_eq!(name.json, json!({"detail": "name is already taken"}));
    let service = create(json!({"name": "t2", "display_name": "T", "service_id": "svc-1"})).await;
    assert_eq!(
        service.json,
        json!({"detail": "service_id is already taken"})
    );
    let domain =
        create(json!({"name": "t3", "display_name": "T", "domains": ["LEARN.example.com"]})).await;
    assert_eq!(domain.json, json!({"detail": "domain is already taken"}));
}

async fn malformed_bodies_are_client_errors(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let path = "/api/v1/admin/tenants/";
    let broken = app
        .send(
            app.operator(Method::POST, path)
                .insert_header(("content-type", "application/json")),
        )
        .await;
    assert_eq!(
        broken.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "empty body: fields missing"
    );
    let mut response = app
        .operator(Method::POST, path)
        .insert_header(("content-type", "application/json"))
        .send_body("{\"name\": ")
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = serde_json::from_slice(&response.body().await.unwrap()).unwrap();
    assert_eq!(body["detail"][0]["loc"], json!(["body"]));
    assert_eq!(body["detail"][0]["type"], "json_invalid");

    let array = app
        .send_json(app.operator(Method::POST, path), &json!([1, 2]))
        .await;
    assert_eq!(array.status, StatusCode::UNPROCESSABLE_ENTITY);
    let wrong_type = app
        .send_json(
            app.operator(Method::POST, path),
            &json!({"name": 5, "display_name": "x"}),
        )
        .await;
    assert_eq!(
        wrong_type.json,
        json!({"detail": [{"loc": ["body", "name"], "msg": "Input should be a valid string", "type": "string_type"}]})
    );
    let huge = "x".repeat(1024 * 1024 + 1);
    let too_large = app
        .send_json(app.operator(Method::POST, path), &json!({"name": huge}))
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    let form = app
        .send(
            app.operator(Method::POST, path)
                .insert_header(("content-type", "text/plain")),
        )
        .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

async fn idempotency_keys_replay_the_first_response(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let path = "/api/v1/admin/tenants/";
    let body = json!({"name": "talent1", "display_name": "Talent"});
    let keyed = || {
        app.operator(Method::POST, path)
            .insert_header(("Idempotency-Key", "k-1"))
    };
    let first = app.send_json(keyed(), &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let second = app.send_json(keyed(), &body).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.json, first.json);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    let other = app
        .send_json(
            keyed(),
            &json!({"name": "talent2", "display_name": "Talent"}),
        )
        .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.text
    );
    assert_eq!(
        other.json["detail"][0]["loc"],
        json!(["header", "Idempotency-Key"])
    );
    let listed = app.send(app.operator(Method::GET, path)).await;
    assert_eq!(listed.json["total"], 1);
}

async fn sixteen_concurrent_creates_of_one_name_give_one_201(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let body = json!({"name": "rush", "display_name": "Rush"});
    let requests =
        (0..16).map(|_| app.send_json(app.operator(Method::POST, "/api/v1/admin/tenants/"), &body));
    let replies = futures_util::future::join_all(requests).await;
    let mut statuses: Vec<u16> = replies.iter().map(|reply| reply.status.as_u16()).collect();
    statuses.sort_unstable();
    let mut expected = vec![201];
    expected.extend([409; 15]);
    assert_eq!(statuses, expected);
    for reply in replies
        .iter()
        .filter(|reply| reply.status == StatusCode::CONFLICT)
    {
        assert_eq!(reply.json, json!({"detail": "name is already taken"}));
    }
}

async fn concurrent_writers_never_get_a_server_error(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "busy", "display_name": "Busy"}))
        .await;
    let bodies: Vec<Value> = (0..8)
        .map(|index| json!({"metadata": {format!("key{index}"): index}}))
        .collect();
    let patches = bodies.iter().map(|body| {
        app.send_json(
            app.operator(Method::PATCH, "/api/v1/admin/tenants/busy"),
            body,
        )
    });
    let replies = futures_util::future::join_all(patches).await;
    for reply in &replies {
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "writers queue on the tenant: {}",
            reply.text
        );
    }
    let tenant = app
        .send(app.operator(Method::GET, "/api/v1/admin/tenants/busy"))
        .await;
    assert_eq!(tenant.json["version"], 9);
    assert_eq!(
        tenant.json["metadata"].as_object().unwrap().len(),
        8,
        "no change lost"
    );

    let suspends =
        (0..4).map(|_| app.send(app.operator(Method::POST, "/api/v1/admin/tenants/busy/suspend")));
    let mut statuses: Vec<u16> = futures_util::future::join_all(suspends)
        .await
        .iter()
        .map(|reply| reply.status.as_u16())
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 409, 409, 409]);
}

/// List pages are cached under the routing version: a change through this node is listed
/// at once, a change made by another node (here: straight in the database, bumping the
/// version as the store does) within the staleness bound (1 s).
async fn list_pages_follow_changes_here_at_once_and_elsewhere_within_the_bound(
    database: TestDatabase,
) {
    let app = TestApp::spawn(database).await;
    let list = || app.operator(Method::GET, "/api/v1/admin/tenants/");
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    assert_eq!(app.send(list()).await.json["total"], 1);
    app.create_tenant(json!({"name": "talent2", "display_name": "Talent Two"}))
        .await;
    assert_eq!(
        app.send(list()).await.json["total"],
        2,
        "this node's change, at once"
    );

    app.behind_the_server(move |database| {
        use diesel::prelude::*;
        use tenantry_store::AsDbConnection as _;
        use tenantry_store::schema::{routing_state, tenants};
        let mut conn = database.conn().unwrap();
        diesel::update(tenants::table.filter(tenants::name.eq("talent1")))
            .set(tenants::display_name.eq("Renamed Elsewhere"))
            .execute(conn.db_connection())
            .unwrap();
        diesel::update(routing_state::table)
            .set(routing_state::version.eq(routing_state::version + 1))
            .execute(conn.db_connection())
            .unwrap();
    })
    .await;
    let mut seen = false;
    for _ in 0..100 {
        let page = app.send(list()).await.json;
        if page["items"][0]["display_name"] == "Renamed Elsewhere" {
            seen = true;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(seen, "another node's change is listed within the bound");
}
