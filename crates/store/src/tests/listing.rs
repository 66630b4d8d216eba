//! Listing: status, partner and search filters, literal wildcards, paging and totals,
//! domains loaded with the page.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::Connection;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use tenantry_tenant::{NewTenant, Page, Status, Tenant, TenantQuery, TenantRepository};

use super::{bare_tenant, on_both_backends, open};
use crate::testing::TestDatabase;
use crate::{DbConnection, TenantStore};

on_both_backends!(
    status_and_partner_filters,
    search_is_a_case_insensitive_substring_of_name_display_name_and_hosts,
    search_wildcards_match_only_themselves,
    pages_carry_the_total_of_all_pages,
    a_page_loads_its_domains_in_one_query,
);

/// alpha, beta, gamma (deleted) and delta, inserted in that order.
fn seed(conn: &mut DbConnection) {
    let mut store = TenantStore::new(conn);
    let tenants: [(NewTenant, Option<&str>); 4] = [
        (
            bare_tenant(
                "alpha",
                "Alpha Academy",
                Status::Active,
                &["alpha.example.com"],
            ),
            Some("p1"),
        ),
        (
            bare_tenant(
                "beta",
                "100% Beta_Test",
                Status::Suspended,
                &["learn.beta-courses.io", "beta.example.org"],
            ),
            Some("p2"),
        ),
        (
            bare_tenant("gamma", "Gamma", Status::Deleted, &[]),
            Some("p1"),
        ),
        (
            bare_tenant("delta", "Delta\\Slash", Status::Active, &[]),
            Some("p1"),
        ),
    ];
    for (mut tenant, partner) in tenants {
        tenant.profile.partner_id = partner.map(str::to_owned);
        store.insert(&tenant).unwrap();
    }
}

fn names(page: &Page<Tenant>) -> Vec<&str> {
    page.items
        .iter()
        .map(|tenant| tenant.name.as_str())
        .collect()
}

fn list(conn: &mut DbConnection, query: TenantQuery) -> Page<Tenant> {
    TenantStore::new(conn).list(&query).unwrap()
}

fn search(conn: &mut DbConnection, text: &str) -> Vec<String> {
    let query = TenantQuery {
        search: Some(text.into()),
        ..TenantQuery::default()
    };
    names(&list(conn, query))
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn status_and_partner_filters(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    seed(&mut conn);

    let all = list(&mut conn, TenantQuery::default());
    assert_eq!(
        names(&all),
        ["alpha", "beta", "delta"],
        "deleted ones are left out by default"
    );
    assert_eq!(all.total, 3);

    for (status, expected) in [
        (Status::Deleted, vec!["gamma"]),
        (Status::Suspended, vec!["beta"]),
        (Status::Active, vec!["alpha", "delta"]),
        (Status::Cancelled, vec![]),
    ] {
        let query = TenantQuery {
            status: Some(status),
            ..TenantQuery::default()
        };
        let page = list(&mut conn, query);
        assert_eq!(names(&page), expected, "{status:?}");
        assert_eq!(page.total, expected.len() as u64);
    }

    let partner = |partner: &str| TenantQuery {
        partner_id: Some(partner.into()),
        ..TenantQuery::default()
    };
    assert_eq!(names(&list(&mut conn, partner("p1"))), ["alpha", "delta"]);
    assert_eq!(names(&list(&mut conn, partner("p2"))), ["beta"]);
    assert!(list(&mut conn, partner("p3")).items.is_empty());

    let combined = TenantQuery {
        partner_id: Some("p1".into()),
        status: Some(Status::Deleted),
        search: Some("GAM".into()),
        ..TenantQuery::default()
    };
    assert_eq!(names(&list(&mut conn, combined)), ["gamma"]);
    assert_eq!(TenantStore::new(&mut conn).count_live().unwrap(), 3);
}

fn search_is_a_case_insensitive_substring_of_name_display_name_and_hosts(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    seed(&mut conn);

    assert_eq!(search(&mut conn, "ALPHA"), ["alpha"], "name, any case");
    assert_eq!(
        search(&mut conn, "aCaDeMy"),
        ["alpha"],
        "display name, any case"
    );
    assert_eq!(
        search(&mut conn, "BETA-COURSES"),
        ["beta"],
        "a non-primary host, any case"
    );
    assert_eq!(search(&mut conn, "example.org"), ["beta"]);
    assert_eq!(search(&mut conn, "example."), ["alpha", "beta"]);
    assert_eq!(
        search(&mut conn, "ta"),
        ["beta", "delta"],
        "each tenant once"
    );
    assert_eq!(
        search(&mut conn, ""),
        ["alpha", "beta", "delta"],
        "empty search matches all"
    );
    assert!(search(&mut conn, "zzz").is_empty());
    assert!(
        search(&mut conn, "gamma").is_empty(),
        "deleted tenants stay hidden"
    );
}

fn search_wildcards_match_only_themselves(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    seed(&mut conn);

    assert_eq!(
        search(&mut conn, "%"),
        ["beta"],
        "only beta's display name has a %"
    );
    assert_eq!(
        search(&mut conn, "_"),
        ["beta"],
        "only beta's display name has a _"
    );
    assert_eq!(search(&mut conn, "0% b"), ["beta"]);
    assert_eq!(search(&mut conn, "A_T"), ["beta"], "Beta_Test, any case");
    assert!(
        search(&mut conn, "a_p").is_empty(),
        "_ is not any character (alpha)"
    );
    assert!(
        search(&mut conn, "al%a").is_empty(),
        "% is not any text (alpha)"
    );
    assert_eq!(
        search(&mut conn, "\\"),
        ["delta"],
        "a backslash is literal too"
    );
    assert_eq!(search(&mut conn, "a\\s"), ["delta"]);
    assert!(search(&mut conn, "\\%").is_empty());
}

fn pages_carry_the_total_of_all_pages(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    seed(&mut conn);

    let page = |page: u32, per_page: u32| TenantQuery {
        page,
        per_page,
        ..TenantQuery::default()
    };
    let first = list(&mut conn, page(1, 2));
    assert_eq!((names(&first), first.total), (vec!["alpha", "beta"], 3));
    let second = list(&mut conn, page(2, 2));
    assert_eq!((names(&second), second.total), (vec!["delta"], 3));
    let beyond = list(&mut conn, page(3, 2));
    assert_eq!((names(&beyond), beyond.total), (vec![], 3));
    let zeroes = list(&mut conn, page(0, 0));
    assert_eq!(
        (names(&zeroes), zeroes.total),
        (vec!["alpha"], 3),
        "page 0 is 1, size 0 is 1"
    );
    let huge = list(&mut conn, page(u32::MAX, u32::MAX));
    assert_eq!((names(&huge), huge.total), (vec![], 3));
}

/// Counts the queries a connection runs.
struct QueryCounter(Arc<AtomicUsize>);

impl Instrumentation for QueryCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn a_page_loads_its_domains_in_one_query(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    seed(&mut conn);
    let queries = Arc::new(AtomicUsize::new(0));
    conn.set_instrumentation(QueryCounter(queries.clone()));

    let page = list(&mut conn, TenantQuery::default());
    let hosts: Vec<Vec<&str>> = page
        .items
        .iter()
        .map(|tenant| {
            tenant
                .domains
                .iter()
                .map(|domain| domain.host.as_str())
                .collect()
        })
        .collect();
    assert_eq!(
        hosts,
        [
            vec!["alpha.example.com"],
            vec!["learn.beta-courses.io", "beta.example.org"],
            vec![]
        ],
        "primary first"
    );
    assert_eq!(
        queries.load(Ordering::SeqCst),
        4,
        "count, the page's ids, its rows, their domains"
    );
}
