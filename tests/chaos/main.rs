//! `tenantry-chaos`: the real `tenantry` binary under hostile clients and failures, on
//! SQLite and PostgreSQL, with a table of what happened.
//!
//! ```text
//! tenantry-chaos [--light] [--server PATH] [--backend sqlite|postgres]… [--scenario NAME]…
//!                [--json PATH]
//! ```
//!
//! Scenarios: `kill` (SIGKILL/SIGTERM under concurrent writers), `database` (PostgreSQL
//! frozen and cut through a proxy; PostgreSQL only), `smtp` (SMTP down and back across
//! restarts), `logins` (concurrent wrong passwords), `memory` (RSS under concurrent
//! hashing), `flood` (slow connections). Without `--scenario`, all of them; without
//! `--backend`, both (PostgreSQL when `TENANTRY_TEST_POSTGRES_URL` is set).
//!
//! `--light` runs fewer rounds and shows timings and memory without judging them: that is
//! the version `make test` runs. The exit status is 1 when a judged figure missed its
//! target. `make chaos` runs the full version against the release binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test tool: a failure is a failed run"
)]

mod report;
mod scenarios;

use std::path::PathBuf;
use std::process::ExitCode;

use report::{Figure, Verdict};
use scenarios::{Backend, Context};

const SCENARIOS: [&str; 6] = ["kill", "database", "smtp", "logins", "memory", "flood"];

struct Options {
    server: PathBuf,
    light: bool,
    backends: Vec<Backend>,
    scenarios: Vec<String>,
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("flood-child") {
        let count = args
            .get(2)
            .and_then(|count| count.parse().ok())
            .unwrap_or(0);
        let source = args.get(3).map_or("127.0.0.1", String::as_str);
        scenarios::flood::child(args.get(1).map_or("", String::as_str), count, source);
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("tenantry-chaos: {message}");
            return ExitCode::from(2);
        }
    };
    if let Some(problem) = tenantry_e2e::process::missing_server(&options.server) {
        eprintln!("tenantry-chaos: {problem}");
        return ExitCode::from(2);
    }
    let logs = tempfile::Builder::new()
        .prefix("tenantry-chaos-")
        .tempdir()
        .expect("a temporary directory for logs");
    let context = Context {
        binary: options.server.clone(),
        light: options.light,
        logs: logs.path().to_owned(),
        tag: tag(),
    };
    let mut figures: Vec<Figure> = Vec::new();
    for backend in &options.backends {
        for scenario in &options.scenarios {
            if scenario == "database" && *backend != Backend::Postgres {
                continue;
            }
            let Some(database) = backend.database() else {
                println!(
                    "{scenario} on {}: skipped (TENANTRY_TEST_POSTGRES_URL is unset)",
                    backend.name()
                );
                continue;
            };
            eprintln!("running {scenario} on {}", backend.name());
            let measured = match scenario.as_str() {
                "kill" => scenarios::kill::run(&context, *backend, &database),
                "database" => scenarios::database::run(&context, *backend, &database),
                "smtp" => scenarios::smtp::run(&context, *backend, &database),
                "logins" => scenarios::logins::run(&context, *backend, &database),
                "memory" => scenarios::memory::run(&context, *backend, &database),
                _ => scenarios::flood::run(&context, *backend, &database),
            };
            figures.extend(measured.list);
        }
    }
    print!("{}", report::table(&figures));
    if let Some(path) = &options.json {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let text = serde_json::to_string_pretty(&report::json(&figures)).expect("JSON");
        if let Err(error) = std::fs::write(path, text) {
            eprintln!("tenantry-chaos: cannot write {}: {error}", path.display());
        }
    }
    let missed = figures
        .iter()
        .filter(|figure| figure.verdict == Verdict::Missed)
        .count();
    if missed > 0 {
        println!(
            "{missed} figure(s) missed their target; server logs kept in {}",
            logs.keep().display()
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        server: tenantry_e2e::process::sibling_server(),
        light: false,
        backends: Vec::new(),
        scenarios: Vec::new(),
        json: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--light" => options.light = true,
            "--server" => options.server = PathBuf::from(value()?),
            "--json" => options.json = Some(PathBuf::from(value()?)),
            "--backend" => options.backends.push(match value()?.as_str() {
                "sqlite" => Backend::Sqlite,
                "postgres" => Backend::Postgres,
                other => return Err(format!("unknown backend {other:?} (sqlite, postgres)")),
            }),
            "--scenario" => {
                let name = value()?;
                if !SCENARIOS.contains(&name.as_str()) {
                    return Err(format!(
                        "unknown scenario {name:?} (one of {})",
                        SCENARIOS.join(", ")
                    ));
                }
                options.scenarios.push(name);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if options.backends.is_empty() {
        options.backends = vec![Backend::Sqlite, Backend::Postgres];
    }
    if options.scenarios.is_empty() {
        options.scenarios = SCENARIOS.iter().map(|name| (*name).to_owned()).collect();
    }
    Ok(options)
}

/// Six lowercase letters and digits, different for every run.
fn tag() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    // The standard library seeds every RandomState from the OS.
    let mut value = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..6)
        .map(|_| {
            let digit = (value % 36) as usize;
            value /= 36;
            char::from(alphabet[digit])
        })
        .collect()
}
