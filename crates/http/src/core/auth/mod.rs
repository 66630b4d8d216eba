//! Authentication: the pure building blocks (synchronous, free of actix types, I/O and
//! clock reads — every "now" is a parameter) and the extractors that use them.
//!
//! - [`Presented`]: the credential an `Authorization` header carries.
//! - [`VerifiedPasswords`]: operator passwords that recently passed argon2.
//! - [`JwtKeys`]: issues and verifies HS256 session tokens.
//! - [`LoginLimiter`]: password guesses per (account, source) and per source.
//! - [`TrustedProxies`]: whose forwarding headers name the client.
//! - [`Recent`]: tokens and operator accounts as read within the last second.
//! - [`caller`]: who is calling, as actix extractors and helpers.

pub mod caller;
mod client_address;
mod header;
mod jwt;
mod login_limiter;
mod password_cache;
mod recent;

pub use client_address::{TrustedProxies, TrustedProxiesError};
pub use header::Presented;
pub use jwt::{JwtKeys, MIN_SECRET_LEN};
pub use login_limiter::LoginLimiter;
pub use password_cache::VerifiedPasswords;
pub use recent::Recent;
