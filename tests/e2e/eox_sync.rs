//! The eox-tenant sync (issue 13) against a real MariaDB: tenants created and changed over
//! HTTP end in eox-tenant's tables as `get_configurations` reads them; rows tenantry did
//! not create are never touched; an outage and a restart delay the sync and lose nothing;
//! `tenantry eox-tenant sync` corrects drift and reports it.

use std::time::{Duration, Instant};

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use tenantry::eox_sync::{EoxSync, LmsUrl, write_report};
use tenantry_e2e::lms::LmsDatabase;
use tenantry_e2e::proxy::{Proxy, host_port};
use tenantry_e2e::{TestApp, TestDatabase};
use tenantry_tenant::SystemClock;
use tenantry_tenant::urls::UrlConfig;

/// Like `on_both_backends!`, for tests that also need the MariaDB server.
macro_rules! with_lms_on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            #[cfg_attr(not(tenantry_mysql), ignore = "TENANTRY_TEST_MYSQL_URL is unset")]
            async fn sqlite() {
                if let Some(lms) = tenantry_e2e::lms::LmsDatabase::create() {
                    super::$name(tenantry_e2e::TestDatabase::sqlite(), lms).await;
                }
            }

            #[actix_web::test]
            #[cfg_attr(
                any(not(tenantry_mysql), not(tenantry_postgres)),
                ignore = "TENANTRY_TEST_MYSQL_URL or TENANTRY_TEST_POSTGRES_URL is unset"
            )]
            async fn postgres() {
                if let (Some(database), Some(lms)) = (
                    tenantry_e2e::TestDatabase::postgres(),
                    tenantry_e2e::lms::LmsDatabase::create(),
                ) {
                    super::$name(database, lms).await;
                }
            }
        }
    )*};
}

with_lms_on_both_backends!(
    seed_000s_tenant_reaches_the_lms_and_follows_every_lifecycle_step,
    rows_tenantry_did_not_create_are_never_touched,
    an_lms_outage_and_a_restart_delay_the_sync_and_lose_nothing,
    the_sync_command_reports_and_corrects_drift,
);

const LMS_HOST: &str = "talent1.local.openedx.io";

async fn app_syncing_to(database: TestDatabase, lms_url: &str) -> TestApp {
    let url = LmsUrl::parse(lms_url).expect("a MySQL URL");
    TestApp::spawn_with(database, move |config| {
        config.eox_database_url = Some(url);
        config.eox_poll_interval = Duration::from_millis(50);
    })
    .await
}

/// Polls `check` until it gives a value; panics naming `what` after 60 s (the sync's
/// backoff after a few failures is several seconds).
async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn send(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let request = app.operator(method, path);
    let reply = match body {
        Some(body) => app.send_json(request, &body).await,
        None => app.send(request).await,
    };
    assert!(
        reply.status.is_success(),
        "{path}: {} {}",
        reply.status,
        reply.text
    );
    reply.json
}

async fn sync_state(app: &TestApp, tenant: &str) -> Value {
    send(
        app,
        Method::GET,
        &format!("/api/v1/admin/tenants/{tenant}/eox-tenant/sync"),
        None,
    )
    .await
}

async fn seed_000_create(app: &TestApp) {
    let body = json!({
        "tenant_name": "talent1",
        "platform_name": "Talent 1 Learning",
        "theme_name": "indigo",
        "org_filter": ["org1"],
    });
    let reply = app
        .send_json(app.operator(Method::POST, "/api/tenant/v1/create"), &body)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
}

async fn seed_000s_tenant_reaches_the_lms_and_follows_every_lifecycle_step(
    database: TestDatabase,
    lms: LmsDatabase,
) {
    let app = app_syncing_to(database, &lms.url()).await;
    seed_000_create(&app).await;
    let served = eventually("the LMS serves talent1", || lms.configurations(LMS_HOST)).await;
    let record = send(
        &app,
        Method::GET,
        "/api/v1/admin/tenants/talent1/eox-tenant",
        None,
    )
    .await;
    assert_eq!(served.external_key, LMS_HOST);
    assert_eq!(
        served.lms_configs, record["lms_configs"],
        "exactly the exported record"
    );
    assert_eq!(served.studio_configs, record["studio_configs"]);
    assert_eq!(served.theming_configs, json!({"THEME_NAME": "indigo"}));
    assert_eq!(served.meta, json!({"created_by": "admin"}));
    assert_eq!(served.lms_configs["PLATFORM_NAME"], "Talent 1 Learning");
    assert_eq!(served.lms_configs["course_org_filter"], json!(["org1"]));

    let path = "/api/v1/admin/tenants/talent1";
    send(
        &app,
        Method::PATCH,
        path,
        Some(json!({"display_name": "Talent One"})),
    )
    .await;
    eventually("the new platform name", || {
        lms.configurations(LMS_HOST)
            .filter(|served| served.lms_configs["PLATFORM_NAME"] == "Talent One")
    })
    .await;

    let domains = format!("{path}/domains");
    send(
        &app,
        Method::POST,
        &domains,
        Some(json!({"host": "learn.example.com"})),
    )
    .await;
    eventually("the added domain is routed", || {
        lms.configurations("learn.example.com")
    })
    .await;
    send(
        &app,
        Method::DELETE,
        &format!("{domains}/learn.example.com"),
        None,
    )
    .await;
    eventually("the removed domain is not", || {
        lms.configurations("learn.example.com")
            .is_none()
            .then_some(())
    })
    .await;

    send(&app, Method::POST, &format!("{path}/suspend"), None).await;
    eventually("a suspended tenant is not served", || {
        lms.configurations(LMS_HOST).is_none().then_some(())
    })
    .await;
    assert_eq!(lms.config_keys(), [LMS_HOST], "its configuration stays");
    assert_eq!(lms.routes(), Vec::<(String, String)>::new());
    send(&app, Method::POST, &format!("{path}/unsuspend"), None).await;
    eventually("unsuspended, it is served again", || {
        lms.configurations(LMS_HOST)
    })
    .await;

    send(&app, Method::DELETE, path, None).await;
    eventually("a deleted tenant leaves nothing", || {
        lms.config_keys().is_empty().then_some(())
    })
    .await;
    send(&app, Method::POST, &format!("{path}/restore"), None).await;
    eventually("restored, it is served again", || {
        lms.configurations(LMS_HOST)
    })
    .await;

    let state = eventually_in_sync(&app, "talent1").await;
    assert_eq!(state["enabled"], true);
    assert_eq!(state["attempts"], 0);
    assert_eq!(state["last_error"], Value::Null);
    let metrics = app.get("/metrics").await.text;
    assert!(metrics.contains("tenantry_eox_sync_pending 0"), "{metrics}");
    assert!(
        metrics.contains("tenantry_eox_sync_lag_seconds 0"),
        "{metrics}"
    );

    send(&app, Method::DELETE, "/api/tenant/v1/delete/talent1", None).await;
    eventually("a purged tenant leaves nothing", || {
        (lms.config_keys().is_empty() && lms.routes().is_empty()).then_some(())
    })
    .await;
    app.stop().await;
}

async fn eventually_in_sync(app: &TestApp, tenant: &str) -> Value {
    eventually_state(app, tenant, "in_sync").await
}

/// The tenant's sync state once it is `wanted`; panics after 60 s.
async fn eventually_state(app: &TestApp, tenant: &str, wanted: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = sync_state(app, tenant).await;
        if state["state"] == wanted {
            return state;
        }
        assert!(
            Instant::now() < deadline,
            "{tenant} never {wanted}: {state}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn rows_tenantry_did_not_create_are_never_touched(database: TestDatabase, lms: LmsDatabase) {
    lms.execute(
        "INSERT INTO eox_tenant_tenantconfig (external_key, lms_configs, studio_configs, \
         theming_configs, meta) VALUES ('legacy.example.com', '{\"SITE_NAME\":\"legacy\"}', \
         '{}', '{}', '{}')",
    );
    lms.execute(
        "INSERT INTO eox_tenant_route (domain, config_id) SELECT d.domain, c.id FROM \
         eox_tenant_tenantconfig c, (SELECT 'legacy.example.com' AS domain UNION ALL \
         SELECT 'shared.example.com') d WHERE c.external_key = 'legacy.example.com'",
    );
    let legacy_routes = lms.routes();
    let app = app_syncing_to(database, &lms.url()).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    app.create_tenant(json!({
        "name": "talent2", "display_name": "Talent Two",
        "domains": ["talent2.local.openedx.io", "shared.example.com"],
    }))
    .await;
    eventually_in_sync(&app, "talent1").await;
    let state = eventually_state(&app, "talent2", "failing").await;
    assert_eq!(
        state["last_error"],
        "eox_tenant_route already routes shared.example.com to a config not created by \
         tenantry (legacy.example.com): remove that route, and the sync takes over"
    );
    assert!(
        lms.configurations("talent2.local.openedx.io").is_none(),
        "all or nothing"
    );
    let mut expected = legacy_routes.clone();
    expected.push((LMS_HOST.to_owned(), LMS_HOST.to_owned()));
    expected.sort();
    assert_eq!(
        lms.routes(),
        expected,
        "the foreign routes are as they were"
    );

    lms.execute("DELETE FROM eox_tenant_route WHERE domain = 'shared.example.com'");
    eventually_in_sync(&app, "talent2").await;
    assert_eq!(
        lms.configurations("shared.example.com")
            .map(|served| served.external_key),
        Some("talent2.local.openedx.io".to_owned())
    );

    for tenant in ["talent1", "talent2"] {
        send(
            &app,
            Method::DELETE,
            &format!("/api/tenant/v1/delete/{tenant}"),
            None,
        )
        .await;
    }
    eventually("only the foreign rows are left", || {
        (lms.config_keys() == ["legacy.example.com"]).then_some(())
    })
    .await;
    assert_eq!(
        lms.routes(),
        [(
            "legacy.example.com".to_owned(),
            "legacy.example.com".to_owned()
        )]
    );
    assert_eq!(
        lms.configurations("legacy.example.com")
            .map(|served| served.lms_configs),
        Some(json!({"SITE_NAME": "legacy"}))
    );
    app.stop().await;
}

async fn an_lms_outage_and_a_restart_delay_the_sync_and_lose_nothing(
    database: TestDatabase,
    lms: LmsDatabase,
) {
    let proxy = Proxy::start(host_port(&lms.url()));
    let through_proxy = proxy.route(&lms.url());
    let app = app_syncing_to(database, &through_proxy).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    eventually("the LMS serves talent1", || lms.configurations(LMS_HOST)).await;

    proxy.cut(true);
    let path = "/api/v1/admin/tenants/talent1";
    send(
        &app,
        Method::PATCH,
        path,
        Some(json!({"display_name": "During the outage"})),
    )
    .await;
    send(
        &app,
        Method::POST,
        &format!("{path}/domains"),
        Some(json!({"host": "learn.example.com"})),
    )
    .await;
    let state = eventually_state(&app, "talent1", "failing").await;
    assert!(state["pending_since"].is_string(), "{state}");
    let metrics = app.get("/metrics").await.text;
    assert!(metrics.contains("tenantry_eox_sync_failing 1"), "{metrics}");

    // A restart while the LMS is still unreachable: the change waits in the ledger.
    let database = app.stop_and_keep_database().await;
    let app = app_syncing_to(database, &through_proxy).await;
    assert_eq!(
        lms.configurations(LMS_HOST)
            .map(|served| served.lms_configs["PLATFORM_NAME"].clone()),
        Some(json!("Talent One")),
        "nothing reached the LMS during the outage"
    );
    proxy.cut(false);
    eventually("the change made during the outage arrives", || {
        lms.configurations("learn.example.com")
            .filter(|served| served.lms_configs["PLATFORM_NAME"] == "During the outage")
    })
    .await;
    let state = eventually_in_sync(&app, "talent1").await;
    assert_eq!(state["attempts"], 0);
    assert_eq!(
        lms.config_keys(),
        [LMS_HOST],
        "applied once, not once per attempt"
    );
    app.stop().await;
}

async fn the_sync_command_reports_and_corrects_drift(database: TestDatabase, lms: LmsDatabase) {
    // Tenants made while no sync ran.
    let app = TestApp::spawn(database).await;
    app.create_tenant(json!({"name": "talent1", "display_name": "Talent One"}))
        .await;
    app.create_tenant(json!({"name": "talent2", "display_name": "Talent Two"}))
        .await;
    let lms_url = LmsUrl::parse(&lms.url()).expect("a MySQL URL");
    let reconcile = |dry_run: bool| {
        let lms_url = lms_url.clone();
        app.behind_the_server(move |database| {
            let mut sync = EoxSync::new(
                database.clone(),
                &lms_url,
                UrlConfig::default(),
                std::sync::Arc::new(SystemClock),
            )
            .expect("the sync sets up");
            let outcomes = sync.reconcile(dry_run).expect("both databases answer");
            let mut report = Vec::new();
            let in_step = write_report(&outcomes, dry_run, &mut report).expect("a report");
            (in_step, String::from_utf8(report).expect("text"))
        })
    };

    let (in_step, report) = reconcile(true).await;
    assert!(in_step);
    assert_eq!(
        report,
        "talent1: would create config talent1.local.openedx.io\n\
         talent1: would add route talent1.local.openedx.io to talent1.local.openedx.io\n\
         talent2: would create config talent2.local.openedx.io\n\
         talent2: would add route talent2.local.openedx.io to talent2.local.openedx.io\n\
         dry run, nothing changed: 2 tenants checked: 2 to change, 0 already in step, 0 with \
         conflicts\n"
    );
    assert_eq!(
        lms.config_keys(),
        Vec::<String>::new(),
        "a dry run changes nothing"
    );

    let (_, report) = reconcile(false).await;
    assert!(
        report.ends_with("2 tenants checked: 2 changed, 0 already in step, 0 with conflicts\n")
    );
    assert!(lms.configurations(LMS_HOST).is_some());
    assert_eq!(sync_state(&app, "talent1").await["state"], "in_sync");

    // Hand edits in the LMS.
    lms.execute(
        "UPDATE eox_tenant_tenantconfig SET lms_configs = '{\"PLATFORM_NAME\":\"edited\"}' \
         WHERE external_key = 'talent1.local.openedx.io'",
    );
    lms.execute("DELETE FROM eox_tenant_route WHERE domain = 'talent2.local.openedx.io'");
    let (in_step, report) = reconcile(false).await;
    assert!(in_step);
    assert_eq!(
        report,
        "talent1: update lms_configs of config talent1.local.openedx.io\n\
         talent2: add route talent2.local.openedx.io to talent2.local.openedx.io\n\
         2 tenants checked: 2 changed, 0 already in step, 0 with conflicts\n"
    );
    let (_, report) = reconcile(false).await;
    assert_eq!(
        report,
        "2 tenants checked: 0 changed, 2 already in step, 0 with conflicts\n"
    );
    assert_eq!(
        lms.configurations(LMS_HOST)
            .map(|served| served.lms_configs["PLATFORM_NAME"].clone()),
        Some(json!("Talent One"))
    );
    app.stop().await;
}
