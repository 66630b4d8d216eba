//! A TCP proxy the test controls, between tenantry and its PostgreSQL server.
//!
//! [`Proxy::freeze`] stops forwarding in both directions but keeps every connection open,
//! as a stopped (SIGSTOP) or partitioned server whose kernel still acknowledges TCP does;
//! [`Proxy::cut`] closes every connection and refuses new ones, as a crashed server or a
//! broken link does. Both are undone by calling them again with `false`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running proxy on `127.0.0.1:`[`port`](Proxy::port).
pub struct Proxy {
    /// The port clients connect to.
    pub port: u16,
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    frozen: AtomicBool,
    cut: AtomicBool,
    /// Both ends of every forwarded connection, to close them on a cut.
    open: Mutex<Vec<TcpStream>>,
}

impl Proxy {
    /// Forwards connections on a free port to `target` (`host:port`).
    ///
    /// # Panics
    /// When no local port can be bound.
    pub fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port for the proxy");
        let port = listener.local_addr().expect("the proxy's address").port();
        let state = Arc::new(State::default());
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                if shared.cut.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let (Ok(client_copy), Ok(server_copy)) = (client.try_clone(), server.try_clone())
                else {
                    continue;
                };
                if let (Ok(client_kept), Ok(server_kept)) = (client.try_clone(), server.try_clone())
                {
                    let mut open = shared.open.lock().unwrap_or_else(|p| p.into_inner());
                    open.push(client_kept);
                    open.push(server_kept);
                }
                for (from, to) in [(client_copy, server_copy), (server, client)] {
                    let state = Arc::clone(&shared);
                    std::thread::spawn(move || pump(from, to, &state));
                }
            }
        });
        Proxy { port, state }
    }

    /// Stops (`true`) or resumes (`false`) forwarding; connections stay open.
    pub fn freeze(&self, frozen: bool) {
        self.state.frozen.store(frozen, Ordering::SeqCst);
    }

    /// Closes every connection and refuses new ones (`true`), or accepts again (`false`).
    pub fn cut(&self, cut: bool) {
        self.state.cut.store(cut, Ordering::SeqCst);
        if cut {
            let mut open = self.state.open.lock().unwrap_or_else(|p| p.into_inner());
            for stream in open.drain(..) {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }

    /// The URL `url` (`postgres://user@host:port/db?…`) rewritten to go through the proxy.
    pub fn route(&self, url: &str) -> String {
        let target = host_port(url);
        url.replacen(&target, &format!("127.0.0.1:{}", self.port), 1)
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, state: &State) {
    let mut buffer = [0u8; 16 * 1024];
    let wait = |state: &State| {
        while state.frozen.load(Ordering::SeqCst) && !state.cut.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    loop {
        wait(state);
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                wait(state);
                if state.cut.load(Ordering::SeqCst) || to.write_all(&buffer[..read]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// `host:port` of a PostgreSQL URL such as `postgres://user@127.0.0.1:5432/db`.
///
/// # Panics
/// When `url` has no `://`.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").expect("a URL with a scheme").1;
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    rest.split(['/', '?']).next().unwrap_or(rest).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_part_of_a_url_is_found() {
        assert_eq!(
            host_port("postgres://u:p@db.example:5433/x?sslmode=disable"),
            "db.example:5433"
        );
        assert_eq!(
            host_port("postgres://127.0.0.1:5432/postgres"),
            "127.0.0.1:5432"
        );
    }
}
