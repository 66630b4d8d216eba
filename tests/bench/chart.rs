//! An SVG chart of p99 against the tenant count: one panel per backend, one line per
//! operation, both axes logarithmic.

use std::fmt::Write as _;

use crate::report::Point;

const PANEL_WIDTH: f64 = 420.0;
const HEIGHT: f64 = 320.0;
const MARGIN: f64 = 50.0;
const COLOURS: [&str; 6] = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
];

/// The chart of `points` (empty when there are none).
pub fn svg(points: &[Point]) -> String {
    let mut backends: Vec<&str> = points.iter().map(|point| point.backend).collect();
    backends.dedup();
    let mut operations: Vec<&str> = Vec::new();
    for point in points {
        if !operations.contains(&point.operation) {
            operations.push(point.operation);
        }
    }
    let counts: Vec<f64> = points.iter().map(|point| point.tenants as f64).collect();
    let (x_min, x_max) = bounds(&counts);
    let p99s: Vec<f64> = points.iter().map(|point| point.p99.max(0.01)).collect();
    let (y_min, y_max) = bounds(&p99s);
    let (y_min, y_max) = (y_min.min(0.1), y_max.max(10.0));
    let width = PANEL_WIDTH * backends.len().max(1) as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{}" font-family="sans-serif" font-size="11">"#,
        HEIGHT + 40.0
    );
    for (panel, backend) in backends.iter().enumerate() {
        let left = panel as f64 * PANEL_WIDTH;
        let x = |count: f64| {
            left + MARGIN
                + (count.log10() - x_min.log10()) / (x_max.log10() - x_min.log10()).max(1e-9)
                    * (PANEL_WIDTH - 2.0 * MARGIN)
        };
        let y = |ms: f64| {
            HEIGHT
                - MARGIN
                - (ms.log10() - y_min.log10()) / (y_max.log10() - y_min.log10()).max(1e-9)
                    * (HEIGHT - 2.0 * MARGIN)
        };
        let _ = writeln!(
            out,
            r#"<text x="{}" y="20" font-size="13">{backend}: p99 (ms) by tenant count</text>"#,
            left + MARGIN
        );
        let _ = writeln!(
            out,
            r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
            left + MARGIN,
            MARGIN,
            PANEL_WIDTH - 2.0 * MARGIN,
            HEIGHT - 2.0 * MARGIN
        );
        for ms in decades(y_min, y_max) {
            let _ = writeln!(
                out,
                r##"<text x="{}" y="{}" text-anchor="end">{ms}</text><line x1="{}" x2="{}" y1="{2}" y2="{2}" stroke="#eee"/>"##,
                left + MARGIN - 4.0,
                y(ms) + 4.0,
                left + MARGIN,
                left + PANEL_WIDTH - MARGIN,
            );
        }
        let mut ticks: Vec<u64> = points.iter().map(|point| point.tenants).collect();
        ticks.sort_unstable();
        ticks.dedup();
        for count in ticks {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle">{count}</text>"#,
                x(count as f64),
                HEIGHT - MARGIN + 14.0
            );
        }
        for (index, operation) in operations.iter().enumerate() {
            let line: Vec<String> = points
                .iter()
                .filter(|point| point.backend == *backend && point.operation == *operation)
                .map(|point| {
                    format!(
                        "{:.1},{:.1}",
                        x(point.tenants as f64),
                        y(point.p99.max(0.01))
                    )
                })
                .collect();
            let colour = COLOURS[index % COLOURS.len()];
            let _ = writeln!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                line.join(" ")
            );
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" fill="{colour}">{operation}</text>"#,
                left + MARGIN + 8.0 + (index % 3) as f64 * 110.0,
                HEIGHT - 8.0 + (index / 3) as f64 * 14.0
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

fn bounds(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(0.0, f64::max);
    if min.is_finite() && max > min {
        (min, max)
    } else {
        (1.0, 10.0)
    }
}

/// Powers of ten from `min` to `max`.
fn decades(min: f64, max: f64) -> Vec<f64> {
    let mut ms = 10f64.powf(min.log10().floor());
    let mut out = Vec::new();
    while ms <= max * 1.0001 {
        out.push(ms);
        ms *= 10.0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_a_line_per_operation_and_backend() {
        let point = |backend, tenants, operation, p99| Point {
            backend,
            tenants,
            operation,
            rate: 1.0,
            p99,
            unexpected: 0,
        };
        let points = [
            point("sqlite", 1000, "get", 1.0),
            point("sqlite", 100_000, "get", 3.0),
            point("postgres", 1000, "get", 2.0),
            point("postgres", 100_000, "get", 5.0),
        ];
        let svg = svg(&points);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    }
}
