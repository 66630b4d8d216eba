//! The scenarios, each run against the real binary on one backend, and what they share:
//! the run's settings, throw-away databases, and reading the control database directly
//! to compare what clients were told with what was stored.

pub mod database;
pub mod flood;
pub mod kill;
pub mod logins;
pub mod memory;
pub mod smtp;

use std::path::PathBuf;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;
use tenantry_store::testing::TestDatabase;

use crate::report::Figures;
use tenantry_e2e::process::Server;
use tenantry_e2e::wire as http;

/// What every scenario of a run shares.
pub struct Context {
    /// The `tenantry` binary under test.
    pub binary: PathBuf,
    /// A light run (inside `make test`): fewer rounds, timings shown but not judged.
    pub light: bool,
    /// Where server logs go.
    pub logs: PathBuf,
    /// Lowercase letters and digits unique to this run, in every name it creates, so that
    /// runs sharing a PostgreSQL server never clash and their leftovers can be found.
    pub tag: String,
}

impl Context {
    /// Starts the server over `database` with `extra` settings, logging to
    /// `<logs>/<scenario>-<backend>.log`.
    pub fn start(
        &self,
        database: &TestDatabase,
        scenario: &str,
        backend: Backend,
        extra: &[(&str, String)],
    ) -> Server {
        let log =
            tenantry_e2e::process::log_file(&self.logs, &format!("{scenario}-{}", backend.name()));
        Server::start(&self.binary, &database.url_string(), &log, extra)
    }

    /// New figures of `scenario` on `backend`.
    pub fn figures(&self, scenario: &'static str, backend: Backend) -> Figures {
        Figures::new(scenario, backend.name(), !self.light)
    }

    /// `full` in a full run, `light` in a light one.
    pub fn size(&self, full: usize, light: usize) -> usize {
        if self.light { light } else { full }
    }
}

/// A backend of the control database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// A fresh database; `None` for PostgreSQL when `TENANTRY_TEST_POSTGRES_URL` is unset.
    pub fn database(self) -> Option<TestDatabase> {
        match self {
            Backend::Sqlite => Some(TestDatabase::sqlite()),
            Backend::Postgres => TestDatabase::postgres(),
        }
    }
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = Text)]
    value: String,
}

/// The first column (`AS value`, text) of every row `sql` returns from `database`.
pub fn strings(database: &TestDatabase, sql: &str) -> Vec<String> {
    let url = database.url_string();
    let rows: Vec<Value> = match url.strip_prefix("sqlite://") {
        Some(path) => {
            let mut conn = SqliteConnection::establish(path).expect("the SQLite database opens");
            diesel::sql_query(sql).load(&mut conn)
        }
        None => {
            let mut conn = PgConnection::establish(&url).expect("the PostgreSQL database opens");
            diesel::sql_query(sql).load(&mut conn)
        }
    }
    .unwrap_or_else(|error| panic!("{sql}: {error}"));
    rows.into_iter().map(|row| row.value).collect()
}

/// Runs `sql` on the PostgreSQL server of `database` (no result).
pub fn execute_postgres(database: &TestDatabase, sql: &str) {
    let mut conn =
        PgConnection::establish(&database.url_string()).expect("the PostgreSQL database opens");
    diesel::sql_query(sql)
        .execute(&mut conn)
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// Drops the PostgreSQL databases and roles whose names contain `tag` (what a run's
/// hosting creates provisioned), once no server uses them.
pub fn drop_tenant_databases(database: &TestDatabase, tag: &str) {
    if database.url_string().starts_with("sqlite://") {
        return;
    }
    let like = format!("'%{tag}%'");
    for name in strings(
        database,
        &format!("SELECT datname::text AS value FROM pg_database WHERE datname LIKE {like}"),
    ) {
        execute_postgres(
            database,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        );
    }
    for name in strings(
        database,
        &format!("SELECT rolname::text AS value FROM pg_roles WHERE rolname LIKE {like}"),
    ) {
        execute_postgres(database, &format!("DROP ROLE IF EXISTS \"{name}\""));
    }
}

/// Percentile `p` (0–100) of `values` (sorted here), 0 when empty.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * (values.len() - 1) as f64).round() as usize;
    values[rank.min(values.len() - 1)]
}

/// One Tahoe registration with a password (so a hash is made and an activation email
/// queued).
pub fn register(
    server: &Server,
    token: &str,
    username: &str,
    email: &str,
) -> std::io::Result<http::Reply> {
    let body = http::form(&[
        ("name", "Chaos User"),
        ("username", username),
        ("email", email),
        ("password", "chaos-password-9"),
    ]);
    http::send(
        &server.address,
        "POST",
        "/tahoe/api/v1/registrations/",
        &[
            ("Authorization", format!("Token {token}")),
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ],
        &body,
        Duration::from_secs(120),
    )
}
