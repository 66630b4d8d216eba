//! At most a number of registrations a minute per token: a token bucket per key, refilled
//! evenly (60 a minute → one a second, with a burst of 60).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many keys are tracked at most; full buckets are dropped first when it is reached.
const MAX_TRACKED: usize = 100_000;

/// A per-key token bucket.
#[derive(Debug)]
pub struct RateLimiter {
    burst: u32,
    refill_every: Duration,
    /// Per key: time until the bucket is full again, as of an instant.
    debts: Mutex<HashMap<i64, (Duration, Instant)>>,
}

impl RateLimiter {
    /// `per_minute` requests a minute, all of them available at once.
    pub fn per_minute(per_minute: u32) -> Self {
        let per_minute = per_minute.max(1);
        Self {
            burst: per_minute,
            refill_every: Duration::from_secs(60) / per_minute,
            debts: Mutex::new(HashMap::new()),
        }
    }

    /// Spends one request of `key` at `now`, or says how long to wait for one.
    pub fn acquire(&self, key: i64, now: Instant) -> Result<(), Duration> {
        let mut debts = self.debts.lock().unwrap_or_else(PoisonError::into_inner);
        let capacity = self.refill_every * self.burst;
        let debt = debts.get(&key).map_or(Duration::ZERO, |(debt, at)| {
            debt.saturating_sub(now.saturating_duration_since(*at))
        });
        let next = debt + self.refill_every;
        if next > capacity {
            let wait = next - capacity;
            return Err(wait.max(Duration::from_secs(1)));
        }
        if debts.len() >= MAX_TRACKED && !debts.contains_key(&key) {
            debts.retain(|_, (debt, at)| {
                !debt
                    .saturating_sub(now.saturating_duration_since(*at))
                    .is_zero()
            });
        }
        debts.insert(key, (next, now));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_of_requests_then_one_a_second() {
        let limiter = RateLimiter::per_minute(60);
        let start = Instant::now();
        for _ in 0..60 {
            assert!(limiter.acquire(7, start).is_ok());
        }
        let refused = limiter.acquire(7, start).unwrap_err();
        assert_eq!(refused, Duration::from_secs(1));
        assert!(limiter.acquire(8, start).is_ok(), "keys are independent");
        assert!(limiter.acquire(7, start + Duration::from_secs(1)).is_ok());
        assert!(limiter.acquire(7, start + Duration::from_secs(1)).is_err());
        assert!(limiter.acquire(7, start + Duration::from_secs(61)).is_ok());
    }
}
