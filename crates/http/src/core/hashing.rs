//! Password hashing on a fixed set of threads with a bounded queue.
//!
//! argon2id takes 19 MiB and tens of milliseconds per hash or verification. Run on actix's
//! blocking pool (hundreds of threads), a burst of concurrent registrations or logins
//! allocated one 19 MiB block per request at once (1.7 GB for 64 registrations). Here at
//! most `threads` computations run at any moment, at most `queue` more wait, and anything
//! beyond that is refused at once with [`ApiError::Busy`] (503 with `Retry-After`).

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use tenantry_registration::{Argon2idHasher, HashMemory, PasswordHash};
use tokio::sync::oneshot;

use crate::core::error::ApiError;

/// How long a client refused for a full queue is asked to wait.
pub const BUSY_RETRY_AFTER: Duration = Duration::from_secs(1);

type Job = Box<dyn FnOnce(&Argon2idHasher, &mut HashMemory) + Send>;

/// A fixed set of hashing threads fed by a bounded queue. Cloning shares the threads;
/// they end when the last clone is dropped.
#[derive(Clone)]
pub struct HashPool {
    jobs: SyncSender<Job>,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool").finish_non_exhaustive()
    }
}

impl HashPool {
    /// Starts `threads` hashing threads (at least one) behind a queue of `queue` jobs.
    pub fn start(threads: usize, queue: usize) -> std::io::Result<Self> {
        let (jobs, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || serve(&receiver))?;
        }
        Ok(Self { jobs })
    }

    /// Runs `work` on a hashing thread; [`ApiError::Busy`] when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2idHasher, &mut HashMemory) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |hasher, memory| {
            // The requester may have gone (client disconnected); nothing to tell then.
            let _ = answer.send(work(hasher, memory));
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(ApiError::Busy(BUSY_RETRY_AFTER)),
            Err(TrySendError::Disconnected(_)) => {
                return Err(ApiError::Internal("the hashing threads are gone".into()));
            }
        }
        answered
            .await
            .map_err(|_| ApiError::Internal("a hashing thread dropped its job".into()))
    }

    /// Hashes `password` with a fresh salt.
    pub async fn hash(&self, password: SecretString) -> Result<PasswordHash, ApiError> {
        self.run(move |hasher, memory| hasher.hash_in(memory, password.expose_secret()))
            .await?
            .map_err(|error| ApiError::Internal(format!("hashing failed: {error}")))
    }

    /// Whether `candidate` matches `hash`; with no hash, spends as long as a verification
    /// would and answers `false` (so unknown accounts take as long as wrong passwords).
    pub async fn verify(
        &self,
        hash: Option<PasswordHash>,
        candidate: SecretString,
    ) -> Result<bool, ApiError> {
        self.run(move |hasher, memory| match &hash {
            Some(hash) => hasher.verify_in(memory, hash, candidate.expose_secret()),
            None => hasher.verify_dummy_in(memory, candidate.expose_secret()),
        })
        .await
    }
}

/// A hashing thread: takes jobs until every sender is gone. It keeps one argon2 working
/// memory for all of them, so that memory stays at threads × 19 MiB however many
/// passwords go through (freshly allocated each time, the blocks ended up retained by the
/// allocator's per-thread arenas: 365 MiB after 192 registrations).
fn serve(receiver: &Mutex<Receiver<Job>>) {
    let hasher = Argon2idHasher::new();
    let mut memory = HashMemory::new();
    loop {
        let job = {
            let receiver = receiver.lock().unwrap_or_else(PoisonError::into_inner);
            receiver.recv()
        };
        match job {
            Ok(job) => job(&hasher, &mut memory),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn hashes_verify_and_a_full_queue_is_refused() {
        let pool = HashPool::start(1, 1).unwrap();
        let hash = pool.hash("correct horse".into()).await.unwrap();
        assert!(
            pool.verify(Some(hash.clone()), "correct horse".into())
                .await
                .unwrap()
        );
        assert!(!pool.verify(Some(hash), "wrong".into()).await.unwrap());
        assert!(!pool.verify(None, "anything".into()).await.unwrap());

        // One thread, one queue slot: of many submitted at once, some are refused
        // at once and every accepted one completes.
        let attempts: Vec<_> = (0..8)
            .map(|_| {
                let pool = pool.clone();
                actix_web::rt::spawn(async move { pool.hash("password".into()).await })
            })
            .collect();
        let mut busy = 0;
        let mut done = 0;
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(_) => done += 1,
                Err(ApiError::Busy(wait)) => {
                    assert_eq!(wait, BUSY_RETRY_AFTER);
                    busy += 1;
                }
                Err(other) => panic!("{other:?}"),
            }
        }
        assert!(busy >= 1, "a full queue refuses ({done} done)");
        assert!(done >= 1, "accepted work completes ({busy} busy)");
    }
}
