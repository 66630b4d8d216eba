use serde_json::json;

use super::*;
use crate::{FieldProblem, LengthUnit, MfaMethod, PathSegment};

fn paths(errors: &[FieldError]) -> Vec<String> {
    errors.iter().map(|error| error.path.to_string()).collect()
}

#[test]
fn a_minimal_profile_is_valid() {
    assert_eq!(TenantProfile::new("Talent 1 Learning").check(), vec![]);
}

#[test]
fn every_bad_field_is_named_in_order() {
    let mut profile = TenantProfile::new("  ");
    profile.theme_name = Some("x".repeat(256));
    profile.plan_id = Some("a\u{1}b".into());
    profile.admin_email = Some("not-an-address".into());
    profile.modules = vec!["ok".into(), String::new()];
    profile.org_filter = (0..=MAX_LIST_ITEMS).map(|i| format!("org{i}")).collect();
    let errors = profile.check();
    assert_eq!(
        paths(&errors),
        [
            "display_name",
            "theme_name",
            "plan_id",
            "admin_email",
            "modules[1]",
            "org_filter"
        ]
    );
    let problems: Vec<FieldProblem> = errors.into_iter().map(|error| error.problem).collect();
    assert_eq!(
        problems,
        [
            FieldProblem::Blank,
            FieldProblem::TooLong {
                max: 255,
                unit: LengthUnit::Characters
            },
            FieldProblem::ControlCharacter,
            FieldProblem::NotAnEmail,
            FieldProblem::Blank,
            FieldProblem::TooLong {
                max: 100,
                unit: LengthUnit::Items
            },
        ]
    );
}

#[test]
fn oversized_metadata_is_refused() {
    let mut profile = TenantProfile::new("Site");
    profile
        .metadata
        .insert("blob".into(), Value::String("x".repeat(MAX_METADATA_BYTES)));
    let errors = profile.check();
    assert_eq!(errors[0].path.segments(), &[PathSegment::Field("metadata")]);
    assert_eq!(
        errors[0].problem,
        FieldProblem::TooLong {
            max: MAX_METADATA_BYTES,
            unit: LengthUnit::JsonBytes
        }
    );
}

#[test]
fn patches_check_only_what_they_set() {
    assert_eq!(TenantPatch::default().check(), vec![]);
    let patch = TenantPatch {
        plan_id: Some(Some(String::new())),
        theme_name: Some(None),
        ..TenantPatch::default()
    };
    assert_eq!(paths(&patch.check()), ["plan_id"]);
}

#[test]
fn apply_replaces_clears_and_merges() {
    let mut profile = TenantProfile::new("Site");
    profile.theme_name = Some("indigo".into());
    profile.plan_id = Some("basic".into());
    profile.metadata = json!({"keep": 1, "drop": 2, "change": 3})
        .as_object()
        .cloned()
        .unwrap();
    let patch = TenantPatch {
        display_name: Some("Site 2".into()),
        theme_name: Some(None),
        modules: Some(vec!["news".into()]),
        metadata: json!({"drop": null, "change": 4, "new": 5})
            .as_object()
            .cloned(),
        settings: Some(SettingsPatch {
            session_timeout: Some(15),
            ..SettingsPatch::default()
        }),
        ..TenantPatch::default()
    };
    let next = patch.apply(&profile).unwrap();
    assert_eq!(next.display_name, "Site 2");
    assert_eq!(next.theme_name, None);
    assert_eq!(next.plan_id.as_deref(), Some("basic"), "untouched");
    assert_eq!(next.modules, ["news"]);
    assert_eq!(
        Value::Object(next.metadata),
        json!({"keep": 1, "change": 4, "new": 5})
    );
    assert_eq!(next.settings.session_timeout, 15);
    assert_eq!(TenantPatch::default().apply(&profile), Ok(profile));
}

#[test]
fn apply_reports_field_rules_then_settings_rules() {
    let patch = TenantPatch {
        admin_email: Some(Some("x".into())),
        settings: Some(SettingsPatch {
            mfa_methods: Some(vec![MfaMethod::Sms, MfaMethod::Sms]),
            ..SettingsPatch::default()
        }),
        display_name: Some(" ".into()),
        ..TenantPatch::default()
    };
    let errors = patch.apply(&TenantProfile::new("Site")).unwrap_err();
    assert_eq!(
        paths(&errors),
        ["display_name", "admin_email", "settings.mfa_methods[1]"]
    );
}

#[test]
fn the_snapshot_names_every_field() {
    let mut profile = TenantProfile::new("Site");
    profile.service_id = Some(ServiceId::parse("WHMCS:42").unwrap());
    profile.org_filter = vec!["org1".into()];
    let snapshot = Value::Object(profile.snapshot());
    assert_eq!(
        snapshot,
        json!({
            "display_name": "Site", "service_id": "WHMCS:42", "partner_id": null,
            "plan_id": null, "modules": [], "theme_name": null, "org_filter": ["org1"],
            "admin_email": null, "metadata": {}, "settings": Settings::default().snapshot(),
        })
    );
}
