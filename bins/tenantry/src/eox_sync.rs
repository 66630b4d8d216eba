//! The eox-tenant sync: keeps the Open edX database's `eox_tenant_tenantconfig` and
//! `eox_tenant_route` rows in step with tenantry (`TENANTRY_EOX_DATABASE_URL`).
//!
//! A change that affects Open edX marks its tenant in tenantry's own database, in the
//! change's transaction ([`tenantry_store::eox_sync::mark_changed`]). The worker thread
//! ([`start_worker`]) takes marked tenants, reads the tenant as it is now, plans the
//! LMS changes ([`tenantry_tenant::eox_sync::plan`]) and applies them in one MySQL
//! transaction; the outcome is recorded in the ledger. Because the LMS is brought to the
//! tenant's current state (not replayed change by change), applying twice is harmless
//! and an outage only delays: a failed attempt is retried with backoff ([`retry_delay`]),
//! and nothing is lost across restarts. `tenantry eox-tenant sync` ([`EoxSync::reconcile`])
//! does the same for every tenant at once, correcting drift from manual edits.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tenantry_store::eox_sync::{self as ledger, DueSync};
use tenantry_store::{Database, StoreError, TenantStore};
use tenantry_tenant::eox::{every_tenant, record_of};
use tenantry_tenant::eox_sync::{Change, Conflict, desired_state, plan};
use tenantry_tenant::urls::UrlConfig;
use tenantry_tenant::{Clock, RepositoryError, Status, TenantName, TenantRepository};

use crate::worker::{StopSignal, Worker};

mod lms;

pub use lms::{Lms, LmsError, LmsUrl, SYNC_LOCK};

/// Tenants taken from the ledger in one pass.
const BATCH_SIZE: u32 = 50;
/// The wait after the first failed attempt; it doubles with each further failure.
pub const FIRST_RETRY: Duration = Duration::from_secs(2);
/// The longest wait between two attempts.
pub const MAX_RETRY: Duration = Duration::from_secs(300);
/// How long a claimed tenant belongs to the worker syncing it (well over the MySQL
/// timeouts); if the worker dies, another node retries afterwards.
const CLAIM_LEASE: Duration = Duration::from_secs(120);

/// Why a tenant could not be brought in step.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The LMS database failed or could not be reached.
    #[error(transparent)]
    Lms(#[from] LmsError),
    /// The LMS holds rows tenantry does not own where the tenant needs to write.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// tenantry's own database failed.
    #[error("tenantry's database: {0}")]
    Store(String),
}

impl From<StoreError> for SyncError {
    fn from(error: StoreError) -> Self {
        Self::Store(error.to_string())
    }
}

impl From<RepositoryError> for SyncError {
    fn from(error: RepositoryError) -> Self {
        Self::Store(error.to_string())
    }
}

/// How long to wait before the next attempt after `attempts` failed ones in a row: 2 s,
/// 4 s, 8 s, … capped at 5 minutes.
pub fn retry_delay(attempts: u32) -> Duration {
    let factor = 2u32
        .checked_pow(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX);
    FIRST_RETRY.saturating_mul(factor).min(MAX_RETRY)
}

/// What happened to one tenant in a reconciliation.
#[derive(Debug)]
pub struct TenantOutcome {
    /// The tenant.
    pub tenant: String,
    /// The changes made (or, in a dry run, that would be made), or why none could be.
    pub result: Result<Vec<Change>, SyncError>,
}

/// The sync between tenantry's database and the LMS's.
pub struct EoxSync {
    database: Database,
    lms: Lms,
    urls: UrlConfig,
    clock: Arc<dyn Clock>,
}

impl EoxSync {
    /// A sync from `database` to the LMS database at `lms_url`.
    pub fn new(
        database: Database,
        lms_url: &LmsUrl,
        urls: UrlConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LmsError> {
        Ok(Self {
            database,
            lms: Lms::new(lms_url)?,
            urls,
            clock,
        })
    }

    /// Brings the LMS in step with the tenant named `name` as it is now (or, with
    /// `dry_run`, only plans it), and returns the changes. Everything — the tenant, the keys
    /// it owns, the LMS rows — is read under the sync lock, so a run that waited for
    /// another starts from what that run left and never writes an older state over it.
    pub fn sync_tenant(&mut self, name: &str, dry_run: bool) -> Result<Vec<Change>, SyncError> {
        let database = &self.database;
        let urls = &self.urls;
        let outcome = self.lms.locked(
            |transaction| {
                let desired = desired_row(database, urls, name).map_err(Outcome::from)?;
                let owned =
                    store_step(ledger::owned_keys(&mut store_step(database.conn())?, name))?;
                let mut keys: BTreeSet<String> = owned.iter().cloned().collect();
                keys.extend(desired.iter().map(|row| row.external_key.clone()));
                let keys: Vec<String> = keys.into_iter().collect();
                let domains = desired
                    .as_ref()
                    .map(|row| row.routes.clone())
                    .unwrap_or_default();
                let mut rows = lms::read_rows(transaction, &keys, &domains)?;
                let route_keys: Vec<String> = rows
                    .routes
                    .iter()
                    .filter_map(|route| route.external_key.clone())
                    .collect();
                let tenantry_keys = in_tenantry(database, &route_keys)?;
                for route in &mut rows.routes {
                    route.owned_by_tenantry = route
                        .external_key
                        .as_ref()
                        .is_some_and(|key| tenantry_keys.contains(key));
                }
                let changes = plan(desired.as_ref(), &owned, &rows).map_err(Outcome::Conflict)?;
                let keep = desired.as_ref().map(|row| row.external_key.clone());
                if dry_run {
                    return Ok(((changes, None), false));
                }
                if changes.is_empty() {
                    // Nothing to write; keys whose configs are gone are forgotten now.
                    release(database, name, keep.as_deref())?;
                    return Ok(((changes, None), false));
                }
                if let Some(row) = &desired {
                    // Recorded before the row exists: a crash in between leaves a key
                    // tenantry owns and has not written, which the next attempt writes.
                    store_step(ledger::own_key(
                        &mut store_step(database.conn())?,
                        &row.external_key,
                        name,
                    ))?;
                }
                lms::apply(transaction, &changes)?;
                Ok(((changes, Some(keep)), true))
            },
            // After the commit, still under the lock: keys whose configs were deleted.
            |(_, keep): &(Vec<Change>, Option<Option<String>>)| match keep {
                Some(keep) => release(database, name, keep.as_deref()),
                None => Ok(()),
            },
        );
        match outcome {
            Ok((changes, _)) => Ok(changes),
            Err(Outcome::Conflict(conflict)) => Err(conflict.into()),
            Err(Outcome::Lms(error)) => Err(error.into()),
            Err(Outcome::Store(error)) => Err(SyncError::Store(error)),
        }
    }

    /// Syncs every tenant whose changes are due, recording each outcome. Returns how many
    /// were synced and how many failed.
    pub fn sync_due(&mut self, stop: &StopSignal) -> Result<(usize, usize), SyncError> {
        let now = self.clock.now();
        let due = ledger::due(&mut self.database.conn()?, now, BATCH_SIZE)?;
        let (mut synced, mut failed) = (0, 0);
        for job in due {
            if stop.is_stopped() {
                break;
            }
            let lease_until = self.clock.now() + chrono_duration(CLAIM_LEASE);
            if !ledger::claim(&mut self.database.conn()?, &job, lease_until)? {
                continue;
            }
            if self.sync_claimed(&job)? {
                synced += 1;
            } else {
                failed += 1;
            }
        }
        Ok((synced, failed))
    }

    fn sync_claimed(&mut self, job: &DueSync) -> Result<bool, SyncError> {
        match self.sync_tenant(&job.tenant_name, false) {
            Ok(changes) => {
                for change in &changes {
                    log::info!("eox-tenant sync of {}: {change}", job.tenant_name);
                }
                let now = self.clock.now();
                ledger::record_success(
                    &mut self.database.conn()?,
                    &job.tenant_name,
                    job.generation,
                    now,
                )?;
                Ok(true)
            }
            Err(SyncError::Store(error)) => Err(SyncError::Store(error)),
            Err(error) => {
                let attempts = job.attempts.saturating_add(1);
                let next = self.clock.now() + chrono_duration(retry_delay(attempts));
                if attempts == 1 {
                    log::warn!("eox-tenant sync of {} failed: {error}", job.tenant_name);
                } else {
                    log::debug!(
                        "eox-tenant sync of {} failed again: {error}",
                        job.tenant_name
                    );
                }
                ledger::record_failure(
                    &mut self.database.conn()?,
                    &job.tenant_name,
                    attempts,
                    &error.to_string(),
                    next,
                )?;
                Ok(false)
            }
        }
    }

    /// Brings every tenant in step (or, with `dry_run`, only plans it): every tenant
    /// tenantry holds, deleted ones too, and every tenant the ledger remembers (purged
    /// ones whose rows may still be in the LMS). A tenant synced for real is recorded as
    /// in step up to the changes made before it was read.
    pub fn reconcile(&mut self, dry_run: bool) -> Result<Vec<TenantOutcome>, SyncError> {
        // Reach the LMS first, so that a wrong URL is reported even with no tenants.
        self.lms
            .locked(|_| Ok::<_, LmsError>(((), false)), |()| Ok(()))?;
        let names = {
            let mut conn = self.database.conn()?;
            let mut names: BTreeSet<String> =
                ledger::every_tenant_name(&mut conn)?.into_iter().collect();
            let mut store = TenantStore::new(&mut conn);
            for status in [None, Some(Status::Deleted)] {
                names.extend(
                    every_tenant(&mut store, status)?
                        .into_iter()
                        .map(|tenant| tenant.name.to_string()),
                );
            }
            names
        };
        let mut outcomes = Vec::new();
        for name in names {
            let generation = ledger::generation_of(&mut self.database.conn()?, &name)?;
            // An outage of either database ends the run; a conflict is one tenant's.
            let result = match self.sync_tenant(&name, dry_run) {
                Err(error @ (SyncError::Lms(_) | SyncError::Store(_))) => return Err(error),
                other => other,
            };
            if let (Ok(_), false, Some(generation)) = (&result, dry_run, generation) {
                let now = self.clock.now();
                ledger::record_success(&mut self.database.conn()?, &name, generation, now)?;
            }
            outcomes.push(TenantOutcome {
                tenant: name,
                result,
            });
        }
        Ok(outcomes)
    }

    /// Runs [`EoxSync::sync_due`] every `poll_interval` until `stop`.
    fn run(mut self, poll_interval: Duration, stop: &StopSignal) {
        let mut failing = false;
        loop {
            match self.sync_due(stop) {
                Ok(_) => failing = false,
                Err(error) if failing => log::debug!("the eox-tenant sync still fails: {error}"),
                Err(error) => {
                    log::warn!("the eox-tenant sync cannot read its ledger: {error}");
                    failing = true;
                }
            }
            if stop.wait(poll_interval) {
                break;
            }
        }
    }
}

/// Why the locked step of [`EoxSync::sync_tenant`] ended early.
enum Outcome {
    Conflict(Conflict),
    Lms(LmsError),
    Store(String),
}

impl From<SyncError> for Outcome {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Conflict(conflict) => Self::Conflict(conflict),
            SyncError::Lms(error) => Self::Lms(error),
            SyncError::Store(error) => Self::Store(error),
        }
    }
}

/// What the LMS should hold for the tenant named `name`, as it is now in tenantry.
fn desired_row(
    database: &Database,
    urls: &UrlConfig,
    name: &str,
) -> Result<Option<tenantry_tenant::eox::StoredRow>, SyncError> {
    let mut conn = database.conn()?;
    let mut store = TenantStore::new(&mut conn);
    let tenant = match TenantName::parse(name) {
        Ok(parsed) => store.find_by_name(&parsed)?,
        Err(_) => None,
    };
    Ok(match tenant {
        Some(tenant) => {
            let row = record_of(&mut store, urls, &tenant)?.to_stored_row();
            desired_state(Some(tenant.status), Some(row))
        }
        None => desired_state(None, None),
    })
}

/// Forgets the tenant's owned keys other than `keep`.
fn release(database: &Database, name: &str, keep: Option<&str>) -> Result<(), Outcome> {
    store_step(ledger::release_keys(
        &mut store_step(database.conn())?,
        name,
        keep,
    ))
}

impl From<LmsError> for Outcome {
    fn from(error: LmsError) -> Self {
        Self::Lms(error)
    }
}

impl From<mysql::Error> for Outcome {
    fn from(error: mysql::Error) -> Self {
        Self::Lms(error.into())
    }
}

/// A tenantry database step inside the LMS transaction: its failure aborts the attempt
/// (the LMS transaction rolls back).
fn store_step<T>(result: Result<T, StoreError>) -> Result<T, Outcome> {
    result.map_err(|error| Outcome::Store(error.to_string()))
}

fn in_tenantry(database: &Database, keys: &[String]) -> Result<BTreeSet<String>, Outcome> {
    if keys.is_empty() {
        return Ok(BTreeSet::new());
    }
    let owned = store_step(ledger::owned_among(&mut store_step(database.conn())?, keys))?;
    Ok(owned.into_iter().collect())
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

/// Starts the sync worker thread, looking for due tenants every `poll_interval`.
pub fn start_worker(sync: EoxSync, poll_interval: Duration) -> std::io::Result<Worker> {
    Worker::start("eox-tenant-sync", move |stop| {
        log::info!("eox-tenant sync started");
        sync.run(poll_interval, stop);
        log::info!("eox-tenant sync stopped");
    })
}

/// Writes a reconciliation's report: one line a tenant that changed or failed, then a
/// summary. Returns whether every tenant is in step (or would be, in a dry run).
pub fn write_report(
    outcomes: &[TenantOutcome],
    dry_run: bool,
    out: &mut dyn Write,
) -> std::io::Result<bool> {
    let (mut changed, mut failed) = (0, 0);
    for outcome in outcomes {
        match &outcome.result {
            Ok(changes) if changes.is_empty() => {}
            Ok(changes) => {
                changed += 1;
                for change in changes {
                    let verb = if dry_run { "would " } else { "" };
                    writeln!(out, "{}: {verb}{change}", outcome.tenant)?;
                }
            }
            Err(error) => {
                failed += 1;
                writeln!(out, "{}: not in step: {error}", outcome.tenant)?;
            }
        }
    }
    let in_step = outcomes.len() - changed - failed;
    let summary = if dry_run {
        "dry run, nothing changed: "
    } else {
        ""
    };
    writeln!(
        out,
        "{summary}{} tenants checked: {changed} {}, {in_step} already in step, {failed} \
         with conflicts",
        outcomes.len(),
        if dry_run { "to change" } else { "changed" },
    )?;
    Ok(failed == 0)
}
