//! Liveness and readiness probes.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::core::error::ApiError;
use crate::core::state::AppState;
use crate::core::storage::Storage;

/// `GET /health`: the process is up and serving.
pub(crate) async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// How long `/ready` waits for the database before answering 503.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadyTimeout(pub Duration);

/// How long after a failed write `/ready` keeps answering 503 (unless a write succeeds
/// meanwhile): SQLite with a full disk still reads, so a ping alone would say ready.
pub(crate) const WRITE_FAILURE_WINDOW: Duration = Duration::from_secs(10);

/// `GET /ready`: the database answers within the ready timeout and no write failed for
/// want of it lately (200), or not (503).
pub(crate) async fn ready(
    backend: web::Data<Arc<dyn Storage>>,
    state: web::Data<AppState>,
    timeout: web::Data<ReadyTimeout>,
) -> Result<HttpResponse, ApiError> {
    if state.writes_failing(WRITE_FAILURE_WINDOW) {
        return Err(ApiError::Unavailable(
            "a write failed for want of the database in the last 10 s".into(),
        ));
    }
    let backend = Arc::clone(backend.get_ref());
    match actix_web::rt::time::timeout(timeout.0, web::block(move || backend.ping())).await {
        Ok(answered) => answered??,
        Err(_) => {
            return Err(ApiError::Unavailable(format!(
                "the database did not answer /ready within {} ms",
                timeout.0.as_millis()
            )));
        }
    }
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
