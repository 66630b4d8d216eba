//! Signals to the real `tenantry` binary: SIGINT (Ctrl-C) stops it as gracefully as
//! SIGTERM, letting a request in flight finish.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use tenantry_e2e::TestDatabase;
use tenantry_e2e::process::{Server, log_file};

fn server_binary() -> PathBuf {
    // `cargo test --workspace` builds the server beside the chaos tool.
    PathBuf::from(env!("CARGO_BIN_EXE_tenantry-chaos")).with_file_name("tenantry")
}

fn an_upload_in_flight_finishes_after(signal: &str) {
    let database = TestDatabase::sqlite();
    let directory = tempfile::tempdir().unwrap();
    let log = log_file(directory.path(), "server");
    let mut server = Server::start(&server_binary(), &database.url_string(), &log, &[]);
    let token = server.admin_token();
    let body = br#"{"name": "inflight", "display_name": "Sent while stopping"}"#;
    let mut stream = TcpStream::connect(&server.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let head = format!(
        "POST /api/v1/admin/tenants/ HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.address,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(300));

    server.signal(signal);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        server.wait_for_exit(Duration::ZERO).is_none(),
        "SIG{signal} stopped the server with a request in flight"
    );
    stream.write_all(&body[10..]).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the upload was dropped: {answer}"
    );
    let status = server
        .wait_for_exit(Duration::from_secs(20))
        .expect("the server stops once the request is answered");
    assert!(status.success(), "SIG{signal}: {status}");
}

#[test]
fn sigint_lets_a_request_in_flight_finish() {
    an_upload_in_flight_finishes_after("INT");
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    an_upload_in_flight_finishes_after("TERM");
}
