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

use crate::Clock;

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

#[cfg(test)]
mod tests;
