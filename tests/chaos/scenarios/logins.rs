//! A flood of concurrent wrong passwords from one address: argon2 runs no more often
//! than the budget allows, and the operator's token and JWT keep working.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tenantry_store::testing::TestDatabase;

use super::{Backend, Context};
use crate::report::Figures;
use tenantry_e2e::process::Server;
use tenantry_e2e::wire as http;

/// Wrong passwords per (account, address) before 429 (`LoginLimiter`).
const BUDGET: usize = 10;

pub fn run(context: &Context, backend: Backend, database: &TestDatabase) -> Figures {
    let mut figures = context.figures("logins", backend);
    let attempts = context.size(160, 48);
    let server = context.start(database, "logins", backend, &[]);
    let token = server.admin_token();
    let jwt = server.jwt();
    let (verified, refused, other) = flood(&server, attempts);
    figures.show("concurrent wrong passwords", attempts);
    figures.show(
        "answered 401 / 429 / other",
        format!("{verified} / {refused} / {other}"),
    );
    figures.check(
        "argon2 verifications (401s) vs budget",
        format!("{verified} of {BUDGET}"),
        &format!("<= {BUDGET}"),
        verified <= BUDGET && verified + refused == attempts,
    );
    let with_token = whoami(&server, &http::bearer(&token));
    figures.check(
        "the operator's API token after the flood",
        with_token,
        "200",
        with_token == 200,
    );
    let with_jwt = whoami(&server, &http::bearer(&jwt));
    figures.check(
        "the operator's JWT after the flood",
        with_jwt,
        "200",
        with_jwt == 200,
    );
    drop(server);
    figures
}

/// (401s, 429s, anything else) of `attempts` wrong passwords sent at once.
fn flood(server: &Server, attempts: usize) -> (usize, usize, usize) {
    let counts = Arc::new([
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    ]);
    let barrier = Arc::new(std::sync::Barrier::new(attempts));
    let threads: Vec<_> = (0..attempts)
        .map(|attempt| {
            let (address, counts, barrier) = (
                server.address.clone(),
                Arc::clone(&counts),
                Arc::clone(&barrier),
            );
            std::thread::spawn(move || {
                barrier.wait();
                let reply = http::send(
                    &address,
                    "GET",
                    "/api/v1/admin/tenants/",
                    &[http::basic("admin", &format!("wrong-password-{attempt}"))],
                    &[],
                    std::time::Duration::from_secs(120),
                );
                let slot = match reply.map(|reply| reply.status) {
                    Ok(401) => 0,
                    Ok(429) => 1,
                    other => {
                        eprintln!("a wrong password got {other:?}");
                        2
                    }
                };
                counts[slot].fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
    (
        counts[0].load(Ordering::SeqCst),
        counts[1].load(Ordering::SeqCst),
        counts[2].load(Ordering::SeqCst),
    )
}

fn whoami(server: &Server, credential: &(&'static str, String)) -> u16 {
    http::send(
        &server.address,
        "GET",
        "/api/v1/admin/tenants/",
        std::slice::from_ref(credential),
        &[],
        http::TIMEOUT,
    )
    .map_or(0, |reply| reply.status)
}
