//! Liveness and readiness probes.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::core::error::ApiError;
use crate::core::storage::Storage;

/// `GET /health`: the process is up and serving.
pub(crate) async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /ready`: the database answers (200), or not (503).
pub(crate) async fn ready(backend: web::Data<Arc<dyn Storage>>) -> Result<HttpResponse, ApiError> {
    let backend = Arc::clone(backend.get_ref());
    web::block(move || backend.ping()).await??;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
