//! Resident memory while passwords are hashed and verified concurrently: bounded by the
//! hashing threads, not by the number of requests, and given back afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tenantry_store::testing::TestDatabase;

use super::{Backend, Context, register};
use crate::report::Figures;
use tenantry_e2e::process::{Server, rss_of};
use tenantry_e2e::wire as http;

const MIB: u64 = 1024;

pub fn run(context: &Context, backend: Backend, database: &TestDatabase) -> Figures {
    let mut figures = context.figures("memory", backend);
    let server = context.start(database, "memory", backend, &[]);
    let admin = server.admin_token();
    let tenant = format!("m{}", context.tag);
    server.create_tenant(&admin, &tenant);
    // The Tahoe API allows 60 registrations a minute per token: four tokens cover 192.
    let tokens: Vec<String> = (0..4)
        .map(|_| server.registration_token(&admin, &tenant))
        .collect();
    let idle = server.rss_kib();

    let peak = Arc::new(AtomicU64::new(idle));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling, pid) = (Arc::clone(&peak), Arc::clone(&sampling), server.pid());
        std::thread::spawn(move || {
            while sampling.load(Ordering::SeqCst) {
                peak.fetch_max(rss_of(pid), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let rounds = context.size(3, 1);
    let concurrent = context.size(64, 16);
    let mut answers = [0usize; 3];
    for round in 0..rounds {
        let results = at_once(concurrent, |index| {
            let username = format!("r{round}u{index}");
            let token = &tokens[index % tokens.len()];
            register(
                &server,
                token,
                &username,
                &format!("{username}@{tenant}.example.com"),
            )
            .map_or(0, |reply| reply.status)
        });
        tally(&mut answers, &results);
    }
    let after_registrations = server.rss_kib();
    let logins = at_once(context.size(160, 32), |index| {
        http::send(
            &server.address,
            "GET",
            "/api/v1/admin/tenants/",
            &[http::basic(&format!("nobody{index}"), "wrong-password-1")],
            &[],
            Duration::from_secs(120),
        )
        .map_or(0, |reply| reply.status)
    });
    let after_logins = server.rss_kib();
    mixed_load(
        &server,
        &admin,
        context.size(64, 16),
        Duration::from_secs(context.size(10, 2) as u64),
    );
    let after_load = server.rss_kib();
    let settle = Duration::from_secs(context.size(30, 5) as u64);
    let settled_at = Instant::now() + settle;
    while Instant::now() < settled_at {
        std::thread::sleep(Duration::from_millis(200));
    }
    sampling.store(false, Ordering::SeqCst);
    let _ = sampler.join();
    let settled = server.rss_kib();
    let peak = peak.load(Ordering::SeqCst);

    figures.show(
        "registrations at once × rounds: 2xx / 503 / other",
        format!(
            "{concurrent} × {rounds}: {} / {} / {}",
            answers[0], answers[1], answers[2]
        ),
    );
    figures.show(
        "wrong Basic logins at once: 401 / 429 / other",
        format!(
            "{}: {} / {} / {}",
            logins.len(),
            logins.iter().filter(|status| **status == 401).count(),
            logins.iter().filter(|status| **status == 429).count(),
            logins
                .iter()
                .filter(|status| !matches!(**status, 401 | 429))
                .count()
        ),
    );
    figures.show("RSS idle (MiB)", idle / MIB);
    figures.check(
        "every registration answered 2xx or 503",
        answers[2],
        "0 other",
        answers[2] == 0,
    );
    figures.resource("RSS peak (MiB)", peak / MIB, "<= 256", peak <= 256 * MIB);
    figures.show(
        "RSS after registrations / logins / mixed load (MiB)",
        format!(
            "{} / {} / {}",
            after_registrations / MIB,
            after_logins / MIB,
            after_load / MIB
        ),
    );
    figures.resource(
        &format!("RSS {} s after the load (MiB)", settle.as_secs()),
        settled / MIB,
        "<= 96",
        settled <= 96 * MIB,
    );
    drop(server);
    figures
}

/// Runs `work(0..count)` on `count` threads released at once; their results in order.
fn at_once<T: Send>(count: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = std::sync::Barrier::new(count);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .map(|index| {
                let (barrier, work) = (&barrier, &work);
                scope.spawn(move || {
                    barrier.wait();
                    work(index)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a client thread panicked"))
            .collect()
    })
}

/// Counts 2xx, 503 and anything else.
fn tally(answers: &mut [usize; 3], statuses: &[u16]) {
    for status in statuses {
        let slot = match status {
            200..=299 => 0,
            503 => 1,
            _ => {
                eprintln!("a registration got {status}");
                2
            }
        };
        answers[slot] += 1;
    }
}

/// `connections` clients reading the tenant list with a token, for `duration`.
fn mixed_load(server: &Server, token: &str, connections: usize, duration: Duration) {
    let done = AtomicUsize::new(0);
    let until = Instant::now() + duration;
    std::thread::scope(|scope| {
        for _ in 0..connections {
            scope.spawn(|| {
                while Instant::now() < until {
                    let path = if done.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
                        "/api/v1/admin/tenants/"
                    } else {
                        "/health"
                    };
                    let _ = http::send(
                        &server.address,
                        "GET",
                        path,
                        &[http::bearer(token)],
                        &[],
                        http::TIMEOUT,
                    );
                }
            });
        }
    });
}
