//! The store's error, and the one place backend errors are translated into it.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};
use tenantry_tenant::RepositoryError;

/// Why a store call failed.
///
/// Texts inside `Unavailable`, `Backend`, `InvalidUrl` and `Migration` are for logs; they
/// never contain a database password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write; `field` names it (`name`, `service_id`,
    /// `domain`, `username`, `email`, `token`, `idempotency_key`).
    #[error("{field} is already taken")]
    Conflict {
        /// The field whose value clashed.
        field: String,
    },
    /// The stored version differs from the one the change was based on.
    #[error("the row was changed by someone else (version {current})")]
    StaleVersion {
        /// The version now stored.
        current: i64,
    },
    /// The database cannot be reached or is busy; retrying later may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Any other database fault, including stored data that cannot be read back.
    #[error("database failure: {0}")]
    Backend(String),
    /// The database URL cannot be used.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// Applying or reverting migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
}

impl StoreError {
    /// A [`StoreError::Conflict`] on `field`.
    pub fn conflict(field: &str) -> Self {
        StoreError::Conflict {
            field: field.to_owned(),
        }
    }

    /// A [`StoreError::Backend`] for a stored value that cannot be read back.
    pub(crate) fn corrupt(column: &str, cause: impl std::fmt::Display) -> Self {
        StoreError::Backend(format!("stored {column} cannot be read: {cause}"))
    }
}

/// The constraints whose violation is a client-visible clash, and the field each names.
/// PostgreSQL reports the constraint (`tenants_name_key`), SQLite the column
/// (`UNIQUE constraint failed: tenants.name`).
const UNIQUE_FIELDS: [(&str, &str, &str); 8] = [
    ("tenants_name_key", "tenants.name", "name"),
    ("tenants_service_id_key", "tenants.service_id", "service_id"),
    ("domains_host_key", "domains.host", "domain"),
    ("operators_username_key", "operators.username", "username"),
    ("api_tokens_digest_key", "api_tokens.digest", "token"),
    (
        "idempotency_keys_actor_key_key",
        "idempotency_keys.actor, idempotency_keys.key",
        "idempotency_key",
    ),
    (
        "users_tenant_id_username_key",
        "users.tenant_id, users.username",
        "username",
    ),
    (
        "users_tenant_id_email_normalized_key",
        "users.tenant_id, users.email_normalized",
        "email",
    ),
];

/// Translates a diesel error into a [`StoreError`]; every backend error passes through
/// here.
///
/// - a uniqueness violation on a known constraint → `Conflict` naming the field (any
///   other uniqueness violation breaks an invariant of this crate → `Backend`);
/// - a foreign-key violation → `NotFound` (the row referred to is gone);
/// - a lost connection, a serialisation failure, a read-only transaction and SQLite's
///   "database is locked" → `Unavailable`;
/// - diesel's `NotFound` → `NotFound`; everything else → `Backend`.
pub fn map_diesel_error(error: DieselError) -> StoreError {
    match error {
        DieselError::NotFound => StoreError::NotFound,
        DieselError::DatabaseError(kind, info) => map_database_error(&kind, info.as_ref()),
        other => StoreError::Backend(other.to_string()),
    }
}

fn map_database_error(kind: &DatabaseErrorKind, info: &dyn DatabaseErrorInformation) -> StoreError {
    let message = info.message();
    match kind {
        DatabaseErrorKind::UniqueViolation => match unique_field(info.constraint_name(), message) {
            Some(field) => StoreError::conflict(field),
            None => StoreError::Backend(format!("unexpected uniqueness violation: {message}")),
        },
        DatabaseErrorKind::ForeignKeyViolation => StoreError::NotFound,
        DatabaseErrorKind::ClosedConnection
        | DatabaseErrorKind::UnableToSendCommand
        | DatabaseErrorKind::SerializationFailure
        | DatabaseErrorKind::ReadOnlyTransaction => StoreError::Unavailable(message.to_owned()),
        _ if is_sqlite_busy(message) || is_out_of_resources(message) => {
            StoreError::Unavailable(message.to_owned())
        }
        _ => StoreError::Backend(message.to_owned()),
    }
}

/// The field a uniqueness violation names, from PostgreSQL's constraint name or SQLite's
/// message.
fn unique_field(constraint: Option<&str>, message: &str) -> Option<&'static str> {
    let sqlite_columns = message.strip_prefix("UNIQUE constraint failed: ");
    UNIQUE_FIELDS
        .iter()
        .find_map(|&(pg_constraint, sqlite_column, field)| {
            let by_constraint = constraint == Some(pg_constraint);
            let by_column = sqlite_columns.is_some_and(|columns| columns.trim() == sqlite_column);
            (by_constraint || by_column).then_some(field)
        })
}

/// SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock past `busy_timeout`.
fn is_sqlite_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database table is locked")
}

/// The database cannot write for lack of room or a failing disk: SQLite's SQLITE_FULL
/// ("database or disk is full"), SQLITE_IOERR ("disk I/O error"), SQLITE_CANTOPEN, and
/// PostgreSQL's `statement_timeout` cancellation and its out-of-space and
/// too-many-connections refusals. Retrying later may work, so they are 503s, not 500s.
fn is_out_of_resources(message: &str) -> bool {
    [
        "database or disk is full",
        "disk I/O error",
        "unable to open database file",
        "canceling statement due to statement timeout",
        "could not extend file",
        "No space left on device",
        "too many clients already",
    ]
    .iter()
    .any(|known| message.contains(known))
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        map_diesel_error(error)
    }
}

impl From<r2d2::Error> for StoreError {
    /// The pool gave no connection within its timeout.
    fn from(error: r2d2::Error) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

impl From<StoreError> for RepositoryError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => RepositoryError::NotFound,
            StoreError::Conflict { field } => RepositoryError::Conflict { field },
            StoreError::StaleVersion { current } => RepositoryError::StaleVersion { current },
            StoreError::Unavailable(cause) => RepositoryError::Unavailable(cause),
            StoreError::Backend(cause) => RepositoryError::Backend(cause),
            other @ (StoreError::InvalidUrl(_) | StoreError::Migration(_)) => {
                RepositoryError::Backend(other.to_string())
            }
        }
    }
}

impl From<RepositoryError> for StoreError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::NotFound => StoreError::NotFound,
            RepositoryError::Conflict { field } => StoreError::Conflict { field },
            RepositoryError::StaleVersion { current } => StoreError::StaleVersion { current },
            RepositoryError::Unavailable(cause) => StoreError::Unavailable(cause),
            RepositoryError::Backend(cause) => StoreError::Backend(cause),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database error as a backend would report it.
    struct Info {
        message: &'static str,
        constraint: Option<&'static str>,
    }

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.message
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            self.constraint
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn database_error(
        kind: DatabaseErrorKind,
        message: &'static str,
        constraint: Option<&'static str>,
    ) -> StoreError {
        map_diesel_error(DieselError::DatabaseError(
            kind,
            Box::new(Info {
                message,
                constraint,
            }),
        ))
    }

    #[test]
    fn postgres_unique_violations_name_the_field_by_constraint() {
        let message = "duplicate key value violates unique constraint";
        for (constraint, field) in [
            ("tenants_name_key", "name"),
            ("tenants_service_id_key", "service_id"),
            ("domains_host_key", "domain"),
            ("operators_username_key", "username"),
            ("api_tokens_digest_key", "token"),
            ("idempotency_keys_actor_key_key", "idempotency_key"),
            ("users_tenant_id_username_key", "username"),
            ("users_tenant_id_email_normalized_key", "email"),
        ] {
            let error = database_error(
                DatabaseErrorKind::UniqueViolation,
                message,
                Some(constraint),
            );
            assert_eq!(error, StoreError::conflict(field), "{constraint}");
        }
    }

    #[test]
    fn sqlite_unique_violations_name_the_field_by_column() {
        for (column, field) in [
            ("tenants.name", "name"),
            ("tenants.service_id", "service_id"),
            ("domains.host", "domain"),
            ("operators.username", "username"),
            ("api_tokens.digest", "token"),
            (
                "idempotency_keys.actor, idempotency_keys.key",
                "idempotency_key",
            ),
            ("users.tenant_id, users.username", "username"),
            ("users.tenant_id, users.email_normalized", "email"),
        ] {
            let message: &'static str = format!("UNIQUE constraint failed: {column}").leak();
            let error = database_error(DatabaseErrorKind::UniqueViolation, message, None);
            assert_eq!(error, StoreError::conflict(field), "{column}");
        }
    }

    #[test]
    fn unknown_unique_violations_are_backend_faults() {
        let sqlite = database_error(
            DatabaseErrorKind::UniqueViolation,
            "UNIQUE constraint failed: domains.tenant_id",
            None,
        );
        assert!(matches!(sqlite, StoreError::Backend(_)), "{sqlite:?}");
        let postgres = database_error(
            DatabaseErrorKind::UniqueViolation,
            "duplicate key value violates unique constraint",
            Some("domains_one_primary_per_tenant"),
        );
        assert!(matches!(postgres, StoreError::Backend(_)), "{postgres:?}");
        // A link digest clashing is a bug (256 random bits), not a client's conflict.
        let digest = database_error(
            DatabaseErrorKind::UniqueViolation,
            "UNIQUE constraint failed: user_links.digest",
            None,
        );
        assert!(matches!(digest, StoreError::Backend(_)), "{digest:?}");
        // One column of a composite key is not the key.
        let partial = database_error(
            DatabaseErrorKind::UniqueViolation,
            "UNIQUE constraint failed: users.username",
            None,
        );
        assert!(matches!(partial, StoreError::Backend(_)), "{partial:?}");
    }

    #[test]
    fn lost_connections_and_locks_are_unavailable() {
        for kind in [
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
            DatabaseErrorKind::SerializationFailure,
            DatabaseErrorKind::ReadOnlyTransaction,
        ] {
            let error = database_error(kind, "server closed the connection", None);
            assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        }
        let locked = database_error(DatabaseErrorKind::Unknown, "database is locked", None);
        assert_eq!(locked, StoreError::Unavailable("database is locked".into()));
        for message in [
            "database or disk is full",
            "disk I/O error",
            "canceling statement due to statement timeout",
        ] {
            let error = database_error(DatabaseErrorKind::Unknown, message, None);
            assert_eq!(error, StoreError::Unavailable(message.into()));
        }
    }

    #[test]
    fn other_errors_are_backend_faults_or_not_found() {
        assert_eq!(
            map_diesel_error(DieselError::NotFound),
            StoreError::NotFound
        );
        let foreign = database_error(
            DatabaseErrorKind::ForeignKeyViolation,
            "FOREIGN KEY constraint failed",
            None,
        );
        assert_eq!(foreign, StoreError::NotFound);
        let check = database_error(
            DatabaseErrorKind::CheckViolation,
            "CHECK constraint failed: status",
            None,
        );
        assert_eq!(
            check,
            StoreError::Backend("CHECK constraint failed: status".into())
        );
        let other = map_diesel_error(DieselError::AlreadyInTransaction);
        assert!(matches!(other, StoreError::Backend(_)), "{other:?}");
    }

    #[test]
    fn store_errors_become_repository_errors() {
        assert_eq!(
            RepositoryError::from(StoreError::NotFound),
            RepositoryError::NotFound
        );
        assert_eq!(
            RepositoryError::from(StoreError::conflict("domain")),
            RepositoryError::Conflict {
                field: "domain".into()
            }
        );
        assert_eq!(
            RepositoryError::from(StoreError::StaleVersion { current: 3 }),
            RepositoryError::StaleVersion { current: 3 }
        );
        assert_eq!(
            RepositoryError::from(StoreError::Unavailable("down".into())),
            RepositoryError::Unavailable("down".into())
        );
        assert_eq!(
            RepositoryError::from(StoreError::Migration("bad".into())),
            RepositoryError::Backend("migration failed: bad".into())
        );
        assert_eq!(
            StoreError::from(RepositoryError::StaleVersion { current: 2 }),
            StoreError::StaleVersion { current: 2 }
        );
    }
}
