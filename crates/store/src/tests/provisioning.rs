//! Tenant databases made and removed for real: SQLite files in a temporary directory,
//! and PostgreSQL databases and roles on the `TENANTRY_TEST_POSTGRES_URL` server (each
//! named after the test's own database, and dropped by a guard even when the test fails).

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use tenantry_tenant::provisioning::{
    DatabaseBackend, DatabaseProvisioner, ProvisionError, ProvisionedDatabase,
};
use tenantry_tenant::{TenantName, database_identifier};

use crate::manager::{establish, establish_postgres};
use crate::provisioning::{PostgresProvisioner, SqliteProvisioner, provisioner_for};
use crate::testing::TestDatabase;
use crate::{DatabaseUrl, StoreError};

fn name(text: &str) -> TenantName {
    TenantName::parse(text).unwrap()
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("tenantry-provisioning-")
        .tempdir()
        .unwrap()
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

/// Writes and reads a row through `url`: the database really is one.
fn write_and_read(url: &str) -> i64 {
    let mut conn = establish(&DatabaseUrl::parse(url).unwrap()).unwrap();
    diesel::sql_query("CREATE TABLE probe (value BIGINT NOT NULL)")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query("INSERT INTO probe (value) VALUES (42)")
        .execute(&mut conn)
        .unwrap();
    let row: Number = diesel::sql_query("SELECT value FROM probe")
        .get_result(&mut conn)
        .unwrap();
    row.value
}

fn sqlite_files(path: &Path) -> Vec<String> {
    ["", "-wal", "-shm", "-journal"]
        .into_iter()
        .filter_map(|suffix| {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            Path::new(&file)
                .exists()
                .then(|| Path::new(&file).display().to_string())
        })
        .collect()
}

/// The permission bits of `path`.
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The control database and tenant databases hold password hashes, the JWT key and
/// token digests: their files (and SQLite's `-wal` and `-shm` beside them) are the
/// owner's alone, whatever the umask (SQLite's own default is 0644 less the umask).
#[test]
fn sqlite_files_are_readable_by_their_owner_only() {
    let dir = temp_dir();
    let control = dir.path().join("data").join("tenantry.db");
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let database = crate::Database::connect(
        &DatabaseUrl::sqlite(control.clone()),
        crate::PoolOptions::default(),
    )
    .unwrap();
    let mut conn = database.conn().unwrap();
    let mut store = crate::TenantStore::new(&mut conn);
    tenantry_tenant::TenantRepository::insert(&mut store, &super::new_tenant("t1", &[])).unwrap();
    for file in sqlite_files(&control) {
        assert_eq!(mode(Path::new(&file)), 0o600, "{file}");
    }
    assert!(
        sqlite_files(&control).len() >= 2,
        "{:?}",
        sqlite_files(&control)
    );

    let provisioner = SqliteProvisioner::beside(&control);
    let credentials = provisioner.create(&name("acme")).unwrap();
    assert_eq!(write_and_read(&credentials.url), 42);
    let tenant_file = Path::new(&credentials.database.database);
    for file in sqlite_files(tenant_file) {
        assert_eq!(mode(Path::new(&file)), 0o600, "{file}");
    }
}

#[test]
fn sqlite_databases_are_created_refused_twice_and_dropped() {
    let dir = temp_dir();
    let directory = dir.path().join("nested").join("tenants");
    let provisioner = SqliteProvisioner::new(&directory);
    let tenant = name("acme-corp");

    let credentials = provisioner.create(&tenant).unwrap();
    let path = directory.join("tenant_acme_corp.db");
    assert_eq!(
        credentials.database,
        ProvisionedDatabase {
            backend: DatabaseBackend::Sqlite,
            database: path.display().to_string(),
            role: None,
        }
    );
    assert_eq!(credentials.password, None);
    assert_eq!(credentials.url, format!("sqlite://{}", path.display()));
    assert!(
        std::fs::metadata(&path).unwrap().len() > 0,
        "the file holds an SQLite header"
    );
    assert_eq!(write_and_read(&credentials.url), 42);

    assert_eq!(
        provisioner.create(&tenant),
        Err(ProvisionError::AlreadyExists)
    );
    assert_eq!(write_and_read_existing(&credentials.url), 42, "left intact");

    provisioner.drop_database(&credentials.database).unwrap();
    assert_eq!(
        sqlite_files(&path),
        Vec::<String>::new(),
        "every file is gone"
    );
    provisioner.drop_database(&credentials.database).unwrap();

    let again = provisioner.create(&tenant).unwrap();
    assert_eq!(
        again.database, credentials.database,
        "the name is free again"
    );
    assert_eq!(write_and_read(&again.url), 42, "a new, empty database");
}

/// Reads the probe row of a database [`write_and_read`] wrote.
fn write_and_read_existing(url: &str) -> i64 {
    let mut conn = establish(&DatabaseUrl::parse(url).unwrap()).unwrap();
    let row: Number = diesel::sql_query("SELECT value FROM probe")
        .get_result(&mut conn)
        .unwrap();
    row.value
}

#[test]
fn sqlite_databases_ignore_stale_files_of_an_earlier_database() {
    let dir = temp_dir();
    let provisioner = SqliteProvisioner::new(dir.path());
    let tenant = name("talent1");
    let wal = dir.path().join("tenant_talent1.db-wal");
    std::fs::write(&wal, b"not a write-ahead log").unwrap();

    let credentials = provisioner.create(&tenant).unwrap();
    assert_ne!(
        std::fs::read(&wal).ok().as_deref(),
        Some(&b"not a write-ahead log"[..])
    );
    assert_eq!(write_and_read(&credentials.url), 42);
}

#[test]
fn sqlite_drops_refuse_other_files_and_backends() {
    let dir = temp_dir();
    let provisioner = SqliteProvisioner::new(dir.path());
    let precious = dir.path().join("tenantry.db");
    std::fs::write(&precious, b"control plane").unwrap();
    let refused = provisioner.drop_database(&ProvisionedDatabase {
        backend: DatabaseBackend::Sqlite,
        database: precious.display().to_string(),
        role: None,
    });
    assert!(
        matches!(refused, Err(ProvisionError::Failed(_))),
        "{refused:?}"
    );
    assert!(precious.exists());
    let postgres = provisioner.drop_database(&ProvisionedDatabase {
        backend: DatabaseBackend::Postgres,
        database: "tenant_talent1".into(),
        role: Some("tenant_talent1".into()),
    });
    assert!(
        matches!(postgres, Err(ProvisionError::Failed(_))),
        "{postgres:?}"
    );
}

#[test]
fn sqlite_failures_leave_nothing_behind() {
    let dir = temp_dir();
    let blocker = dir.path().join("tenants");
    std::fs::write(&blocker, b"a file where the directory should be").unwrap();
    let provisioner = SqliteProvisioner::new(&blocker);
    let failed = provisioner.create(&name("talent1"));
    assert!(
        matches!(failed, Err(ProvisionError::Failed(_))),
        "{failed:?}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn the_url_picks_the_provisioner_and_its_directory() {
    let dir = temp_dir();
    let control = dir.path().join("tenantry.db");
    let provisioner = provisioner_for(&DatabaseUrl::sqlite(&control));
    let credentials = provisioner.create(&name("talent1")).unwrap();
    assert_eq!(
        Path::new(&credentials.database.database),
        dir.path().join("tenants").join("tenant_talent1.db")
    );
    provisioner.drop_database(&credentials.database).unwrap();
}

// --- PostgreSQL -----------------------------------------------------------------------

/// Drops the databases and roles of `tenants` when the test ends, however it ends.
struct Cleanup {
    server: DatabaseUrl,
    identifiers: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Ok(mut conn) = establish_postgres(&self.server) else {
            eprintln!("warning: cannot connect to clean up {:?}", self.identifiers);
            return;
        };
        for identifier in &self.identifiers {
            for sql in [
                format!("DROP DATABASE IF EXISTS \"{identifier}\" WITH (FORCE)"),
                format!("DROP ROLE IF EXISTS \"{identifier}\""),
            ] {
                if let Err(error) = diesel::sql_query(&sql).execute(&mut conn) {
                    eprintln!("warning: {sql}: {error}");
                }
            }
        }
    }
}

/// Tenant names unique to `test` (its database is named uniquely), one per `suffix`,
/// with a guard that drops their databases and roles.
fn tenants_of(test: &TestDatabase, suffixes: &[&str]) -> (Vec<TenantName>, Cleanup) {
    let url = test.url_string();
    let database = url
        .split('?')
        .next()
        .and_then(|before| before.rsplit('/').next())
        .unwrap();
    let names: Vec<TenantName> = suffixes
        .iter()
        .map(|suffix| name(&format!("{}-{suffix}", database.replace('_', "-"))))
        .collect();
    let cleanup = Cleanup {
        server: test.url(),
        identifiers: names.iter().map(database_identifier).collect(),
    };
    (names, cleanup)
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    value: bool,
}

#[derive(QueryableByName)]
struct Word {
    #[diesel(sql_type = Text)]
    value: String,
}

fn ask(server: &DatabaseUrl, sql: &str, identifier: &str) -> bool {
    let mut conn = establish_postgres(server).unwrap();
    let flag: Flag = diesel::sql_query(sql)
        .bind::<Text, _>(identifier)
        .get_result(&mut conn)
        .unwrap();
    flag.value
}

fn database_exists(server: &DatabaseUrl, identifier: &str) -> bool {
    ask(
        server,
        "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS value",
        identifier,
    )
}

fn role_exists(server: &DatabaseUrl, identifier: &str) -> bool {
    ask(
        server,
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS value",
        identifier,
    )
}

/// `SELECT current_user` and the database, on a connection made with `url` alone.
fn log_in(url: &str) -> Result<(String, String), StoreError> {
    let mut conn = establish_postgres(&DatabaseUrl::parse(url)?)?;
    let user: Word =
        diesel::sql_query("SELECT CAST(current_user AS TEXT) AS value").get_result(&mut conn)?;
    let database: Word = diesel::sql_query("SELECT CAST(current_database() AS TEXT) AS value")
        .get_result(&mut conn)?;
    Ok((user.value, database.value))
}

#[test]
#[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
fn postgres_databases_are_created_refused_twice_and_dropped() {
    let Some(test) = TestDatabase::postgres() else {
        return;
    };
    let (tenants, _cleanup) = tenants_of(&test, &["a"]);
    let server = test.url();
    let provisioner = PostgresProvisioner::new(server.clone());
    let identifier = database_identifier(&tenants[0]);

    let credentials = provisioner.create(&tenants[0]).unwrap();
    assert_eq!(
        credentials.database,
        ProvisionedDatabase {
            backend: DatabaseBackend::Postgres,
            database: identifier.clone(),
            role: Some(identifier.clone()),
        }
    );
    let password = credentials.password.clone().unwrap();
    assert!(password.len() >= 24, "{}", password.len());
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(
        credentials.url.starts_with(&format!(
            "postgres://{identifier}:{password}@127.0.0.1:5432/{identifier}"
        )),
        "{}",
        credentials.url.replace(&password, "***")
    );
    assert!(!format!("{credentials:?}").contains(&password));
    assert!(database_exists(&server, &identifier));
    assert!(
        ask(
            &server,
            "SELECT rolcanlogin AND NOT rolsuper AND NOT rolcreaterole AND NOT rolcreatedb \
             AS value FROM pg_roles WHERE rolname = $1",
            &identifier
        ),
        "a plain login role"
    );
    assert!(
        ask(
            &server,
            "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' AS value FROM pg_authid WHERE rolname = $1",
            &identifier
        ),
        "the password is set (the test server may trust local connections, so logging \
         in alone would not prove it)"
    );
    assert_eq!(
        log_in(&credentials.url).unwrap(),
        (identifier.clone(), identifier.clone())
    );
    assert_eq!(
        write_and_read(&credentials.url),
        42,
        "the role owns its database"
    );

    assert_eq!(
        provisioner.create(&tenants[0]),
        Err(ProvisionError::AlreadyExists)
    );
    assert_eq!(
        log_in(&credentials.url).unwrap().0,
        identifier,
        "the refused create left the first intact"
    );

    // A session still open on the database does not stop the drop.
    let mut open_session =
        establish_postgres(&DatabaseUrl::parse(&credentials.url).unwrap()).unwrap();
    provisioner.drop_database(&credentials.database).unwrap();
    assert!(!database_exists(&server, &identifier));
    assert!(!role_exists(&server, &identifier));
    assert!(
        diesel::sql_query("SELECT 1")
            .execute(&mut open_session)
            .is_err()
    );
    provisioner.drop_database(&credentials.database).unwrap();
}

#[test]
#[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
fn postgres_tenant_roles_cannot_enter_each_others_databases() {
    let Some(test) = TestDatabase::postgres() else {
        return;
    };
    let (tenants, _cleanup) = tenants_of(&test, &["a", "b"]);
    let provisioner = provisioner_for(&test.url());
    let one = provisioner.create(&tenants[0]).unwrap();
    let two = provisioner.create(&tenants[1]).unwrap();
    assert_ne!(one.password, two.password);

    // One's role and password, two's database (the path is the last `/…`).
    let path_start = one
        .url
        .rfind(&format!("/{}", one.database.database))
        .unwrap();
    let intruder = format!(
        "{}/{}{}",
        &one.url[..path_start],
        two.database.database,
        &one.url[path_start + 1 + one.database.database.len()..]
    );
    assert!(
        intruder.contains(&format!("{}:", one.database.database)),
        "one's role"
    );
    let refused = log_in(&intruder);
    assert!(
        matches!(&refused, Err(StoreError::Unavailable(message)) if message.contains("permission denied")),
        "{refused:?}"
    );
    assert_eq!(log_in(&two.url).unwrap().1, two.database.database);
}

#[test]
#[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
fn postgres_leftovers_are_refused_and_left_alone() {
    let Some(test) = TestDatabase::postgres() else {
        return;
    };
    let (tenants, _cleanup) = tenants_of(&test, &["role", "db"]);
    let server = test.url();
    let provisioner = PostgresProvisioner::new(server.clone());
    let mut conn = establish_postgres(&server).unwrap();

    // A role of that name without a database.
    let role_only = database_identifier(&tenants[0]);
    diesel::sql_query(format!("CREATE ROLE \"{role_only}\""))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        provisioner.create(&tenants[0]),
        Err(ProvisionError::AlreadyExists)
    );
    assert!(
        role_exists(&server, &role_only),
        "not dropped by the refusal"
    );
    assert!(!database_exists(&server, &role_only), "nothing created");

    // A database of that name without a role.
    let database_only = database_identifier(&tenants[1]);
    diesel::sql_query(format!("CREATE DATABASE \"{database_only}\""))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        provisioner.create(&tenants[1]),
        Err(ProvisionError::AlreadyExists)
    );
    assert!(database_exists(&server, &database_only), "not dropped");
    assert!(!role_exists(&server, &database_only), "nothing created");
}

#[test]
#[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
fn postgres_failures_name_no_password() {
    let Some(test) = TestDatabase::postgres() else {
        return;
    };
    let unreachable =
        DatabaseUrl::parse("postgres://admin:hunter2@127.0.0.1:1/postgres?connect_timeout=2")
            .unwrap();
    let provisioner = PostgresProvisioner::new(unreachable);
    let failed = provisioner.create(&name("talent1"));
    let Err(ProvisionError::Failed(message)) = &failed else {
        panic!("{failed:?}");
    };
    assert!(!message.contains("hunter2"), "{message}");
    drop(test);
}

#[test]
fn sqlite_claims_exclude_each_other_until_dropped() {
    let dir = temp_dir();
    let provisioner = SqliteProvisioner::new(dir.path());
    let clone = provisioner.clone();
    let first = provisioner.claim(&name("claimed")).unwrap();
    assert!(first.is_some());
    assert!(clone.claim(&name("claimed")).unwrap().is_none(), "held");
    assert!(clone.claim(&name("other")).unwrap().is_some(), "per tenant");
    drop(first);
    assert!(clone.claim(&name("claimed")).unwrap().is_some(), "released");
}

#[test]
#[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
fn postgres_claims_exclude_every_connection_until_dropped() {
    let Some(test) = TestDatabase::postgres() else {
        return;
    };
    let (tenants, _cleanup) = tenants_of(&test, &["c", "d"]);
    // Two provisioners stand for two nodes: the lock lives on the server.
    let one = PostgresProvisioner::new(test.url());
    let two = PostgresProvisioner::new(test.url());
    let first = one.claim(&tenants[0]).unwrap();
    assert!(first.is_some());
    assert!(two.claim(&tenants[0]).unwrap().is_none(), "held");
    assert!(two.claim(&tenants[1]).unwrap().is_some(), "per tenant");
    drop(first);
    assert!(two.claim(&tenants[0]).unwrap().is_some(), "released");
}
