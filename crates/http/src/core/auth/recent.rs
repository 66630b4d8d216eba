//! Credentials read from the database, remembered for at most `max_staleness` (1 s by
//! default, the same bound as resolved hosts): API tokens by digest and operator accounts
//! by name, found or not. Without it every authenticated request paid a database read on
//! the blocking pool (resolve with a token ran at 0.21 of a bare route).
//!
//! # Guarantee
//!
//! - A change on **another node** (a revoked token, a new password from the CLI, a deleted
//!   operator) is honoured here at most `max_staleness` after it committed: an entry is
//!   served only while less than `max_staleness` has passed since the read that filled it
//!   *started*.
//! - A change through **this node** (revoking a token) calls [`Recent::clear`] after its
//!   transaction committed: every entry is forgotten, and a read that started before the
//!   clear cannot fill the cache afterwards.
//!
//! Every instant is a parameter (the injectable monotonic clock), so tests move time.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

/// Entries kept at most; when full, stale ones go, and if none is stale, all go (a flood
/// of distinct unknown credentials must not grow memory).
const CAPACITY: usize = 10_000;

/// Values by key, each served for `max_staleness` after the read that fetched it began.
#[derive(Debug)]
pub struct Recent<K, V> {
    max_staleness: Duration,
    state: RwLock<State<K, V>>,
}

#[derive(Debug)]
struct State<K, V> {
    entries: HashMap<K, (V, Instant)>,
    /// Reads that started before this instant may not fill the cache.
    cleared_at: Option<Instant>,
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    /// A cache serving entries for `max_staleness` (zero: never).
    pub fn new(max_staleness: Duration) -> Self {
        Self {
            max_staleness,
            state: RwLock::new(State {
                entries: HashMap::new(),
                cleared_at: None,
            }),
        }
    }

    /// The value for `key` if a read that began less than `max_staleness` before `now`
    /// fetched it.
    pub fn get<Q>(&self, key: &Q, now: Instant) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let (value, read_at) = state.entries.get(key)?;
        (now.saturating_duration_since(*read_at) < self.max_staleness).then(|| value.clone())
    }

    /// Remembers `value` for `key`, fetched by a read that began at `read_at` (taken
    /// before the query, never after).
    pub fn insert(&self, key: K, value: V, read_at: Instant) {
        if self.max_staleness.is_zero() {
            return;
        }
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if state.cleared_at.is_some_and(|cleared| read_at < cleared) {
            return;
        }
        if state.entries.len() >= CAPACITY {
            let max_staleness = self.max_staleness;
            state
                .entries
                .retain(|_, (_, at)| read_at.saturating_duration_since(*at) < max_staleness);
            if state.entries.len() >= CAPACITY {
                state.entries.clear();
            }
        }
        state.entries.insert(key, (value, read_at));
    }

    /// Forgets everything, and refuses fills by reads that began before `now`.
    pub fn clear(&self, now: Instant) {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        state.entries.clear();
        state.cleared_at = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn entries_are_served_until_a_second_after_their_read_began() {
        let cache = Recent::new(SECOND);
        let start = Instant::now();
        cache.insert("token", Some(7), start);
        cache.insert("unknown", None, start);
        assert_eq!(cache.get(&"token", start + SECOND / 2), Some(Some(7)));
        assert_eq!(
            cache.get(&"unknown", start + SECOND / 2),
            Some(None),
            "misses too"
        );
        assert_eq!(
            cache.get(&"token", start + SECOND),
            None,
            "stale at the bound"
        );
        assert_eq!(cache.get(&"other", start), None);
    }

    #[test]
    fn a_clear_forgets_and_refuses_reads_that_began_before_it() {
        let cache = Recent::new(SECOND);
        let start = Instant::now();
        cache.insert("token", 1, start);
        let cleared = start + Duration::from_millis(10);
        cache.clear(cleared);
        assert_eq!(cache.get(&"token", cleared), None);
        cache.insert("token", 1, start + Duration::from_millis(5));
        assert_eq!(
            cache.get(&"token", cleared),
            None,
            "an older read is refused"
        );
        cache.insert("token", 2, cleared);
        assert_eq!(cache.get(&"token", cleared), Some(2));
    }

    #[test]
    fn zero_staleness_serves_nothing_and_a_full_cache_stays_bounded() {
        let start = Instant::now();
        let never = Recent::new(Duration::ZERO);
        never.insert(1, 1, start);
        assert_eq!(never.get(&1, start), None);
        let cache = Recent::new(SECOND);
        for key in 0..CAPACITY + 5 {
            cache.insert(key, key, start);
        }
        let state = cache.state.read().unwrap();
        assert!(state.entries.len() <= CAPACITY, "{}", state.entries.len());
    }
}
