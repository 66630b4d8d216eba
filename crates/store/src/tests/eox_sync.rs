//! The eox-tenant sync ledger: successful audited changes that affect Open edX mark their
//! tenant due in the same transaction; the worker's outcome moves the marks along.

use serde_json::json;
use tenantry_tenant::eox_sync::EoxSyncStates;
use tenantry_tenant::{Action, Actor, AuditEvent, AuditSink, Outcome, TenantName};

use super::{at, on_both_backends, open, stored_at};
use crate::TenantStore;
use crate::eox_sync::{
    claim, due, own_key, owned_keys, record_failure, record_success, release_keys,
};
use crate::testing::TestDatabase;

on_both_backends!(
    only_successful_changes_that_affect_open_edx_mark_a_tenant,
    a_success_keeps_changes_made_meanwhile_due,
    failures_wait_and_a_new_change_makes_the_tenant_due_again,
    two_workers_claim_a_tenant_once,
    owned_keys_are_recorded_and_released,
);

fn event(action: Action, outcome: Outcome, tenant: &str, seconds: i64) -> AuditEvent {
    AuditEvent {
        at: at(seconds),
        actor: Actor::System,
        action,
        tenant_id: None,
        tenant_name: Some(tenant.into()),
        request_id: None,
        source: None,
        outcome,
        details: json!({}),
    }
}

fn record(test: &TestDatabase, event: &AuditEvent) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    TenantStore::new(&mut conn).record(event).unwrap();
}

fn state(test: &TestDatabase, tenant: &str) -> Option<tenantry_tenant::eox_sync::SyncState> {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    TenantStore::new(&mut conn)
        .eox_sync_state(&TenantName::parse(tenant).unwrap())
        .unwrap()
}

fn only_successful_changes_that_affect_open_edx_mark_a_tenant(test: &TestDatabase) {
    record(
        test,
        &event(Action::TenantCreate, Outcome::Failure, "refused", 0),
    );
    record(
        test,
        &event(Action::TokenCreate, Outcome::Success, "tokens", 0),
    );
    record(
        test,
        &event(Action::UserRegister, Outcome::Success, "users", 0),
    );
    for tenant in ["refused", "tokens", "users"] {
        assert_eq!(state(test, tenant), None, "{tenant}");
    }
    record(
        test,
        &event(Action::TenantCreate, Outcome::Success, "talent1", 0),
    );
    record(
        test,
        &event(Action::DomainAdd, Outcome::Success, "talent1", 5),
    );
    let marked = state(test, "talent1").unwrap();
    assert!(!marked.in_sync);
    assert_eq!(
        marked.pending_since,
        Some(stored_at(0)),
        "the oldest change"
    );
    assert_eq!(marked.next_attempt_at, Some(stored_at(5)));
    let database = open(test);
    let jobs = due(&mut database.conn().unwrap(), at(5), 10).unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].tenant_name.as_str(), jobs[0].generation),
        ("talent1", 2)
    );
    let summary = TenantStore::new(&mut database.conn().unwrap())
        .eox_sync_summary()
        .unwrap();
    assert_eq!((summary.pending, summary.failing), (1, 0));
    assert_eq!(summary.oldest_pending, Some(stored_at(0)));
}

fn a_success_keeps_changes_made_meanwhile_due(test: &TestDatabase) {
    record(
        test,
        &event(Action::TenantCreate, Outcome::Success, "talent1", 0),
    );
    let database = open(test);
    let job = due(&mut database.conn().unwrap(), at(0), 10)
        .unwrap()
        .remove(0);
    // A change lands while the worker is writing to the LMS.
    record(
        test,
        &event(Action::TenantUpdate, Outcome::Success, "talent1", 1),
    );
    record_success(
        &mut database.conn().unwrap(),
        "talent1",
        job.generation,
        at(2),
    )
    .unwrap();
    let after = state(test, "talent1").unwrap();
    assert!(!after.in_sync, "generation 2 is not in the LMS yet");
    assert_eq!(after.synced_at, Some(stored_at(2)));
    record_success(&mut database.conn().unwrap(), "talent1", 2, at(3)).unwrap();
    let synced = state(test, "talent1").unwrap();
    assert!(synced.in_sync);
    assert_eq!((synced.pending_since, synced.next_attempt_at), (None, None));
    assert!(
        due(&mut database.conn().unwrap(), at(100), 10)
            .unwrap()
            .is_empty()
    );
    // An older generation reported late changes nothing.
    record_success(&mut database.conn().unwrap(), "talent1", 1, at(4)).unwrap();
    assert!(state(test, "talent1").unwrap().in_sync);
}

fn failures_wait_and_a_new_change_makes_the_tenant_due_again(test: &TestDatabase) {
    record(
        test,
        &event(Action::TenantCreate, Outcome::Success, "talent1", 0),
    );
    let database = open(test);
    record_failure(
        &mut database.conn().unwrap(),
        "talent1",
        1,
        "the LMS is down",
        at(30),
    )
    .unwrap();
    let failing = state(test, "talent1").unwrap();
    assert_eq!(
        (failing.attempts, failing.last_error.as_deref()),
        (1, Some("the LMS is down"))
    );
    assert!(
        due(&mut database.conn().unwrap(), at(29), 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        due(&mut database.conn().unwrap(), at(30), 10)
            .unwrap()
            .len(),
        1
    );
    let summary = TenantStore::new(&mut database.conn().unwrap())
        .eox_sync_summary()
        .unwrap();
    assert_eq!(summary.failing, 1);
    record(
        test,
        &event(Action::TenantSuspend, Outcome::Success, "talent1", 10),
    );
    assert_eq!(
        due(&mut database.conn().unwrap(), at(10), 10)
            .unwrap()
            .len(),
        1
    );
}

fn two_workers_claim_a_tenant_once(test: &TestDatabase) {
    record(
        test,
        &event(Action::TenantCreate, Outcome::Success, "talent1", 0),
    );
    let database = open(test);
    let job = due(&mut database.conn().unwrap(), at(0), 10)
        .unwrap()
        .remove(0);
    assert!(claim(&mut database.conn().unwrap(), &job, at(120)).unwrap());
    assert!(!claim(&mut database.conn().unwrap(), &job, at(120)).unwrap());
    assert!(
        due(&mut database.conn().unwrap(), at(60), 10)
            .unwrap()
            .is_empty(),
        "leased"
    );
}

fn owned_keys_are_recorded_and_released(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    own_key(&mut conn, "t.local.openedx.io", "t").unwrap();
    own_key(&mut conn, "t.local.openedx.io", "t").unwrap();
    own_key(&mut conn, "t.example.com", "t").unwrap();
    assert_eq!(
        owned_keys(&mut conn, "t").unwrap(),
        ["t.example.com", "t.local.openedx.io"]
    );
    release_keys(&mut conn, "t", Some("t.example.com")).unwrap();
    assert_eq!(owned_keys(&mut conn, "t").unwrap(), ["t.example.com"]);
    release_keys(&mut conn, "t", None).unwrap();
    assert!(owned_keys(&mut conn, "t").unwrap().is_empty());
}
