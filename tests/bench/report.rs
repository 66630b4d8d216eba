//! Rows of the report: printed as tables, written as JSON.

use serde_json::{Value, json};

use crate::load::Outcome;

/// One hot-path figure.
#[derive(Debug, Clone)]
pub struct Row {
    pub backend: &'static str,
    pub figure: String,
    pub rate: Option<f64>,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    /// The figure's rate over a ceiling's, and which ceiling.
    pub ratio: Option<(f64, &'static str)>,
    pub note: String,
}

impl Row {
    /// A load run's rate and latencies.
    pub fn measured(
        backend: &'static str,
        figure: &str,
        outcome: &Outcome,
        ratio: Option<(f64, &'static str)>,
    ) -> Row {
        let unexpected = outcome.unexpected(200);
        Row {
            backend,
            figure: figure.to_owned(),
            rate: Some(outcome.rate()),
            p50: Some(outcome.percentile_ms(50.0)),
            p99: Some(outcome.percentile_ms(99.0)),
            ratio,
            note: if unexpected > 0 {
                format!("{unexpected} answers not 200: {:?}", outcome.statuses)
            } else {
                String::new()
            },
        }
    }

    /// A figure that is a single value.
    pub fn note(backend: &'static str, figure: &str, value: String) -> Row {
        Row {
            backend,
            figure: figure.to_owned(),
            rate: None,
            p50: None,
            p99: None,
            ratio: None,
            note: value,
        }
    }
}

/// One operation's figures at one tenant count.
#[derive(Debug, Clone)]
pub struct Point {
    pub backend: &'static str,
    pub tenants: u64,
    pub operation: &'static str,
    pub rate: f64,
    pub p99: f64,
    pub unexpected: u64,
}

fn cell(value: Option<f64>, format: impl Fn(f64) -> String) -> String {
    value.map_or_else(String::new, format)
}

/// The hot paths as a Markdown table.
pub fn rows_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| backend | figure | req/s | p50 ms | p99 ms | ratio | note |\n|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            row.backend,
            row.figure,
            cell(row.rate, |rate| format!("{rate:.0}")),
            cell(row.p50, |ms| format!("{ms:.2}")),
            cell(row.p99, |ms| format!("{ms:.2}")),
            row.ratio
                .map_or_else(String::new, |(ratio, of)| format!("{ratio:.2} of {of}")),
            row.note
        ));
    }
    out
}

/// The growth figures as a Markdown table: one row per backend, count and operation.
pub fn points_table(points: &[Point]) -> String {
    let mut out = String::from(
        "| backend | tenants | operation | req/s | p99 ms | note |\n|---|---|---|---|---|---|\n",
    );
    for point in points {
        out.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.2} | {} |\n",
            point.backend,
            point.tenants,
            point.operation,
            point.rate,
            point.p99,
            if point.unexpected > 0 {
                format!("{} unexpected answers", point.unexpected)
            } else {
                String::new()
            }
        ));
    }
    out
}

/// Everything as JSON.
pub fn json(rows: &[Row], points: &[Point]) -> Value {
    json!({
        "hot_paths": rows.iter().map(|row| json!({
            "backend": row.backend,
            "figure": row.figure,
            "requests_per_second": row.rate,
            "p50_ms": row.p50,
            "p99_ms": row.p99,
            "ratio": row.ratio.map(|(ratio, _)| ratio),
            "ratio_of": row.ratio.map(|(_, of)| of),
            "note": row.note,
        })).collect::<Vec<_>>(),
        "tenant_count": points.iter().map(|point| json!({
            "backend": point.backend,
            "tenants": point.tenants,
            "operation": point.operation,
            "requests_per_second": point.rate,
            "p99_ms": point.p99,
            "unexpected_answers": point.unexpected,
        })).collect::<Vec<_>>(),
    })
}
