use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::*;

#[test]
fn every_listed_action_has_its_event_and_others_have_none() {
    assert_eq!(
        EventType::for_action(Action::TenantCreate),
        Some(EventType::TenantCreated)
    );
    assert_eq!(
        EventType::for_action(Action::UserActivate),
        Some(EventType::UserActivated)
    );
    assert_eq!(EventType::for_action(Action::TokenCreate), None);
    assert_eq!(EventType::for_action(Action::TenantImpersonate), None);
    let mapped: Vec<EventType> = Action::ALL
        .into_iter()
        .filter_map(EventType::for_action)
        .collect();
    assert_eq!(
        mapped,
        EventType::ALL,
        "each event type comes from exactly one action"
    );
    for event in EventType::ALL {
        assert_eq!(event.as_str().parse::<EventType>(), Ok(event));
    }
    assert_eq!(
        "tenant.create".parse::<EventType>(),
        Err(UnknownEventType("tenant.create".into()))
    );
}

#[test]
fn urls_are_split_into_what_a_delivery_needs() {
    let url = WebhookUrl::parse("https://Hooks.Example.com/tenantry?panel=1").unwrap();
    assert!(url.https);
    assert_eq!((url.host.as_str(), url.port), ("hooks.example.com", 443));
    assert_eq!(url.path_and_query, "/tenantry?panel=1");
    assert_eq!(url.host_header(), "hooks.example.com");
    let url = WebhookUrl::parse("http://127.0.0.1:8099").unwrap();
    assert_eq!(
        (url.host.as_str(), url.port, url.path_and_query.as_str()),
        ("127.0.0.1", 8099, "/")
    );
    assert_eq!(url.host_header(), "127.0.0.1:8099");
    let url = WebhookUrl::parse("http://[::1]:9000/in").unwrap();
    assert_eq!(
        (url.host.as_str(), url.host_header()),
        ("::1", "[::1]:9000".to_owned())
    );
    assert_eq!(url.as_str(), "http://[::1]:9000/in");
}

#[test]
fn unusable_urls_are_refused_with_the_reason() {
    let refused = |text: &str| WebhookUrl::parse(text).unwrap_err().to_string();
    assert_eq!(
        refused("ftp://example.com"),
        "must start with https:// or http://"
    );
    assert_eq!(
        refused("example.com/hook"),
        "must start with https:// or http://"
    );
    assert_eq!(
        refused("https://user:pw@example.com/"),
        "is not a valid URL: credentials do not belong in the URL"
    );
    assert_eq!(
        refused("https://example.com/#top"),
        "is not a valid URL: it has a fragment"
    );
    assert_eq!(
        refused("https:///path"),
        "is not a valid URL: the host is missing or invalid"
    );
    assert_eq!(
        refused("https://example.com:0/"),
        "is not a valid URL: the port is not 1-65535"
    );
    assert_eq!(
        refused("https://example.com:99999/"),
        "is not a valid URL: the port is not 1-65535"
    );
    assert_eq!(
        refused("https://exa mple.com/"),
        "is not a valid URL: it contains spaces or control characters"
    );
    assert_eq!(
        refused(&format!("https://example.com/{}", "a".repeat(2000))),
        "is longer than 2000 characters"
    );
}

#[test]
fn restricted_addresses_are_named() {
    let named = |ip: IpAddr| restricted_address(ip);
    assert_eq!(named(IpAddr::V4(Ipv4Addr::LOCALHOST)), Some("loopback"));
    assert_eq!(
        named(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))),
        Some("private")
    );
    assert_eq!(
        named(IpAddr::V4(Ipv4Addr::new(172, 16, 0, 1))),
        Some("private")
    );
    assert_eq!(
        named(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1))),
        Some("private")
    );
    assert_eq!(
        named(IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254))),
        Some("link-local")
    );
    assert_eq!(
        named(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        Some("unspecified")
    );
    assert_eq!(
        named(IpAddr::V4(Ipv4Addr::new(100, 64, 0, 1))),
        Some("shared (carrier-grade NAT)")
    );
    assert_eq!(named(IpAddr::V6(Ipv6Addr::LOCALHOST)), Some("loopback"));
    assert_eq!(
        named("fd00::1".parse().unwrap()),
        Some("private (unique local)")
    );
    assert_eq!(named("fe80::1".parse().unwrap()), Some("link-local"));
    assert_eq!(named("::ffff:127.0.0.1".parse().unwrap()), Some("loopback"));
    assert_eq!(
        named("64:ff9b::a9fe:a9fe".parse().unwrap()),
        Some("link-local"),
        "NAT64 of 169.254.169.254"
    );
    assert_eq!(
        named("2002:7f00:1::".parse().unwrap()),
        Some("loopback"),
        "6to4 of 127.0.0.1"
    );
    assert_eq!(
        named("::10.0.0.1".parse().unwrap()),
        Some("private"),
        "IPv4-compatible"
    );
    assert_eq!(named("fec0::1".parse().unwrap()), Some("site-local"));
    assert!(named(IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1))).is_some());
    assert_eq!(
        named(IpAddr::V4(Ipv4Addr::new(240, 0, 0, 1))),
        Some("reserved")
    );
    assert_eq!(
        named("64:ff9b::5db8:d70e".parse().unwrap()),
        None,
        "NAT64 of a public address"
    );
    assert_eq!(named(IpAddr::V4(Ipv4Addr::new(93, 184, 215, 14))), None);
    assert_eq!(named("2606:2800:21f:cb07::1".parse().unwrap()), None);
}

proptest! {
    #[test]
    fn parsing_never_panics_and_accepted_urls_keep_their_parts(text in "\\PC{0,80}") {
        if let Ok(url) = WebhookUrl::parse(&text) {
            prop_assert!(url.path_and_query.starts_with('/'));
            prop_assert!(!url.host.is_empty());
            prop_assert!(url.port > 0);
            prop_assert_eq!(url.as_str(), text.as_str());
        }
    }

    #[test]
    fn generated_urls_round_trip(
        https in any::<bool>(),
        host in "[a-z][a-z0-9-]{0,20}(\\.[a-z]{2,6}){1,2}",
        port in proptest::option::of(1u16..),
        path in "(/[a-zA-Z0-9_.-]{0,10}){0,3}",
    ) {
        let scheme = if https { "https" } else { "http" };
        let authority = port.map_or(host.clone(), |port| format!("{host}:{port}"));
        let url = WebhookUrl::parse(&format!("{scheme}://{authority}{path}")).unwrap();
        prop_assert_eq!(url.https, https);
        prop_assert_eq!(&url.host, &host);
        prop_assert_eq!(url.port, port.unwrap_or(if https { 443 } else { 80 }));
        prop_assert_eq!(url.path_and_query, if path.is_empty() { "/".to_owned() } else { path });
    }
}
