//! The figures a scenario measures, printed as a table and written as JSON.

use std::fmt::Write as _;

use serde_json::{Value, json};

/// Whether a figure met its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    Missed,
    /// Measured and shown, not judged (timings in a light run, context figures).
    Shown,
}

/// One measured figure.
#[derive(Debug, Clone)]
pub struct Figure {
    pub scenario: &'static str,
    pub backend: &'static str,
    pub name: String,
    pub value: String,
    pub target: String,
    pub verdict: Verdict,
}

/// The figures of one scenario on one backend, as they are measured.
pub struct Figures {
    scenario: &'static str,
    backend: &'static str,
    /// Whether timing and memory targets are judged (full runs) or only shown (light).
    judge_resources: bool,
    pub list: Vec<Figure>,
}

impl Figures {
    pub fn new(scenario: &'static str, backend: &'static str, judge_resources: bool) -> Figures {
        Figures {
            scenario,
            backend,
            judge_resources,
            list: Vec::new(),
        }
    }

    fn push(&mut self, name: &str, value: String, target: &str, verdict: Verdict) {
        self.list.push(Figure {
            scenario: self.scenario,
            backend: self.backend,
            name: name.to_owned(),
            value,
            target: target.to_owned(),
            verdict,
        });
    }

    /// A correctness figure: judged in every run.
    pub fn check(&mut self, name: &str, value: impl ToString, target: &str, met: bool) {
        let verdict = if met { Verdict::Met } else { Verdict::Missed };
        self.push(name, value.to_string(), target, verdict);
    }

    /// A time or memory figure: judged in full runs, shown in light ones (a loaded CI
    /// machine must not fail a test on a timing).
    pub fn resource(&mut self, name: &str, value: impl ToString, target: &str, met: bool) {
        let verdict = match (self.judge_resources, met) {
            (false, _) => Verdict::Shown,
            (true, true) => Verdict::Met,
            (true, false) => Verdict::Missed,
        };
        self.push(name, value.to_string(), target, verdict);
    }

    /// A figure for context, never judged.
    pub fn show(&mut self, name: &str, value: impl ToString) {
        self.push(name, value.to_string(), "", Verdict::Shown);
    }
}

/// The table, one row per figure.
pub fn table(figures: &[Figure]) -> String {
    let header = [
        "scenario", "backend", "figure", "value", "target", "verdict",
    ];
    let rows: Vec<[String; 6]> = figures
        .iter()
        .map(|figure| {
            [
                figure.scenario.to_owned(),
                figure.backend.to_owned(),
                figure.name.clone(),
                figure.value.clone(),
                figure.target.clone(),
                match figure.verdict {
                    Verdict::Met => "met",
                    Verdict::Missed => "MISSED",
                    Verdict::Shown => "-",
                }
                .to_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "| {} |", padded.join(" | "));
    };
    line(&mut out, &header.map(str::to_owned));
    let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
    line(&mut out, &rule);
    for row in &rows {
        line(&mut out, row);
    }
    out
}

/// The figures as JSON (`[{"scenario": …, "verdict": "met"}, …]`).
pub fn json(figures: &[Figure]) -> Value {
    Value::Array(
        figures
            .iter()
            .map(|figure| {
                json!({
                    "scenario": figure.scenario,
                    "backend": figure.backend,
                    "figure": figure.name,
                    "value": figure.value,
                    "target": figure.target,
                    "verdict": match figure.verdict {
                        Verdict::Met => "met",
                        Verdict::Missed => "missed",
                        Verdict::Shown => "shown",
                    },
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn light_runs_show_resources_and_judge_correctness() {
        let mut figures = Figures::new("kill", "sqlite", false);
        figures.check("lost", 1, "0", false);
        figures.resource("rss", "300 MiB", "<= 256 MiB", false);
        let verdicts: Vec<Verdict> = figures.list.iter().map(|f| f.verdict).collect();
        assert_eq!(verdicts, [Verdict::Missed, Verdict::Shown]);
        let table = table(&figures.list);
        assert!(
            table.contains("| kill     | sqlite  | lost   | 1"),
            "{table}"
        );
        assert!(table.contains("MISSED"));
    }
}
