//! The wire formats tenantry speaks, each a thin adapter over [`crate::core`] and
//! [`crate::shared`] with its own error shape. A dialect never imports another.
//!
//! - `admin`: the canonical API (`/api/v1/…`, `/oauth/token`, `/openapi.json`).
//! - `openedx`: the Open edX tenant API (seed 000).
//! - `hosting`: the hosting panel's tenant API (seed 002).
//! - `tahoe`: Tahoe user registration v1/v2 (seeds 001 and 004).
//! - `links`: the activation and password-reset pages emailed to users.

pub mod admin;
pub mod hosting;
pub mod links;
pub mod openedx;
pub mod tahoe;

use actix_web::web;

/// Registers every dialect's routes.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .configure(admin::configure)
        .configure(tahoe::configure)
        .configure(openedx::configure)
        .configure(links::configure)
        .configure(hosting::configure);
}
