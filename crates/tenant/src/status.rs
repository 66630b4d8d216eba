//! A tenant's lifecycle status and the transitions between statuses.
//!
//! | from | may go to |
//! |---|---|
//! | active | suspended, cancelled, deleted |
//! | suspended | active, cancelled, deleted |
//! | cancelled | deleted |
//! | deleted | active (restore) |
//!
//! Staying in the same status is not a transition.
//!
//! ```
//! use tenantry_tenant::Status;
//!
//! assert!(Status::Active.can_transition_to(Status::Suspended));
//! let error = Status::Cancelled.transition_to(Status::Active).unwrap_err();
//! assert_eq!(error.to_string(), "cannot change status from cancelled to active");
//! ```

use std::str::FromStr;

use serde::{Deserialize, Serialize};

crate::macros::wire_names! {
    /// Every status, in lifecycle order.
    const ALL;
    /// The status as its lowercase wire name.
    fn as_str;

    /// Where a tenant is in its lifecycle. Serialises in lowercase (`"active"`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Status {
        /// Serving its users.
        Active => "active",
        /// Temporarily switched off (e.g. unpaid); keeps its domains and can come back.
        Suspended => "suspended",
        /// Contract ended; domains released. Can only be deleted.
        Cancelled => "cancelled",
        /// Soft-deleted; can be restored to active.
        Deleted => "deleted",
    }
}

impl Status {
    /// Whether the lifecycle allows going from `self` to `to`. Staying in the same status
    /// is not a transition and is refused.
    pub fn can_transition_to(self, to: Status) -> bool {
        use Status::{Active, Cancelled, Deleted, Suspended};
        matches!(
            (self, to),
            (Active, Suspended)
                | (Suspended, Active)
                | (Active | Suspended, Cancelled)
                | (Active | Suspended | Cancelled, Deleted)
                | (Deleted, Active)
        )
    }

    /// `to` when the lifecycle allows going there from `self`.
    pub fn transition_to(self, to: Status) -> Result<Status, TransitionError> {
        if self.can_transition_to(to) {
            Ok(to)
        } else {
            Err(TransitionError { from: self, to })
        }
    }
}

impl FromStr for Status {
    type Err = UnknownStatus;

    /// Reads a lowercase wire name (`"active"`); case matters, as it does in JSON.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == input)
            .ok_or_else(|| UnknownStatus(input.to_owned()))
    }
}

/// A text that names no status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}: expected one of active, suspended, cancelled, deleted")]
pub struct UnknownStatus(pub String);

/// A status change the lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot change status from {from} to {to}")]
pub struct TransitionError {
    /// The current status.
    pub from: Status,
    /// The status asked for.
    pub to: Status,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use Status::{Active, Cancelled, Deleted, Suspended};

    #[test]
    fn transitions_follow_the_lifecycle_table() {
        // Rows: from; columns: to, in the order of Status::ALL.
        let table = [
            (Active, [false, true, true, true]),
            (Suspended, [true, false, true, true]),
            (Cancelled, [false, false, false, true]),
            (Deleted, [true, false, false, false]),
        ];
        for (from, row) in table {
            for (to, allowed) in Status::ALL.into_iter().zip(row) {
                assert_eq!(from.can_transition_to(to), allowed, "{from} → {to}");
                let expected = if allowed {
                    Ok(to)
                } else {
                    Err(TransitionError { from, to })
                };
                assert_eq!(from.transition_to(to), expected, "{from} → {to}");
            }
        }
    }

    #[test]
    fn transition_errors_name_both_statuses() {
        let error = Suspended.transition_to(Suspended).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot change status from suspended to suspended"
        );
    }

    #[test]
    fn names_round_trip() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
            assert_eq!(status.to_string(), status.as_str());
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), status);
        }
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let error = "Active".parse::<Status>().unwrap_err();
        assert_eq!(error, UnknownStatus("Active".into()));
        assert_eq!(
            error.to_string(),
            "unknown status \"Active\": expected one of active, suspended, cancelled, deleted"
        );
    }

    proptest! {
        #[test]
        fn from_str_accepts_only_wire_names(text in "\\PC{0,12}|[a-z]{0,10}") {
            let known = Status::ALL.iter().any(|status| status.as_str() == text);
            prop_assert_eq!(text.parse::<Status>().is_ok(), known);
        }
    }
}
