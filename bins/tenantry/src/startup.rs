//! Wiring: connect the store (migrating it), make sure an operator exists, settle the JWT
//! signing key, build the app, start the outbox delivery worker.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::rt::task::spawn_blocking;
use anyhow::Context;
use secrecy::ExposeSecret as _;
use tenantry_http::{ApiConfig, Application, PoolUsage, Session, Storage};
use tenantry_registration::{AccessRepository, SecretToken};
use tenantry_store::{Database, PoolOptions, StoreError, TenantStore};
use tenantry_tenant::{Clock, DatabaseProvisioner, RepositoryError, RequestContext, SystemClock};

use crate::config::ServerConfig;
use crate::delivery::{Delivery, DeliveryStore, DeliveryWorker, OutboxSource};
use crate::eox_sync::{EoxSync, start_worker};
use crate::mailer::{LogMailer, Mailer, SmtpMailer};
use crate::operators::ensure_first_operator;
use crate::webhooks::{WebhookDelivery, start_worker as start_webhook_worker};
use crate::worker::Worker;

/// How long a JWT from `/oauth/token` is valid.
pub const JWT_LIFETIME: Duration = Duration::from_secs(3600);
/// How long a verified Basic credential pair is remembered.
pub const PASSWORD_CACHE_TTL: Duration = Duration::from_secs(300);
/// The longest a node serves a host resolution after another node changed it.
pub const RESOLVE_STALENESS: Duration = Duration::from_secs(1);
/// Failed password checks of one account from one address in a burst (an address gets
/// five times as many over all accounts).
pub const LOGIN_BURST: u32 = 10;
/// Registrations one token may make a minute.
/// Registrations one API token may make a minute (the Tahoe API's limit).
pub const REGISTRATIONS_PER_MINUTE: u32 = 60;

/// The store as the HTTP layer's [`Storage`].
#[derive(Debug, Clone)]
pub struct StoreBackend {
    database: Database,
    max_connections: u32,
}

/// Why a transaction ended without committing.
enum Abort {
    /// The work asked for a rollback; not an error.
    Rollback,
    /// Storage failed.
    Store(StoreError),
}

impl From<diesel::result::Error> for Abort {
    fn from(error: diesel::result::Error) -> Self {
        Abort::Store(error.into())
    }
}

impl Storage for StoreBackend {
    fn ping(&self) -> Result<(), RepositoryError> {
        self.database.ping().map_err(Into::into)
    }

    fn transaction(
        &self,
        work: &mut dyn FnMut(&mut dyn Session) -> bool,
    ) -> Result<(), RepositoryError> {
        let mut conn = self.database.conn()?;
        let outcome = conn.write_transaction::<_, Abort, _>(|conn| {
            let mut store = TenantStore::new(conn);
            if work(&mut store) {
                Ok(())
            } else {
                Err(Abort::Rollback)
            }
        });
        match outcome {
            Ok(()) | Err(Abort::Rollback) => Ok(()),
            Err(Abort::Store(error)) => Err(error.into()),
        }
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn Session)) -> Result<(), RepositoryError> {
        let mut conn = self.database.conn()?;
        let mut store = TenantStore::new(&mut *conn);
        work(&mut store);
        Ok(())
    }

    fn pool_usage(&self) -> PoolUsage {
        let state = self.database.pool_state();
        PoolUsage {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.max_connections,
        }
    }
}

/// The configured JWT key, or the one this deployment keeps in its database (stored by
/// whichever node asked first).
fn jwt_secret(config: &ServerConfig, database: &Database) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.expose_secret().as_bytes().to_vec());
    }
    let candidate = SecretToken::generate().context("could not generate a JWT key")?;
    let mut conn = database.conn()?;
    let key = conn.write_transaction::<_, StoreError, _>(|conn| {
        TenantStore::new(conn)
            .signing_key(candidate.expose().as_bytes())
            .map_err(StoreError::from)
    })?;
    Ok(key)
}

/// The outbox in the store, one pooled connection per operation (each its own
/// transaction).
#[derive(Debug, Clone)]
pub struct StoreOutbox {
    database: Database,
}

impl StoreOutbox {
    /// The outbox of `database`.
    pub fn new(database: Database) -> Self {
        Self { database }
    }
}

impl OutboxSource for StoreOutbox {
    fn with_outbox<T>(
        &self,
        work: impl FnOnce(&mut dyn DeliveryStore) -> Result<T, RepositoryError>,
    ) -> Result<T, RepositoryError> {
        let mut conn = self.database.conn()?;
        // A deferred transaction: the poll's read takes no write lock (on SQLite, `BEGIN
        // IMMEDIATE` every poll would queue behind and ahead of HTTP writers), and each
        // write path starts with its write.
        Ok(diesel::Connection::transaction::<_, StoreError, _>(
            &mut *conn,
            |conn| work(&mut TenantStore::new(conn)).map_err(StoreError::from),
        )?)
    }
}

/// The mailer the configuration asks for: SMTP when `smtp_url` is set, else the log.
pub fn mailer(config: &ServerConfig) -> anyhow::Result<Arc<dyn Mailer>> {
    match &config.smtp_url {
        Some(url) => {
            let mailer = SmtpMailer::new(url, config.mail_from.clone())
                .with_context(|| format!("cannot set up the SMTP client for {url}"))?;
            Ok(Arc::new(mailer))
        }
        None => Ok(Arc::new(LogMailer)),
    }
}

/// A bound server and the outbox delivery worker that runs beside it.
#[derive(Debug)]
pub struct Server {
    http: Application,
    workers: Workers,
}

/// The server's background threads.
#[derive(Debug, Default)]
pub struct Workers {
    /// The outbox delivery, unless `deliver_emails` is off.
    pub delivery: Option<DeliveryWorker>,
    /// The eox-tenant sync, when `TENANTRY_EOX_DATABASE_URL` is set.
    pub eox_sync: Option<Worker>,
    /// The webhook deliveries.
    pub webhooks: Option<Worker>,
}

impl Workers {
    /// Signals every worker and waits until each has stopped: call it off async worker
    /// threads.
    pub fn stop(self) {
        if let Some(worker) = self.eox_sync {
            worker.stop();
        }
        if let Some(worker) = self.webhooks {
            worker.stop();
        }
        if let Some(worker) = self.delivery {
            worker.stop();
        }
    }
}

impl Server {
    /// The port the HTTP server listens on.
    pub fn port(&self) -> u16 {
        self.http.port()
    }

    /// A handle to stop the HTTP server; [`Server::run_until_stopped`] then stops the
    /// worker.
    pub fn handle(&self) -> ServerHandle {
        self.http.handle()
    }

    /// Serves until the HTTP server stops (a signal or [`ServerHandle::stop`]), then stops
    /// the delivery worker and waits for it.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Server { http, workers } = self;
        let served = http.run_until_stopped().await;
        spawn_blocking(move || workers.stop()).await?;
        Ok(served?)
    }

    /// The HTTP application and the worker, for a caller (the test harness) that stops
    /// each itself.
    pub fn into_parts(self) -> (Application, Workers) {
        (self.http, self.workers)
    }
}

/// Connects to the database (applying migrations), creates the first operator if there is
/// none, binds the server and starts the outbox delivery worker (unless
/// `config.deliver_emails` is off). Blocking steps run off the async runtime.
pub async fn build(config: ServerConfig) -> anyhow::Result<Server> {
    let mailer = mailer(&config)?;
    let url = config.database_url.clone();
    let options = PoolOptions {
        statement_timeout: Some(config.http.database_timeout),
        max_size: config.database_pool_size,
        ..PoolOptions::default()
    };
    let max_connections = options.max_size;
    let database = spawn_blocking(move || Database::connect(&url, options))
        .await?
        .with_context(|| {
            format!(
                "cannot open the database {}",
                config.database_url.redacted()
            )
        })?;
    let first_operator = config.first_operator.clone();
    let bootstrap_database = database.clone();
    let bootstrap_config = config.clone();
    let secret = spawn_blocking(move || {
        let context = RequestContext::system(SystemClock.now());
        ensure_first_operator(&bootstrap_database, &context, &first_operator)?;
        jwt_secret(&bootstrap_config, &bootstrap_database)
    })
    .await??;
    let provisioner: Arc<dyn DatabaseProvisioner> = Arc::from(tenantry_store::provisioner_with(
        &config.database_url,
        config.tenant_database_namespace.as_deref(),
        config.tenant_db_connection_limit,
    ));
    reconcile_provisioning(&database, &provisioner).await;
    check_provisioning(&provisioner).await;
    let outbox = StoreOutbox::new(database.clone());
    let eox_database = database.clone();
    let webhook_database = database.clone();
    let backend: Arc<dyn Storage> = Arc::new(StoreBackend {
        database,
        max_connections,
    });
    let api = ApiConfig {
        urls: config.urls.clone(),
        jwt_secret: secret.into(),
        jwt_lifetime: JWT_LIFETIME,
        password_cache_ttl: PASSWORD_CACHE_TTL,
        resolve_staleness: RESOLVE_STALENESS,
        credential_staleness: config.credential_staleness,
        login_burst: LOGIN_BURST,
        trusted_proxies: config.trusted_proxies.clone(),
        registrations_per_minute: REGISTRATIONS_PER_MINUTE,
        public_url: config.public_url.clone(),
        provisioner: Arc::clone(&provisioner),
        clock: Arc::new(SystemClock),
        monotonic_clock: Arc::clone(&config.monotonic_clock),
        eox_sync_enabled: config.eox_database_url.is_some(),
        webhooks_allow_private: config.webhooks_allow_private,
    };
    let http = Application::build(&config.http, backend, api)
        .with_context(|| format!("cannot listen on {}", config.http.bind))?;
    let eox_sync = match &config.eox_database_url {
        Some(url) => {
            let sync = EoxSync::new(
                eox_database,
                url,
                config.urls.clone(),
                Arc::new(SystemClock),
            )
            .with_context(|| format!("cannot set up the eox-tenant sync to {url}"))?;
            log::info!("keeping the eox-tenant tables of {url} in sync");
            Some(
                start_worker(sync, config.eox_poll_interval)
                    .context("cannot start the eox-tenant sync thread")?,
            )
        }
        None => None,
    };
    let webhooks = WebhookDelivery::new(
        webhook_database,
        Arc::new(SystemClock),
        config.webhooks_allow_private,
        config.webhook_retries.clone(),
    );
    let webhooks = Some(
        start_webhook_worker(webhooks, config.webhook_poll_interval)
            .context("cannot start the webhook delivery thread")?,
    );
    let worker = if config.deliver_emails {
        let delivery = Delivery::new(outbox, mailer, Arc::new(SystemClock));
        let worker = DeliveryWorker::start(delivery, config.mail_poll_interval)
            .context("cannot start the outbox delivery thread")?;
        Some(worker)
    } else {
        None
    };
    Ok(Server {
        http,
        workers: Workers {
            delivery: worker,
            eox_sync,
            webhooks,
        },
    })
}

/// Drops the tenant databases that creates interrupted by a crash left behind (their
/// provisioning intents without a tenant). A failure is logged, never fatal: the intents
/// stay, and the next start-up or the next create of that tenant clears them.
/// Warns at start-up when tenant databases cannot be created (on PostgreSQL, a user
/// without CREATEDB or CREATEROLE): the server still starts, and each hosting-panel create
/// answers with the same message.
async fn check_provisioning(provisioner: &Arc<dyn DatabaseProvisioner>) {
    let provisioner = Arc::clone(provisioner);
    match spawn_blocking(move || provisioner.check()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => log::warn!("tenant databases cannot be created: {error}"),
        Err(error) => log::warn!("cannot check whether tenant databases can be created: {error}"),
    }
}

async fn reconcile_provisioning(database: &Database, provisioner: &Arc<dyn DatabaseProvisioner>) {
    let database = database.clone();
    let provisioner = Arc::clone(provisioner);
    let reconciled =
        spawn_blocking(move || tenantry_store::reconcile_intents(&database, provisioner.as_ref()))
            .await;
    match reconciled {
        Ok(Ok(dropped)) => {
            for name in dropped {
                log::warn!("dropped the tenant database {name} of a create interrupted by a crash");
            }
        }
        Ok(Err(error)) => log::error!("cannot clear interrupted tenant database creates: {error}"),
        Err(error) => log::error!("cannot clear interrupted tenant database creates: {error}"),
    }
}
