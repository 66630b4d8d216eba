//! Connections per client address.
//!
//! The server-wide cap (`TENANTRY_MAX_CONNECTIONS`) keeps the process inside its file
//! limit, but one client that opens connections and then sends nothing (slowloris) can
//! fill it, and everyone else waits in the kernel's backlog until the read deadlines
//! free slots. So each address may hold at most `limit` connections at once; a connection
//! beyond that is answered 429 and closed as soon as it is accepted, before a byte of it
//! is read. Trusted proxies (`TENANTRY_TRUSTED_PROXIES`) carry many clients and are not
//! limited.

use std::any::Any;
use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, Shutdown};
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::dev::Extensions;

use crate::core::auth::TrustedProxies;

/// What a refused connection reads before it is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n\
Retry-After: 1\r\nConnection: close\r\nContent-Length: 52\r\n\r\n\
{\"detail\":\"Too many connections from this address.\"}";

/// Open connections by client address.
#[derive(Debug)]
pub struct ClientConnections {
    limit: usize,
    trusted: TrustedProxies,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection; dropping it (when the connection ends) gives its place back.
#[derive(Debug)]
pub struct ConnectionSlot {
    /// `None` for a trusted proxy's connection, which is not counted.
    owner: Option<Arc<ClientConnections>>,
    address: IpAddr,
}

impl ClientConnections {
    /// At most `limit` connections per address, any number from `trusted` proxies.
    pub fn new(limit: usize, trusted: TrustedProxies) -> Arc<Self> {
        Arc::new(Self {
            limit: limit.max(1),
            trusted,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more connection from `address`, if it has one left.
    pub fn admit(self: &Arc<Self>, address: IpAddr) -> Option<ConnectionSlot> {
        if self.trusted.contains(address) {
            return Some(ConnectionSlot {
                owner: None,
                address,
            });
        }
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(address).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            owner: Some(Arc::clone(self)),
            address,
        })
    }

    /// Connections `address` holds now.
    #[cfg(test)]
    fn open_from(&self, address: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(&address).copied().unwrap_or(0)
    }

    /// The `on_connect` hook: admits the new connection (its slot lives in the
    /// connection's extensions) or answers 429 and closes it.
    pub fn on_connect(self: &Arc<Self>, connection: &dyn Any, extensions: &mut Extensions) {
        let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
            return;
        };
        let Ok(peer) = stream.peer_addr() else {
            return;
        };
        match self.admit(peer.ip()) {
            Some(slot) => {
                extensions.insert(slot);
            }
            None => {
                let socket = socket2::SockRef::from(stream);
                // A fresh connection's send buffer takes the short answer whole.
                let _ = (&*socket).write(REFUSAL);
                let _ = socket.shutdown(Shutdown::Both);
            }
        }
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let Some(owner) = &self.owner else {
            return;
        };
        let mut open = owner.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn each_address_gets_its_own_places_and_gets_them_back() {
        let limits = ClientConnections::new(2, TrustedProxies::none());
        let first = limits.admit(ip("10.0.0.1")).unwrap();
        let _second = limits.admit(ip("10.0.0.1")).unwrap();
        assert!(
            limits.admit(ip("10.0.0.1")).is_none(),
            "the third is refused"
        );
        assert!(
            limits.admit(ip("10.0.0.2")).is_some(),
            "another address is not"
        );
        drop(first);
        assert_eq!(limits.open_from(ip("10.0.0.1")), 1);
        assert!(limits.admit(ip("10.0.0.1")).is_some(), "a place came back");
    }

    #[test]
    fn trusted_proxies_are_not_limited() {
        let limits = ClientConnections::new(1, TrustedProxies::parse("10.9.0.0/16").unwrap());
        let held: Vec<_> = (0..5)
            .map(|_| limits.admit(ip("10.9.1.1")).unwrap())
            .collect();
        assert_eq!(limits.open_from(ip("10.9.1.1")), 0);
        drop(held);
        assert!(limits.admit(ip("10.0.0.1")).is_some());
    }

    #[test]
    fn the_refusal_is_a_complete_response() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
        assert!(serde_json::from_str::<serde_json::Value>(body).is_ok());
    }
}
