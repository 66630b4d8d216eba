//! The command line: `tenantry [serve]`, `tenantry migrate`, `tenantry admin create`,
//! `tenantry eox-tenant export`, `tenantry hosts`.
//!
//! Every setting reads an environment variable and may be overridden by its flag. Values
//! are parsed here, so an invalid one stops start-up with a message naming it.

use std::convert::Infallible;
use std::ffi::OsStr;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand, ValueEnum};
use lettre::message::Mailbox;
use secrecy::SecretString;
use tenantry_http::TrustedProxies;
use tenantry_store::DatabaseUrl;
use tenantry_tenant::DomainName;
use tenantry_tenant::urls::UrlProfile;
use url::{Position, Url};

use crate::eox_sync::LmsUrl;
use crate::mailer::parse_mailbox;
use crate::smtp_url::SmtpUrl;

/// Default database: an SQLite file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tenantry.db";

/// tenantry: provisions tenants and registers their users.
#[derive(Debug, Parser)]
#[command(
    name = "tenantry",
    version,
    about = "Provisions Open edX tenants and registers their users, behind the APIs their tools \
             already call (canonical admin, Open edX, hosting panel, Tahoe).",
    long_about = "Provisions Open edX tenants and registers their users, behind the APIs their \
                  tools already call (canonical admin, Open edX, hosting panel, Tahoe).\n\n\
                  Run without a command, it serves HTTP (`tenantry serve`). Every option also \
                  reads its TENANTRY_* environment variable and may come before or after the \
                  command; the options under a heading marked (serve) matter only to the \
                  server.",
    after_help = "Examples:\n  tenantry                                  serve on 127.0.0.1:8080, SQLite in ./data\n  \
                  tenantry migrate                          apply migrations and exit\n  \
                  tenantry admin create --username ops --password-stdin\n  \
                  tenantry hosts --ip 10.0.0.5               hosts-file lines of every active tenant"
)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub config: ConfigArgs,
}

impl Cli {
    /// Reads the command line (and the environment), exiting with clap's message on an
    /// error. Every option is accepted by every command, but `--help` of a command lists
    /// only the options that matter to it: those under a "(serve)" heading are left out
    /// everywhere but `serve` and the top level.
    pub fn parse_for_users() -> Cli {
        use clap::{CommandFactory as _, FromArgMatches as _};
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        match Cli::command().try_get_matches_from(&args) {
            Ok(matches) => Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit()),
            Err(error) if error.kind() == ErrorKind::DisplayHelp => {
                let long = args.iter().any(|arg| arg == "--help");
                print!("{}", Self::help_of(&args, long));
                std::process::exit(0)
            }
            Err(error) => error.exit(),
        }
    }

    /// The help of the command `args` names, its server options left out unless it is
    /// `serve` or the top level. (Only for rendering: a command whose arguments were
    /// changed after it was built no longer parses reliably.)
    pub fn help_of(args: &[std::ffi::OsString], long: bool) -> String {
        use clap::CommandFactory as _;
        let mut command = Cli::command();
        command.build();
        let mut path: Vec<String> = Vec::new();
        {
            let mut current = &command;
            for arg in args.iter().skip(1).filter_map(|arg| arg.to_str()) {
                if arg == "help" {
                    continue;
                }
                if let Some(sub) = current.find_subcommand(arg) {
                    path.push(arg.to_owned());
                    current = sub;
                }
            }
        }
        let render = |command: &mut clap::Command| {
            if long {
                command.render_long_help()
            } else {
                command.render_help()
            }
        };
        let rendered = match descend(&mut command, &path) {
            Some(current) => {
                if !path.is_empty() && current.get_name() != "serve" {
                    hide_server_options(current);
                }
                render(current)
            }
            None => render(&mut command),
        };
        rendered.to_string()
    }
}

/// The subcommand of `command` that `path` names, one name per level.
fn descend<'a>(command: &'a mut clap::Command, path: &[String]) -> Option<&'a mut clap::Command> {
    match path.split_first() {
        Some((first, rest)) => descend(command.find_subcommand_mut(first)?, rest),
        None => Some(command),
    }
}

/// Hides the server's options (headings ending "(serve)") in `command` and its subcommands.
fn hide_server_options(command: &mut clap::Command) {
    let server_only: Vec<clap::Id> = command
        .get_arguments()
        .filter(|arg| {
            arg.get_help_heading()
                .is_some_and(|heading| heading.ends_with("(serve)"))
        })
        .map(|arg| arg.get_id().clone())
        .collect();
    let mut owned = std::mem::take(command);
    for id in server_only {
        owned = owned.mut_arg(id, |arg| arg.hide(true));
    }
    for sub in owned.get_subcommands_mut() {
        hide_server_options(sub);
    }
    *command = owned;
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage operators (platform administrators).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Export tenants as eox-tenant stores them (Open edX).
    #[command(subcommand, name = "eox-tenant")]
    EoxTenant(EoxTenantCommand),
    /// Print hosts-file lines for the LMS, MFE and Studio hosts of every active tenant.
    Hosts(HostsArgs),
}

/// eox-tenant records.
#[derive(Debug, Subcommand)]
pub enum EoxTenantCommand {
    /// Print the eox-tenant record of one tenant, or of every live tenant.
    Export(ExportArgs),
    /// Bring the Open edX database's eox-tenant tables (TENANTRY_EOX_DATABASE_URL) in step
    /// with every tenant, correcting rows edited by hand, and print what changed.
    Sync(SyncArgs),
}

/// `tenantry eox-tenant sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print what would change without changing anything.
    #[arg(long)]
    pub dry_run: bool,
}

/// `tenantry eox-tenant export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only this tenant (by name); every live tenant when omitted.
    #[arg(long)]
    pub tenant: Option<String>,
    /// `json`: one object a line, columns as eox-tenant stores them; `sql`: MySQL INSERTs.
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub format: ExportFormat,
}

/// How `tenantry eox-tenant export` writes records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// JSON lines.
    Json,
    /// MySQL statements for eox-tenant's tables.
    Sql,
}

/// `tenantry hosts`.
#[derive(Debug, Args)]
pub struct HostsArgs {
    /// The address the host names point at.
    #[arg(long, default_value = "127.0.0.1")]
    pub ip: IpAddr,
}

/// Operator management.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an operator. The password comes from stdin (`--password-stdin`) or from
    /// TENANTRY_ADMIN_PASSWORD; it is never taken from a flag, which `ps` would show.
    Create(CreateOperatorArgs),
    /// Change an operator's password (from stdin or TENANTRY_ADMIN_PASSWORD). Running
    /// servers stop accepting the old password at once.
    SetPassword(CreateOperatorArgs),
}

/// `tenantry admin create` and `tenantry admin set-password`.
#[derive(Debug, Args)]
pub struct CreateOperatorArgs {
    /// The operator's user name.
    #[arg(long)]
    pub username: String,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Settings, each from its environment variable unless its flag is given. They may be
/// written before or after the command.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Database URL: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    #[arg(long, global = true, env = "TENANTRY_DATABASE_URL", help_heading = "Database", default_value = DEFAULT_DATABASE_URL,
          value_parser = Hidden(parse_database_url), hide_env_values = true)]
    pub database_url: DatabaseUrl,
    /// Address to listen on.
    #[arg(
        long,
        global = true,
        env = "TENANTRY_BIND",
        help_heading = "Server (serve)",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: SocketAddr,
    /// Name of the operator created at start-up when there is none.
    #[arg(
        long,
        global = true,
        env = "TENANTRY_ADMIN_USERNAME",
        help_heading = "First operator (serve)",
        default_value = "admin"
    )]
    pub admin_username: String,
    /// Password of that operator; when unset, a random one is generated and logged once.
    /// Prefer the environment variable: flags are visible to other users in `ps`.
    #[arg(
        long,
        global = true,
        env = "TENANTRY_ADMIN_PASSWORD", help_heading = "First operator (serve)",
        hide_env_values = true,
        value_parser = parse_secret
    )]
    pub admin_password: Option<SecretString>,
    /// Base domain of generated tenant URLs.
    #[arg(long, global = true, env = "TENANTRY_BASE_DOMAIN", help_heading = "Tenants", default_value = "local.openedx.io",
          value_parser = parse_domain)]
    pub base_domain: DomainName,
    /// URL profile: `dev` (Tutor dev ports, http) or `prod` (https, no ports).
    #[arg(long, global = true, env = "TENANTRY_URL_PROFILE", help_heading = "Tenants", default_value = "dev",
          value_parser = parse_profile)]
    pub url_profile: UrlProfile,
    /// Key that signs the JWTs of `/oauth/token`, at least 32 characters. When unset, one
    /// is generated once and kept in the database, shared by every node using it.
    #[arg(long, global = true, env = "TENANTRY_JWT_SECRET", help_heading = "Server (serve)", hide_env_values = true,
          value_parser = Hidden(parse_jwt_secret))]
    pub jwt_secret: Option<SecretString>,
    /// HTTP worker threads, 1–1024 (default: one per CPU).
    #[arg(long, global = true, env = "TENANTRY_WORKERS", help_heading = "Server (serve)",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
    /// Seconds a client may take to send a request's head, and again its body; slower
    /// ones are answered 408 and disconnected.
    #[arg(long, global = true, env = "TENANTRY_READ_TIMEOUT", help_heading = "Server (serve)", default_value = "10",
          value_parser = parse_seconds)]
    pub read_timeout: Duration,
    /// The most client connections open at once; further ones wait to be accepted. Keep it
    /// below the process's open-file limit (`ulimit -n`).
    #[arg(long, global = true, env = "TENANTRY_MAX_CONNECTIONS", help_heading = "Server (serve)", default_value = "10000",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// The most connections one client address may hold at once; more are answered 429
    /// and closed at once. Addresses in `--trusted-proxies` are not limited.
    #[arg(long, global = true, env = "TENANTRY_MAX_CONNECTIONS_PER_CLIENT", help_heading = "Server (serve)", default_value = "256",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_client: u32,
    /// Seconds a request waits for the database before answering 503; also PostgreSQL's
    /// `statement_timeout` on tenantry's connections.
    #[arg(long, global = true, env = "TENANTRY_DATABASE_TIMEOUT", help_heading = "Database", default_value = "4",
          value_parser = parse_seconds)]
    pub database_timeout: Duration,
    /// Connections tenantry keeps to its own database (1–100; see docs/performance.md for
    /// how the default was chosen).
    #[arg(long, global = true, env = "TENANTRY_DATABASE_POOL_SIZE", help_heading = "Database",
          default_value_t = tenantry_store::PoolOptions::default().max_size,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub database_pool_size: u32,
    /// Threads that hash and verify passwords (argon2id, 19 MiB each; default: one per CPU).
    #[arg(long, global = true, env = "TENANTRY_HASH_THREADS", help_heading = "Server (serve)",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub hash_threads: Option<u16>,
    /// Password hashing jobs that may wait for a thread; beyond that requests get 503 with
    /// `Retry-After`.
    #[arg(
        long,
        global = true,
        env = "TENANTRY_HASH_QUEUE",
        help_heading = "Server (serve)",
        default_value = "64"
    )]
    pub hash_queue: u16,
    /// SMTP server for outbox emails: `smtp://[USER:PASSWORD@]HOST:PORT` (plain),
    /// `…?tls=starttls`, or `smtps://…` (TLS). When unset, emails are only logged
    /// (recipient and subject) and marked delivered.
    #[arg(long, global = true, env = "TENANTRY_SMTP_URL", help_heading = "Email (serve)", hide_env_values = true,
          value_parser = Hidden(parse_smtp_url))]
    pub smtp_url: Option<SmtpUrl>,
    /// The Open edX (LMS) MySQL or MariaDB database whose eox-tenant tables tenantry keeps
    /// in sync: `mysql://USER:PASSWORD@HOST:PORT/DB`. Unset: no sync.
    #[arg(long, global = true, env = "TENANTRY_EOX_DATABASE_URL", help_heading = "Open edX", hide_env_values = true,
          value_parser = Hidden(parse_eox_database_url))]
    pub eox_database_url: Option<LmsUrl>,
    /// Let webhook endpoints resolve to loopback, private or link-local addresses (local
    /// development, tests). Off by default: deliveries to them are refused.
    #[arg(long, global = true, env = "TENANTRY_WEBHOOKS_ALLOW_PRIVATE", help_heading = "Webhooks (serve)",
          default_value_t = false, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub webhooks_allow_private: bool,
    /// Sender of outbox emails, e.g. `Example <no-reply@example.com>`.
    #[arg(long, global = true, env = "TENANTRY_MAIL_FROM", help_heading = "Email (serve)", default_value = DEFAULT_MAIL_FROM,
          value_parser = parse_mailbox)]
    pub mail_from: Mailbox,
    /// Public base URL of this service, e.g. `https://accounts.example.com`, for links in
    /// emails.
    #[arg(long, global = true, env = "TENANTRY_PUBLIC_URL", help_heading = "Email (serve)", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` headers name the client, as
    /// comma-separated IP addresses and CIDR networks (`10.0.0.1,10.1.0.0/16`). Default:
    /// none, and the TCP peer is the client.
    #[arg(long, global = true, env = "TENANTRY_TRUSTED_PROXIES", help_heading = "Server (serve)", default_value = "",
          hide_default_value = true, value_parser = parse_trusted_proxies)]
    pub trusted_proxies: TrustedProxies,
    /// Connections each tenant's PostgreSQL role may hold at once (`CONNECTION LIMIT`,
    /// set when the role is created; `-1` is not accepted: there is always a limit).
    #[arg(long, global = true, env = "TENANTRY_TENANT_DB_CONNECTION_LIMIT", help_heading = "Tenants",
          default_value_t = tenantry_store::provisioning::DEFAULT_CONNECTION_LIMIT)]
    pub tenant_db_connection_limit: u32,
}

fn parse_trusted_proxies(text: &str) -> Result<TrustedProxies, String> {
    TrustedProxies::parse(text).map_err(|error| error.to_string())
}

/// Default sender of outbox emails.
pub const DEFAULT_MAIL_FROM: &str = "tenantry <no-reply@localhost>";

fn parse_eox_database_url(text: &str) -> Result<LmsUrl, String> {
    LmsUrl::parse(text).map_err(|error| error.to_string())
}

fn parse_smtp_url(text: &str) -> Result<SmtpUrl, String> {
    SmtpUrl::parse(text).map_err(|error| error.to_string())
}

/// Accepts an absolute `http` or `https` URL with a host and no query, fragment or
/// credentials; returns it without a trailing slash (`https://example.com/accounts`).
pub fn parse_public_url(text: &str) -> Result<String, String> {
    let url = Url::parse(text).map_err(|error| format!("not a URL: {error}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme must be http or https, not {:?}",
            url.scheme()
        ));
    }
    if !url.has_host() {
        return Err("the URL names no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not carry credentials".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the URL must not have a query or fragment".into());
    }
    Ok(url[..Position::AfterPath].trim_end_matches('/').to_owned())
}

/// A value parser whose errors do not quote the value, for settings that may hold a
/// password (clap's own message would print it, and with it the environment variable).
#[derive(Clone, Copy)]
struct Hidden<T>(fn(&str) -> Result<T, String>);

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Hidden<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let name = arg.map_or_else(|| "a setting".to_owned(), ToString::to_string);
        let refuse = |reason: &str| {
            clap::Error::raw(
                ErrorKind::ValueValidation,
                format!("invalid value for '{name}' (not shown, it may be secret): {reason}\n"),
            )
            .with_cmd(cmd)
        };
        let text = value.to_str().ok_or_else(|| refuse("not valid UTF-8"))?;
        (self.0)(text).map_err(|reason| refuse(&reason))
    }
}

/// A whole number of seconds, at least 1.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err("must be at least 1 second".into()),
        Ok(seconds) => Ok(Duration::from_secs(u64::from(seconds))),
        Err(_) => Err(format!("{text:?} is not a whole number of seconds")),
    }
}

fn parse_database_url(text: &str) -> Result<DatabaseUrl, String> {
    DatabaseUrl::parse(text).map_err(|error| error.to_string())
}

fn parse_secret(text: &str) -> Result<SecretString, Infallible> {
    Ok(text.into())
}

fn parse_jwt_secret(text: &str) -> Result<SecretString, String> {
    if text.len() < tenantry_http::MIN_SECRET_LEN {
        return Err(format!(
            "must be at least {} bytes long",
            tenantry_http::MIN_SECRET_LEN
        ));
    }
    Ok(text.into())
}

fn parse_domain(text: &str) -> Result<DomainName, String> {
    DomainName::parse(text).map_err(|error| error.to_string())
}

fn parse_profile(text: &str) -> Result<UrlProfile, String> {
    text.parse::<UrlProfile>()
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_speaks_to_users_and_groups_the_options() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.starts_with("Provisions Open edX tenants"), "{help}");
        assert!(!help.contains("wiring"), "not the crate's description");
        for heading in ["Database:", "Server (serve):", "Email (serve):", "Tenants:"] {
            assert!(help.contains(heading), "{heading} in {help}");
        }
        assert!(help.contains("tenantry admin create --username ops --password-stdin"));
    }

    #[test]
    fn each_command_lists_only_the_options_it_uses() {
        let help = |args: &[&str]| {
            let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
            Cli::help_of(&args, true)
        };
        for args in [
            &["tenantry", "admin", "--help"][..],
            &["tenantry", "admin", "create", "--help"],
            &["tenantry", "help", "hosts"],
            &[
                "tenantry",
                "--database-url",
                "sqlite://x.db",
                "migrate",
                "-h",
            ],
        ] {
            let text = help(args);
            assert!(text.contains("--database-url"), "{args:?}: {text}");
            assert!(
                !text.contains("--bind"),
                "{args:?} lists server options: {text}"
            );
            assert!(!text.contains("--smtp-url"), "{args:?}: {text}");
        }
        assert!(help(&["tenantry", "admin", "create", "--help"]).contains("--password-stdin"));
        for args in [
            &["tenantry", "serve", "--help"][..],
            &["tenantry", "--help"],
        ] {
            let text = help(args);
            assert!(
                text.contains("--bind") && text.contains("--smtp-url"),
                "{text}"
            );
        }
        let cli = Cli::try_parse_from(["tenantry", "hosts", "--workers", "2"]).unwrap();
        assert_eq!(
            cli.config.workers,
            Some(2),
            "left out of help, still accepted"
        );
    }

    #[test]
    fn invalid_values_are_refused_with_their_name() {
        let error = Cli::try_parse_from(["tenantry", "serve", "--bind", "nowhere"]).unwrap_err();
        assert!(error.to_string().contains("--bind"), "{error}");
        let error =
            Cli::try_parse_from(["tenantry", "serve", "--url-profile", "staging"]).unwrap_err();
        assert!(error.to_string().contains("--url-profile"), "{error}");
        let error = Cli::try_parse_from(["tenantry", "--database-url", "mysql://x", "migrate"])
            .unwrap_err();
        assert!(error.to_string().contains("--database-url"), "{error}");
        let error =
            Cli::try_parse_from(["tenantry", "--smtp-url", "http://mail", "serve"]).unwrap_err();
        assert!(error.to_string().contains("--smtp-url"), "{error}");
        let error = Cli::try_parse_from(["tenantry", "--mail-from", "nobody"]).unwrap_err();
        assert!(error.to_string().contains("--mail-from"), "{error}");
        let error =
            Cli::try_parse_from(["tenantry", "--public-url", "ftp://example.com"]).unwrap_err();
        assert!(error.to_string().contains("--public-url"), "{error}");
        let error = Cli::try_parse_from(["tenantry", "--workers", "0"]).unwrap_err();
        assert!(error.to_string().contains("--workers"), "{error}");
        assert!(error.to_string().contains("1..=1024"), "{error}");
    }

    #[test]
    fn trusted_proxies_are_none_by_default_and_read_as_networks() {
        let cli = Cli::try_parse_from(["tenantry"]).unwrap();
        assert!(cli.config.trusted_proxies.is_empty());
        let cli =
            Cli::try_parse_from(["tenantry", "--trusted-proxies", "10.0.0.1, fd00::/8"]).unwrap();
        assert_eq!(
            cli.config.trusted_proxies.to_string(),
            "10.0.0.1/32,fd00::/8"
        );
        let error = Cli::try_parse_from(["tenantry", "--trusted-proxies", "10.0.0.0/33"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--trusted-proxies"), "{error}");
        assert!(error.contains("prefix longer"), "{error}");
    }

    #[test]
    fn an_invalid_smtp_url_is_refused_without_showing_its_password() {
        let error = Cli::try_parse_from(["tenantry", "--smtp-url", "smtp://u:hunter2@mail/x"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--smtp-url"), "{error}");
        assert!(error.contains("path"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
        let error = Cli::try_parse_from([
            "tenantry",
            "--database-url",
            "mysql://root:hunter2@db/x",
            "migrate",
        ])
        .unwrap_err()
        .to_string();
        assert!(error.contains("--database-url"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
        let error = Cli::try_parse_from(["tenantry", "--jwt-secret", "hunter2"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--jwt-secret"), "{error}");
        assert!(error.contains("at least"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn mail_settings_are_parsed() {
        let cli = Cli::try_parse_from([
            "tenantry",
            "--smtp-url",
            "smtp://127.0.0.1:2525",
            "--mail-from",
            "Example <no-reply@example.com>",
            "--public-url",
            "https://Accounts.Example.com/",
        ])
        .unwrap();
        let smtp = cli.config.smtp_url.unwrap();
        assert_eq!(smtp.to_string(), "smtp://127.0.0.1:2525");
        assert_eq!(
            cli.config.mail_from.email.to_string(),
            "no-reply@example.com"
        );
        assert_eq!(
            cli.config.public_url.as_deref(),
            Some("https://accounts.example.com")
        );
    }

    #[test]
    fn bounds_are_parsed_and_zero_is_refused() {
        let cli = Cli::try_parse_from([
            "tenantry",
            "--read-timeout",
            "3",
            "--database-timeout",
            "4",
            "--max-connections",
            "500",
            "--hash-threads",
            "2",
            "--hash-queue",
            "8",
        ])
        .unwrap();
        assert_eq!(cli.config.read_timeout, Duration::from_secs(3));
        assert_eq!(cli.config.database_timeout, Duration::from_secs(4));
        assert_eq!(cli.config.database_pool_size, 10);
        assert_eq!(cli.config.max_connections, 500);
        assert_eq!(cli.config.hash_threads, Some(2));
        assert_eq!(cli.config.hash_queue, 8);
        for flag in [
            "--read-timeout",
            "--database-timeout",
            "--max-connections",
            "--hash-threads",
        ] {
            let error = Cli::try_parse_from(["tenantry", flag, "0"]).unwrap_err();
            assert!(error.to_string().contains(flag), "{error}");
        }
    }

    #[test]
    fn public_urls_lose_their_trailing_slash() {
        let accepted = [
            (
                "https://accounts.example.com",
                "https://accounts.example.com",
            ),
            (
                "https://accounts.example.com/",
                "https://accounts.example.com",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            (
                "https://example.com/accounts/",
                "https://example.com/accounts",
            ),
        ];
        for (text, expected) in accepted {
            assert_eq!(parse_public_url(text).as_deref(), Ok(expected), "{text}");
        }
        for refused in [
            "accounts.example.com",
            "ftp://example.com",
            "https://example.com/?a=1",
            "https://example.com/#top",
            "https://user:pw@example.com",
            "https://",
        ] {
            assert!(parse_public_url(refused).is_err(), "{refused}");
        }
    }
}
