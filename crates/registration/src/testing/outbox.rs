//! The outbox of emails.

use chrono::{DateTime, Utc};
use tenantry_tenant::RepositoryError;

use super::{InMemorySession, StoredEmail};
use crate::users::{NewEmail, Outbox, QueuedEmail};

impl InMemorySession {
    fn email_mut(&mut self, id: i64) -> Result<&mut StoredEmail, RepositoryError> {
        self.emails
            .iter_mut()
            .find(|stored| stored.queued.id == id)
            .ok_or(RepositoryError::NotFound)
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
            .filter(|stored| stored.delivered_at.is_none() && stored.queued.next_attempt_at <= now)
            .map(|stored| stored.queued.clone())
            .collect();
        due.sort_by_key(|queued| (queued.email.created_at, queued.id));
        due.truncate(limit as usize);
        Ok(due)
    }

    fn mark_delivered(&mut self, id: i64, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        self.failures.check("mark_delivered")?;
        self.email_mut(id)?.delivered_at.get_or_insert(at);
        Ok(())
    }

    fn claim_email(
        &mut self,
        id: i64,
        due_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        self.failures.check("claim_email")?;
        let stored = self.email_mut(id)?;
        if stored.delivered_at.is_some() || stored.queued.next_attempt_at != due_at {
            return Ok(false);
        }
        stored.queued.next_attempt_at = lease_until;
        Ok(true)
    }

    fn mark_failed(
        &mut self,
        id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.failures.check("mark_failed")?;
        let stored = self.email_mut(id)?;
        stored.queued.attempts += 1;
        stored.queued.next_attempt_at = retry_at;
        stored.last_error = Some(error.to_owned());
        Ok(())
    }
}
