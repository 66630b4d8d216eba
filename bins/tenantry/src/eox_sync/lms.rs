//! The LMS side of the eox-tenant sync: eox-tenant's two tables in the Open edX MySQL or
//! MariaDB database, read into [`LmsRows`] and changed by [`Change`]s, over the pure-Rust
//! `mysql` client (no system library).
//!
//! Every read-plan-apply of one tenant runs under one MySQL named lock
//! ([`SYNC_LOCK`]), so several tenantry nodes never interleave their changes, and inside
//! one MySQL transaction, so the LMS sees all of a tenant's changes or none.

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, Transaction, TxOpts, Value};
use secrecy::{ExposeSecret, SecretString};
use tenantry_tenant::eox_sync::{Change, LmsConfig, LmsRoute, LmsRows};

/// The MySQL named lock every node takes while it changes the LMS tables.
pub const SYNC_LOCK: &str = "tenantry_eox_tenant_sync";
/// How long a node waits for that lock before it gives the attempt up (and retries):
/// well under the read timeout, so a busy lock reads as busy, not as a dead server.
const LOCK_WAIT_SECONDS: u32 = 5;
/// Connect, read and write timeouts: a frozen server fails an attempt instead of
/// blocking the worker.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why the LMS database could not be read or changed. The text never holds the password.
#[derive(Debug, thiserror::Error)]
pub enum LmsError {
    /// The URL is not a `mysql://` URL the client understands.
    #[error("TENANTRY_EOX_DATABASE_URL is not a valid mysql:// URL: {0}")]
    Url(String),
    /// The server could not be reached or refused a statement.
    #[error("the Open edX database: {0}")]
    Database(String),
    /// Another node held the sync lock for too long.
    #[error("another tenantry node is changing the eox-tenant tables; trying again later")]
    Busy,
}

impl From<mysql::Error> for LmsError {
    fn from(error: mysql::Error) -> Self {
        // The client's errors name hosts and statements, never the password.
        Self::Database(error.to_string())
    }
}

/// `TENANTRY_EOX_DATABASE_URL`: a `mysql://USER:PASSWORD@HOST:PORT/DB` URL, checked when
/// read. Shown (`Display`, `Debug`) without its password.
#[derive(Clone)]
pub struct LmsUrl {
    secret: SecretString,
    redacted: String,
}

impl LmsUrl {
    /// Checks `text` as a MySQL URL naming a database.
    pub fn parse(text: &str) -> Result<Self, LmsError> {
        let options = Opts::from_url(text)
            .map_err(|error| LmsError::Url(redacted_url_error(&error.to_string())))?;
        let Some(database) = options.get_db_name() else {
            return Err(LmsError::Url(
                "it names no database (mysql://USER:PASSWORD@HOST:PORT/DB)".into(),
            ));
        };
        let redacted = format!(
            "mysql://{}@{}:{}/{database}",
            options.get_user().unwrap_or_default(),
            options.get_ip_or_hostname(),
            options.get_tcp_port(),
        );
        Ok(Self {
            secret: SecretString::from(text),
            redacted,
        })
    }
}

impl std::fmt::Display for LmsUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl std::fmt::Debug for LmsUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LmsUrl({})", self.redacted)
    }
}

/// A connection to the LMS database, opened on first use and again after a failure.
pub struct Lms {
    options: Opts,
    conn: Option<Conn>,
}

impl Lms {
    /// The LMS database at `url` (`mysql://USER:PASSWORD@HOST:PORT/DB`); connects lazily.
    pub fn new(url: &LmsUrl) -> Result<Self, LmsError> {
        let parsed = Opts::from_url(url.secret.expose_secret())
            .map_err(|error| LmsError::Url(redacted_url_error(&error.to_string())))?;
        let options = OptsBuilder::from_opts(parsed)
            .tcp_connect_timeout(Some(TIMEOUT))
            .read_timeout(Some(TIMEOUT))
            .write_timeout(Some(TIMEOUT))
            .prefer_socket(false)
            .into();
        Ok(Self {
            options,
            conn: None,
        })
    }

    /// Runs `work` in one transaction under the sync lock. `work` returns its value and
    /// whether to commit (a dry run does not); after a commit, `after_commit` runs while
    /// the lock is still held. A failure drops the connection, so the next attempt
    /// reconnects.
    pub fn locked<T, E: From<LmsError>>(
        &mut self,
        work: impl FnOnce(&mut Transaction<'_>) -> Result<(T, bool), E>,
        after_commit: impl FnOnce(&T) -> Result<(), E>,
    ) -> Result<T, E> {
        let outcome = self.try_locked(work, after_commit);
        if outcome.is_err() {
            self.conn = None;
        }
        outcome
    }

    fn try_locked<T, E: From<LmsError>>(
        &mut self,
        work: impl FnOnce(&mut Transaction<'_>) -> Result<(T, bool), E>,
        after_commit: impl FnOnce(&T) -> Result<(), E>,
    ) -> Result<T, E> {
        if self.conn.is_none() {
            self.conn = Some(Conn::new(self.options.clone()).map_err(LmsError::from)?);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(LmsError::Database("not connected".into()).into());
        };
        let locked: Option<Option<i64>> = conn
            .exec_first("SELECT GET_LOCK(?, ?)", (SYNC_LOCK, LOCK_WAIT_SECONDS))
            .map_err(LmsError::from)?;
        if locked.flatten() != Some(1) {
            return Err(LmsError::Busy.into());
        }
        let outcome = (|| {
            let mut transaction = conn
                .start_transaction(TxOpts::default())
                .map_err(LmsError::from)?;
            let (value, commit) = work(&mut transaction)?;
            if commit {
                transaction.commit().map_err(LmsError::from)?;
                after_commit(&value)?;
            } else {
                transaction.rollback().map_err(LmsError::from)?;
            }
            Ok(value)
        })();
        conn.exec_drop("DO RELEASE_LOCK(?)", (SYNC_LOCK,))
            .map_err(LmsError::from)?;
        outcome
    }
}

/// `mysql`'s URL errors can quote the URL: keep only the error's kind.
fn redacted_url_error(text: &str) -> String {
    match text.split_once(':') {
        Some((kind, _)) if text.contains('@') => kind.to_owned(),
        _ if text.contains('@') => "invalid URL".to_owned(),
        _ => text.to_owned(),
    }
}

fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

/// The configs under `keys` and the routes pointing at them or serving `domains`;
/// `owned_by_tenantry` is filled in by the caller.
pub fn read_rows(
    transaction: &mut Transaction<'_>,
    keys: &[String],
    domains: &[String],
) -> Result<LmsRows, LmsError> {
    let mut rows = LmsRows::default();
    if !keys.is_empty() {
        let configs: Vec<(String, String, String, String, String)> = transaction.exec(
            format!(
                "SELECT external_key, lms_configs, studio_configs, theming_configs, meta \
                 FROM eox_tenant_tenantconfig WHERE external_key IN ({}) ORDER BY id",
                placeholders(keys.len())
            ),
            keys.iter()
                .map(|key| Value::from(key.as_str()))
                .collect::<Vec<_>>(),
        )?;
        rows.configs = configs
            .into_iter()
            .map(
                |(external_key, lms_configs, studio_configs, theming_configs, meta)| LmsConfig {
                    external_key,
                    lms_configs,
                    studio_configs,
                    theming_configs,
                    meta,
                },
            )
            .collect();
    }
    if keys.is_empty() && domains.is_empty() {
        return Ok(rows);
    }
    let mut parameters: Vec<Value> = keys.iter().map(|key| Value::from(key.as_str())).collect();
    parameters.extend(domains.iter().map(|domain| Value::from(domain.as_str())));
    let condition = match (keys.len(), domains.len()) {
        (0, n) => format!("r.domain IN ({})", placeholders(n)),
        (n, 0) => format!("c.external_key IN ({})", placeholders(n)),
        (k, d) => format!(
            "c.external_key IN ({}) OR r.domain IN ({})",
            placeholders(k),
            placeholders(d)
        ),
    };
    let routes: Vec<(String, Option<String>)> = transaction.exec(
        format!(
            "SELECT r.domain, c.external_key FROM eox_tenant_route r \
             LEFT JOIN eox_tenant_tenantconfig c ON c.id = r.config_id WHERE {condition} \
             ORDER BY r.id"
        ),
        parameters,
    )?;
    rows.routes = routes
        .into_iter()
        .map(|(domain, external_key)| LmsRoute {
            domain,
            external_key,
            owned_by_tenantry: false,
        })
        .collect();
    Ok(rows)
}

/// Fails unless the last statement changed exactly one row (a route moved or added
/// where the plan expected it), so that a plan that no longer fits the tables rolls back
/// instead of reporting a change that did not happen.
fn one_row(transaction: &Transaction<'_>, change: &Change) -> Result<(), LmsError> {
    match transaction.affected_rows() {
        1 => Ok(()),
        rows => Err(LmsError::Database(format!(
            "{change}: changed {rows} rows instead of one; trying again"
        ))),
    }
}

/// Applies `changes` in order.
pub fn apply(transaction: &mut Transaction<'_>, changes: &[Change]) -> Result<(), LmsError> {
    for change in changes {
        match change {
            Change::DeleteConfig { external_key } => {
                transaction.exec_drop(
                    "DELETE r FROM eox_tenant_route r JOIN eox_tenant_tenantconfig c \
                     ON c.id = r.config_id WHERE c.external_key = ?",
                    (external_key,),
                )?;
                transaction.exec_drop(
                    "DELETE FROM eox_tenant_tenantconfig WHERE external_key = ?",
                    (external_key,),
                )?;
            }
            Change::CreateConfig { row } => transaction.exec_drop(
                "INSERT INTO eox_tenant_tenantconfig \
                 (external_key, lms_configs, studio_configs, theming_configs, meta) \
                 VALUES (?, ?, ?, ?, ?)",
                (
                    &row.external_key,
                    &row.lms_configs,
                    &row.studio_configs,
                    &row.theming_configs,
                    &row.meta,
                ),
            )?,
            Change::UpdateConfig { row, .. } => transaction.exec_drop(
                "UPDATE eox_tenant_tenantconfig SET lms_configs = ?, studio_configs = ?, \
                 theming_configs = ?, meta = ? WHERE external_key = ?",
                (
                    &row.lms_configs,
                    &row.studio_configs,
                    &row.theming_configs,
                    &row.meta,
                    &row.external_key,
                ),
            )?,
            Change::RemoveRoute { domain, .. } => {
                transaction
                    .exec_drop("DELETE FROM eox_tenant_route WHERE domain = ?", (domain,))?;
            }
            Change::MoveRoute { domain, to, .. } => {
                transaction.exec_drop(
                    "UPDATE eox_tenant_route SET config_id = (SELECT id FROM \
                     eox_tenant_tenantconfig WHERE external_key = ? ORDER BY id LIMIT 1) \
                     WHERE domain = ?",
                    (to, domain),
                )?;
                one_row(transaction, change)?;
            }
            Change::AddRoute {
                domain,
                external_key,
            } => {
                transaction.exec_drop(
                    "INSERT INTO eox_tenant_route (domain, config_id) SELECT ?, id FROM \
                     eox_tenant_tenantconfig WHERE external_key = ? ORDER BY id LIMIT 1",
                    (domain, external_key),
                )?;
                one_row(transaction, change)?;
            }
        }
    }
    Ok(())
}
