//! Idempotent responses: found while live, replaced once expired, never overwritten while
//! live, and a clash leaves the caller's transaction usable.

use std::sync::Barrier;
use std::time::Duration;

use diesel::prelude::*;
use tenantry_tenant::{IdempotencyRepository, IdempotentResponse, RepositoryError};

use super::{at, on_both_backends, open, stored_at};
use crate::schema::idempotency_keys;
use crate::testing::TestDatabase;
use crate::{StoreError, TenantStore};

on_both_backends!(
    responses_are_found_while_live_and_replaced_once_expired,
    a_live_key_is_a_conflict_that_leaves_the_transaction_usable,
    concurrent_requests_with_one_key_store_one_response,
    the_unique_constraint_names_the_idempotency_key,
);

fn response(actor: &str, key: &str, status: u16, seconds: i64) -> IdempotentResponse {
    IdempotentResponse {
        actor: actor.into(),
        key: key.into(),
        fingerprint: format!("sha256:{key}:{status}"),
        status,
        body: format!(r#"{{"status":{status},"note":"ünïcode"}}"#),
        created_at: at(seconds),
    }
}

/// `response` as stored (microsecond precision).
fn stored(mut response: IdempotentResponse, seconds: i64) -> IdempotentResponse {
    response.created_at = stored_at(seconds);
    response
}

fn conflict() -> RepositoryError {
    RepositoryError::Conflict {
        field: "idempotency_key".into(),
    }
}

fn responses_are_found_while_live_and_replaced_once_expired(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    assert_eq!(
        store.find_response("operator:a", "k1", at(0)).unwrap(),
        None
    );

    let first = response("operator:a", "k1", 201, 100);
    store.remember_response(&first, at(0)).unwrap();
    let found = store.find_response("operator:a", "k1", at(50)).unwrap();
    assert_eq!(
        found,
        Some(stored(first.clone(), 100)),
        "every field intact"
    );
    assert_eq!(
        store
            .find_response("operator:a", "k1", stored_at(100))
            .unwrap(),
        Some(stored(first.clone(), 100)),
        "not_before is inclusive"
    );
    assert_eq!(
        store.find_response("operator:a", "k1", at(101)).unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store.find_response("operator:b", "k1", at(0)).unwrap(),
        None,
        "keys are private to their actor"
    );
    assert_eq!(
        store.find_response("operator:a", "k2", at(0)).unwrap(),
        None
    );

    // Another actor may use the same key; the same actor another key.
    store
        .remember_response(&response("operator:b", "k1", 200, 100), at(0))
        .unwrap();
    store
        .remember_response(&response("operator:a", "k2", 200, 100), at(0))
        .unwrap();

    // Stored at 100: still live when only rows before 100 have expired.
    let retry = response("operator:a", "k1", 500, 150);
    assert_eq!(
        store.remember_response(&retry, stored_at(100)),
        Err(conflict())
    );
    assert_eq!(
        store.find_response("operator:a", "k1", at(0)).unwrap(),
        Some(stored(first, 100)),
        "the live response stays"
    );

    // Expired: replaced.
    let later = response("operator:a", "k1", 202, 400);
    store.remember_response(&later, at(101)).unwrap();
    assert_eq!(
        store.find_response("operator:a", "k1", at(0)).unwrap(),
        Some(stored(later, 400))
    );
    let rows: i64 = idempotency_keys::table
        .count()
        .get_result(store.conn())
        .unwrap();
    assert_eq!(rows, 3, "one row per actor and key");
}

fn a_live_key_is_a_conflict_that_leaves_the_transaction_usable(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    TenantStore::new(&mut conn)
        .remember_response(&response("token:1", "k", 200, 10), at(0))
        .unwrap();
    conn.write_transaction::<_, StoreError, _>(|conn| {
        let mut store = TenantStore::new(conn);
        let clash = store.remember_response(&response("token:1", "k", 201, 20), at(0));
        assert_eq!(clash, Err(conflict()));
        store.remember_response(&response("token:1", "other", 201, 20), at(0))?;
        Ok(())
    })
    .unwrap();
    let mut store = TenantStore::new(&mut conn);
    assert_eq!(
        store.find_response("token:1", "other", at(0)).unwrap(),
        Some(stored(response("token:1", "other", 201, 20), 20)),
        "the transaction went on and committed"
    );
    assert_eq!(
        store
            .find_response("token:1", "k", at(0))
            .unwrap()
            .map(|found| found.status),
        Some(200)
    );
}

/// The second request starts after the first stored its response but before it
/// committed. Whichever way the second then meets the first's row (the check after the
/// first commits, or the unique index while it waits), it is a conflict.
fn concurrent_requests_with_one_key_store_one_response(test: &TestDatabase) {
    let database = open(test);
    let stored_first = Barrier::new(2);
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            let mut conn = database.conn().unwrap();
            conn.write_transaction::<_, StoreError, _>(|conn| {
                TenantStore::new(conn)
                    .remember_response(&response("operator:a", "k", 201, 10), at(0))?;
                stored_first.wait();
                std::thread::sleep(Duration::from_millis(300));
                Ok(())
            })
        });
        let second = scope.spawn(|| {
            let mut conn = database.conn().unwrap();
            stored_first.wait();
            conn.write_transaction::<_, StoreError, _>(|conn| {
                TenantStore::new(conn)
                    .remember_response(&response("operator:a", "k", 200, 11), at(0))?;
                Ok(())
            })
        });
        (first.join().unwrap(), second.join().unwrap())
    });
    assert_eq!(first, Ok(()));
    assert_eq!(second, Err(StoreError::conflict("idempotency_key")));
    let mut conn = database.conn().unwrap();
    let kept = TenantStore::new(&mut conn)
        .find_response("operator:a", "k", at(0))
        .unwrap();
    assert_eq!(kept.map(|found| found.status), Some(201));
}

fn the_unique_constraint_names_the_idempotency_key(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let insert = |conn: &mut crate::DbConnection| -> Result<usize, StoreError> {
        Ok(diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::actor.eq("system"),
                idempotency_keys::key.eq("k"),
                idempotency_keys::fingerprint.eq("f"),
                idempotency_keys::status.eq(200),
                idempotency_keys::body.eq(""),
                idempotency_keys::created_at.eq(at(0).naive_utc()),
            ))
            .execute(conn)?)
    };
    assert_eq!(insert(&mut conn), Ok(1));
    assert_eq!(
        insert(&mut conn),
        Err(StoreError::conflict("idempotency_key"))
    );
}
