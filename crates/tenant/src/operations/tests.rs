use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::*;
use crate::testing::InMemoryTenants;
use crate::{Actor, MfaMethod, Outcome, PathSegment, SettingsPatch, TenantName};

fn context() -> RequestContext {
    RequestContext {
        actor: Actor::Operator("admin".into()),
        request_id: Some("req-1".into()),
        source: Some("127.0.0.1".into()),
        now: Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap(),
    }
}

fn name(text: &str) -> TenantName {
    TenantName::parse(text).unwrap()
}

fn host(text: &str) -> DomainName {
    DomainName::parse(text).unwrap()
}

fn key(text: &str) -> TenantKey {
    TenantKey::Name(name(text))
}

fn create(store: &mut InMemoryTenants, tenant: &str) -> Tenant {
    let input = CreateTenant::new(name(tenant), format!("{tenant} Learning"));
    create_tenant(store, &context(), &UrlConfig::default(), input).unwrap()
}

fn hosts(tenant: &Tenant) -> Vec<(&str, bool)> {
    tenant
        .domains
        .iter()
        .map(|domain| (domain.host.as_str(), domain.is_primary))
        .collect()
}

#[test]
fn create_gives_the_lms_domain_when_no_domain_is_given() {
    let mut store = InMemoryTenants::new();
    let tenant = create(&mut store, "talent1");
    assert_eq!(tenant.status, Status::Active);
    assert_eq!(tenant.version, 1);
    assert_eq!(hosts(&tenant), [("talent1.local.openedx.io", true)]);
    let event = &store.events()[0];
    assert_eq!(event.action, Action::TenantCreate);
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(event.tenant_name.as_deref(), Some("talent1"));
    assert_eq!(event.request_id.as_deref(), Some("req-1"));
    assert_eq!(
        event.details["after"]["primary_domain"],
        "talent1.local.openedx.io"
    );
}

#[test]
fn create_makes_the_first_given_domain_primary() {
    let mut store = InMemoryTenants::new();
    let mut input = CreateTenant::new(name("acme"), "Acme");
    input.domains = vec![host("learn.acme.com"), host("acme.example.org")];
    let tenant = create_tenant(&mut store, &context(), &UrlConfig::default(), input).unwrap();
    assert_eq!(
        hosts(&tenant),
        [("learn.acme.com", true), ("acme.example.org", false)]
    );
}

#[test]
fn create_refuses_taken_names_and_hosts_and_bad_fields() {
    let mut store = InMemoryTenants::new();
    create(&mut store, "talent1");
    let again = CreateTenant::new(name("talent1"), "Again");
    let error = create_tenant(&mut store, &context(), &UrlConfig::default(), again).unwrap_err();
    assert_eq!(
        error,
        TenantError::Conflict {
            field: "name".into()
        }
    );

    let mut thief = CreateTenant::new(name("thief"), "Thief");
    thief.domains = vec![host("talent1.local.openedx.io")];
    let error = create_tenant(&mut store, &context(), &UrlConfig::default(), thief).unwrap_err();
    assert_eq!(
        error,
        TenantError::Conflict {
            field: "domain".into()
        }
    );

    let blank = CreateTenant::new(name("blank"), " ");
    let error = create_tenant(&mut store, &context(), &UrlConfig::default(), blank).unwrap_err();
    assert!(
        matches!(error, TenantError::Invalid(errors) if errors[0].path.to_string() == "display_name")
    );
    assert_eq!(store.events().len(), 1, "refused operations write nothing");
}

#[test]
fn update_merges_fields_and_records_before_and_after() {
    let mut store = InMemoryTenants::new();
    create(&mut store, "talent1");
    let mut metadata = serde_json::Map::new();
    metadata.insert("epaper_frequency".into(), json!("weekly"));
    let patch = TenantPatch {
        display_name: Some("Talent One".into()),
        metadata: Some(metadata),
        settings: Some(SettingsPatch {
            mfa_required: Some(true),
            mfa_methods: Some(vec![MfaMethod::Totp]),
            ..SettingsPatch::default()
        }),
        ..TenantPatch::default()
    };
    let tenant =
        update_tenant(&mut store, &context(), &key("talent1"), &patch, Some(&[1])).unwrap();
    assert_eq!(tenant.profile.display_name, "Talent One");
    assert_eq!(tenant.version, 2);
    assert!(tenant.profile.settings.mfa_required);
    assert_eq!(
        tenant.profile.settings.session_timeout,
        crate::Settings::default().session_timeout
    );
    assert_eq!(tenant.profile.metadata["epaper_frequency"], "weekly");

    let event = store.events().last().unwrap();
    assert_eq!(event.action, Action::TenantUpdate);
    assert_eq!(
        event.details["changes"]["display_name"],
        json!({"before": "talent1 Learning", "after": "Talent One"})
    );
    assert!(event.details["changes"].get("name").is_none());
}

#[test]
fn metadata_keys_set_to_null_are_removed() {
    let mut store = InMemoryTenants::new();
    create(&mut store, "talent1");
    let set = TenantPatch {
        metadata: Some(json!({"a": 1, "b": 2}).as_object().unwrap().clone()),
        ..TenantPatch::default()
    };
    update_tenant(&mut store, &context(), &key("talent1"), &set, None).unwrap();
    let unset = TenantPatch {
        metadata: Some(json!({"a": null}).as_object().unwrap().clone()),
        ..TenantPatch::default()
    };
    let tenant = update_tenant(&mut store, &context(), &key("talent1"), &unset, None).unwrap();
    assert_eq!(Value::Object(tenant.profile.metadata), json!({"b": 2}));
}

#[test]
fn update_names_settings_errors_under_settings() {
    let mut store = InMemoryTenants::new();
    create(&mut store, "talent1");
    let patch = TenantPatch {
        settings: Some(SettingsPatch {
            session_timeout: Some(0),
            ..SettingsPatch::default()
        }),
        ..TenantPatch::default()
    };
    let error = update_tenant(&mut store, &context(), &key("talent1"), &patch, None).unwrap_err();
    let TenantError::Invalid(errors) = error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(
        errors[0].path.segments(),
        &[
            PathSegment::Field("settings"),
            PathSegment::Field("session_timeout")
        ]
    );
}

#[test]
fn update_with_a_stale_version_is_refused() {
    let mut store = InMemoryTenants::new();
    create(&mut store, "talent1");
    let patch = TenantPatch {
        display_name: Some("New".into()),
        ..TenantPatch::default()
    };
    update_tenant(&mut store, &context(), &key("talent1"), &patch, Some(&[1])).unwrap();
    let error =
        update_tenant(&mut store, &context(), &key("talent1"), &patch, Some(&[1])).unwrap_err();
    assert_eq!(
        error,
        TenantError::StaleVersion {
            expected: 1,
            current: 2
        }
    );
    let listed = [7, 2, 9];
    let tenant = update_tenant(
        &mut store,
        &context(),
        &key("talent1"),
        &patch,
        Some(&listed),
    )
    .unwrap();
    assert_eq!(
        tenant.version, 2,
        "any listed version matches; nothing changed"
    );
    let none = update_tenant(&mut store, &context(), &key("talent1"), &patch, Some(&[]));
    assert_eq!(
        none.unwrap_err(),
        TenantError::VersionNotMatched { current: 2 },
        "an empty list (only weak or foreign tags) matches nothing"
    );
}

#[test]
fn an_update_that_changes_nothing_keeps_the_version() {
    let mut store = InMemoryTenants::new();
    create(&mut store, "talent1");
    let tenant = update_tenant(
        &mut store,
        &context(),
        &key("talent1"),
        &TenantPatch::default(),
        None,
    )
    .unwrap();
    assert_eq!(tenant.version, 1);
}

#[test]
fn lifecycle_follows_the_transition_rules_with_their_side_effects() {
    let mut store = InMemoryTenants::new();
    let urls = UrlConfig::default();
    create(&mut store, "talent1");
    let ctx = context();
    let k = key("talent1");

    let suspended = change_status(&mut store, &ctx, &urls, &k, Status::Suspended).unwrap();
    assert_eq!(suspended.status, Status::Suspended);
    assert_eq!(suspended.domains.len(), 1, "suspending keeps domains");
    let error = change_status(&mut store, &ctx, &urls, &k, Status::Suspended).unwrap_err();
    assert!(matches!(error, TenantError::IllegalTransition(_)));

    let active = change_status(&mut store, &ctx, &urls, &k, Status::Active).unwrap();
    assert_eq!(active.status, Status::Active);

    let deleted = change_status(&mut store, &ctx, &urls, &k, Status::Deleted).unwrap();
    assert_eq!(deleted.deleted_at, Some(ctx.now));
    assert!(deleted.domains.is_empty(), "deleting releases domains");

    let restored = change_status(&mut store, &ctx, &urls, &k, Status::Active).unwrap();
    assert_eq!(restored.deleted_at, None);
    assert_eq!(hosts(&restored), [("talent1.local.openedx.io", true)]);

    let cancelled = change_status(&mut store, &ctx, &urls, &k, Status::Cancelled).unwrap();
    assert!(cancelled.domains.is_empty(), "cancelling releases domains");
    let error = change_status(&mut store, &ctx, &urls, &k, Status::Active).unwrap_err();
    assert!(matches!(error, TenantError::IllegalTransition(_)));

    let actions: Vec<&str> = store
        .events()
        .iter()
        .map(|event| event.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "tenant.create",
            "tenant.suspend",
            "tenant.unsuspend",
            "tenant.delete",
            "tenant.restore",
            "tenant.cancel"
        ]
    );
}

#[test]
fn restore_leaves_out_a_default_domain_someone_else_took() {
    let mut store = InMemoryTenants::new();
    let urls = UrlConfig::default();
    create(&mut store, "talent1");
    change_status(
        &mut store,
        &context(),
        &urls,
        &key("talent1"),
        Status::Deleted,
    )
    .unwrap();
    let mut other = CreateTenant::new(name("other"), "Other");
    other.domains = vec![host("talent1.local.openedx.io")];
    create_tenant(&mut store, &context(), &urls, other).unwrap();
    let restored = change_status(
        &mut store,
        &context(),
        &urls,
        &key("talent1"),
        Status::Active,
    )
    .unwrap();
    assert_eq!(restored.status, Status::Active);
    assert!(restored.domains.is_empty());
}

#[test]
fn domains_can_be_added_moved_and_removed() {
    let mut store = InMemoryTenants::new();
    create(&mut store, "talent1");
    let ctx = context();
    let k = key("talent1");

    let tenant = add_domain(&mut store, &ctx, &k, host("learn.talent1.com"), false).unwrap();
    assert_eq!(
        hosts(&tenant),
        [
            ("talent1.local.openedx.io", true),
            ("learn.talent1.com", false)
        ]
    );
    let error = add_domain(&mut store, &ctx, &k, host("learn.talent1.com"), false).unwrap_err();
    assert_eq!(
        error,
        TenantError::Conflict {
            field: "domain".into()
        }
    );

    let tenant = set_primary_domain(&mut store, &ctx, &k, &host("learn.talent1.com")).unwrap();
    assert_eq!(
        hosts(&tenant),
        [
            ("learn.talent1.com", true),
            ("talent1.local.openedx.io", false)
        ]
    );

    let tenant = remove_domain(&mut store, &ctx, &k, &host("learn.talent1.com")).unwrap();
    assert_eq!(
        hosts(&tenant),
        [("talent1.local.openedx.io", true)],
        "next domain promoted"
    );

    let error = remove_domain(&mut store, &ctx, &k, &host("nowhere.example.com")).unwrap_err();
    assert_eq!(
        error,
        TenantError::DomainNotFound("nowhere.example.com".into())
    );
    let error = set_primary_domain(&mut store, &ctx, &k, &host("nowhere.example.com")).unwrap_err();
    assert_eq!(
        error,
        TenantError::DomainNotFound("nowhere.example.com".into())
    );
}

#[test]
fn a_host_of_another_tenant_cannot_be_added() {
    let mut store = InMemoryTenants::new();
    create(&mut store, "talent1");
    create(&mut store, "talent2");
    let error = add_domain(
        &mut store,
        &context(),
        &key("talent2"),
        host("talent1.local.openedx.io"),
        true,
    )
    .unwrap_err();
    assert_eq!(
        error,
        TenantError::Conflict {
            field: "domain".into()
        }
    );
}

#[test]
fn domains_of_cancelled_tenants_are_frozen() {
    let mut store = InMemoryTenants::new();
    create(&mut store, "talent1");
    let urls = UrlConfig::default();
    change_status(
        &mut store,
        &context(),
        &urls,
        &key("talent1"),
        Status::Cancelled,
    )
    .unwrap();
    let error = add_domain(
        &mut store,
        &context(),
        &key("talent1"),
        host("a.example.com"),
        true,
    )
    .unwrap_err();
    assert!(matches!(
        error,
        TenantError::NotAllowed {
            status: Status::Cancelled,
            ..
        }
    ));
}

#[test]
fn purge_removes_the_tenant_and_frees_its_name() {
    let mut store = InMemoryTenants::new();
    create(&mut store, "talent1");
    let gone = purge_tenant(&mut store, &context(), &key("talent1")).unwrap();
    assert_eq!(gone.name.as_str(), "talent1");
    assert_eq!(
        find_tenant(&mut store, &key("talent1")).unwrap_err(),
        TenantError::NotFound
    );
    create(&mut store, "talent1");
    assert_eq!(store.events()[1].action, Action::TenantPurge);
    assert_eq!(store.events()[1].tenant_name.as_deref(), Some("talent1"));
}

#[test]
fn unknown_tenants_are_not_found() {
    let mut store = InMemoryTenants::new();
    let urls = UrlConfig::default();
    let missing = key("missing");
    assert_eq!(
        find_tenant(&mut store, &missing).unwrap_err(),
        TenantError::NotFound
    );
    let error =
        change_status(&mut store, &context(), &urls, &missing, Status::Suspended).unwrap_err();
    assert_eq!(error, TenantError::NotFound);
    let error = purge_tenant(&mut store, &context(), &missing).unwrap_err();
    assert_eq!(error, TenantError::NotFound);
}

#[test]
fn a_storage_fault_stops_a_change_before_its_audit_event() {
    let mut store = InMemoryTenants::new();
    create(&mut store, "talent1");
    store.fail_next("save", RepositoryError::Unavailable("database down".into()));
    let urls = UrlConfig::default();
    let error = change_status(
        &mut store,
        &context(),
        &urls,
        &key("talent1"),
        Status::Suspended,
    )
    .unwrap_err();
    assert_eq!(error, TenantError::Unavailable("database down".into()));
    assert_eq!(store.events().len(), 1, "only the creation is audited");
    let stored = find_tenant(&mut store, &key("talent1")).unwrap();
    assert_eq!((stored.status, stored.version), (Status::Active, 1));
}

#[test]
fn a_failed_audit_append_fails_the_operation() {
    let mut store = InMemoryTenants::new();
    store.fail_next("record", RepositoryError::Backend("disk full".into()));
    let input = CreateTenant::new(name("talent1"), "talent1 Learning");
    let error = create_tenant(&mut store, &context(), &UrlConfig::default(), input).unwrap_err();
    // The caller's transaction rolls the insert back; memory has none, so the tenant stays.
    assert_eq!(error, TenantError::Backend("disk full".into()));
    assert!(store.events().is_empty());
}
