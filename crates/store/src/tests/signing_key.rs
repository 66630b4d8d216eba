//! The JWT signing key: the first candidate stored wins, on every connection.

use diesel::prelude::*;
use tenantry_registration::AccessRepository;
use tenantry_tenant::RepositoryError;

use super::{on_both_backends, open};
use crate::TenantStore;
use crate::schema::signing_keys;
use crate::testing::TestDatabase;

on_both_backends!(
    the_first_candidate_is_the_key_for_good,
    a_stored_key_that_is_not_hexadecimal_is_a_backend_fault,
);

fn the_first_candidate_is_the_key_for_good(test: &TestDatabase) {
    let database = open(test);
    let first: Vec<u8> = (0..=255).collect();
    let mut conn = database.conn().unwrap();
    assert_eq!(
        TenantStore::new(&mut conn).signing_key(&first).unwrap(),
        first
    );
    assert_eq!(
        TenantStore::new(&mut conn).signing_key(b"second").unwrap(),
        first
    );
    let mut other = database.conn().unwrap();
    assert_eq!(
        TenantStore::new(&mut other).signing_key(b"third").unwrap(),
        first,
        "another node gets the same key"
    );
    let rows: i64 = signing_keys::table.count().get_result(&mut *other).unwrap();
    assert_eq!(rows, 1);
}

fn a_stored_key_that_is_not_hexadecimal_is_a_backend_fault(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    TenantStore::new(&mut conn).signing_key(b"key").unwrap();
    diesel::update(signing_keys::table)
        .set(signing_keys::secret.eq("not hex"))
        .execute(&mut *conn)
        .unwrap();
    let read = TenantStore::new(&mut conn).signing_key(b"key");
    assert!(matches!(read, Err(RepositoryError::Backend(_))), "{read:?}");
}
