//! actix-web adapters for tenantry, in three layers:
//!
//! - [`core`]: the server, state, the [`Storage`] port, errors, bodies, auth, metrics;
//! - `shared`: what several dialects use (audited changes, JSON views);
//! - `dialects`: the canonical admin API, Open edX, hosting panel, Tahoe, link pages.
//!
//! A dialect imports `core` and `shared`, never another dialect; `core` imports neither
//! (`tests/layering.rs` enforces it). [`Application`] binds a listener (port 0 in tests),
//! builds every route and runs the server; [`Storage`] is what the HTTP layer needs from
//! storage, supplied by the binary. Errors reach clients only through [`ApiError`], whose
//! bodies never carry internals.

mod core;
mod dialects;
mod shared;

use std::sync::Arc;

pub use crate::core::auth::{MIN_SECRET_LEN, TrustedProxies, TrustedProxiesError};
pub use crate::core::error::{ApiError, Problem};
pub use crate::core::limits::{ManualClock, MonotonicClock, SystemMonotonicClock};
pub use crate::core::request_id::{REQUEST_ID_HEADER, RequestId};
pub use crate::core::server::{Application, HttpSettings};
pub use crate::core::state::ApiConfig;
pub use crate::core::storage::{PoolUsage, Session, Storage};

impl Application {
    /// Binds `settings.bind` and prepares the server over `storage`, configured by
    /// `config`, with every dialect's routes.
    pub fn build(
        settings: &HttpSettings,
        storage: Arc<dyn Storage>,
        config: ApiConfig,
    ) -> std::io::Result<Self> {
        Self::with_routes(settings, storage, config, dialects::configure)
    }
}
