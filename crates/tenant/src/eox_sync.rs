//! Keeping an Open edX database's eox-tenant rows in step with tenantry: what the LMS
//! should hold for a tenant, and the changes that bring it there.
//!
//! The LMS side is two tables eox-tenant's Django models create: `eox_tenant_tenantconfig`
//! (`external_key` and four JSON text columns) and `eox_tenant_route` (`domain` unique,
//! `config_id` pointing at a config). tenantry writes only configs whose `external_key` it
//! owns — it records a key as its own before it first creates that config — and routes
//! pointing at such configs. Anything else in those tables belongs to someone else and is
//! never changed: a key or a domain tenantry wants but does not own is a [`Conflict`].
//!
//! What a tenant leaves in the LMS, by status ([`desired_state`]):
//! - active: its config and one route per domain ([`EoxTenantRecord::routes`]);
//! - suspended or cancelled: its config, no routes (eox-tenant stops serving its domains,
//!   and unsuspending brings them back with the configuration unchanged);
//! - deleted, or purged: nothing.
//!
//! [`plan`] compares that with what the LMS holds ([`LmsRows`]) and lists the
//! [`Change`]s, in the order they are to be applied; applying the same plan twice, or
//! planning again after applying, changes nothing more.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::eox::StoredRow;
use crate::{RepositoryError, Status, TenantName};

/// The longest `Route.domain` eox-tenant stores (`varchar(100)`).
pub const MAX_ROUTE_LENGTH: usize = 100;
/// The longest `TenantConfig.external_key` eox-tenant stores (`varchar(63)`).
pub const MAX_EXTERNAL_KEY_LENGTH: usize = 63;

/// What the LMS should hold for a tenant in `status` whose record is `row`: the row
/// itself when active, the row without routes when suspended or cancelled, nothing when
/// deleted. `None` for `row` means the tenant is gone (purged).
pub fn desired_state(status: Option<Status>, row: Option<StoredRow>) -> Option<StoredRow> {
    match (status, row) {
        (Some(Status::Active), Some(row)) => Some(row),
        (Some(Status::Suspended | Status::Cancelled), Some(mut row)) => {
            row.routes.clear();
            Some(row)
        }
        _ => None,
    }
}

/// A config row the LMS holds, with its JSON columns as stored text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LmsConfig {
    /// `external_key`.
    pub external_key: String,
    /// `lms_configs`.
    pub lms_configs: String,
    /// `studio_configs`.
    pub studio_configs: String,
    /// `theming_configs`.
    pub theming_configs: String,
    /// `meta`.
    pub meta: String,
}

/// A route row the LMS holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LmsRoute {
    /// `domain`.
    pub domain: String,
    /// The `external_key` of the config it points at (`None`: a dangling `config_id`).
    pub external_key: Option<String>,
    /// Whether tenantry owns that config's key (any tenant's).
    pub owned_by_tenantry: bool,
}

/// What the LMS holds that concerns one tenant: the configs under its owned and desired
/// keys, the routes pointing at them, and the routes of the domains it wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LmsRows {
    /// Configs whose key is one of the tenant's owned keys or its desired key.
    pub configs: Vec<LmsConfig>,
    /// Routes pointing at those configs, and routes of the desired domains.
    pub routes: Vec<LmsRoute>,
}

/// One change to the LMS tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Delete the config (every row with this key) and the routes pointing at it.
    DeleteConfig {
        /// Its `external_key`.
        external_key: String,
    },
    /// Insert the config.
    CreateConfig {
        /// The row to insert.
        row: StoredRow,
    },
    /// Rewrite the config's JSON columns.
    UpdateConfig {
        /// The row to write.
        row: StoredRow,
        /// The columns that differ, for the report.
        columns: Vec<&'static str>,
    },
    /// Delete a route.
    RemoveRoute {
        /// Its domain.
        domain: String,
        /// The key of the config it pointed at.
        external_key: String,
    },
    /// Point a route of another tenantry config at this one (a domain moved).
    MoveRoute {
        /// Its domain.
        domain: String,
        /// The key of the config it pointed at.
        from: String,
        /// The key of the config it points at now.
        to: String,
    },
    /// Insert a route.
    AddRoute {
        /// Its domain.
        domain: String,
        /// The key of the config it points at.
        external_key: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DeleteConfig { external_key } => {
                write!(f, "delete config {external_key} and its routes")
            }
            Self::CreateConfig { row } => write!(f, "create config {}", row.external_key),
            Self::UpdateConfig { row, columns } => {
                write!(
                    f,
                    "update {} of config {}",
                    columns.join(", "),
                    row.external_key
                )
            }
            Self::RemoveRoute {
                domain,
                external_key,
            } => write!(f, "remove route {domain} (of {external_key})"),
            Self::MoveRoute { domain, from, to } => {
                write!(f, "move route {domain} from {from} to {to}")
            }
            Self::AddRoute {
                domain,
                external_key,
            } => write!(f, "add route {domain} to {external_key}"),
        }
    }
}

/// Why a tenant cannot be brought in step: the LMS holds something tenantry does not own
/// where the tenant needs to write, or a value eox-tenant cannot store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// A config with the tenant's key exists and was not created by tenantry.
    #[error(
        "eox_tenant_tenantconfig already has external_key {external_key}, not created by \
         tenantry: remove or rename it, and the sync takes over"
    )]
    ForeignConfig {
        /// The key.
        external_key: String,
    },
    /// A route for one of the tenant's domains points at a config tenantry does not own.
    #[error(
        "eox_tenant_route already routes {domain} to a config not created by tenantry \
         ({}): remove that route, and the sync takes over",
        external_key.as_deref().unwrap_or("a missing config")
    )]
    ForeignRoute {
        /// The domain.
        domain: String,
        /// The key of the config it points at.
        external_key: Option<String>,
    },
    /// A value is longer than its eox-tenant column.
    #[error("{what} {value} is longer than eox-tenant's {limit} characters")]
    TooLong {
        /// Which column.
        what: &'static str,
        /// The value.
        value: String,
        /// The column's length.
        limit: usize,
    },
}

/// The changes that bring the LMS from `current` to `desired`, for a tenant owning the
/// keys `owned`. Deletions come first, then the config, then its routes.
pub fn plan(
    desired: Option<&StoredRow>,
    owned: &[String],
    current: &LmsRows,
) -> Result<Vec<Change>, Conflict> {
    let mut changes = Vec::new();
    let desired_key = desired.map(|row| row.external_key.as_str());
    let held: BTreeSet<&str> = current
        .configs
        .iter()
        .map(|config| config.external_key.as_str())
        .collect();
    let mut deleted = BTreeSet::new();
    for key in owned {
        if Some(key.as_str()) != desired_key && held.contains(key.as_str()) {
            deleted.insert(key.as_str());
            changes.push(Change::DeleteConfig {
                external_key: key.clone(),
            });
        }
    }
    // Deleting a config deletes its routes: they are gone by the time routes are added.
    let current_route = |domain: &str| {
        current.routes.iter().find(|route| {
            route.domain == domain
                && !route
                    .external_key
                    .as_deref()
                    .is_some_and(|key| deleted.contains(key))
        })
    };
    let Some(row) = desired else {
        return Ok(changes);
    };
    check_lengths(row)?;
    let key = &row.external_key;
    match current
        .configs
        .iter()
        .find(|config| &config.external_key == key)
    {
        Some(_) if !owned.contains(key) => {
            return Err(Conflict::ForeignConfig {
                external_key: key.clone(),
            });
        }
        Some(config) => {
            let columns = differing_columns(config, row);
            if !columns.is_empty() {
                changes.push(Change::UpdateConfig {
                    row: row.clone(),
                    columns,
                });
            }
        }
        None => changes.push(Change::CreateConfig { row: row.clone() }),
    }
    for route in &current.routes {
        if route.external_key.as_deref() == Some(key) && !row.routes.contains(&route.domain) {
            changes.push(Change::RemoveRoute {
                domain: route.domain.clone(),
                external_key: key.clone(),
            });
        }
    }
    for domain in &row.routes {
        match current_route(domain) {
            None => changes.push(Change::AddRoute {
                domain: domain.clone(),
                external_key: key.clone(),
            }),
            Some(route) if route.external_key.as_deref() == Some(key) => {}
            Some(route) => match (&route.external_key, route.owned_by_tenantry) {
                (Some(from), true) => changes.push(Change::MoveRoute {
                    domain: domain.clone(),
                    from: from.clone(),
                    to: key.clone(),
                }),
                _ => {
                    return Err(Conflict::ForeignRoute {
                        domain: domain.clone(),
                        external_key: route.external_key.clone(),
                    });
                }
            },
        }
    }
    Ok(changes)
}

fn check_lengths(row: &StoredRow) -> Result<(), Conflict> {
    if row.external_key.chars().count() > MAX_EXTERNAL_KEY_LENGTH {
        return Err(Conflict::TooLong {
            what: "external_key",
            value: row.external_key.clone(),
            limit: MAX_EXTERNAL_KEY_LENGTH,
        });
    }
    match row
        .routes
        .iter()
        .find(|domain| domain.chars().count() > MAX_ROUTE_LENGTH)
    {
        Some(domain) => Err(Conflict::TooLong {
            what: "route domain",
            value: domain.clone(),
            limit: MAX_ROUTE_LENGTH,
        }),
        None => Ok(()),
    }
}

/// The JSON columns of `config` that differ from `row`'s, compared as JSON values (so
/// that a key order or spacing changed by hand is not a difference).
fn differing_columns(config: &LmsConfig, row: &StoredRow) -> Vec<&'static str> {
    let same = |held: &str, wanted: &str| {
        held == wanted
            || matches!(
                (serde_json::from_str::<serde_json::Value>(held),
                 serde_json::from_str::<serde_json::Value>(wanted)),
                (Ok(held), Ok(wanted)) if held == wanted
            )
    };
    [
        ("lms_configs", &config.lms_configs, &row.lms_configs),
        (
            "studio_configs",
            &config.studio_configs,
            &row.studio_configs,
        ),
        (
            "theming_configs",
            &config.theming_configs,
            &row.theming_configs,
        ),
        ("meta", &config.meta, &row.meta),
    ]
    .into_iter()
    .filter(|(_, held, wanted)| !same(held, wanted))
    .map(|(column, _, _)| column)
    .collect()
}

/// Where a tenant's sync stands, for the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    /// The tenant.
    pub tenant: TenantName,
    /// Whether every change made so far is in the LMS.
    pub in_sync: bool,
    /// When the oldest change not yet in the LMS was made (`None` when in sync).
    pub pending_since: Option<DateTime<Utc>>,
    /// When the LMS last caught up.
    pub synced_at: Option<DateTime<Utc>>,
    /// Failed attempts since the last success.
    pub attempts: u32,
    /// Why the latest attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due (`None` when in sync).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// The sync over all tenants, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncSummary {
    /// Tenants with changes not yet in the LMS.
    pub pending: u64,
    /// Of those, tenants whose latest attempt failed.
    pub failing: u64,
    /// When the oldest change not yet in the LMS was made.
    pub oldest_pending: Option<DateTime<Utc>>,
}

/// Reads where the eox-tenant sync stands.
pub trait EoxSyncStates {
    /// The sync state of the tenant named `tenant`; `None` when no change of it was ever
    /// recorded for the sync.
    fn eox_sync_state(&mut self, tenant: &TenantName)
    -> Result<Option<SyncState>, RepositoryError>;

    /// The state over all tenants.
    fn eox_sync_summary(&mut self) -> Result<SyncSummary, RepositoryError>;
}

#[cfg(test)]
mod tests;
