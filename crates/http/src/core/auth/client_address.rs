//! Where a request comes from: the TCP peer, or — when the peer is a trusted reverse
//! proxy — the client that proxy names in `X-Forwarded-For` or `Forwarded` (RFC 7239).
//!
//! Forwarding headers are written by whoever sends the request, so they are believed only
//! from a [`TrustedProxies`] peer, and only as far back as the chain of trusted proxies
//! goes: the list is read right to left (the nearest hop last) and the first address that
//! is not a trusted proxy is the client. A client may prepend anything it likes; it cannot
//! hide its own address, which the first trusted proxy appends.
//!
//! A proxy that manages one of the two headers passes the other through untouched, so a
//! client could forge that one. When both are present and name different clients, neither
//! is believed and the peer (the proxy) is the source; when a hop cannot be read
//! (`for=unknown`, an obfuscated name, garbage), the nearest trusted hop is.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::HeaderMap;

/// The addresses and networks whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

/// An IP network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                network.to_bits() & mask == ip.to_bits() & mask
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                network.to_bits() & mask == ip.to_bits() & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// Why a list of trusted proxies could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustedProxiesError {
    /// An entry is not an IP address or `address/prefix`.
    #[error("{0:?} is not an IP address or network (such as 10.0.0.1 or 10.0.0.0/8)")]
    NotAnAddress(String),
    /// A prefix is longer than the address (over 32 for IPv4, 128 for IPv6).
    #[error("{0:?} has a prefix longer than its address")]
    PrefixTooLong(String),
}

impl TrustedProxies {
    /// No trusted proxy: forwarding headers are ignored.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads a comma-separated list of IP addresses and CIDR networks
    /// (`10.0.0.1, 10.1.0.0/16, fd00::/8`); an empty list trusts nobody. IPv4-mapped IPv6
    /// entries mean the IPv4 address they carry.
    pub fn parse(text: &str) -> Result<Self, TrustedProxiesError> {
        let mut networks = Vec::new();
        for entry in text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            let not_an_address = || TrustedProxiesError::NotAnAddress(entry.to_owned());
            let (address, prefix) = match entry.split_once('/') {
                Some((address, prefix)) => {
                    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(not_an_address());
                    }
                    let prefix: u8 = prefix
                        .parse()
                        .map_err(|_| TrustedProxiesError::PrefixTooLong(entry.to_owned()))?;
                    (address, Some(prefix))
                }
                None => (entry, None),
            };
            let address: IpAddr = address.parse().map_err(|_| not_an_address())?;
            let (address, prefix) = match address {
                IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) if prefix.is_none_or(|prefix| prefix >= 96) => {
                        (IpAddr::V4(v4), prefix.map_or(32, |prefix| prefix - 96))
                    }
                    _ => (address, prefix.unwrap_or(128)),
                },
                IpAddr::V4(_) => (address, prefix.unwrap_or(32)),
            };
            let longest = if address.is_ipv4() { 32 } else { 128 };
            if prefix > longest {
                return Err(TrustedProxiesError::PrefixTooLong(entry.to_owned()));
            }
            networks.push(Network { address, prefix });
        }
        Ok(Self(networks))
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client a request from `peer` with `headers` comes from (see the module docs).
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let forwarded_for = hops(headers, "x-forwarded-for", |item| Some(item.trim()));
        let forwarded = hops(headers, "forwarded", forwarded_for_value);
        let from_xff = forwarded_for.map(|hops| self.walk(peer, &hops));
        let from_forwarded = forwarded.map(|hops| self.walk(peer, &hops));
        match (from_xff, from_forwarded) {
            (Some(a), Some(b)) if a != b => peer,
            (Some(client), _) | (None, Some(client)) => client,
            (None, None) => peer,
        }
    }

    /// The first untrusted address from the right of `hops`; the nearest trusted one
    /// when a hop cannot be read; the leftmost when every hop is trusted.
    fn walk(&self, peer: IpAddr, hops: &[Option<IpAddr>]) -> IpAddr {
        let mut nearest_trusted = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if self.contains(*ip) => nearest_trusted = *ip,
                Some(ip) => return *ip,
                None => return nearest_trusted,
            }
        }
        nearest_trusted
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for network in &self.0 {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{network}")?;
        }
        Ok(())
    }
}

/// The hops every `name` header lists, in order, each an address or `None` when it could
/// not be read; `None` when there is no such header. A header that is not visible ASCII
/// counts as one unreadable hop.
fn hops(
    headers: &HeaderMap,
    name: &str,
    value_of: fn(&str) -> Option<&str>,
) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    let mut present = false;
    for value in headers.get_all(name) {
        present = true;
        let Ok(text) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for item in text.split(',') {
            hops.push(value_of(item).and_then(parse_node));
        }
    }
    present.then_some(hops)
}

/// The `for=` parameter of one `Forwarded` element (`for=192.0.2.1;proto=https`).
fn forwarded_for_value(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(socket) = text.parse::<SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests;
