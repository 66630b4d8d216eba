//! Why a registration did not happen.

use tenantry_tenant::{RepositoryError, Status};
use thiserror::Error;

use crate::{PasswordGenerationError, TokenError, users::Taken};

/// Why a registration was refused or failed. Each variant maps to one answer of the
/// Tahoe registration API (API.md §2).
#[derive(Debug, Error)]
pub enum RegistrationError {
    /// The username, the email or both are already registered with the tenant: HTTP 409.
    /// At least one flag is set.
    #[error("{}", taken_message(*.0))]
    Taken(Taken),
    /// A field is missing or breaks its rule: HTTP 400 with the message
    /// `Invalid parameters on user creation[: <field>]`. `field` is `username`, `email`,
    /// `name` or `password` (the first offending one, in that order), or `None` when the
    /// form is unusable as a whole.
    #[error("Invalid parameters on user creation{}", field_suffix(*field))]
    Invalid {
        /// The first field found missing or invalid.
        field: Option<&'static str>,
    },
    /// `send_activation_email` is neither `true` nor `false` (any letter case): HTTP 400
    /// with the message `<v> is not a valid value for "send_activation_email"`. Holds the
    /// raw value.
    #[error("{0} is not a valid value for \"send_activation_email\"")]
    ActivationFlag(String),
    /// The tenant is not active (suspended, cancelled or deleted) and refuses
    /// registrations.
    #[error("the tenant is {0} and refuses registrations")]
    TenantClosed(Status),
    /// Storage failed (a conflict of `insert_user` is reported as [`Self::Taken`]).
    #[error(transparent)]
    Repository(#[from] RepositoryError),
    /// A password or link secret could not be generated. An internal fault (HTTP 500),
    /// never the client's.
    #[error("could not generate a secret: {0}")]
    Randomness(#[source] GenerationError),
}

/// Why a secret could not be generated: the operating system's random number generator
/// failed, or (a misconfiguration) the tenant's stored password policy admits no
/// generated password.
#[derive(Debug, Error)]
pub enum GenerationError {
    /// Generating the link secret failed.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Generating a password for a registration without one failed.
    #[error(transparent)]
    Password(#[from] PasswordGenerationError),
}

impl From<TokenError> for RegistrationError {
    fn from(error: TokenError) -> Self {
        RegistrationError::Randomness(error.into())
    }
}

impl From<PasswordGenerationError> for RegistrationError {
    fn from(error: PasswordGenerationError) -> Self {
        RegistrationError::Randomness(error.into())
    }
}

impl RegistrationError {
    /// A field missing or breaking its rule.
    pub(crate) fn invalid(field: &'static str) -> Self {
        RegistrationError::Invalid { field: Some(field) }
    }
}

fn taken_message(taken: Taken) -> &'static str {
    match (taken.username, taken.email) {
        (true, true) => "Both email and username already exist",
        (false, true) => "Email already exists",
        _ => "Username already exists",
    }
}

fn field_suffix(field: Option<&'static str>) -> String {
    field.map(|field| format!(": {field}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_the_tahoe_ones() {
        let table = [
            (
                RegistrationError::Invalid { field: None },
                "Invalid parameters on user creation",
            ),
            (
                RegistrationError::invalid("email"),
                "Invalid parameters on user creation: email",
            ),
            (
                RegistrationError::ActivationFlag("yes".into()),
                "yes is not a valid value for \"send_activation_email\"",
            ),
            (
                RegistrationError::Taken(Taken {
                    username: true,
                    email: false,
                }),
                "Username already exists",
            ),
            (
                RegistrationError::Taken(Taken {
                    username: false,
                    email: true,
                }),
                "Email already exists",
            ),
            (
                RegistrationError::Taken(Taken {
                    username: true,
                    email: true,
                }),
                "Both email and username already exist",
            ),
            (
                RegistrationError::TenantClosed(Status::Suspended),
                "the tenant is suspended and refuses registrations",
            ),
        ];
        for (error, message) in table {
            assert_eq!(error.to_string(), message);
        }
    }
}
