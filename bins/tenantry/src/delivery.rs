//! The outbox delivery worker: a dedicated thread that sends due emails and records each
//! outcome, so blocking SMTP and database I/O never run on an HTTP worker.
//!
//! An email is marked delivered only after the mailer reports that the server accepted
//! it; a crash in between sends it again after the restart (at least once, never lost).
//! A failure reschedules it with exponential backoff: [`retry_delay`].

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tenantry_registration::{Outbox, QueuedEmail};
use tenantry_tenant::{Clock, RepositoryError};

use crate::mailer::{MailError, Mailer};

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

/// Gives the worker access to the outbox for one operation at a time, so that no database
/// connection is held while an SMTP server is slow.
pub trait OutboxSource: Send + 'static {
    /// Runs `work` on the outbox. Each call stands alone: what `work` writes is committed
    /// when it returns.
    fn with_outbox<T>(
        &self,
        work: impl FnOnce(&mut dyn Outbox) -> Result<T, RepositoryError>,
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

/// An email that left the outbox while it was being sent (its tenant was purged) needs
/// no mark.
fn gone_meanwhile(error: RepositoryError) -> Result<(), RepositoryError> {
    match error {
        RepositoryError::NotFound => Ok(()),
        other => Err(other),
    }
}

/// Tells the worker to stop and wakes it from its pause.
#[derive(Debug, Default)]
pub struct StopSignal {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl StopSignal {
    /// Asks the worker to stop.
    pub fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.wake.notify_all();
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits up to `timeout`, returning early when a stop is asked for. Returns whether
    /// the worker should stop.
    pub fn wait(&self, timeout: Duration) -> bool {
        let stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        let (stopped, _) = self
            .wake
            .wait_timeout_while(stopped, timeout, |stopped| !*stopped)
            .unwrap_or_else(PoisonError::into_inner);
        *stopped
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
        match self
            .mailer
            .send(&email.recipient, &email.subject, &email.body)
        {
            Ok(()) => {
                let at = self.clock.now();
                self.source
                    .with_outbox(|outbox| outbox.mark_delivered(queued.id, at))
                    .or_else(gone_meanwhile)
                    .inspect_err(|error| {
                        log::warn!(
                            "email {} to {} was sent but could not be marked delivered \
                             (it will be sent again): {error}",
                            queued.id,
                            email.recipient
                        );
                    })?;
                log::info!(
                    "delivered email {} to {}: {:?}",
                    queued.id,
                    email.recipient,
                    email.subject
                );
                Ok(Some(true))
            }
            Err(error) => {
                let delay = retry_delay(queued.attempts, &error);
                let retry_at = self.clock.now()
                    + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
                let reason = short_reason(&error);
                self.source
                    .with_outbox(|outbox| outbox.mark_failed(queued.id, &reason, retry_at))
                    .or_else(gone_meanwhile)?;
                log::warn!(
                    "email {} to {} ({:?}) failed (attempt {}), next attempt at {retry_at}: \
                     {reason}",
                    queued.id,
                    email.recipient,
                    email.subject,
                    queued.attempts + 1
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
pub struct DeliveryWorker {
    stop: Arc<StopSignal>,
    thread: Option<JoinHandle<()>>,
}

impl DeliveryWorker {
    /// Starts a thread that runs `delivery` every `poll_interval` until stopped.
    pub fn start<S: OutboxSource>(
        delivery: Delivery<S>,
        poll_interval: Duration,
    ) -> std::io::Result<DeliveryWorker> {
        let stop = Arc::new(StopSignal::default());
        let signal = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("outbox-delivery".into())
            .spawn(move || {
                log::info!("outbox delivery started");
                delivery.run(poll_interval, &signal);
                log::info!("outbox delivery stopped");
            })?;
        Ok(DeliveryWorker {
            stop,
            thread: Some(thread),
        })
    }

    /// Signals the worker and waits until it has stopped. Blocks up to the time of one
    /// SMTP attempt: call it off async worker threads.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.stop.stop();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            log::error!("the outbox delivery thread panicked");
        }
    }
}

impl Drop for DeliveryWorker {
    fn drop(&mut self) {
        self.shut_down();
    }
}

#[cfg(test)]
mod tests;
