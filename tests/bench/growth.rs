//! The tenant count: one database grown with the admin API's create (each tenant with its
//! generated domain and its audit event), probed at each checkpoint with 4 connections.

use std::sync::Arc;
use std::time::Duration;

use tenantry_e2e::process::Server;
use tenantry_e2e::wire;

use crate::load::{self, MakeRequest, Plan};
use crate::report::Point;

/// Creates tenants `g<from>`…`g<to - 1>` with 8 connections.
fn grow(server: &Server, token: &str, from: u64, to: u64) {
    let token = token.to_owned();
    let make: MakeRequest = Arc::new(move |n| create(&token, &format!("g{}", from + n)));
    let mut plan = Plan::new(8, 3600);
    plan.warmup = Duration::ZERO;
    plan.limit = Some(to - from);
    let address = server.address.parse().expect("an address");
    let outcome = load::run(address, &plan, &make);
    assert!(
        outcome.unexpected(201) == 0,
        "growing to {to} tenants: {:?}, {} failures",
        outcome.statuses,
        outcome.failures
    );
}

fn create(token: &str, name: &str) -> Vec<u8> {
    let body = format!(r#"{{"name":"{name}","display_name":"Growth {name}"}}"#);
    load::request(
        "POST",
        "/api/v1/admin/tenants/",
        &[
            wire::bearer(token),
            ("Content-Type", "application/json".to_owned()),
        ],
        body.as_bytes(),
    )
}

/// Grows the database through `checkpoints` and probes each operation at each one.
pub fn measure(
    backend: &'static str,
    server: &Server,
    token: &str,
    checkpoints: &[u64],
    seconds: u64,
) -> Vec<Point> {
    let mut points = Vec::new();
    let mut count = 0;
    for &checkpoint in checkpoints {
        grow(server, token, count, checkpoint);
        count = checkpoint;
        let address = server.address.parse().expect("an address");
        let plan = Plan::new(4, seconds);
        let pick = move |n: u64| (n.wrapping_mul(2_654_435_761) % count.max(1)).to_string();
        let deep = (count / 20).clamp(1, 4000);
        let bearer = Arc::new(wire::bearer(token));
        let get =
            move |path: String| load::request("GET", &path, std::slice::from_ref(&*bearer), &[]);
        let probes: Vec<(&'static str, u16, MakeRequest)> = vec![
            ("create", 201, {
                let (token, prefix) = (token.to_owned(), format!("p{checkpoint}x"));
                Arc::new(move |n| create(&token, &format!("{prefix}{n}")))
            }),
            ("get", 200, {
                let get = get.clone();
                Arc::new(move |n| get(format!("/api/v1/admin/tenants/g{}", pick(n))))
            }),
            ("list first page", 200, {
                let request = get("/api/v1/admin/tenants/?per_page=20".to_owned());
                Arc::new(move |_| request.clone())
            }),
            ("list deep page", 200, {
                let request = get(format!("/api/v1/admin/tenants/?per_page=20&page={deep}"));
                Arc::new(move |_| request.clone())
            }),
            ("search", 200, {
                let get = get.clone();
                Arc::new(move |n| get(format!("/api/v1/admin/tenants/?search=g{}", pick(n))))
            }),
            ("resolve", 200, {
                let get = get.clone();
                Arc::new(move |n| {
                    get(format!(
                        "/api/v1/resolve?host=g{}.local.openedx.io",
                        pick(n)
                    ))
                })
            }),
        ];
        for (operation, expected, make) in probes {
            let outcome = load::run(address, &plan, &make);
            points.push(Point {
                backend,
                tenants: checkpoint,
                operation,
                rate: outcome.rate(),
                p99: outcome.percentile_ms(99.0),
                unexpected: outcome.unexpected(expected),
            });
        }
    }
    points
}
