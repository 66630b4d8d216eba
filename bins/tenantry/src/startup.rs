//! Wiring: connect the store (migrating it), make sure an operator exists, build the app.

use std::sync::Arc;

use actix_web::rt::task::spawn_blocking;
use anyhow::Context;
use tenantry_http::{Application, Backend};
use tenantry_store::{Database, PoolOptions};
use tenantry_tenant::{Clock, RepositoryError, RequestContext, SystemClock};

use crate::operators::ensure_first_operator;
use crate::settings::Settings;

/// The store as the HTTP layer's [`Backend`].
#[derive(Debug, Clone)]
pub struct StoreBackend {
    database: Database,
}

impl Backend for StoreBackend {
    fn ping(&self) -> Result<(), RepositoryError> {
        self.database.ping().map_err(Into::into)
    }
}

/// Connects to the database (applying migrations), creates the first operator if there is
/// none, and binds the server. Blocking steps run off the async runtime.
pub async fn build(settings: Settings) -> anyhow::Result<Application> {
    let url = settings.database_url.clone();
    let database = spawn_blocking(move || Database::connect(&url, PoolOptions::default()))
        .await?
        .with_context(|| {
            format!(
                "cannot open the database {}",
                settings.database_url.redacted()
            )
        })?;
    let first_operator = settings.first_operator.clone();
    let bootstrap_database = database.clone();
    spawn_blocking(move || {
        let context = RequestContext::system(SystemClock.now());
        ensure_first_operator(&bootstrap_database, &context, &first_operator)
    })
    .await??;
    let backend: Arc<dyn Backend> = Arc::new(StoreBackend { database });
    let application = Application::build(&settings.http, backend)
        .with_context(|| format!("cannot listen on {}", settings.http.bind))?;
    Ok(application)
}
