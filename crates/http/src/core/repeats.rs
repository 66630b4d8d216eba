//! Repeated log lines, thinned out. When the disk is full or the database is away, every
//! request fails the same way; one line per request buried everything else (6,327 lines in
//! 80 s). A line is written for the first of a kind, then at most one per window, telling
//! how many like it were left out meanwhile.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Kinds of line remembered at most; beyond that, stale ones are forgotten first and, if
/// none is stale, every line is written (a flood of distinct lines is not a repeat).
const MAX_KINDS: usize = 1024;

/// Which lines to write.
#[derive(Debug)]
pub struct Repeats {
    window: Duration,
    kinds: Mutex<HashMap<String, Kind>>,
}

#[derive(Debug)]
struct Kind {
    written_at: Instant,
    left_out: u64,
}

impl Repeats {
    /// At most one line of a kind per `window`.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            kinds: Mutex::new(HashMap::new()),
        }
    }

    /// Whether to write a line of kind `kind` at `now`: `Some(n)` with the `n` lines of
    /// that kind left out since the last one written, or `None` to leave it out.
    pub fn admit(&self, kind: &str, now: Instant) -> Option<u64> {
        let mut kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(seen) = kinds.get_mut(kind) {
            if now.saturating_duration_since(seen.written_at) < self.window {
                seen.left_out += 1;
                return None;
            }
            let left_out = std::mem::take(&mut seen.left_out);
            seen.written_at = now;
            return Some(left_out);
        }
        if kinds.len() >= MAX_KINDS {
            let window = self.window;
            kinds.retain(|_, seen| now.saturating_duration_since(seen.written_at) < window);
            if kinds.len() >= MAX_KINDS {
                return Some(0);
            }
        }
        kinds.insert(
            kind.to_owned(),
            Kind {
                written_at: now,
                left_out: 0,
            },
        );
        Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_window_with_the_count_left_out() {
        let repeats = Repeats::new(Duration::from_secs(10));
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        assert_eq!(repeats.admit("disk full", at(0)), Some(0));
        for second in 1..10 {
            assert_eq!(repeats.admit("disk full", at(second)), None);
        }
        assert_eq!(repeats.admit("another", at(5)), Some(0), "kinds are apart");
        assert_eq!(repeats.admit("disk full", at(10)), Some(9));
        assert_eq!(repeats.admit("disk full", at(11)), None);
        assert_eq!(repeats.admit("disk full", at(25)), Some(1));
    }

    #[test]
    fn too_many_kinds_are_all_written() {
        let repeats = Repeats::new(Duration::from_secs(10));
        let now = Instant::now();
        for kind in 0..MAX_KINDS {
            assert_eq!(repeats.admit(&kind.to_string(), now), Some(0));
        }
        assert_eq!(repeats.admit("one more", now), Some(0));
        assert_eq!(repeats.admit("one more", now), Some(0), "not remembered");
        let later = now + Duration::from_secs(11);
        assert_eq!(
            repeats.admit("one more", later),
            Some(0),
            "stale kinds were forgotten"
        );
        assert_eq!(repeats.admit("one more", later), None);
    }
}
