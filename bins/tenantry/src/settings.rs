//! Typed settings, built once from the command line and environment and passed down.

use std::fmt;
use std::net::SocketAddr;

use tenantry_http::HttpSettings;
use tenantry_store::DatabaseUrl;
use tenantry_tenant::urls::UrlConfig;

use crate::cli::SettingsArgs;

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the control-plane database is.
    pub database_url: DatabaseUrl,
    /// The HTTP listener.
    pub http: HttpSettings,
    /// The operator created at start-up when none exists.
    pub first_operator: FirstOperator,
    /// How tenant URLs are generated.
    pub urls: UrlConfig,
    /// The configured JWT signing key; `None` uses the one kept in the database.
    pub jwt_secret: Option<Secret>,
}

/// A secret setting: its `Debug` output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The operator created when the database has none.
#[derive(Clone)]
pub struct FirstOperator {
    /// Its name.
    pub username: String,
    /// Its password; `None` generates one and logs it once.
    pub password: Option<String>,
}

impl fmt::Debug for FirstOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FirstOperator")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Settings {
    /// Settings for a server on `bind` over `database_url`, with defaults for the rest.
    pub fn new(database_url: DatabaseUrl, bind: SocketAddr) -> Self {
        Self {
            database_url,
            http: HttpSettings::new(bind),
            first_operator: FirstOperator {
                username: "admin".into(),
                password: None,
            },
            urls: UrlConfig::default(),
            jwt_secret: None,
        }
    }
}

impl From<SettingsArgs> for Settings {
    fn from(args: SettingsArgs) -> Self {
        let mut http = HttpSettings::new(args.bind);
        http.workers = args.workers;
        Self {
            database_url: args.database_url,
            http,
            first_operator: FirstOperator {
                username: args.admin_username,
                password: args.admin_password,
            },
            urls: UrlConfig::new(args.url_profile, args.base_domain),
            jwt_secret: args.jwt_secret.map(Secret),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_password() {
        let operator = FirstOperator {
            username: "admin".into(),
            password: Some("correct horse battery staple".into()),
        };
        let printed = format!("{operator:?}");
        assert!(!printed.contains("horse"), "{printed}");
        assert!(printed.contains("***"));
    }
}
