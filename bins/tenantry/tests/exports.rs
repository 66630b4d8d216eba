//! `tenantry eox-tenant export` and `tenantry hosts` as a user runs them, over a database
//! holding tenants created through the domain operations.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::path::Path;
use std::process::{Command, Output};

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use tenantry_store::{Database, DatabaseUrl, PoolOptions, StoreError, TenantStore};
use tenantry_tenant::operations::{CreateTenant, change_status, create_tenant};
use tenantry_tenant::urls::UrlConfig;
use tenantry_tenant::{Actor, RequestContext, Status, TenantKey, TenantName};

const BINARY: &str = env!("CARGO_BIN_EXE_tenantry");

fn tenantry(data: &Path, args: &[&str]) -> Output {
    Command::new(BINARY)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env(
            "TENANTRY_DATABASE_URL",
            format!("sqlite://{}/tenantry.db", data.display()),
        )
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// talent1 (seed 000's, created by operator `ops`), `plain` and a suspended `paused`.
fn seed(data: &Path) {
    let url = DatabaseUrl::parse(&format!("sqlite://{}/tenantry.db", data.display())).unwrap();
    let database = Database::connect(&url, PoolOptions::default()).unwrap();
    let context = RequestContext {
        actor: Actor::Operator("ops".into()),
        request_id: None,
        source: None,
        now: Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap(),
    };
    let urls = UrlConfig::default();
    let mut conn = database.conn().unwrap();
    conn.write_transaction::<_, StoreError, _>(|conn| {
        let mut store = TenantStore::new(conn);
        let name = |text: &str| TenantName::parse(text).unwrap();
        let mut talent1 = CreateTenant::new(name("talent1"), "Talent 1 Learning");
        talent1.profile.theme_name = Some("indigo".into());
        talent1.profile.org_filter = vec!["org1".into()];
        create_tenant(&mut store, &context, &urls, talent1).unwrap();
        let plain = CreateTenant::new(name("plain"), "O'Brien \\ Co");
        create_tenant(&mut store, &context, &urls, plain).unwrap();
        let paused = CreateTenant::new(name("paused"), "Paused");
        create_tenant(&mut store, &context, &urls, paused).unwrap();
        let paused = TenantKey::Name(name("paused"));
        change_status(&mut store, &context, &urls, &paused, Status::Suspended).unwrap();
        Ok::<_, StoreError>(())
    })
    .unwrap();
}

#[test]
fn hosts_prints_three_lines_for_every_active_tenant() {
    let data = tempfile::tempdir().unwrap();
    assert!(tenantry(data.path(), &["migrate"]).status.success());
    assert_eq!(
        stdout(&tenantry(data.path(), &["hosts"])),
        "",
        "no tenants yet"
    );
    seed(data.path());
    assert_eq!(
        stdout(&tenantry(data.path(), &["hosts"])),
        "127.0.0.1 talent1.local.openedx.io\n\
         127.0.0.1 talent1.apps.local.openedx.io\n\
         127.0.0.1 studio.talent1.local.openedx.io\n\
         127.0.0.1 plain.local.openedx.io\n\
         127.0.0.1 plain.apps.local.openedx.io\n\
         127.0.0.1 studio.plain.local.openedx.io\n"
    );
    let other_ip = stdout(&tenantry(data.path(), &["hosts", "--ip", "10.0.0.5"]));
    assert_eq!(
        other_ip.lines().next(),
        Some("10.0.0.5 talent1.local.openedx.io")
    );
    let bad = tenantry(data.path(), &["hosts", "--ip", "localhost"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--ip"));
}

#[test]
fn export_prints_json_lines_as_eox_tenant_stores_them() {
    let data = tempfile::tempdir().unwrap();
    seed(data.path());
    let all = stdout(&tenantry(data.path(), &["eox-tenant", "export"]));
    let rows: Vec<Value> = all
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let keys: Vec<&str> = rows
        .iter()
        .map(|row| row["external_key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "talent1.local.openedx.io",
            "plain.local.openedx.io",
            "paused.local.openedx.io"
        ],
        "every live tenant, suspended ones too"
    );
    let talent1 = &rows[0];
    assert_eq!(talent1["meta"], json!(r#"{"created_by":"ops"}"#));
    assert_eq!(
        talent1["theming_configs"],
        json!(r#"{"THEME_NAME":"indigo"}"#)
    );
    assert_eq!(talent1["routes"], json!(["talent1.local.openedx.io"]));
    let lms: Value = serde_json::from_str(talent1["lms_configs"].as_str().unwrap()).unwrap();
    assert_eq!(lms["course_org_filter"], json!(["org1"]));
    assert_eq!(lms["EDNX_USE_SIGNAL"], json!(true));
    let studio: Value = serde_json::from_str(talent1["studio_configs"].as_str().unwrap()).unwrap();
    assert_eq!(studio["SITE_NAME"], "studio.talent1.local.openedx.io");

    let one = stdout(&tenantry(
        data.path(),
        &[
            "eox-tenant",
            "export",
            "--tenant",
            "talent1",
            "--format",
            "json",
        ],
    ));
    assert_eq!(one, format!("{}\n", all.lines().next().unwrap()));
    let missing = tenantry(data.path(), &["eox-tenant", "export", "--tenant", "nobody"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no tenant is named nobody"));
}

#[test]
fn export_prints_escaped_mysql() {
    let data = tempfile::tempdir().unwrap();
    seed(data.path());
    let sql = stdout(&tenantry(
        data.path(),
        &[
            "eox-tenant",
            "export",
            "--tenant",
            "plain",
            "--format",
            "sql",
        ],
    ));
    let lines: Vec<&str> = sql.lines().collect();
    assert_eq!(lines.len(), 2, "{sql}");
    assert!(
        lines[0].starts_with(
            "INSERT INTO eox_tenant_tenantconfig (external_key, lms_configs, studio_configs, \
             theming_configs, meta) VALUES ('plain.local.openedx.io', '{"
        ),
        "{sql}"
    );
    assert!(
        lines[0].contains(r#""PLATFORM_NAME":"O''Brien \\\\ Co""#),
        "{sql}"
    );
    assert!(
        lines[0].ends_with(r#"'{}', '{"created_by":"ops"}');"#),
        "{sql}"
    );
    assert_eq!(
        lines[1],
        "INSERT INTO eox_tenant_route (domain, config_id) VALUES ('plain.local.openedx.io', \
         (SELECT id FROM eox_tenant_tenantconfig WHERE external_key = 'plain.local.openedx.io'));"
    );
}
