use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use tenantry_registration::NewEmail;
use tenantry_tenant::AuditEvent;

use super::*;

/// A clock the test moves.
#[derive(Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(
            Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap(),
        )))
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += chrono::Duration::from_std(by).unwrap();
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

#[derive(Debug, Clone)]
struct Row {
    queued: QueuedEmail,
    delivered_at: Option<DateTime<Utc>>,
    failed_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

impl Row {
    fn is_waiting(&self) -> bool {
        self.delivered_at.is_none() && self.failed_at.is_none()
    }
}

/// An in-memory outbox and audit log; `unavailable` makes every call fail, `fail_marks`
/// only the marks.
#[derive(Default)]
struct FakeOutbox {
    rows: BTreeMap<i64, Row>,
    events: Vec<AuditEvent>,
    unavailable: bool,
    fail_marks: bool,
}

impl FakeOutbox {
    /// The row `claim` holds, unless the claim lapsed; fails when marks fail.
    fn claimed(&mut self, claim: &Claim) -> Result<Option<&mut Row>, RepositoryError> {
        if self.unavailable || self.fail_marks {
            return Err(RepositoryError::Unavailable("down".into()));
        }
        Ok(self
            .rows
            .get_mut(&claim.id)
            .filter(|row| row.is_waiting() && row.queued.next_attempt_at == claim.lease_until))
    }
}

impl AuditSink for FakeOutbox {
    fn record(&mut self, event: &AuditEvent) -> Result<(), RepositoryError> {
        self.events.push(event.clone());
        Ok(())
    }
}

impl Outbox for FakeOutbox {
    fn enqueue_email(&mut self, email: &NewEmail) -> Result<i64, RepositoryError> {
        let id = self.rows.len() as i64 + 1;
        let queued = QueuedEmail {
            id,
            email: email.clone(),
            attempts: 0,
            next_attempt_at: email.created_at,
        };
        self.rows.insert(
            id,
            Row {
                queued,
                delivered_at: None,
                failed_at: None,
                last_error: None,
            },
        );
        Ok(id)
    }

    fn due_emails(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedEmail>, RepositoryError> {
        if self.unavailable {
            return Err(RepositoryError::Unavailable("down".into()));
        }
        Ok(self
            .rows
            .values()
            .filter(|row| row.is_waiting() && row.queued.next_attempt_at <= now)
            .take(limit as usize)
            .map(|row| row.queued.clone())
            .collect())
    }

    fn claim_email(
        &mut self,
        id: i64,
        due_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        if self.unavailable {
            return Err(RepositoryError::Unavailable("down".into()));
        }
        let row = self.rows.get_mut(&id).ok_or(RepositoryError::NotFound)?;
        if !row.is_waiting() || row.queued.next_attempt_at != due_at {
            return Ok(false);
        }
        row.queued.next_attempt_at = lease_until;
        Ok(true)
    }

    fn mark_delivered(
        &mut self,
        claim: &Claim,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let Some(row) = self.claimed(claim)? else {
            return Ok(false);
        };
        row.delivered_at = Some(at);
        row.queued.email.body.clear();
        Ok(true)
    }

    fn mark_failed(
        &mut self,
        claim: &Claim,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let Some(row) = self.claimed(claim)? else {
            return Ok(false);
        };
        row.queued.attempts += 1;
        row.queued.next_attempt_at = retry_at;
        row.last_error = Some(error.to_owned());
        Ok(true)
    }

    fn give_up_email(
        &mut self,
        claim: &Claim,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let Some(row) = self.claimed(claim)? else {
            return Ok(false);
        };
        row.queued.attempts += 1;
        row.failed_at = Some(at);
        row.last_error = Some(error.to_owned());
        row.queued.email.body.clear();
        Ok(true)
    }

    fn failed_email_count(&mut self) -> Result<u64, RepositoryError> {
        Ok(self
            .rows
            .values()
            .filter(|row| row.failed_at.is_some())
            .count() as u64)
    }
}

#[derive(Clone, Default)]
struct SharedOutbox(Arc<Mutex<FakeOutbox>>);

impl OutboxSource for SharedOutbox {
    fn with_outbox<T>(
        &self,
        work: impl FnOnce(&mut dyn DeliveryStore) -> Result<T, RepositoryError>,
    ) -> Result<T, RepositoryError> {
        work(&mut *self.0.lock().unwrap())
    }
}

impl SharedOutbox {
    fn enqueue(&self, clock: &TestClock, recipient: &str) -> i64 {
        let email = NewEmail {
            tenant_id: None,
            recipient: recipient.into(),
            subject: format!("Welcome {recipient}"),
            body: "Activate: https://accounts.example.com/activate/SECRET-TOKEN".into(),
            created_at: clock.now(),
        };
        self.0.lock().unwrap().enqueue_email(&email).unwrap()
    }

    fn row(&self, id: i64) -> Row {
        self.0.lock().unwrap().rows[&id].clone()
    }

    fn set(&self, change: impl FnOnce(&mut FakeOutbox)) {
        change(&mut self.0.lock().unwrap());
    }
}

/// Records what it sends. Recipients starting with `down` fail transiently, `bounce`
/// permanently. `stop_after_first` signals a stop during the first send.
/// Something that happens while the first email is being sent.
type DuringSend = Mutex<Option<Box<dyn FnOnce() + Send>>>;

#[derive(Default)]
struct FakeMailer {
    sent: Mutex<Vec<(String, String, String)>>,
    stop_after_first: Option<Arc<StopSignal>>,
    during_send: DuringSend,
}

impl FakeMailer {
    fn recipients(&self) -> Vec<String> {
        let sent = self.sent.lock().unwrap();
        sent.iter().map(|(to, _, _)| to.clone()).collect()
    }
}

impl Mailer for FakeMailer {
    fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        if let Some(stop) = &self.stop_after_first {
            stop.stop();
        }
        if let Some(happen) = self.during_send.lock().unwrap().take() {
            happen();
        }
        if to.starts_with("down") {
            return Err(MailError::Transient("connection refused".into()));
        }
        if to.starts_with("bounce") {
            return Err(MailError::Permanent("550 5.1.1 no such user".into()));
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push((to.into(), subject.into(), body.into()));
        Ok(())
    }
}

fn delivery(
    outbox: &SharedOutbox,
    mailer: &Arc<FakeMailer>,
    clock: &TestClock,
) -> Delivery<SharedOutbox> {
    Delivery::new(
        outbox.clone(),
        Arc::clone(mailer) as Arc<dyn Mailer>,
        Arc::new(clock.clone()),
    )
}

#[test]
fn due_emails_are_sent_and_marked_delivered() {
    let (outbox, clock, mailer) = (SharedOutbox::default(), TestClock::new(), Arc::default());
    let first = outbox.enqueue(&clock, "ada@example.com");
    let second = outbox.enqueue(&clock, "bob@example.com");
    let later = outbox.enqueue(&clock, "cy@example.com");
    outbox.set(|fake| {
        fake.rows.get_mut(&later).unwrap().queued.next_attempt_at =
            clock.now() + chrono::Duration::minutes(5);
    });
    let delivery = delivery(&outbox, &mailer, &clock);
    clock.advance(Duration::from_secs(1));

    let pass = delivery.deliver_due(&StopSignal::default()).unwrap();

    assert_eq!(
        pass,
        Pass {
            taken: 2,
            delivered: 2,
            failed: 0
        }
    );
    assert_eq!(mailer.recipients(), ["ada@example.com", "bob@example.com"]);
    let sent = mailer.sent.lock().unwrap().clone();
    assert_eq!(sent[0].1, "Welcome ada@example.com");
    assert!(sent[0].2.contains("SECRET-TOKEN"));
    assert_eq!(outbox.row(first).delivered_at, Some(clock.now()));
    assert_eq!(outbox.row(second).delivered_at, Some(clock.now()));
    assert_eq!(
        outbox.row(first).queued.email.body,
        "",
        "sent bodies are dropped"
    );
    assert_eq!(outbox.row(later).delivered_at, None);
    // Nothing is due any more: a second pass sends nothing again.
    let pass = delivery.deliver_due(&StopSignal::default()).unwrap();
    assert_eq!(pass, Pass::default());
    assert_eq!(mailer.recipients().len(), 2);
}

#[test]
fn the_backoff_doubles_from_30_seconds_up_to_an_hour() {
    let transient = MailError::Transient("timeout".into());
    let delays: Vec<u64> = (0..10)
        .map(|attempts| retry_delay(attempts, &transient).as_secs())
        .collect();
    assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    assert_eq!(retry_delay(u32::MAX, &transient), MAX_RETRY);
    let permanent = MailError::Permanent("550".into());
    assert_eq!(retry_delay(0, &permanent), MAX_RETRY);
}

#[test]
fn a_failed_email_is_rescheduled_with_backoff_until_it_goes_through() {
    let (outbox, clock, mailer) = (SharedOutbox::default(), TestClock::new(), Arc::default());
    let id = outbox.enqueue(&clock, "down@example.com");
    let delivery = delivery(&outbox, &mailer, &clock);

    let mut waits = Vec::new();
    for _ in 0..4 {
        let pass = delivery.deliver_due(&StopSignal::default()).unwrap();
        assert_eq!((pass.taken, pass.failed), (1, 1));
        let row = outbox.row(id);
        let wait = (row.queued.next_attempt_at - clock.now()).num_seconds();
        waits.push(wait);
        assert_eq!(row.last_error.as_deref(), Some("connection refused"));
        // Not due before its time...
        clock.advance(Duration::from_secs(wait as u64 - 1));
        let pass = delivery.deliver_due(&StopSignal::default()).unwrap();
        assert_eq!(pass.taken, 0);
        // ...and due at it.
        clock.advance(Duration::from_secs(1));
    }
    assert_eq!(waits, [30, 60, 120, 240]);
    assert_eq!(outbox.row(id).queued.attempts, 4);

    // The server recovers (here: the address now works).
    outbox.set(|fake| {
        fake.rows.get_mut(&id).unwrap().queued.email.recipient = "ada@example.com".into();
    });
    let pass = delivery.deliver_due(&StopSignal::default()).unwrap();
    assert_eq!(pass.delivered, 1);
    assert_eq!(outbox.row(id).delivered_at, Some(clock.now()));
}

#[test]
fn a_permanent_failure_waits_an_hour_and_other_emails_still_go() {
    let (outbox, clock, mailer) = (SharedOutbox::default(), TestClock::new(), Arc::default());
    let bounced = outbox.enqueue(&clock, "bounce@example.com");
    let fine = outbox.enqueue(&clock, "ada@example.com");
    let delivery = delivery(&outbox, &mailer, &clock);

    let pass = delivery.deliver_due(&StopSignal::default()).unwrap();

    assert_eq!(
        pass,
        Pass {
            taken: 2,
            delivered: 1,
            failed: 1
        }
    );
    let row = outbox.row(bounced);
    assert_eq!(
        row.queued.next_attempt_at,
        clock.now() + chrono::Duration::hours(1)
    );
    let reason = row.last_error.unwrap();
    assert_eq!(reason, "permanent: 550 5.1.1 no such user");
    assert!(outbox.row(fine).delivered_at.is_some());
}

#[test]
fn a_permanent_refusal_is_given_up_after_five_attempts_and_audited() {
    let (outbox, clock, mailer) = (SharedOutbox::default(), TestClock::new(), Arc::default());
    let bounced = outbox.enqueue(&clock, "bounce@example.com");
    outbox.set(|fake| {
        fake.rows.get_mut(&bounced).unwrap().queued.email.tenant_id =
            Some(tenantry_tenant::TenantId(7));
    });
    let delivery = delivery(&outbox, &mailer, &clock);

    for attempt in 1..MAX_PERMANENT_ATTEMPTS {
        let pass = delivery.deliver_due(&StopSignal::default()).unwrap();
        assert_eq!((pass.taken, pass.failed), (1, 1), "attempt {attempt}");
        assert_eq!(outbox.row(bounced).failed_at, None);
        clock.advance(MAX_RETRY);
    }
    let pass = delivery.deliver_due(&StopSignal::default()).unwrap();
    assert_eq!((pass.taken, pass.failed), (1, 1));

    let row = outbox.row(bounced);
    assert_eq!(row.failed_at, Some(clock.now()));
    assert_eq!(row.queued.attempts, MAX_PERMANENT_ATTEMPTS);
    assert_eq!(row.queued.email.body, "", "the body is dropped");
    clock.advance(MAX_RETRY * 10);
    assert_eq!(
        delivery.deliver_due(&StopSignal::default()).unwrap(),
        Pass::default(),
        "never tried again"
    );
    let events = outbox.0.lock().unwrap().events.clone();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.action, Action::EmailFailed);
    assert_eq!(event.action.as_str(), "email.failed");
    assert_eq!(
        (event.actor.clone(), event.outcome, event.tenant_id),
        (
            Actor::System,
            Outcome::Failure,
            Some(tenantry_tenant::TenantId(7))
        )
    );
    assert_eq!(
        event.details,
        serde_json::json!({
            "email_id": bounced,
            "recipient": "bounce@example.com",
            "subject": "Welcome bounce@example.com",
            "attempts": 5,
            "error": "permanent: 550 5.1.1 no such user",
        })
    );
    assert!(!event.details.to_string().contains("SECRET-TOKEN"));
}

#[test]
fn only_permanent_refusals_give_up() {
    let permanent = MailError::Permanent("550".into());
    let transient = MailError::Transient("timeout".into());
    assert!(!gives_up(MAX_PERMANENT_ATTEMPTS - 1, &permanent));
    assert!(gives_up(MAX_PERMANENT_ATTEMPTS, &permanent));
    assert!(gives_up(MAX_PERMANENT_ATTEMPTS + 3, &permanent));
    assert!(!gives_up(1000, &transient));
}

#[test]
fn a_worker_whose_claim_lapsed_marks_nothing() {
    let (outbox, clock) = (SharedOutbox::default(), TestClock::new());
    let id = outbox.enqueue(&clock, "ada@example.com");
    let taken_over = clock.now() + chrono::Duration::hours(2);
    let (during, other_clock) = (outbox.clone(), clock.clone());
    let mailer = Arc::new(FakeMailer {
        during_send: Mutex::new(Some(Box::new(move || {
            // The send outlasts the lease; another worker claims the email meanwhile.
            other_clock.advance(CLAIM_LEASE * 2);
            during.set(|fake| {
                fake.rows.get_mut(&id).unwrap().queued.next_attempt_at = taken_over;
            });
        }))),
        ..FakeMailer::default()
    });
    let delivery = delivery(&outbox, &mailer, &clock);

    let pass = delivery.deliver_due(&StopSignal::default()).unwrap();

    assert_eq!(pass.delivered, 1, "it was sent");
    let row = outbox.row(id);
    assert_eq!(
        row.delivered_at, None,
        "but the other worker's claim decides"
    );
    assert_eq!(row.queued.next_attempt_at, taken_over);
    assert!(row.queued.email.body.contains("SECRET-TOKEN"));
}

#[test]
fn the_recorded_reason_is_short() {
    let long = MailError::Transient("é".repeat(1000));
    let reason = short_reason(&long);
    assert_eq!(reason.chars().count(), MAX_REASON_CHARS + 1);
    assert!(reason.ends_with('…'));
}

#[test]
fn an_email_sent_but_not_marked_is_sent_again_after_its_lease() {
    let (outbox, clock, mailer) = (SharedOutbox::default(), TestClock::new(), Arc::default());
    let first = outbox.enqueue(&clock, "ada@example.com");
    outbox.enqueue(&clock, "bob@example.com");
    outbox.set(|fake| fake.fail_marks = true);
    let delivery = delivery(&outbox, &mailer, &clock);

    let error = delivery.deliver_due(&StopSignal::default()).unwrap_err();

    assert!(matches!(error, RepositoryError::Unavailable(_)), "{error}");
    assert_eq!(mailer.recipients(), ["ada@example.com"]);
    assert_eq!(outbox.row(first).delivered_at, None);
    outbox.set(|fake| fake.fail_marks = false);
    let pass = delivery.deliver_due(&StopSignal::default()).unwrap();
    assert_eq!(
        pass.delivered, 1,
        "the first email is still leased to the failed attempt"
    );
    clock.advance(CLAIM_LEASE + Duration::from_secs(1));
    let pass = delivery.deliver_due(&StopSignal::default()).unwrap();
    assert_eq!(pass.delivered, 1, "after the lease it is due again");
    assert_eq!(
        mailer.recipients(),
        ["ada@example.com", "bob@example.com", "ada@example.com"]
    );
}

#[test]
fn an_email_removed_while_it_was_sent_is_skipped() {
    let (outbox, clock, mailer) = (SharedOutbox::default(), TestClock::new(), Arc::default());
    let gone = outbox.enqueue(&clock, "ada@example.com");
    let kept = outbox.enqueue(&clock, "bob@example.com");
    let delivery = delivery(&outbox, &mailer, &clock);
    let due = outbox
        .with_outbox(|outbox| outbox.due_emails(clock.now(), 10))
        .unwrap();
    outbox.set(|fake| {
        fake.rows.remove(&gone);
    });

    assert_eq!(
        delivery.deliver_one(&due[0]).unwrap(),
        None,
        "gone: not sent"
    );
    assert_eq!(delivery.deliver_one(&due[1]).unwrap(), Some(true));
    assert!(outbox.row(kept).delivered_at.is_some());
    assert_eq!(mailer.recipients(), ["bob@example.com"]);
}

#[test]
fn two_workers_on_one_outbox_send_each_email_once() {
    let (outbox, clock, mailer) = (SharedOutbox::default(), TestClock::new(), Arc::default());
    outbox.enqueue(&clock, "ada@example.com");
    outbox.enqueue(&clock, "bob@example.com");
    let first = delivery(&outbox, &mailer, &clock);
    let second = delivery(&outbox, &mailer, &clock);
    let due = outbox
        .with_outbox(|outbox| outbox.due_emails(clock.now(), 10))
        .unwrap();
    // Both workers saw the same due emails; the first claims and sends them.
    assert_eq!(first.deliver_one(&due[0]).unwrap(), Some(true));
    assert_eq!(second.deliver_one(&due[0]).unwrap(), None);
    assert_eq!(second.deliver_one(&due[1]).unwrap(), Some(true));
    assert_eq!(first.deliver_one(&due[1]).unwrap(), None);
    assert_eq!(mailer.recipients(), ["ada@example.com", "bob@example.com"]);
}

#[test]
fn a_stop_during_a_batch_leaves_the_rest_due() {
    let (outbox, clock) = (SharedOutbox::default(), TestClock::new());
    let stop = Arc::new(StopSignal::default());
    let mailer = Arc::new(FakeMailer {
        stop_after_first: Some(Arc::clone(&stop)),
        ..FakeMailer::default()
    });
    let first = outbox.enqueue(&clock, "ada@example.com");
    let second = outbox.enqueue(&clock, "bob@example.com");
    let delivery = delivery(&outbox, &mailer, &clock);

    let pass = delivery.deliver_due(&stop).unwrap();

    assert_eq!(
        pass,
        Pass {
            taken: 2,
            delivered: 1,
            failed: 0
        }
    );
    assert!(outbox.row(first).delivered_at.is_some());
    let untouched = outbox.row(second);
    assert_eq!(
        (untouched.delivered_at, untouched.queued.attempts),
        (None, 0)
    );
}

fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_worker_delivers_what_is_queued_later_and_stops_promptly() {
    let (outbox, clock, mailer) = (SharedOutbox::default(), TestClock::new(), Arc::default());
    outbox.enqueue(&clock, "ada@example.com");
    let worker = DeliveryWorker::start(
        delivery(&outbox, &mailer, &clock),
        Duration::from_millis(100),
    )
    .unwrap();
    wait_until("the first email is sent", || mailer.recipients().len() == 1);
    let id = outbox.enqueue(&clock, "bob@example.com");
    wait_until("the second email is sent", || {
        outbox.row(id).delivered_at.is_some()
    });

    // A long poll interval must not delay the stop.
    drop(worker);
    let worker = DeliveryWorker::start(
        delivery(&outbox, &mailer, &clock),
        Duration::from_secs(3600),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    worker.stop();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let after_stop = outbox.enqueue(&clock, "cy@example.com");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(outbox.row(after_stop).delivered_at, None);
    assert_eq!(mailer.recipients(), ["ada@example.com", "bob@example.com"]);
}

#[test]
fn the_worker_outlives_an_unreachable_outbox() {
    let (outbox, clock, mailer) = (SharedOutbox::default(), TestClock::new(), Arc::default());
    outbox.set(|fake| fake.unavailable = true);
    let id = outbox.enqueue(&clock, "ada@example.com");
    let worker = DeliveryWorker::start(
        delivery(&outbox, &mailer, &clock),
        Duration::from_millis(20),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(mailer.recipients().is_empty());
    outbox.set(|fake| fake.unavailable = false);
    wait_until("the email is sent", || {
        outbox.row(id).delivered_at.is_some()
    });
    worker.stop();
}

#[test]
fn a_full_batch_is_followed_at_once_by_the_next() {
    let (outbox, clock, mailer) = (SharedOutbox::default(), TestClock::new(), Arc::default());
    let count = BATCH_SIZE as usize * 2 + 1;
    for n in 0..count {
        outbox.enqueue(&clock, &format!("user{n}@example.com"));
    }
    // An hour's poll interval: only the full-batch rule lets the later batches go now.
    let worker = DeliveryWorker::start(
        delivery(&outbox, &mailer, &clock),
        Duration::from_secs(3600),
    )
    .unwrap();
    wait_until("every email is sent", || mailer.recipients().len() == count);
    worker.stop();
}
