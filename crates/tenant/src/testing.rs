//! In-memory implementations of the ports, for tests of the rules and of the crates built
//! on this one. Compiled only for this crate's tests and with the `testing` feature
//! (`tenantry-tenant = { workspace = true, features = ["testing"] }` in a crate's
//! `[dev-dependencies]`), never into a release binary.
//!
//! - [`InMemoryTenants`]: the session of this crate's ports (tenants, audit log,
//!   idempotent responses), keeping the database's promises, with [`Failures`] to make
//!   the next call of a method fail;
//! - [`InMemoryProvisioner`]: tenant databases that only exist in lists;
//! - [`FixedClock`]: a clock that always says the same time.

mod failures;
mod provisioner;
mod tenants;

use chrono::{DateTime, Utc};

use crate::{Clock, NewTenant, Page, Status, TenantName, TenantProfile};

pub use failures::Failures;
pub use provisioner::InMemoryProvisioner;
pub use tenants::InMemoryTenants;

/// A clock that always says the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A tenant to insert: active, named `name` (its display name too), with default
/// settings and no domains, created `at`. Tests set the fields they care about:
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tenantry_tenant::testing::new_tenant;
/// use tenantry_tenant::{NewTenant, Status, TenantName};
///
/// let at = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
/// let suspended = NewTenant {
///     status: Status::Suspended,
///     ..new_tenant(TenantName::parse("talent1")?, at)
/// };
/// assert_eq!(suspended.profile.display_name, "talent1");
/// # Ok::<(), tenantry_tenant::NameError>(())
/// ```
pub fn new_tenant(name: TenantName, at: DateTime<Utc>) -> NewTenant {
    NewTenant {
        profile: TenantProfile::new(name.as_str()),
        name,
        status: Status::Active,
        domains: vec![],
        created_at: at,
    }
}

/// Page `page` of `matches`, counted from 1, with `per_page` items, as the stores page
/// (`0` counts as `1` for both).
pub fn page_of<T: Clone>(matches: Vec<&T>, page: u32, per_page: u32) -> Page<T> {
    let per_page = per_page.max(1) as usize;
    let skip = (page.max(1) as usize - 1).saturating_mul(per_page);
    Page {
        total: matches.len() as u64,
        items: matches
            .into_iter()
            .skip(skip)
            .take(per_page)
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests;
