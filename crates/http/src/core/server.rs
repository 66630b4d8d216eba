//! The application builder: binds the listener, wires routes and middleware, runs.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Logger, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::core::body::MAX_BODY_BYTES;
use crate::core::error::ApiError;
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
}

impl HttpSettings {
    /// Settings for `bind` with defaults for the rest.
    pub fn new(bind: SocketAddr) -> Self {
        Self {
            bind,
            workers: None,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
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
        let state = AppState::new(Arc::clone(&backend), config)
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
        let listener = TcpListener::bind(settings.bind)?;
        let port = listener.local_addr()?.port();
        let backend = web::Data::new(backend);
        let metrics = web::Data::from(Arc::clone(&state.metrics));
        let state = web::Data::new(state);
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(metrics::record))
                .wrap(from_fn(request_id::attach))
                .wrap(Logger::new(
                    r#"%a "%r" %s %b %Dms request_id=%{x-request-id}o"#,
                ))
                .app_data(backend.clone())
                .app_data(state.clone())
                .app_data(metrics.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .configure(routes)
                .configure(dialects)
                .default_service(web::to(not_found))
        })
        .shutdown_timeout(settings.shutdown_timeout.as_secs());
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
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

fn routes(config: &mut web::ServiceConfig) {
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
