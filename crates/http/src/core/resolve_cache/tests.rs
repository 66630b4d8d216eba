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
    // Four owned strings, cloned on every get like a tenant summary would be.
    type Summary = (String, String, String, String);
    println!(
        "Arc<str>: {:.0} gets/s",
        gets_per_second(|index| Arc::<str>::from(format!("tenant-{index}")))
    );
    println!(
        "Summary of 4 Strings: {:.0} gets/s",
        gets_per_second(|index| -> Summary {
            (
                format!("0194f0c2-0000-7000-8000-{index:012}"),
                format!("tenant-{index}"),
                "active".to_owned(),
                format!("https://tenant-{index}.example.com/"),
            )
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
