//! The outbox delivery worker: a dedicated thread that sends due emails and records each
//! outcome, so blocking SMTP and database I/O never run on an HTTP worker.
//!
//! An email is marked delivered only after the mailer reports that the server accepted
//! it; a crash in between sends it again after the restart (at least once, never lost).
//! A failure reschedules it with exponential backoff: [`retry_delay`]. A permanent
//! rejection that persists for [`MAX_PERMANENT_ATTEMPTS`] attempts gives the email up,
//! audited as `email.failed`. Every outcome is recorded by the worker's [`Claim`], so a
//! worker whose lease ran out changes nothing.

use std::sync::Arc;
use std::time::Duration;

use tenantry_registration::{Claim, Outbox, QueuedEmail};
use tenantry_tenant::{Action, Actor, AuditEvent, AuditSink, Clock, Outcome, RepositoryError};

use crate::mailer::{MailError, Mailer};
pub use crate::worker::StopSignal;
use crate::worker::Worker;

/// Emails taken from the outbox in one pass.
pub const BATCH_SIZE: u32 = 50;
/// The wait after the first failed attempt; it doubles with each further failure.
pub const FIRST_RETRY: Duration = Duration::from_secs(30);
/// The longest wait between two attempts.
pub const MAX_RETRY: Duration = Duration::from_secs(3600);
/// The longest failure reason recorded in the outbox.
pub const MAX_REASON_CHARS: usize = 200;
/// How long a claimed email belongs to the worker sending it: well over the SMTP timeout,
/// so no other node sends it meanwhile; if the worker dies, another retries afterwards.
pub const CLAIM_LEASE: Duration = Duration::from_secs(300);
/// Attempts after which an email whose latest attempt was refused permanently (an SMTP
/// 5xx, an invalid address) is given up instead of tried again.
pub const MAX_PERMANENT_ATTEMPTS: u32 = 5;

/// What the worker writes to: the outbox, and the audit log for emails given up.
pub trait DeliveryStore: Outbox + AuditSink {}

impl<T: Outbox + AuditSink + ?Sized> DeliveryStore for T {}

/// Gives the worker access to the outbox for one operation at a time, so that no database
/// connection is held while an SMTP server is slow.
pub trait OutboxSource: Send + 'static {
    /// Runs `work` on the outbox in one transaction: what `work` writes is committed when
    /// it returns `Ok`, and nothing of it when it fails.
    fn with_outbox<T>(
        &self,
        work: impl FnOnce(&mut dyn DeliveryStore) -> Result<T, RepositoryError>,
    ) -> Result<T, RepositoryError>;
}

/// How long to wait before the next attempt, after `attempts` earlier failed attempts and
/// this one: 30 s, 1 min, 2 min, … capped at 1 h. A permanent failure waits the longest
/// at once — an operator may fix the address or the server in between.
pub fn retry_delay(attempts: u32, error: &MailError) -> Duration {
    if error.is_permanent() {
        return MAX_RETRY;
    }
    let factor = 2u32.checked_pow(attempts).unwrap_or(u32::MAX);
    FIRST_RETRY.saturating_mul(factor).min(MAX_RETRY)
}

/// The failure reason recorded in the outbox: the error's text, without the body (no
/// [`MailError`] carries it), cut to [`MAX_REASON_CHARS`].
pub fn short_reason(error: &MailError) -> String {
    let text = error.to_string();
    match text.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Whether a failed attempt, the `attempts`-th of an email (counting this one), ends its
/// delivery: a permanent refusal, for the [`MAX_PERMANENT_ATTEMPTS`]-th time or later.
/// Transient failures are retried for as long as it takes.
pub fn gives_up(attempts: u32, error: &MailError) -> bool {
    error.is_permanent() && attempts >= MAX_PERMANENT_ATTEMPTS
}

/// The audit event of an email given up: who it was for and why, never its body.
fn given_up_event(
    queued: &QueuedEmail,
    reason: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> AuditEvent {
    AuditEvent {
        at,
        actor: Actor::System,
        action: Action::EmailFailed,
        tenant_id: queued.email.tenant_id,
        tenant_name: None,
        request_id: None,
        source: None,
        outcome: Outcome::Failure,
        details: serde_json::json!({
            "email_id": queued.id,
            "recipient": queued.email.recipient,
            "subject": queued.email.subject,
            "attempts": queued.attempts + 1,
            "error": reason,
        }),
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Emails taken from the outbox.
    pub taken: usize,
    /// Emails the server accepted (and that are marked delivered).
    pub delivered: usize,
    /// Emails that failed and were rescheduled.
    pub failed: usize,
}

/// Sends what is due in an outbox through a mailer, reading the time from a clock.
pub struct Delivery<S> {
    source: S,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
}

impl<S: OutboxSource> Delivery<S> {
    /// Delivery from `source` through `mailer`, timed by `clock`.
    pub fn new(source: S, mailer: Arc<dyn Mailer>, clock: Arc<dyn Clock>) -> Self {
        Self {
            source,
            mailer,
            clock,
        }
    }

    /// Takes up to [`BATCH_SIZE`] due emails and sends each, marking it delivered or
    /// rescheduling it. Stops early (leaving the rest due) when `stop` is signalled. A
    /// storage error ends the pass; what was recorded before it stays recorded.
    pub fn deliver_due(&self, stop: &StopSignal) -> Result<Pass, RepositoryError> {
        let now = self.clock.now();
        let due = self
            .source
            .with_outbox(|outbox| outbox.due_emails(now, BATCH_SIZE))?;
        let mut pass = Pass {
            taken: due.len(),
            ..Pass::default()
        };
        for queued in due {
            if stop.is_stopped() {
                break;
            }
            match self.deliver_one(&queued)? {
                Some(true) => pass.delivered += 1,
                Some(false) => pass.failed += 1,
                None => pass.taken -= 1,
            }
        }
        Ok(pass)
    }

    /// Claims one email, sends it and records the outcome; returns whether it was
    /// delivered, or `None` when another node's worker claimed it first.
    fn deliver_one(&self, queued: &QueuedEmail) -> Result<Option<bool>, RepositoryError> {
        let email = &queued.email;
        let lease_until = self.clock.now()
            + chrono::Duration::from_std(CLAIM_LEASE).unwrap_or(chrono::Duration::minutes(5));
        let claimed = self
            .source
            .with_outbox(|outbox| {
                outbox.claim_email(queued.id, queued.next_attempt_at, lease_until)
            })
            .or_else(|error| match error {
                RepositoryError::NotFound => Ok(false),
                other => Err(other),
            })?;
        if !claimed {
            log::debug!("email {} was taken by another worker", queued.id);
            return Ok(None);
        }
        let claim = Claim {
            id: queued.id,
            lease_until,
        };
        match self
            .mailer
            .send(&email.recipient, &email.subject, &email.body)
        {
            Ok(()) => {
                let at = self.clock.now();
                let marked = self
                    .source
                    .with_outbox(|outbox| outbox.mark_delivered(&claim, at))
                    .inspect_err(|error| {
                        log::warn!(
                            "email {} to {} was sent but could not be marked delivered \
                             (it will be sent again): {error}",
                            queued.id,
                            email.recipient
                        );
                    })?;
                if marked {
                    log::info!(
                        "delivered email {} to {}: {:?}",
                        queued.id,
                        email.recipient,
                        email.subject
                    );
                } else {
                    log::warn!(
                        "email {} to {} was sent, but its claim had lapsed (another worker \
                         holds it, or it is gone): not marked",
                        queued.id,
                        email.recipient
                    );
                }
                Ok(Some(true))
            }
            Err(error) => {
                let attempt = queued.attempts + 1;
                let reason = short_reason(&error);
                let now = self.clock.now();
                if gives_up(attempt, &error) {
                    let event = given_up_event(queued, &reason, now);
                    let given_up = self.source.with_outbox(|outbox| {
                        let given_up = outbox.give_up_email(&claim, &reason, now)?;
                        if given_up {
                            outbox.record(&event)?;
                        }
                        Ok(given_up)
                    })?;
                    if given_up {
                        log::error!(
                            "email {} to {} ({:?}) is given up after {attempt} attempts, the \
                             last refused permanently: {reason}",
                            queued.id,
                            email.recipient,
                            email.subject
                        );
                    }
                    return Ok(Some(false));
                }
                let delay = retry_delay(queued.attempts, &error);
                let retry_at =
                    now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
                self.source
                    .with_outbox(|outbox| outbox.mark_failed(&claim, &reason, retry_at))?;
                log::warn!(
                    "email {} to {} ({:?}) failed (attempt {attempt}), next attempt at \
                     {retry_at}: {reason}",
                    queued.id,
                    email.recipient,
                    email.subject
                );
                Ok(Some(false))
            }
        }
    }

    /// Runs passes until `stop` is signalled: after a pass that took a full batch the next
    /// starts at once, otherwise after `poll_interval`.
    pub fn run(&self, poll_interval: Duration, stop: &StopSignal) {
        let mut failing = false;
        while !stop.is_stopped() {
            let full_batch = match self.deliver_due(stop) {
                Ok(pass) => {
                    if failing {
                        log::info!("the outbox is reachable again");
                        failing = false;
                    }
                    pass.taken >= BATCH_SIZE as usize
                }
                Err(error) => {
                    if failing {
                        log::debug!("the outbox is still unreachable: {error}");
                    } else {
                        log::warn!("cannot deliver from the outbox: {error}");
                        failing = true;
                    }
                    false
                }
            };
            if !full_batch && stop.wait(poll_interval) {
                break;
            }
        }
    }
}

/// The delivery worker thread. [`DeliveryWorker::stop`] (or dropping it) signals it and
/// waits for it to finish the email in hand.
#[derive(Debug)]
pub struct DeliveryWorker(Worker);

impl DeliveryWorker {
    /// Starts a thread that runs `delivery` every `poll_interval` until stopped.
    pub fn start<S: OutboxSource>(
        delivery: Delivery<S>,
        poll_interval: Duration,
    ) -> std::io::Result<DeliveryWorker> {
        Worker::start("outbox-delivery", move |stop| {
            log::info!("outbox delivery started");
            delivery.run(poll_interval, stop);
            log::info!("outbox delivery stopped");
        })
        .map(DeliveryWorker)
    }

    /// Signals the worker and waits until it has stopped. Blocks up to the time of one
    /// SMTP attempt: call it off async worker threads.
    pub fn stop(self) {
        self.0.stop();
    }
}

#[cfg(test)]
mod tests;
