//! actix-web adapters for tenantry.
//!
//! [`Application`] binds a listener (port 0 in tests), builds every route and runs the
//! server; [`Backend`] is what the HTTP layer needs from storage, supplied by the binary.
//! Errors reach clients only through [`ApiError`], whose bodies never carry internals.

mod app;
mod backend;
mod error;
mod health;
mod request_id;

pub use app::{Application, HttpSettings};
pub use backend::Backend;
pub use error::ApiError;
pub use request_id::{REQUEST_ID_HEADER, RequestId};
