//! `GET /metrics`: request metrics plus gauges read at scrape time.

use actix_web::{HttpResponse, web};

use crate::core::error::ApiError;
use crate::core::metrics::{CONTENT_TYPE, Gauge};
use crate::core::state::AppState;

/// `GET /metrics` in Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let backend = state.backend.clone();
    let eox_sync_enabled = state.eox_sync_enabled;
    let (tenants, failed_emails, eox_sync) = web::block(move || {
        let mut counts = (None, None, None);
        backend.read(&mut |session| {
            counts = (
                session.count_live().ok(),
                session.failed_email_count().ok(),
                eox_sync_enabled
                    .then(|| session.eox_sync_summary().ok())
                    .flatten(),
            );
        })?;
        Ok::<_, ApiError>(counts)
    })
    .await??;
    let pool = state.backend.pool_usage();
    let mut gauges = vec![
        Gauge::new(
            "tenantry_db_pool_connections",
            "Connections the database pool holds open",
            f64::from(pool.connections),
        ),
        Gauge::new(
            "tenantry_db_pool_idle_connections",
            "Open pool connections not in use",
            f64::from(pool.idle),
        ),
        Gauge::new(
            "tenantry_db_pool_max_connections",
            "The most connections the pool opens",
            f64::from(pool.max),
        ),
    ];
    if let Some(tenants) = tenants {
        gauges.push(Gauge::new(
            "tenantry_tenants",
            "Tenants in every status but deleted",
            tenants as f64,
        ));
    }
    if let Some(failed) = failed_emails {
        gauges.push(Gauge::new(
            "tenantry_emails_failed",
            "Emails given up after repeated permanent refusals by the mail server",
            failed as f64,
        ));
    }
    if let Some(sync) = eox_sync {
        let lag = sync.oldest_pending.map_or(0.0, |oldest| {
            (state.clock.now() - oldest).num_milliseconds().max(0) as f64 / 1000.0
        });
        gauges.extend([
            Gauge::new(
                "tenantry_eox_sync_pending",
                "Tenants with changes not yet in the Open edX database",
                sync.pending as f64,
            ),
            Gauge::new(
                "tenantry_eox_sync_failing",
                "Tenants whose latest eox-tenant sync attempt failed",
                sync.failing as f64,
            ),
            Gauge::new(
                "tenantry_eox_sync_lag_seconds",
                "Age of the oldest change not yet in the Open edX database (0 when in sync)",
                lag,
            ),
        ]);
    }
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(state.metrics.render(&gauges)))
}
