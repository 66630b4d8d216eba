//! The real `tenantry` binary as a child process (for the reliability suite and the
//! benchmarks): started, killed with SIGKILL, stopped with SIGTERM and started again on
//! the same port and database.

use std::fs::{File, OpenOptions};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::wire as http;

/// The first operator's password in every server the scenarios start.
pub const ADMIN_PASSWORD: &str = "chaos-admin-password-1";

/// A running `tenantry serve`.
pub struct Server {
    binary: PathBuf,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
    /// `127.0.0.1:PORT`
    pub address: String,
}

impl Server {
    /// Starts `binary serve` on a free port over `database_url`, with `extra` settings,
    /// writing its log to `log`; waits until `/health` answers.
    pub fn start(
        binary: &Path,
        database_url: &str,
        log: &Path,
        extra: &[(&str, String)],
    ) -> Server {
        let address = format!("127.0.0.1:{}", free_port());
        let mut env = vec![
            ("TENANTRY_BIND".to_owned(), address.clone()),
            ("TENANTRY_DATABASE_URL".to_owned(), database_url.to_owned()),
            (
                "TENANTRY_ADMIN_PASSWORD".to_owned(),
                ADMIN_PASSWORD.to_owned(),
            ),
            ("RUST_LOG".to_owned(), "warn".to_owned()),
        ];
        env.extend(
            extra
                .iter()
                .map(|(key, value)| ((*key).to_owned(), value.clone())),
        );
        let mut server = Server {
            binary: binary.to_owned(),
            env,
            log: log.to_owned(),
            child: None,
            address,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the server log can be written");
        // A profiler to run the server under (`heaptrack`, `perf record -g --`), if any.
        let mut command = match std::env::var("TENANTRY_CHAOS_WRAPPER") {
            Ok(wrapper) if !wrapper.trim().is_empty() => {
                let mut words = wrapper.split_whitespace();
                let mut command = Command::new(words.next().unwrap_or_default());
                command.args(words).arg(&self.binary);
                command
            }
            _ => Command::new(&self.binary),
        };
        command.arg("serve").stdin(Stdio::null());
        for (key, _) in std::env::vars() {
            if key.starts_with("TENANTRY_") {
                command.env_remove(key);
            }
        }
        command
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .stdout(log.try_clone().expect("the log handle clones"))
            .stderr(log);
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", self.binary.display()));
        self.child = Some(child);
        self.wait_healthy(Duration::from_secs(60));
    }

    /// Waits until `/health` answers 200; panics, showing the log, after `timeout` or
    /// when the process exits.
    pub fn wait_healthy(&mut self, timeout: Duration) {
        let started = Instant::now();
        loop {
            if let Ok(reply) = http::get(&self.address, "/health", Duration::from_secs(2))
                && reply.status == 200
            {
                return;
            }
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "the server exited ({status}) while starting:\n{}",
                    self.log_tail()
                );
            }
            assert!(
                started.elapsed() < timeout,
                "the server did not answer /health within {timeout:?}:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM (graceful shutdown), and wait for the process to exit (SIGKILL after 30 s).
    pub fn terminate(&mut self) {
        self.signal("TERM");
        if self.wait_for_exit(Duration::from_secs(30)).is_none() {
            self.kill();
        }
    }

    /// Sends `signal` (`TERM`, `INT`, …) to the process, which keeps running as far as this
    /// handle knows.
    pub fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args([format!("-{signal}"), child.id().to_string()])
                .status();
        }
    }

    /// Waits up to `timeout` for the process to exit: its status, or `None` if it still
    /// runs (the handle keeps it then).
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let exited = self.child.as_mut().map(|child| child.try_wait());
            match exited {
                None => return None,
                Some(Ok(Some(status))) => {
                    self.child = None;
                    return Some(status);
                }
                Some(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        None
    }

    /// Starts the process again, same port, database and settings.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server before restarting it");
        self.spawn();
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Resident memory in KiB (`VmRSS`), 0 when unknown.
    pub fn rss_kib(&self) -> u64 {
        rss_of(self.pid())
    }

    /// File descriptors the process holds.
    pub fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).map_or(0, Iterator::count)
    }

    /// The log written so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn log_tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// A fresh API token of the first operator (`Authorization: Bearer …`).
    pub fn admin_token(&self) -> String {
        let reply = http::send(
            &self.address,
            "POST",
            "/api/v1/admin/tokens",
            &[
                http::basic("admin", ADMIN_PASSWORD),
                ("Content-Type", "application/json".to_owned()),
            ],
            br#"{"label":"chaos"}"#,
            http::TIMEOUT,
        )
        .expect("the token request is answered");
        assert_eq!(reply.status, 201, "minting a token: {}", reply.body);
        reply.json()["token"]
            .as_str()
            .expect("the token is shown")
            .to_owned()
    }
}

impl Server {
    /// A JWT of the first operator from `/oauth/token` (password grant).
    pub fn jwt(&self) -> String {
        let body = http::form(&[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ]);
        let reply = http::send(
            &self.address,
            "POST",
            "/oauth/token",
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded".to_owned(),
            )],
            &body,
            http::TIMEOUT,
        )
        .expect("the token endpoint answers");
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["access_token"]
            .as_str()
            .expect("a JWT")
            .to_owned()
    }

    /// Creates the tenant `name` (domain `<name>.local.openedx.io`) with the operator's
    /// `admin` token.
    pub fn create_tenant(&self, admin: &str, name: &str) {
        let body = serde_json::json!({"name": name, "display_name": "Chaos"}).to_string();
        let created = http::send(
            &self.address,
            "POST",
            "/api/v1/admin/tenants/",
            &[
                http::bearer(admin),
                ("Content-Type", "application/json".to_owned()),
            ],
            body.as_bytes(),
            http::TIMEOUT,
        )
        .expect("the create is answered");
        assert_eq!(created.status, 201, "{}", created.body);
    }

    /// A new registration token of `tenant`.
    pub fn registration_token(&self, admin: &str, tenant: &str) -> String {
        let minted = http::send(
            &self.address,
            "POST",
            &format!("/api/v1/admin/tenants/{tenant}/tokens"),
            &[http::bearer(admin)],
            &[],
            http::TIMEOUT,
        )
        .expect("the token request is answered");
        assert_eq!(minted.status, 201, "{}", minted.body);
        minted.json()["token"]
            .as_str()
            .expect("the token is shown")
            .to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Resident memory of process `pid` in KiB (`VmRSS`), 0 when unknown.
pub fn rss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// `tenantry` beside the running executable (`target/<profile>/tenantry`), where cargo
/// builds it next to the tools of this crate.
pub fn sibling_server() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("tenantry")))
        .unwrap_or_else(|| PathBuf::from("tenantry"))
}

/// Why `server` cannot be started, if it cannot.
pub fn missing_server(server: &Path) -> Option<String> {
    (!server.is_file()).then(|| {
        format!(
            "no server binary at {} (build it: cargo build --release --bin tenantry)",
            server.display()
        )
    })
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// A log file in `directory` for one scenario.
pub fn log_file(directory: &Path, name: &str) -> PathBuf {
    let path = directory.join(format!("{name}.log"));
    let _ = File::create(&path);
    path
}
