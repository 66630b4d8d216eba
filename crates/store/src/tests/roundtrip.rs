//! A tenant comes back exactly as inserted, by every key.

use tenantry_tenant::{
    DomainName, ServiceId, Status, TenantId, TenantName, TenantProfile, TenantRepository,
};

use super::{new_tenant, on_both_backends, open, stored_at};
use crate::TenantStore;
use crate::testing::TestDatabase;

on_both_backends!(
    a_tenant_round_trips_by_every_key,
    a_tenant_without_optional_fields_round_trips
);

fn a_tenant_round_trips_by_every_key(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let mut new = new_tenant(
        "talent1",
        &["talent1.example.com", "b.example.com", "a.example.com"],
    );
    new.domains.reverse(); // primary last in the input; stored order is primary first
    let inserted = store.insert(&new).unwrap();

    assert!(inserted.id.0 > 0);
    assert_eq!(inserted.version, 1);
    assert_eq!(inserted.name, new.name);
    assert_eq!(inserted.status, Status::Active);
    assert_eq!(
        inserted.profile, new.profile,
        "every descriptive field round-trips"
    );
    assert_eq!(inserted.created_at, stored_at(0));
    assert_eq!(inserted.updated_at, stored_at(0));
    assert_eq!(inserted.deleted_at, None);
    let hosts: Vec<(&str, bool)> = inserted
        .domains
        .iter()
        .map(|domain| (domain.host.as_str(), domain.is_primary))
        .collect();
    assert_eq!(
        hosts,
        [
            ("talent1.example.com", true),
            ("a.example.com", false),
            ("b.example.com", false)
        ],
        "primary first, then by host"
    );

    assert_eq!(store.get(inserted.id).unwrap().as_ref(), Some(&inserted));
    assert_eq!(
        store.find_by_name(&new.name).unwrap().as_ref(),
        Some(&inserted)
    );
    let service_id = ServiceId::parse("WHMCS:talent1").unwrap();
    assert_eq!(
        store.find_by_service_id(&service_id).unwrap().as_ref(),
        Some(&inserted)
    );
    for host in ["talent1.example.com", "a.example.com"] {
        let host = DomainName::parse(host).unwrap();
        assert_eq!(store.find_by_host(&host).unwrap().as_ref(), Some(&inserted));
    }

    assert_eq!(store.get(TenantId(inserted.id.0 + 1)).unwrap(), None);
    assert_eq!(
        store
            .find_by_name(&TenantName::parse("other").unwrap())
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .find_by_service_id(&ServiceId::parse("nope").unwrap())
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .find_by_host(&DomainName::parse("nope.example.com").unwrap())
            .unwrap(),
        None
    );
    assert_eq!(store.count_live().unwrap(), 1);
}

fn a_tenant_without_optional_fields_round_trips(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let new = super::bare_tenant("plain", "Plain", Status::Suspended, &[]);
    let inserted = store.insert(&new).unwrap();
    assert_eq!(
        inserted.profile,
        TenantProfile::new("Plain"),
        "empty fields stay empty"
    );
    assert!(inserted.domains.is_empty());
    assert_eq!(inserted.status, Status::Suspended);
    assert_eq!(store.get(inserted.id).unwrap(), Some(inserted));
}
