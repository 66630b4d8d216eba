//! Saving: every field written, versions checked, domains synchronised, deletes cascade.

use chrono::Duration;
use diesel::prelude::*;
use serde_json::json;
use tenantry_tenant::{
    DomainName, RepositoryError, Status, Tenant, TenantId, TenantName, TenantRepository,
};

use super::{at, bare_tenant, domains, new_tenant, on_both_backends, open, stored_at};
use crate::schema;
use crate::testing::TestDatabase;
use crate::{DbConnection, TenantStore};

on_both_backends!(
    save_writes_every_field_and_bumps_the_version,
    save_refuses_a_stale_version_and_a_missing_tenant,
    save_synchronises_domains,
    delete_removes_the_tenant_and_its_domains,
    unreadable_stored_json_is_a_backend_error,
);

fn hosts(tenant: &Tenant) -> Vec<(&str, bool)> {
    tenant
        .domains
        .iter()
        .map(|domain| (domain.host.as_str(), domain.is_primary))
        .collect()
}

fn save_writes_every_field_and_bumps_the_version(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let inserted = store
        .insert(&new_tenant("talent1", &["talent1.example.com"]))
        .unwrap();

    let mut changed = inserted.clone();
    changed.name = TenantName::parse("talent2").unwrap();
    changed.profile.display_name = "Talent Two".into();
    changed.status = Status::Deleted;
    changed.profile.service_id = None;
    changed.profile.partner_id = None;
    changed.profile.plan_id = Some("plan-pro".into());
    changed.profile.modules = vec!["only".into()];
    changed.profile.theme_name = None;
    changed.profile.org_filter = Vec::new();
    changed.profile.admin_email = None;
    changed.profile.metadata = json!({ "epaper_frequency": "daily" })
        .as_object()
        .unwrap()
        .clone();
    changed.profile.settings.mfa_required = false;
    changed.profile.settings.mfa_methods.clear();
    changed.updated_at = at(60);
    changed.deleted_at = Some(at(60));
    let saved = store.save(&changed).unwrap();

    let mut expected = changed.clone();
    expected.version = 2;
    expected.updated_at = stored_at(60);
    expected.deleted_at = Some(stored_at(60));
    expected.created_at = stored_at(0);
    assert_eq!(saved, expected);
    assert_eq!(store.get(inserted.id).unwrap(), Some(expected));
    assert_eq!(store.find_by_name(&inserted.name).unwrap(), None, "renamed");
    assert_eq!(store.count_live().unwrap(), 0, "deleted ones are not live");
}

fn save_refuses_a_stale_version_and_a_missing_tenant(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let original = store.insert(&new_tenant("talent1", &[])).unwrap();

    let mut first = original.clone();
    first.profile.display_name = "First writer".into();
    assert_eq!(store.save(&first).unwrap().version, 2);

    let mut second = original.clone();
    second.profile.display_name = "Second writer".into();
    assert_eq!(
        store.save(&second).unwrap_err(),
        RepositoryError::StaleVersion { current: 2 }
    );
    let stored = store.get(original.id).unwrap().unwrap();
    assert_eq!(
        (stored.profile.display_name.as_str(), stored.version),
        ("First writer", 2)
    );

    let mut missing = original.clone();
    missing.id = TenantId(original.id.0 + 100);
    assert_eq!(store.save(&missing).unwrap_err(), RepositoryError::NotFound);
}

fn save_synchronises_domains(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let tenant = store
        .insert(&new_tenant("talent1", &["a.example.com", "b.example.com"]))
        .unwrap();

    // add c, move the primary to b
    let mut change = tenant.clone();
    change.domains = domains(&["b.example.com", "a.example.com", "c.example.com"]);
    change.updated_at += Duration::seconds(1);
    let tenant = store.save(&change).unwrap();
    assert_eq!(
        hosts(&tenant),
        [
            ("b.example.com", true),
            ("a.example.com", false),
            ("c.example.com", false)
        ]
    );

    // remove a and b (and with b the primary), make c primary
    let mut change = tenant.clone();
    change.domains = domains(&["c.example.com"]);
    let tenant = store.save(&change).unwrap();
    assert_eq!(hosts(&tenant), [("c.example.com", true)]);

    // the primary moves to a host added in the same save
    let mut change = tenant.clone();
    change.domains = domains(&["d.example.com", "c.example.com"]);
    let tenant = store.save(&change).unwrap();
    assert_eq!(
        hosts(&tenant),
        [("d.example.com", true), ("c.example.com", false)]
    );

    // no domains at all
    let mut change = tenant.clone();
    change.domains.clear();
    let tenant = store.save(&change).unwrap();
    assert!(tenant.domains.is_empty());
    assert_eq!(tenant.version, 5);

    // released hosts can be claimed by another tenant
    let other = store
        .insert(&bare_tenant(
            "other",
            "Other",
            Status::Active,
            &["a.example.com"],
        ))
        .unwrap();
    let host = DomainName::parse("a.example.com").unwrap();
    assert_eq!(
        store.find_by_host(&host).unwrap().map(|found| found.id),
        Some(other.id)
    );
}

fn domain_rows(conn: &mut DbConnection, tenant_id: TenantId) -> i64 {
    schema::domains::table
        .filter(schema::domains::tenant_id.eq(tenant_id.0))
        .count()
        .get_result(conn)
        .unwrap()
}

fn delete_removes_the_tenant_and_its_domains(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let tenant = TenantStore::new(&mut conn)
        .insert(&new_tenant("talent1", &["a.example.com", "b.example.com"]))
        .unwrap();
    let kept = TenantStore::new(&mut conn)
        .insert(&new_tenant("kept", &["k.example.com"]))
        .unwrap();
    assert_eq!(domain_rows(&mut conn, tenant.id), 2);

    assert!(TenantStore::new(&mut conn).delete(tenant.id).unwrap());
    assert_eq!(domain_rows(&mut conn, tenant.id), 0, "domains cascade");
    let mut store = TenantStore::new(&mut conn);
    assert_eq!(store.get(tenant.id).unwrap(), None);
    assert_eq!(
        store
            .find_by_host(&DomainName::parse("a.example.com").unwrap())
            .unwrap(),
        None
    );
    assert!(!store.delete(tenant.id).unwrap(), "already gone");
    assert_eq!(
        store.get(kept.id).unwrap().map(|found| found.domains.len()),
        Some(1)
    );
    store
        .insert(&bare_tenant(
            "reuse",
            "Reuse",
            Status::Active,
            &["a.example.com"],
        ))
        .unwrap();
}

fn unreadable_stored_json_is_a_backend_error(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let tenant = TenantStore::new(&mut conn)
        .insert(&new_tenant("talent1", &[]))
        .unwrap();
    diesel::update(schema::tenants::table.filter(schema::tenants::id.eq(tenant.id.0)))
        .set(schema::tenants::metadata.eq("{not json"))
        .execute(&mut *conn)
        .unwrap();
    match TenantStore::new(&mut conn).get(tenant.id) {
        Err(RepositoryError::Backend(message)) => {
            assert!(message.contains("tenants.metadata"), "{message}")
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
}
