//! The routing version increases with every tenant write, in the writer's transaction,
//! and never with a read.

use tenantry_tenant::{DomainName, TenantQuery, TenantRepository};

use super::{at, domains, new_tenant, on_both_backends, open};
use crate::testing::TestDatabase;
use crate::{StoreError, TenantStore};

on_both_backends!(
    tenant_writes_increase_the_routing_version,
    a_rolled_back_write_leaves_the_routing_version,
);

fn tenant_writes_increase_the_routing_version(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let initial = store.routing_version().unwrap();
    assert_eq!(initial, 0, "seeded by the migration");

    let tenant = store
        .insert(&new_tenant("talent1", &["a.example.com"]))
        .unwrap();
    let after_insert = store.routing_version().unwrap();
    assert!(after_insert > initial);

    store.get(tenant.id).unwrap();
    store.find_by_name(&tenant.name).unwrap();
    store
        .find_by_host(&DomainName::parse("a.example.com").unwrap())
        .unwrap();
    store.list(&TenantQuery::default()).unwrap();
    store.count_live().unwrap();
    assert_eq!(store.routing_version().unwrap(), after_insert, "reads");

    let mut changed = tenant.clone();
    changed.domains = domains(&["b.example.com"]);
    changed.updated_at = at(5);
    let saved = store.save(&changed).unwrap();
    let after_save = store.routing_version().unwrap();
    assert!(after_save > after_insert);

    let stale = store.save(&changed);
    assert!(stale.is_err(), "the version moved on");
    assert_eq!(
        store.routing_version().unwrap(),
        after_save,
        "a refused save"
    );

    assert!(store.delete(saved.id).unwrap());
    let after_delete = store.routing_version().unwrap();
    assert!(after_delete > after_save);
    assert!(!store.delete(saved.id).unwrap());
    assert_eq!(
        store.routing_version().unwrap(),
        after_delete,
        "deleting nothing changes no route"
    );
}

fn a_rolled_back_write_leaves_the_routing_version(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let before = TenantStore::new(&mut conn).routing_version().unwrap();
    let undone = conn.write_transaction::<(), StoreError, _>(|conn| {
        let mut store = TenantStore::new(conn);
        store.insert(&new_tenant("undone", &["u.example.com"]))?;
        assert!(
            store.routing_version()? > before,
            "seen inside the transaction"
        );
        Err(StoreError::Backend("undo".into()))
    });
    assert!(undone.is_err());
    assert_eq!(
        TenantStore::new(&mut conn).routing_version().unwrap(),
        before
    );

    // Another connection sees the increase once the writer commits.
    let mut reader = database.conn().unwrap();
    conn.write_transaction::<_, StoreError, _>(|conn| {
        TenantStore::new(conn).insert(&new_tenant("kept", &["k.example.com"]))?;
        Ok(())
    })
    .unwrap();
    assert!(TenantStore::new(&mut reader).routing_version().unwrap() > before);
}
