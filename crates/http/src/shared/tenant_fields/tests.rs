use serde_json::{Map, json};
use tenantry_tenant::MfaMethod;

use super::*;

fn names() -> Vec<&'static str> {
    TENANT_FIELDS.iter().map(|field| field.name).collect()
}

#[test]
fn every_profile_field_has_one_row() {
    // The domain's snapshot takes the profile apart field by field (the compiler sees to
    // it), so a profile field without a row here fails this test.
    let mut rows = names();
    rows.sort_unstable();
    let snapshot: Vec<String> = TenantProfile::new("x").snapshot().keys().cloned().collect();
    assert_eq!(rows, snapshot);
}

#[test]
fn the_view_shows_each_field_as_json() {
    let mut profile = TenantProfile::new("Talent");
    profile.service_id = Some(ServiceId::parse("WHMCS:1").unwrap());
    profile.modules = vec!["news".into()];
    profile.metadata = Map::from_iter([("k".to_owned(), json!(1))]);
    profile.settings.mfa_methods = vec![MfaMethod::Sms];
    let view = |name: &str| {
        let field = TENANT_FIELDS
            .iter()
            .find(|field| field.name == name)
            .unwrap();
        (field.view)(&profile)
    };
    let expected = [
        ("display_name", json!("Talent")),
        ("service_id", json!("WHMCS:1")),
        ("theme_name", Value::Null),
        ("org_filter", json!([])),
        ("modules", json!(["news"])),
        ("metadata", json!({"k": 1})),
        ("settings", settings_json::view(&profile.settings)),
    ];
    for (name, value) in expected {
        assert_eq!(view(name), value, "{name}");
    }
}

#[test]
fn only_the_display_name_is_required() {
    let required: Vec<&str> = TENANT_FIELDS
        .iter()
        .filter(|field| field.shape == Shape::RequiredText)
        .map(|field| field.name)
        .collect();
    assert_eq!(required, ["display_name"]);
    assert_eq!(
        Shape::OptionalText.schema(),
        json!({"type": ["string", "null"]})
    );
}

#[test]
fn rows_read_create_and_patch_bodies() {
    let body = json!({
        "display_name": "T", "service_id": "WHMCS:1", "theme_name": "indigo",
        "org_filter": ["o"], "plan_id": "p", "modules": ["m"], "partner_id": "q",
        "admin_email": "a@example.com", "metadata": {"k": 1}, "settings": {"session_timeout": 5},
    });
    let Value::Object(body) = body else {
        unreachable!("an object")
    };
    let mut fields = Fields::new(&body, vec![json!("body")]);
    let mut profile = TenantProfile::new("");
    let mut patch = TenantPatch::default();
    for field in &TENANT_FIELDS {
        (field.create)(&mut fields, field.name, &mut profile);
        (field.patch)(&mut fields, field.name, &mut patch);
    }
    fields.finish(|| Some(())).unwrap();
    for field in &TENANT_FIELDS {
        if let Some(given) = body.get(field.name)
            && field.name != "settings"
        {
            assert_eq!(
                &(field.view)(&profile),
                given,
                "{} read into the profile",
                field.name
            );
        }
    }
    assert_eq!(profile.settings.session_timeout, 5);
    assert_eq!(
        patch.apply(&TenantProfile::new("")),
        Ok(profile),
        "the patch sets the same"
    );
}
