use serde_json::json;

use super::*;

fn talent1(config: &UrlConfig) -> SiteUrls {
    SiteUrls::new(&TenantName::parse("talent1").unwrap(), config)
}

fn dev() -> SiteUrls {
    talent1(&UrlConfig::default())
}

fn prod() -> SiteUrls {
    talent1(&UrlConfig::new(
        UrlProfile::Prod,
        DomainName::parse("example.com").unwrap(),
    ))
}

#[test]
fn the_default_configuration_is_seed_000s() {
    let config = UrlConfig::default();
    assert_eq!(config.profile, UrlProfile::Dev);
    assert_eq!(
        config.base_domain,
        DomainName::parse(DEFAULT_BASE_DOMAIN).unwrap()
    );
    assert_eq!(config.base_domain.as_str(), "local.openedx.io");
}

#[test]
fn profiles_parse_by_name() {
    assert_eq!("dev".parse(), Ok(UrlProfile::Dev));
    assert_eq!("prod".parse(), Ok(UrlProfile::Prod));
    assert_eq!(UrlProfile::default(), UrlProfile::Dev);
    let error = "Prod".parse::<UrlProfile>().unwrap_err();
    assert_eq!(error, UnknownUrlProfile("Prod".into()));
    assert_eq!(
        error.to_string(),
        "unknown URL profile \"Prod\": expected dev or prod"
    );
    for profile in [UrlProfile::Dev, UrlProfile::Prod] {
        assert_eq!(profile.to_string().parse(), Ok(profile));
    }
}

#[test]
fn mfe_tables_match_seed_000() {
    let table: Vec<_> = Mfe::ALL
        .into_iter()
        .map(|mfe| (mfe.key(), mfe.port(), mfe.path(), mfe.setting_name()))
        .collect();
    assert_eq!(
        table,
        [
            ("authn", 1999, "/authn", "AUTHN_MICROFRONTEND_URL"),
            (
                "learner-dashboard",
                1996,
                "/learner-dashboard/",
                "LEARNER_HOME_MICROFRONTEND_URL"
            ),
            ("account", 1997, "/account/", "ACCOUNT_MICROFRONTEND_URL"),
            ("profile", 1995, "/profile/u/", "PROFILE_MICROFRONTEND_URL"),
            ("learning", 2000, "/learning", "LEARNING_MICROFRONTEND_URL"),
            (
                "discussions",
                2002,
                "/discussions",
                "DISCUSSIONS_MICROFRONTEND_URL"
            ),
            ("gradebook", 1994, "/gradebook", "WRITABLE_GRADEBOOK_URL"),
            (
                "communications",
                1984,
                "/communications",
                "COMMUNICATIONS_MICROFRONTEND_URL"
            ),
            (
                "ora-grading",
                1993,
                "/ora-grading",
                "ORA_GRADING_MICROFRONTEND_URL"
            ),
            (
                "admin-console",
                2025,
                "/admin-console",
                "ADMIN_CONSOLE_MICROFRONTEND_URL"
            ),
            (
                "authoring",
                2001,
                "/authoring",
                "COURSE_AUTHORING_MICROFRONTEND_URL"
            ),
        ]
    );
}

#[test]
fn dev_hosts_and_urls_match_seed_000() {
    let site = dev();
    assert_eq!(site.lms_domain(), "talent1.local.openedx.io");
    assert_eq!(site.external_key(), "talent1.local.openedx.io");
    assert_eq!(site.mfe_host(), "talent1.apps.local.openedx.io");
    assert_eq!(site.studio_domain(), "studio.talent1.local.openedx.io");
    assert_eq!(site.lms_base(), "talent1.local.openedx.io:8000");
    assert_eq!(site.lms_url(), "http://talent1.local.openedx.io:8000");
    assert_eq!(
        site.studio_url(),
        "http://studio.talent1.local.openedx.io:8001"
    );
    assert_eq!(site.base_url(), "http://talent1.apps.local.openedx.io");
    assert_eq!(site.routes(), ["talent1.local.openedx.io"]);
}

#[test]
fn dev_mfe_urls_match_seed_000() {
    let urls: Vec<String> = Mfe::ALL.into_iter().map(|mfe| dev().mfe_url(mfe)).collect();
    assert_eq!(
        urls,
        [
            "http://talent1.apps.local.openedx.io:1999/authn",
            "http://talent1.apps.local.openedx.io:1996/learner-dashboard/",
            "http://talent1.apps.local.openedx.io:1997/account/",
            "http://talent1.apps.local.openedx.io:1995/profile/u/",
            "http://talent1.apps.local.openedx.io:2000/learning",
            "http://talent1.apps.local.openedx.io:2002/discussions",
            "http://talent1.apps.local.openedx.io:1994/gradebook",
            "http://talent1.apps.local.openedx.io:1984/communications",
            "http://talent1.apps.local.openedx.io:1993/ora-grading",
            "http://talent1.apps.local.openedx.io:2025/admin-console",
            "http://talent1.apps.local.openedx.io:2001/authoring",
        ]
    );
}

#[test]
fn hosts_entries_are_seed_000s_three_lines() {
    assert_eq!(
        dev().hosts_entries("127.0.0.1"),
        [
            "127.0.0.1 talent1.local.openedx.io",
            "127.0.0.1 talent1.apps.local.openedx.io",
            "127.0.0.1 studio.talent1.local.openedx.io",
        ]
    );
}

#[test]
fn lms_configs_contain_seed_000s_values() {
    let configs = dev().lms_configs("Talent 1 Learning", Some("indigo"), &["org1".to_owned()]);
    // Every key and value of seed 000's `lms_configs`.
    let seed = json!({
        "LMS_BASE": "talent1.local.openedx.io:8000",
        "SITE_NAME": "talent1.local.openedx.io",
        "PLATFORM_NAME": "Talent 1 Learning",
        "THEME_NAME": "indigo",
        "BASE_URL": "http://talent1.apps.local.openedx.io",
        "LMS_BASE_URL": "http://talent1.local.openedx.io:8000",
        "LEARNER_HOME_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:1996/learner-dashboard/",
        "AUTHN_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:1999/authn",
    });
    for (key, value) in seed.as_object().unwrap() {
        assert_eq!(configs.get(key), Some(value), "key {key}");
    }
    assert_eq!(
        Value::Object(configs),
        json!({
            "EDNX_USE_SIGNAL": true,
            "LMS_BASE": "talent1.local.openedx.io:8000",
            "SITE_NAME": "talent1.local.openedx.io",
            "PLATFORM_NAME": "Talent 1 Learning",
            "THEME_NAME": "indigo",
            "BASE_URL": "http://talent1.apps.local.openedx.io",
            "LMS_BASE_URL": "http://talent1.local.openedx.io:8000",
            "LMS_ROOT_URL": "http://talent1.local.openedx.io:8000",
            "course_org_filter": ["org1"],
            "AUTHN_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:1999/authn",
            "LEARNER_HOME_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:1996/learner-dashboard/",
            "ACCOUNT_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:1997/account/",
            "PROFILE_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:1995/profile/u/",
            "LEARNING_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:2000/learning",
            "DISCUSSIONS_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:2002/discussions",
            "WRITABLE_GRADEBOOK_URL": "http://talent1.apps.local.openedx.io:1994/gradebook",
            "COMMUNICATIONS_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:1984/communications",
            "ORA_GRADING_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:1993/ora-grading",
            "ADMIN_CONSOLE_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:2025/admin-console",
            "COURSE_AUTHORING_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:2001/authoring",
            "MFE_CONFIG": {
                "BASE_URL": "http://talent1.apps.local.openedx.io",
                "LMS_BASE_URL": "http://talent1.local.openedx.io:8000",
                "LOGIN_URL": "http://talent1.local.openedx.io:8000/login",
                "LOGOUT_URL": "http://talent1.local.openedx.io:8000/logout",
                "SITE_NAME": "Talent 1 Learning",
                "ACCOUNT_SETTINGS_URL": "http://talent1.apps.local.openedx.io:1997/account/",
                "ACCOUNT_PROFILE_URL": "http://talent1.apps.local.openedx.io:1995/profile/u/",
                "LEARNER_HOME_MICROFRONTEND_URL": "http://talent1.apps.local.openedx.io:1996/learner-dashboard/",
                "STUDIO_BASE_URL": "http://studio.talent1.local.openedx.io:8001",
            },
        })
    );
}

#[test]
fn optional_keys_are_left_out_when_not_given() {
    let configs = dev().lms_configs("Talent 1 Learning", None, &[]);
    assert!(!configs.contains_key("THEME_NAME"));
    assert!(!configs.contains_key("course_org_filter"));
    assert_eq!(configs["EDNX_USE_SIGNAL"], json!(true));
    assert_eq!(configs.len(), 7 + Mfe::ALL.len() + 1);
}

#[test]
fn theming_configs_hold_the_theme() {
    assert_eq!(
        Value::Object(theming_configs(Some("indigo"))),
        json!({"THEME_NAME": "indigo"})
    );
    assert!(theming_configs(None).is_empty());
    assert_eq!(
        dev().theming_configs(Some("indigo")),
        theming_configs(Some("indigo"))
    );
}

#[test]
fn prod_uses_https_without_ports() {
    let site = prod();
    assert_eq!(site.lms_domain(), "talent1.example.com");
    assert_eq!(site.mfe_host(), "talent1.apps.example.com");
    assert_eq!(site.studio_domain(), "studio.talent1.example.com");
    assert_eq!(site.lms_base(), "talent1.example.com");
    assert_eq!(site.lms_url(), "https://talent1.example.com");
    assert_eq!(site.studio_url(), "https://studio.talent1.example.com");
    assert_eq!(site.base_url(), "https://talent1.apps.example.com");
    assert_eq!(
        site.mfe_url(Mfe::Authn),
        "https://talent1.apps.example.com/authn"
    );
    assert_eq!(
        site.mfe_url(Mfe::LearnerDashboard),
        "https://talent1.apps.example.com/learner-dashboard/"
    );
    assert_eq!(
        site.mfe_url(Mfe::Profile),
        "https://talent1.apps.example.com/profile/u/"
    );
    assert_eq!(site.routes(), ["talent1.example.com"]);
    assert_eq!(
        site.hosts_entries("10.0.0.5"),
        [
            "10.0.0.5 talent1.example.com",
            "10.0.0.5 talent1.apps.example.com",
            "10.0.0.5 studio.talent1.example.com",
        ]
    );
    let configs = site.lms_configs("Talent", None, &[]);
    assert_eq!(configs["LMS_BASE"], json!("talent1.example.com"));
    assert_eq!(
        configs["LMS_ROOT_URL"],
        json!("https://talent1.example.com")
    );
    assert_eq!(
        configs["MFE_CONFIG"]["LOGIN_URL"],
        json!("https://talent1.example.com/login")
    );
    assert_eq!(
        configs["MFE_CONFIG"]["STUDIO_BASE_URL"],
        json!("https://studio.talent1.example.com")
    );
    for mfe in Mfe::ALL {
        let url = site.mfe_url(mfe);
        assert_eq!(
            url,
            format!("https://talent1.apps.example.com{}", mfe.path())
        );
        assert_eq!(configs[mfe.setting_name()], json!(url));
    }
}

#[test]
fn generated_hosts_are_valid_domains() {
    for site in [dev(), prod()] {
        for host in [site.lms_domain(), site.mfe_host(), site.studio_domain()] {
            assert_eq!(DomainName::parse(&host).unwrap().as_str(), host);
        }
    }
    assert_eq!(
        UrlConfig::default()
            .site(&TenantName::parse("ab").unwrap())
            .lms_domain(),
        "ab.local.openedx.io"
    );
}
