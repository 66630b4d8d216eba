//! Failed logins per client address: a [`KeyedLimiter`] keyed by source network.
//!
//! A failed login spends a token; a login may be attempted only while at least one token
//! is left. Successful logins spend nothing and refund nothing, so someone who owns one
//! account cannot use it to reset the count. IPv6 clients are limited per /64 network (one
//! host usually controls a whole /64), and IPv4-mapped IPv6 addresses count as the IPv4
//! address they carry.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Instant;

use crate::core::limits::{KeyedLimiter, LimiterConfig, RetryAfter};

/// Failed logins per source address.
#[derive(Debug, Default)]
pub struct LoginLimiter(KeyedLimiter<IpAddr>);

impl LoginLimiter {
    /// An empty limiter.
    pub fn new(config: LimiterConfig) -> Self {
        Self(KeyedLimiter::new(config))
    }

    /// Whether a login from `ip` may be attempted at `now`, or how long to wait.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        self.0.check(source_key(ip), now)
    }

    /// Records a failed login from `ip` at `now`.
    pub fn record_failure(&self, ip: IpAddr, now: Instant) {
        self.0.spend(source_key(ip), now);
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

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

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
        for _ in 0..10 {
            limiter.record_failure(mapped, t0);
        }
        assert!(limiter.check(IP, t0).is_err());
        // ... and not as the whole ::ffff:0:0/96 (which would lump all IPv4 together).
        assert_eq!(limiter.check(OTHER, t0), Ok(()));
        assert_eq!(
            limiter.check("::ffff:192.0.2.2".parse().unwrap(), t0),
            Ok(())
        );
    }
}
