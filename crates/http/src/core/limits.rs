//! Keyed token-bucket limits: failed logins per client address, registrations per token.
//!
//! Each key has a bucket holding up to `burst` tokens, refilled by one token every
//! `refill_every`. [`KeyedLimiter::acquire`] spends one if one is left (checked and spent
//! under one lock) and [`KeyedLimiter::refund`] gives one back.
//! A key whose bucket is full takes no memory, and the number of keys tracked is bounded.
//!
//! The limiter never reads the time itself: callers pass "now", read from a
//! [`MonotonicClock`] (the system's in production, a [`ManualClock`] in tests).

use std::collections::HashMap;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A source of monotonic time for limits and caches (never goes backwards, unlike the
/// wall-clock [`tenantry_tenant::Clock`]).
pub trait MonotonicClock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The system's monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemMonotonicClock;

impl MonotonicClock for SystemMonotonicClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that stands still until [`ManualClock::advance`] moves it, so that tests of
/// limits do not depend on how fast the machine runs.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    elapsed: Mutex<Duration>,
}

impl ManualClock {
    /// A clock standing at the instant it was made.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut elapsed = self.elapsed.lock().unwrap_or_else(PoisonError::into_inner);
        *elapsed = elapsed.saturating_add(by);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl MonotonicClock for ManualClock {
    fn now(&self) -> Instant {
        let elapsed = *self.elapsed.lock().unwrap_or_else(PoisonError::into_inner);
        self.start + elapsed
    }
}

/// How a [`KeyedLimiter`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterConfig {
    /// Tokens a key may spend in a row before it must wait. Default 10.
    pub burst: NonZeroU32,
    /// How often one spent token comes back. Default 6 s (so 10 failures a minute in the
    /// long run). Zero disables limiting.
    pub refill_every: Duration,
    /// How many keys with spent tokens are tracked at most. Default 100 000. When the
    /// table is full, keys whose bucket has refilled are dropped first, then those
    /// closest to full.
    pub max_tracked: usize,
}

impl Default for LimiterConfig {
    fn default() -> Self {
        Self {
            burst: NonZeroU32::MIN.saturating_add(9),
            refill_every: Duration::from_secs(6),
            max_tracked: 100_000,
        }
    }
}

/// How long a client must wait before trying again: whole seconds, at least one, ready
/// for a `Retry-After` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

/// Spent tokens, measured as the time left until the bucket is full again.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Time until full, as of `at`.
    debt: Duration,
    at: Instant,
}

impl Bucket {
    fn debt_at(self, now: Instant) -> Duration {
        self.debt
            .saturating_sub(now.saturating_duration_since(self.at))
    }
}

/// A token-bucket limiter per key.
///
/// Thread-safe; share one instance across workers. Memory is bounded by
/// [`LimiterConfig::max_tracked`]; a key whose bucket is full takes no memory.
pub struct KeyedLimiter<K> {
    config: LimiterConfig,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Copy> Default for KeyedLimiter<K> {
    /// A limiter with [`LimiterConfig::default`].
    fn default() -> Self {
        Self::new(LimiterConfig::default())
    }
}

impl<K: Hash + Eq + Copy> KeyedLimiter<K> {
    /// An empty limiter (a `max_tracked` of 0 is taken as 1).
    pub fn new(config: LimiterConfig) -> Self {
        Self {
            config: LimiterConfig {
                max_tracked: config.max_tracked.max(1),
                ..config
            },
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` has a token left at `now`: `Ok` if so, otherwise how long until it
    /// does. Spends nothing. (Only tests look without spending: a check followed by a
    /// separate spend is the race [`KeyedLimiter::acquire`] exists to avoid.)
    #[cfg(test)]
    pub fn check(&self, key: K, now: Instant) -> Result<(), RetryAfter> {
        self.check_locked(&self.lock(), key, now)
    }

    /// Spends one of `key`'s tokens at `now`. A bucket never goes below empty, so spending
    /// while already limited changes nothing.
    #[cfg(test)]
    pub fn spend(&self, key: K, now: Instant) {
        self.spend_locked(&mut self.lock(), key, now);
    }

    /// Spends one of `key`'s tokens at `now` if one is left, otherwise says how long
    /// until one is; checked and spent under one lock, so concurrent callers cannot both
    /// take the last token.
    pub fn acquire(&self, key: K, now: Instant) -> Result<(), RetryAfter> {
        let mut buckets = self.lock();
        self.check_locked(&buckets, key, now)?;
        self.spend_locked(&mut buckets, key, now);
        Ok(())
    }

    /// Gives back a token spent on `key` (by [`KeyedLimiter::acquire`] or
    /// [`KeyedLimiter::spend`]) whose cause turned out not to count, never above full.
    /// Refunding exactly what one caller spent leaves the bucket as if that caller had
    /// never come, whatever others spent meanwhile.
    pub fn refund(&self, key: K, now: Instant) {
        let mut buckets = self.lock();
        let Some(bucket) = buckets.get_mut(&key) else {
            return;
        };
        let debt = bucket.debt_at(now).saturating_sub(self.config.refill_every);
        if debt.is_zero() {
            buckets.remove(&key);
        } else {
            *bucket = Bucket {
                debt,
                at: now.max(bucket.at),
            };
        }
    }

    fn check_locked(
        &self,
        buckets: &HashMap<K, Bucket>,
        key: K,
        now: Instant,
    ) -> Result<(), RetryAfter> {
        let debt = match buckets.get(&key) {
            Some(bucket) => bucket.debt_at(now),
            None => return Ok(()),
        };
        let allowed_debt = self.allowed_debt();
        if debt <= allowed_debt {
            Ok(())
        } else {
            Err(RetryAfter(round_up_to_secs(debt - allowed_debt)))
        }
    }

    fn spend_locked(&self, buckets: &mut HashMap<K, Bucket>, key: K, now: Instant) {
        if self.config.refill_every.is_zero() {
            return;
        }
        let ip = key;
        let full_debt = self.full_debt();
        if !buckets.contains_key(&ip) && buckets.len() >= self.config.max_tracked {
            self.make_room(buckets, now);
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            debt: Duration::ZERO,
            at: now,
        });
        let debt = bucket
            .debt_at(now)
            .saturating_add(self.config.refill_every)
            .min(full_debt);
        *bucket = Bucket {
            debt,
            at: now.max(bucket.at),
        };
    }

    /// Drops refilled buckets; if that frees nothing, the tenth of buckets closest to
    /// full (at least one), so a flood of new addresses costs amortised O(1) per insert.
    fn make_room(&self, buckets: &mut HashMap<K, Bucket>, now: Instant) {
        buckets.retain(|_, bucket| !bucket.debt_at(now).is_zero());
        if buckets.len() < self.config.max_tracked {
            return;
        }
        let evict = (buckets.len() / 10).max(1);
        let mut by_debt: Vec<(Duration, K)> = buckets
            .iter()
            .map(|(ip, bucket)| (bucket.debt_at(now), *ip))
            .collect();
        if evict < by_debt.len() {
            by_debt.select_nth_unstable_by_key(evict, |(debt, _)| *debt);
        }
        for (_, ip) in by_debt.iter().take(evict) {
            buckets.remove(ip);
        }
    }

    /// The most debt at which a token is still left: `burst - 1` spent tokens.
    fn allowed_debt(&self) -> Duration {
        self.config
            .refill_every
            .saturating_mul(self.config.burst.get() - 1)
    }

    /// The debt of an empty bucket: `burst` spent tokens.
    fn full_debt(&self) -> Duration {
        self.config
            .refill_every
            .saturating_mul(self.config.burst.get())
    }

    /// The table, even after a panic elsewhere while it was held: each update leaves it
    /// consistent.
    fn lock(&self) -> MutexGuard<'_, HashMap<K, Bucket>> {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.lock().len()
    }
}

impl<K: Hash + Eq + Copy> std::fmt::Debug for KeyedLimiter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedLimiter")
            .field("config", &self.config)
            .field("tracked", &self.lock().len())
            .finish()
    }
}

/// Rounds up to whole seconds, with a minimum of one.
fn round_up_to_secs(wait: Duration) -> Duration {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Duration::from_secs(secs.max(1))
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    type Limiter = KeyedLimiter<IpAddr>;

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn limiter(burst: u32, refill_every: Duration, max_tracked: usize) -> Limiter {
        Limiter::new(LimiterConfig {
            burst: NonZeroU32::new(burst).unwrap(),
            refill_every,
            max_tracked,
        })
    }

    fn fail(limiter: &Limiter, ip: IpAddr, now: Instant, times: u32) {
        for _ in 0..times {
            limiter.spend(ip, now);
        }
    }

    #[test]
    fn defaults() {
        let config = LimiterConfig::default();
        assert_eq!(config.burst.get(), 10);
        assert_eq!(config.refill_every, secs(6));
        assert_eq!(config.max_tracked, 100_000);
    }

    #[test]
    fn burst_of_failures_then_blocked() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(limiter.check(IP, t0), Ok(()));
            limiter.spend(IP, t0);
        }
        assert_eq!(limiter.check(IP, t0), Err(RetryAfter(secs(6))));
        assert_eq!(limiter.check(IP, t0).unwrap_err().0.as_secs(), 6);
    }

    #[test]
    fn successes_spend_nothing() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        // Checking (what a successful login does) any number of times is free.
        for _ in 0..100 {
            assert_eq!(limiter.check(IP, t0), Ok(()));
        }
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn one_token_back_every_refill_period() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        fail(&limiter, IP, t0, 10);
        assert_eq!(limiter.check(IP, t0 + ms(5_999)), Err(RetryAfter(secs(1))));
        assert_eq!(limiter.check(IP, t0 + secs(6)), Ok(()));
        limiter.spend(IP, t0 + secs(6));
        assert_eq!(limiter.check(IP, t0 + secs(6)), Err(RetryAfter(secs(6))));
        assert_eq!(limiter.check(IP, t0 + secs(12)), Ok(()));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        fail(&limiter, IP, t0, 10);
        let cases = [
            (ms(0), 6),
            (ms(1), 6),
            (ms(999), 6),
            (ms(1_000), 5),
            (ms(2_500), 4),
            (ms(5_000), 1),
            (ms(5_900), 1),
            (ms(5_999), 1),
        ];
        for (elapsed, expected) in cases {
            assert_eq!(
                limiter.check(IP, t0 + elapsed),
                Err(RetryAfter(secs(expected))),
                "{elapsed:?}"
            );
        }
        assert_eq!(round_up_to_secs(Duration::ZERO), secs(1));
        assert_eq!(round_up_to_secs(Duration::from_nanos(1)), secs(1));
        assert_eq!(round_up_to_secs(ms(1_001)), secs(2));
        assert_eq!(round_up_to_secs(secs(7)), secs(7));
    }

    #[test]
    fn full_refill_after_burst_periods() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        fail(&limiter, IP, t0, 10);
        let t1 = t0 + secs(60);
        for _ in 0..10 {
            assert_eq!(limiter.check(IP, t1), Ok(()));
            limiter.spend(IP, t1);
        }
        assert!(limiter.check(IP, t1).is_err());
    }

    #[test]
    fn failures_spread_out_stay_allowed() {
        // One failure every 6 s is exactly the refill rate: never blocked.
        let limiter = Limiter::default();
        let t0 = Instant::now();
        for i in 0..100 {
            let now = t0 + secs(6 * i);
            assert_eq!(limiter.check(IP, now), Ok(()), "attempt {i}");
            limiter.spend(IP, now);
        }
        // One every 3 s drains the bucket after about 20 attempts.
        let limiter = Limiter::default();
        let blocked_at = (0..100_u64)
            .find(|i| {
                let now = t0 + secs(3 * i);
                let blocked = limiter.check(IP, now).is_err();
                if !blocked {
                    limiter.spend(IP, now);
                }
                blocked
            })
            .unwrap();
        assert_eq!(blocked_at, 19);
    }

    #[test]
    fn the_bucket_never_goes_below_empty() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        // Concurrent requests may all pass check before any failure is recorded.
        fail(&limiter, IP, t0, 1_000);
        assert_eq!(limiter.check(IP, t0), Err(RetryAfter(secs(6))));
        assert_eq!(limiter.check(IP, t0 + secs(6)), Ok(()));
    }

    #[test]
    fn acquire_spends_only_when_a_token_is_left() {
        let limiter = KeyedLimiter::<i64>::new(LimiterConfig {
            burst: NonZeroU32::new(60).unwrap(),
            refill_every: secs(1),
            ..LimiterConfig::default()
        });
        let t0 = Instant::now();
        for _ in 0..60 {
            assert_eq!(limiter.acquire(7, t0), Ok(()));
        }
        assert_eq!(limiter.acquire(7, t0), Err(RetryAfter(secs(1))));
        assert_eq!(limiter.acquire(8, t0), Ok(()), "keys are independent");
        assert_eq!(limiter.acquire(7, t0 + secs(1)), Ok(()));
        assert!(limiter.acquire(7, t0 + secs(1)).is_err());
        assert_eq!(limiter.acquire(7, t0 + secs(61)), Ok(()));
    }

    #[test]
    fn a_refund_undoes_one_acquisition_and_nothing_more() {
        let limiter = limiter(3, secs(6), 10);
        let t0 = Instant::now();
        limiter.spend(IP, t0);
        limiter.spend(IP, t0);
        assert_eq!(limiter.acquire(IP, t0), Ok(()));
        assert!(limiter.check(IP, t0).is_err());
        limiter.refund(IP, t0 + secs(1));
        // Two failures remain, less the one second that passed.
        assert_eq!(limiter.acquire(IP, t0 + secs(1)), Ok(()));
        assert_eq!(limiter.check(IP, t0 + secs(1)), Err(RetryAfter(secs(5))));
        // Refunds never go above full, and a full bucket is forgotten.
        for _ in 0..10 {
            limiter.refund(IP, t0 + secs(1));
        }
        assert_eq!(limiter.tracked(), 0);
        limiter.refund(OTHER, t0);
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new();
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance(secs(6));
        assert_eq!(clock.now(), t0 + secs(6));
        let limiter = Limiter::default();
        fail(&limiter, IP, clock.now(), 10);
        assert!(limiter.check(IP, clock.now()).is_err());
        clock.advance(secs(6));
        assert_eq!(limiter.check(IP, clock.now()), Ok(()));
    }

    #[test]
    fn keys_are_independent() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        fail(&limiter, IP, t0, 10);
        assert!(limiter.check(IP, t0).is_err());
        assert_eq!(limiter.check(OTHER, t0), Ok(()));
        assert_eq!(limiter.check("2001:db8::1".parse().unwrap(), t0), Ok(()));
    }

    #[test]
    fn burst_of_one() {
        let limiter = limiter(1, secs(30), 10);
        let t0 = Instant::now();
        assert_eq!(limiter.check(IP, t0), Ok(()));
        limiter.spend(IP, t0);
        assert_eq!(limiter.check(IP, t0 + secs(1)), Err(RetryAfter(secs(29))));
        assert_eq!(limiter.check(IP, t0 + secs(30)), Ok(()));
    }

    #[test]
    fn zero_refill_period_disables_limiting() {
        let limiter = limiter(1, Duration::ZERO, 10);
        let t0 = Instant::now();
        fail(&limiter, IP, t0, 100);
        assert_eq!(limiter.check(IP, t0), Ok(()));
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn refilled_buckets_are_pruned_when_full() {
        let limiter = limiter(10, secs(6), 3);
        let t0 = Instant::now();
        for last in 1..=3 {
            limiter.spend(IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)), t0);
        }
        assert_eq!(limiter.tracked(), 3);
        // 6 s later those single failures have refilled: all three go for the newcomer.
        let t1 = t0 + secs(6);
        limiter.spend(IP, t1);
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn when_nothing_refilled_the_buckets_closest_to_full_go() {
        let limiter = limiter(10, secs(6), 3);
        let t0 = Instant::now();
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let c = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3));
        fail(&limiter, a, t0, 10);
        fail(&limiter, b, t0, 1);
        fail(&limiter, c, t0, 10);
        limiter.spend(IP, t0);
        assert_eq!(limiter.tracked(), 3);
        assert!(limiter.check(a, t0).is_err());
        assert!(limiter.check(c, t0).is_err());
        // b (one failure) was forgotten, and the newcomer is tracked.
        fail(&limiter, IP, t0, 9);
        assert!(limiter.check(IP, t0).is_err());
    }

    #[test]
    fn memory_stays_bounded_under_an_address_flood() {
        let limiter = limiter(10, secs(6), 1_000);
        let t0 = Instant::now();
        for i in 0..20_000_u32 {
            limiter.spend(IpAddr::V4(Ipv4Addr::from_bits(i)), t0);
            assert!(limiter.tracked() <= 1_000);
        }
        // Existing buckets keep being updated without eviction.
        let ip = IpAddr::V4(Ipv4Addr::from_bits(19_999));
        fail(&limiter, ip, t0, 9);
        assert!(limiter.check(ip, t0).is_err());
    }

    #[test]
    fn zero_max_tracked_still_limits() {
        let limiter = limiter(2, secs(6), 0);
        let t0 = Instant::now();
        fail(&limiter, IP, t0, 2);
        assert!(limiter.check(IP, t0).is_err());
    }

    #[test]
    fn time_going_backwards_does_not_panic_or_refill() {
        let limiter = Limiter::default();
        let t1 = Instant::now() + secs(100);
        fail(&limiter, IP, t1, 10);
        let earlier = t1 - secs(50);
        assert_eq!(limiter.check(IP, earlier), Err(RetryAfter(secs(6))));
        limiter.spend(IP, earlier);
        assert_eq!(limiter.check(IP, t1 + secs(6)), Ok(()));
    }

    #[test]
    fn shared_across_threads() {
        let limiter = std::sync::Arc::new(Limiter::default());
        let t0 = Instant::now();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let limiter = std::sync::Arc::clone(&limiter);
                std::thread::spawn(move || fail(&limiter, IP, t0, 5))
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(limiter.check(IP, t0), Err(RetryAfter(secs(6))));
    }
}
