use std::net::{Ipv4Addr, Ipv6Addr};

use actix_web::http::header::{HeaderName, HeaderValue};
use proptest::prelude::*;

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

const PROXY: &str = "10.0.0.5";

fn trusted() -> TrustedProxies {
    TrustedProxies::parse("10.0.0.0/24, 2001:db8:ffff::/48").unwrap()
}

#[test]
fn parses_addresses_and_networks() {
    let proxies = TrustedProxies::parse(" 10.0.0.1 ,192.168.0.0/16,fd00::/8, ::1,").unwrap();
    assert_eq!(
        proxies.to_string(),
        "10.0.0.1/32,192.168.0.0/16,fd00::/8,::1/128"
    );
    assert!(proxies.contains(ip("10.0.0.1")));
    assert!(!proxies.contains(ip("10.0.0.2")));
    assert!(proxies.contains(ip("192.168.255.1")));
    assert!(proxies.contains(ip("::ffff:192.168.1.1")), "mapped IPv4");
    assert!(proxies.contains(ip("fd12::1")));
    assert!(proxies.contains(ip("::1")));
    assert!(!proxies.contains(ip("127.0.0.1")));
    assert!(TrustedProxies::parse("").unwrap().is_empty());
    assert!(TrustedProxies::parse(" , ").unwrap().is_empty());
    let mapped = TrustedProxies::parse("::ffff:10.0.0.0/104").unwrap();
    assert_eq!(mapped.to_string(), "10.0.0.0/8");
    assert!(mapped.contains(ip("10.9.9.9")));
    let everyone = TrustedProxies::parse("0.0.0.0/0").unwrap();
    assert!(everyone.contains(ip("203.0.113.9")));
    assert!(
        !everyone.contains(ip("2001:db8::1")),
        "IPv4 networks hold no IPv6"
    );
}

#[test]
fn refuses_what_is_not_an_address_or_network() {
    for (text, error) in [
        (
            "proxy.example",
            TrustedProxiesError::NotAnAddress("proxy.example".into()),
        ),
        (
            "10.0.0.0/",
            TrustedProxiesError::NotAnAddress("10.0.0.0/".into()),
        ),
        (
            "10.0.0.0/-1",
            TrustedProxiesError::NotAnAddress("10.0.0.0/-1".into()),
        ),
        (
            "10.0.0.0/33",
            TrustedProxiesError::PrefixTooLong("10.0.0.0/33".into()),
        ),
        (
            "::/129",
            TrustedProxiesError::PrefixTooLong("::/129".into()),
        ),
        (
            "10.0.0.0/999",
            TrustedProxiesError::PrefixTooLong("10.0.0.0/999".into()),
        ),
        (
            "10.0.0.1 10.0.0.2",
            TrustedProxiesError::NotAnAddress("10.0.0.1 10.0.0.2".into()),
        ),
    ] {
        assert_eq!(TrustedProxies::parse(text), Err(error), "{text}");
    }
    assert_eq!(
        TrustedProxiesError::PrefixTooLong("::/129".into()).to_string(),
        "\"::/129\" has a prefix longer than its address"
    );
}

#[test]
fn without_trusted_proxies_the_peer_is_the_client() {
    let spoofed = headers(&[
        ("x-forwarded-for", "198.51.100.7"),
        ("forwarded", "for=198.51.100.7"),
    ]);
    assert_eq!(
        TrustedProxies::none().client_address(ip("203.0.113.1"), &spoofed),
        ip("203.0.113.1")
    );
    // A peer that is not trusted is believed no more when others are.
    assert_eq!(
        trusted().client_address(ip("203.0.113.1"), &spoofed),
        ip("203.0.113.1")
    );
}

#[test]
fn a_trusted_proxy_names_the_client() {
    let proxies = trusted();
    let cases = [
        (vec![("x-forwarded-for", "198.51.100.7")], "198.51.100.7"),
        (
            vec![("x-forwarded-for", "198.51.100.7:4711")],
            "198.51.100.7",
        ),
        (vec![("x-forwarded-for", "2001:db8::7")], "2001:db8::7"),
        (
            vec![("x-forwarded-for", "[2001:db8::7]:4711")],
            "2001:db8::7",
        ),
        // Whatever the client prepends, the address the first proxy saw wins.
        (
            vec![("x-forwarded-for", "1.1.1.1, 198.51.100.7")],
            "198.51.100.7",
        ),
        // Two trusted hops are skipped, over two header lines.
        (
            vec![
                ("x-forwarded-for", "1.1.1.1, 198.51.100.7"),
                ("x-forwarded-for", "10.0.0.9"),
            ],
            "198.51.100.7",
        ),
        (
            vec![("forwarded", "for=198.51.100.7;proto=https")],
            "198.51.100.7",
        ),
        (
            vec![("forwarded", r#"for="[2001:db8::7]:4711", For=10.0.0.9"#)],
            "2001:db8::7",
        ),
        (
            vec![("forwarded", "proto=https;FOR=198.51.100.7")],
            "198.51.100.7",
        ),
        // Both headers, naming the same client.
        (
            vec![
                ("x-forwarded-for", "198.51.100.7"),
                ("forwarded", "for=198.51.100.7"),
            ],
            "198.51.100.7",
        ),
        // Both headers disagree: one is forged, neither is believed.
        (
            vec![
                ("x-forwarded-for", "198.51.100.7"),
                ("forwarded", "for=192.0.2.66"),
            ],
            PROXY,
        ),
        // An unreadable hop stops the walk at the nearest trusted hop.
        (vec![("forwarded", "for=unknown")], PROXY),
        (
            vec![("x-forwarded-for", "198.51.100.7, _hidden, 10.0.0.9")],
            "10.0.0.9",
        ),
        (vec![("x-forwarded-for", "")], PROXY),
        // Every hop trusted: the leftmost.
        (vec![("x-forwarded-for", "10.0.0.8, 10.0.0.9")], "10.0.0.8"),
        // No forwarding header: the proxy itself.
        (vec![], PROXY),
        (
            vec![("x-forwarded-for", "::ffff:198.51.100.7")],
            "198.51.100.7",
        ),
    ];
    for (pairs, expected) in cases {
        assert_eq!(
            proxies.client_address(ip(PROXY), &headers(&pairs)),
            ip(expected),
            "{pairs:?}"
        );
    }
    assert_eq!(
        proxies.client_address(
            ip("::ffff:10.0.0.5"),
            &headers(&[("x-forwarded-for", "198.51.100.7")])
        ),
        ip("198.51.100.7"),
        "an IPv4-mapped peer is its IPv4 address"
    );
}

fn any_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|bits| IpAddr::V4(Ipv4Addr::from_bits(bits))),
        any::<u128>().prop_map(|bits| IpAddr::V6(Ipv6Addr::from_bits(bits))),
    ]
}

proptest! {
    #[test]
    fn a_network_holds_exactly_the_addresses_sharing_its_prefix(
        network in any_ip(),
        other in any_ip(),
        prefix in 0_u8..=128,
    ) {
        let longest = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix % (longest + 1);
        let network = network.to_canonical();
        let proxies = TrustedProxies::parse(&format!("{network}/{prefix}")).unwrap();
        let shares_prefix = |ip: IpAddr| match (network, ip.to_canonical()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                prefix == 0 || a.to_bits() >> (32 - u32::from(prefix)) == b.to_bits() >> (32 - u32::from(prefix))
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                prefix == 0 || a.to_bits() >> (128 - u32::from(prefix)) == b.to_bits() >> (128 - u32::from(prefix))
            }
            _ => false,
        };
        prop_assert!(proxies.contains(network));
        prop_assert_eq!(proxies.contains(other), shares_prefix(other));
    }

    #[test]
    fn parse_reads_back_what_display_writes(
        entries in prop::collection::vec((any_ip(), 0_u8..=128), 0..5),
    ) {
        let text: Vec<String> = entries
            .iter()
            .map(|(ip, prefix)| {
                let ip = ip.to_canonical();
                let longest = if ip.is_ipv4() { 32 } else { 128 };
                format!("{ip}/{}", prefix % (longest + 1))
            })
            .collect();
        let parsed = TrustedProxies::parse(&text.join(",")).unwrap();
        prop_assert_eq!(TrustedProxies::parse(&parsed.to_string()).unwrap(), parsed.clone());
        prop_assert_eq!(parsed.to_string(), text.join(","));
    }

    #[test]
    fn parse_never_panics(text in "\\PC{0,60}") {
        let _ = TrustedProxies::parse(&text);
    }

    #[test]
    fn a_client_cannot_hide_behind_what_it_prepends(
        forged in prop::collection::vec("[0-9a-f.:\\[\\]_ ]{0,20}", 0..4),
        client in any_ip(),
    ) {
        let client = client.to_canonical();
        prop_assume!(!trusted().contains(client));
        let mut list = forged;
        list.push(client.to_string());
        let pairs = [("x-forwarded-for", list.join(","))];
        let map = headers(&[(pairs[0].0, pairs[0].1.as_str())]);
        prop_assert_eq!(trusted().client_address(ip(PROXY), &map), client);
    }
}
