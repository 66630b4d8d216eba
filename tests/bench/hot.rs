//! The hot paths at 64 connections next to the bare route, and registrations next to the
//! argon2 rate, on one backend.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tenantry_e2e::process::{ADMIN_PASSWORD, Server};
use tenantry_e2e::wire;

use crate::ceilings::{Bare, argon2_rate};
use crate::load::{self, MakeRequest, Outcome, Plan};
use crate::report::Row;

/// Settings of one run.
pub struct Run {
    pub seconds: u64,
    pub workers: usize,
    /// Whether to measure registrations against the argon2 rate.
    pub registrations: bool,
}

pub fn measure(run: &Run, backend: &'static str, server: &Server) -> Vec<Row> {
    let mut rows = Vec::new();
    let bare = {
        let bare = Bare::start(run.workers);
        let address = bare.address.parse().expect("an address");
        load::run(
            address,
            &Plan::new(64, run.seconds),
            &fixed(load::request("GET", "/", &[], &[])),
        )
    };
    rows.push(Row::measured(
        backend,
        "bare actix-web GET / (ceiling)",
        &bare,
        None,
    ));
    let ceiling = bare.rate();
    let address = server.address.parse().expect("an address");
    let admin = server.admin_token();
    let jwt = server.jwt();
    server.create_tenant(&admin, "bench");
    let hot = |label: &str, path: &str, credential: Option<(&str, String)>| {
        let headers: Vec<(&str, String)> = credential.into_iter().collect();
        let outcome = load::run(
            address,
            &Plan::new(64, run.seconds),
            &fixed(load::request("GET", path, &headers, &[])),
        );
        Row::measured(
            backend,
            label,
            &outcome,
            Some((outcome.rate() / ceiling, "bare")),
        )
    };
    let resolve = "/api/v1/resolve?host=bench.local.openedx.io";
    rows.push(hot("GET /health", "/health", None));
    rows.push(hot(
        "GET /api/v1/resolve, API token",
        resolve,
        Some(wire::bearer(&admin)),
    ));
    rows.push(hot(
        "GET /api/v1/resolve, JWT",
        resolve,
        Some(wire::bearer(&jwt)),
    ));
    rows.push(hot(
        "GET /api/v1/resolve, Basic",
        resolve,
        Some(wire::basic("admin", ADMIN_PASSWORD)),
    ));
    rows.push(hot(
        "list first page (per_page=20), JWT",
        "/api/v1/admin/tenants/?per_page=20",
        Some(wire::bearer(&jwt)),
    ));
    if run.registrations {
        rows.extend(registrations(run, backend, server, &admin));
    }
    rows.push(Row::note(
        backend,
        "RSS after the 64-connection runs",
        format!("{} MiB", server.rss_kib() / 1024),
    ));
    rows
}

fn fixed(request: Vec<u8>) -> MakeRequest {
    Arc::new(move |_| request.clone())
}

/// Tahoe registrations with passwords from 16 connections, against the argon2 rate on as
/// many threads as the server hashes with; `/health` probed meanwhile.
fn registrations(run: &Run, backend: &'static str, server: &Server, admin: &str) -> Vec<Row> {
    let rate = argon2_rate(run.workers, Duration::from_secs(run.seconds.min(5)));
    // 60 registrations a minute per token (DRF's throttle): enough tokens for the burst.
    let tokens: Vec<String> = (0..64)
        .map(|_| server.registration_token(admin, "bench"))
        .collect();
    let tokens = Arc::new(tokens);
    let make: MakeRequest = Arc::new(move |n| {
        let body = format!(
            "name=Bench+User&username=u{backend}{n}&email=u{n}%40bench.example.com&password=bench-password-{n}"
        );
        load::request(
            "POST",
            "/tahoe/api/v1/registrations/",
            &[
                (
                    "Authorization",
                    format!("Token {}", tokens[(n % 64) as usize]),
                ),
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
            ],
            body.as_bytes(),
        )
    });
    let probing = Arc::new(AtomicBool::new(true));
    let probe = {
        let (address, probing) = (server.address.clone(), Arc::clone(&probing));
        std::thread::spawn(move || {
            let mut latencies = Vec::new();
            while probing.load(Ordering::Relaxed) {
                let sent = Instant::now();
                if wire::get(&address, "/health", Duration::from_secs(10)).is_ok() {
                    latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            latencies
        })
    };
    let address = server.address.parse().expect("an address");
    let outcome = load::run(address, &Plan::new(16, run.seconds), &make);
    probing.store(false, Ordering::Relaxed);
    let health = Outcome {
        latencies: probe.join().unwrap_or_default(),
        ..Outcome::default()
    };
    vec![
        Row::note(
            backend,
            &format!("argon2id hashes/s on {} threads (ceiling)", run.workers),
            format!("{rate:.1}"),
        ),
        Row::measured(
            backend,
            "Tahoe registrations, 16 connections, passwords",
            &outcome,
            Some((outcome.rate() / rate, "argon2")),
        ),
        Row::note(
            backend,
            "/health p99 during the registrations",
            format!("{:.1} ms", health.percentile_ms(99.0)),
        ),
    ]
}
