//! Timestamps in the database: `TIMESTAMP` columns holding UTC at microsecond precision.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// `at` as stored. Truncated to microseconds, PostgreSQL's precision, so that both
/// backends hand back the same value.
pub(crate) fn to_db(at: DateTime<Utc>) -> NaiveDateTime {
    at.trunc_subsecs(6).naive_utc()
}

/// A stored timestamp, which is UTC.
pub(crate) fn from_db(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn stored_times_keep_microseconds_and_drop_the_rest() {
        let at = Utc.timestamp_opt(1_800_000_000, 123_456_789).unwrap();
        let stored = from_db(to_db(at));
        assert_eq!(
            stored,
            Utc.timestamp_opt(1_800_000_000, 123_456_000).unwrap()
        );
    }
}
