//! Single-use links: valid until used or expired, unknown for another purpose, used up
//! exactly once however many try at the same time.

use std::sync::Barrier;
use std::time::Duration;

use diesel::prelude::*;
use tenantry_registration::{LinkPurpose, LinkState, NewLink, TokenDigest, UserRepository};
use tenantry_tenant::{RepositoryError, TenantRepository};

use super::{at, new_tenant, new_user, on_both_backends, open, stored_at};
use crate::schema::user_links;
use crate::testing::TestDatabase;
use crate::{Database, DbConnection, StoreError, TenantStore};

on_both_backends!(
    links_are_valid_until_used_or_expired,
    a_link_is_unknown_for_another_purpose,
    a_link_for_an_unknown_user_is_not_found_and_harmless,
    of_two_uses_one_at_a_time_the_second_finds_it_used,
    of_concurrent_uses_exactly_one_is_valid,
);

/// A tenant with one user; the user's id.
fn user(conn: &mut DbConnection) -> i64 {
    let mut store = TenantStore::new(conn);
    let tenant = store.insert(&new_tenant("talent1", &[])).unwrap().id;
    store
        .insert_user(&new_user(tenant, "ada", "ada@example.org", 0))
        .unwrap()
        .id
}

/// A link of `purpose` for `user_id` with the secret `secret`, issued at 0 and expiring
/// at `expires`.
fn link(user_id: i64, purpose: LinkPurpose, secret: &str, expires: i64) -> NewLink {
    NewLink {
        user_id,
        purpose,
        digest: TokenDigest::of(secret),
        created_at: at(0),
        expires_at: at(expires),
    }
}

fn links_are_valid_until_used_or_expired(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let id = user(&mut conn);
    let mut store = TenantStore::new(&mut conn);
    let activation = LinkPurpose::Activation;
    store
        .insert_link(&link(id, activation, "one", 100))
        .unwrap();
    store
        .insert_link(&link(id, activation, "two", 100))
        .unwrap();
    let one = TokenDigest::of("one");
    let two = TokenDigest::of("two");

    assert_eq!(
        store.link_state(activation, &one, at(50)).unwrap(),
        LinkState::Valid(id)
    );
    assert_eq!(
        store.link_state(activation, &one, at(99)).unwrap(),
        LinkState::Valid(id),
        "looking does not use it"
    );
    assert_eq!(
        store.link_state(activation, &one, stored_at(100)).unwrap(),
        LinkState::Expired,
        "expired at expires_at"
    );
    assert_eq!(
        store.use_link(activation, &one, stored_at(100)).unwrap(),
        LinkState::Expired
    );
    assert_eq!(
        store.use_link(activation, &one, at(60)).unwrap(),
        LinkState::Valid(id),
        "a refused use leaves the link unused"
    );
    assert_eq!(
        store.use_link(activation, &one, at(61)).unwrap(),
        LinkState::Used
    );
    assert_eq!(
        store.link_state(activation, &one, at(61)).unwrap(),
        LinkState::Used
    );
    assert_eq!(
        store.link_state(activation, &one, at(500)).unwrap(),
        LinkState::Used,
        "used stays used after it would have expired"
    );
    let used_at: Option<chrono::NaiveDateTime> = user_links::table
        .filter(user_links::digest.eq(one.as_str()))
        .select(user_links::used_at)
        .first(store.conn())
        .unwrap();
    assert_eq!(
        used_at,
        Some(stored_at(60).naive_utc()),
        "the first use's time"
    );

    assert_eq!(
        store.link_state(activation, &two, at(70)).unwrap(),
        LinkState::Valid(id),
        "other links are untouched"
    );
    let unknown = TokenDigest::of("three");
    assert_eq!(
        store.link_state(activation, &unknown, at(1)).unwrap(),
        LinkState::Unknown
    );
    assert_eq!(
        store.use_link(activation, &unknown, at(1)).unwrap(),
        LinkState::Unknown
    );
}

fn a_link_is_unknown_for_another_purpose(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let id = user(&mut conn);
    let mut store = TenantStore::new(&mut conn);
    store
        .insert_link(&link(id, LinkPurpose::PasswordReset, "reset", 100))
        .unwrap();
    let digest = TokenDigest::of("reset");
    assert_eq!(
        store
            .link_state(LinkPurpose::Activation, &digest, at(1))
            .unwrap(),
        LinkState::Unknown
    );
    assert_eq!(
        store
            .use_link(LinkPurpose::Activation, &digest, at(1))
            .unwrap(),
        LinkState::Unknown
    );
    assert_eq!(
        store
            .use_link(LinkPurpose::PasswordReset, &digest, at(2))
            .unwrap(),
        LinkState::Valid(id),
        "the wrong purpose did not use it up"
    );
}

fn a_link_for_an_unknown_user_is_not_found_and_harmless(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let id = user(&mut conn);
    conn.write_transaction::<_, StoreError, _>(|conn| {
        let mut store = TenantStore::new(conn);
        let orphan = link(id + 100, LinkPurpose::Activation, "orphan", 100);
        assert_eq!(store.insert_link(&orphan), Err(RepositoryError::NotFound));
        store.insert_link(&link(id, LinkPurpose::Activation, "kept", 100))?;
        Ok(())
    })
    .unwrap();
    let mut store = TenantStore::new(&mut conn);
    assert_eq!(
        store
            .link_state(LinkPurpose::Activation, &TokenDigest::of("kept"), at(1))
            .unwrap(),
        LinkState::Valid(id),
        "the transaction went on and committed"
    );
}

/// The second use starts while the first has used the link but not committed: it waits
/// for the first (PostgreSQL's row lock, SQLite's write lock) and finds the link used.
fn of_two_uses_one_at_a_time_the_second_finds_it_used(test: &TestDatabase) {
    let database = open(test);
    let id = user(&mut database.conn().unwrap());
    let digest = TokenDigest::of("secret");
    TenantStore::new(&mut database.conn().unwrap())
        .insert_link(&link(id, LinkPurpose::Activation, "secret", 100))
        .unwrap();
    let used_first = Barrier::new(2);
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            let mut conn = database.conn().unwrap();
            conn.write_transaction::<_, StoreError, _>(|conn| {
                let state =
                    TenantStore::new(conn).use_link(LinkPurpose::Activation, &digest, at(10))?;
                used_first.wait();
                std::thread::sleep(Duration::from_millis(300));
                Ok(state)
            })
        });
        let second = scope.spawn(|| {
            let mut conn = database.conn().unwrap();
            used_first.wait();
            conn.write_transaction::<_, StoreError, _>(|conn| {
                Ok(TenantStore::new(conn).use_link(LinkPurpose::Activation, &digest, at(11))?)
            })
        });
        (first.join().unwrap(), second.join().unwrap())
    });
    assert_eq!(first, Ok(LinkState::Valid(id)));
    assert_eq!(second, Ok(LinkState::Used));
}

/// Uses each of many links from two connections at once, in transactions as a handler
/// would: exactly one use of each link is valid.
fn of_concurrent_uses_exactly_one_is_valid(test: &TestDatabase) {
    const LINKS: usize = 20;
    let database = open(test);
    let id = user(&mut database.conn().unwrap());
    let digests: Vec<TokenDigest> = (0..LINKS)
        .map(|n| TokenDigest::of(&format!("secret-{n}")))
        .collect();
    {
        let mut conn = database.conn().unwrap();
        let mut store = TenantStore::new(&mut conn);
        for n in 0..LINKS {
            let secret = format!("secret-{n}");
            store
                .insert_link(&link(id, LinkPurpose::PasswordReset, &secret, 100))
                .unwrap();
        }
    }
    let start = Barrier::new(2);
    let use_all = |database: &Database| -> Vec<LinkState> {
        let mut conn = database.conn().unwrap();
        start.wait();
        digests
            .iter()
            .map(|digest| {
                conn.write_transaction::<_, StoreError, _>(|conn| {
                    Ok(TenantStore::new(conn).use_link(
                        LinkPurpose::PasswordReset,
                        digest,
                        at(10),
                    )?)
                })
                .unwrap()
            })
            .collect()
    };
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| use_all(&database));
        let second = scope.spawn(|| use_all(&database));
        (first.join().unwrap(), second.join().unwrap())
    });
    for (n, pair) in first.into_iter().zip(second).enumerate() {
        let outcomes = [pair.0, pair.1];
        let valid = outcomes
            .iter()
            .filter(|state| **state == LinkState::Valid(id))
            .count();
        let used = outcomes
            .iter()
            .filter(|state| **state == LinkState::Used)
            .count();
        assert_eq!((valid, used), (1, 1), "link {n}: {outcomes:?}");
    }
}
