//! The application builder: binds the listener, wires routes and middleware, runs.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Condition, Logger, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::core::body::{BodyDeadline, MAX_BODY_BYTES};
use crate::core::connections::ClientConnections;
use crate::core::error::ApiError;
use crate::core::hashing::HashPool;
use crate::core::routing::Resource;
use crate::core::state::{ApiConfig, AppState};
use crate::core::storage::Storage;
use crate::core::{metrics, probes, request_id};

/// How the HTTP server runs.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: SocketAddr,
    /// Worker threads; `None` means one per CPU.
    pub workers: Option<usize>,
    /// How long a graceful shutdown waits for in-flight requests.
    pub shutdown_timeout: Duration,
    /// How long a client may take to send a request's head, and separately its body,
    /// before the connection is answered 408 and closed.
    pub read_timeout: Duration,
    /// The most connections open at once, over all workers; more wait in the backlog.
    pub max_connections: usize,
    /// The most connections one client address may hold at once; more are answered 429
    /// and closed (trusted proxies are not limited).
    pub max_connections_per_client: usize,
    /// The longest a request waits for the database before 503 (also `/ready`'s bound
    /// when shorter than [`READY_TIMEOUT`]).
    pub database_timeout: Duration,
    /// Threads that hash and verify passwords; `None` means one per CPU.
    pub hash_threads: Option<usize>,
    /// Hashing jobs that may wait for a thread; more are answered 503.
    pub hash_queue: usize,
}

/// The longest `/ready` waits for the database.
pub const READY_TIMEOUT: Duration = Duration::from_millis(1500);

impl HttpSettings {
    /// Settings for `bind` with defaults for the rest.
    pub fn new(bind: SocketAddr) -> Self {
        Self {
            bind,
            workers: None,
            shutdown_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            max_connections_per_client: 256,
            database_timeout: Duration::from_secs(4),
            hash_threads: None,
            hash_queue: 64,
        }
    }

    /// Worker threads: as configured, else one per CPU.
    pub fn workers(&self) -> usize {
        self.workers.unwrap_or_else(cpus).max(1)
    }

    /// Hashing threads: as configured, else one per CPU.
    pub fn hash_threads(&self) -> usize {
        self.hash_threads.unwrap_or_else(cpus).max(1)
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// A bound, ready-to-run server. Build it, read [`Application::port`], then
/// [`Application::run_until_stopped`]. SIGINT and SIGTERM stop it gracefully: it stops
/// accepting connections and lets in-flight requests finish (up to the shutdown timeout).
pub struct Application {
    port: u16,
    server: Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Binds `settings.bind` and prepares the server over `backend`, configured by
    /// `config`, serving the probes and metrics plus what `dialects` registers.
    pub(crate) fn with_routes(
        settings: &HttpSettings,
        backend: Arc<dyn Storage>,
        config: ApiConfig,
        dialects: fn(&mut web::ServiceConfig),
    ) -> std::io::Result<Self> {
        let hashing = HashPool::start(settings.hash_threads(), settings.hash_queue)?;
        let state = AppState::new(
            Arc::clone(&backend),
            config,
            hashing,
            settings.database_timeout,
        )
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
        let connections = ClientConnections::new(
            settings.max_connections_per_client,
            state.trusted_proxies.clone(),
        );
        let listener = TcpListener::bind(settings.bind)?;
        let port = listener.local_addr()?.port();
        let backend = web::Data::new(backend);
        let metrics = web::Data::from(Arc::clone(&state.metrics));
        let state = web::Data::new(state);
        let deadline = web::Data::new(BodyDeadline(settings.read_timeout));
        let ready_timeout = web::Data::new(probes::ReadyTimeout(
            READY_TIMEOUT.min(settings.database_timeout),
        ));
        let workers = settings.workers();
        let access_log =
            log::log_enabled!(target: "actix_web::middleware::logger", log::Level::Info);
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(metrics::record))
                .wrap(from_fn(request_id::attach))
                // The access log renders each request's line as it arrives, whether or not
                // it is logged: left out when its level is off (1.5% of a `/health`).
                .wrap(Condition::new(
                    access_log,
                    Logger::new(r#"%a "%r" %s %b %Dms request_id=%{x-request-id}o"#),
                ))
                .app_data(backend.clone())
                .app_data(state.clone())
                .app_data(metrics.clone())
                .app_data(deadline.clone())
                .app_data(ready_timeout.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .configure(routes)
                .configure(dialects)
                .default_service(web::to(not_found))
        })
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        // The binary decides what each signal does (SIGINT is graceful there, where actix
        // would stop at once); tests stop the server through its handle.
        .disable_signals()
        .workers(workers)
        // actix counts connections per worker.
        .max_connections(settings.max_connections.div_ceil(workers).max(1))
        .client_request_timeout(settings.read_timeout)
        .client_disconnect_timeout(Duration::from_secs(1))
        .on_connect(move |connection, extensions| connections.on_connect(connection, extensions));
        let server = server.listen(listener)?.run();
        Ok(Self { port, server })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere (tests, signal handlers).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .service(
            Resource::<ApiError>::new("/health")
                .get(probes::health)
                .build(),
        )
        .service(
            Resource::<ApiError>::new("/ready")
                .get(probes::ready)
                .build(),
        )
        .service(
            Resource::<ApiError>::new("/metrics")
                .get(metrics::endpoint::metrics)
                .build(),
        );
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
