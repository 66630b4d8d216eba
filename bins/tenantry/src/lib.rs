//! The tenantry server: command line, configuration, wiring and start-up.
//!
//! `main.rs` only parses the command line and calls [`run`]. Tests use
//! [`startup::build`] with their own [`config::ServerConfig`] (port 0, their own
//! database).

pub mod cli;
pub mod config;
pub mod delivery;
pub mod eox_sync;
pub mod exports;
mod file_limit;
pub mod mailer;
pub mod operators;
pub mod smtp_url;
pub mod startup;
pub mod webhooks;
pub mod worker;

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret as _, SecretString};
use tenantry_tenant::{Clock, RequestContext, SystemClock};

use crate::cli::{AdminCommand, Cli, Command, CreateOperatorArgs, EoxTenantCommand};
use crate::config::ServerConfig;
use crate::eox_sync::EoxSync;

/// Runs the command the user chose.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let admin_password = cli.config.admin_password.clone();
    let config = ServerConfig::from(cli.config);
    let command = cli.command.unwrap_or(Command::Serve);
    if matches!(
        command,
        Command::Serve | Command::Migrate | Command::Admin(_)
    ) {
        create_default_data_directory(&config)?;
    }
    match command {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
        Command::Admin(AdminCommand::Create(args)) => {
            create_operator(&config, &args, admin_password)
        }
        Command::Admin(AdminCommand::SetPassword(args)) => {
            set_operator_password(&config, &args, admin_password)
        }
        Command::EoxTenant(EoxTenantCommand::Export(args)) => {
            let database = open_database(&config)?;
            let mut out = std::io::stdout().lock();
            let name = args.tenant.as_deref();
            exports::export_eox(&database, &config.urls, name, args.format, &mut out)
        }
        Command::EoxTenant(EoxTenantCommand::Sync(args)) => sync_eox(&config, args.dry_run),
        Command::Hosts(args) => {
            let database = open_database(&config)?;
            let mut out = std::io::stdout().lock();
            exports::write_hosts(&database, &config.urls, args.ip, &mut out)
        }
    }
}

fn serve(mut config: ServerConfig) -> anyhow::Result<()> {
    let (cap, lowered) =
        file_limit::fit_connections(config.http.max_connections, file_limit::open_file_limit());
    if let Some(reason) = lowered {
        log::warn!("{reason}");
    }
    config.http.max_connections = cap;
    actix_web::rt::System::new().block_on(async move {
        let application = startup::build(config.clone()).await?;
        log::info!(
            "tenantry listening on http://{}:{} (database {}, emails {})",
            config.http.bind.ip(),
            application.port(),
            config.database_url.redacted(),
            match &config.smtp_url {
                Some(url) => format!("to {url}"),
                None => "logged, not sent: TENANTRY_SMTP_URL is unset".to_owned(),
            }
        );
        stop_on_signals(&application.handle());
        application.run_until_stopped().await?;
        log::info!("tenantry stopped");
        Ok(())
    })
}

/// SIGINT (Ctrl-C) and SIGTERM stop the server gracefully: it stops accepting, lets the
/// requests in flight finish (up to the shutdown timeout), then stops the delivery worker.
/// SIGQUIT stops it at once.
fn stop_on_signals(handle: &actix_web::dev::ServerHandle) {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    for (kind, name, graceful) in [
        (SignalKind::interrupt(), "SIGINT", true),
        (SignalKind::terminate(), "SIGTERM", true),
        (SignalKind::quit(), "SIGQUIT", false),
    ] {
        match signal(kind) {
            Ok(mut received) => {
                let handle = handle.clone();
                actix_web::rt::spawn(async move {
                    if received.recv().await.is_some() {
                        if graceful {
                            log::info!("{name}: finishing the requests in flight, then stopping");
                        } else {
                            log::info!("{name}: stopping now");
                        }
                        handle.stop(graceful).await;
                    }
                });
            }
            Err(error) => log::warn!("cannot listen for {name}: {error}"),
        }
    }
}

/// `tenantry eox-tenant sync`: reconciles every tenant and prints the report; fails when a
/// tenant could not be brought in step.
fn sync_eox(config: &ServerConfig, dry_run: bool) -> anyhow::Result<()> {
    let Some(url) = &config.eox_database_url else {
        anyhow::bail!(
            "TENANTRY_EOX_DATABASE_URL is unset: set it to the Open edX database \
             (mysql://USER:PASSWORD@HOST:PORT/DB)"
        );
    };
    let database = open_database(config)?;
    let mut sync = EoxSync::new(database, url, config.urls.clone(), Arc::new(SystemClock))?;
    let outcomes = sync
        .reconcile(dry_run)
        .with_context(|| format!("cannot sync the eox-tenant tables of {url}"))?;
    let mut out = std::io::stdout().lock();
    if !eox_sync::write_report(&outcomes, dry_run, &mut out)? {
        anyhow::bail!("some tenants are not in step with the Open edX database (see above)");
    }
    Ok(())
}

fn migrate(config: &ServerConfig) -> anyhow::Result<()> {
    let applied = tenantry_store::run_pending(&config.database_url)?;
    if applied.is_empty() {
        println!("database is up to date");
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}

/// Opens the database as `tenantry migrate` and `admin create` do (migrating it first).
/// The database of a command that only reads (`hosts`, `eox-tenant export`): it must exist
/// and be migrated; nothing is created.
fn open_database(config: &ServerConfig) -> anyhow::Result<tenantry_store::Database> {
    tenantry_store::Database::open_existing(
        &config.database_url,
        tenantry_store::PoolOptions::one_shot(),
    )
    .with_context(|| {
        format!(
            "cannot read the database {} (set TENANTRY_DATABASE_URL or --database-url to \
             the one `tenantry serve` uses)",
            config.database_url.redacted()
        )
    })
}

/// Creates `data/` (owner only) when the database is the default `sqlite://data/tenantry.db`
/// and it is missing. Any other SQLite path must be in a directory that exists: a mistyped
/// path is an error, not a new empty database.
fn create_default_data_directory(config: &ServerConfig) -> anyhow::Result<()> {
    let default = tenantry_store::DatabaseUrl::parse(cli::DEFAULT_DATABASE_URL)?;
    let Some(path) = default.sqlite_path() else {
        return Ok(());
    };
    if config.database_url.sqlite_path() != Some(path) {
        return Ok(());
    }
    let Some(directory) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    else {
        return Ok(());
    };
    if !directory.is_dir() {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(directory)
            .with_context(|| format!("cannot create {}", directory.display()))?;
    }
    Ok(())
}

/// The password of `tenantry admin …`: from stdin or the environment, never a flag.
fn given_password(
    args: &CreateOperatorArgs,
    env_password: Option<SecretString>,
) -> anyhow::Result<SecretString> {
    if args.password_stdin {
        read_password_line()
    } else if let Some(password) = env_password {
        Ok(password)
    } else {
        bail!(
            "give the password on standard input with --password-stdin, or in TENANTRY_ADMIN_PASSWORD"
        );
    }
}

/// Runs `change` on the operator named by `args` with the given password, over the
/// configured database, as the system actor; prints `done` on success.
fn on_operator(
    config: &ServerConfig,
    args: &CreateOperatorArgs,
    env_password: Option<SecretString>,
    change: fn(&tenantry_store::Database, &RequestContext, &str, &str) -> anyhow::Result<()>,
    done: &str,
) -> anyhow::Result<()> {
    let password = given_password(args, env_password)?;
    let database = tenantry_store::Database::connect(
        &config.database_url,
        tenantry_store::PoolOptions::one_shot(),
    )?;
    let context = RequestContext::system(SystemClock.now());
    change(
        &database,
        &context,
        &args.username,
        password.expose_secret(),
    )?;
    println!("{done} {}", args.username);
    Ok(())
}

fn set_operator_password(
    config: &ServerConfig,
    args: &CreateOperatorArgs,
    env_password: Option<SecretString>,
) -> anyhow::Result<()> {
    let done = "changed the password of operator";
    on_operator(config, args, env_password, operators::set_password, done)
}

fn create_operator(
    config: &ServerConfig,
    args: &CreateOperatorArgs,
    env_password: Option<SecretString>,
) -> anyhow::Result<()> {
    let done = "created operator";
    on_operator(config, args, env_password, operators::create_operator, done)
}

fn read_password_line() -> anyhow::Result<SecretString> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password: ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let line = SecretString::from(line);
    let password = line.expose_secret().trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password.into())
}
