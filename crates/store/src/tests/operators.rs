//! Operator accounts.

use tenantry_registration::{AccessRepository, PasswordHash};
use tenantry_tenant::RepositoryError;

use super::{at, on_both_backends, open, stored_at};
use crate::testing::TestDatabase;
use crate::{
    StoreError, TenantStore, count_operators, create_operator, find_operator, set_operator_password,
};

on_both_backends!(
    operators_are_created_found_and_unique,
    operator_accounts_carry_a_parsed_hash,
);

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

fn operators_are_created_found_and_unique(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    assert_eq!(count_operators(&mut conn).unwrap(), 0);

    let created = create_operator(&mut conn, "admin", HASH, at(0)).unwrap();
    assert!(created.id > 0);
    assert_eq!(created.username, "admin");
    assert_eq!(created.password_hash, HASH);
    assert_eq!(
        (created.created_at, created.updated_at),
        (stored_at(0), stored_at(0))
    );
    assert_eq!(
        find_operator(&mut conn, "admin").unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        find_operator(&mut conn, "Admin").unwrap(),
        None,
        "usernames are exact"
    );
    assert_eq!(find_operator(&mut conn, "nobody").unwrap(), None);

    let duplicate = create_operator(&mut conn, "admin", "other", at(1)).unwrap_err();
    assert_eq!(duplicate, StoreError::conflict("username"));
    assert_eq!(count_operators(&mut conn).unwrap(), 1);

    set_operator_password(&mut conn, "admin", "new-hash", at(5)).unwrap();
    let changed = find_operator(&mut conn, "admin").unwrap().unwrap();
    assert_eq!(changed.password_hash, "new-hash");
    assert_eq!(
        (changed.created_at, changed.updated_at),
        (stored_at(0), stored_at(5))
    );
    let missing = set_operator_password(&mut conn, "nobody", "x", at(5)).unwrap_err();
    assert_eq!(missing, StoreError::NotFound);

    create_operator(&mut conn, "second", HASH, at(9)).unwrap();
    assert_eq!(count_operators(&mut conn).unwrap(), 2);
}

fn operator_accounts_carry_a_parsed_hash(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let created = create_operator(&mut conn, "admin", HASH, at(0)).unwrap();
    set_operator_password(&mut conn, "admin", HASH, at(7)).unwrap();
    create_operator(&mut conn, "broken", "not a phc string", at(0)).unwrap();
    let mut store = TenantStore::new(&mut conn);

    let account = store.find_operator("admin").unwrap().unwrap();
    assert_eq!(account.id, created.id);
    assert_eq!(account.username, "admin");
    assert_eq!(
        account.password_hash,
        PasswordHash::from_phc(HASH.to_owned()).unwrap()
    );
    assert_eq!(account.updated_at, stored_at(7));
    assert_eq!(store.find_operator("nobody").unwrap(), None);
    let broken = store.find_operator("broken");
    assert!(
        matches!(broken, Err(RepositoryError::Backend(_))),
        "{broken:?}"
    );
}
