//! The app's delivery worker against the real store and the SMTP sink: emails put in the
//! outbox (as a registration would, in its own transaction) reach the sink, failures are
//! rescheduled, and nothing queued while the app is down is lost.

use std::time::Duration;

use tenantry_registration::{NewEmail, Outbox};
use tenantry_store::{Database, PoolOptions, StoreError, TenantStore};
use tenantry_tenant::{Clock, SystemClock};

use crate::smtp::SmtpSink;
use crate::{TestApp, TestDatabase};

crate::on_both_backends!(
    queued_emails_reach_the_smtp_server_once,
    an_unreachable_smtp_server_reschedules_the_email,
    emails_queued_while_the_app_is_down_are_sent_after_a_restart,
);

const WAIT: Duration = Duration::from_secs(10);

fn open(database: &TestDatabase) -> Database {
    Database::connect(&database.url(), PoolOptions::default()).unwrap()
}

fn enqueue(database: &TestDatabase, recipient: &str) -> i64 {
    let email = NewEmail {
        tenant_id: None,
        recipient: recipient.into(),
        subject: format!("Activate {recipient}"),
        body: format!("Open https://accounts.example.com/activate/secret-for-{recipient}\n"),
        created_at: SystemClock.now(),
    };
    let mut conn = open(database).conn().unwrap();
    conn.write_transaction::<_, StoreError, _>(|conn| {
        TenantStore::new(conn)
            .enqueue_email(&email)
            .map_err(StoreError::from)
    })
    .unwrap()
}

/// Ids of the emails not yet delivered, due or not.
fn undelivered(database: &TestDatabase) -> Vec<(i64, u32)> {
    let mut conn = open(database).conn().unwrap();
    let far_future = SystemClock.now() + Duration::from_secs(10 * 365 * 24 * 3600);
    TenantStore::new(&mut conn)
        .due_emails(far_future, 100)
        .unwrap()
        .into_iter()
        .map(|queued| (queued.id, queued.attempts))
        .collect()
}

async fn queued_emails_reach_the_smtp_server_once(database: TestDatabase) {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(database, |config| sink.configure(config)).await;

    enqueue(&app.database, "ada@example.com");
    enqueue(&app.database, "bob@example.com");
    let messages = sink.wait_for(2, WAIT);

    let recipients: Vec<_> = messages.iter().map(|m| m.to.join(",")).collect();
    assert_eq!(recipients, ["ada@example.com", "bob@example.com"]);
    assert_eq!(messages[0].from, "no-reply@localhost");
    assert_eq!(
        messages[0].subject().as_deref(),
        Some("Activate ada@example.com")
    );
    assert!(
        messages[0]
            .body
            .contains("https://accounts.example.com/activate/secret-for-ada@example.com"),
        "{}",
        messages[0].body
    );
    // Marked delivered: several more polls send nothing again.
    std::thread::sleep(crate::MAIL_POLL_INTERVAL * 5);
    assert_eq!(sink.messages().len(), 2);
    assert_eq!(undelivered(&app.database), []);
    app.stop().await;
}

async fn an_unreachable_smtp_server_reschedules_the_email(database: TestDatabase) {
    // A sink that is started and dropped leaves a port nothing listens on.
    let closed = SmtpSink::start().smtp_url();
    let app = TestApp::spawn_with(database, |config| {
        config.smtp_url = Some(closed);
    })
    .await;

    let id = enqueue(&app.database, "ada@example.com");
    let deadline = std::time::Instant::now() + WAIT;
    while undelivered(&app.database) != [(id, 1)] {
        assert!(std::time::Instant::now() < deadline, "no attempt recorded");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Not due again for 30 s: the worker leaves it alone meanwhile.
    std::thread::sleep(crate::MAIL_POLL_INTERVAL * 5);
    assert_eq!(undelivered(&app.database), [(id, 1)]);
    app.stop().await;
}

async fn emails_queued_while_the_app_is_down_are_sent_after_a_restart(database: TestDatabase) {
    let sink = SmtpSink::start();
    let first = TestApp::spawn_with(database, |config| sink.configure(config)).await;
    enqueue(&first.database, "ada@example.com");
    sink.wait_for(1, WAIT);
    let database = first.stop_and_keep_database().await;

    enqueue(&database, "bob@example.com");
    std::thread::sleep(crate::MAIL_POLL_INTERVAL * 3);
    assert_eq!(
        sink.messages().len(),
        1,
        "nothing runs while the app is down"
    );

    let second = TestApp::spawn_with(database, |config| sink.configure(config)).await;
    let messages = sink.wait_for(2, WAIT);
    assert_eq!(messages[1].to, ["bob@example.com"]);
    std::thread::sleep(crate::MAIL_POLL_INTERVAL * 3);
    assert_eq!(sink.messages().len(), 2, "ada's email is not sent twice");
    second.stop().await;
}
