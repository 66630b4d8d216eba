//! The pool: connections are configured, reachable, bounded, and fail fast.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{on_both_backends, open};
use crate::schema::domains;
use crate::testing::TestDatabase;
use crate::{Backend, Database, DatabaseUrl, PoolOptions, StoreError};

on_both_backends!(
    a_database_answers_and_reports_its_state,
    an_exhausted_pool_answers_unavailable_within_its_timeout,
    foreign_keys_are_enforced,
);

fn a_database_answers_and_reports_its_state(test: &TestDatabase) {
    let database = open(test);
    database.ping().unwrap();
    assert_eq!(database.backend(), test.backend());
    assert_eq!(database.conn().unwrap().backend(), test.backend());
    let held = database.conn().unwrap();
    let state = database.pool_state();
    assert!(state.connections >= 1, "{state:?}");
    assert!(
        state.idle_connections < state.connections,
        "one is in use: {state:?}"
    );
    drop(held);
    assert!(!format!("{database:?}").is_empty());
}

fn an_exhausted_pool_answers_unavailable_within_its_timeout(test: &TestDatabase) {
    let options = PoolOptions {
        max_size: 1,
        connection_timeout: Duration::from_millis(300),
        ..PoolOptions::default()
    };
    let database = Database::connect(&test.url(), options).unwrap();
    let held = database.conn().unwrap();
    let started = Instant::now();
    let error = database.conn().err().unwrap();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    drop(held);
    database.ping().unwrap();
}

fn foreign_keys_are_enforced(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let orphan = diesel::insert_into(domains::table)
        .values((
            domains::tenant_id.eq(999_i64),
            domains::host.eq("orphan.example.com"),
            domains::is_primary.eq(true),
            domains::created_at.eq(super::at(0).naive_utc()),
        ))
        .execute(&mut *conn)
        .map_err(StoreError::from);
    assert_eq!(orphan, Err(StoreError::NotFound), "a foreign-key violation");
}

#[derive(QueryableByName)]
struct Pragma {
    #[diesel(sql_type = Text)]
    value: String,
}

/// A pragma's value; `column` is the name of the column the pragma answers in.
fn pragma(conn: &mut crate::DbConnection, name: &str, column: &str) -> String {
    let sql = format!("SELECT CAST({column} AS TEXT) AS value FROM pragma_{name}");
    let rows: Vec<Pragma> = diesel::sql_query(sql).load(conn).unwrap();
    rows.into_iter().next().unwrap().value
}

#[test]
fn sqlite_connections_get_the_pragmas() {
    let test = TestDatabase::sqlite();
    let options = PoolOptions {
        max_size: 2,
        ..PoolOptions::default()
    };
    let database = Database::connect(&test.url(), options).unwrap();
    let mut first = database.conn().unwrap();
    let mut second = database.conn().unwrap();
    for conn in [&mut first, &mut second] {
        assert_eq!(pragma(conn, "foreign_keys", "foreign_keys"), "1");
        assert_eq!(pragma(conn, "journal_mode", "journal_mode"), "wal");
        assert_eq!(pragma(conn, "busy_timeout", "timeout"), "5000");
        assert_eq!(pragma(conn, "synchronous", "synchronous"), "1", "NORMAL");
    }
}

#[test]
#[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
fn postgres_connections_get_the_statement_timeout() {
    let Some(test) = TestDatabase::postgres() else {
        return;
    };
    let options = PoolOptions {
        statement_timeout: Some(Duration::from_millis(1500)),
        ..PoolOptions::default()
    };
    let database = Database::connect(&test.url(), options).unwrap();
    let mut conn = database.conn().unwrap();
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        statement_timeout: String,
    }
    let shown: Vec<Setting> = diesel::sql_query("SHOW statement_timeout")
        .load(&mut *conn)
        .unwrap();
    assert_eq!(shown[0].statement_timeout, "1500ms");
    // A statement longer than that is cancelled by the server, answered Unavailable.
    let error = diesel::sql_query("SELECT pg_sleep(5)")
        .execute(&mut *conn)
        .map_err(StoreError::from)
        .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
}

/// A database that cannot grow (SQLITE_FULL, simulated with `max_page_count`) answers
/// writes with Unavailable, not a backend fault.
#[test]
fn a_full_sqlite_database_is_unavailable() {
    let test = TestDatabase::sqlite();
    let database = open(&test);
    let mut conn = database.conn().unwrap();
    let pages = pragma(&mut conn, "page_count", "page_count");
    diesel::sql_query(format!("PRAGMA max_page_count = {pages}"))
        .execute(&mut *conn)
        .unwrap();
    let error = diesel::sql_query(
        "CREATE TABLE filler AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 \
         FROM n WHERE i < 10000) SELECT i, hex(randomblob(100)) AS junk FROM n",
    )
    .execute(&mut *conn)
    .map_err(StoreError::from)
    .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
}

#[test]
fn sqlite_creates_a_missing_file_in_an_existing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenantry.db");
    let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
    let database = Database::connect(&url, PoolOptions::default()).unwrap();
    database.ping().unwrap();
    assert_eq!(database.backend(), Backend::Sqlite);
    assert!(path.exists());
}

/// The error of a refused open.
fn refused(opened: Result<Database, StoreError>) -> StoreError {
    match opened {
        Ok(_) => panic!("the database was opened"),
        Err(error) => error,
    }
}

#[test]
fn an_unusable_sqlite_location_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let url = DatabaseUrl::sqlite(file.join("tenantry.db"));
    let error = Database::connect(&url, PoolOptions::default()).unwrap_err();
    assert!(
        matches!(&error, StoreError::Unavailable(message) if message.contains("a-file")),
        "{error:?}"
    );
}

#[test]
fn a_closed_postgres_port_fails_fast_without_showing_the_password() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = DatabaseUrl::parse(&format!(
        "postgres://tenantry:s3cret@127.0.0.1:{port}/tenantry"
    ))
    .unwrap();
    let started = Instant::now();
    let error = Database::connect(&url, PoolOptions::default()).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    match &error {
        StoreError::Unavailable(message) => {
            assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
            assert!(!message.contains("s3cret"), "{message}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(!error.to_string().contains("s3cret"));
}

#[test]
fn invalid_urls_are_refused_before_connecting() {
    for text in [
        "mysql://db/x",
        "sqlite::memory:",
        "postgres:nohost",
        "data.db",
    ] {
        let error = DatabaseUrl::parse(text).unwrap_err();
        assert!(
            matches!(error, StoreError::InvalidUrl(_)),
            "{text}: {error:?}"
        );
        assert!(
            error.to_string().starts_with("invalid database URL"),
            "{error}"
        );
    }
}

#[test]
fn a_missing_directory_is_refused_not_created() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("nonexistent/dir/x.db");
    let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
    let error = refused(Database::connect(&url, PoolOptions::default()));
    assert!(error.to_string().contains("does not exist"), "{error}");
    assert!(!root.path().join("nonexistent").exists(), "nothing created");
}

#[test]
fn reading_commands_open_only_an_existing_migrated_database() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("tenantry.db");
    let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
    let missing = refused(Database::open_existing(&url, PoolOptions::default()));
    assert!(
        missing.to_string().contains(&path.display().to_string()),
        "names the path: {missing}"
    );
    assert!(!path.exists(), "not created");

    drop(crate::manager::establish(&url).unwrap());
    let unmigrated = refused(Database::open_existing(&url, PoolOptions::default()));
    assert!(
        matches!(unmigrated, StoreError::Migration(_)),
        "{unmigrated}"
    );
    assert!(
        unmigrated.to_string().contains("tenantry migrate"),
        "{unmigrated}"
    );
    assert!(crate::pending(&url).unwrap().len() > 1, "still unmigrated");

    drop(Database::connect(&url, PoolOptions::default()).unwrap());
    assert!(Database::open_existing(&url, PoolOptions::default()).is_ok());
}
