//! The outbox of emails.

use chrono::{DateTime, Utc};
use tenantry_tenant::RepositoryError;

use super::{InMemorySession, StoredEmail};
use crate::users::{Claim, NewEmail, Outbox, QueuedEmail};

impl StoredEmail {
    /// Neither delivered nor given up.
    pub(super) fn is_waiting(&self) -> bool {
        self.delivered_at.is_none() && self.failed_at.is_none()
    }
}

impl InMemorySession {
    fn email_mut(&mut self, id: i64) -> Result<&mut StoredEmail, RepositoryError> {
        self.emails
            .iter_mut()
            .find(|stored| stored.queued.id == id)
            .ok_or(RepositoryError::NotFound)
    }

    /// The email `claim` holds, while it is waiting and the claim is still its own.
    fn claimed(&mut self, claim: &Claim) -> Option<&mut StoredEmail> {
        self.emails.iter_mut().find(|stored| {
            stored.queued.id == claim.id
                && stored.is_waiting()
                && stored.queued.next_attempt_at == claim.lease_until
        })
    }
}

impl Outbox for InMemorySession {
    fn enqueue_email(&mut self, email: &NewEmail) -> Result<i64, RepositoryError> {
        self.failures.check("enqueue_email")?;
        self.last_email_id += 1;
        self.emails.push(StoredEmail {
            queued: QueuedEmail {
                id: self.last_email_id,
                email: email.clone(),
                attempts: 0,
                next_attempt_at: email.created_at,
            },
            delivered_at: None,
            failed_at: None,
            last_error: None,
        });
        Ok(self.last_email_id)
    }

    fn due_emails(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedEmail>, RepositoryError> {
        self.failures.check("due_emails")?;
        let mut due: Vec<QueuedEmail> = self
            .emails
            .iter()
            .filter(|stored| stored.is_waiting() && stored.queued.next_attempt_at <= now)
            .map(|stored| stored.queued.clone())
            .collect();
        due.sort_by_key(|queued| (queued.email.created_at, queued.id));
        due.truncate(limit as usize);
        Ok(due)
    }

    fn claim_email(
        &mut self,
        id: i64,
        due_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        self.failures.check("claim_email")?;
        let stored = self.email_mut(id)?;
        if !stored.is_waiting() || stored.queued.next_attempt_at != due_at {
            return Ok(false);
        }
        stored.queued.next_attempt_at = lease_until;
        Ok(true)
    }

    fn mark_delivered(
        &mut self,
        claim: &Claim,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        self.failures.check("mark_delivered")?;
        let Some(stored) = self.claimed(claim) else {
            return Ok(false);
        };
        stored.delivered_at = Some(at);
        stored.queued.email.body.clear();
        Ok(true)
    }

    fn mark_failed(
        &mut self,
        claim: &Claim,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        self.failures.check("mark_failed")?;
        let Some(stored) = self.claimed(claim) else {
            return Ok(false);
        };
        stored.queued.attempts += 1;
        stored.queued.next_attempt_at = retry_at;
        stored.last_error = Some(error.to_owned());
        Ok(true)
    }

    fn give_up_email(
        &mut self,
        claim: &Claim,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        self.failures.check("give_up_email")?;
        let Some(stored) = self.claimed(claim) else {
            return Ok(false);
        };
        stored.queued.attempts += 1;
        stored.failed_at = Some(at);
        stored.last_error = Some(error.to_owned());
        stored.queued.email.body.clear();
        Ok(true)
    }

    fn failed_email_count(&mut self) -> Result<u64, RepositoryError> {
        self.failures.check("failed_email_count")?;
        Ok(self
            .emails
            .iter()
            .filter(|stored| stored.failed_at.is_some())
            .count() as u64)
    }
}
