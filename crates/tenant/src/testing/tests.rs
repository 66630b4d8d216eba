use chrono::{TimeZone, Utc};

use super::*;
use crate::provisioning::{DatabaseProvisioner, ProvisionError};
use crate::{
    AuditEvent, AuditSink, NewTenant, RepositoryError, RequestContext, TenantId, TenantName,
    TenantRepository,
};

fn tenant(name: &str) -> NewTenant {
    let at = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    new_tenant(TenantName::parse(name).unwrap(), at)
}

#[test]
fn an_armed_failure_fails_the_next_call_of_its_method_once_and_changes_nothing() {
    let mut store = InMemoryTenants::new();
    let down = RepositoryError::Unavailable("down".into());
    store.fail_next("insert", down.clone());
    store.fail_next("insert", RepositoryError::Backend("again".into()));

    assert_eq!(store.get(TenantId(1)), Ok(None), "other methods still work");
    assert_eq!(store.insert(&tenant("talent1")), Err(down));
    assert_eq!(
        store.insert(&tenant("talent1")),
        Err(RepositoryError::Backend("again".into())),
        "armed twice, fails twice, in order"
    );
    assert_eq!(store.count_live(), Ok(0), "nothing was inserted");
    assert_eq!(store.routing_version(), Ok(0));
    let tenant = store.insert(&tenant("talent1")).unwrap();
    assert_eq!(tenant.id, TenantId(1));

    let event = AuditEvent::untargeted(
        &RequestContext::system(tenant.created_at),
        crate::Action::TenantCreate,
        serde_json::json!({}),
    );
    store.fail_next("record", RepositoryError::Backend("full".into()));
    assert!(store.record(&event).is_err());
    assert!(store.events().is_empty());
    store.record(&event).unwrap();
    assert_eq!(store.events().len(), 1);
}

#[test]
fn the_memory_provisioner_records_refuses_and_fails_on_demand() {
    let provisioner = InMemoryProvisioner::new();
    let name = TenantName::parse("talent1").unwrap();
    let credentials = provisioner.create(&name).unwrap();
    assert_eq!(credentials.database.database, "tenant_talent1");
    assert_eq!(credentials.password, None);
    assert!(provisioner.exists("tenant_talent1"));
    assert_eq!(
        provisioner.create(&name),
        Err(ProvisionError::AlreadyExists)
    );

    provisioner.drop_database(&credentials.database).unwrap();
    provisioner.drop_database(&credentials.database).unwrap();
    assert!(!provisioner.exists("tenant_talent1"));
    assert_eq!(provisioner.dropped(), ["tenant_talent1", "tenant_talent1"]);

    provisioner.set_fail_create(true);
    let other = TenantName::parse("talent2").unwrap();
    assert!(matches!(
        provisioner.create(&other),
        Err(ProvisionError::Failed(_))
    ));
    assert!(!provisioner.exists("tenant_talent2"), "nothing left behind");
    provisioner.set_fail_create(false);
    provisioner.create(&name).unwrap();
    assert_eq!(provisioner.created(), ["tenant_talent1", "tenant_talent1"]);
}
