//! The server's configuration ([`ServerConfig`]), built once from the command line and
//! environment and passed down. (Not to be confused with a tenant's
//! `tenantry_tenant::Settings`.)

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lettre::Address;
use lettre::message::Mailbox;
use secrecy::SecretString;

use tenantry_http::{HttpSettings, MonotonicClock, SystemMonotonicClock, TrustedProxies};
use tenantry_store::DatabaseUrl;
use tenantry_tenant::urls::UrlConfig;

use crate::cli::ConfigArgs;
use crate::eox_sync::LmsUrl;
use crate::smtp_url::SmtpUrl;

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where the control-plane database is.
    pub database_url: DatabaseUrl,
    /// The HTTP listener.
    pub http: HttpSettings,
    /// The operator created at start-up when none exists.
    pub first_operator: FirstOperator,
    /// How tenant URLs are generated.
    pub urls: UrlConfig,
    /// The configured JWT signing key; `None` uses the one kept in the database.
    pub jwt_secret: Option<SecretString>,
    /// Where outbox emails are sent; `None` only logs them (recipient and subject).
    pub smtp_url: Option<SmtpUrl>,
    /// The sender of outbox emails.
    pub mail_from: Mailbox,
    /// This service's public base URL, without a trailing slash, for links in emails.
    pub public_url: Option<String>,
    /// The Open edX database whose eox-tenant tables are kept in sync; `None`: no sync.
    pub eox_database_url: Option<LmsUrl>,
    /// How often the eox-tenant sync looks for changed tenants. Code only: 1 s; tests set
    /// less.
    pub eox_poll_interval: Duration,
    /// Whether webhook endpoints may target loopback, private and link-local addresses.
    pub webhooks_allow_private: bool,
    /// When failed webhook deliveries are tried again: the wait after the 1st, 2nd, …
    /// failed attempt; the delivery is given up after the last. Code only: about a day
    /// ([`WEBHOOK_RETRIES`]); tests set shorter.
    pub webhook_retries: Vec<Duration>,
    /// How often the webhook worker looks for due deliveries. Code only: 1 s.
    pub webhook_poll_interval: Duration,
    /// Whether `serve` runs the outbox delivery worker. Tests that inspect the outbox
    /// rows themselves turn it off.
    pub deliver_emails: bool,
    /// How long the delivery worker waits between looks at the outbox.
    pub mail_poll_interval: Duration,
    /// Names tenants' PostgreSQL databases `<namespace>_<name>` instead of
    /// `tenant_<name>` (1–6 of `[a-z0-9]`), so that deployments or test runs sharing one
    /// server never clash. Code only; tests set it.
    pub tenant_database_namespace: Option<String>,
    /// Peers (reverse proxies) whose `X-Forwarded-For` / `Forwarded` headers name the
    /// client; nobody by default.
    pub trusted_proxies: TrustedProxies,
    /// How long a token or operator account read from the database is used before it is
    /// read again (so a change from another node or the CLI takes effect within it).
    /// Code only: 1 s ([`CREDENTIAL_STALENESS`]); tests that change accounts behind the
    /// server's back set zero.
    pub credential_staleness: Duration,
    /// The monotonic time of rate limits and caches. Code only; tests stop it.
    pub monotonic_clock: Arc<dyn MonotonicClock>,
    /// The connections each tenant's PostgreSQL role may hold at once (`CONNECTION
    /// LIMIT`, set when the role is created).
    pub tenant_db_connection_limit: u32,
    /// Connections in the pool to the control-plane database.
    pub database_pool_size: u32,
}

/// How long a token or operator account read from the database is used: the same bound as
/// resolved hosts.
pub const CREDENTIAL_STALENESS: Duration = Duration::from_secs(1);

/// The delivery worker's default pause between looks at the outbox.
pub const MAIL_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How often the eox-tenant sync looks for changed tenants.
pub const EOX_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How often the webhook worker looks for due deliveries.
pub const WEBHOOK_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// The waits before the 2nd, 3rd, … attempt of a webhook delivery (the Standard Webhooks
/// reference schedule): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — about 27.6 hours from
/// the first attempt to the last, then the delivery is given up.
pub const WEBHOOK_RETRIES: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// The default sender, `tenantry <no-reply@localhost>`.
#[allow(
    clippy::expect_used,
    reason = "constant parts that lettre accepts, as a test below proves"
)]
pub fn default_mail_from() -> Mailbox {
    let address = Address::new("no-reply", "localhost").expect("a valid constant address");
    Mailbox::new(Some("tenantry".into()), address)
}

/// The operator created when the database has none.
#[derive(Debug, Clone)]
pub struct FirstOperator {
    /// Its name.
    pub username: String,
    /// Its password; `None` generates one and logs it once.
    pub password: Option<SecretString>,
}

impl ServerConfig {
    /// The configuration of a server on `bind` over `database_url`, with defaults for the
    /// rest.
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
            smtp_url: None,
            eox_database_url: None,
            eox_poll_interval: EOX_POLL_INTERVAL,
            webhooks_allow_private: false,
            webhook_retries: WEBHOOK_RETRIES.to_vec(),
            webhook_poll_interval: WEBHOOK_POLL_INTERVAL,
            mail_from: default_mail_from(),
            public_url: None,
            deliver_emails: true,
            mail_poll_interval: MAIL_POLL_INTERVAL,
            tenant_database_namespace: None,
            trusted_proxies: TrustedProxies::none(),
            credential_staleness: CREDENTIAL_STALENESS,
            monotonic_clock: Arc::new(SystemMonotonicClock),
            tenant_db_connection_limit: tenantry_store::provisioning::DEFAULT_CONNECTION_LIMIT,
            database_pool_size: tenantry_store::PoolOptions::default().max_size,
        }
    }
}

impl From<ConfigArgs> for ServerConfig {
    fn from(args: ConfigArgs) -> Self {
        let mut http = HttpSettings::new(args.bind);
        http.workers = args.workers.map(usize::from);
        http.read_timeout = args.read_timeout;
        http.max_connections = args.max_connections as usize;
        http.max_connections_per_client = args.max_connections_per_client as usize;
        http.database_timeout = args.database_timeout;
        http.hash_threads = args.hash_threads.map(usize::from);
        http.hash_queue = usize::from(args.hash_queue);
        Self {
            database_url: args.database_url,
            http,
            first_operator: FirstOperator {
                username: args.admin_username,
                password: args.admin_password,
            },
            urls: UrlConfig::new(args.url_profile, args.base_domain),
            jwt_secret: args.jwt_secret,
            smtp_url: args.smtp_url,
            eox_database_url: args.eox_database_url,
            eox_poll_interval: EOX_POLL_INTERVAL,
            webhooks_allow_private: args.webhooks_allow_private,
            webhook_retries: WEBHOOK_RETRIES.to_vec(),
            webhook_poll_interval: WEBHOOK_POLL_INTERVAL,
            mail_from: args.mail_from,
            public_url: args.public_url,
            deliver_emails: true,
            mail_poll_interval: MAIL_POLL_INTERVAL,
            tenant_database_namespace: None,
            trusted_proxies: args.trusted_proxies,
            credential_staleness: CREDENTIAL_STALENESS,
            monotonic_clock: Arc::new(SystemMonotonicClock),
            tenant_db_connection_limit: args.tenant_db_connection_limit,
            database_pool_size: args.database_pool_size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_every_secret() {
        let mut config = ServerConfig::new(
            DatabaseUrl::parse("postgres://app:db-secret@db/tenantry").unwrap(),
            "127.0.0.1:0".parse().unwrap(),
        );
        config.first_operator.password = Some("correct horse battery staple".into());
        config.jwt_secret = Some("a-jwt-key-of-at-least-32-characters".into());
        config.smtp_url = Some(SmtpUrl::parse("smtps://mailer:hunter2@mail.example.com").unwrap());
        let printed = format!("{config:?}");
        for secret in ["db-secret", "horse", "jwt-key", "hunter2"] {
            assert!(!printed.contains(secret), "{secret}: {printed}");
        }
        assert!(printed.contains("app:***@db/tenantry"), "{printed}");
        assert!(printed.contains("username: \"admin\""), "{printed}");
        assert!(printed.contains("mailer:***@mail.example.com"), "{printed}");
    }

    #[test]
    fn every_setting_read_from_the_command_line_reaches_the_server() {
        use clap::Parser as _;
        let cli = crate::cli::Cli::try_parse_from([
            "tenantry",
            "--trusted-proxies",
            "10.0.0.1",
            "--webhooks-allow-private",
            "true",
            "--eox-database-url",
            "mysql://lms:pw@db:3306/openedx",
        ])
        .unwrap();
        let config = ServerConfig::from(cli.config);
        assert_eq!(config.trusted_proxies.to_string(), "10.0.0.1/32");
        assert!(config.webhooks_allow_private);
        assert_eq!(
            config.eox_database_url.map(|url| url.to_string()),
            Some("mysql://lms@db:3306/openedx".to_owned())
        );
    }

    #[test]
    fn the_default_sender_matches_the_command_line_default() {
        let parsed = crate::mailer::parse_mailbox(crate::cli::DEFAULT_MAIL_FROM).unwrap();
        assert_eq!(default_mail_from(), parsed);
    }
}
