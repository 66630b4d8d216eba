//! A short-lived memory of operator passwords that already passed argon2 verification.
//!
//! HTTP Basic clients send their password with every request; verifying it with argon2
//! each time costs ~30 ms of CPU. [`VerifiedPasswords`] remembers pairs that verified, so
//! repeat requests skip argon2 until the entry expires or the operator account changes.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};

/// Domain separation for the cache key, so these digests match no other SHA-256 use.
const KEY_CONTEXT: &[u8] = b"tenantry verified-password cache v1\0";

/// SHA-256 over the context, then username and password each prefixed with its length.
type Key = [u8; 32];

#[derive(Debug, Clone)]
struct Entry {
    operator_id: i64,
    operator_updated_at: DateTime<Utc>,
    verified_at: Instant,
}

/// Operator credential pairs that passed argon2 verification recently.
///
/// Only successes are ever stored: there is deliberately no way to record a failed
/// verification, so a wrong password always goes to argon2 (and to the login limiter).
/// The password itself is never stored, only a SHA-256 digest of (username, password);
/// that digest is a fast hash, which is why entries live for a short `ttl` only.
///
/// An entry answers [`check`](Self::check) while it is younger than `ttl` and the
/// operator's `updated_at` still equals the value seen at verification time: changing
/// the password bumps `updated_at`, so old pairs stop matching at once.
///
/// Thread-safe; share one instance across workers through an `Arc`. It holds at most
/// `capacity` entries: when full, expired entries go first, then the oldest.
pub struct VerifiedPasswords {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<Key, Entry>>,
}

impl VerifiedPasswords {
    /// An empty cache whose entries live `ttl` and which holds at most `capacity` of them
    /// (`0` makes a cache that remembers nothing).
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The operator id if this exact (username, password) pair was verified less than
    /// `ttl` before `now` and the operator's `updated_at` is still `operator_updated_at`
    /// (the value just read from the store). An expired or outdated entry is removed and
    /// `None` returned; the caller then verifies with argon2 as usual.
    pub fn check(
        &self,
        username: &str,
        password: &str,
        operator_updated_at: DateTime<Utc>,
        now: Instant,
    ) -> Option<i64> {
        let key = key(username, password);
        let mut entries = self.lock();
        let entry = entries.get(&key)?;
        if self.is_fresh(entry, now) && entry.operator_updated_at == operator_updated_at {
            Some(entry.operator_id)
        } else {
            entries.remove(&key);
            None
        }
    }

    /// Records that `password` verified for the operator `username` (id `operator_id`,
    /// whose `updated_at` was `operator_updated_at` when read) at `now`. Call it only
    /// after a successful argon2 verification.
    pub fn remember(
        &self,
        username: &str,
        password: &str,
        operator_id: i64,
        operator_updated_at: DateTime<Utc>,
        now: Instant,
    ) {
        if self.capacity == 0 {
            return;
        }
        let key = key(username, password);
        let mut entries = self.lock();
        if !entries.contains_key(&key) && entries.len() >= self.capacity {
            entries.retain(|_, entry| self.is_fresh(entry, now));
            if entries.len() >= self.capacity
                && let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.verified_at)
                    .map(|(key, _)| *key)
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            key,
            Entry {
                operator_id,
                operator_updated_at,
                verified_at: now,
            },
        );
    }

    fn is_fresh(&self, entry: &Entry, now: Instant) -> bool {
        now.saturating_duration_since(entry.verified_at) < self.ttl
    }

    /// The map, even after a panic elsewhere while it was held: every update is a single
    /// `insert`/`remove`/`retain`, so a poisoned map is still a consistent one.
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

impl std::fmt::Debug for VerifiedPasswords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedPasswords")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .field("len", &self.lock().len())
            .finish()
    }
}

fn key(username: &str, password: &str) -> Key {
    let mut hasher = Sha256::new();
    hasher.update(KEY_CONTEXT);
    for part in [username, password] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    const TTL: Duration = Duration::from_secs(300);

    fn updated(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, second).unwrap()
    }

    #[test]
    fn remembers_a_verified_pair() {
        let cache = VerifiedPasswords::new(TTL, 10);
        let t0 = Instant::now();
        assert_eq!(cache.check("alice", "pw", updated(0), t0), None);
        cache.remember("alice", "pw", 7, updated(0), t0);
        assert_eq!(cache.check("alice", "pw", updated(0), t0), Some(7));
        assert_eq!(
            cache.check(
                "alice",
                "pw",
                updated(0),
                t0 + TTL - Duration::from_millis(1)
            ),
            Some(7)
        );
    }

    #[test]
    fn other_pairs_miss() {
        let cache = VerifiedPasswords::new(TTL, 10);
        let t0 = Instant::now();
        cache.remember("alice", "pw", 7, updated(0), t0);
        assert_eq!(cache.check("alice", "pw2", updated(0), t0), None);
        assert_eq!(cache.check("alice", "PW", updated(0), t0), None);
        assert_eq!(cache.check("Alice", "pw", updated(0), t0), None);
        assert_eq!(cache.check("bob", "pw", updated(0), t0), None);
        assert_eq!(cache.check("alice", "", updated(0), t0), None);
    }

    #[test]
    fn key_encoding_is_unambiguous() {
        assert_ne!(key("ab", "c"), key("a", "bc"));
        assert_ne!(key("a\0", "b"), key("a", "\0b"));
        assert_ne!(key("", "ab"), key("ab", ""));
        assert_eq!(key("ab", "c"), key("ab", "c"));

        let cache = VerifiedPasswords::new(TTL, 10);
        let t0 = Instant::now();
        cache.remember("ab", "c", 1, updated(0), t0);
        assert_eq!(cache.check("a", "bc", updated(0), t0), None);
        assert_eq!(cache.check("ab", "c", updated(0), t0), Some(1));
    }

    #[test]
    fn entries_expire_and_are_removed() {
        let cache = VerifiedPasswords::new(TTL, 10);
        let t0 = Instant::now();
        cache.remember("alice", "pw", 7, updated(0), t0);
        assert_eq!(cache.check("alice", "pw", updated(0), t0 + TTL), None);
        assert_eq!(cache.len(), 0);
        // Gone for good, even if asked with an earlier instant afterwards.
        assert_eq!(cache.check("alice", "pw", updated(0), t0), None);
    }

    #[test]
    fn an_account_change_forgets_the_pair() {
        let cache = VerifiedPasswords::new(TTL, 10);
        let t0 = Instant::now();
        cache.remember("alice", "old", 7, updated(0), t0);
        // The password changed: the store now reports a later updated_at.
        assert_eq!(cache.check("alice", "old", updated(5), t0), None);
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.check("alice", "old", updated(0), t0), None);
        // The new password is remembered against the new updated_at.
        cache.remember("alice", "new", 7, updated(5), t0);
        assert_eq!(cache.check("alice", "new", updated(5), t0), Some(7));
    }

    #[test]
    fn remembering_again_refreshes_the_entry() {
        let cache = VerifiedPasswords::new(TTL, 10);
        let t0 = Instant::now();
        cache.remember("alice", "pw", 7, updated(0), t0);
        cache.remember("alice", "pw", 7, updated(0), t0 + TTL / 2);
        assert_eq!(cache.check("alice", "pw", updated(0), t0 + TTL), Some(7));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn full_cache_drops_expired_entries_first() {
        let cache = VerifiedPasswords::new(TTL, 3);
        let t0 = Instant::now();
        cache.remember("old1", "pw", 1, updated(0), t0);
        cache.remember("old2", "pw", 2, updated(0), t0);
        let t1 = t0 + TTL;
        cache.remember("fresh", "pw", 3, updated(0), t1 - Duration::from_secs(1));
        cache.remember("new", "pw", 4, updated(0), t1);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.check("fresh", "pw", updated(0), t1), Some(3));
        assert_eq!(cache.check("new", "pw", updated(0), t1), Some(4));
    }

    #[test]
    fn full_cache_drops_the_oldest_live_entry() {
        let cache = VerifiedPasswords::new(TTL, 3);
        let t0 = Instant::now();
        for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
            cache.remember(
                name,
                "pw",
                i as i64,
                updated(0),
                t0 + Duration::from_secs(i as u64),
            );
        }
        let t1 = t0 + Duration::from_secs(10);
        cache.remember("d", "pw", 3, updated(0), t1);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.check("a", "pw", updated(0), t1), None);
        assert_eq!(cache.check("b", "pw", updated(0), t1), Some(1));
        assert_eq!(cache.check("c", "pw", updated(0), t1), Some(2));
        assert_eq!(cache.check("d", "pw", updated(0), t1), Some(3));
        // Refreshing a pair that is already there evicts nothing.
        cache.remember("b", "pw", 1, updated(0), t1);
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn zero_capacity_remembers_nothing() {
        let cache = VerifiedPasswords::new(TTL, 0);
        let t0 = Instant::now();
        cache.remember("alice", "pw", 7, updated(0), t0);
        assert_eq!(cache.check("alice", "pw", updated(0), t0), None);
    }

    #[test]
    fn shared_across_threads() {
        let cache = std::sync::Arc::new(VerifiedPasswords::new(TTL, 1000));
        let t0 = Instant::now();
        let handles: Vec<_> = (0..4_i64)
            .map(|worker| {
                let cache = std::sync::Arc::clone(&cache);
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let name = format!("op{worker}-{i}");
                        cache.remember(&name, "pw", worker, updated(0), t0);
                        assert_eq!(cache.check(&name, "pw", updated(0), t0), Some(worker));
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(cache.len(), 200);
    }

    #[test]
    fn debug_shows_no_usernames_or_digests() {
        let cache = VerifiedPasswords::new(TTL, 10);
        cache.remember("alice", "pw", 7, updated(0), Instant::now());
        let debug = format!("{cache:?}");
        assert!(!debug.contains("alice"), "{debug}");
        assert!(debug.contains("len: 1"), "{debug}");
    }
}
