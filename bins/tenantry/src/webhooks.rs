//! The webhook delivery worker: a thread that posts due deliveries to their endpoints,
//! signed per the Standard Webhooks specification, and records each attempt.
//!
//! A delivery is marked delivered only after a 2xx answer; a crash in between sends it
//! again after the restart, with the same `webhook-id` (at least once). A failed attempt
//! is retried on the configured schedule (about a day, [`crate::config::WEBHOOK_RETRIES`]);
//! after the last one the delivery is given up and its endpoint is marked failing until a
//! delivery succeeds. Endpoints are resolved before each attempt and only the vetted
//! addresses are connected to ([`post`]).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tenantry_store::webhooks::{
    AttemptOutcome, DueDelivery, claim_delivery, due_deliveries, record_attempt,
};
use tenantry_store::{Database, StoreError};
use tenantry_tenant::Clock;
use tenantry_tenant::webhooks::WebhookUrl;

use crate::worker::{StopSignal, Worker};

mod post;

pub use post::{PostError, post};

/// Deliveries taken in one pass.
const BATCH_SIZE: u32 = 50;
/// How long a claimed delivery belongs to the worker sending it: over the HTTP timeouts.
const CLAIM_LEASE: Duration = Duration::from_secs(120);

/// The `webhook-signature` value for `body` sent as message `message_id` at `timestamp`
/// (Unix seconds): `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under each
/// secret (`whsec_` + base64 key), space-separated. A secret that is not `whsec_` +
/// base64 signs nothing.
pub fn signature(secrets: &[String], message_id: &str, timestamp: i64, body: &str) -> String {
    let signed = format!("{message_id}.{timestamp}.{body}");
    secrets
        .iter()
        .filter_map(|secret| {
            let key = base64::engine::general_purpose::STANDARD
                .decode(secret.strip_prefix("whsec_")?)
                .ok()?;
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
            mac.update(signed.as_bytes());
            let digest = mac.finalize().into_bytes();
            Some(format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Posts due webhook deliveries.
pub struct WebhookDelivery {
    database: Database,
    clock: Arc<dyn Clock>,
    allow_private: bool,
    retries: Vec<Duration>,
}

impl WebhookDelivery {
    /// Deliveries from `database`; `retries` are the waits after each failed attempt.
    pub fn new(
        database: Database,
        clock: Arc<dyn Clock>,
        allow_private: bool,
        retries: Vec<Duration>,
    ) -> Self {
        Self {
            database,
            clock,
            allow_private,
            retries,
        }
    }

    /// Sends up to [`BATCH_SIZE`] due deliveries, one after another; returns how many
    /// were delivered and how many failed.
    pub fn deliver_due(&self, stop: &StopSignal) -> Result<(usize, usize), StoreError> {
        let due = due_deliveries(&mut self.database.conn()?, self.clock.now(), BATCH_SIZE)?;
        let (mut delivered, mut failed) = (0, 0);
        // An endpoint that failed once in this pass gets no more attempts in it: a dead
        // endpoint costs the others one timeout a pass, not one per queued event.
        let mut failing_endpoints = std::collections::BTreeSet::new();
        for delivery in due {
            if stop.is_stopped() {
                break;
            }
            if failing_endpoints.contains(&delivery.webhook_id) {
                continue;
            }
            let lease_until = self.clock.now() + chrono_duration(CLAIM_LEASE);
            if !claim_delivery(&mut self.database.conn()?, &delivery, lease_until)? {
                continue;
            }
            let outcome = self.attempt(&delivery);
            if outcome.delivered {
                delivered += 1;
            } else {
                failed += 1;
                failing_endpoints.insert(delivery.webhook_id);
            }
            record_attempt(&mut self.database.conn()?, &delivery, lease_until, &outcome)?;
        }
        Ok((delivered, failed))
    }

    fn attempt(&self, delivery: &DueDelivery) -> AttemptOutcome {
        let now = self.clock.now();
        let attempts = delivery.attempts.saturating_add(1);
        let result = WebhookUrl::parse(&delivery.url)
            .map_err(|error| PostError::Refused(format!("the URL {error}")))
            .and_then(|url| {
                let timestamp = now.timestamp();
                let headers = [
                    ("webhook-id", delivery.message_id.clone()),
                    ("webhook-timestamp", timestamp.to_string()),
                    (
                        "webhook-signature",
                        signature(
                            &delivery.secrets,
                            &delivery.message_id,
                            timestamp,
                            &delivery.body,
                        ),
                    ),
                ];
                post(&url, &headers, &delivery.body, self.allow_private)
            });
        let (status_code, excerpt, delivered) = match result {
            Ok(answer) => {
                let delivered = (200..300).contains(&answer.status);
                let excerpt =
                    (!delivered).then(|| format!("HTTP {}: {}", answer.status, answer.excerpt));
                (Some(answer.status), excerpt, delivered)
            }
            Err(error) => (None, Some(error.to_string()), false),
        };
        if !delivered {
            log::debug!(
                "webhook delivery {} (attempt {attempts}) failed: {}",
                delivery.id,
                excerpt.as_deref().unwrap_or_default()
            );
        }
        let next_attempt_at = (!delivered)
            .then(|| self.retries.get(attempts as usize - 1))
            .flatten()
            .map(|wait| now + chrono_duration(*wait));
        AttemptOutcome {
            attempts,
            at: now,
            status_code,
            excerpt,
            delivered,
            next_attempt_at,
        }
    }

    fn run(self, poll_interval: Duration, stop: &StopSignal) {
        let mut failing = false;
        loop {
            match self.deliver_due(stop) {
                Ok(_) => failing = false,
                Err(error) if failing => log::debug!("webhook deliveries still fail: {error}"),
                Err(error) => {
                    log::warn!("cannot read the webhook deliveries: {error}");
                    failing = true;
                }
            }
            if stop.wait(poll_interval) {
                break;
            }
        }
    }
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

/// Starts the webhook worker thread, looking for due deliveries every `poll_interval`.
pub fn start_worker(delivery: WebhookDelivery, poll_interval: Duration) -> std::io::Result<Worker> {
    Worker::start("webhook-delivery", move |stop| {
        log::info!("webhook delivery started");
        delivery.run(poll_interval, stop);
        log::info!("webhook delivery stopped");
    })
}

#[cfg(test)]
mod tests;
