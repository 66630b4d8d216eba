//! `tenantry-bench`: tenantry's hot paths measured against their ceilings in one run, and
//! its operations as the tenant count grows. `make bench` runs it on the release binary.
//!
//! ```text
//! tenantry-bench [--server PATH] [--backend sqlite|postgres]… [--seconds N]
//!                [--tenants 1000,10000,100000] [--out DIR] [--hot-only | --growth-only]
//! ```
//!
//! Per backend (PostgreSQL when `TENANTRY_TEST_POSTGRES_URL` is set): a bare actix-web
//! route and the argon2id hash rate as ceilings; `/health`, resolve with a token, a JWT
//! and Basic, the first list page, and Tahoe registrations as ratios of them; then one
//! database grown to each tenant count, with create, get, list (first and deep page),
//! search and resolve probed at 4 connections. Writes `report.json`, `report.md` and
//! `p99-by-tenants.svg` to the output directory (default `target/bench`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measuring tool: a failure is a failed run"
)]

mod ceilings;
mod chart;
mod growth;
mod hot;
mod load;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tenantry_e2e::TestDatabase;
use tenantry_e2e::process::{Server, log_file, rss_of};

use report::{Point, Row};

struct Options {
    server: PathBuf,
    backends: Vec<&'static str>,
    seconds: u64,
    tenants: Vec<u64>,
    out: PathBuf,
    /// Only the 64-connection hot paths: no registrations, no growth (for profiling).
    hot_only: bool,
    /// Only the growth to each tenant count and its probes (for the store's indexes).
    growth_only: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("bare") {
        let workers = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1);
        return match ceilings::serve_bare(
            args.get(1).map_or("127.0.0.1:0", String::as_str),
            workers,
        ) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("bare server: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("tenantry-bench: {message}");
            return ExitCode::from(2);
        }
    };
    if let Some(problem) = tenantry_e2e::process::missing_server(&options.server) {
        eprintln!("tenantry-bench: {problem}");
        return ExitCode::from(2);
    }
    std::fs::create_dir_all(&options.out).expect("the output directory");
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let run = hot::Run {
        seconds: options.seconds,
        workers,
        registrations: !options.hot_only,
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut points: Vec<Point> = Vec::new();
    for backend in &options.backends {
        let database = match *backend {
            "sqlite" => Some(TestDatabase::sqlite()),
            _ => TestDatabase::postgres(),
        };
        let Some(database) = database else {
            println!("{backend}: skipped (TENANTRY_TEST_POSTGRES_URL is unset)");
            continue;
        };
        eprintln!("measuring {backend}");
        let log = log_file(&options.out, &format!("server-{backend}"));
        let mut server = Server::start(
            &options.server,
            &database.url_string(),
            &log,
            &[("TENANTRY_WORKERS", workers.to_string())],
        );
        let (peak, sampling, sampler) = sample_rss(server.pid());
        if !options.growth_only {
            rows.extend(hot::measure(&run, backend, &server));
        }
        if !options.hot_only {
            let token = server.admin_token();
            points.extend(growth::measure(
                backend,
                &server,
                &token,
                &options.tenants,
                options.seconds.min(5),
            ));
        }
        sampling.store(false, Ordering::Relaxed);
        let _ = sampler.join();
        rows.push(Row::note(
            backend,
            "RSS peak through the bench",
            format!("{} MiB", peak.load(Ordering::Relaxed) / 1024),
        ));
        server.terminate();
    }
    let markdown = format!(
        "{}\n{}",
        report::rows_table(&rows),
        report::points_table(&points)
    );
    print!("{markdown}");
    let json = serde_json::to_string_pretty(&report::json(&rows, &points)).expect("JSON");
    for (name, text) in [
        ("report.json", json),
        ("report.md", markdown),
        ("p99-by-tenants.svg", chart::svg(&points)),
    ] {
        let path = options.out.join(name);
        if let Err(error) = std::fs::write(&path, text) {
            eprintln!("tenantry-bench: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    }
    println!("written to {}", options.out.display());
    ExitCode::SUCCESS
}

/// Samples the resident memory of `pid` every 100 ms: (peak KiB, keep going, thread).
fn sample_rss(pid: u32) -> (Arc<AtomicU64>, Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicBool::new(true));
    let thread = {
        let (peak, sampling) = (Arc::clone(&peak), Arc::clone(&sampling));
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss_of(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    (peak, sampling, thread)
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        server: tenantry_e2e::process::sibling_server(),
        backends: Vec::new(),
        seconds: 5,
        tenants: vec![1_000, 10_000, 100_000],
        out: PathBuf::from("target/bench"),
        hot_only: false,
        growth_only: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--server" => options.server = PathBuf::from(value()?),
            "--hot-only" => options.hot_only = true,
            "--growth-only" => options.growth_only = true,
            "--out" => options.out = PathBuf::from(value()?),
            "--seconds" => {
                options.seconds = value()?.parse().map_err(|_| "--seconds: a whole number")?
            }
            "--tenants" => {
                options.tenants = value()?
                    .split(',')
                    .map(|count| {
                        count
                            .trim()
                            .parse::<u64>()
                            .map_err(|_| format!("--tenants: not a count: {count}"))
                    })
                    .collect::<Result<_, _>>()?;
                if !options.tenants.is_sorted() || options.tenants.first() == Some(&0) {
                    return Err("--tenants: counts from 1 up, in increasing order".into());
                }
            }
            "--backend" => options.backends.push(match value()?.as_str() {
                "sqlite" => "sqlite",
                "postgres" => "postgres",
                other => return Err(format!("unknown backend {other:?} (sqlite, postgres)")),
            }),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if options.hot_only && options.growth_only {
        return Err("--hot-only and --growth-only exclude each other".into());
    }
    if options.backends.is_empty() {
        options.backends = vec!["sqlite", "postgres"];
    }
    Ok(options)
}
