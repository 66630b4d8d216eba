//! Tahoe user registration (API.md §2) and the emailed links that finish it.
//!
//! A registration endpoint runs, in order:
//!
//! 1. [`ensure_open`]: the tenant takes registrations;
//! 2. [`check_available`]: the username and email are free (the 409 comes before any
//!    field validation);
//! 3. [`prepare_registration`]: every field parses, the activation is decided, and a
//!    password is generated when none was given;
//! 4. hashing [`PreparedRegistration::password`] (slow: on a blocking pool);
//! 5. [`record_registration`], in one transaction: the user, the link, the outbox email
//!    and the audit event.
//!
//! The links are followed with [`activate`] and, for a password reset, with
//! [`check_password_reset`] (find the policy), parsing and hashing the new password, then
//! [`complete_password_reset`].

mod error;
mod links;
mod message;
mod prepare;
mod record;
#[cfg(test)]
mod tests;

pub use error::{GenerationError, RegistrationError};
pub use links::{LinkError, activate, check_password_reset, complete_password_reset};
pub use prepare::{
    PreparedRegistration, RegistrationForm, check_available, ensure_open, prepare_registration,
};
pub use record::{Registered, record_registration};
