//! Prometheus metrics for the HTTP layer, kept in a per-instance `prometheus::Registry`
//! (no global registry, so test apps and several servers in one process never share
//! series).
//!
//! - [`Metrics`]: request counters and latency histograms, shared by every worker
//!   (register it once as `web::Data<Metrics>`, e.g. `web::Data::from(arc)`).
//! - [`record`]: the middleware that feeds it, `App::new().wrap(from_fn(metrics::record))`.
//! - [`Metrics::render`]: the text exposition format 0.0.4, served with [`CONTENT_TYPE`],
//!   plus any [`Gauge`]s read at scrape time (pool usage, tenant counts).
//!
//! Series are labelled with the *matched route pattern* (`/api/v1/admin/tenants/{tenant_id}`),
//! never the raw path, and methods outside the standard nine become `OTHER`, so the number
//! of series stays bounded whatever clients send.

pub mod endpoint;
mod middleware;

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

pub use middleware::record;

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `route` label of requests no route matched.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Upper bounds of the latency histogram buckets, in seconds; `+Inf` is implicit.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Request counters and latency histograms, keyed by method and route pattern.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
}

/// A value read at scrape time, e.g. connection pool usage or the number of tenants.
#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    /// The metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`; a gauge with an invalid or taken name
    /// is left out of the output and logged.
    pub name: &'static str,
    /// One line saying what it measures.
    pub help: &'static str,
    /// The value now.
    pub value: f64,
}

impl Gauge {
    /// A gauge without labels.
    pub fn new(name: &'static str, help: &'static str, value: f64) -> Self {
        Self { name, help, value }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        let requests = IntCounterVec::new(
            Opts::new(
                "tenantry_http_requests_total",
                "HTTP responses sent, by method, matched route pattern and status.",
            ),
            &["method", "route", "status"],
        );
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "tenantry_http_request_duration_seconds",
                "Time the application took to produce a response, by method and matched route \
                 pattern.",
            )
            .buckets(BUCKETS.to_vec()),
            &["method", "route"],
        );
        let registry = Registry::new();
        // The names and labels above are valid constants and registered once on a fresh
        // registry, so neither construction nor registration can fail.
        #[allow(clippy::expect_used, reason = "constant, valid metric definitions")]
        let (requests, durations) = (
            requests.expect("a valid counter definition"),
            durations.expect("a valid histogram definition"),
        );
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(durations.clone()),
        ] {
            if let Err(error) = registry.register(collector) {
                log::error!("metrics: could not register a request metric: {error}");
            }
        }
        Self {
            registry,
            requests,
            durations,
        }
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
        let method = method_label(method);
        let route = route.as_deref().unwrap_or(UNMATCHED_ROUTE);
        self.requests
            .with_label_values(&[method, route, status.as_str()])
            .inc();
        self.durations
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    /// Every request series, then `gauges`, in the text exposition format 0.0.4 (serve
    /// it with [`CONTENT_TYPE`]).
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut families = self.registry.gather();
        let scrape = Registry::new();
        for gauge in gauges {
            let registered = prometheus::Gauge::new(gauge.name, gauge.help).and_then(|metric| {
                metric.set(gauge.value);
                scrape.register(Box::new(metric))
            });
            if let Err(error) = registered {
                log::warn!("metrics: leaving out gauge {:?}: {error}", gauge.name);
            }
        }
        families.extend(
            scrape
                .gather()
                .into_iter()
                .filter(|family| !family.name().starts_with("tenantry_http_")),
        );
        let mut text = Vec::new();
        if let Err(error) = prometheus::TextEncoder::new().encode(&families, &mut text) {
            log::error!("metrics: could not encode: {error}");
        }
        String::from_utf8_lossy(&text).into_owned()
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
        let text = metrics.render(&[]);
        for line in [
            r#"tenantry_http_requests_total{method="GET",route="/tenants/{tenant_id}",status="200"} 2"#,
            r#"tenantry_http_requests_total{method="GET",route="/tenants/{tenant_id}",status="404"} 1"#,
            r#"tenantry_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
            r#"tenantry_http_request_duration_seconds_count{method="GET",route="/tenants/{tenant_id}"} 3"#,
            r#"tenantry_http_request_duration_seconds_sum{method="GET",route="/tenants/{tenant_id}"} 0.006"#,
        ] {
            assert!(
                text.lines().any(|candidate| candidate == line),
                "{line}\n{text}"
            );
        }
    }

    #[test]
    fn an_observation_lands_in_every_bucket_that_holds_it() {
        let metrics = Metrics::new();
        for elapsed in [millis(3), millis(5), Duration::from_secs(6)] {
            metrics.observe(&Method::GET, None, StatusCode::OK, elapsed);
        }
        let text = metrics.render(&[]);
        let bucket = |le: &str| {
            format!(
                r#"tenantry_http_request_duration_seconds_bucket{{method="GET",route="unmatched",le="{le}"}} "#
            )
        };
        let count = |le: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(&bucket(le)))
                .unwrap_or_else(|| panic!("no bucket {le} in\n{text}"))
                .to_owned()
        };
        assert_eq!(count("0.0025"), "0");
        assert_eq!(count("0.005"), "2", "0.003 and exactly 0.005");
        assert_eq!(count("5"), "2");
        assert_eq!(count("+Inf"), "3", "6 s lands in +Inf only");
    }

    #[test]
    fn gauges_follow_and_invalid_or_taken_names_are_left_out() {
        let metrics = Metrics::new();
        let text = metrics.render(&[
            Gauge::new("tenantry_tenants", "Tenants", 3.0),
            Gauge::new("not a name", "Bad", 1.0),
            Gauge::new("tenantry_http_requests_total", "Taken", 1.0),
        ]);
        assert!(
            text.contains("# TYPE tenantry_tenants gauge\ntenantry_tenants 3\n"),
            "{text}"
        );
        assert!(!text.contains("not a name"));
        assert!(!text.contains("Taken"));
    }

    #[test]
    fn unusual_methods_share_one_label() {
        let custom = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&custom), "OTHER");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
    }

    #[test]
    fn each_instance_has_its_own_series() {
        let first = Metrics::new();
        let second = Metrics::new();
        first.observe(&Method::GET, None, StatusCode::OK, millis(1));
        assert!(!second.render(&[]).contains("unmatched"));
    }
}
