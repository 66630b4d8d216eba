//! Building blocks of admin API authentication: pure, synchronous, and free of actix
//! types, I/O and clock reads (every "now" is a parameter).
//!
//! - [`Presented`]: the credential an `Authorization` header carries.
//! - [`VerifiedPasswords`]: operator passwords that recently passed argon2.
//! - [`JwtKeys`]: issues and verifies HS256 session tokens.
//! - [`LoginLimiter`]: token-bucket limit on failed logins per client address.
#![allow(dead_code, unused_imports, reason = "wired by the admin API handlers")]

pub mod caller;
mod header;
mod jwt;
mod login_limiter;
mod password_cache;

pub use header::{MAX_AUTHORIZATION_LEN, Presented};
pub use jwt::{
    CLOCK_LEEWAY_SECS, Claims, ISSUER, IssueError, JwtError, JwtKeys, MIN_SECRET_LEN,
    SecretTooShort,
};
pub use login_limiter::{LoginLimiter, LoginLimiterConfig, RetryAfter};
pub use password_cache::VerifiedPasswords;
