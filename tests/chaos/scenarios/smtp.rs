//! The SMTP server goes away while users register, tenantry is killed and restarted
//! meanwhile, then the SMTP server comes back: every registration's email arrives, once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tenantry_e2e::smtp::SmtpSink;
use tenantry_store::testing::TestDatabase;

use super::{Backend, Context, register, strings};
use crate::report::Figures;
use tenantry_e2e::process::{Server, free_port};

pub fn run(context: &Context, backend: Backend, database: &TestDatabase) -> Figures {
    let mut figures = context.figures("smtp", backend);
    let per_phase = context.size(15, 4);
    let port = free_port();
    let sink = SmtpSink::start_on(port).expect("the SMTP port is free");
    let mut server = context.start(
        database,
        "smtp",
        backend,
        &[("TENANTRY_SMTP_URL", format!("smtp://127.0.0.1:{port}"))],
    );
    let tenant = format!("s{}", context.tag);
    let admin = server.admin_token();
    server.create_tenant(&admin, &tenant);
    let token = server.registration_token(&admin, &tenant);
    let mut registered = Vec::new();
    let mut register_phase = |server: &Server, phase: &str| {
        for index in 0..per_phase {
            let email = format!("{phase}{index}@{tenant}.example.com");
            match register(server, &token, &format!("{phase}{index}"), &email) {
                Ok(reply) if reply.ok() => registered.push(email),
                Ok(reply) => panic!("registering {email}: {} {}", reply.status, reply.body),
                Err(error) => panic!("registering {email}: {error}"),
            }
        }
    };

    register_phase(&server, "up");
    let first = sink.stop();
    let outage = Instant::now();
    register_phase(&server, "down");
    wait_first_attempts(database);
    server.kill();
    server.restart();
    register_phase(&server, "killed");
    wait_first_attempts(database);
    server.terminate();
    server.restart();
    let sink = SmtpSink::start_on(port).expect("the SMTP port is free again");
    let outage = outage.elapsed();

    let expected = registered.len();
    let deadline = Instant::now() + Duration::from_secs(context.size(300, 150) as u64);
    while first.len() + sink.messages().len() < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    // Anything sent twice would arrive right behind.
    std::thread::sleep(Duration::from_secs(2));
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    for message in first.iter().chain(sink.messages().iter()) {
        for recipient in &message.to {
            *received.entry(recipient.clone()).or_default() += 1;
        }
    }
    let lost = registered
        .iter()
        .filter(|email| !received.contains_key(*email))
        .count();
    let duplicates: usize = received.values().map(|count| count.saturating_sub(1)).sum();
    figures.show("registrations acknowledged", expected);
    figures.show(
        "SMTP outage (s), restarts during it",
        format!("{:.1}, 1 SIGKILL + 1 SIGTERM", outage.as_secs_f64()),
    );
    figures.show("emails received", received.values().sum::<usize>());
    figures.check(
        "registrations whose email never arrived",
        lost,
        "0",
        lost == 0 && expected == 3 * per_phase,
    );
    figures.check(
        "emails sent more than once",
        duplicates,
        "0",
        duplicates == 0,
    );
    server.terminate();
    figures
}

/// Waits (up to 20 s) until the delivery worker has tried every queued email once, so
/// that a kill lands between attempts (a kill during an attempt holds the email for the
/// 5-minute claim lease, which this scenario does not measure).
fn wait_first_attempts(database: &TestDatabase) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let sql = "SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox \
               WHERE attempts = 0 AND delivered_at IS NULL AND failed_at IS NULL";
    while Instant::now() < deadline {
        if strings(database, sql).first().map(String::as_str) == Some("0") {
            std::thread::sleep(Duration::from_millis(200));
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
