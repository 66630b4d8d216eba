//! actix-web adapters for tenantry.
//!
//! [`Application`] binds a listener (port 0 in tests), builds every route and runs the
//! server; [`Backend`] is what the HTTP layer needs from storage, supplied by the binary.
//! Errors reach clients only through [`ApiError`], whose bodies never carry internals.

mod admin;
mod app;
mod auth;
mod backend;
mod body;
mod caller;
mod error;
mod health;
mod hosting;
mod lifecycle;
mod links;
mod metrics;
mod oauth;
mod openedx;
mod operations;
mod request_id;
mod resolve;
mod resolve_cache;
mod state;
mod tahoe;

pub use app::{Application, HttpSettings};
pub use auth::MIN_SECRET_LEN;
pub use backend::{Backend, PoolUsage, Session};
pub use error::{ApiError, Problem};
pub use request_id::{REQUEST_ID_HEADER, RequestId};
pub use state::ApiConfig;
