//! Audit events are appended and read back whole, newest first, by filter, a page at a
//! time.

use serde_json::json;
use tenantry_tenant::{
    Action, Actor, AuditEvent, AuditFilter, AuditLog, AuditSink, Page, RequestContext, TenantId,
    TenantRepository,
};

use super::{at, new_tenant, on_both_backends, open, stored_at};
use crate::testing::TestDatabase;
use crate::{Database, TenantStore};

on_both_backends!(
    audit_events_are_recorded_and_read_back,
    time_bounds_include_since_and_exclude_until,
    pages_are_newest_first_with_the_total,
);

fn audit_events_are_recorded_and_read_back(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let tenant = store.insert(&new_tenant("talent1", &[])).unwrap();
    let operator = RequestContext {
        actor: Actor::Operator("admin".into()),
        request_id: Some("req-1".into()),
        source: Some("192.0.2.7".into()),
        now: at(10),
    };
    let created = AuditEvent::success(
        &operator,
        Action::TenantCreate,
        &tenant,
        json!({ "name": "talent1", "nested": { "list": [1, 2] } }),
    );
    let refused = AuditEvent::failure(
        &RequestContext {
            actor: Actor::Token(7),
            now: at(20),
            ..operator.clone()
        },
        Action::TenantUpdate,
        Some((tenant.id, "talent1".into())),
        "stale version",
    );
    let untargeted = AuditEvent::untargeted(
        &RequestContext::system(at(30)),
        Action::OperatorCreate,
        json!({ "username": "ops" }),
    );
    for event in [&created, &refused, &untargeted] {
        store.record(event).unwrap();
    }
    // Events outlive their tenant.
    assert!(store.delete(tenant.id).unwrap());

    let stored = |mut event: AuditEvent, seconds: i64| {
        event.at = stored_at(seconds);
        event
    };
    let read = |filter: AuditFilter| -> Vec<AuditEvent> {
        let page = list(&database, &filter);
        assert!(page.items.windows(2).all(|pair| pair[0].id > pair[1].id));
        page.items.into_iter().map(|record| record.event).collect()
    };

    let all = read(AuditFilter::default());
    assert_eq!(
        all,
        [
            stored(untargeted.clone(), 30),
            stored(refused.clone(), 20),
            stored(created.clone(), 10)
        ],
        "newest first, every field intact"
    );
    let of_tenant = read(AuditFilter {
        tenant_id: Some(tenant.id),
        ..AuditFilter::default()
    });
    assert_eq!(
        of_tenant,
        [stored(refused.clone(), 20), stored(created.clone(), 10)]
    );
    let by_name = read(AuditFilter {
        tenant_name: Some("talent1".into()),
        action: Some(Action::TenantCreate),
        ..AuditFilter::default()
    });
    assert_eq!(by_name, [stored(created.clone(), 10)]);
    let by_actor = read(AuditFilter {
        actor: Some(Actor::Token(7)),
        ..AuditFilter::default()
    });
    assert_eq!(by_actor, [stored(refused.clone(), 20)]);
    let paged = read(AuditFilter {
        per_page: 1,
        page: 2,
        ..AuditFilter::default()
    });
    assert_eq!(paged, [stored(refused, 20)]);
    let nobody = read(AuditFilter {
        tenant_id: Some(TenantId(tenant.id.0 + 1)),
        ..AuditFilter::default()
    });
    assert!(nobody.is_empty());
}

/// One page of the log, read on a connection of its own.
fn list(database: &Database, filter: &AuditFilter) -> Page<tenantry_tenant::AuditRecord> {
    let mut conn = database.conn().unwrap();
    TenantStore::new(&mut conn).list_audit(filter).unwrap()
}

/// An operator's action on no tenant at `at(seconds)`.
pub(super) fn event_at(seconds: i64, action: Action) -> AuditEvent {
    let context = RequestContext {
        actor: Actor::Operator("ops".into()),
        request_id: None,
        source: None,
        now: at(seconds),
    };
    AuditEvent::untargeted(&context, action, json!({ "at": seconds }))
}

/// The `details.at` of each listed event, in order.
fn seconds(page: &Page<tenantry_tenant::AuditRecord>) -> Vec<i64> {
    page.items
        .iter()
        .map(|record| record.event.details["at"].as_i64().unwrap())
        .collect()
}

fn time_bounds_include_since_and_exclude_until(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    for second in [10, 20, 30] {
        store
            .record(&event_at(second, Action::TenantCreate))
            .unwrap();
    }
    let between = |since: Option<i64>, until: Option<i64>| {
        let page = list(
            &database,
            &AuditFilter {
                since: since.map(at),
                until: until.map(at),
                ..AuditFilter::default()
            },
        );
        assert_eq!(page.total, page.items.len() as u64);
        seconds(&page)
    };
    assert_eq!(between(None, None), [30, 20, 10]);
    assert_eq!(between(Some(20), None), [30, 20], "since is inclusive");
    assert_eq!(between(None, Some(20)), [10], "until is exclusive");
    assert_eq!(between(Some(10), Some(30)), [20, 10]);
    assert_eq!(between(Some(11), Some(29)), [20]);
    assert_eq!(between(Some(20), Some(20)), Vec::<i64>::new());
    assert_eq!(between(Some(31), None), Vec::<i64>::new());
    // Bounds a microsecond off the stored time.
    let micro = chrono::Duration::microseconds(1);
    let page = list(
        &database,
        &AuditFilter {
            since: Some(stored_at(20) - micro),
            until: Some(stored_at(20) + micro),
            ..AuditFilter::default()
        },
    );
    assert_eq!(seconds(&page), [20]);
    let page = list(
        &database,
        &AuditFilter {
            since: Some(stored_at(20) + micro),
            until: Some(stored_at(30)),
            ..AuditFilter::default()
        },
    );
    assert_eq!(seconds(&page), Vec::<i64>::new());
}

fn pages_are_newest_first_with_the_total(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    // Seconds 1..=5 recorded out of order; 3 twice (the later id comes first), and one
    // event of another action.
    for second in [2, 1, 3, 5, 4] {
        store
            .record(&event_at(second, Action::TokenCreate))
            .unwrap();
    }
    let mut tie = event_at(3, Action::TokenCreate);
    tie.details = json!({ "at": 3, "tie": true });
    store.record(&tie).unwrap();
    store.record(&event_at(9, Action::TokenRevoke)).unwrap();

    let page_of = |page: u32, per_page: u32| {
        list(
            &database,
            &AuditFilter {
                action: Some(Action::TokenCreate),
                page,
                per_page,
                ..AuditFilter::default()
            },
        )
    };
    let first = page_of(1, 2);
    assert_eq!((seconds(&first), first.total), (vec![5, 4], 6));
    let second = page_of(2, 2);
    assert_eq!((seconds(&second), second.total), (vec![3, 3], 6));
    assert_eq!(second.items[0].event.details["tie"], json!(true));
    assert!(
        second.items[0].id > second.items[1].id,
        "ties: newest id first"
    );
    let third = page_of(3, 2);
    assert_eq!((seconds(&third), third.total), (vec![2, 1], 6));
    let beyond = page_of(4, 2);
    assert_eq!((seconds(&beyond), beyond.total), (vec![], 6));
    let all = page_of(1, 100);
    assert_eq!(seconds(&all), [5, 4, 3, 3, 2, 1]);
    // Page 0 and a page size of 0 are read as 1.
    let lenient = page_of(0, 0);
    assert_eq!((seconds(&lenient), lenient.total), (vec![5], 6));

    let everything = list(&database, &AuditFilter::default());
    assert_eq!(everything.total, 7);
    assert_eq!(seconds(&everything)[0], 9);
}
