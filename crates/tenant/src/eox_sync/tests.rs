use super::*;

fn row(key: &str, routes: &[&str]) -> StoredRow {
    StoredRow {
        external_key: key.into(),
        lms_configs: r#"{"PLATFORM_NAME":"T","SITE_NAME":"t"}"#.into(),
        studio_configs: "{}".into(),
        theming_configs: "{}".into(),
        meta: r#"{"created_by":"admin"}"#.into(),
        routes: routes.iter().map(|route| (*route).to_owned()).collect(),
    }
}

fn held(row: &StoredRow) -> LmsConfig {
    LmsConfig {
        external_key: row.external_key.clone(),
        lms_configs: row.lms_configs.clone(),
        studio_configs: row.studio_configs.clone(),
        theming_configs: row.theming_configs.clone(),
        meta: row.meta.clone(),
    }
}

fn route(domain: &str, key: &str, owned: bool) -> LmsRoute {
    LmsRoute {
        domain: domain.into(),
        external_key: Some(key.into()),
        owned_by_tenantry: owned,
    }
}

fn owned(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|key| (*key).to_owned()).collect()
}

/// What the LMS holds after `changes`, applied to `current` the way the MySQL adapter
/// applies them (for the idempotency checks).
fn apply(current: &LmsRows, changes: &[Change], tenantry_keys: &[&str]) -> LmsRows {
    let mut next = current.clone();
    for change in changes {
        match change {
            Change::DeleteConfig { external_key } => {
                next.configs
                    .retain(|config| &config.external_key != external_key);
                next.routes
                    .retain(|route| route.external_key.as_ref() != Some(external_key));
            }
            Change::CreateConfig { row } => next.configs.push(held(row)),
            Change::UpdateConfig { row, .. } => {
                next.configs
                    .retain(|config| config.external_key != row.external_key);
                next.configs.push(held(row));
            }
            Change::RemoveRoute { domain, .. } => next.routes.retain(|r| &r.domain != domain),
            // As the SQL does: a move updates an existing row, an add inserts a new one.
            Change::MoveRoute { domain, to, .. } => {
                let moved = next.routes.iter_mut().find(|r| &r.domain == domain);
                let moved = moved.expect("a move of a route that exists");
                moved.external_key = Some(to.clone());
                moved.owned_by_tenantry = tenantry_keys.contains(&to.as_str());
            }
            Change::AddRoute {
                domain,
                external_key,
            } => {
                assert!(
                    next.routes.iter().all(|r| &r.domain != domain),
                    "an add of a route that exists"
                );
                next.routes.push(route(
                    domain,
                    external_key,
                    tenantry_keys.contains(&external_key.as_str()),
                ));
            }
        }
    }
    next
}

#[test]
fn a_new_active_tenant_gets_its_config_and_routes() {
    let wanted = row("t.local", &["t.local", "t.example.com"]);
    let changes = plan(Some(&wanted), &[], &LmsRows::default()).unwrap();
    assert_eq!(
        changes,
        vec![
            Change::CreateConfig {
                row: wanted.clone()
            },
            Change::AddRoute {
                domain: "t.local".into(),
                external_key: "t.local".into()
            },
            Change::AddRoute {
                domain: "t.example.com".into(),
                external_key: "t.local".into()
            },
        ]
    );
    let after = apply(&LmsRows::default(), &changes, &["t.local"]);
    assert_eq!(
        plan(Some(&wanted), &owned(&["t.local"]), &after).unwrap(),
        vec![]
    );
}

#[test]
fn status_decides_what_the_lms_keeps() {
    let record = row("t.local", &["t.local"]);
    assert_eq!(
        desired_state(Some(Status::Active), Some(record.clone())),
        Some(record.clone())
    );
    let suspended = desired_state(Some(Status::Suspended), Some(record.clone())).unwrap();
    assert!(suspended.routes.is_empty());
    assert_eq!(suspended.lms_configs, record.lms_configs);
    let cancelled = desired_state(Some(Status::Cancelled), Some(record.clone())).unwrap();
    assert!(cancelled.routes.is_empty());
    assert_eq!(desired_state(Some(Status::Deleted), Some(record)), None);
    assert_eq!(desired_state(None, None), None);
}

#[test]
fn suspending_removes_the_routes_and_keeps_the_config() {
    let active = row("t.local", &["t.local"]);
    let current = LmsRows {
        configs: vec![held(&active)],
        routes: vec![route("t.local", "t.local", true)],
    };
    let suspended = desired_state(Some(Status::Suspended), Some(active)).unwrap();
    assert_eq!(
        plan(Some(&suspended), &owned(&["t.local"]), &current).unwrap(),
        vec![Change::RemoveRoute {
            domain: "t.local".into(),
            external_key: "t.local".into()
        }]
    );
}

#[test]
fn a_deleted_tenant_loses_what_it_owns_and_nothing_else() {
    let current = LmsRows {
        configs: vec![held(&row("t.local", &[]))],
        routes: vec![route("t.local", "t.local", true)],
    };
    assert_eq!(
        plan(None, &owned(&["t.local"]), &current).unwrap(),
        vec![Change::DeleteConfig {
            external_key: "t.local".into()
        }]
    );
    // A key it owns that the LMS no longer holds needs nothing.
    assert_eq!(
        plan(None, &owned(&["gone.local"]), &current).unwrap(),
        vec![]
    );
}

#[test]
fn drift_is_found_per_column_and_json_spacing_is_not_drift() {
    let wanted = row("t.local", &[]);
    let mut edited = held(&wanted);
    edited.lms_configs = r#"{ "SITE_NAME": "t", "PLATFORM_NAME": "T" }"#.into();
    let current = LmsRows {
        configs: vec![edited.clone()],
        routes: vec![],
    };
    assert_eq!(
        plan(Some(&wanted), &owned(&["t.local"]), &current).unwrap(),
        vec![]
    );
    edited.lms_configs = r#"{"PLATFORM_NAME":"Edited by hand"}"#.into();
    edited.meta = "not json".into();
    let current = LmsRows {
        configs: vec![edited],
        routes: vec![],
    };
    assert_eq!(
        plan(Some(&wanted), &owned(&["t.local"]), &current).unwrap(),
        vec![Change::UpdateConfig {
            row: wanted.clone(),
            columns: vec!["lms_configs", "meta"]
        }]
    );
}

#[test]
fn rows_tenantry_does_not_own_are_conflicts_never_changes() {
    let wanted = row("t.local", &["t.local", "shared.example.com"]);
    let foreign_config = LmsRows {
        configs: vec![held(&wanted)],
        routes: vec![],
    };
    assert_eq!(
        plan(Some(&wanted), &[], &foreign_config),
        Err(Conflict::ForeignConfig {
            external_key: "t.local".into()
        })
    );
    let foreign_route = LmsRows {
        configs: vec![],
        routes: vec![route("shared.example.com", "other.local", false)],
    };
    let conflict = plan(Some(&wanted), &[], &foreign_route).unwrap_err();
    assert_eq!(
        conflict,
        Conflict::ForeignRoute {
            domain: "shared.example.com".into(),
            external_key: Some("other.local".into())
        }
    );
    assert!(
        conflict
            .to_string()
            .contains("not created by tenantry (other.local)")
    );
}

#[test]
fn a_domain_moved_between_tenantry_tenants_moves_its_route() {
    let wanted = row("b.local", &["b.local", "moved.example.com"]);
    let current = LmsRows {
        configs: vec![held(&wanted)],
        routes: vec![
            route("b.local", "b.local", true),
            route("moved.example.com", "a.local", true),
        ],
    };
    assert_eq!(
        plan(Some(&wanted), &owned(&["b.local"]), &current).unwrap(),
        vec![Change::MoveRoute {
            domain: "moved.example.com".into(),
            from: "a.local".into(),
            to: "b.local".into()
        }]
    );
}

#[test]
fn a_changed_key_replaces_the_old_config() {
    let wanted = row("t.new.example", &["t.new.example"]);
    let current = LmsRows {
        configs: vec![held(&row("t.local", &[]))],
        routes: vec![route("t.local", "t.local", true)],
    };
    assert_eq!(
        plan(Some(&wanted), &owned(&["t.local"]), &current).unwrap(),
        vec![
            Change::DeleteConfig {
                external_key: "t.local".into()
            },
            Change::CreateConfig {
                row: wanted.clone()
            },
            Change::AddRoute {
                domain: "t.new.example".into(),
                external_key: "t.new.example".into()
            },
        ]
    );
}

#[test]
fn values_longer_than_the_columns_are_refused() {
    let long = format!("{}.example.com", "a".repeat(90));
    let wanted = row("t.local", &[long.as_str()]);
    assert!(matches!(
        plan(Some(&wanted), &[], &LmsRows::default()),
        Err(Conflict::TooLong {
            what: "route domain",
            limit: 100,
            ..
        })
    ));
}

#[test]
fn changes_read_as_a_report() {
    let changes = [
        Change::CreateConfig {
            row: row("t.local", &[]),
        },
        Change::UpdateConfig {
            row: row("t.local", &[]),
            columns: vec!["lms_configs", "meta"],
        },
        Change::MoveRoute {
            domain: "d".into(),
            from: "a".into(),
            to: "b".into(),
        },
    ];
    let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "create config t.local",
            "update lms_configs, meta of config t.local",
            "move route d from a to b"
        ]
    );
}

#[test]
fn a_changed_key_keeps_the_tenants_other_domains_routed() {
    let wanted = row("t.new.example", &["t.new.example", "custom.example.com"]);
    let current = LmsRows {
        configs: vec![held(&row("t.local", &[]))],
        routes: vec![
            route("t.local", "t.local", true),
            route("custom.example.com", "t.local", true),
        ],
    };
    let changes = plan(Some(&wanted), &owned(&["t.local"]), &current).unwrap();
    assert_eq!(
        changes,
        vec![
            Change::DeleteConfig {
                external_key: "t.local".into()
            },
            Change::CreateConfig {
                row: wanted.clone()
            },
            Change::AddRoute {
                domain: "t.new.example".into(),
                external_key: "t.new.example".into()
            },
            Change::AddRoute {
                domain: "custom.example.com".into(),
                external_key: "t.new.example".into()
            },
        ]
    );
    let after = apply(&current, &changes, &["t.new.example"]);
    assert_eq!(after.routes.len(), 2);
    assert_eq!(
        plan(Some(&wanted), &owned(&["t.new.example"]), &after).unwrap(),
        vec![]
    );
}
