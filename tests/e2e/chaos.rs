//! The reliability suite's light run (`tenantry-chaos --light`, see `make chaos` for the
//! full one) against the real `tenantry` binary, one test per scenario, on SQLite and
//! PostgreSQL. Correctness is judged (nothing acknowledged is lost, no email is lost or
//! sent twice, no orphaned database, the login budget holds, answers are 503 while the
//! database is away and the server recovers); timings and memory are printed, not judged.

use std::path::PathBuf;
use std::process::Command;

/// Runs one scenario of the light suite (on `backends`, both when empty) and fails with
/// its table and log when a judged figure missed its target.
fn light(scenario: &str) {
    light_on(scenario, &[]);
}

fn light_on(scenario: &str, backends: &[&str]) {
    let chaos = PathBuf::from(env!("CARGO_BIN_EXE_tenantry-chaos"));
    // `cargo test --workspace` builds the server beside it (its own tests need it).
    let server = chaos.with_file_name("tenantry");
    assert!(
        server.is_file(),
        "{} is missing: run the workspace's tests (make test) so that the server is built",
        server.display()
    );
    let mut command = Command::new(&chaos);
    command
        .args(["--light", "--scenario", scenario, "--server"])
        .arg(&server);
    for backend in backends {
        command.args(["--backend", backend]);
    }
    let output = command.output().expect("tenantry-chaos runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "{scenario}: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn kill_9_under_concurrent_writers_loses_nothing_and_strands_no_database() {
    light("kill");
}

// Split by backend: each waits about 35 s for the delivery worker's first retry, and
// apart they wait side by side.
#[test]
fn an_smtp_outage_across_restarts_loses_no_email_and_sends_none_twice_on_sqlite() {
    light_on("smtp", &["sqlite"]);
}

#[test]
#[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
fn an_smtp_outage_across_restarts_loses_no_email_and_sends_none_twice_on_postgres() {
    light_on("smtp", &["postgres"]);
}

#[test]
fn a_frozen_or_cut_postgres_is_answered_503_and_recovered_from() {
    light("database");
}

#[test]
fn a_flood_of_wrong_passwords_verifies_no_more_than_the_budget() {
    light("logins");
}

#[test]
fn concurrent_hashing_answers_every_registration() {
    light("memory");
}

#[test]
fn slow_connections_do_not_keep_a_normal_client_out() {
    light("flood");
}
