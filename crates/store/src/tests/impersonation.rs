//! Impersonation secrets: valid until used or expired, used up exactly once however many
//! try at the same time, gone with their tenant or user; a tenant's administrator found;
//! and the registration crate's operations over the store.

use std::sync::Barrier;

use diesel::prelude::*;
use tenantry_registration::{
    IMPERSONATION_LIFETIME, ImpersonationError, ImpersonationRepository, ImpersonationState,
    NewImpersonation, TokenDigest, UserRepository, issue_impersonation, redeem_impersonation,
};
use tenantry_tenant::{
    Action, AuditFilter, AuditLog, RepositoryError, RequestContext, TenantId, TenantRepository,
};

use super::{at, new_tenant, new_user, on_both_backends, open, stored_at};
use crate::schema::{impersonation_tokens, users};
use crate::testing::TestDatabase;
use crate::{Database, DbConnection, StoreError, TenantStore};

on_both_backends!(
    a_secret_is_valid_once_until_it_expires,
    an_unknown_tenant_or_user_is_not_found_and_harmless,
    of_concurrent_uses_exactly_one_is_valid,
    secrets_go_with_their_tenant_and_their_user,
    the_admin_is_the_tenants_lowest_id_admin,
    issue_and_redeem_run_over_the_store,
);

/// A tenant with a plain user and an administrator; (tenant, admin id).
fn tenant_with_admin(conn: &mut DbConnection, name: &str) -> (TenantId, i64) {
    let mut store = TenantStore::new(conn);
    let host = format!("{name}.example.com");
    let tenant = store.insert(&new_tenant(name, &[&host])).unwrap().id;
    store
        .insert_user(&new_user(tenant, "learner", &format!("learner@{host}"), 0))
        .unwrap();
    let mut admin = new_user(tenant, "admin", &format!("admin@{host}"), 0);
    admin.is_tenant_admin = true;
    admin.is_active = true;
    (tenant, store.insert_user(&admin).unwrap().id)
}

/// A secret `secret` for `user_id` of `tenant_id`, issued at 0, expiring at `expires`.
fn secret(tenant_id: TenantId, user_id: i64, secret: &str, expires: i64) -> NewImpersonation {
    NewImpersonation {
        tenant_id,
        user_id,
        digest: TokenDigest::of(secret),
        created_at: at(0),
        expires_at: at(expires),
    }
}

fn token_count(conn: &mut DbConnection) -> i64 {
    impersonation_tokens::table
        .count()
        .get_result(conn)
        .unwrap()
}

fn a_secret_is_valid_once_until_it_expires(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (tenant, admin) = tenant_with_admin(&mut conn, "talent1");
    let mut store = TenantStore::new(&mut conn);
    store
        .insert_impersonation(&secret(tenant, admin, "one", 300))
        .unwrap();
    let one = TokenDigest::of("one");
    let valid = ImpersonationState::Valid {
        tenant_id: tenant,
        user_id: admin,
    };

    assert_eq!(
        store.use_impersonation(&one, stored_at(300)).unwrap(),
        ImpersonationState::Expired,
        "expired at expires_at"
    );
    assert_eq!(
        store.use_impersonation(&one, at(299)).unwrap(),
        valid,
        "a refused use leaves the secret unused"
    );
    assert_eq!(
        store.use_impersonation(&one, at(299)).unwrap(),
        ImpersonationState::Used
    );
    assert_eq!(
        store.use_impersonation(&one, at(1000)).unwrap(),
        ImpersonationState::Used,
        "used stays used after it would have expired"
    );
    let used_at: Option<chrono::NaiveDateTime> = impersonation_tokens::table
        .filter(impersonation_tokens::digest.eq(one.as_str()))
        .select(impersonation_tokens::used_at)
        .first(store.conn())
        .unwrap();
    assert_eq!(
        used_at,
        Some(stored_at(299).naive_utc()),
        "the first use's time"
    );

    assert_eq!(
        store
            .use_impersonation(&TokenDigest::of("two"), at(1))
            .unwrap(),
        ImpersonationState::Unknown
    );
    assert_eq!(
        store
            .use_impersonation(&TokenDigest::of(one.as_str()), at(1))
            .unwrap(),
        ImpersonationState::Unknown,
        "the stored digest is not a secret"
    );
}

fn an_unknown_tenant_or_user_is_not_found_and_harmless(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (tenant, admin) = tenant_with_admin(&mut conn, "talent1");
    conn.write_transaction::<_, StoreError, _>(|conn| {
        let mut store = TenantStore::new(conn);
        let no_user = secret(tenant, admin + 100, "no-user", 300);
        assert_eq!(
            store.insert_impersonation(&no_user),
            Err(RepositoryError::NotFound)
        );
        let no_tenant = secret(TenantId(tenant.0 + 100), admin, "no-tenant", 300);
        assert_eq!(
            store.insert_impersonation(&no_tenant),
            Err(RepositoryError::NotFound)
        );
        store.insert_impersonation(&secret(tenant, admin, "kept", 300))?;
        Ok(())
    })
    .unwrap();
    let mut store = TenantStore::new(&mut conn);
    assert_eq!(token_count(store.conn()), 1);
    assert_eq!(
        store
            .use_impersonation(&TokenDigest::of("kept"), at(1))
            .unwrap(),
        ImpersonationState::Valid {
            tenant_id: tenant,
            user_id: admin
        },
        "the transaction went on and committed"
    );
}

/// Uses each of many secrets from two connections at once, in transactions as a handler
/// would: exactly one use of each is valid.
fn of_concurrent_uses_exactly_one_is_valid(test: &TestDatabase) {
    const SECRETS: usize = 20;
    let database = open(test);
    let (tenant, admin) = tenant_with_admin(&mut database.conn().unwrap(), "talent1");
    let digests: Vec<TokenDigest> = (0..SECRETS)
        .map(|n| TokenDigest::of(&format!("secret-{n}")))
        .collect();
    {
        let mut conn = database.conn().unwrap();
        let mut store = TenantStore::new(&mut conn);
        for n in 0..SECRETS {
            store
                .insert_impersonation(&secret(tenant, admin, &format!("secret-{n}"), 300))
                .unwrap();
        }
    }
    let start = Barrier::new(2);
    let use_all = |database: &Database| -> Vec<ImpersonationState> {
        let mut conn = database.conn().unwrap();
        start.wait();
        digests
            .iter()
            .map(|digest| {
                conn.write_transaction::<_, StoreError, _>(|conn| {
                    Ok(TenantStore::new(conn).use_impersonation(digest, at(10))?)
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
    let valid = ImpersonationState::Valid {
        tenant_id: tenant,
        user_id: admin,
    };
    for (n, pair) in first.into_iter().zip(second).enumerate() {
        let outcomes = [pair.0, pair.1];
        let valid = outcomes.iter().filter(|state| **state == valid).count();
        let used = outcomes
            .iter()
            .filter(|state| **state == ImpersonationState::Used)
            .count();
        assert_eq!((valid, used), (1, 1), "secret {n}: {outcomes:?}");
    }
}

fn secrets_go_with_their_tenant_and_their_user(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, one_admin) = tenant_with_admin(&mut conn, "talent1");
    let (two, two_admin) = tenant_with_admin(&mut conn, "talent2");
    let mut store = TenantStore::new(&mut conn);
    store
        .insert_impersonation(&secret(one, one_admin, "one", 300))
        .unwrap();
    store
        .insert_impersonation(&secret(two, two_admin, "two", 300))
        .unwrap();
    store
        .insert_impersonation(&secret(two, two_admin, "three", 300))
        .unwrap();
    assert_eq!(token_count(store.conn()), 3);

    assert!(store.delete(one).unwrap());
    assert_eq!(
        token_count(store.conn()),
        2,
        "the purged tenant's secret is gone"
    );
    assert_eq!(
        store
            .use_impersonation(&TokenDigest::of("one"), at(1))
            .unwrap(),
        ImpersonationState::Unknown
    );

    diesel::delete(users::table.filter(users::id.eq(two_admin)))
        .execute(store.conn())
        .unwrap();
    assert_eq!(
        token_count(store.conn()),
        0,
        "the deleted user's secrets are gone"
    );
    assert!(store.get(two).unwrap().is_some(), "the tenant stays");
}

fn the_admin_is_the_tenants_lowest_id_admin(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, first_admin) = tenant_with_admin(&mut conn, "talent1");
    let (two, _) = tenant_with_admin(&mut conn, "talent2");
    let mut store = TenantStore::new(&mut conn);
    let bare = store.insert(&new_tenant("talent3", &[])).unwrap().id;
    store
        .insert_user(&new_user(bare, "learner", "learner@example.org", 0))
        .unwrap();
    let mut second = new_user(one, "second", "second@example.org", 1);
    second.is_tenant_admin = true;
    store.insert_user(&second).unwrap();

    let found = store.find_tenant_admin(one).unwrap().unwrap();
    assert_eq!(found.id, first_admin);
    assert_eq!(found.tenant_id, one);
    assert!(found.is_tenant_admin);
    assert_eq!(found, store.get_user(first_admin).unwrap().unwrap());
    assert_ne!(
        store.find_tenant_admin(two).unwrap().unwrap().id,
        first_admin
    );
    assert_eq!(store.find_tenant_admin(bare).unwrap(), None, "no admin");
    assert_eq!(store.find_tenant_admin(TenantId(9999)).unwrap(), None);
}

fn issue_and_redeem_run_over_the_store(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (tenant_id, admin) = tenant_with_admin(&mut conn, "talent1");
    let tenant = TenantStore::new(&mut conn).get(tenant_id).unwrap().unwrap();
    let context = |seconds| RequestContext::system(at(seconds));

    let issued = conn
        .write_transaction::<_, StoreError, _>(|conn| {
            Ok(issue_impersonation(
                &mut TenantStore::new(conn),
                &context(0),
                &tenant,
            ))
        })
        .unwrap()
        .unwrap();
    let redeem = |conn: &mut DbConnection, seconds: i64, text: &str| {
        conn.write_transaction::<_, StoreError, _>(|conn| {
            Ok(redeem_impersonation(
                &mut TenantStore::new(conn),
                &context(seconds),
                text,
            ))
        })
        .unwrap()
    };
    let lifetime = IMPERSONATION_LIFETIME.num_seconds();
    let (found, user) = redeem(&mut conn, lifetime - 1, issued.expose()).unwrap();
    assert_eq!((found.id, user.id), (tenant_id, admin));
    let again = redeem(&mut conn, lifetime - 1, issued.expose());
    assert!(matches!(again, Err(ImpersonationError::Used)), "{again:?}");
    let unknown = redeem(&mut conn, 1, "nope");
    assert!(
        matches!(unknown, Err(ImpersonationError::Unknown)),
        "{unknown:?}"
    );

    let late = conn
        .write_transaction::<_, StoreError, _>(|conn| {
            Ok(issue_impersonation(
                &mut TenantStore::new(conn),
                &context(0),
                &tenant,
            ))
        })
        .unwrap()
        .unwrap();
    let expired = redeem(&mut conn, lifetime + 1, late.expose());
    assert!(
        matches!(expired, Err(ImpersonationError::Expired)),
        "{expired:?}"
    );

    let events = TenantStore::new(&mut conn)
        .list_audit(&AuditFilter::default())
        .unwrap();
    let actions: Vec<Action> = events
        .items
        .iter()
        .map(|record| record.event.action)
        .collect();
    assert_eq!(
        actions,
        [
            Action::ImpersonationRedeem,
            Action::TenantImpersonate,
            Action::TenantImpersonate,
        ],
        "newest first"
    );
    assert_eq!(token_count(&mut conn), 2);
}
