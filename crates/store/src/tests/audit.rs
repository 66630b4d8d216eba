//! Audit events are appended and read back whole, newest first, by filter.

use serde_json::json;
use tenantry_tenant::{
    Action, Actor, AuditEvent, AuditSink, RequestContext, TenantId, TenantRepository,
};

use super::{at, new_tenant, on_both_backends, open, stored_at};
use crate::testing::TestDatabase;
use crate::{AuditQuery, TenantStore, list_audit_events};

on_both_backends!(audit_events_are_recorded_and_read_back);

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
    let read = |query: AuditQuery| -> Vec<AuditEvent> {
        let mut conn = database.conn().unwrap();
        let records = list_audit_events(&mut conn, &query).unwrap();
        assert!(records.windows(2).all(|pair| pair[0].id > pair[1].id));
        records.into_iter().map(|record| record.event).collect()
    };

    let all = read(AuditQuery::default());
    assert_eq!(
        all,
        [
            stored(untargeted.clone(), 30),
            stored(refused.clone(), 20),
            stored(created.clone(), 10)
        ],
        "newest first, every field intact"
    );
    let of_tenant = read(AuditQuery {
        tenant_id: Some(tenant.id),
        ..AuditQuery::default()
    });
    assert_eq!(
        of_tenant,
        [stored(refused.clone(), 20), stored(created.clone(), 10)]
    );
    let by_name = read(AuditQuery {
        tenant_name: Some("talent1".into()),
        action: Some(Action::TenantCreate),
        ..AuditQuery::default()
    });
    assert_eq!(by_name, [stored(created.clone(), 10)]);
    let by_actor = read(AuditQuery {
        actor: Some(Actor::Token(7)),
        ..AuditQuery::default()
    });
    assert_eq!(by_actor, [stored(refused.clone(), 20)]);
    let paged = read(AuditQuery {
        limit: 1,
        offset: 1,
        ..AuditQuery::default()
    });
    assert_eq!(paged, [stored(refused, 20)]);
    let nobody = read(AuditQuery {
        tenant_id: Some(TenantId(tenant.id.0 + 1)),
        ..AuditQuery::default()
    });
    assert!(nobody.is_empty());
}
