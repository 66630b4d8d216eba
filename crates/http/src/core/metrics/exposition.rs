//! The Prometheus text exposition format, version 0.0.4.
//!
//! Families come in a fixed order: the request counter, the latency histogram, then the
//! gauges sorted by name and labels. Within a family, series are sorted by their label
//! values, so equal registries render to equal text.

use std::fmt::{self, Display, Formatter, Write as _};

use super::{BUCKETS, Metrics, Series, SeriesKey};

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

const REQUESTS: &str = "tenantry_http_requests_total";
const REQUESTS_HELP: &str = "HTTP responses sent, by method, matched route pattern and status.";
const DURATION: &str = "tenantry_http_request_duration_seconds";
const DURATION_HELP: &str =
    "Time the application took to produce a response, by method and matched route pattern.";

/// A value read at scrape time, e.g. connection pool usage or the number of tenants.
/// Gauges sharing a `name` form one family (one `# HELP`, the first one's after sorting).
#[derive(Debug, Clone, PartialEq)]
pub struct Gauge {
    /// The metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`; a gauge with an invalid name (or one
    /// of the request metrics' names) is left out of the output and logged.
    pub name: &'static str,
    /// One line saying what it measures.
    pub help: &'static str,
    /// The value now.
    pub value: f64,
    /// Label names (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`) and values, in the
    /// order they are printed. Values may hold any text; they are escaped.
    pub labels: Vec<(&'static str, String)>,
}

impl Gauge {
    /// A gauge without labels.
    pub fn new(name: &'static str, help: &'static str, value: f64) -> Self {
        Self {
            name,
            help,
            value,
            labels: Vec::new(),
        }
    }

    /// The same gauge with one more label.
    #[allow(
        dead_code,
        reason = "for labelled gauges; the first ones have no labels"
    )]
    pub fn with_label(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.labels.push((name, value.into()));
        self
    }

    fn is_valid(&self) -> bool {
        let reserved = [REQUESTS, DURATION]
            .iter()
            .any(|family| self.name.starts_with(family));
        is_metric_name(self.name)
            && !reserved
            && self.labels.iter().all(|(name, _)| is_label_name(name))
    }
}

impl Metrics {
    /// Every request series, then `gauges`, in the text exposition format 0.0.4 (serve
    /// it with [`CONTENT_TYPE`]).
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut gauges: Vec<&Gauge> = gauges
            .iter()
            .filter(|gauge| {
                let valid = gauge.is_valid();
                if !valid {
                    log::warn!("metrics: leaving out gauge {:?} (invalid name)", gauge.name);
                }
                valid
            })
            .collect();
        gauges.sort_by(|left, right| (left.name, &left.labels).cmp(&(right.name, &right.labels)));
        // Two gauges with the same name and labels would be one series twice.
        gauges.dedup_by(|next, kept| (next.name, &next.labels) == (kept.name, &kept.labels));
        Exposition {
            series: &self.snapshot(),
            gauges: &gauges,
        }
        .to_string()
    }
}

struct Exposition<'a> {
    series: &'a [(SeriesKey, Series)],
    gauges: &'a [&'a Gauge],
}

impl Display for Exposition<'_> {
    fn fmt(&self, out: &mut Formatter<'_>) -> fmt::Result {
        header(out, REQUESTS, REQUESTS_HELP, "counter")?;
        for ((method, route), series) in self.series {
            for (status, count) in &series.statuses {
                writeln!(
                    out,
                    r#"{REQUESTS}{{method="{}",route="{}",status="{status}"}} {count}"#,
                    LabelValue(method),
                    LabelValue(route),
                )?;
            }
        }

        header(out, DURATION, DURATION_HELP, "histogram")?;
        for ((method, route), series) in self.series {
            let labels = format!(
                r#"method="{}",route="{}""#,
                LabelValue(method),
                LabelValue(route)
            );
            let mut cumulative = 0;
            for ((_, le), count) in BUCKETS.iter().zip(series.buckets) {
                cumulative += count;
                writeln!(
                    out,
                    r#"{DURATION}_bucket{{{labels},le="{le}"}} {cumulative}"#
                )?;
            }
            let count = series.count;
            writeln!(out, r#"{DURATION}_bucket{{{labels},le="+Inf"}} {count}"#)?;
            let sum = Number(series.sum_nanos as f64 / 1e9);
            writeln!(out, "{DURATION}_sum{{{labels}}} {sum}")?;
            writeln!(out, "{DURATION}_count{{{labels}}} {count}")?;
        }

        let mut family = None;
        for gauge in self.gauges {
            if family != Some(gauge.name) {
                header(out, gauge.name, gauge.help, "gauge")?;
                family = Some(gauge.name);
            }
            out.write_str(gauge.name)?;
            for (index, (name, value)) in gauge.labels.iter().enumerate() {
                let open = if index == 0 { '{' } else { ',' };
                write!(out, r#"{open}{name}="{}""#, LabelValue(value))?;
            }
            if !gauge.labels.is_empty() {
                out.write_char('}')?;
            }
            writeln!(out, " {}", Number(gauge.value))?;
        }
        Ok(())
    }
}

fn header(out: &mut Formatter<'_>, name: &str, help: &str, kind: &str) -> fmt::Result {
    writeln!(out, "# HELP {name} {}", HelpText(help))?;
    writeln!(out, "# TYPE {name} {kind}")
}

/// A label value with `\`, `"` and line feeds escaped.
struct LabelValue<'a>(&'a str);

impl Display for LabelValue<'_> {
    fn fmt(&self, out: &mut Formatter<'_>) -> fmt::Result {
        escape(out, self.0, true)
    }
}

/// Help text with `\` and line feeds escaped (quotes stay as they are).
struct HelpText<'a>(&'a str);

impl Display for HelpText<'_> {
    fn fmt(&self, out: &mut Formatter<'_>) -> fmt::Result {
        escape(out, self.0, false)
    }
}

fn escape(out: &mut Formatter<'_>, text: &str, quotes: bool) -> fmt::Result {
    let mut rest = text;
    while let Some(index) = rest.find(|c| c == '\\' || c == '\n' || (quotes && c == '"')) {
        out.write_str(&rest[..index])?;
        out.write_str(match rest.as_bytes()[index] {
            b'\\' => r"\\",
            b'\n' => r"\n",
            _ => r#"\""#,
        })?;
        rest = &rest[index + 1..];
    }
    out.write_str(rest)
}

/// A sample value: Rust's shortest round-trip form, with Prometheus's spelling of the
/// infinities (`+Inf`, `-Inf`; `NaN` is spelled alike).
struct Number(f64);

impl Display for Number {
    fn fmt(&self, out: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            f64::INFINITY => out.write_str("+Inf"),
            f64::NEG_INFINITY => out.write_str("-Inf"),
            value => write!(out, "{value}"),
        }
    }
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    !name.starts_with("__")
        && chars
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use actix_web::http::{Method, StatusCode};

    use super::*;

    #[test]
    fn a_tiny_registry_renders_exactly() {
        let metrics = Metrics::new();
        let health = || Some("/health".to_owned());
        let millis = Duration::from_millis;
        metrics.observe(&Method::GET, health(), StatusCode::OK, millis(3));
        metrics.observe(
            &Method::GET,
            health(),
            StatusCode::SERVICE_UNAVAILABLE,
            millis(250),
        );
        let gauges = [
            Gauge::new("tenantry_tenants", "Tenants by status.", 2.0)
                .with_label("status", "suspended"),
            Gauge::new("tenantry_db_pool_connections", "Open connections.", 4.0),
            Gauge::new("tenantry_tenants", "Tenants by status.", 40.0)
                .with_label("status", "active"),
        ];
        let expected = r#"# HELP tenantry_http_requests_total HTTP responses sent, by method, matched route pattern and status.
# TYPE tenantry_http_requests_total counter
tenantry_http_requests_total{method="GET",route="/health",status="200"} 1
tenantry_http_requests_total{method="GET",route="/health",status="503"} 1
# HELP tenantry_http_request_duration_seconds Time the application took to produce a response, by method and matched route pattern.
# TYPE tenantry_http_request_duration_seconds histogram
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.001"} 0
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.0025"} 0
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.005"} 1
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.01"} 1
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.025"} 1
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.05"} 1
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.1"} 1
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.25"} 2
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="0.5"} 2
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="1"} 2
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="2.5"} 2
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="5"} 2
tenantry_http_request_duration_seconds_bucket{method="GET",route="/health",le="+Inf"} 2
tenantry_http_request_duration_seconds_sum{method="GET",route="/health"} 0.253
tenantry_http_request_duration_seconds_count{method="GET",route="/health"} 2
# HELP tenantry_db_pool_connections Open connections.
# TYPE tenantry_db_pool_connections gauge
tenantry_db_pool_connections 4
# HELP tenantry_tenants Tenants by status.
# TYPE tenantry_tenants gauge
tenantry_tenants{status="active"} 40
tenantry_tenants{status="suspended"} 2
"#;
        assert_eq!(metrics.render(&gauges), expected);
    }

    #[test]
    fn an_empty_registry_still_describes_its_families() {
        let text = Metrics::new().render(&[]);
        assert_eq!(text.lines().count(), 4);
        assert!(text.contains("# TYPE tenantry_http_request_duration_seconds histogram\n"));
    }

    #[test]
    fn a_3_ms_observation_counts_in_le_0_005_and_every_bucket_above() {
        let metrics = Metrics::new();
        let three_ms = Duration::from_millis(3);
        metrics.observe(&Method::POST, None, StatusCode::CREATED, three_ms);
        let text = metrics.render(&[]);
        let bucket = |le: &str| {
            let prefix = format!(
                r#"tenantry_http_request_duration_seconds_bucket{{method="POST",route="unmatched",le="{le}"}} "#
            );
            let line = text.lines().find(|line| line.starts_with(&prefix));
            line.unwrap()[prefix.len()..].parse::<u64>().unwrap()
        };
        for le in ["0.001", "0.0025"] {
            assert_eq!(bucket(le), 0, "le={le}");
        }
        for le in ["0.005", "0.01", "0.1", "1", "5", "+Inf"] {
            assert_eq!(bucket(le), 1, "le={le}");
        }
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        let gauge = Gauge::new("odd", "Back\\slash,\n\"quoted\".", 1.0)
            .with_label("path", "C:\\dir\n\"x\"");
        let text = Metrics::new().render(&[gauge]);
        assert!(
            text.contains("# HELP odd Back\\\\slash,\\n\"quoted\".\n"),
            "{text}"
        );
        assert!(text.contains(r#"odd{path="C:\\dir\n\"x\""} 1"#), "{text}");
        let route = Some("/a\"b\\c\nd".to_owned());
        let metrics = Metrics::new();
        metrics.observe(&Method::GET, route, StatusCode::OK, Duration::ZERO);
        let text = metrics.render(&[]);
        assert!(
            text.contains(r#"route="/a\"b\\c\nd",status="200"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn special_values_are_spelled_as_prometheus_reads_them() {
        let gauges = [
            Gauge::new("a", "A.", f64::INFINITY),
            Gauge::new("b", "B.", f64::NEG_INFINITY),
            Gauge::new("c", "C.", f64::NAN),
            Gauge::new("d", "D.", 0.5),
        ];
        let text = Metrics::new().render(&gauges);
        for line in ["a +Inf", "b -Inf", "c NaN", "d 0.5"] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
    }

    #[test]
    fn invalid_and_duplicate_gauges_are_left_out() {
        let gauges = [
            Gauge::new("9lives", "Starts with a digit.", 1.0),
            Gauge::new("ok", "Fine.", 1.0).with_label("__reserved", "x"),
            Gauge::new("tenantry_http_requests_total", "Clashes.", 1.0),
            Gauge::new("twice", "Twice.", 1.0),
            Gauge::new("twice", "Twice.", 2.0),
        ];
        let text = Metrics::new().render(&gauges);
        assert!(
            !text.contains("9lives") && !text.contains("__reserved"),
            "{text}"
        );
        assert!(!text.contains("Clashes"), "{text}");
        assert_eq!(text.matches("\ntwice ").count(), 1, "{text}");
    }
}
