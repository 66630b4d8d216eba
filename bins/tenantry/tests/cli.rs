//! The `tenantry` executable as a user runs it: commands, start-up errors, signals.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_tenantry");

fn tenantry(data: &Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env(
            "TENANTRY_DATABASE_URL",
            format!("sqlite://{}/tenantry.db", data.display()),
        );
    command
}

fn run(command: &mut Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn invalid_settings_stop_start_up_with_a_message_naming_them() {
    let data = tempfile::tempdir().unwrap();
    let output = run(
        tenantry(data.path()).args(["migrate", "--database-url", "mysql://db/x"]),
        "",
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("--database-url"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let output = run(
        tenantry(data.path()).env("TENANTRY_BIND", "not-an-address"),
        "",
    );
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("--bind"),
        "{}",
        text(&output.stderr)
    );

    let output = run(
        tenantry(data.path()).env("TENANTRY_SMTP_URL", "smtp://mailer:hunter2@mail?tls=maybe"),
        "",
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("--smtp-url"), "{stderr}");
    assert!(stderr.contains("tls="), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn migrate_applies_once() {
    let data = tempfile::tempdir().unwrap();
    let first = run(tenantry(data.path()).arg("migrate"), "");
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("applied 2026-11-23-000001_control_plane"));
    let second = run(tenantry(data.path()).arg("migrate"), "");
    assert_eq!(text(&second.stdout), "database is up to date\n");
}

#[test]
fn admin_create_takes_the_password_from_stdin_and_refuses_duplicates() {
    let data = tempfile::tempdir().unwrap();
    let create = || {
        let mut command = tenantry(data.path());
        command.args(["admin", "create", "--username", "ops", "--password-stdin"]);
        command
    };
    let output = run(&mut create(), "a-long-operator-password\n");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "created operator ops\n");
    assert!(
        !text(&output.stderr).contains("a-long-operator-password"),
        "secrets stay out of logs"
    );

    let again = run(&mut create(), "another-long-password\n");
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("operator ops already exists"),
        "{}",
        text(&again.stderr)
    );

    let weak = run(
        tenantry(data.path()).args(["admin", "create", "--username", "weak", "--password-stdin"]),
        "short\n",
    );
    assert!(!weak.status.success());
    assert!(
        text(&weak.stderr).contains("too weak"),
        "{}",
        text(&weak.stderr)
    );

    let changed = run(
        tenantry(data.path()).args([
            "admin",
            "set-password",
            "--username",
            "ops",
            "--password-stdin",
        ]),
        "a-changed-operator-password\n",
    );
    assert!(changed.status.success(), "{}", text(&changed.stderr));
    assert_eq!(
        text(&changed.stdout),
        "changed the password of operator ops\n"
    );
    let nobody = run(
        tenantry(data.path()).args([
            "admin",
            "set-password",
            "--username",
            "nobody",
            "--password-stdin",
        ]),
        "a-changed-operator-password\n",
    );
    assert!(!nobody.status.success());
    assert!(
        text(&nobody.stderr).contains("there is no operator nobody"),
        "{}",
        text(&nobody.stderr)
    );

    let no_password = run(
        tenantry(data.path()).args(["admin", "create", "--username", "nopw"]),
        "",
    );
    assert!(!no_password.status.success());
    assert!(text(&no_password.stderr).contains("--password-stdin"));
}

fn http_get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn drain(lines: &mpsc::Receiver<String>) -> Vec<String> {
    lines.iter().collect()
}

#[test]
fn serve_creates_an_operator_once_and_stops_gracefully_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let (child, port, lines) = serve_with(data.path());
    assert!(http_get(port, "/health").starts_with("HTTP/1.1 200 OK"));
    assert!(http_get(port, "/ready").starts_with("HTTP/1.1 200 OK"));
    let log = stop(child, &lines);
    let announcements: Vec<&String> = log
        .iter()
        .filter(|line| line.contains("with password"))
        .collect();
    assert_eq!(
        announcements.len(),
        1,
        "the generated password is logged once: {log:#?}"
    );
    let position = |text: &str| log.iter().position(|line| line.contains(text));
    let worker_stopped = position("outbox delivery stopped").expect("the worker stops");
    let stopped = position("tenantry stopped").expect("the server stops");
    assert!(worker_stopped < stopped, "{log:#?}");

    let (child, port, lines) = serve_with(data.path());
    assert!(http_get(port, "/health").starts_with("HTTP/1.1 200 OK"));
    let log = stop(child, &lines);
    assert!(
        !log.iter().any(|line| line.contains("with password")),
        "no second operator: {log:#?}"
    );
}

fn serve_with(data: &Path) -> (Child, u16, mpsc::Receiver<String>) {
    let mut command = tenantry(data);
    command.args(["serve", "--bind", "127.0.0.1:0"]);
    spawn_logged(command)
}

/// Starts the server; returns it, its port and its log lines (those already read first).
fn spawn_logged(mut command: Command) -> (Child, u16, mpsc::Receiver<String>) {
    let mut child = command
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let port = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the server never said it was listening: {seen:#?}"));
        let port = line
            .split("listening on http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|port| port.parse().ok());
        seen.push(line);
        if let Some(port) = port {
            break port;
        }
    };
    let (replay, replayed) = mpsc::channel();
    for line in seen {
        replay.send(line).unwrap();
    }
    std::thread::spawn(move || {
        for line in lines {
            if replay.send(line).is_err() {
                break;
            }
        }
    });
    (child, port, replayed)
}

fn stop(mut child: Child, lines: &mpsc::Receiver<String>) -> Vec<String> {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "SIGTERM is a clean stop, got {exit:?}");
    drain(lines)
}

#[test]
fn reading_commands_create_nothing_and_name_the_database_they_looked_for() {
    let elsewhere = tempfile::tempdir().unwrap();
    for args in [&["hosts"][..], &["eox-tenant", "export"][..]] {
        let mut command = Command::new(BINARY);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(elsewhere.path())
            .args(args);
        let output = run(&mut command, "");
        assert!(!output.status.success(), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("there is no database at data/tenantry.db"),
            "{args:?}: {stderr}"
        );
        assert!(
            !elsewhere.path().join("data").exists(),
            "{args:?} created ./data"
        );
    }
}

#[test]
fn a_database_in_a_missing_directory_is_refused_and_the_default_one_is_created() {
    let root = tempfile::tempdir().unwrap();
    let mut typo = tenantry(&root.path().join("nonexistent/dir"));
    let output = run(typo.arg("migrate"), "");
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("does not exist"),
        "{}",
        text(&output.stderr)
    );
    assert!(!root.path().join("nonexistent").exists());

    let mut default = Command::new(BINARY);
    default
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(root.path())
        .arg("migrate");
    let output = run(&mut default, "");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(root.path().join("data/tenantry.db").is_file());
    let mut hosts = Command::new(BINARY);
    hosts
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(root.path())
        .arg("hosts");
    let output = run(&mut hosts, "");
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn eox_tenant_sync_needs_a_valid_database_url_and_never_shows_its_password() {
    let data = tempfile::tempdir().unwrap();
    assert!(
        run(tenantry(data.path()).arg("migrate"), "")
            .status
            .success()
    );
    let output = run(tenantry(data.path()).args(["eox-tenant", "sync"]), "");
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("TENANTRY_EOX_DATABASE_URL is unset"),
        "{stderr}"
    );

    for url in [
        "mysql://lms:hunter2@db",
        "postgres://lms:hunter2@db/openedx",
    ] {
        let output = run(
            tenantry(data.path())
                .env("TENANTRY_EOX_DATABASE_URL", url)
                .args(["eox-tenant", "sync", "--dry-run"]),
            "",
        );
        assert!(!output.status.success(), "{url}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains("--eox-database-url"), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }

    // A server that does not answer: the command fails naming it, without the password.
    let output = run(
        tenantry(data.path())
            .env(
                "TENANTRY_EOX_DATABASE_URL",
                "mysql://lms:hunter2@127.0.0.1:9/openedx",
            )
            .args(["eox-tenant", "sync"]),
        "",
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("mysql://lms@127.0.0.1:9/openedx"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
