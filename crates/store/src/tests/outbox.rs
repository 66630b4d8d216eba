//! The outbox: emails due oldest first, gone from the queue once delivered, retried after
//! a failure no sooner than asked.

use diesel::prelude::*;
use tenantry_registration::{Claim, NewEmail, NewUser, Outbox, QueuedEmail, UserRepository};
use tenantry_tenant::{RepositoryError, TenantId, TenantRepository};

use super::{at, new_tenant, new_user, on_both_backends, open, stored_at};
use crate::schema::outbox;
use crate::testing::TestDatabase;
use crate::{DbConnection, TenantStore};

on_both_backends!(
    emails_are_due_oldest_first_until_delivered,
    failures_are_counted_and_retried_no_sooner_than_asked,
    emails_for_an_unknown_tenant_are_refused,
    two_workers_claim_an_email_once,
    a_stale_claim_marks_nothing,
    ids_are_never_reused_after_a_purge,
    a_delivered_email_keeps_no_body,
    a_given_up_email_leaves_the_queue_without_its_body,
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

/// Claims the email `id`, due at `due_at`, with a lease to `lease_seconds`.
fn claim(
    store: &mut TenantStore<'_>,
    id: i64,
    due_at: chrono::DateTime<chrono::Utc>,
    lease_seconds: i64,
) -> Claim {
    assert!(
        store.claim_email(id, due_at, at(lease_seconds)).unwrap(),
        "email {id} is claimed"
    );
    Claim {
        id,
        lease_until: at(lease_seconds),
    }
}

/// The stored body of the email `id`.
fn body(conn: &mut DbConnection, id: i64) -> String {
    outbox::table
        .find(id)
        .select(outbox::body)
        .first(conn)
        .unwrap()
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

    let a_claim = claim(&mut store, a_id, stored_at(5), 25);
    assert!(store.mark_delivered(&a_claim, at(30)).unwrap());
    assert_eq!(due_ids(&mut store, 40, 10), [b_id, c_id]);
    assert!(
        !store.mark_delivered(&a_claim, at(31)).unwrap(),
        "a delivered email is not marked again"
    );
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
    let unknown = Claim {
        id: c_id + 100,
        lease_until: at(25),
    };
    assert!(!store.mark_delivered(&unknown, at(30)).unwrap());
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

    let first = claim(&mut store, old, stored_at(1), 70);
    assert!(
        store
            .mark_failed(&first, "451 4.7.1 try again later", at(100))
            .unwrap()
    );
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
    let second = claim(&mut store, old, stored_at(100), 200);
    assert!(store.mark_failed(&second, &long, at(300)).unwrap());
    let (attempts, last_error, _) = stored_state(store.conn(), old);
    assert_eq!(attempts, 2);
    let last_error = last_error.unwrap();
    assert_eq!(last_error.chars().count(), 1000, "the error is cut short");
    assert!(long.starts_with(&last_error));
    assert_eq!(due_ids(&mut store, 299, 10), [new]);
    assert_eq!(due_ids(&mut store, 300, 10), [old, new]);

    // A delivered email stays delivered, whatever a late failure report says.
    let delivering = claim(&mut store, new, stored_at(50), 305);
    assert!(store.mark_delivered(&delivering, at(310)).unwrap());
    assert!(!store.mark_failed(&delivering, "timeout", at(320)).unwrap());
    assert_eq!(stored_state(store.conn(), new), (0, None, true));
    assert_eq!(due_ids(&mut store, 400, 10), [old]);

    let unknown = Claim {
        id: new + 100,
        lease_until: at(305),
    };
    assert!(!store.mark_failed(&unknown, "timeout", at(320)).unwrap());
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
    let claimed = Claim {
        id,
        lease_until: at(300),
    };
    assert!(
        TenantStore::new(&mut first)
            .mark_delivered(&claimed, at(20))
            .unwrap()
    );
    assert!(
        !TenantStore::new(&mut second)
            .claim_email(id, stored_at(300), at(600))
            .unwrap()
    );
}

/// A worker whose lease ran out, and whose email another worker then claimed, records
/// nothing: neither "delivered" nor a failure. Before claims, marks went by id alone, and
/// the stale worker's mark decided the email's fate.
fn a_stale_claim_marks_nothing(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let message = email(None, "a@example.org", 5);
    let id = store.enqueue_email(&message).unwrap();

    let stale = claim(&mut store, id, stored_at(5), 300);
    // The first worker stalls past its lease; a second one takes the email over.
    let current = claim(&mut store, id, stored_at(300), 600);

    assert!(!store.mark_delivered(&stale, at(310)).unwrap());
    assert!(!store.mark_failed(&stale, "timeout", at(900)).unwrap());
    assert!(!store.give_up_email(&stale, "550 gone", at(320)).unwrap());
    assert_eq!(stored_state(store.conn(), id), (0, None, false));
    assert_eq!(body(store.conn(), id), message.body, "nothing was dropped");
    assert_eq!(due_ids(&mut store, 599, 10), Vec::<i64>::new());
    assert_eq!(due_ids(&mut store, 600, 10), [id], "the second lease holds");

    assert!(store.mark_delivered(&current, at(400)).unwrap());
    assert_eq!(stored_state(store.conn(), id), (0, None, true));
}

/// Ids of deleted rows are never handed out again (SQLite reused them before
/// AUTOINCREMENT): a purged tenant's id, its users' and its emails'.
fn ids_are_never_reused_after_a_purge(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let kept = store.insert(&new_tenant("kept", &[])).unwrap().id;
    let purged = store.insert(&new_tenant("purged", &[])).unwrap().id;
    let user: NewUser = new_user(purged, "ada", "ada@example.org", 1);
    let user_id = store.insert_user(&user).unwrap().id;
    let email_id = store
        .enqueue_email(&email(Some(purged), "ada@example.org", 1))
        .unwrap();
    assert!(store.delete(purged).unwrap());

    let next = store.insert(&new_tenant("next", &[])).unwrap().id;
    assert!(
        next.0 > purged.0 && purged.0 > kept.0,
        "{next:?} after {purged:?}"
    );
    let next_user = store
        .insert_user(&new_user(next, "bob", "bob@example.org", 2))
        .unwrap()
        .id;
    assert!(next_user > user_id, "user {next_user} after {user_id}");
    let next_email = store
        .enqueue_email(&email(Some(next), "bob@example.org", 2))
        .unwrap();
    assert!(next_email > email_id, "email {next_email} after {email_id}");
}

fn a_delivered_email_keeps_no_body(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let message = email(None, "a@example.org", 5);
    let id = store.enqueue_email(&message).unwrap();
    assert_eq!(body(store.conn(), id), message.body);

    let claimed = claim(&mut store, id, stored_at(5), 300);
    assert!(store.mark_delivered(&claimed, at(20)).unwrap());
    assert_eq!(body(store.conn(), id), "", "the links are gone");
    let (recipient, subject, created_at): (String, String, chrono::NaiveDateTime) = outbox::table
        .find(id)
        .select((outbox::recipient, outbox::subject, outbox::created_at))
        .first(store.conn())
        .unwrap();
    assert_eq!(
        (recipient, subject, created_at),
        (message.recipient, message.subject, stored_at(5).naive_utc()),
        "the row stays, with its status and times"
    );
    assert_eq!(stored_state(store.conn(), id), (0, None, true));
}

fn a_given_up_email_leaves_the_queue_without_its_body(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let id = store
        .enqueue_email(&email(None, "gone@example.org", 5))
        .unwrap();
    let other = store
        .enqueue_email(&email(None, "ok@example.org", 6))
        .unwrap();
    assert_eq!(store.failed_email_count().unwrap(), 0);

    let claimed = claim(&mut store, id, stored_at(5), 300);
    assert!(
        store
            .give_up_email(&claimed, "550 5.1.1 no such user", at(20))
            .unwrap()
    );
    assert_eq!(due_ids(&mut store, 10_000, 10), [other]);
    assert_eq!(store.failed_email_count().unwrap(), 1);
    assert_eq!(
        stored_state(store.conn(), id),
        (1, Some("550 5.1.1 no such user".into()), false)
    );
    assert_eq!(body(store.conn(), id), "");
    let failed_at: Option<chrono::NaiveDateTime> = outbox::table
        .find(id)
        .select(outbox::failed_at)
        .first(store.conn())
        .unwrap();
    assert_eq!(failed_at, Some(stored_at(20).naive_utc()));
    assert!(
        !store.claim_email(id, at(300), at(600)).unwrap(),
        "a given-up email cannot be claimed again"
    );
    assert!(!store.mark_delivered(&claimed, at(30)).unwrap());
}
