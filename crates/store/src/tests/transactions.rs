//! The caller's transaction decides; write transactions serialise on SQLite.

use std::sync::Barrier;
use std::time::Duration;

use diesel::Connection;
use tenantry_tenant::TenantRepository;

use super::{new_tenant, on_both_backends, open};
use crate::testing::TestDatabase;
use crate::{StoreError, TenantStore};

on_both_backends!(
    the_callers_rollback_undoes_every_write,
    write_transactions_commit_roll_back_and_nest,
);

fn the_callers_rollback_undoes_every_write(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let outcome = conn.transaction::<(), StoreError, _>(|conn| {
        TenantStore::new(conn).insert(&new_tenant("talent1", &["a.example.com"]))?;
        Err(StoreError::Backend("undo".into()))
    });
    assert_eq!(outcome, Err(StoreError::Backend("undo".into())));
    assert_eq!(TenantStore::new(&mut conn).count_live().unwrap(), 0);
}

fn write_transactions_commit_roll_back_and_nest(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    conn.write_transaction::<_, StoreError, _>(|conn| {
        TenantStore::new(conn).insert(&new_tenant("kept", &[]))?;
        Ok(())
    })
    .unwrap();
    let undone = conn.write_transaction::<(), StoreError, _>(|conn| {
        TenantStore::new(conn).insert(&new_tenant("undone", &[]))?;
        Err(StoreError::Backend("undo".into()))
    });
    assert!(undone.is_err());
    conn.transaction::<_, StoreError, _>(|conn| {
        conn.write_transaction::<_, StoreError, _>(|conn| {
            TenantStore::new(conn).insert(&new_tenant("nested", &[]))?;
            Ok(())
        })
    })
    .unwrap();
    assert_eq!(TenantStore::new(&mut conn).count_live().unwrap(), 2);
}

/// Two connections write at once: the second waits for the first's lock instead of
/// failing with "database is locked".
#[test]
fn sqlite_write_transactions_wait_for_each_other() {
    let test = TestDatabase::sqlite();
    let database = open(&test);
    let started = Barrier::new(2);
    std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            let mut conn = database.conn().unwrap();
            conn.write_transaction::<_, StoreError, _>(|conn| {
                let mut store = TenantStore::new(conn);
                store.count_live()?;
                started.wait();
                std::thread::sleep(Duration::from_millis(300));
                store.insert(&new_tenant("first", &[]))?;
                Ok(())
            })
        });
        let second = scope.spawn(|| {
            let mut conn = database.conn().unwrap();
            started.wait();
            conn.write_transaction::<_, StoreError, _>(|conn| {
                let mut store = TenantStore::new(conn);
                store.count_live()?;
                store.insert(&new_tenant("second", &[]))?;
                Ok(())
            })
        });
        first.join().unwrap().unwrap();
        second.join().unwrap().unwrap();
    });
    let mut conn = database.conn().unwrap();
    assert_eq!(TenantStore::new(&mut conn).count_live().unwrap(), 2);
}
