//! Webhook events and deliveries: queued with their change for the endpoints that take
//! them; attempts recorded under their claim; only a finished delivery is redelivered.

use serde_json::json;
use tenantry_tenant::webhooks::{EventType, NewWebhook, WebhookRepository, WebhookUrl};
use tenantry_tenant::{Action, Actor, AuditEvent, AuditSink, Outcome, RepositoryError, TenantId};

use super::{at, on_both_backends, open};
use crate::TenantStore;
use crate::testing::TestDatabase;
use crate::webhooks::{AttemptOutcome, claim_delivery, due_deliveries, record_attempt};

on_both_backends!(
    events_are_queued_for_the_endpoints_that_take_them,
    an_attempt_is_recorded_only_under_its_claim_and_pending_ones_are_not_redelivered,
);

fn event(action: Action, tenant: i64, seconds: i64) -> AuditEvent {
    AuditEvent {
        at: at(seconds),
        actor: Actor::Operator("admin".into()),
        action,
        tenant_id: Some(TenantId(tenant)),
        tenant_name: Some(format!("talent{tenant}")),
        request_id: None,
        source: None,
        outcome: Outcome::Success,
        details: json!({}),
    }
}

fn endpoint(
    url: &str,
    events: Option<Vec<EventType>>,
    tenant: Option<i64>,
    secret: &str,
) -> NewWebhook {
    NewWebhook {
        url: WebhookUrl::parse(url).unwrap(),
        events,
        tenant_id: tenant.map(TenantId),
        secret: secret.into(),
        created_by: "operator:admin".into(),
        at: at(0),
    }
}

fn events_are_queued_for_the_endpoints_that_take_them(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let all = store
        .create_webhook(&endpoint("https://a.example.com", None, None, "whsec_a"))
        .unwrap();
    let scoped = store
        .create_webhook(&endpoint(
            "https://b.example.com",
            Some(vec![EventType::TenantSuspended]),
            Some(1),
            "whsec_b",
        ))
        .unwrap();
    store.record(&event(Action::TenantSuspend, 2, 1)).unwrap();
    store.record(&event(Action::TenantSuspend, 1, 2)).unwrap();
    store.record(&event(Action::TokenCreate, 1, 3)).unwrap();
    let mut failed = event(Action::TenantCreate, 1, 4);
    failed.outcome = Outcome::Failure;
    store.record(&failed).unwrap();
    assert_eq!(
        store.list_deliveries(all.id, 1, 10).unwrap().total,
        2,
        "both suspensions"
    );
    let only = store.list_deliveries(scoped.id, 1, 10).unwrap();
    assert_eq!(only.total, 1, "only talent1's suspension");
    assert_eq!(only.items[0].event_type, "tenant.suspended");
    let due = due_deliveries(&mut conn, at(10), 10).unwrap();
    assert_eq!(due.len(), 3);
    assert!(
        due.iter()
            .all(|delivery| delivery.body.contains("\"type\":\"tenant.suspended\""))
    );
    assert_eq!(
        due.iter()
            .find(|d| d.webhook_id == scoped.id)
            .unwrap()
            .secrets,
        ["whsec_b"]
    );
}

fn an_attempt_is_recorded_only_under_its_claim_and_pending_ones_are_not_redelivered(
    test: &TestDatabase,
) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let webhook = store
        .create_webhook(&endpoint("https://a.example.com", None, None, "whsec_a"))
        .unwrap();
    store.record(&event(Action::TenantCreate, 1, 1)).unwrap();
    let due = due_deliveries(&mut conn, at(1), 10).unwrap().remove(0);
    let mut store = TenantStore::new(&mut conn);
    assert!(
        matches!(
            store.redeliver(webhook.id, due.id, at(2)),
            Err(RepositoryError::Conflict { .. })
        ),
        "a pending delivery is on its way already"
    );
    assert!(claim_delivery(&mut conn, &due, at(100)).unwrap());
    let outcome = |delivered: bool, next: Option<i64>| AttemptOutcome {
        attempts: 1,
        at: at(3),
        status_code: Some(if delivered { 200 } else { 503 }),
        excerpt: None,
        delivered,
        next_attempt_at: next.map(at),
    };
    assert!(
        !record_attempt(&mut conn, &due, at(99), &outcome(true, None)).unwrap(),
        "another lease"
    );
    assert!(record_attempt(&mut conn, &due, at(100), &outcome(false, None)).unwrap());
    let mut store = TenantStore::new(&mut conn);
    let given_up = store
        .list_deliveries(webhook.id, 1, 10)
        .unwrap()
        .items
        .remove(0);
    assert_eq!((given_up.status.as_str(), given_up.attempts), ("failed", 1));
    assert!(
        store
            .find_webhook(webhook.id)
            .unwrap()
            .unwrap()
            .failing_since
            .is_some()
    );
    let again = store.redeliver(webhook.id, due.id, at(4)).unwrap().unwrap();
    assert_eq!((again.status.as_str(), again.attempts), ("pending", 0));
    assert_eq!(
        store.redeliver(webhook.id + 1, due.id, at(4)).unwrap(),
        None,
        "another endpoint's"
    );
}
