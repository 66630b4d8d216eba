//! One PostgreSQL database per tenant, owned by a login role of the same name, on the
//! control database's server.

use diesel::sql_types::{BigInt, Bool, Integer, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use tenantry_registration::SecretToken;
use tenantry_tenant::provisioning::ProvisioningClaim;
use tenantry_tenant::{
    DatabaseBackend, DatabaseCredentials, DatabaseProvisioner, ProvisionError, ProvisionedDatabase,
    TenantName, database_identifier,
};

use crate::DatabaseUrl;
use crate::manager::establish_postgres;

/// Characters in a generated role password, all from `[A-Za-z0-9]` (about 190 bits).
pub(crate) const PASSWORD_LENGTH: usize = 32;

/// Creates, for each tenant, the role `<identifier>` (with a generated password and a
/// connection limit) and the database `<identifier>` it owns, on the server of the control
/// database, through a plain connection to the control database's URL.
///
/// The control database's user needs `CREATEDB` and `CREATEROLE` (or to be a superuser).
/// It is granted each tenant role, which PostgreSQL requires of a non-superuser that
/// creates a database owned by another role. Every privilege on each tenant database
/// (`CONNECT`, `TEMPORARY`, `CREATE`) is revoked from `PUBLIC`, so one tenant's role
/// cannot connect to another tenant's database; only the owner keeps them. The role is
/// created `NOLOGIN` and given `LOGIN` as the last step, so a create interrupted on the
/// way leaves nothing anyone can log in to. Whether tenant roles may connect to the
/// control database or `postgres` is the operator's choice (`REVOKE CONNECT … FROM
/// PUBLIC` there); see the README.
///
/// The password travels to the server inside `CREATE ROLE … PASSWORD '…'` (utility
/// statements take no parameters), where it is hashed with the server's
/// `password_encryption`; a server that logs DDL statements (`log_statement = ddl`) would
/// log it. tenantry itself never logs it.
#[derive(Debug, Clone)]
pub struct PostgresProvisioner {
    admin_url: DatabaseUrl,
    namespace: Option<String>,
    connection_limit: u32,
}

/// The connections a tenant role may hold at once unless configured otherwise.
pub const DEFAULT_CONNECTION_LIMIT: u32 = 10;

/// The first key of the advisory locks behind [`DatabaseProvisioner::claim`] (`tent`);
/// the second is `hashtext(<identifier>)`.
const CLAIM_LOCK_CLASS: i32 = 0x7465_6e74;

/// The longest namespace: it replaces the 7 bytes of `tenant_`, so identifiers stay
/// within PostgreSQL's 63.
pub const MAX_NAMESPACE_LENGTH: usize = 6;

impl PostgresProvisioner {
    /// A provisioner creating databases through `admin_url` (the control database's URL;
    /// any database of the server will do).
    pub fn new(admin_url: DatabaseUrl) -> Self {
        Self {
            admin_url,
            namespace: None,
            connection_limit: DEFAULT_CONNECTION_LIMIT,
        }
    }

    /// Lets each tenant role hold at most `limit` connections at once (`CONNECTION
    /// LIMIT`; [`DEFAULT_CONNECTION_LIMIT`] unless set). Applies to roles created from
    /// now on.
    #[must_use]
    pub fn with_connection_limit(mut self, limit: u32) -> Self {
        self.connection_limit = limit;
        self
    }

    /// Names this provisioner's databases `<namespace>_<name>` instead of
    /// `tenant_<name>`, so that several deployments (or test runs) share one server
    /// without clashing. `namespace` must be 1–6 characters of `[a-z0-9]`; anything else
    /// is ignored and the default naming stays.
    #[must_use]
    pub fn in_namespace(mut self, namespace: &str) -> Self {
        let valid = !namespace.is_empty()
            && namespace.len() <= MAX_NAMESPACE_LENGTH
            && namespace
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit());
        if valid {
            self.namespace = Some(namespace.to_owned());
        }
        self
    }

    /// The role and database name of `tenant`.
    pub fn identifier(&self, tenant: &TenantName) -> String {
        let base = database_identifier(tenant);
        match (&self.namespace, base.strip_prefix("tenant_")) {
            (Some(namespace), Some(rest)) => format!("{namespace}_{rest}"),
            _ => base,
        }
    }

    fn connect(&self) -> Result<PgConnection, ProvisionError> {
        // The store's error is already redacted: it names the URL without its password.
        establish_postgres(&self.admin_url)
            .map_err(|error| ProvisionError::Failed(error.to_string()))
    }
}

impl DatabaseProvisioner for PostgresProvisioner {
    fn planned(&self, tenant: &TenantName) -> ProvisionedDatabase {
        let name = self.identifier(tenant);
        ProvisionedDatabase {
            backend: DatabaseBackend::Postgres,
            database: name.clone(),
            role: Some(name),
        }
    }

    /// A session-level advisory lock on a connection of its own, held by the claim: the
    /// server releases it when the claim is dropped or when the process dies, and it
    /// excludes every tenantry node on the server.
    fn claim(&self, tenant: &TenantName) -> Result<Option<ProvisioningClaim>, ProvisionError> {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = Bool)]
            locked: bool,
        }
        let mut conn = self.connect()?;
        let locked: Locked =
            diesel::sql_query("SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked")
                .bind::<Integer, _>(CLAIM_LOCK_CLASS)
                .bind::<Text, _>(self.identifier(tenant))
                .get_result(&mut conn)
                .map_err(|error| ProvisionError::Failed(error.to_string()))?;
        Ok(locked.locked.then(|| ProvisioningClaim::new(conn)))
    }

    /// Reads the user's `rolsuper`, `rolcreatedb` and `rolcreaterole`: a tenant needs a
    /// role and a database of its own.
    fn check(&self) -> Result<(), ProvisionError> {
        check_privileges(&mut self.connect()?)
    }

    fn create(&self, tenant: &TenantName) -> Result<DatabaseCredentials, ProvisionError> {
        let name = self.identifier(tenant);
        let mut conn = self.connect()?;
        check_privileges(&mut conn)?;
        if role_exists(&mut conn, &name)? || database_exists(&mut conn, &name)? {
            return Err(ProvisionError::AlreadyExists);
        }
        let password = generate_password()?;
        let role = quote_identifier(&name);
        execute(
            &mut conn,
            &format!(
                "CREATE ROLE {role} NOLOGIN PASSWORD {} CONNECTION LIMIT {}",
                quote_literal(&password),
                self.connection_limit
            ),
            &password,
        )?;
        // From here on, a failure drops what was created.
        let created = execute(
            &mut conn,
            &format!("GRANT {role} TO CURRENT_USER"),
            &password,
        )
        .and_then(|()| {
            // CREATE DATABASE cannot run inside a transaction: a statement of its own.
            execute(
                &mut conn,
                &format!("CREATE DATABASE {role} OWNER {role}"),
                &password,
            )
        })
        .and_then(|()| {
            execute(
                &mut conn,
                &format!("REVOKE ALL ON DATABASE {role} FROM PUBLIC"),
                &password,
            )
        })
        // The last step: until now nobody could log in as the role.
        .and_then(|()| execute(&mut conn, &format!("ALTER ROLE {role} LOGIN"), &password));
        let database = self.planned(tenant);
        if let Err(error) = created {
            if let Err(cleanup) = drop_database_and_role(&mut conn, &database) {
                log::warn!("cannot remove the half-created database {name}: {cleanup}");
            }
            return Err(error);
        }
        let url = tenant_url(
            &self.admin_url.libpq_url().unwrap_or_default(),
            &name,
            &password,
            &name,
        );
        Ok(DatabaseCredentials {
            database,
            password: Some(password),
            url,
        })
    }

    /// `DROP DATABASE IF EXISTS … WITH (FORCE)` (ending every session on it; PostgreSQL
    /// 13 or later), then `DROP ROLE IF EXISTS …`.
    fn drop_database(&self, database: &ProvisionedDatabase) -> Result<(), ProvisionError> {
        if database.backend != DatabaseBackend::Postgres {
            return Err(ProvisionError::Failed(format!(
                "{} is a {} database, not a PostgreSQL one",
                database.database, database.backend
            )));
        }
        let mut conn = self.connect()?;
        drop_database_and_role(&mut conn, database)
    }
}

fn drop_database_and_role(
    conn: &mut PgConnection,
    database: &ProvisionedDatabase,
) -> Result<(), ProvisionError> {
    execute(
        conn,
        &format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_identifier(&database.database)
        ),
        "",
    )?;
    if let Some(role) = &database.role {
        execute(
            conn,
            &format!("DROP ROLE IF EXISTS {}", quote_identifier(role)),
            "",
        )?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

fn role_exists(conn: &mut PgConnection, name: &str) -> Result<bool, ProvisionError> {
    exists(
        conn,
        "SELECT count(*) AS count FROM pg_roles WHERE rolname = $1",
        name,
    )
}

fn database_exists(conn: &mut PgConnection, name: &str) -> Result<bool, ProvisionError> {
    exists(
        conn,
        "SELECT count(*) AS count FROM pg_database WHERE datname = $1",
        name,
    )
}

fn exists(conn: &mut PgConnection, sql: &str, name: &str) -> Result<bool, ProvisionError> {
    let found: Count = diesel::sql_query(sql)
        .bind::<Text, _>(name)
        .get_result(conn)
        .map_err(|error| ProvisionError::Failed(error.to_string()))?;
    Ok(found.count > 0)
}

/// [`ProvisionError::MissingPrivilege`] unless the connection's user is a superuser or may
/// create both databases and roles.
fn check_privileges(conn: &mut PgConnection) -> Result<(), ProvisionError> {
    #[derive(QueryableByName)]
    struct Privileges {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Bool)]
        superuser: bool,
        #[diesel(sql_type = Bool)]
        create_database: bool,
        #[diesel(sql_type = Bool)]
        create_role: bool,
    }
    let found: Privileges = diesel::sql_query(
        "SELECT rolname::text AS name, rolsuper AS superuser, rolcreatedb AS create_database, \
         rolcreaterole AS create_role FROM pg_roles WHERE rolname = current_user",
    )
    .get_result(conn)
    .map_err(|error| ProvisionError::Failed(error.to_string()))?;
    if found.superuser {
        return Ok(());
    }
    let missing: Vec<&str> = [
        (!found.create_database).then_some("CREATEDB"),
        (!found.create_role).then_some("CREATEROLE"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ProvisionError::MissingPrivilege(format!(
        "the PostgreSQL user {} lacks {} and cannot create tenant databases: run \
         ALTER ROLE {} {} as a superuser",
        found.name,
        missing.join(" and "),
        quote_identifier(&found.name),
        missing.join(" ")
    )))
}

/// Runs one statement on its own (autocommit). A clash with an existing role or database
/// (which a concurrent create can cause after the checks) is
/// [`ProvisionError::AlreadyExists`]; any other error is `Failed` with `secret` removed
/// from the server's message, should it ever quote the statement back.
fn execute(conn: &mut PgConnection, sql: &str, secret: &str) -> Result<(), ProvisionError> {
    match diesel::sql_query(sql).execute(conn) {
        Ok(_) => Ok(()),
        Err(error) => {
            let mut message = error.to_string();
            if !secret.is_empty() {
                message = message.replace(secret, "***");
            }
            // A concurrent create can also trip the catalogue's unique index
            // (`duplicate key value violates unique constraint "pg_authid_rolname_index"`).
            if message.contains("already exists") || message.contains("duplicate key") {
                Err(ProvisionError::AlreadyExists)
            } else {
                Err(ProvisionError::Failed(message))
            }
        }
    }
}

/// A random password of [`PASSWORD_LENGTH`] characters from `[A-Za-z0-9]`, from the
/// operating system's generator: the letters and digits of base64url tokens (each of the
/// first 42 characters of a token carries 6 random bits; `-` and `_` are skipped, which
/// keeps the rest uniform). Needs neither quoting in SQL nor escaping in a URL.
fn generate_password() -> Result<String, ProvisionError> {
    let mut password = String::with_capacity(PASSWORD_LENGTH);
    while password.len() < PASSWORD_LENGTH {
        let token = SecretToken::generate()
            .map_err(|error| ProvisionError::Failed(format!("cannot make a password: {error}")))?;
        password.extend(
            token
                .expose()
                .chars()
                .take(SecretToken::LENGTH - 1)
                .filter(char::is_ascii_alphanumeric)
                .take(PASSWORD_LENGTH - password.len()),
        );
    }
    Ok(password)
}

/// `name` as a quoted SQL identifier (`"` doubled).
pub(crate) fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as a SQL string literal (`'` doubled; standard_conforming_strings is on by
/// default since PostgreSQL 9.1, so `\` needs no escaping).
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The URL of the tenant database `database` for `role`: the scheme, host and port of the
/// control database's URL `admin` and its query parameters except `user`, `password` and
/// `dbname`.
pub(crate) fn tenant_url(admin: &str, role: &str, password: &str, database: &str) -> String {
    let (scheme, rest) = admin.split_once("://").unwrap_or(("postgres", admin));
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let host_start = before_query.rfind('@').map_or(0, |at| at + 1);
    let host_end = before_query[host_start..]
        .find('/')
        .map_or(before_query.len(), |end| host_start + end);
    let host = &before_query[host_start..host_end];
    let kept: Vec<&str> = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            !pair.is_empty()
                && !["user", "password", "dbname"]
                    .iter()
                    .any(|dropped| key.eq_ignore_ascii_case(dropped))
        })
        .collect();
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    format!("{scheme}://{role}:{password}@{host}/{database}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_alphanumeric_and_different() {
        let one = generate_password().unwrap();
        let two = generate_password().unwrap();
        assert_eq!(one.len(), PASSWORD_LENGTH);
        assert!(one.chars().all(|c| c.is_ascii_alphanumeric()), "{one}");
        assert_ne!(one, two);
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_identifier("tenant_a"), "\"tenant_a\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn tenant_urls_keep_host_port_and_options_only() {
        assert_eq!(
            tenant_url(
                "postgres://postgres@127.0.0.1:5432/postgres",
                "r",
                "pw",
                "d"
            ),
            "postgres://r:pw@127.0.0.1:5432/d"
        );
        assert_eq!(
            tenant_url(
                "postgresql://admin:se/cr@t@db.internal:6432/tenantry?sslmode=require&password=x&connect_timeout=5",
                "r",
                "pw",
                "d"
            ),
            "postgresql://r:pw@db.internal:6432/d?sslmode=require&connect_timeout=5"
        );
        assert_eq!(
            tenant_url("postgres://h", "r", "pw", "d"),
            "postgres://r:pw@h/d"
        );
        assert_eq!(
            tenant_url("postgres://h?user=admin&dbname=x", "r", "pw", "d"),
            "postgres://r:pw@h/d"
        );
    }
}
