//! A tenant as eox-tenant stores it: one `TenantConfig` row and its `Route` rows.
//!
//! eox-tenant (the Open edX plugin that serves several sites from one platform) keeps, per
//! site, a `TenantConfig` (`external_key`, `lms_configs`, `studio_configs`,
//! `theming_configs`, `meta`, each JSON) and one `Route` per domain pointing at it.
//! [`EoxTenantRecord::new`] builds that record from a [`Tenant`] and the [`UrlConfig`];
//! [`EoxTenantRecord::to_stored_row`] gives the columns exactly as eox-tenant stores them
//! (compact JSON text), and [`StoredRow::to_mysql`] the SQL that inserts them into an
//! Open edX MySQL database.
//!
//! What goes where:
//! - `lms_configs`: [`SiteUrls::lms_configs`] (every MFE URL, `EDNX_USE_SIGNAL`,
//!   `MFE_CONFIG`, `course_org_filter` when the tenant has an organisation filter), with the
//!   tenant's display name as `PLATFORM_NAME` and its theme as `THEME_NAME`.
//! - `studio_configs` ([`studio_configs`]): what Studio needs to present the same site —
//!   `EDNX_USE_SIGNAL`, `SITE_NAME` (the Studio host name), `PLATFORM_NAME`, `THEME_NAME`
//!   when given, `LMS_BASE`, `LMS_ROOT_URL` and `COURSE_AUTHORING_MICROFRONTEND_URL`.
//! - `theming_configs`: `{"THEME_NAME": …}` or `{}`.
//! - `meta`: `{"created_by": <operator>}`.
//! - routes: the LMS domain first, then every other domain of the tenant, each once.
//!
//! ```
//! use tenantry_tenant::eox::EoxTenantRecord;
//! # use tenantry_tenant::{Status, Tenant, TenantId, TenantName, TenantProfile};
//! # use tenantry_tenant::urls::UrlConfig;
//! # let at = chrono::DateTime::from_timestamp(0, 0).unwrap();
//! # let tenant = Tenant { id: TenantId(1), name: TenantName::parse("talent1")?,
//! #     status: Status::Active, profile: TenantProfile::new("Talent 1 Learning"),
//! #     domains: vec![], created_at: at, updated_at: at, deleted_at: None, version: 1 };
//! let record = EoxTenantRecord::new(&tenant, &UrlConfig::default(), "admin");
//! assert_eq!(record.external_key, "talent1.local.openedx.io");
//! assert_eq!(record.to_stored_row().meta, r#"{"created_by":"admin"}"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::urls::{Mfe, SiteUrls, UrlConfig, theming_configs};
use crate::{
    Action, Actor, AuditFilter, AuditLog, Outcome, RepositoryError, Status, Tenant, TenantId,
    TenantQuery, TenantRepository,
};

/// What `meta.created_by` says when the audit log knows no creator.
pub const UNKNOWN_CREATOR: &str = "unknown";

/// A tenant's eox-tenant `TenantConfig` and `Route`s, JSON columns as objects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EoxTenantRecord {
    /// `TenantConfig.external_key`: the LMS host name.
    pub external_key: String,
    /// `TenantConfig.lms_configs`.
    pub lms_configs: Map<String, Value>,
    /// `TenantConfig.studio_configs`.
    pub studio_configs: Map<String, Value>,
    /// `TenantConfig.theming_configs`.
    pub theming_configs: Map<String, Value>,
    /// `TenantConfig.meta`.
    pub meta: Map<String, Value>,
    /// `Route.domain` of each route, LMS domain first.
    pub routes: Vec<String>,
}

impl EoxTenantRecord {
    /// The record of `tenant` under `urls`, created by the operator named `created_by`.
    pub fn new(tenant: &Tenant, urls: &UrlConfig, created_by: &str) -> Self {
        let site = urls.site(&tenant.name);
        let profile = &tenant.profile;
        let theme = profile.theme_name.as_deref();
        let mut meta = Map::new();
        meta.insert("created_by".into(), created_by.into());
        Self {
            external_key: site.external_key(),
            lms_configs: site.lms_configs(&profile.display_name, theme, &profile.org_filter),
            studio_configs: studio_configs(&site, &profile.display_name, theme),
            theming_configs: theming_configs(theme),
            meta,
            routes: routes(tenant, &site),
        }
    }

    /// The columns as eox-tenant stores them: JSON objects as compact text.
    pub fn to_stored_row(&self) -> StoredRow {
        let text = |map: &Map<String, Value>| Value::Object(map.clone()).to_string();
        StoredRow {
            external_key: self.external_key.clone(),
            lms_configs: text(&self.lms_configs),
            studio_configs: text(&self.studio_configs),
            theming_configs: text(&self.theming_configs),
            meta: text(&self.meta),
            routes: self.routes.clone(),
        }
    }

    /// The record as one JSON object (columns as objects, `routes` as a list).
    pub fn to_json(&self) -> Value {
        json!({
            "external_key": self.external_key,
            "lms_configs": self.lms_configs,
            "studio_configs": self.studio_configs,
            "theming_configs": self.theming_configs,
            "meta": self.meta,
            "routes": self.routes,
        })
    }
}

/// A [`EoxTenantRecord`] in eox-tenant's column types: the JSON columns as compact text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredRow {
    /// `TenantConfig.external_key`.
    pub external_key: String,
    /// `TenantConfig.lms_configs`, compact JSON.
    pub lms_configs: String,
    /// `TenantConfig.studio_configs`, compact JSON.
    pub studio_configs: String,
    /// `TenantConfig.theming_configs`, compact JSON.
    pub theming_configs: String,
    /// `TenantConfig.meta`, compact JSON.
    pub meta: String,
    /// `Route.domain` of each route.
    pub routes: Vec<String>,
}

impl StoredRow {
    /// MySQL statements inserting the `TenantConfig` and then each `Route` (which finds
    /// its `config_id` by `external_key`), one statement a line, each ending in `;`.
    pub fn to_mysql(&self) -> String {
        let key = mysql_string(&self.external_key);
        let mut sql = format!(
            "INSERT INTO eox_tenant_tenantconfig (external_key, lms_configs, studio_configs, \
             theming_configs, meta) VALUES ({key}, {}, {}, {}, {});\n",
            mysql_string(&self.lms_configs),
            mysql_string(&self.studio_configs),
            mysql_string(&self.theming_configs),
            mysql_string(&self.meta),
        );
        for domain in &self.routes {
            sql.push_str(&format!(
                "INSERT INTO eox_tenant_route (domain, config_id) VALUES ({}, \
                 (SELECT id FROM eox_tenant_tenantconfig WHERE external_key = {key}));\n",
                mysql_string(domain),
            ));
        }
        sql
    }
}

/// `text` as a single-quoted MySQL string literal: quotes doubled, backslashes and the
/// characters MySQL treats specially in strings escaped, so that the literal reads back
/// as `text` in every SQL mode.
pub fn mysql_string(text: &str) -> String {
    let mut literal = String::with_capacity(text.len() + 2);
    literal.push('\'');
    for character in text.chars() {
        match character {
            '\'' => literal.push_str("''"),
            '\\' => literal.push_str("\\\\"),
            '\0' => literal.push_str("\\0"),
            '\n' => literal.push_str("\\n"),
            '\r' => literal.push_str("\\r"),
            '\u{1a}' => literal.push_str("\\Z"),
            other => literal.push(other),
        }
    }
    literal.push('\'');
    literal
}

/// eox-tenant `studio_configs` for the site: `EDNX_USE_SIGNAL` (`true`), `SITE_NAME` (the
/// Studio host name), `PLATFORM_NAME`, `THEME_NAME` when given, `LMS_BASE`,
/// `LMS_ROOT_URL` and `COURSE_AUTHORING_MICROFRONTEND_URL`.
pub fn studio_configs(
    site: &SiteUrls,
    platform_name: &str,
    theme_name: Option<&str>,
) -> Map<String, Value> {
    let mut configs = Map::new();
    configs.insert("EDNX_USE_SIGNAL".into(), Value::Bool(true));
    configs.insert("SITE_NAME".into(), site.studio_domain().into());
    configs.insert("PLATFORM_NAME".into(), platform_name.into());
    if let Some(theme) = theme_name {
        configs.insert("THEME_NAME".into(), theme.into());
    }
    configs.insert("LMS_BASE".into(), site.lms_base().into());
    configs.insert("LMS_ROOT_URL".into(), site.lms_url().into());
    configs.insert(
        Mfe::Authoring.setting_name().into(),
        site.mfe_url(Mfe::Authoring).into(),
    );
    configs
}

fn routes(tenant: &Tenant, site: &SiteUrls) -> Vec<String> {
    let mut routes = vec![site.lms_domain()];
    for domain in &tenant.domains {
        let host = domain.host.to_string();
        if !routes.contains(&host) {
            routes.push(host);
        }
    }
    routes
}

/// How `meta.created_by` names an actor: an operator by name, anyone else by the
/// actor's stored form (`token:7`, `system`).
pub fn creator_name(actor: &Actor) -> String {
    match actor {
        Actor::Operator(name) => name.clone(),
        other => other.to_string(),
    }
}

/// Who created the tenant: the actor of the newest successful `tenant.create` event about
/// it in the audit log, named by [`creator_name`]; [`UNKNOWN_CREATOR`] when there is none.
pub fn find_creator<L: AuditLog + ?Sized>(
    log: &mut L,
    tenant_id: TenantId,
) -> Result<String, RepositoryError> {
    let mut filter = AuditFilter {
        tenant_id: Some(tenant_id),
        action: Some(Action::TenantCreate),
        per_page: 100,
        ..AuditFilter::default()
    };
    loop {
        let page = log.list_audit(&filter)?;
        if let Some(record) = page
            .items
            .iter()
            .find(|record| record.event.outcome == Outcome::Success)
        {
            return Ok(creator_name(&record.event.actor));
        }
        let seen = u64::from(filter.page) * u64::from(filter.per_page);
        if page.items.is_empty() || seen >= page.total {
            return Ok(UNKNOWN_CREATOR.to_owned());
        }
        filter.page += 1;
    }
}

/// The eox-tenant record of `tenant`, its creator read from the audit log.
pub fn record_of<P: AuditLog + ?Sized>(
    ports: &mut P,
    urls: &UrlConfig,
    tenant: &Tenant,
) -> Result<EoxTenantRecord, RepositoryError> {
    let creator = find_creator(ports, tenant.id)?;
    Ok(EoxTenantRecord::new(tenant, urls, &creator))
}

/// Every tenant in `status` (`None`: every status but `deleted`, the live tenants), ordered
/// by id, read page by page from [`TenantRepository::list`].
pub fn every_tenant<R: TenantRepository + ?Sized>(
    repository: &mut R,
    status: Option<Status>,
) -> Result<Vec<Tenant>, RepositoryError> {
    let mut query = TenantQuery {
        status,
        per_page: 100,
        ..TenantQuery::default()
    };
    let mut tenants = Vec::new();
    loop {
        let page = repository.list(&query)?;
        let last = page.items.is_empty();
        tenants.extend(page.items);
        if last || tenants.len() as u64 >= page.total {
            return Ok(tenants);
        }
        query.page += 1;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::operations::{CreateTenant, create_tenant, purge_tenant};
    use crate::testing::InMemoryTenants;
    use crate::{AuditEvent, AuditSink, DomainName, RequestContext, TenantKey, TenantName};

    fn context(actor: Actor) -> RequestContext {
        RequestContext {
            actor,
            request_id: None,
            source: None,
            now: Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap(),
        }
    }

    fn create(store: &mut InMemoryTenants, input: CreateTenant, actor: Actor) -> Tenant {
        create_tenant(store, &context(actor), &UrlConfig::default(), input).unwrap()
    }

    fn named(name: &str, display_name: &str) -> CreateTenant {
        CreateTenant::new(TenantName::parse(name).unwrap(), display_name)
    }

    fn talent1(store: &mut InMemoryTenants, actor: Actor) -> Tenant {
        let mut input = named("talent1", "Talent 1 Learning");
        input.profile.theme_name = Some("indigo".into());
        input.profile.org_filter = vec!["org1".into()];
        create(store, input, actor)
    }

    const TALENT1_LMS_CONFIGS: &str = concat!(
        r#"{"ACCOUNT_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:1997/account/","#,
        r#""ADMIN_CONSOLE_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:2025/admin-console","#,
        r#""AUTHN_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:1999/authn","#,
        r#""BASE_URL":"http://talent1.apps.local.openedx.io","#,
        r#""COMMUNICATIONS_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:1984/communications","#,
        r#""COURSE_AUTHORING_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:2001/authoring","#,
        r#""DISCUSSIONS_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:2002/discussions","#,
        r#""EDNX_USE_SIGNAL":true,"#,
        r#""LEARNER_HOME_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:1996/learner-dashboard/","#,
        r#""LEARNING_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:2000/learning","#,
        r#""LMS_BASE":"talent1.local.openedx.io:8000","#,
        r#""LMS_BASE_URL":"http://talent1.local.openedx.io:8000","#,
        r#""LMS_ROOT_URL":"http://talent1.local.openedx.io:8000","#,
        r#""MFE_CONFIG":{"ACCOUNT_PROFILE_URL":"http://talent1.apps.local.openedx.io:1995/profile/u/","#,
        r#""ACCOUNT_SETTINGS_URL":"http://talent1.apps.local.openedx.io:1997/account/","#,
        r#""BASE_URL":"http://talent1.apps.local.openedx.io","#,
        r#""LEARNER_HOME_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:1996/learner-dashboard/","#,
        r#""LMS_BASE_URL":"http://talent1.local.openedx.io:8000","#,
        r#""LOGIN_URL":"http://talent1.local.openedx.io:8000/login","#,
        r#""LOGOUT_URL":"http://talent1.local.openedx.io:8000/logout","#,
        r#""SITE_NAME":"Talent 1 Learning","#,
        r#""STUDIO_BASE_URL":"http://studio.talent1.local.openedx.io:8001"},"#,
        r#""ORA_GRADING_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:1993/ora-grading","#,
        r#""PLATFORM_NAME":"Talent 1 Learning","#,
        r#""PROFILE_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:1995/profile/u/","#,
        r#""SITE_NAME":"talent1.local.openedx.io","#,
        r#""THEME_NAME":"indigo","#,
        r#""WRITABLE_GRADEBOOK_URL":"http://talent1.apps.local.openedx.io:1994/gradebook","#,
        r#""course_org_filter":["org1"]}"#,
    );

    const TALENT1_STUDIO_CONFIGS: &str = concat!(
        r#"{"COURSE_AUTHORING_MICROFRONTEND_URL":"http://talent1.apps.local.openedx.io:2001/authoring","#,
        r#""EDNX_USE_SIGNAL":true,"LMS_BASE":"talent1.local.openedx.io:8000","#,
        r#""LMS_ROOT_URL":"http://talent1.local.openedx.io:8000","#,
        r#""PLATFORM_NAME":"Talent 1 Learning","SITE_NAME":"studio.talent1.local.openedx.io","#,
        r#""THEME_NAME":"indigo"}"#,
    );

    #[test]
    fn the_talent1_record_is_pinned() {
        let mut store = InMemoryTenants::new();
        let tenant = talent1(&mut store, Actor::Operator("admin".into()));
        let record = EoxTenantRecord::new(&tenant, &UrlConfig::default(), "admin");
        assert_eq!(
            record.to_stored_row(),
            StoredRow {
                external_key: "talent1.local.openedx.io".into(),
                lms_configs: TALENT1_LMS_CONFIGS.into(),
                studio_configs: TALENT1_STUDIO_CONFIGS.into(),
                theming_configs: r#"{"THEME_NAME":"indigo"}"#.into(),
                meta: r#"{"created_by":"admin"}"#.into(),
                routes: vec!["talent1.local.openedx.io".into()],
            }
        );
        let site = UrlConfig::default().site(&tenant.name);
        assert_eq!(
            record.lms_configs,
            site.lms_configs("Talent 1 Learning", Some("indigo"), &["org1".to_owned()]),
            "one generator of lms_configs"
        );
        let json = record.to_json();
        assert_eq!(json["meta"], json!({"created_by": "admin"}));
        assert_eq!(json["routes"], json!(["talent1.local.openedx.io"]));
        assert_eq!(json["theming_configs"], json!({"THEME_NAME": "indigo"}));
        assert_eq!(json["lms_configs"]["course_org_filter"], json!(["org1"]));
        assert_eq!(json["external_key"], json!("talent1.local.openedx.io"));
    }

    #[test]
    fn the_talent1_sql_is_pinned() {
        let mut store = InMemoryTenants::new();
        let tenant = talent1(&mut store, Actor::Operator("admin".into()));
        let sql = EoxTenantRecord::new(&tenant, &UrlConfig::default(), "admin")
            .to_stored_row()
            .to_mysql();
        let expected = format!(
            "INSERT INTO eox_tenant_tenantconfig (external_key, lms_configs, studio_configs, \
             theming_configs, meta) VALUES ('talent1.local.openedx.io', '{TALENT1_LMS_CONFIGS}', \
             '{TALENT1_STUDIO_CONFIGS}', '{{\"THEME_NAME\":\"indigo\"}}', \
             '{{\"created_by\":\"admin\"}}');\n\
             INSERT INTO eox_tenant_route (domain, config_id) VALUES ('talent1.local.openedx.io', \
             (SELECT id FROM eox_tenant_tenantconfig WHERE external_key = \
             'talent1.local.openedx.io'));\n"
        );
        assert_eq!(sql, expected);
    }

    #[test]
    fn sql_strings_escape_quotes_and_backslashes() {
        assert_eq!(mysql_string("plain"), "'plain'");
        assert_eq!(mysql_string("O'Brien"), "'O''Brien'");
        assert_eq!(mysql_string(r"C:\path"), r"'C:\\path'");
        assert_eq!(mysql_string(r"\'"), r"'\\'''");
        assert_eq!(mysql_string("a\nb\r\0\u{1a}"), r"'a\nb\r\0\Z'");
        assert_eq!(mysql_string(""), "''");
    }

    #[test]
    fn quotes_and_backslashes_in_values_survive_into_sql() {
        let mut store = InMemoryTenants::new();
        let input = named("quote", r#"O'Neil "\d" Academy"#);
        let tenant = create(&mut store, input, Actor::System);
        let row = EoxTenantRecord::new(&tenant, &UrlConfig::default(), "o'ps").to_stored_row();
        assert!(
            row.lms_configs
                .contains(r#""PLATFORM_NAME":"O'Neil \"\\d\" Academy""#),
            "{}",
            row.lms_configs
        );
        let sql = row.to_mysql();
        assert!(
            sql.contains(r#""PLATFORM_NAME":"O''Neil \\"\\\\d\\" Academy""#),
            "{sql}"
        );
        assert!(sql.contains(r#"'{"created_by":"o''ps"}'"#), "{sql}");
    }

    #[test]
    fn optional_parts_are_left_out() {
        let mut store = InMemoryTenants::new();
        let tenant = create(&mut store, named("bare", "Bare"), Actor::System);
        let record = EoxTenantRecord::new(&tenant, &UrlConfig::default(), "system");
        assert!(record.theming_configs.is_empty());
        assert!(!record.studio_configs.contains_key("THEME_NAME"));
        assert!(!record.lms_configs.contains_key("course_org_filter"));
        assert_eq!(record.to_stored_row().theming_configs, "{}");
    }

    #[test]
    fn routes_start_with_the_lms_domain_and_hold_every_domain_once() {
        let mut store = InMemoryTenants::new();
        let mut input = named("acme", "ACME");
        input.domains = vec![
            DomainName::parse("learn.acme.example").unwrap(),
            DomainName::parse("acme.local.openedx.io").unwrap(),
        ];
        let tenant = create(&mut store, input, Actor::System);
        let record = EoxTenantRecord::new(&tenant, &UrlConfig::default(), "system");
        assert_eq!(
            record.routes,
            ["acme.local.openedx.io", "learn.acme.example"]
        );
        assert_eq!(record.to_stored_row().to_mysql().lines().count(), 3);
    }

    #[test]
    fn the_creator_comes_from_the_audit_log() {
        let mut store = InMemoryTenants::new();
        let tenant = talent1(&mut store, Actor::Operator("ops".into()));
        let refused = AuditEvent::failure(
            &context(Actor::Operator("late".into())),
            Action::TenantCreate,
            Some((tenant.id, "talent1".into())),
            "name is already taken",
        );
        store.record(&refused).unwrap();
        assert_eq!(find_creator(&mut store, tenant.id).unwrap(), "ops");
        let record = record_of(&mut store, &UrlConfig::default(), &tenant).unwrap();
        assert_eq!(record.meta["created_by"], json!("ops"));

        let by_token = create(&mut store, named("other", "Other"), Actor::Token(7));
        assert_eq!(find_creator(&mut store, by_token.id).unwrap(), "token:7");
        assert_eq!(
            find_creator(&mut store, TenantId(999)).unwrap(),
            UNKNOWN_CREATOR
        );
        assert_eq!(creator_name(&Actor::System), "system");
    }

    #[test]
    fn every_tenant_pages_through_the_repository() {
        let mut store = InMemoryTenants::new();
        for index in 0..230 {
            create(&mut store, named(&format!("t{index}"), "T"), Actor::System);
        }
        let gone = TenantKey::Name(TenantName::parse("t5").unwrap());
        purge_tenant(&mut store, &context(Actor::System), &gone).unwrap();
        let live = every_tenant(&mut store, None).unwrap();
        assert_eq!(live.len(), 229);
        assert!(live.windows(2).all(|pair| pair[0].id < pair[1].id));
        assert!(
            every_tenant(&mut store, Some(Status::Suspended))
                .unwrap()
                .is_empty()
        );
    }
}
