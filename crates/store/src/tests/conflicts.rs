//! Uniqueness violations are conflicts naming the field, and leave nothing half-written.

use diesel::Connection;
use tenantry_tenant::{DomainName, RepositoryError, ServiceId, TenantName, TenantRepository};

use super::{domains, new_tenant, on_both_backends, open};
use crate::testing::TestDatabase;
use crate::{StoreError, TenantStore};

on_both_backends!(
    inserts_clash_on_name_service_id_and_domain,
    saves_clash_on_name_service_id_and_domain,
    a_refused_write_leaves_the_callers_transaction_usable,
);

fn conflict(field: &str) -> RepositoryError {
    RepositoryError::Conflict {
        field: field.into(),
    }
}

fn inserts_clash_on_name_service_id_and_domain(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    store
        .insert(&new_tenant("first", &["first.example.com"]))
        .unwrap();

    let mut same_name = new_tenant("first", &["other.example.com"]);
    same_name.profile.service_id = None;
    assert_eq!(store.insert(&same_name).unwrap_err(), conflict("name"));

    let mut same_service = new_tenant("second", &["second.example.com"]);
    same_service.profile.service_id = Some(ServiceId::parse("WHMCS:first").unwrap());
    assert_eq!(
        store.insert(&same_service).unwrap_err(),
        conflict("service_id")
    );

    let same_host = new_tenant("third", &["third.example.com", "first.example.com"]);
    assert_eq!(store.insert(&same_host).unwrap_err(), conflict("domain"));
    let third = TenantName::parse("third").unwrap();
    assert_eq!(
        store.find_by_name(&third).unwrap(),
        None,
        "the tenant row went with its domains"
    );
    let host = DomainName::parse("third.example.com").unwrap();
    assert_eq!(store.find_by_host(&host).unwrap(), None);
    assert_eq!(store.count_live().unwrap(), 1);
}

fn saves_clash_on_name_service_id_and_domain(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    store
        .insert(&new_tenant("first", &["first.example.com"]))
        .unwrap();
    let second = store
        .insert(&new_tenant("second", &["second.example.com"]))
        .unwrap();

    let mut renamed = second.clone();
    renamed.name = TenantName::parse("first").unwrap();
    assert_eq!(store.save(&renamed).unwrap_err(), conflict("name"));

    let mut rebilled = second.clone();
    rebilled.profile.service_id = Some(ServiceId::parse("WHMCS:first").unwrap());
    assert_eq!(store.save(&rebilled).unwrap_err(), conflict("service_id"));

    let mut grabbing = second.clone();
    grabbing.domains = domains(&["second.example.com", "first.example.com"]);
    assert_eq!(store.save(&grabbing).unwrap_err(), conflict("domain"));

    assert_eq!(
        store.get(second.id).unwrap().as_ref(),
        Some(&second),
        "nothing changed"
    );
}

fn a_refused_write_leaves_the_callers_transaction_usable(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    conn.transaction::<_, StoreError, _>(|conn| {
        let mut store = TenantStore::new(conn);
        store.insert(&new_tenant("first", &["first.example.com"]))?;
        let mut clashing = new_tenant("first", &[]);
        clashing.profile.service_id = None;
        let clash = store.insert(&clashing).unwrap_err();
        assert_eq!(clash, conflict("name"));
        store.insert(&new_tenant("second", &["second.example.com"]))?;
        Ok(())
    })
    .unwrap();
    assert_eq!(TenantStore::new(&mut conn).count_live().unwrap(), 2);
}
