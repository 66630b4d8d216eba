//! API tokens through the registration crate's port: stored by digest, found, listed by
//! scope, revoked once, gone with their tenant.

use diesel::prelude::*;
use tenantry_registration::{
    AccessRepository, ApiToken, NewApiToken, TokenDigest, TokenFilter, TokenScope,
};
use tenantry_tenant::{RepositoryError, TenantId, TenantRepository};

use super::{at, new_tenant, on_both_backends, open, stored_at};
use crate::schema::operators;
use crate::testing::TestDatabase;
use crate::{StoreError, TenantStore, create_operator};

on_both_backends!(
    tokens_are_stored_found_and_listed,
    revoking_keeps_the_first_time,
    unknown_tenants_and_operators_are_not_found,
    tokens_go_with_their_tenant_and_lose_their_creator,
    request_slots_are_counted_per_token_in_the_window,
);

fn new_token(secret: &str, scope: TokenScope, by: Option<&str>, seconds: i64) -> NewApiToken {
    NewApiToken {
        digest: TokenDigest::of(secret),
        label: Some(format!("label of {secret}")),
        scope,
        created_by: by.map(str::to_owned),
        created_at: at(seconds),
    }
}

/// What `insert_token` should give back for `new`, stored as `id`.
fn expected(new: &NewApiToken, id: i64, seconds: i64) -> ApiToken {
    ApiToken {
        id,
        label: new.label.clone(),
        scope: new.scope,
        created_by: new.created_by.clone(),
        created_at: stored_at(seconds),
        revoked_at: None,
    }
}

fn tokens_are_stored_found_and_listed(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    create_operator(&mut conn, "ops", "hash", at(0)).unwrap();
    let mut store = TenantStore::new(&mut conn);
    let one = store.insert(&new_tenant("talent1", &[])).unwrap().id;
    let two = store.insert(&new_tenant("talent2", &[])).unwrap().id;

    let admin = new_token("admin-secret", TokenScope::Admin, Some("ops"), 1);
    let stored_admin = store.insert_token(&admin).unwrap();
    assert!(stored_admin.id > 0);
    assert_eq!(stored_admin, expected(&admin, stored_admin.id, 1));
    assert!(stored_admin.is_active());

    // Inserted newer first: listing is oldest first.
    let newer = new_token("newer", TokenScope::Registration(one), None, 9);
    let older = NewApiToken {
        label: None,
        ..new_token("older", TokenScope::Registration(one), Some("ops"), 3)
    };
    let stored_newer = store.insert_token(&newer).unwrap();
    let stored_older = store.insert_token(&older).unwrap();
    assert_eq!(stored_older, expected(&older, stored_older.id, 3));
    let other = store
        .insert_token(&new_token("other", TokenScope::Registration(two), None, 2))
        .unwrap();

    assert_eq!(
        store.find_token(&TokenDigest::of("newer")).unwrap(),
        Some(stored_newer.clone())
    );
    assert_eq!(store.find_token(&TokenDigest::of("nope")).unwrap(), None);
    assert_eq!(
        store.get_token(stored_admin.id).unwrap(),
        Some(stored_admin.clone())
    );
    assert_eq!(store.get_token(other.id + 100).unwrap(), None);

    assert_eq!(
        store.list_tokens(TokenFilter::Admin).unwrap(),
        [stored_admin]
    );
    assert_eq!(
        store.list_tokens(TokenFilter::Tenant(one)).unwrap(),
        [stored_older, stored_newer]
    );
    assert_eq!(
        store.list_tokens(TokenFilter::Tenant(two)).unwrap(),
        [other]
    );
    assert_eq!(
        store
            .list_tokens(TokenFilter::Tenant(TenantId(two.0 + 100)))
            .unwrap(),
        []
    );

    let duplicate = store.insert_token(&new_token("newer", TokenScope::Admin, None, 10));
    assert_eq!(
        duplicate,
        Err(RepositoryError::Conflict {
            field: "token".into()
        })
    );
}

fn revoking_keeps_the_first_time(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let token = store
        .insert_token(&new_token("secret", TokenScope::Admin, None, 0))
        .unwrap();
    let keep = store
        .insert_token(&new_token("kept", TokenScope::Admin, None, 0))
        .unwrap();

    let revoked = store.revoke_token(token.id, at(5)).unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(stored_at(5)));
    assert!(!revoked.is_active());
    let again = store.revoke_token(token.id, at(9)).unwrap().unwrap();
    assert_eq!(again.revoked_at, Some(stored_at(5)), "the first time stays");
    assert_eq!(
        store.find_token(&TokenDigest::of("secret")).unwrap(),
        Some(again),
        "a revoked token is still found"
    );
    assert_eq!(store.revoke_token(keep.id + 100, at(5)).unwrap(), None);
    assert_eq!(store.get_token(keep.id).unwrap(), Some(keep), "untouched");
}

fn unknown_tenants_and_operators_are_not_found(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let tenant = TenantStore::new(&mut conn)
        .insert(&new_tenant("talent1", &[]))
        .unwrap();
    let missing_tenant = TokenScope::Registration(TenantId(tenant.id.0 + 100));
    // Inside one transaction, which stays usable after each refusal (PostgreSQL aborts a
    // transaction on a failed statement).
    conn.write_transaction::<_, StoreError, _>(|conn| {
        let mut store = TenantStore::new(conn);
        let refused = store.insert_token(&new_token("t1", missing_tenant, None, 0));
        assert_eq!(refused, Err(RepositoryError::NotFound));
        let scope = TokenScope::Registration(tenant.id);
        let no_operator = store.insert_token(&new_token("t2", scope, Some("ghost"), 0));
        assert_eq!(no_operator, Err(RepositoryError::NotFound));
        store.insert_token(&new_token("t3", scope, None, 0))?;
        Ok(())
    })
    .unwrap();
    let mut store = TenantStore::new(&mut conn);
    assert_eq!(store.find_token(&TokenDigest::of("t1")).unwrap(), None);
    assert_eq!(store.find_token(&TokenDigest::of("t2")).unwrap(), None);
    assert!(store.find_token(&TokenDigest::of("t3")).unwrap().is_some());
}

fn tokens_go_with_their_tenant_and_lose_their_creator(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let operator = create_operator(&mut conn, "ops", "hash", at(0)).unwrap();
    let mut store = TenantStore::new(&mut conn);
    let tenant = store.insert(&new_tenant("talent1", &[])).unwrap();
    let scope = TokenScope::Registration(tenant.id);
    let registration = store
        .insert_token(&new_token("reg", scope, Some("ops"), 0))
        .unwrap();
    let admin = store
        .insert_token(&new_token("admin", TokenScope::Admin, Some("ops"), 0))
        .unwrap();

    assert!(store.delete(tenant.id).unwrap());
    assert_eq!(store.get_token(registration.id).unwrap(), None);
    assert_eq!(store.find_token(&TokenDigest::of("reg")).unwrap(), None);
    assert_eq!(
        store.list_tokens(TokenFilter::Tenant(tenant.id)).unwrap(),
        []
    );

    diesel::delete(operators::table.filter(operators::id.eq(operator.id)))
        .execute(store.conn())
        .unwrap();
    let orphan = store.get_token(admin.id).unwrap().unwrap();
    assert_eq!(orphan.created_by, None, "the creator's account is gone");
    assert_eq!(orphan.scope, TokenScope::Admin);
}

fn request_slots_are_counted_per_token_in_the_window(test: &TestDatabase) {
    use tenantry_registration::RequestSlot;
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let first = store
        .insert_token(&new_token("one", TokenScope::Admin, None, 0))
        .unwrap();
    let second = store
        .insert_token(&new_token("two", TokenScope::Admin, None, 0))
        .unwrap();
    let at = |seconds: i64| stored_at(seconds);
    let mut take = |token: i64, seconds: i64| {
        store
            .take_request_slot(token, at(seconds - 60), at(seconds), 2)
            .unwrap()
    };
    assert_eq!(take(first.id, 0), RequestSlot::Taken);
    assert_eq!(take(first.id, 10), RequestSlot::Taken);
    assert_eq!(
        take(first.id, 20),
        RequestSlot::Full { oldest: at(0) },
        "two in the window already"
    );
    assert_eq!(take(second.id, 20), RequestSlot::Taken, "another token");
    assert_eq!(take(first.id, 60), RequestSlot::Taken, "0 left the window");
    assert_eq!(take(first.id, 61), RequestSlot::Full { oldest: at(10) });
}
