//! The command line: `tenantry [serve]`, `tenantry migrate`, `tenantry admin create`.
//!
//! Every setting reads an environment variable and may be overridden by its flag. Values
//! are parsed here, so an invalid one stops start-up with a message naming it.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};
use tenantry_store::DatabaseUrl;
use tenantry_tenant::DomainName;
use tenantry_tenant::urls::UrlProfile;

/// Default database: an SQLite file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tenantry.db";

/// tenantry: provisions tenants and registers their users.
#[derive(Debug, Parser)]
#[command(name = "tenantry", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings shared by every command.
    #[command(flatten)]
    pub settings: SettingsArgs,
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
}

/// Operator management.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an operator. The password comes from stdin (`--password-stdin`) or from
    /// TENANTRY_ADMIN_PASSWORD; it is never taken from a flag, which `ps` would show.
    Create(CreateOperatorArgs),
}

/// `tenantry admin create`.
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
pub struct SettingsArgs {
    /// Database URL: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    #[arg(long, global = true, env = "TENANTRY_DATABASE_URL", default_value = DEFAULT_DATABASE_URL,
          value_parser = parse_database_url, hide_env_values = true)]
    pub database_url: DatabaseUrl,
    /// Address to listen on.
    #[arg(
        long,
        global = true,
        env = "TENANTRY_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: SocketAddr,
    /// Name of the operator created at start-up when there is none.
    #[arg(
        long,
        global = true,
        env = "TENANTRY_ADMIN_USERNAME",
        default_value = "admin"
    )]
    pub admin_username: String,
    /// Password of that operator; when unset, a random one is generated and logged once.
    /// Prefer the environment variable: flags are visible to other users in `ps`.
    #[arg(
        long,
        global = true,
        env = "TENANTRY_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,
    /// Base domain of generated tenant URLs.
    #[arg(long, global = true, env = "TENANTRY_BASE_DOMAIN", default_value = "local.openedx.io",
          value_parser = parse_domain)]
    pub base_domain: DomainName,
    /// URL profile: `dev` (Tutor dev ports, http) or `prod` (https, no ports).
    #[arg(long, global = true, env = "TENANTRY_URL_PROFILE", default_value = "dev",
          value_parser = parse_profile)]
    pub url_profile: UrlProfile,
    /// Key that signs the JWTs of `/oauth/token`, at least 32 characters. When unset, one
    /// is generated once and kept in the database, shared by every node using it.
    #[arg(long, global = true, env = "TENANTRY_JWT_SECRET", hide_env_values = true,
          value_parser = parse_jwt_secret)]
    pub jwt_secret: Option<String>,
    /// HTTP worker threads (default: one per CPU).
    #[arg(long, global = true, env = "TENANTRY_WORKERS")]
    pub workers: Option<usize>,
}

fn parse_database_url(text: &str) -> Result<DatabaseUrl, String> {
    DatabaseUrl::parse(text).map_err(|error| error.to_string())
}

fn parse_jwt_secret(text: &str) -> Result<String, String> {
    if text.len() < tenantry_http::MIN_SECRET_LEN {
        return Err(format!(
            "must be at least {} bytes long",
            tenantry_http::MIN_SECRET_LEN
        ));
    }
    Ok(text.to_owned())
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
    fn invalid_values_are_refused_with_their_name() {
        let error = Cli::try_parse_from(["tenantry", "serve", "--bind", "nowhere"]).unwrap_err();
        assert!(error.to_string().contains("--bind"), "{error}");
        let error =
            Cli::try_parse_from(["tenantry", "serve", "--url-profile", "staging"]).unwrap_err();
        assert!(error.to_string().contains("--url-profile"), "{error}");
        let error = Cli::try_parse_from(["tenantry", "--database-url", "mysql://x", "migrate"])
            .unwrap_err();
        assert!(error.to_string().contains("--database-url"), "{error}");
    }
}
