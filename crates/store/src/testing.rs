//! Throw-away databases for tests (cargo feature `testing`).
//!
//! Every test gets its own database: a file in a fresh temporary directory, or a freshly
//! created PostgreSQL database on the server named by `TENANTRY_TEST_POSTGRES_URL`. Both
//! are removed when the [`TestDatabase`] is dropped.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use diesel::RunQueryDsl;

use crate::manager::establish_postgres;
use crate::{Backend, DatabaseUrl, StoreError};

/// The environment variable naming the PostgreSQL server tests may create databases on,
/// e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
pub const POSTGRES_URL_VARIABLE: &str = "TENANTRY_TEST_POSTGRES_URL";

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    url: DatabaseUrl,
    place: Place,
}

#[derive(Debug)]
enum Place {
    /// The temporary directory holding the database file (and its WAL files).
    Sqlite { _dir: tempfile::TempDir },
    /// A database created on a server, to be dropped with `WITH (FORCE)`.
    Postgres {
        server: DatabaseUrl,
        name: String,
        dropped: AtomicBool,
    },
}

impl TestDatabase {
    /// A new SQLite database file in its own temporary directory. The file is created by
    /// the first connection.
    ///
    /// # Panics
    /// When no temporary directory can be created.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::Builder::new()
            .prefix("tenantry-test-")
            .tempdir()
            .unwrap_or_else(|error| panic!("cannot create a temporary directory: {error}"));
        TestDatabase {
            url: DatabaseUrl::sqlite(dir.path().join("tenantry.db")),
            place: Place::Sqlite { _dir: dir },
        }
    }

    /// A new, empty PostgreSQL database on the server `TENANTRY_TEST_POSTGRES_URL` names;
    /// `None`, after saying so on stderr, when the variable is unset.
    ///
    /// # Panics
    /// When the variable is set but the server cannot be reached or refuses to create the
    /// database: a test must not pass without running.
    pub fn postgres() -> Option<TestDatabase> {
        let Some(server) = std::env::var(POSTGRES_URL_VARIABLE)
            .ok()
            .filter(|value| !value.trim().is_empty())
        else {
            eprintln!("skipped: {POSTGRES_URL_VARIABLE} is not set");
            return None;
        };
        let server = match DatabaseUrl::parse(&without_tls_by_default(&server)) {
            Ok(url) if url.backend() == Backend::Postgres => url,
            Ok(url) => panic!("{POSTGRES_URL_VARIABLE} must be a postgres:// URL, not {url}"),
            Err(error) => panic!("{POSTGRES_URL_VARIABLE}: {error}"),
        };
        let name = unique_name();
        let created = execute_on_server(&server, &format!("CREATE DATABASE \"{name}\""));
        if let Err(error) = created {
            panic!(
                "{POSTGRES_URL_VARIABLE} is set, but database {name} cannot be created on \
                 {server}: {error}"
            );
        }
        let url = DatabaseUrl::parse(&with_database(&server.reveal(), &name))
            .unwrap_or_else(|error| panic!("the test database URL is invalid: {error}"));
        Some(TestDatabase {
            url,
            place: Place::Postgres {
                server,
                name,
                dropped: AtomicBool::new(false),
            },
        })
    }

    /// A namespace for tenant databases provisioned by apps over this database
    /// ([`crate::provisioner_in`]): unique to it, so tests running at once never clash on
    /// the PostgreSQL server, and dropped with it.
    pub fn tenant_namespace(&self) -> String {
        let name = match &self.place {
            Place::Postgres { name, .. } => name.as_str(),
            Place::Sqlite { .. } => "sqlite",
        };
        namespace_of(name)
    }

    /// The database's URL.
    pub fn url(&self) -> DatabaseUrl {
        self.url.clone()
    }

    /// The database's URL as text, password included (for a child process's environment).
    pub fn url_string(&self) -> String {
        self.url.reveal()
    }

    /// The backend the database runs on.
    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// Removes the database now, under any open connection: PostgreSQL drops it `WITH
    /// (FORCE)`, which ends every session on it; SQLite deletes the file (connections
    /// already open keep working on it). For tests of a vanishing database.
    ///
    /// # Panics
    /// When the database cannot be removed.
    pub fn drop_now(&self) {
        match &self.place {
            Place::Sqlite { .. } => {
                if let Some(path) = self.url.sqlite_path() {
                    remove_sqlite_files(path);
                }
            }
            Place::Postgres {
                server,
                name,
                dropped,
            } => {
                if !dropped.swap(true, Ordering::SeqCst)
                    && let Err(error) = drop_database(server, name)
                {
                    panic!("cannot drop test database {name}: {error}");
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Place::Postgres {
            server,
            name,
            dropped,
        } = &self.place
            && !dropped.swap(true, Ordering::SeqCst)
            && let Err(error) = drop_database(server, name)
        {
            eprintln!("warning: cannot drop test database {name}: {error}");
        }
        if let Place::Postgres { server, name, .. } = &self.place
            && let Err(error) = drop_namespace(server, &namespace_of(name))
        {
            eprintln!("warning: cannot drop the tenant databases of {name}: {error}");
        }
    }
}

/// `z` and five base-36 digits of an FNV-1a hash of the test database's name.
fn namespace_of(name: &str) -> String {
    let mut hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let mut namespace = String::from("z");
    for _ in 0..5 {
        let digit = (hash % 36) as u32;
        hash /= 36;
        namespace.push(char::from_digit(digit, 36).unwrap_or('0'));
    }
    namespace
}

#[derive(diesel::QueryableByName)]
struct Named {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Drops every database and role named `<namespace>_…` (tenant databases a test made).
fn drop_namespace(server: &DatabaseUrl, namespace: &str) -> Result<(), StoreError> {
    let mut conn = establish_postgres(server)?;
    let pattern = format!("{namespace}\\_%");
    let databases: Vec<Named> =
        diesel::sql_query("SELECT datname AS name FROM pg_database WHERE datname LIKE $1")
            .bind::<diesel::sql_types::Text, _>(&pattern)
            .load(&mut conn)?;
    for database in databases {
        diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            database.name
        ))
        .execute(&mut conn)?;
    }
    let roles: Vec<Named> =
        diesel::sql_query("SELECT rolname AS name FROM pg_roles WHERE rolname LIKE $1")
            .bind::<diesel::sql_types::Text, _>(&pattern)
            .load(&mut conn)?;
    for role in roles {
        diesel::sql_query(format!("DROP ROLE IF EXISTS \"{}\"", role.name)).execute(&mut conn)?;
    }
    Ok(())
}

/// `url` with `sslmode=disable` unless it chooses a mode itself. Test servers are local;
/// with TLS, OpenSSL's exit handlers can run while another thread of a finishing test
/// process still holds a connection, and the process then dies with SIGSEGV after its test
/// passed.
fn without_tls_by_default(url: &str) -> String {
    if url.contains("sslmode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

/// A database name no other test run on this machine uses at the same time.
fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    #[allow(
        clippy::disallowed_methods,
        reason = "test helper: the clock only makes database names unique across runs"
    )]
    let nanos = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() % 1_000_000_000_000);
    format!("tenantry_test_{}_{counter}_{nanos}", std::process::id())
}

fn drop_database(server: &DatabaseUrl, name: &str) -> Result<(), StoreError> {
    execute_on_server(
        server,
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    )
}

fn execute_on_server(server: &DatabaseUrl, sql: &str) -> Result<(), StoreError> {
    let mut conn = establish_postgres(server)?;
    diesel::sql_query(sql).execute(&mut conn)?;
    Ok(())
}

/// `url` with its database (path) replaced by `name`, keeping user, host and parameters.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let before_query = rest.split('?').next().unwrap_or_default();
    let host_start = before_query.rfind('@').map_or(0, |at| at + 1);
    let host_end = rest[host_start..]
        .find(['/', '?'])
        .map_or(rest.len(), |end| host_start + end);
    let (authority, tail) = rest.split_at(host_end);
    let query = tail.find('?').map_or("", |start| &tail[start..]);
    format!("{scheme}://{authority}/{name}{query}")
}

fn remove_sqlite_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_replaces_the_path_only() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgresql://u:p/w@h/db?sslmode=require", "t2"),
            "postgresql://u:p/w@h/t2?sslmode=require"
        );
        assert_eq!(with_database("postgres://h", "t3"), "postgres://h/t3");
        assert_eq!(
            with_database("postgres://h?x=1", "t4"),
            "postgres://h/t4?x=1"
        );
    }

    #[test]
    fn test_servers_are_reached_without_tls_unless_asked() {
        assert_eq!(
            without_tls_by_default("postgres://h/db"),
            "postgres://h/db?sslmode=disable"
        );
        assert_eq!(
            without_tls_by_default("postgres://h/db?x=1"),
            "postgres://h/db?x=1&sslmode=disable"
        );
        assert_eq!(
            without_tls_by_default("postgres://h/db?sslmode=require"),
            "postgres://h/db?sslmode=require"
        );
    }

    #[test]
    fn names_are_unique_and_valid_identifiers() {
        let (first, second) = (unique_name(), unique_name());
        assert_ne!(first, second);
        assert!(first.len() <= 63, "{first}");
        assert!(
            first
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        );
    }
}
