//! A per-node cache of host resolutions (`GET /api/v1/resolve?host=`), kept consistent
//! with the database through its `routing_version` counter.
//!
//! Pure and synchronous: no actix, no I/O. Every "now" is a parameter, a
//! [`std::time::Instant`] taken by the caller at the moment the contract names; the one
//! clock read is the convenience [`ResolveCache::invalidate`], whose moment is the call.
//!
//! # Contract
//!
//! The database keeps `routing_version`, which every tenant or domain change increases in
//! the same transaction ([`TenantRepository::routing_version`]). The cache remembers the
//! version its entries belong to and when that version was last *confirmed*, that is read
//! from the database. Entries are answers of `find_by_host`, found ([`Some`]) or not
//! ([`None`], a negative entry, so floods of one unknown host stay off the database).
//!
//! The resolve handler (`dialects/admin/resolve.rs`) follows this recipe:
//!
//! ```text
//! let now = Instant::now();                          // BEFORE the version read
//! if cache.needs_version_check(now) {
//!     cache.confirm_version(db.routing_version()?, now);
//! }
//! if let Some(answer) = cache.get(host) {            // Some(None): "no such host"
//!     return answer;
//! }
//! let read_at = Instant::now();                      // BEFORE the read below
//! let (version, answer) = db.read(|session| {
//!     let version = session.routing_version()?;      // BEFORE the lookup
//!     Ok((version, session.find_by_host(host)?))
//! })?;
//! cache.confirm_version(version, read_at);
//! cache.insert(host, answer.clone(), version);       // kept only if still current
//! answer
//! ```
//!
//! and every handler that changes tenants or domains calls
//! [`invalidate`](ResolveCache::invalidate) once its transaction committed, before it
//! answers.
//!
//! Each instant given to `confirm_version` must be taken *before* the query that read the
//! version: an instant taken after it would let a read that began before this node's own
//! change pass for a newer one, and would stretch the staleness bound by the query time.
//! The label given to `insert` is the version read before the lookup, in the same read:
//! data read after observing version `v` reflects at least every change up to `v`.
//!
//! # Guarantee
//!
//! - A change committed on **another node** is served from this cache for at most
//!   `max_staleness` after it committed. An answer at time `T` comes from entries of the
//!   version confirmed by a read that started at `c ≥ T − max_staleness`; that read saw
//!   every change committed before `c`, and a version change forgets every entry.
//! - A change made **through this node** is never served from this cache once
//!   `invalidate` has returned: it forgets every entry, refuses every version read that
//!   started before it, and refuses fills until a later read confirms a version.
//!
//! Both rest on the version increasing with every change (two states never share a
//! version), and on the instants being taken where the recipe says.
//!
//! # Costs
//!
//! [`get`](ResolveCache::get) and [`needs_version_check`](ResolveCache::needs_version_check)
//! take the read lock only, so concurrent lookups do not serialize; `get` clones the value
//! under that lock, so make `V` cheap to clone (an `Arc`, or the serialized answer body).
//! Hosts are lower-cased (ASCII); `get` allocates only for a host with upper-case letters.
//!
//! [`TenantRepository::routing_version`]: tenantry_tenant::TenantRepository::routing_version

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// Longest host that is stored: no DNS name is longer (`DomainName::MAX_LENGTH`). Longer
/// input is answered from the database every time, so it cannot fill memory.
pub const MAX_HOST_LENGTH: usize = 253;

/// Host → tenant answers shared by every worker of one node. See the [module
/// documentation](self) for the contract and the guarantee.
pub struct ResolveCache<V> {
    max_staleness: Duration,
    capacity: usize,
    state: RwLock<State<V>>,
}

struct State<V> {
    /// The routing version the entries belong to; `None` before the first confirmation
    /// and after [`ResolveCache::invalidate`].
    version: Option<i64>,
    /// When the read that confirmed `version` started.
    confirmed_at: Option<Instant>,
    /// Version reads that started at or before this instant are refused: they may predate
    /// a change made through this node.
    invalidated_at: Option<Instant>,
    entries: HashMap<Arc<str>, Option<V>>,
    /// Hosts first stored as "no such host", oldest first. Evicted before `found`, so a
    /// flood of unknown hosts cannot push out the tenants that are really served.
    not_found_order: VecDeque<Arc<str>>,
    /// Hosts first stored with an answer, oldest first.
    found_order: VecDeque<Arc<str>>,
}

impl<V> State<V> {
    fn forget_entries(&mut self) {
        self.entries.clear();
        self.not_found_order.clear();
        self.found_order.clear();
    }

    /// Removes the oldest negative entry, else the oldest positive one. Every key of
    /// `entries` sits in exactly one of the two queues, once: keys are pushed only when
    /// they enter `entries` and leave both only together. (Overwriting an entry keeps its
    /// queue, so a host first stored as unknown stays in that queue; harmless.)
    fn evict_oldest(&mut self) {
        let victim = self
            .not_found_order
            .pop_front()
            .or_else(|| self.found_order.pop_front());
        if let Some(host) = victim {
            self.entries.remove(&host);
        }
    }
}

impl<V: Clone> ResolveCache<V> {
    /// An empty cache whose answers are at most `max_staleness` old with respect to
    /// changes made on other nodes, holding at most `capacity` hosts (0 disables storing).
    pub fn new(max_staleness: Duration, capacity: usize) -> Self {
        Self {
            max_staleness,
            capacity,
            state: RwLock::new(State {
                version: None,
                confirmed_at: None,
                invalidated_at: None,
                entries: HashMap::new(),
                not_found_order: VecDeque::new(),
                found_order: VecDeque::new(),
            }),
        }
    }

    /// Whether the database's routing version must be read (and given to
    /// [`confirm_version`](Self::confirm_version)) before answering from the cache at
    /// `now`: true before the first confirmation, after [`invalidate`](Self::invalidate),
    /// and when the last confirmation started more than `max_staleness` before `now`.
    pub fn needs_version_check(&self, now: Instant) -> bool {
        let state = self.read();
        match (state.version, state.confirmed_at) {
            (Some(_), Some(confirmed_at)) => {
                now.saturating_duration_since(confirmed_at) > self.max_staleness
            }
            _ => true,
        }
    }

    /// Records that the database's routing version is `version`, as read by a query that
    /// started at `now` (take `now` before the query). A version other than the cached
    /// one forgets every entry.
    ///
    /// Refused (no effect) when the read started before the last accepted confirmation
    /// (an older observation arriving late) or before the last
    /// [`invalidate`](Self::invalidate) (it may predate this node's own change).
    pub fn confirm_version(&self, version: i64, now: Instant) {
        let mut state = self.write();
        let predates_invalidation = state.invalidated_at.is_some_and(|at| now < at);
        let older_than_confirmed = state.confirmed_at.is_some_and(|at| now < at);
        if predates_invalidation || older_than_confirmed {
            return;
        }
        if state.version != Some(version) {
            state.forget_entries();
            state.version = Some(version);
        }
        state.confirmed_at = Some(now);
    }

    /// The routing version the entries belong to, `None` when there is none (never
    /// confirmed, or invalidated since). Tests inspect it.
    #[cfg(test)]
    fn version(&self) -> Option<i64> {
        self.read().version
    }

    /// The cached answer for `host`: `Some(Some(value))` for a tenant, `Some(None)` for a
    /// cached "no such host", `None` when the database must be asked. Takes the read lock
    /// only. Call [`needs_version_check`](Self::needs_version_check) first.
    pub fn get(&self, host: &str) -> Option<Option<V>> {
        let host = lowercase(host);
        self.read().entries.get(host.as_ref()).cloned()
    }

    /// Stores the database's answer for `host` (`None`: no such host), looked up after
    /// observing routing version `version`. Kept only if `version` is still the cache's
    /// current version: a fill that raced with a version change or an
    /// [`invalidate`](Self::invalidate) is dropped. When the cache is full, the oldest
    /// "no such host" entry goes first, else the oldest entry. Returns whether it was
    /// stored.
    pub fn insert(&self, host: &str, value: Option<V>, version: i64) -> bool {
        if self.capacity == 0 || host.len() > MAX_HOST_LENGTH {
            return false;
        }
        // Allocated before locking, to keep the write lock short.
        let host: Arc<str> = Arc::from(lowercase(host).as_ref());
        let mut state = self.write();
        if state.version != Some(version) {
            return false;
        }
        if let Some(slot) = state.entries.get_mut(&host) {
            *slot = value;
            return true;
        }
        while state.entries.len() >= self.capacity && !state.entries.is_empty() {
            state.evict_oldest();
        }
        if value.is_some() {
            state.found_order.push_back(Arc::clone(&host));
        } else {
            state.not_found_order.push_back(Arc::clone(&host));
        }
        state.entries.insert(host, value);
        true
    }

    /// Forgets every entry after a tenant or domain change made through this node. Call it
    /// after the change committed, before answering. Reads the clock: the instant it
    /// needs must follow the commit, and one read inside a call made after the commit
    /// does. [`invalidate_at`](Self::invalidate_at) is the same with the instant given.
    pub fn invalidate(&self) {
        self.invalidate_at(Instant::now());
    }

    /// Forgets every entry after a tenant or domain change made through this node; `now`
    /// must be taken *after* the change committed. Until a version read that started at
    /// or after `now` is confirmed, nothing is stored or served.
    pub fn invalidate_at(&self, now: Instant) {
        let mut state = self.write();
        state.forget_entries();
        state.version = None;
        state.invalidated_at = Some(state.invalidated_at.map_or(now, |at| at.max(now)));
    }

    /// How many hosts are cached (found or not). Tests inspect it.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.read().entries.len()
    }

    /// Whether no host is cached. Tests inspect it.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> RwLockReadGuard<'_, State<V>> {
        // A panic while holding the lock cannot leave the map half-updated in a way
        // that matters: at worst an entry is missing.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State<V>> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<V> std::fmt::Debug for ResolveCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("ResolveCache")
            .field("max_staleness", &self.max_staleness)
            .field("capacity", &self.capacity)
            .field("version", &state.version)
            .field("entries", &state.entries.len())
            .finish_non_exhaustive()
    }
}

/// `host` in ASCII lower case, borrowed when it already is.
fn lowercase(host: &str) -> Cow<'_, str> {
    if host.bytes().any(|byte| byte.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    }
}

#[cfg(test)]
mod tests;
