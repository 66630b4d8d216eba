//! Prometheus metrics for the HTTP layer.
//!
//! - [`Metrics`]: the registry of request counters and latency histograms, shared by every
//!   worker (register it once as `web::Data<Metrics>`, e.g. `web::Data::from(arc)`).
//! - [`record`]: the middleware that feeds it, `App::new().wrap(from_fn(metrics::record))`.
//! - [`Metrics::render`]: the text exposition format 0.0.4, served with [`CONTENT_TYPE`],
//!   plus any [`Gauge`]s read at scrape time (pool usage, tenant counts).
//!
//! Series are labelled with the *matched route pattern* (`/api/v1/admin/tenants/{tenant_id}`),
//! never the raw path, and methods outside the standard nine become `OTHER`, so the number
//! of series stays bounded whatever clients send.

pub mod endpoint;
mod exposition;
mod middleware;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actix_web::http::{Method, StatusCode};

pub use exposition::{CONTENT_TYPE, Gauge};
pub use middleware::record;

/// The `route` label of requests no route matched.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Upper bounds of the latency histogram buckets, in nanoseconds (compared exactly) and as
/// the `le` label; `+Inf` is implicit (it is the count).
const BUCKETS: [(u64, &str); 12] = [
    (1_000_000, "0.001"),
    (2_500_000, "0.0025"),
    (5_000_000, "0.005"),
    (10_000_000, "0.01"),
    (25_000_000, "0.025"),
    (50_000_000, "0.05"),
    (100_000_000, "0.1"),
    (250_000_000, "0.25"),
    (500_000_000, "0.5"),
    (1_000_000_000, "1"),
    (2_500_000_000, "2.5"),
    (5_000_000_000, "5"),
];

/// Request counters and latency histograms, keyed by method and route pattern.
///
/// One mutex guards one map; a request holds it for a hash lookup and a few additions.
/// Recording allocates nothing beyond the route pattern string actix builds, which is
/// moved into the map the first time a (method, route) pair is seen. (The middleware asks
/// actix for the pattern twice, before and after the call; see [`record`].)
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<HashMap<SeriesKey, Series>>,
}

/// (method label, route pattern).
type SeriesKey = (&'static str, Cow<'static, str>);

/// Everything recorded for one (method, route).
#[derive(Debug, Clone, Default)]
struct Series {
    /// Responses per status code, in first-seen order (a route sees few codes).
    statuses: Vec<(u16, u64)>,
    /// Observations per bucket of [`BUCKETS`], *not* cumulative; the render adds up.
    buckets: [u64; BUCKETS.len()],
    /// Total of all observations, in nanoseconds: integers add up exactly.
    sum_nanos: u64,
    count: u64,
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one response: `route` is the matched pattern (`None`: no route matched),
    /// `elapsed` the time the application took to produce the response.
    pub fn observe(
        &self,
        method: &Method,
        route: Option<String>,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let key = (
            method_label(method),
            route.map_or(Cow::Borrowed(UNMATCHED_ROUTE), Cow::Owned),
        );
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let bucket = BUCKETS.iter().position(|&(bound, _)| nanos <= bound);
        let status = status.as_u16();

        let mut series = self.lock();
        let series = series.entry(key).or_default();
        match series.statuses.iter_mut().find(|(code, _)| *code == status) {
            Some((_, count)) => *count += 1,
            None => series.statuses.push((status, 1)),
        }
        if let Some(bucket) = bucket {
            series.buckets[bucket] += 1;
        }
        series.sum_nanos = series.sum_nanos.saturating_add(nanos);
        series.count += 1;
    }

    /// A copy of every series, sorted by method, then route; statuses sorted by code.
    fn snapshot(&self) -> Vec<(SeriesKey, Series)> {
        let mut snapshot: Vec<_> = self
            .lock()
            .iter()
            .map(|(key, series)| (key.clone(), series.clone()))
            .collect();
        snapshot.sort_unstable_by(|(left, _), (right, _)| left.cmp(right));
        for (_, series) in &mut snapshot {
            series.statuses.sort_unstable();
        }
        snapshot
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<SeriesKey, Series>> {
        // Counters stay usable after a panic elsewhere; at worst one update is lost.
        self.series.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The method as a label: the nine standard methods by name, anything else `OTHER`
/// (clients may send any token as a method).
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(count: u64) -> Duration {
        Duration::from_millis(count)
    }

    #[test]
    fn observations_are_counted_per_method_route_and_status() {
        let metrics = Metrics::new();
        let route = || Some("/tenants/{tenant_id}".to_owned());
        metrics.observe(&Method::GET, route(), StatusCode::OK, millis(2));
        metrics.observe(&Method::GET, route(), StatusCode::OK, millis(3));
        metrics.observe(&Method::GET, route(), StatusCode::NOT_FOUND, millis(1));
        metrics.observe(&Method::GET, None, StatusCode::NOT_FOUND, millis(1));
        let snapshot = metrics.snapshot();
        assert_eq!(snapshot.len(), 2);
        let ((method, route), series) = &snapshot[0];
        assert_eq!((*method, route.as_ref()), ("GET", "/tenants/{tenant_id}"));
        assert_eq!(series.statuses, [(200, 2), (404, 1)]);
        assert_eq!(series.count, 3);
        assert_eq!(series.sum_nanos, 6_000_000);
        assert_eq!(snapshot[1].0.1, UNMATCHED_ROUTE);
    }

    #[test]
    fn an_observation_lands_in_the_first_bucket_that_holds_it() {
        let metrics = Metrics::new();
        for elapsed in [millis(3), millis(5), Duration::from_secs(6)] {
            metrics.observe(&Method::GET, None, StatusCode::OK, elapsed);
        }
        let (_, series) = &metrics.snapshot()[0];
        let mut expected = [0; BUCKETS.len()];
        expected[2] = 2; // le="0.005" holds 0.003 and exactly 0.005
        assert_eq!(series.buckets, expected, "6 s lands in +Inf only");
        assert_eq!(series.count, 3);
    }

    #[test]
    fn unusual_methods_share_one_label() {
        let custom = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&custom), "OTHER");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
    }

    #[test]
    fn buckets_are_ordered_and_labelled_with_their_bound() {
        for pair in BUCKETS.windows(2) {
            assert!(pair[0].0 < pair[1].0);
        }
        for (nanos, label) in BUCKETS {
            assert_eq!(label.parse::<f64>().unwrap(), nanos as f64 / 1e9);
        }
    }
}
