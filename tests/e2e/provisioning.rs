//! Hosting create and the tenant databases it makes (issue 10, defects 2, 3 and 10):
//! nothing is made for a refused create, a create interrupted between provisioning and
//! commit is recovered, and tenant roles are confined.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use diesel::sql_types::{Bool, Integer, Nullable, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use serde_json::{Value, json};
use tenantry::config::ServerConfig;
use tenantry_e2e::{Reply, TestApp, TestDatabase, on_both_backends, tenant_database_exists};
use tenantry_store::{Backend, Database, PoolOptions, TenantStore, provisioner_in};
use tenantry_tenant::provisioning::{ProvisioningIntent, TenantDatabases};
use tenantry_tenant::{Clock, DatabaseCredentials, DatabaseProvisioner, SystemClock, TenantName};

on_both_backends!(
    an_invalid_create_touches_no_database,
    start_up_drops_the_database_of_an_interrupted_create,
    a_retry_recovers_an_interrupted_create,
);

/// A hosting call, with time for DDL on a loaded PostgreSQL server (a create drops and
/// makes databases).
async fn panel(app: &TestApp, path: &str, body: Value) -> Reply {
    let request = app
        .operator(Method::POST, path)
        .timeout(Duration::from_secs(60));
    app.send_json(request, &body).await
}

fn provisioner(database: &TestDatabase) -> Box<dyn DatabaseProvisioner> {
    provisioner_in(&database.url(), Some(&database.tenant_namespace()))
}

/// A create refused for a 300-character `name` answers 400 before any database is made:
/// a database already standing under the tenant's name (which provisioning would trip
/// over with a 409) is neither reported nor touched.
async fn an_invalid_create_touches_no_database(database: TestDatabase) {
    let standing = provisioner(&database)
        .create(&TenantName::parse("long-name").unwrap())
        .unwrap();
    let app = TestApp::spawn(database).await;
    let reply = panel(
        &app,
        "/api/create-tenant",
        json!({"serviceId": "long-name", "domain": "long.example.com", "name": "n".repeat(300)}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.json["success"], json!(false), "{}", reply.text);
    assert!(
        reply.json["message"]
            .as_str()
            .unwrap()
            .starts_with("name: "),
        "{}",
        reply.text
    );
    assert!(tenant_database_exists(&standing.url), "left as it was");
    provisioner(&app.database)
        .drop_database(&standing.database)
        .unwrap();
}

/// What a process killed between provisioning and commit leaves: the intent, recorded and
/// committed first, and the database it made; no tenant.
fn interrupted_create(database: &TestDatabase, tenant: &str) -> DatabaseCredentials {
    let control = Database::connect(&database.url(), PoolOptions::default()).unwrap();
    let provisioner = provisioner(database);
    let tenant = TenantName::parse(tenant).unwrap();
    let intent = ProvisioningIntent {
        database: provisioner.planned(&tenant),
        tenant: tenant.clone(),
        created_at: SystemClock.now(),
    };
    TenantStore::new(&mut control.conn().unwrap())
        .record_intent(&intent)
        .unwrap();
    let credentials = provisioner.create(&tenant).unwrap();
    assert!(tenant_database_exists(&credentials.url));
    credentials
}

fn intents(database: &TestDatabase) -> usize {
    let control = Database::connect(&database.url(), PoolOptions::default()).unwrap();
    TenantStore::new(&mut control.conn().unwrap())
        .intents()
        .unwrap()
        .len()
}

async fn start_up_drops_the_database_of_an_interrupted_create(database: TestDatabase) {
    let orphan = interrupted_create(&database, "orphan");
    let mut config = ServerConfig::new(database.url(), "127.0.0.1:0".parse().unwrap());
    config.first_operator.password = Some(tenantry_e2e::ADMIN_PASSWORD.into());
    config.deliver_emails = false;
    config.tenant_database_namespace = Some(database.tenant_namespace());
    let server = tenantry::startup::build(config).await.unwrap();
    drop(server);
    assert!(!tenant_database_exists(&orphan.url), "dropped at start-up");
    assert_eq!(intents(&database), 0);
}

async fn a_retry_recovers_an_interrupted_create(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let stranded = interrupted_create(&app.database, "crashed");
    let reply = panel(
        &app,
        "/api/create-tenant",
        json!({"serviceId": "crashed", "domain": "crashed.example.com"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let url = reply.json["database"]["url"].as_str().unwrap();
    assert!(tenant_database_exists(url), "the new database answers");
    if app.database.backend() == Backend::Postgres {
        assert_ne!(
            reply.json["database"]["password"].as_str(),
            stranded.password.as_deref(),
            "a new role, with a new password"
        );
    }
    assert_eq!(intents(&app.database), 0);
    // And the tenant is whole: a second create of it is a plain clash.
    let again = panel(
        &app,
        "/api/create-tenant",
        json!({"serviceId": "crashed", "domain": "crashed.example.com"}),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
}

#[derive(QueryableByName)]
struct RoleRow {
    #[diesel(sql_type = Integer)]
    conn_limit: i32,
    #[diesel(sql_type = Bool)]
    login: bool,
    #[diesel(sql_type = Nullable<Text>)]
    acl: Option<String>,
}

/// Tenant roles on PostgreSQL: a connection limit (configured), `LOGIN`, and no privilege
/// of `PUBLIC` on their database, so neither another tenant's role nor any other role can
/// connect to it or make temporary tables there.
#[actix_web::test]
#[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
async fn tenant_roles_are_confined() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let app = TestApp::spawn_with(database, |config| config.tenant_db_connection_limit = 3).await;
    let mut urls = Vec::new();
    for (service_id, domain) in [("conf-a", "a.example.com"), ("conf-b", "b.example.com")] {
        let reply = panel(
            &app,
            "/api/create-tenant",
            json!({"serviceId": service_id, "domain": domain}),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        urls.push((
            reply.json["database"]["url"].as_str().unwrap().to_owned(),
            reply.json["database"]["name"].as_str().unwrap().to_owned(),
        ));
    }
    let (a_url, a_name) = &urls[0];
    let (_, b_name) = &urls[1];
    let mut admin = PgConnection::establish(&app.database.url_string()).unwrap();
    let row: RoleRow = diesel::sql_query(
        "SELECT r.rolconnlimit AS conn_limit, r.rolcanlogin AS login, d.datacl::text AS acl \
         FROM pg_roles r JOIN pg_database d ON d.datname = r.rolname WHERE r.rolname = $1",
    )
    .bind::<Text, _>(a_name)
    .get_result(&mut admin)
    .unwrap();
    assert_eq!(row.conn_limit, 3);
    assert!(row.login);
    let acl = row.acl.unwrap_or_default();
    assert!(
        !acl.contains("{=") && !acl.contains(",="),
        "PUBLIC keeps nothing on the database: {acl}"
    );

    // Three connections, and the fourth is refused by the server.
    let held: Vec<PgConnection> = (0..3)
        .map(|_| PgConnection::establish(a_url).unwrap())
        .collect();
    let refused = PgConnection::establish(a_url).err().unwrap().to_string();
    assert!(refused.contains("too many connections"), "{refused}");
    drop(held);

    // One tenant's role cannot reach the other's database.
    let crossing = format!("{}/{b_name}", a_url.rsplit_once('/').unwrap().0);
    let crossed = PgConnection::establish(&crossing)
        .err()
        .unwrap()
        .to_string();
    assert!(crossed.contains("permission denied"), "{crossed}");
}

/// A PostgreSQL user without CREATEDB and CREATEROLE: tenantry starts, and a hosting create
/// is answered with the missing privileges and the statement that grants them.
#[actix_web::test]
#[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
async fn a_user_that_cannot_create_databases_is_told_which_privilege_is_missing() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let url = database.url_string();
    let (server, rest) = url.rsplit_once('/').unwrap();
    let (name, query) = rest.split_once('?').unwrap_or((rest, ""));
    let role = format!("limited_{name}");
    let mut admin = PgConnection::establish(&url).unwrap();
    for statement in [
        format!("CREATE ROLE \"{role}\" LOGIN PASSWORD 'limited-password' NOCREATEDB NOCREATEROLE"),
        format!("ALTER DATABASE \"{name}\" OWNER TO \"{role}\""),
    ] {
        diesel::sql_query(statement).execute(&mut admin).unwrap();
    }
    let host = server.rsplit_once('@').map_or(server, |(_, host)| host);
    let limited = format!("postgres://{role}:limited-password@{host}/{name}?{query}");
    let app = TestApp::spawn_with(database, |config| {
        config.database_url = tenantry_store::DatabaseUrl::parse(&limited).unwrap();
    })
    .await;
    let reply = panel(
        &app,
        "/api/create-tenant",
        json!({"serviceId": "limited", "domain": "limited.example.com"}),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        reply.text
    );
    let message = reply.json["message"]
        .as_str()
        .unwrap_or(&reply.text)
        .to_owned();
    assert!(
        message.contains(&format!(
            "the PostgreSQL user {role} lacks CREATEDB and CREATEROLE"
        )),
        "{}",
        reply.text
    );
    assert!(message.contains("ALTER ROLE"), "{}", reply.text);
    assert!(!reply.text.contains("limited-password"), "{}", reply.text);

    drop(admin);
    let database = app.stop_and_keep_database().await;
    drop(database);
    // The test database went with its connections; the role is dropped from the server's.
    let mut server_admin =
        PgConnection::establish(&std::env::var("TENANTRY_TEST_POSTGRES_URL").unwrap()).unwrap();
    diesel::sql_query(format!("DROP ROLE IF EXISTS \"{role}\""))
        .execute(&mut server_admin)
        .unwrap();
}
