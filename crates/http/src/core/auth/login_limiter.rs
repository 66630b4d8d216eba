//! Rate limiting of failed logins per client address.
//!
//! Each source address has a token bucket holding up to `burst` tokens, refilled by one
//! token every `refill_every`. A failed login spends a token; a login may be attempted
//! only while at least one token is left. Successful logins spend nothing and refund
//! nothing, so someone who owns one account cannot use it to reset the count.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How a [`LoginLimiter`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimiterConfig {
    /// Failed logins an address may make in a row before it must wait. Default 10.
    pub burst: NonZeroU32,
    /// How often one spent token comes back. Default 6 s (so 10 failures a minute in the
    /// long run). Zero disables limiting.
    pub refill_every: Duration,
    /// How many addresses with spent tokens are tracked at most. Default 100 000. When
    /// the table is full, addresses whose bucket has refilled are dropped first, then
    /// those closest to full.
    pub max_tracked: usize,
}

impl Default for LoginLimiterConfig {
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

impl RetryAfter {
    /// The wait in whole seconds (never 0).
    pub fn as_secs(self) -> u64 {
        self.0.as_secs()
    }
}

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

/// Token-bucket limiter of failed logins per client address.
///
/// IPv6 clients are limited per /64 network (one host usually controls a whole /64), and
/// IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
///
/// Thread-safe; share one instance across workers through an `Arc`. Memory is bounded
/// by [`LoginLimiterConfig::max_tracked`]; an address whose bucket is full takes no
/// memory.
pub struct LoginLimiter {
    config: LoginLimiterConfig,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Default for LoginLimiter {
    /// A limiter with [`LoginLimiterConfig::default`].
    fn default() -> Self {
        Self::new(LoginLimiterConfig::default())
    }
}

impl LoginLimiter {
    /// An empty limiter (a `max_tracked` of 0 is taken as 1).
    pub fn new(config: LoginLimiterConfig) -> Self {
        Self {
            config: LoginLimiterConfig {
                max_tracked: config.max_tracked.max(1),
                ..config
            },
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a login from `ip` may be attempted at `now`: `Ok` while its bucket holds a
    /// token, otherwise how long until it does.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        let ip = source_key(ip);
        let debt = match self.lock().get(&ip) {
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

    /// Spends one of `ip`'s tokens for a failed login at `now`. A bucket never goes
    /// below empty, so failures recorded while already limited change nothing.
    pub fn record_failure(&self, ip: IpAddr, now: Instant) {
        if self.config.refill_every.is_zero() {
            return;
        }
        let ip = source_key(ip);
        let full_debt = self.full_debt();
        let mut buckets = self.lock();
        if !buckets.contains_key(&ip) && buckets.len() >= self.config.max_tracked {
            self.make_room(&mut buckets, now);
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
    fn make_room(&self, buckets: &mut HashMap<IpAddr, Bucket>, now: Instant) {
        buckets.retain(|_, bucket| !bucket.debt_at(now).is_zero());
        if buckets.len() < self.config.max_tracked {
            return;
        }
        let evict = (buckets.len() / 10).max(1);
        let mut by_debt: Vec<(Duration, IpAddr)> = buckets
            .iter()
            .map(|(ip, bucket)| (bucket.debt_at(now), *ip))
            .collect();
        if evict < by_debt.len() {
            by_debt.select_nth_unstable(evict);
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
    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, Bucket>> {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.lock().len()
    }
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginLimiter")
            .field("config", &self.config)
            .field("tracked", &self.lock().len())
            .finish()
    }
}

/// The address a bucket belongs to: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6
/// addresses reduced to their /64 network.
fn source_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
    }
}

/// Rounds up to whole seconds, with a minimum of one.
fn round_up_to_secs(wait: Duration) -> Duration {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Duration::from_secs(secs.max(1))
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn limiter(burst: u32, refill_every: Duration, max_tracked: usize) -> LoginLimiter {
        LoginLimiter::new(LoginLimiterConfig {
            burst: NonZeroU32::new(burst).unwrap(),
            refill_every,
            max_tracked,
        })
    }

    fn fail(limiter: &LoginLimiter, ip: IpAddr, now: Instant, times: u32) {
        for _ in 0..times {
            limiter.record_failure(ip, now);
        }
    }

    #[test]
    fn defaults() {
        let config = LoginLimiterConfig::default();
        assert_eq!(config.burst.get(), 10);
        assert_eq!(config.refill_every, secs(6));
        assert_eq!(config.max_tracked, 100_000);
    }

    #[test]
    fn burst_of_failures_then_blocked() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(limiter.check(IP, t0), Ok(()));
            limiter.record_failure(IP, t0);
        }
        assert_eq!(limiter.check(IP, t0), Err(RetryAfter(secs(6))));
        assert_eq!(limiter.check(IP, t0).unwrap_err().as_secs(), 6);
    }

    #[test]
    fn successes_spend_nothing() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        // Checking (what a successful login does) any number of times is free.
        for _ in 0..100 {
            assert_eq!(limiter.check(IP, t0), Ok(()));
        }
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn one_token_back_every_refill_period() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        fail(&limiter, IP, t0, 10);
        assert_eq!(limiter.check(IP, t0 + ms(5_999)), Err(RetryAfter(secs(1))));
        assert_eq!(limiter.check(IP, t0 + secs(6)), Ok(()));
        limiter.record_failure(IP, t0 + secs(6));
        assert_eq!(limiter.check(IP, t0 + secs(6)), Err(RetryAfter(secs(6))));
        assert_eq!(limiter.check(IP, t0 + secs(12)), Ok(()));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let limiter = LoginLimiter::default();
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
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        fail(&limiter, IP, t0, 10);
        let t1 = t0 + secs(60);
        for _ in 0..10 {
            assert_eq!(limiter.check(IP, t1), Ok(()));
            limiter.record_failure(IP, t1);
        }
        assert!(limiter.check(IP, t1).is_err());
    }

    #[test]
    fn failures_spread_out_stay_allowed() {
        // One failure every 6 s is exactly the refill rate: never blocked.
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..100 {
            let now = t0 + secs(6 * i);
            assert_eq!(limiter.check(IP, now), Ok(()), "attempt {i}");
            limiter.record_failure(IP, now);
        }
        // One every 3 s drains the bucket after about 20 attempts.
        let limiter = LoginLimiter::default();
        let blocked_at = (0..100_u64)
            .find(|i| {
                let now = t0 + secs(3 * i);
                let blocked = limiter.check(IP, now).is_err();
                if !blocked {
                    limiter.record_failure(IP, now);
                }
                blocked
            })
            .unwrap();
        assert_eq!(blocked_at, 19);
    }

    #[test]
    fn the_bucket_never_goes_below_empty() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        // Concurrent requests may all pass check before any failure is recorded.
        fail(&limiter, IP, t0, 1_000);
        assert_eq!(limiter.check(IP, t0), Err(RetryAfter(secs(6))));
        assert_eq!(limiter.check(IP, t0 + secs(6)), Ok(()));
    }

    #[test]
    fn addresses_are_independent() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        fail(&limiter, IP, t0, 10);
        assert!(limiter.check(IP, t0).is_err());
        assert_eq!(limiter.check(OTHER, t0), Ok(()));
        assert_eq!(limiter.check("2001:db8::1".parse().unwrap(), t0), Ok(()));
    }

    #[test]
    fn ipv6_is_limited_per_64_and_mapped_ipv4_as_ipv4() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..10_u32 {
            let ip: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            limiter.record_failure(ip, t0);
        }
        let same_64: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        assert!(limiter.check(same_64, t0).is_err());
        let next_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limiter.check(next_64, t0), Ok(()));

        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        fail(&limiter, mapped, t0, 10);
        assert!(limiter.check(IP, t0).is_err());
        // ... and not as the whole ::ffff:0:0/96 (which would lump all IPv4 together).
        assert_eq!(limiter.check(OTHER, t0), Ok(()));
        assert_eq!(
            limiter.check("::ffff:192.0.2.2".parse().unwrap(), t0),
            Ok(())
        );
    }

    #[test]
    fn burst_of_one() {
        let limiter = limiter(1, secs(30), 10);
        let t0 = Instant::now();
        assert_eq!(limiter.check(IP, t0), Ok(()));
        limiter.record_failure(IP, t0);
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
            limiter.record_failure(IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)), t0);
        }
        assert_eq!(limiter.tracked(), 3);
        // 6 s later those single failures have refilled: all three go for the newcomer.
        let t1 = t0 + secs(6);
        limiter.record_failure(IP, t1);
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
        limiter.record_failure(IP, t0);
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
            limiter.record_failure(IpAddr::V4(Ipv4Addr::from_bits(i)), t0);
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
        let limiter = LoginLimiter::default();
        let t1 = Instant::now() + secs(100);
        fail(&limiter, IP, t1, 10);
        let earlier = t1 - secs(50);
        assert_eq!(limiter.check(IP, earlier), Err(RetryAfter(secs(6))));
        limiter.record_failure(IP, earlier);
        assert_eq!(limiter.check(IP, t1 + secs(6)), Ok(()));
    }

    #[test]
    fn shared_across_threads() {
        let limiter = std::sync::Arc::new(LoginLimiter::default());
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
