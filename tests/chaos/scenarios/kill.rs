//! `kill -9` (and now and then SIGTERM) under concurrent writers: every acknowledged
//! create is stored and audited, no tenant database is left without its tenant, and a
//! hosting create interrupted by the crash succeeds when retried.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tenantry_store::testing::TestDatabase;

use super::{Backend, Context, drop_tenant_databases, strings};
use crate::report::Figures;
use tenantry_e2e::process::Server;
use tenantry_e2e::wire as http;

#[derive(Default)]
struct Outcomes {
    acknowledged: Vec<String>,
    refused: usize,
    /// Hosting creates whose connection died with the server (service ids).
    interrupted: Vec<String>,
}

pub fn run(context: &Context, backend: Backend, database: &TestDatabase) -> Figures {
    let mut figures = context.figures("kill", backend);
    let rounds = context.size(20, 3);
    let writers = context.size(20, 6);
    let prefix = format!("k{}", context.tag);
    let mut server = context.start(database, "kill", backend, &[]);
    let token = server.admin_token();
    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    let counter = Arc::new(AtomicUsize::new(0));
    let mut graceful = 0;
    for round in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..writers)
            .map(|writer| {
                let (address, token, prefix) =
                    (server.address.clone(), token.clone(), prefix.clone());
                let (outcomes, counter, stop) = (
                    Arc::clone(&outcomes),
                    Arc::clone(&counter),
                    Arc::clone(&stop),
                );
                std::thread::spawn(move || {
                    write_until_stopped(
                        &address, &token, &prefix, writer, &counter, &stop, &outcomes,
                    );
                })
            })
            .collect();
        // 0.5–2 s of load (1–1.5 s in a light run), different each round.
        let millis = if context.light {
            1000 + 250 * (round % 3)
        } else {
            500 + (round * 337) % 1500
        };
        std::thread::sleep(Duration::from_millis(millis as u64));
        if round % 5 == 4 {
            server.terminate();
            graceful += 1;
        } else {
            server.kill();
        }
        stop.store(true, Ordering::SeqCst);
        for thread in threads {
            let _ = thread.join();
        }
        server.restart();
    }
    let outcomes = std::mem::take(&mut *outcomes.lock().expect("no writer panicked"));
    let stored: BTreeSet<String> = strings(
        database,
        &format!("SELECT name AS value FROM tenants WHERE name LIKE '{prefix}%'"),
    )
    .into_iter()
    .collect();
    let audited: BTreeSet<String> = strings(
        database,
        &format!(
            "SELECT DISTINCT tenant_name AS value FROM audit_events WHERE action = 'tenant.create' \
             AND outcome = 'success' AND tenant_name LIKE '{prefix}%'"
        ),
    )
    .into_iter()
    .collect();
    let lost = outcomes
        .acknowledged
        .iter()
        .filter(|name| !stored.contains(*name))
        .count();
    let unaudited = stored.difference(&audited).count();
    let intents = strings(
        database,
        "SELECT database AS value FROM provisioning_intents",
    )
    .len();
    let (orphan_databases, orphan_roles) = orphans(database, backend, &prefix);
    let failed_retries = retry(&server, &token, &outcomes.interrupted, &stored);

    figures.show(
        "kills (SIGKILL) / graceful stops (SIGTERM)",
        format!("{} / {graceful}", rounds - graceful),
    );
    figures.show("concurrent writers", writers);
    figures.show(
        "creates acknowledged / refused",
        format!("{} / {}", outcomes.acknowledged.len(), outcomes.refused),
    );
    figures.show("tenants stored", stored.len());
    figures.check(
        "acknowledged creates lost",
        lost,
        "0",
        lost == 0 && !outcomes.acknowledged.is_empty(),
    );
    figures.check(
        "stored tenants without their audit event",
        unaudited,
        "0",
        unaudited == 0,
    );
    figures.check(
        "provisioning intents left after restart",
        intents,
        "0",
        intents == 0,
    );
    figures.check(
        "orphaned tenant databases",
        orphan_databases,
        "0",
        orphan_databases == 0,
    );
    if backend == Backend::Postgres {
        figures.check(
            "orphaned tenant roles",
            orphan_roles,
            "0",
            orphan_roles == 0,
        );
    }
    figures.check(
        &format!(
            "interrupted hosting creates retried ({}) that failed",
            outcomes.interrupted.len()
        ),
        failed_retries,
        "0",
        failed_retries == 0,
    );
    server.terminate();
    drop_tenant_databases(database, &context.tag);
    figures
}

fn write_until_stopped(
    address: &str,
    token: &str,
    prefix: &str,
    writer: usize,
    counter: &AtomicUsize,
    stop: &AtomicBool,
    outcomes: &Mutex<Outcomes>,
) {
    while !stop.load(Ordering::SeqCst) {
        let key = format!("{prefix}{}", counter.fetch_add(1, Ordering::SeqCst));
        let hosting = writer % 2 == 1;
        let answer = if hosting {
            create_hosted(address, token, &key)
        } else {
            create(address, token, &key)
        };
        let mut outcomes = outcomes.lock().expect("no writer panicked");
        match answer {
            Ok(reply) if reply.ok() => outcomes.acknowledged.push(key),
            Ok(_) => outcomes.refused += 1,
            Err(_) => {
                if hosting {
                    outcomes.interrupted.push(key);
                }
                return;
            }
        }
    }
}

fn create(address: &str, token: &str, name: &str) -> std::io::Result<http::Reply> {
    let body = serde_json::json!({"name": name, "display_name": "Chaos"}).to_string();
    http::send(
        address,
        "POST",
        "/api/v1/admin/tenants/",
        &[
            http::bearer(token),
            ("Content-Type", "application/json".to_owned()),
        ],
        body.as_bytes(),
        http::TIMEOUT,
    )
}

fn create_hosted(address: &str, token: &str, service_id: &str) -> std::io::Result<http::Reply> {
    let domain = format!("{service_id}.example.com");
    let body = http::form(&[
        ("serviceId", service_id),
        ("domain", &domain),
        ("email", "owner@example.com"),
    ]);
    http::send(
        address,
        "POST",
        "/api/create-tenant",
        &[
            http::bearer(token),
            (
                "Content-Type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ],
        &body,
        http::TIMEOUT,
    )
}

/// Tenant databases (and PostgreSQL roles) of this run that no tenant owns.
fn orphans(database: &TestDatabase, backend: Backend, prefix: &str) -> (usize, usize) {
    let owned = strings(database, "SELECT database AS value FROM tenant_databases");
    match backend {
        Backend::Sqlite => {
            let url = database.url_string();
            let control = Path::new(url.trim_start_matches("sqlite://"));
            let files = sqlite_files(
                control.parent().expect("the database has a directory"),
                prefix,
            );
            let orphaned = files
                .iter()
                .filter(|stem| {
                    !owned
                        .iter()
                        .any(|database| database.contains(stem.as_str()))
                })
                .count();
            (orphaned, 0)
        }
        Backend::Postgres => {
            let databases = strings(
                database,
                &format!(
                    "SELECT datname::text AS value FROM pg_database WHERE datname LIKE '%{prefix}%'"
                ),
            );
            let roles = strings(
                database,
                &format!(
                    "SELECT rolname::text AS value FROM pg_roles WHERE rolname LIKE '%{prefix}%'"
                ),
            );
            let owned_roles = strings(
                database,
                "SELECT role AS value FROM tenant_databases WHERE role IS NOT NULL",
            );
            (
                databases
                    .iter()
                    .filter(|name| !owned.contains(name))
                    .count(),
                roles
                    .iter()
                    .filter(|name| !owned_roles.contains(name))
                    .count(),
            )
        }
    }
}

/// The stems of `*.db` files under `directory` (any depth) whose name contains `prefix`.
fn sqlite_files(directory: &Path, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(directory) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(sqlite_files(&path, prefix));
        } else if path.extension().is_some_and(|extension| extension == "db")
            && let Some(stem) = path.file_stem().and_then(|stem| stem.to_str())
            && stem.contains(prefix)
        {
            found.push(stem.to_owned());
        }
    }
    found
}

/// Retries each interrupted hosting create; counts those that neither succeed nor find
/// their tenant already stored (the create committed before the crash).
fn retry(server: &Server, token: &str, interrupted: &[String], stored: &BTreeSet<String>) -> usize {
    interrupted
        .iter()
        .filter(
            |service_id| match create_hosted(&server.address, token, service_id) {
                Ok(reply) if reply.ok() => false,
                Ok(reply) => {
                    let committed = stored.contains(*service_id) && reply.status == 409;
                    if !committed {
                        eprintln!("retry of {service_id}: {} {}", reply.status, reply.body);
                    }
                    !committed
                }
                Err(error) => {
                    eprintln!("retry of {service_id}: {error}");
                    true
                }
            },
        )
        .count()
}
