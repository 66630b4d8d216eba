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
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::thread;

    use super::*;

    const STALENESS: Duration = Duration::from_secs(5);

    fn seconds(count: u64) -> Duration {
        Duration::from_secs(count)
    }

    /// A cache confirmed at version 1 at `start`.
    fn confirmed(start: Instant) -> ResolveCache<&'static str> {
        let cache = ResolveCache::new(STALENESS, 100);
        cache.confirm_version(1, start);
        cache
    }

    #[test]
    fn a_version_check_is_needed_before_the_first_confirmation_and_after_max_staleness() {
        let start = Instant::now();
        let cache = ResolveCache::<&str>::new(STALENESS, 100);
        assert!(cache.needs_version_check(start));
        cache.confirm_version(1, start);
        assert!(!cache.needs_version_check(start));
        assert!(!cache.needs_version_check(start + STALENESS));
        assert!(cache.needs_version_check(start + STALENESS + Duration::from_nanos(1)));
        cache.confirm_version(1, start + seconds(6));
        assert!(!cache.needs_version_check(start + seconds(10)));
    }

    #[test]
    fn answers_and_no_such_host_are_cached_case_insensitively() {
        let cache = confirmed(Instant::now());
        assert_eq!(cache.get("acme.example"), None);
        assert!(cache.insert("Acme.Example", Some("acme"), 1));
        assert!(cache.insert("nobody.example", None, 1));
        assert_eq!(cache.get("acme.example"), Some(Some("acme")));
        assert_eq!(cache.get("ACME.EXAMPLE"), Some(Some("acme")));
        assert_eq!(cache.get("nobody.example"), Some(None));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn a_new_version_forgets_every_entry_and_the_same_version_keeps_them() {
        let start = Instant::now();
        let cache = confirmed(start);
        cache.insert("acme.example", Some("acme"), 1);
        cache.insert("nobody.example", None, 1);
        cache.confirm_version(1, start + seconds(1));
        assert_eq!(cache.get("acme.example"), Some(Some("acme")));
        cache.confirm_version(2, start + seconds(2));
        assert_eq!(cache.get("acme.example"), None);
        assert_eq!(cache.get("nobody.example"), None);
        assert!(cache.is_empty());
        assert_eq!(cache.version(), Some(2));
    }

    #[test]
    fn a_fill_that_raced_with_a_version_change_is_dropped() {
        let start = Instant::now();
        let cache = confirmed(start);
        let label = cache.version().unwrap();
        // The fill looked the host up under version 1; meanwhile version 2 was confirmed.
        cache.confirm_version(2, start + seconds(1));
        assert!(!cache.insert("acme.example", Some("old acme"), label));
        assert_eq!(cache.get("acme.example"), None);
        assert!(cache.insert("acme.example", Some("new acme"), 2));
        assert_eq!(cache.get("acme.example"), Some(Some("new acme")));
    }

    #[test]
    fn nothing_is_stored_before_a_version_is_confirmed() {
        let cache = ResolveCache::new(STALENESS, 100);
        assert!(!cache.insert("acme.example", Some("acme"), 0));
        assert_eq!(cache.get("acme.example"), None);
    }

    #[test]
    fn invalidate_forgets_everything_and_refuses_reads_that_started_before_it() {
        let start = Instant::now();
        let cache = confirmed(start);
        cache.insert("acme.example", Some("acme"), 1);
        // A version read started at +1 s and saw 1; the local change committed at +2 s.
        let read_started = start + seconds(1);
        cache.invalidate_at(start + seconds(2));
        assert_eq!(cache.get("acme.example"), None);
        assert!(cache.needs_version_check(start + seconds(2)));
        assert_eq!(cache.version(), None);
        // The late confirmation and a fill labelled with the old version are refused.
        cache.confirm_version(1, read_started);
        assert_eq!(cache.version(), None);
        assert!(!cache.insert("acme.example", Some("old acme"), 1));
        assert!(cache.needs_version_check(start + seconds(3)));
        // A read that started after the change sees its version and is accepted.
        cache.confirm_version(2, start + seconds(3));
        assert!(!cache.needs_version_check(start + seconds(3)));
        assert!(cache.insert("acme.example", Some("new acme"), 2));
        assert_eq!(cache.get("acme.example"), Some(Some("new acme")));
    }

    #[test]
    fn invalidate_reads_the_clock_at_the_call() {
        let cache = confirmed(Instant::now());
        let before = Instant::now();
        cache.invalidate();
        cache.confirm_version(1, before);
        assert_eq!(
            cache.version(),
            None,
            "a read begun before the call is refused"
        );
        cache.confirm_version(2, Instant::now());
        assert_eq!(cache.version(), Some(2));
    }

    #[test]
    fn a_confirmation_that_started_before_the_last_one_is_ignored() {
        let start = Instant::now();
        let cache = confirmed(start);
        cache.confirm_version(3, start + seconds(2));
        cache.insert("acme.example", Some("acme"), 3);
        // A read that started earlier (and saw an older version) arrives late.
        cache.confirm_version(2, start + seconds(1));
        assert_eq!(cache.version(), Some(3));
        assert_eq!(cache.get("acme.example"), Some(Some("acme")));
        assert!(cache.needs_version_check(start + seconds(8)));
    }

    #[test]
    fn a_full_cache_evicts_unknown_hosts_first_then_the_oldest() {
        let cache = ResolveCache::new(STALENESS, 3);
        cache.confirm_version(1, Instant::now());
        cache.insert("a.example", Some("a"), 1);
        cache.insert("unknown-1.example", None, 1);
        cache.insert("b.example", Some("b"), 1);
        cache.insert("unknown-2.example", None, 1);
        assert_eq!(
            cache.get("unknown-1.example"),
            None,
            "oldest unknown went first"
        );
        assert_eq!(cache.get("a.example"), Some(Some("a")));
        cache.insert("c.example", Some("c"), 1);
        assert_eq!(cache.get("unknown-2.example"), None);
        cache.insert("d.example", Some("d"), 1);
        assert_eq!(cache.get("a.example"), None, "then the oldest tenant");
        assert_eq!(cache.len(), 3);
        for host in ["b.example", "c.example", "d.example"] {
            assert!(cache.get(host).is_some(), "{host}");
        }
    }

    #[test]
    fn overwriting_a_host_keeps_one_entry() {
        let cache = ResolveCache::new(STALENESS, 2);
        cache.confirm_version(1, Instant::now());
        cache.insert("a.example", None, 1);
        cache.insert("A.example", Some("a"), 1);
        cache.insert("b.example", Some("b"), 1);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("a.example"), Some(Some("a")));
    }

    #[test]
    fn zero_capacity_and_overlong_hosts_store_nothing() {
        let disabled = ResolveCache::new(STALENESS, 0);
        disabled.confirm_version(1, Instant::now());
        assert!(!disabled.insert("a.example", Some("a"), 1));
        let cache = confirmed(Instant::now());
        let long = "a".repeat(MAX_HOST_LENGTH + 1);
        assert!(!cache.insert(&long, None, 1));
        assert!(cache.insert(&long[..MAX_HOST_LENGTH], None, 1));
    }

    #[test]
    fn gets_take_the_read_lock_only() {
        let cache = confirmed(Instant::now());
        cache.insert("a.example", Some("a"), 1);
        // With a read guard held, a `get` that wanted the write lock would deadlock.
        let _held = cache.read();
        assert_eq!(cache.get("a.example"), Some(Some("a")));
        assert!(!cache.needs_version_check(Instant::now()));
    }

    /// Two nodes over one database, following the module's recipe with controlled time.
    #[test]
    fn changes_reach_other_nodes_within_max_staleness_and_this_node_at_once() {
        struct Database {
            version: i64,
            hosts: HashMap<&'static str, &'static str>,
        }
        fn resolve(
            cache: &ResolveCache<&'static str>,
            db: &Database,
            host: &str,
            now: Instant,
        ) -> Option<&'static str> {
            if cache.needs_version_check(now) {
                cache.confirm_version(db.version, now);
            }
            if let Some(answer) = cache.get(host) {
                return answer;
            }
            let version = cache.version();
            let answer = db.hosts.get(host).copied();
            if let Some(version) = version {
                cache.insert(host, answer, version);
            }
            answer
        }

        let start = Instant::now();
        let mut db = Database {
            version: 1,
            hosts: HashMap::from([("acme.example", "acme")]),
        };
        let (here, there) = (confirmed(start), confirmed(start));
        assert_eq!(resolve(&here, &db, "acme.example", start), Some("acme"));
        assert_eq!(resolve(&there, &db, "acme.example", start), Some("acme"));

        // The domain moves through `here` at +1 s.
        db.hosts.insert("acme.example", "globex");
        db.version += 1;
        here.invalidate_at(start + seconds(1));
        let soon = start + seconds(1) + Duration::from_millis(1);
        assert_eq!(resolve(&here, &db, "acme.example", soon), Some("globex"));
        // `there` may serve the old answer until max_staleness after its last check...
        assert_eq!(resolve(&there, &db, "acme.example", soon), Some("acme"));
        let deadline = start + STALENESS;
        assert_eq!(resolve(&there, &db, "acme.example", deadline), Some("acme"));
        // ...and never later.
        let after = deadline + Duration::from_nanos(1);
        assert_eq!(resolve(&there, &db, "acme.example", after), Some("globex"));

        // The domain is removed through `there`: `there` stops serving it at once.
        db.hosts.remove("acme.example");
        db.version += 1;
        there.invalidate_at(after + seconds(1));
        let later = after + seconds(2);
        assert_eq!(resolve(&there, &db, "acme.example", later), None);
        assert_eq!(
            there.get("acme.example"),
            Some(None),
            "cached as no such host"
        );
    }

    #[test]
    fn concurrent_fills_never_keep_an_entry_of_an_older_version() {
        let cache = Arc::new(ResolveCache::<i64>::new(STALENESS, 64));
        let start = Instant::now();
        cache.confirm_version(0, start);
        let done = Arc::new(AtomicBool::new(false));
        let hits = Arc::new(AtomicU64::new(0));
        let workers: Vec<_> = (0..4)
            .map(|worker| {
                let (cache, done, hits) = (cache.clone(), done.clone(), hits.clone());
                thread::spawn(move || {
                    let mut round = 0u64;
                    while !done.load(Ordering::Relaxed) {
                        let host = format!("host-{}.example", (round * 7 + worker) % 100);
                        match cache.get(&host) {
                            Some(Some(value)) => {
                                assert!(value <= cache.version().unwrap_or(i64::MAX));
                                hits.fetch_add(1, Ordering::Relaxed);
                            }
                            Some(None) => unreachable!("only answers are stored"),
                            None => {
                                // The "database" answers with the version it is at.
                                if let Some(version) = cache.version() {
                                    cache.insert(&host, Some(version), version);
                                }
                            }
                        }
                        round += 1;
                    }
                })
            })
            .collect();
        for version in 1..=200_i64 {
            let at = |micros: i64| start + Duration::from_micros(micros.unsigned_abs());
            cache.confirm_version(version, at(version * 10));
            if version % 10 == 0 {
                cache.invalidate_at(at(version * 10));
                cache.confirm_version(version, at(version * 10 + 1));
            }
            thread::sleep(Duration::from_micros(200));
        }
        // Let the readers hit the last version before stopping them (a loaded machine may
        // not have scheduled them during the churn).
        let waited = Instant::now();
        while hits.load(Ordering::Relaxed) == 0 && waited.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(1));
        }
        done.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.join().unwrap();
        }
        assert!(cache.len() <= 64);
        let last = cache.version().unwrap();
        assert_eq!(last, 200);
        for index in 0..100 {
            let host = format!("host-{index}.example");
            if let Some(value) = cache.get(&host) {
                assert_eq!(value, Some(last), "{host} kept a value of another version");
            }
        }
        assert!(
            hits.load(Ordering::Relaxed) > 0,
            "the readers hit the cache"
        );
    }

    /// Lookups per second over 4 threads on a warm cache of 1,000 hosts (half of them
    /// "no such host"), for a cheap (`Arc<str>`) and a deep-cloned value.
    #[test]
    #[ignore = "benchmark; run: cargo test -p tenantry-http --release --lib \
                resolve_cache::tests::throughput -- --ignored --nocapture"]
    fn throughput() {
        #[derive(Clone)]
        #[allow(dead_code, reason = "only cloned, like a tenant summary")]
        struct Summary {
            id: String,
            name: String,
            status: String,
            url: String,
        }
        println!(
            "Arc<str>: {:.0} gets/s",
            gets_per_second(|index| Arc::<str>::from(format!("tenant-{index}")))
        );
        println!(
            "Summary of 4 Strings: {:.0} gets/s",
            gets_per_second(|index| Summary {
                id: format!("0194f0c2-0000-7000-8000-{index:012}"),
                name: format!("tenant-{index}"),
                status: "active".to_owned(),
                url: format!("https://tenant-{index}.example.com/"),
            })
        );
    }

    fn gets_per_second<V: Clone + Send + Sync + 'static>(make: impl Fn(usize) -> V) -> f64 {
        const THREADS: usize = 4;
        const HOSTS: usize = 1_000;
        const RUN: Duration = Duration::from_secs(2);
        let cache = Arc::new(ResolveCache::new(STALENESS, 10_000));
        let start = Instant::now();
        cache.confirm_version(1, start);
        let hosts: Arc<Vec<String>> = Arc::new(
            (0..HOSTS)
                .map(|i| format!("tenant-{i}.example.com"))
                .collect(),
        );
        for (index, host) in hosts.iter().enumerate() {
            let value = (index % 2 == 0).then(|| make(index));
            cache.insert(host, value, 1);
        }
        let threads: Vec<_> = (0..THREADS)
            .map(|offset| {
                let (cache, hosts) = (cache.clone(), hosts.clone());
                thread::spawn(move || {
                    let began = Instant::now();
                    let mut gets = 0u64;
                    let mut index = offset * 250;
                    while began.elapsed() < RUN {
                        for _ in 0..1_000 {
                            index = (index + 1) % HOSTS;
                            if !cache.needs_version_check(began)
                                && std::hint::black_box(cache.get(&hosts[index])).is_some()
                            {
                                gets += 1;
                            }
                        }
                    }
                    gets as f64 / began.elapsed().as_secs_f64()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    }
}
