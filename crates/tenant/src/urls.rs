//! Open edX URL and configuration generation for a tenant (the Open edX dialect, seed 000).
//!
//! A tenant `t` on base domain `local.openedx.io` gets three host names: the LMS
//! `t.local.openedx.io`, the micro-frontend (MFE) host `t.apps.local.openedx.io` and Studio
//! `studio.t.local.openedx.io`. The `dev` profile reproduces Tutor's development ports
//! (`http`, LMS on 8000, Studio on 8001, one port per MFE); the `prod` profile uses `https`
//! and no ports. From these, [`SiteUrls::lms_configs`] builds the `lms_configs` eox-tenant
//! stores for the tenant.
//!
//! ```
//! use tenantry_tenant::TenantName;
//! use tenantry_tenant::urls::{Mfe, SiteUrls, UrlConfig};
//!
//! let site = SiteUrls::new(&TenantName::parse("talent1")?, &UrlConfig::default());
//! assert_eq!(site.lms_url(), "http://talent1.local.openedx.io:8000");
//! assert_eq!(
//!     site.mfe_url(Mfe::LearnerDashboard),
//!     "http://talent1.apps.local.openedx.io:1996/learner-dashboard/"
//! );
//! # Ok::<(), tenantry_tenant::NameError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::{DomainName, TenantName};

/// The base domain of [`UrlConfig::default`]: Tutor's local development domain.
pub const DEFAULT_BASE_DOMAIN: &str = "local.openedx.io";
/// The LMS port in the `dev` profile.
pub const DEV_LMS_PORT: u16 = 8000;
/// The Studio port in the `dev` profile.
pub const DEV_STUDIO_PORT: u16 = 8001;

/// How URLs are written: Tutor's development layout or a production one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UrlProfile {
    /// `http`, with Tutor's development ports (LMS 8000, Studio 8001, one per MFE).
    #[default]
    Dev,
    /// `https`, no ports.
    Prod,
}

impl UrlProfile {
    /// The profile's name: `dev` or `prod`.
    pub fn as_str(self) -> &'static str {
        match self {
            UrlProfile::Dev => "dev",
            UrlProfile::Prod => "prod",
        }
    }

    fn scheme(self) -> &'static str {
        match self {
            UrlProfile::Dev => "http",
            UrlProfile::Prod => "https",
        }
    }
}

impl fmt::Display for UrlProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UrlProfile {
    type Err = UnknownUrlProfile;

    /// Reads `dev` or `prod` (lowercase).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        match input {
            "dev" => Ok(UrlProfile::Dev),
            "prod" => Ok(UrlProfile::Prod),
            other => Err(UnknownUrlProfile(other.to_owned())),
        }
    }
}

/// A text that names no URL profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown URL profile {0:?}: expected dev or prod")]
pub struct UnknownUrlProfile(pub String);

/// How the service generates tenant URLs: the profile and the base domain tenants live
/// under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlConfig {
    /// `dev` or `prod` layout.
    pub profile: UrlProfile,
    /// The domain tenant host names end with (`local.openedx.io`).
    pub base_domain: DomainName,
}

impl UrlConfig {
    /// A configuration with the given profile and base domain.
    pub fn new(profile: UrlProfile, base_domain: DomainName) -> Self {
        Self {
            profile,
            base_domain,
        }
    }

    /// The URLs of tenant `name` under this configuration.
    pub fn site(&self, name: &TenantName) -> SiteUrls {
        SiteUrls::new(name, self)
    }
}

impl Default for UrlConfig {
    /// `dev` on `local.openedx.io`, as in seed 000.
    fn default() -> Self {
        Self::new(
            UrlProfile::Dev,
            DomainName::from_trusted(DEFAULT_BASE_DOMAIN),
        )
    }
}

crate::macros::wire_names! {
    /// Every MFE, in the order seed 000 lists them.
    const ALL;
    /// The MFE's short name (`learner-dashboard`).
    fn key;

    /// An Open edX micro-frontend a tenant's users reach.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Mfe {
        /// Sign-in and registration.
        Authn => "authn",
        /// The learner's course dashboard.
        LearnerDashboard => "learner-dashboard",
        /// Account settings.
        Account => "account",
        /// Public learner profiles.
        Profile => "profile",
        /// The courseware.
        Learning => "learning",
        /// Course discussions.
        Discussions => "discussions",
        /// Staff gradebook.
        Gradebook => "gradebook",
        /// Bulk e-mail to learners.
        Communications => "communications",
        /// Staff grading of open responses.
        OraGrading => "ora-grading",
        /// The site administration console.
        AdminConsole => "admin-console",
        /// Course authoring (Studio's new UI).
        Authoring => "authoring",
    }
}

impl Mfe {
    /// Its port in Tutor's development setup.
    pub fn port(self) -> u16 {
        match self {
            Mfe::Authn => 1999,
            Mfe::LearnerDashboard => 1996,
            Mfe::Account => 1997,
            Mfe::Profile => 1995,
            Mfe::Learning => 2000,
            Mfe::Discussions => 2002,
            Mfe::Gradebook => 1994,
            Mfe::Communications => 1984,
            Mfe::OraGrading => 1993,
            Mfe::AdminConsole => 2025,
            Mfe::Authoring => 2001,
        }
    }

    /// Its path on the MFE host, with or without a trailing slash exactly as the MFE
    /// expects it (`/authn`, `/learner-dashboard/`).
    pub fn path(self) -> &'static str {
        match self {
            Mfe::Authn => "/authn",
            Mfe::LearnerDashboard => "/learner-dashboard/",
            Mfe::Account => "/account/",
            Mfe::Profile => "/profile/u/",
            Mfe::Learning => "/learning",
            Mfe::Discussions => "/discussions",
            Mfe::Gradebook => "/gradebook",
            Mfe::Communications => "/communications",
            Mfe::OraGrading => "/ora-grading",
            Mfe::AdminConsole => "/admin-console",
            Mfe::Authoring => "/authoring",
        }
    }

    /// The edx-platform setting that holds its URL (`AUTHN_MICROFRONTEND_URL`).
    pub fn setting_name(self) -> &'static str {
        match self {
            Mfe::Authn => "AUTHN_MICROFRONTEND_URL",
            Mfe::LearnerDashboard => "LEARNER_HOME_MICROFRONTEND_URL",
            Mfe::Account => "ACCOUNT_MICROFRONTEND_URL",
            Mfe::Profile => "PROFILE_MICROFRONTEND_URL",
            Mfe::Learning => "LEARNING_MICROFRONTEND_URL",
            Mfe::Discussions => "DISCUSSIONS_MICROFRONTEND_URL",
            Mfe::Gradebook => "WRITABLE_GRADEBOOK_URL",
            Mfe::Communications => "COMMUNICATIONS_MICROFRONTEND_URL",
            Mfe::OraGrading => "ORA_GRADING_MICROFRONTEND_URL",
            Mfe::AdminConsole => "ADMIN_CONSOLE_MICROFRONTEND_URL",
            Mfe::Authoring => "COURSE_AUTHORING_MICROFRONTEND_URL",
        }
    }
}

/// The host names, URLs and Open edX configuration of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteUrls {
    name: TenantName,
    profile: UrlProfile,
    base_domain: DomainName,
}

impl SiteUrls {
    /// The URLs of tenant `name` under `config`.
    pub fn new(name: &TenantName, config: &UrlConfig) -> Self {
        Self {
            name: name.clone(),
            profile: config.profile,
            base_domain: config.base_domain.clone(),
        }
    }

    /// The LMS host name, `<name>.<base>`. Not checked against the DNS length limits:
    /// parse it with [`DomainName::parse`] before storing it as a domain.
    pub fn lms_domain(&self) -> String {
        format!("{}.{}", self.name, self.base_domain)
    }

    /// eox-tenant's `TenantConfig.external_key`: the LMS host name.
    pub fn external_key(&self) -> String {
        self.lms_domain()
    }

    /// The MFE host name, `<name>.apps.<base>`.
    pub fn mfe_host(&self) -> String {
        format!("{}.apps.{}", self.name, self.base_domain)
    }

    /// The Studio host name, `studio.<name>.<base>`.
    pub fn studio_domain(&self) -> String {
        format!("studio.{}.{}", self.name, self.base_domain)
    }

    /// edx-platform's `LMS_BASE`: the LMS host with its port in `dev`
    /// (`talent1.local.openedx.io:8000`), the bare host in `prod`.
    pub fn lms_base(&self) -> String {
        with_port(self.profile, self.lms_domain(), DEV_LMS_PORT)
    }

    /// The LMS root URL (`http://talent1.local.openedx.io:8000`), no trailing slash.
    pub fn lms_url(&self) -> String {
        format!("{}://{}", self.profile.scheme(), self.lms_base())
    }

    /// The Studio root URL (`http://studio.talent1.local.openedx.io:8001`).
    pub fn studio_url(&self) -> String {
        let host = with_port(self.profile, self.studio_domain(), DEV_STUDIO_PORT);
        format!("{}://{host}", self.profile.scheme())
    }

    /// The MFE host's root URL without a port (`http://talent1.apps.local.openedx.io`).
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.profile.scheme(), self.mfe_host())
    }

    /// The URL of `mfe`: `http://<mfe host>:<port><path>` in `dev`,
    /// `https://<mfe host><path>` in `prod`; the path is kept exactly.
    pub fn mfe_url(&self, mfe: Mfe) -> String {
        let host = with_port(self.profile, self.mfe_host(), mfe.port());
        format!("{}://{host}{}", self.profile.scheme(), mfe.path())
    }

    /// eox-tenant `Route` domains for the tenant: the LMS host name.
    pub fn routes(&self) -> Vec<String> {
        vec![self.lms_domain()]
    }

    /// Lines for a hosts file pointing the tenant's LMS, MFE and Studio hosts at `ip`,
    /// as seed 000 lists them (`127.0.0.1 talent1.local.openedx.io`, …).
    pub fn hosts_entries(&self, ip: &str) -> Vec<String> {
        [self.lms_domain(), self.mfe_host(), self.studio_domain()]
            .into_iter()
            .map(|host| format!("{ip} {host}"))
            .collect()
    }

    /// The tenant's eox-tenant `lms_configs`, the settings edx-platform reads per site:
    ///
    /// - `EDNX_USE_SIGNAL`: `true`; eox-tenant applies a configuration only when it is set.
    /// - `LMS_BASE`: [`lms_base`](Self::lms_base).
    /// - `SITE_NAME`: the LMS host name.
    /// - `PLATFORM_NAME`: `platform_name`, the site's human name.
    /// - `THEME_NAME`: the comprehensive theme, only when `theme_name` is given.
    /// - `BASE_URL`: [`base_url`](Self::base_url), the MFE host.
    /// - `LMS_BASE_URL`, `LMS_ROOT_URL`: [`lms_url`](Self::lms_url).
    /// - `course_org_filter`: the organisations whose courses the site shows, as a list,
    ///   only when `org_filter` is not empty.
    /// - one key per [`Mfe`], its [`setting_name`](Mfe::setting_name), holding its URL.
    /// - `MFE_CONFIG`: what the LMS's `/api/mfe_config/v1` answers for this site —
    ///   `BASE_URL`, `LMS_BASE_URL`, `LOGIN_URL` (`<lms>/login`), `LOGOUT_URL`
    ///   (`<lms>/logout`), `SITE_NAME` (the platform name), `ACCOUNT_SETTINGS_URL` (the
    ///   account MFE), `ACCOUNT_PROFILE_URL` (the profile MFE),
    ///   `LEARNER_HOME_MICROFRONTEND_URL` (the learner dashboard MFE) and
    ///   `STUDIO_BASE_URL` ([`studio_url`](Self::studio_url)).
    pub fn lms_configs(
        &self,
        platform_name: &str,
        theme_name: Option<&str>,
        org_filter: &[String],
    ) -> Map<String, Value> {
        let lms_url = self.lms_url();
        let mut configs = Map::new();
        configs.insert("EDNX_USE_SIGNAL".into(), Value::Bool(true));
        configs.insert("LMS_BASE".into(), self.lms_base().into());
        configs.insert("SITE_NAME".into(), self.lms_domain().into());
        configs.insert("PLATFORM_NAME".into(), platform_name.into());
        if let Some(theme) = theme_name {
            configs.insert("THEME_NAME".into(), theme.into());
        }
        configs.insert("BASE_URL".into(), self.base_url().into());
        configs.insert("LMS_BASE_URL".into(), lms_url.clone().into());
        configs.insert("LMS_ROOT_URL".into(), lms_url.clone().into());
        if !org_filter.is_empty() {
            configs.insert("course_org_filter".into(), org_filter.into());
        }
        for mfe in Mfe::ALL {
            configs.insert(mfe.setting_name().into(), self.mfe_url(mfe).into());
        }

        let mut mfe_config = Map::new();
        mfe_config.insert("BASE_URL".into(), self.base_url().into());
        mfe_config.insert("LMS_BASE_URL".into(), lms_url.clone().into());
        mfe_config.insert("LOGIN_URL".into(), format!("{lms_url}/login").into());
        mfe_config.insert("LOGOUT_URL".into(), format!("{lms_url}/logout").into());
        mfe_config.insert("SITE_NAME".into(), platform_name.into());
        mfe_config.insert(
            "ACCOUNT_SETTINGS_URL".into(),
            self.mfe_url(Mfe::Account).into(),
        );
        mfe_config.insert(
            "ACCOUNT_PROFILE_URL".into(),
            self.mfe_url(Mfe::Profile).into(),
        );
        mfe_config.insert(
            "LEARNER_HOME_MICROFRONTEND_URL".into(),
            self.mfe_url(Mfe::LearnerDashboard).into(),
        );
        mfe_config.insert("STUDIO_BASE_URL".into(), self.studio_url().into());
        configs.insert("MFE_CONFIG".into(), Value::Object(mfe_config));
        configs
    }

    /// The tenant's eox-tenant `theming_configs`; see [`theming_configs`].
    pub fn theming_configs(&self, theme_name: Option<&str>) -> Map<String, Value> {
        theming_configs(theme_name)
    }
}

/// eox-tenant `theming_configs`: `{"THEME_NAME": <theme>}` when a theme is given, else `{}`.
pub fn theming_configs(theme_name: Option<&str>) -> Map<String, Value> {
    let mut configs = Map::new();
    if let Some(theme) = theme_name {
        configs.insert("THEME_NAME".into(), theme.into());
    }
    configs
}

fn with_port(profile: UrlProfile, host: String, dev_port: u16) -> String {
    match profile {
        UrlProfile::Dev => format!("{host}:{dev_port}"),
        UrlProfile::Prod => host,
    }
}

#[cfg(test)]
mod tests;
