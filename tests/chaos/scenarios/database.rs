//! PostgreSQL frozen and cut through a proxy the scenario controls: requests and `/ready`
//! answer 503 within bounds instead of waiting, and the server recovers by itself once
//! the database is back.

use std::time::{Duration, Instant};

use tenantry_e2e::proxy::{Proxy, host_port};
use tenantry_store::testing::TestDatabase;

use super::{Backend, Context};
use crate::report::Figures;
use tenantry_e2e::process::Server;
use tenantry_e2e::wire as http;

/// What one outage looked like from outside.
struct Outage {
    /// The slowest answer to a request sent while the database was away, and whether
    /// every such answer was 503.
    slowest_request: Duration,
    all_503: bool,
    ready_503_after: Option<Duration>,
    recovered_after: Option<Duration>,
}

pub fn run(context: &Context, backend: Backend, database: &TestDatabase) -> Figures {
    let mut figures = context.figures("database", backend);
    let real = database.url_string();
    let proxy = Proxy::start(host_port(&real));
    let log = tenantry_e2e::process::log_file(&context.logs, "database-postgres");
    let server = Server::start(&context.binary, &proxy.route(&real), &log, &[]);
    let token = server.admin_token();
    let hold = Duration::from_secs(context.size(20, 4) as u64);
    for (name, cut) in [("frozen", false), ("cut", true)] {
        let outage = outage(&server, &token, &proxy, cut, hold);
        figures.resource(
            &format!("{name}: slowest request while away (s)"),
            seconds(Some(outage.slowest_request)),
            "<= 5",
            outage.slowest_request <= Duration::from_secs(5),
        );
        figures.check(
            &format!("{name}: every request answered 503"),
            outage.all_503,
            "true",
            outage.all_503,
        );
        figures.check(
            &format!("{name}: /ready answered 503"),
            outage.ready_503_after.is_some(),
            "true",
            outage.ready_503_after.is_some(),
        );
        figures.resource(
            &format!("{name}: /ready 503 after (s)"),
            seconds(outage.ready_503_after),
            "<= 2",
            outage
                .ready_503_after
                .is_some_and(|after| after <= Duration::from_secs(2)),
        );
        figures.check(
            &format!("{name}: recovered without a restart"),
            outage.recovered_after.is_some(),
            "true",
            outage.recovered_after.is_some(),
        );
        figures.resource(
            &format!("{name}: recovered after (s)"),
            seconds(outage.recovered_after),
            "<= 1",
            outage
                .recovered_after
                .is_some_and(|after| after <= Duration::from_secs(1)),
        );
    }
    drop(server);
    figures
}

fn seconds(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "never".to_owned(),
        |duration| format!("{:.2}", duration.as_secs_f64()),
    )
}

/// A request that always reads the database: the audit log (the tenant list and resolve
/// may be answered from their caches for up to a second, which is by design).
fn list(server: &Server, token: &str, timeout: Duration) -> Option<u16> {
    http::send(
        &server.address,
        "GET",
        "/api/v1/admin/audit?per_page=1",
        &[http::bearer(token)],
        &[],
        timeout,
    )
    .ok()
    .map(|reply| reply.status)
}

fn outage(server: &Server, token: &str, proxy: &Proxy, cut: bool, hold: Duration) -> Outage {
    assert_eq!(
        list(server, token, http::TIMEOUT),
        Some(200),
        "the server works before the outage"
    );
    let away = |on: bool| if cut { proxy.cut(on) } else { proxy.freeze(on) };
    away(true);
    let started = Instant::now();
    let address = server.address.clone();
    let ready = std::thread::spawn(move || {
        let begun = Instant::now();
        while begun.elapsed() < Duration::from_secs(30) {
            if let Ok(reply) = http::get(&address, "/ready", Duration::from_secs(30))
                && reply.status == 503
            {
                return Some(begun.elapsed());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    });
    // Requests all through the outage, four at a time.
    let mut slowest = Duration::ZERO;
    let mut all_503 = true;
    while started.elapsed() < hold {
        let answers: Vec<(Option<u16>, Duration)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        let sent = Instant::now();
                        (list(server, token, Duration::from_secs(60)), sent.elapsed())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap_or((None, Duration::MAX)))
                .collect()
        });
        for (status, took) in answers {
            slowest = slowest.max(took);
            if status != Some(503) {
                eprintln!("during the outage a request got {status:?} after {took:?}");
                all_503 = false;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let ready_503_after = ready.join().unwrap_or(None);
    away(false);
    let back = Instant::now();
    let mut recovered_after = None;
    while back.elapsed() < Duration::from_secs(30) {
        if list(server, token, Duration::from_secs(30)) == Some(200) {
            recovered_after = Some(back.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Outage {
        slowest_request: slowest,
        all_503,
        ready_503_after,
        recovered_after,
    }
}
