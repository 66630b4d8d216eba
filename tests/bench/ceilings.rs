//! The ceilings every figure is divided by, measured in the same run on the same cores:
//! a bare actix-web route (what the HTTP stack costs with no work behind it) and the
//! argon2id hash rate with tenantry's parameters (what a registration cannot beat).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpServer, web};
use tenantry_registration::{Argon2idHasher, HashMemory};

/// Serves `GET /` → `ok` on `bind` with `workers` workers until killed (the `bare`
/// subcommand: a separate process, like the server it is compared with).
pub fn serve_bare(bind: &str, workers: usize) -> std::io::Result<()> {
    let listener = TcpListener::bind(bind)?;
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| App::new().route("/", web::get().to(|| async { "ok" })))
            .workers(workers)
            .listen(listener)?
            .run()
            .await
    })
}

/// The bare route as a child process.
pub struct Bare {
    child: Child,
    pub address: String,
}

impl Bare {
    /// Starts `this-binary bare` on a free port; waits until it answers.
    pub fn start(workers: usize) -> Bare {
        let address = format!("127.0.0.1:{}", tenantry_e2e::process::free_port());
        let child = Command::new(std::env::current_exe().expect("the bench binary's path"))
            .args(["bare", &address, &workers.to_string()])
            .stdin(Stdio::null())
            .spawn()
            .expect("the bare server starts");
        let started = Instant::now();
        while tenantry_e2e::wire::get(&address, "/", Duration::from_secs(1)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the bare server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Bare { child, address }
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Hashes per second on `threads` threads for `duration`, tenantry's way (one kept
/// working memory per thread).
pub fn argon2_rate(threads: usize, duration: Duration) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (done, stop) = (Arc::clone(&done), Arc::clone(&stop));
            std::thread::spawn(move || {
                let (hasher, mut memory) = (Argon2idHasher::new(), HashMemory::new());
                while !stop.load(Ordering::Relaxed) {
                    if hasher.hash_in(&mut memory, "a bench password 1").is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.join();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
