//! The outbox: emails due oldest first, gone from the queue once delivered, retried after
//! a failure no sooner than asked.

use diesel::prelude::*;
use tenantry_registration::{NewEmail, Outbox, QueuedEmail};
use tenantry_tenant::{RepositoryError, TenantId, TenantRepository};

use super::{at, new_tenant, on_both_backends, open, stored_at};
use crate::schema::outbox;
use crate::testing::TestDatabase;
use crate::{DbConnection, TenantStore};

on_both_backends!(
    emails_are_due_oldest_first_until_delivered,
    failures_are_counted_and_retried_no_sooner_than_asked,
    emails_for_an_unknown_tenant_are_refused,
    two_workers_claim_an_email_once,
);

/// An email to `recipient`, queued `seconds` after the base time.
fn email(tenant: Option<TenantId>, recipient: &str, seconds: i64) -> NewEmail {
    NewEmail {
        tenant_id: tenant,
        recipient: recipient.into(),
        subject: format!("Hello {recipient}"),
        body: format!("Dear {recipient},\n\nhttps://example.org/activate/s3cr3t\n\nünïcode"),
        created_at: at(seconds),
    }
}

/// `email` as queued with `id`: no attempts yet, due when created.
fn queued(id: i64, email: &NewEmail, seconds: i64) -> QueuedEmail {
    let mut email = email.clone();
    email.created_at = stored_at(seconds);
    QueuedEmail {
        id,
        email,
        attempts: 0,
        next_attempt_at: stored_at(seconds),
    }
}

fn due_ids(store: &mut TenantStore<'_>, seconds: i64, limit: u32) -> Vec<i64> {
    store
        .due_emails(at(seconds), limit)
        .unwrap()
        .into_iter()
        .map(|email| email.id)
        .collect()
}

/// (attempts, last_error, delivered) as stored.
fn stored_state(conn: &mut DbConnection, id: i64) -> (i32, Option<String>, bool) {
    let (attempts, last_error, delivered_at): (i32, Option<String>, Option<chrono::NaiveDateTime>) =
        outbox::table
            .find(id)
            .select((outbox::attempts, outbox::last_error, outbox::delivered_at))
            .first(conn)
            .unwrap();
    (attempts, last_error, delivered_at.is_some())
}

fn emails_are_due_oldest_first_until_delivered(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let tenant = store.insert(&new_tenant("talent1", &[])).unwrap().id;

    let b = email(Some(tenant), "b@example.org", 10);
    let a = email(Some(tenant), "a@example.org", 5);
    let c = email(None, "c@example.org", 20);
    let b_id = store.enqueue_email(&b).unwrap();
    let a_id = store.enqueue_email(&a).unwrap();
    let c_id = store.enqueue_email(&c).unwrap();
    assert!(b_id > 0 && a_id != b_id && c_id != a_id && c_id != b_id);

    assert_eq!(store.due_emails(at(4), 10).unwrap(), []);
    assert_eq!(
        store.due_emails(stored_at(10), 10).unwrap(),
        [queued(a_id, &a, 5), queued(b_id, &b, 10)],
        "due from their creation, oldest first, every field intact"
    );
    assert_eq!(due_ids(&mut store, 20, 10), [a_id, b_id, c_id]);
    assert_eq!(due_ids(&mut store, 20, 2), [a_id, b_id]);
    assert_eq!(due_ids(&mut store, 20, 0), Vec::<i64>::new());

    store.mark_delivered(a_id, at(30)).unwrap();
    assert_eq!(due_ids(&mut store, 40, 10), [b_id, c_id]);
    store.mark_delivered(a_id, at(31)).unwrap();
    let delivered_at: Option<chrono::NaiveDateTime> = outbox::table
        .find(a_id)
        .select(outbox::delivered_at)
        .first(store.conn())
        .unwrap();
    assert_eq!(
        delivered_at,
        Some(stored_at(30).naive_utc()),
        "delivered once, at the first time"
    );
    assert_eq!(
        store.mark_delivered(c_id + 100, at(30)),
        Err(RepositoryError::NotFound)
    );
}

fn failures_are_counted_and_retried_no_sooner_than_asked(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let old = store
        .enqueue_email(&email(None, "old@example.org", 1))
        .unwrap();
    let new = store
        .enqueue_email(&email(None, "new@example.org", 50))
        .unwrap();

    store
        .mark_failed(old, "451 4.7.1 try again later", at(100))
        .unwrap();
    assert_eq!(due_ids(&mut store, 60, 10), [new], "backing off");
    let retried = store.due_emails(stored_at(100), 10).unwrap();
    assert_eq!(
        retried.iter().map(|email| email.id).collect::<Vec<_>>(),
        [old, new],
        "due again at retry_at, and still the oldest"
    );
    assert_eq!(
        (retried[0].attempts, retried[0].next_attempt_at),
        (1, stored_at(100))
    );
    assert_eq!(
        stored_state(store.conn(), old),
        (1, Some("451 4.7.1 try again later".into()), false)
    );

    let long = format!("550 {}", "x".repeat(5000));
    store.mark_failed(old, &long, at(300)).unwrap();
    let (attempts, last_error, _) = stored_state(store.conn(), old);
    assert_eq!(attempts, 2);
    let last_error = last_error.unwrap();
    assert_eq!(last_error.chars().count(), 1000, "the error is cut short");
    assert!(long.starts_with(&last_error));
    assert_eq!(due_ids(&mut store, 299, 10), [new]);
    assert_eq!(due_ids(&mut store, 300, 10), [old, new]);

    // A delivered email stays delivered, whatever a late failure report says.
    store.mark_delivered(new, at(310)).unwrap();
    store.mark_failed(new, "timeout", at(320)).unwrap();
    assert_eq!(stored_state(store.conn(), new), (0, None, true));
    assert_eq!(due_ids(&mut store, 400, 10), [old]);

    assert_eq!(
        store.mark_failed(new + 100, "timeout", at(320)),
        Err(RepositoryError::NotFound)
    );
}

fn emails_for_an_unknown_tenant_are_refused(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let unknown = email(Some(TenantId(999)), "a@example.org", 1);
    assert_eq!(
        store.enqueue_email(&unknown),
        Err(RepositoryError::NotFound)
    );
    assert_eq!(due_ids(&mut store, 10, 10), Vec::<i64>::new());
}

fn two_workers_claim_an_email_once(test: &TestDatabase) {
    let database = open(test);
    let mut first = database.conn().unwrap();
    let mut second = database.conn().unwrap();
    let id = TenantStore::new(&mut first)
        .enqueue_email(&email(None, "a@example.org", 5))
        .unwrap();
    let seen = TenantStore::new(&mut first).due_emails(at(10), 10).unwrap();
    let seen_again = TenantStore::new(&mut second)
        .due_emails(at(10), 10)
        .unwrap();
    assert_eq!(seen, seen_again, "both workers see the email due");

    let due_at = seen[0].next_attempt_at;
    assert!(
        TenantStore::new(&mut first)
            .claim_email(id, due_at, at(300))
            .unwrap()
    );
    assert!(
        !TenantStore::new(&mut second)
            .claim_email(id, due_at, at(300))
            .unwrap()
    );
    assert_eq!(
        TenantStore::new(&mut second)
            .due_emails(at(299), 10)
            .unwrap(),
        []
    );
    assert_eq!(
        TenantStore::new(&mut second)
            .due_emails(at(300), 10)
            .unwrap()
            .len(),
        1,
        "due again when the lease ends"
    );
    TenantStore::new(&mut first)
        .mark_delivered(id, at(20))
        .unwrap();
    assert!(
        !TenantStore::new(&mut second)
            .claim_email(id, stored_at(300), at(600))
            .unwrap()
    );
}
