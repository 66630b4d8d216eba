//! Background threads of the server (the outbox delivery, the eox-tenant sync): a
//! [`Worker`] runs a loop on its own thread until it is stopped, and a [`StopSignal`]
//! lets the loop pause without missing the stop.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

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

/// A named background thread. [`Worker::stop`] (or dropping it) signals it and waits
/// for it to finish what it has in hand.
#[derive(Debug)]
pub struct Worker {
    name: &'static str,
    stop: Arc<StopSignal>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the thread `name` running `work`, which should return soon after the
    /// signal it is given is stopped.
    pub fn start(
        name: &'static str,
        work: impl FnOnce(&StopSignal) + Send + 'static,
    ) -> std::io::Result<Worker> {
        let stop = Arc::new(StopSignal::default());
        let signal = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || work(&signal))?;
        Ok(Worker {
            name,
            stop,
            thread: Some(thread),
        })
    }

    /// Signals the thread and waits until it has stopped: call it off async worker
    /// threads.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        self.stop.stop();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            log::error!("the {} thread panicked", self.name);
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shut_down();
    }
}
