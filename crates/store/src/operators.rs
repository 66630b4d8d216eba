//! Operator accounts: platform administrators who may call the admin APIs.
//!
//! The store keeps the password hash as given (an argon2id PHC string); hashing and
//! verifying belong to `tenantry-registration`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::schema::operators;
use crate::sql::count;
use crate::time::{from_db, to_db};
use crate::{AsDbConnection, StoreError};

/// An operator as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    /// Database id.
    pub id: i64,
    /// Unique login name.
    pub username: String,
    /// The password hash (PHC string).
    pub password_hash: String,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// When the account last changed.
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = operators)]
struct OperatorRow {
    id: i64,
    username: String,
    password_hash: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<OperatorRow> for OperatorRecord {
    fn from(row: OperatorRow) -> Self {
        Self {
            id: row.id,
            username: row.username,
            password_hash: row.password_hash,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = operators)]
struct NewOperatorRow<'a> {
    username: &'a str,
    password_hash: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Creates an operator; a taken username is [`StoreError::Conflict`] on `username`.
pub fn create_operator(
    conn: &mut impl AsDbConnection,
    username: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<OperatorRecord, StoreError> {
    let row = NewOperatorRow {
        username,
        password_hash,
        created_at: to_db(now),
        updated_at: to_db(now),
    };
    diesel::insert_into(operators::table)
        .values(&row)
        .execute(conn.db_connection())?;
    find_operator(conn, username)?.ok_or(StoreError::NotFound)
}

/// The operator with this username.
pub fn find_operator(
    conn: &mut impl AsDbConnection,
    username: &str,
) -> Result<Option<OperatorRecord>, StoreError> {
    let row: Option<OperatorRow> = operators::table
        .filter(operators::username.eq(username))
        .select(OperatorRow::as_select())
        .first(conn.db_connection())
        .optional()?;
    Ok(row.map(OperatorRecord::from))
}

/// How many operators exist.
pub fn count_operators(conn: &mut impl AsDbConnection) -> Result<u64, StoreError> {
    let operators: i64 = operators::table.count().get_result(conn.db_connection())?;
    count(operators)
}

/// Replaces an operator's password hash; [`StoreError::NotFound`] when there is no such
/// operator.
pub fn set_operator_password(
    conn: &mut impl AsDbConnection,
    username: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let updated = diesel::update(operators::table.filter(operators::username.eq(username)))
        .set((
            operators::password_hash.eq(password_hash),
            operators::updated_at.eq(to_db(now)),
        ))
        .execute(conn.db_connection())?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
