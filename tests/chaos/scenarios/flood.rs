//! A slow-connection flood (slowloris): thousands of connections that send half a head or
//! half a body and then nothing, re-opened as soon as the server closes them, held by
//! child processes (each process may hold only so many files). Meanwhile a normal client
//! must still be answered promptly, and the server must never run out of files.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use tenantry_store::testing::TestDatabase;

use super::{Backend, Context, percentile};
use crate::report::Figures;
use tenantry_e2e::wire as http;

/// Connections one child process holds at most.
const PER_CHILD: usize = 5_000;

/// What a slow client sends before it goes quiet, by kind.
const SLOW_STARTS: [&str; 5] = [
    // a head that never ends
    "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n",
    // bodies that never end, on public endpoints
    "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\ngrant_type=pass",
    "POST /password-reset/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\npassword=",
    // and on endpoints that need credentials in a header (none given)
    "POST /api/create-tenant HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nserviceId=",
    "POST /tahoe/api/v1/registrations/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nname=",
];

pub fn run(context: &Context, backend: Backend, database: &TestDatabase) -> Figures {
    let mut figures = context.figures("flood", backend);
    let connections = context.size(20_000, 400);
    let server = context.start(database, "flood", backend, &[]);
    let token = server.admin_token();
    let started = Instant::now();
    let mut children = Vec::new();
    let mut remaining = connections;
    while remaining > 0 {
        let count = remaining.min(PER_CHILD);
        remaining -= count;
        // Each child is one attacking host: 127.0.0.2, 127.0.0.3, …; the normal client
        // below is 127.0.0.1.
        let source = format!("127.0.0.{}", children.len() + 2);
        let child = Command::new(std::env::current_exe().expect("the chaos binary's path"))
            .args(["flood-child", &server.address, &count.to_string(), &source])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("a flood child starts");
        children.push(child);
    }
    let mut opened = 0;
    for child in &mut children {
        let mut line = String::new();
        let stdout = child.stdout.take().expect("the child's stdout");
        let _ = BufReader::new(stdout).read_line(&mut line);
        opened += line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
    }
    let opening = started.elapsed();
    let mut latencies = Vec::new();
    let mut unanswered = 0;
    let mut server_files = 0;
    for probe in 0..20 {
        let sent = Instant::now();
        let credential = [http::bearer(&token)];
        let (path, headers): (&str, &[(&str, String)]) = if probe % 2 == 0 {
            ("/health", &[])
        } else {
            ("/api/v1/admin/tenants/", &credential)
        };
        match http::send(
            &server.address,
            "GET",
            path,
            headers,
            &[],
            Duration::from_secs(15),
        ) {
            Ok(reply) if reply.ok() => latencies.push(sent.elapsed().as_secs_f64()),
            Ok(reply) => {
                eprintln!("a normal request during the flood got {}", reply.status);
                unanswered += 1;
            }
            Err(error) => {
                eprintln!("a normal request during the flood failed: {error}");
                unanswered += 1;
            }
        }
        server_files = server_files.max(server.open_files());
        std::thread::sleep(Duration::from_millis(250));
    }
    for mut child in children {
        drop(child.stdin.take());
        let _ = child.wait();
    }
    let healthy_after = http::get(&server.address, "/health", Duration::from_secs(15))
        .is_ok_and(|reply| reply.status == 200);
    let out_of_files = server.log_text().contains("Too many open files");
    let slowest = latencies.iter().copied().fold(0.0, f64::max);
    let median = percentile(&mut latencies, 50.0);

    figures.show(
        &format!(
            "slow connections opened from {} address(es) (took s)",
            connections.div_ceil(PER_CHILD)
        ),
        format!("{opened} ({:.1})", opening.as_secs_f64()),
    );
    figures.show("server's open files at most", server_files);
    figures.check(
        "normal requests not answered (of 20)",
        unanswered,
        "0",
        unanswered == 0,
    );
    figures.show("normal request median (s)", format!("{median:.3}"));
    figures.resource(
        "normal request slowest (s)",
        format!("{slowest:.3}"),
        "<= 1",
        unanswered == 0 && slowest <= 1.0,
    );
    figures.check(
        "server ran out of files",
        out_of_files,
        "false",
        !out_of_files,
    );
    figures.check(
        "healthy after the flood",
        healthy_after,
        "true",
        healthy_after,
    );
    drop(server);
    figures
}

/// The child's side: opens `count` slow connections to `address` from `source` (an IP
/// address of this host), prints `opened <n>`, then keeps that many open (re-opening
/// what the server closes) until its standard input closes.
pub fn child(address: &str, count: usize, source: &str) {
    let address: SocketAddr = address.parse().expect("an address");
    let source: IpAddr = source.parse().expect("a source address");
    let stop = Arc::new(AtomicBool::new(false));
    let stopper = Arc::clone(&stop);
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        stopper.store(true, Ordering::SeqCst);
    });
    let threads = 8;
    let handles: Vec<_> = (0..threads)
        .map(|thread| {
            let share = count / threads + usize::from(thread < count % threads);
            std::thread::spawn(move || open_many(address, source, share, thread))
        })
        .collect();
    let mut streams: Vec<(usize, Option<TcpStream>)> = Vec::new();
    for handle in handles {
        streams.extend(handle.join().unwrap_or_default());
    }
    let opened = streams
        .iter()
        .filter(|(_, stream)| stream.is_some())
        .count();
    println!("opened {opened}");
    let _ = std::io::stdout().flush();
    while !stop.load(Ordering::SeqCst) {
        for (kind, slot) in &mut streams {
            let closed = slot.as_mut().is_none_or(|stream| {
                let mut byte = [0u8; 512];
                // An answer, the end of the stream or a reset: the server let go of it.
                !matches!(stream.read(&mut byte), Err(error) if error.kind() == std::io::ErrorKind::WouldBlock)
            });
            if closed && !stop.load(Ordering::SeqCst) {
                *slot = open_slow(address, source, *kind);
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn open_many(
    address: SocketAddr,
    source: IpAddr,
    count: usize,
    offset: usize,
) -> Vec<(usize, Option<TcpStream>)> {
    (0..count)
        .map(|index| {
            let kind = (index + offset) % SLOW_STARTS.len();
            (kind, open_slow(address, source, kind))
        })
        .collect()
}

fn open_slow(address: SocketAddr, source: IpAddr, kind: usize) -> Option<TcpStream> {
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None).ok()?;
    socket.bind(&SocketAddr::new(source, 0).into()).ok()?;
    socket
        .connect_timeout(&address.into(), Duration::from_secs(3))
        .ok()?;
    let mut stream: TcpStream = socket.into();
    stream.write_all(SLOW_STARTS[kind].as_bytes()).ok()?;
    stream.set_nonblocking(true).ok()?;
    Some(stream)
}
