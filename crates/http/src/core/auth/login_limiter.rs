//! Password guessing limits: budgets per (account, source) and per source, reserved
//! before a password is checked; and a separate budget for wrong tokens.
//!
//! - A password check (HTTP Basic, `/oauth/token`) first reserves a token from the
//!   (claimed account, source) bucket and from the source's bucket — checked and spent
//!   under each bucket's lock, so concurrent guesses cannot all pass before any is
//!   counted. A wrong password keeps its reservation; a right one gives it back
//!   ([`PasswordAttempt::give_back`]), which undoes only its own reservation and so cannot
//!   erase anyone else's failures. When either budget is spent while checks of the same
//!   account from the same source are under way, the caller waits for them (their
//!   reservations may come back) and asks again; otherwise the answer is 429 and no
//!   password is checked. So concurrent right passwords all get in, wrong ones never
//!   exceed the budget.
//! - API tokens and JWTs never touch those budgets: a valid one is never refused because
//!   of them. A wrong token spends the source's wrong-token budget *after* it failed (a
//!   valid token never looks at it); once spent, wrong tokens get 429 and are no longer
//!   audited, which bounds the audit writes a flood of garbage can cause.
//!
//! Sources are client addresses (see [`super::TrustedProxies`]); IPv6 clients are limited
//! per /64 network (one host usually controls a whole /64), and IPv4-mapped IPv6 addresses
//! count as the IPv4 address they carry. Account names are kept as a 128-bit digest, so a
//! flood of long names costs no more memory than short ones.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use crate::core::limits::{KeyedLimiter, LimiterConfig, MonotonicClock, RetryAfter};

/// How many password failures one source may make over all accounts, as a multiple of
/// the per-account budget (and refilled that many times faster).
pub const SOURCE_BUDGET_FACTOR: u32 = 5;

/// A claimed account name, digested.
type AccountKey = [u8; 16];

/// The limits of password and token checks.
#[derive(Debug)]
pub struct LoginLimiter {
    per_account: KeyedLimiter<(IpAddr, AccountKey)>,
    per_source: KeyedLimiter<IpAddr>,
    wrong_tokens: KeyedLimiter<IpAddr>,
    clock: Arc<dyn MonotonicClock>,
    /// Password checks under way, per (source, account); absent when none.
    in_flight: Mutex<HashMap<(IpAddr, AccountKey), u32>>,
}

/// Why a password check was not reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// How long until a check may be reserved, as far as the budgets know now.
    pub retry_after: RetryAfter,
    /// Whether checks of the same account from the same source were under way: their
    /// reservations may come back (right passwords give theirs back), so waiting for them
    /// and asking again may succeed.
    pub busy: bool,
}

/// A password check that holds a reservation in both budgets. Dropping it keeps the
/// reservation (a failure); [`PasswordAttempt::give_back`] gives it back.
#[derive(Debug)]
#[must_use = "a right password should give its reservation back"]
pub struct PasswordAttempt<'a> {
    limiter: &'a LoginLimiter,
    source: IpAddr,
    account: AccountKey,
}

impl PasswordAttempt<'_> {
    /// The password was right (or no verdict was reached): gives the reservation back.
    pub fn give_back(self) {
        let now = self.limiter.clock.now();
        self.limiter
            .per_account
            .refund((self.source, self.account), now);
        self.limiter.per_source.refund(self.source, now);
    }
}

impl Drop for PasswordAttempt<'_> {
    fn drop(&mut self) {
        let mut in_flight = self.limiter.lock_in_flight();
        let key = (self.source, self.account);
        if let Some(count) = in_flight.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                in_flight.remove(&key);
            }
        }
    }
}

impl LoginLimiter {
    /// Limits of `per_account` failures per (account, source) in a burst, refilled as
    /// `per_account` says; each source gets [`SOURCE_BUDGET_FACTOR`] times that over all
    /// accounts, and as many wrong tokens. Time comes from `clock`.
    pub fn new(per_account: LimiterConfig, clock: Arc<dyn MonotonicClock>) -> Self {
        let per_source = LimiterConfig {
            burst: per_account
                .burst
                .saturating_mul(NonZeroU32::new(SOURCE_BUDGET_FACTOR).unwrap_or(NonZeroU32::MIN)),
            refill_every: per_account.refill_every / SOURCE_BUDGET_FACTOR,
            ..per_account
        };
        Self {
            per_account: KeyedLimiter::new(per_account),
            per_source: KeyedLimiter::new(per_source),
            wrong_tokens: KeyedLimiter::new(per_source),
            clock,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves one password check of `account` from `source`, or says how long to wait
    /// and whether checks of that account from that source are under way.
    pub fn reserve_password_check(
        &self,
        source: IpAddr,
        account: &str,
    ) -> Result<PasswordAttempt<'_>, Refused> {
        let source = source_key(source);
        let account = account_key(account);
        let now = self.clock.now();
        let mut in_flight = self.lock_in_flight();
        let busy = in_flight.contains_key(&(source, account));
        let refused = |retry_after| Refused { retry_after, busy };
        self.per_source.acquire(source, now).map_err(refused)?;
        if let Err(wait) = self.per_account.acquire((source, account), now) {
            self.per_source.refund(source, now);
            return Err(refused(wait));
        }
        *in_flight.entry((source, account)).or_insert(0) += 1;
        Ok(PasswordAttempt {
            limiter: self,
            source,
            account,
        })
    }

    fn lock_in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<(IpAddr, AccountKey), u32>> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a wrong API token or JWT from `source`: `Ok` while the source's budget for
    /// them lasts, otherwise how long to wait.
    pub fn wrong_token(&self, source: IpAddr) -> Result<(), RetryAfter> {
        self.wrong_tokens
            .acquire(source_key(source), self.clock.now())
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

fn account_key(account: &str) -> AccountKey {
    let digest = Sha256::digest(account.as_bytes());
    let mut key = [0_u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Duration;

    use super::*;
    use crate::core::limits::ManualClock;

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    fn limiter() -> (LoginLimiter, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new());
        (
            LoginLimiter::new(LimiterConfig::default(), clock.clone()),
            clock,
        )
    }

    fn fail(limiter: &LoginLimiter, ip: IpAddr, account: &str, times: u32) {
        for _ in 0..times {
            drop(limiter.reserve_password_check(ip, account).unwrap());
        }
    }

    #[test]
    fn each_account_has_its_budget_per_source() {
        let (limiter, clock) = limiter();
        fail(&limiter, IP, "admin", 10);
        assert_eq!(
            limiter.reserve_password_check(IP, "admin").unwrap_err(),
            Refused {
                retry_after: RetryAfter(Duration::from_secs(6)),
                busy: false
            }
        );
        // Another account from the same source, and the same account from elsewhere.
        limiter
            .reserve_password_check(IP, "ops")
            .unwrap()
            .give_back();
        limiter
            .reserve_password_check(OTHER, "admin")
            .unwrap()
            .give_back();
        clock.advance(Duration::from_secs(6));
        fail(&limiter, IP, "admin", 1);
        assert!(limiter.reserve_password_check(IP, "admin").is_err());
    }

    #[test]
    fn a_source_guessing_many_accounts_runs_out_too() {
        let (limiter, _clock) = limiter();
        for i in 0..50 {
            fail(&limiter, IP, &format!("user{i}"), 1);
        }
        let refused = limiter.reserve_password_check(IP, "fresh").unwrap_err();
        assert_eq!(
            refused.retry_after,
            RetryAfter(Duration::from_secs(2)),
            "1.2 s rounded up"
        );
        limiter
            .reserve_password_check(OTHER, "fresh")
            .unwrap()
            .give_back();
    }

    #[test]
    fn a_refused_account_gives_its_source_token_back() {
        let (limiter, _clock) = limiter();
        fail(&limiter, IP, "admin", 10);
        for _ in 0..100 {
            assert!(limiter.reserve_password_check(IP, "admin").is_err());
        }
        // Only the ten real attempts count against the source.
        for i in 0..40 {
            fail(&limiter, IP, &format!("user{i}"), 1);
        }
        assert!(limiter.reserve_password_check(IP, "another").is_err());
    }

    #[test]
    fn successes_cost_nothing_and_erase_no_failure() {
        let (limiter, _clock) = limiter();
        fail(&limiter, IP, "admin", 9);
        for _ in 0..1_000 {
            limiter
                .reserve_password_check(IP, "ops")
                .unwrap()
                .give_back();
        }
        fail(&limiter, IP, "admin", 1);
        assert!(
            limiter.reserve_password_check(IP, "admin").is_err(),
            "the other account's successes did not reset the count"
        );
        for i in 0..40 {
            fail(&limiter, IP, &format!("user{i}"), 1);
        }
        for _ in 0..1_000 {
            limiter
                .reserve_password_check(OTHER, "x")
                .unwrap()
                .give_back();
        }
        assert!(limiter.reserve_password_check(IP, "ops").is_err());
    }

    #[test]
    fn concurrent_guesses_reserve_at_most_the_budget() {
        let (limiter, _clock) = limiter();
        let limiter = Arc::new(limiter);
        let granted: u32 = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let limiter = Arc::clone(&limiter);
                    scope.spawn(move || {
                        (0..20)
                            .filter(|_| match limiter.reserve_password_check(IP, "admin") {
                                Ok(attempt) => {
                                    drop(attempt);
                                    true
                                }
                                Err(_) => false,
                            })
                            .count()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| u32::try_from(handle.join().unwrap()).unwrap())
                .sum()
        });
        assert_eq!(granted, 10);
    }

    #[test]
    fn a_refusal_says_whether_checks_are_under_way() {
        let (limiter, _clock) = limiter();
        let held: Vec<_> = (0..10)
            .map(|_| limiter.reserve_password_check(IP, "admin").unwrap())
            .collect();
        assert!(
            limiter
                .reserve_password_check(IP, "admin")
                .unwrap_err()
                .busy
        );
        let mut held = held.into_iter();
        held.next().unwrap().give_back();
        // A right password came back: the waiting one gets in.
        let next = limiter.reserve_password_check(IP, "admin").unwrap();
        drop(next);
        drop(held);
        let refused = limiter.reserve_password_check(IP, "admin").unwrap_err();
        assert!(!refused.busy, "all failed: nothing to wait for");
        assert!(limiter.lock_in_flight().is_empty());
    }

    #[test]
    fn wrong_tokens_have_their_own_budget() {
        let (limiter, clock) = limiter();
        for _ in 0..50 {
            assert_eq!(limiter.wrong_token(IP), Ok(()));
        }
        assert!(limiter.wrong_token(IP).is_err());
        limiter
            .reserve_password_check(IP, "admin")
            .unwrap()
            .give_back();
        clock.advance(Duration::from_millis(1_200));
        assert_eq!(limiter.wrong_token(IP), Ok(()));
    }

    #[test]
    fn ipv6_is_limited_per_64_and_mapped_ipv4_as_ipv4() {
        let (limiter, _clock) = limiter();
        for i in 0..10_u32 {
            let ip: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            fail(&limiter, ip, "admin", 1);
        }
        let same_64: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        assert!(limiter.reserve_password_check(same_64, "admin").is_err());
        let next_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limiter.reserve_password_check(next_64, "admin").is_ok());

        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        fail(&limiter, mapped, "admin", 10);
        assert!(limiter.reserve_password_check(IP, "admin").is_err());
        // ... and not as the whole ::ffff:0:0/96 (which would lump all IPv4 together).
        assert!(limiter.reserve_password_check(OTHER, "admin").is_ok());
        let mapped_other: IpAddr = "::ffff:192.0.2.2".parse().unwrap();
        assert!(
            limiter
                .reserve_password_check(mapped_other, "admin")
                .is_ok()
        );
    }
}
