//! User registration rules for tenantry.
//!
//! Everything a registration endpoint must decide before it touches a database, and
//! nothing more (no database, web framework or async runtime):
//!
//! - parsed value types for the fields of a Tahoe registration: [`Username`], [`Email`]
//!   (compared case-insensitively), [`FullName`], [`Password`] (checked against a tenant's
//!   [`PasswordPolicy`](tenantry_tenant::PasswordPolicy), or generated to satisfy it) and
//!   [`SendActivationEmail`];
//! - the activation decision ([`decide`]): is the new user active, and which email
//!   ([`OutgoingEmail`]) goes out;
//! - password hashing behind a port ([`PasswordHasher`]), implemented with argon2id
//!   ([`Argon2idHasher`]), with [`Argon2idHasher::verify_dummy`] to keep "no such user" as
//!   slow as "wrong password";
//! - random link tokens ([`SecretToken`]) and the digests the store keeps
//!   ([`TokenDigest`]).
//!
//! Nothing here reads the clock; rules that depend on time take it as a parameter. With
//! the `testing` feature, `testing::InMemorySession` holds every port in memory, for
//! tests.
//!
//! ```
//! use tenantry_registration::{decide, Email, OutgoingEmail, SendActivationEmail, Username};
//!
//! let username = Username::parse("ada_lovelace")?;
//! let email = Email::parse("Ada@Example.org")?;
//! assert_eq!(username.as_str(), "ada_lovelace");
//! assert_eq!(email.normalized(), "ada@example.org");
//!
//! // A registration with a password and `"send_activation_email": "False"`:
//! let send = SendActivationEmail::parse("False")?;
//! let decision = decide(true, send.value());
//! assert!(decision.active);
//! assert_eq!(decision.email, None);
//!
//! // Without a password the user waits for a password-reset email, whatever the flag says.
//! let decision = decide(false, send.value());
//! assert!(!decision.active);
//! assert_eq!(decision.email, Some(OutgoingEmail::PasswordReset));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod access;
pub mod activation;
pub mod email;
pub mod error;
pub mod full_name;
pub mod hashing;
pub mod impersonation;
pub mod password;
pub mod registration;
pub mod tenant_admin;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod token;
pub mod username;
pub mod users;

pub use access::{
    AccessError, AccessRepository, ApiToken, IssuedToken, NewApiToken, OperatorAccount,
    RequestRate, RequestSlot, TokenFilter, TokenScope, issue_token, revoke_token, throttle,
};
pub use activation::{
    ActivationDecision, OutgoingEmail, SendActivationEmail, SendActivationEmailError, decide,
};
pub use email::{Email, EmailError};
pub use error::RandomnessError;
pub use full_name::{FullName, FullNameError};
pub use hashing::{Argon2idHasher, HashError, HashMemory, PasswordHash, PasswordHasher};
pub use impersonation::{
    IMPERSONATION_LIFETIME, ImpersonationError, ImpersonationRepository, ImpersonationState,
    NewImpersonation, issue_impersonation, redeem_impersonation,
};
pub use password::{Password, PasswordError, PasswordGenerationError, PasswordViolation};
pub use registration::{
    GenerationError, LinkError, PreparedRegistration, Registered, RegistrationError,
    RegistrationForm, activate, check_available, check_password_reset, complete_password_reset,
    ensure_open, prepare_registration, record_registration,
};
pub use tenant_admin::{
    ADMIN_USERNAME, TenantAdminError, generate_admin_password, record_tenant_admin,
};
pub use token::{SecretToken, TokenDigest, TokenError, constant_time_eq};
pub use username::{Username, UsernameError};
pub use users::{
    Claim, LinkPurpose, LinkState, NewEmail, NewLink, NewUser, Outbox, QueuedEmail, Taken, User,
    UserQuery, UserRepository,
};
