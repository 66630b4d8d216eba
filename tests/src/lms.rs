//! A scratch Open edX database on the MariaDB (or MySQL) server named by
//! `TENANTRY_TEST_MYSQL_URL` (`mysql://root@127.0.0.1:3306`), holding eox-tenant's two
//! tables as its Django migrations create them on MySQL: no `ON DELETE CASCADE` (Django
//! cascades in Python), `external_key` indexed but not unique, `domain` unique. Dropped
//! with the value.

use mysql::prelude::Queryable;
use mysql::{Conn, Opts};
use serde_json::Value;

/// eox-tenant's tables, as `./manage.py migrate eox_tenant` leaves them on MySQL: one
/// statement a line after the comment lines.
const EOX_TENANT_TABLES: &str = include_str!("../fixtures/eox_tenant_tables.sql");

/// What eox-tenant's `TenantConfigManager.get_configurations(domain)` reads for a domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Configurations {
    /// `external_key`.
    pub external_key: String,
    /// `lms_configs`, parsed.
    pub lms_configs: Value,
    /// `studio_configs`, parsed.
    pub studio_configs: Value,
    /// `theming_configs`, parsed.
    pub theming_configs: Value,
    /// `meta`, parsed.
    pub meta: Value,
}

/// A scratch LMS database.
pub struct LmsDatabase {
    server: String,
    name: String,
}

impl LmsDatabase {
    /// A new database with eox-tenant's tables; `None` when `TENANTRY_TEST_MYSQL_URL` is
    /// unset.
    ///
    /// # Panics
    /// When the server does not answer or refuses to create it.
    pub fn create() -> Option<LmsDatabase> {
        let server = std::env::var("TENANTRY_TEST_MYSQL_URL").ok()?;
        let server = server.trim_end_matches('/').to_owned();
        let name = format!("tenantry_lms_{:016x}", rand_suffix());
        let mut admin =
            Conn::new(Opts::from_url(&server).expect("a MySQL URL")).expect("MySQL answers");
        admin
            .query_drop(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            .expect("a scratch LMS database");
        let database = LmsDatabase { server, name };
        let mut conn = database.conn();
        for statement in EOX_TENANT_TABLES
            .lines()
            .filter(|line| !line.starts_with("--"))
        {
            conn.query_drop(statement).expect("eox-tenant's tables");
        }
        Some(database)
    }

    /// `mysql://…/<database>`, for `TENANTRY_EOX_DATABASE_URL`.
    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    /// A connection to the database.
    ///
    /// # Panics
    /// When the server does not answer.
    pub fn conn(&self) -> Conn {
        Conn::new(Opts::from_url(&self.url()).expect("a MySQL URL")).expect("MySQL answers")
    }

    /// What eox-tenant serves for `domain`: the query `get_configurations` runs.
    pub fn configurations(&self, domain: &str) -> Option<Configurations> {
        let row: Option<(String, String, String, String, String)> = self
            .conn()
            .exec_first(
                "SELECT eox_config.external_key, eox_config.lms_configs, \
                 eox_config.studio_configs, eox_config.theming_configs, eox_config.meta \
                 FROM eox_tenant_tenantconfig eox_config \
                 WHERE eox_config.id = (SELECT eox_tenant_route.config_id from eox_tenant_route \
                 WHERE eox_tenant_route.domain=?)",
                (domain,),
            )
            .expect("the query runs");
        row.map(|(external_key, lms, studio, theming, meta)| {
            let parse = |text: String| serde_json::from_str(&text).expect("JSON text");
            Configurations {
                external_key,
                lms_configs: parse(lms),
                studio_configs: parse(studio),
                theming_configs: parse(theming),
                meta: parse(meta),
            }
        })
    }

    /// Every config's `external_key`, by id.
    pub fn config_keys(&self) -> Vec<String> {
        self.conn()
            .query("SELECT external_key FROM eox_tenant_tenantconfig ORDER BY id")
            .expect("the query runs")
    }

    /// Every route as (domain, its config's key), by domain.
    pub fn routes(&self) -> Vec<(String, String)> {
        self.conn()
            .query(
                "SELECT r.domain, c.external_key FROM eox_tenant_route r \
                 JOIN eox_tenant_tenantconfig c ON c.id = r.config_id ORDER BY r.domain",
            )
            .expect("the query runs")
    }

    /// Runs `sql` (a change made by hand in the LMS).
    pub fn execute(&self, sql: &str) {
        self.conn().query_drop(sql).expect("the statement runs");
    }
}

impl Drop for LmsDatabase {
    fn drop(&mut self) {
        if let Ok(options) = Opts::from_url(&self.server)
            && let Ok(mut admin) = Conn::new(options)
        {
            let _ = admin.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
        }
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id())
}
