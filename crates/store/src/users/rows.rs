//! Rows of `users`, and the parsing that turns stored text back into the registration
//! crate's value types.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use tenantry_registration::{Email, FullName, NewUser, PasswordHash, User, Username};
use tenantry_tenant::TenantId;

use crate::StoreError;
use crate::schema::users;
use crate::time::{from_db, to_db};

/// A stored user.
#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(super) struct UserRow {
    id: i64,
    tenant_id: i64,
    username: String,
    email: String,
    name: String,
    password_hash: Option<String>,
    is_active: bool,
    is_tenant_admin: bool,
    created_at: NaiveDateTime,
    activated_at: Option<NaiveDateTime>,
}

impl UserRow {
    /// The user this row stores; a value that no longer parses is a backend fault.
    pub(super) fn into_user(self) -> Result<User, StoreError> {
        let username = Username::parse(&self.username)
            .map_err(|error| StoreError::corrupt("users.username", error))?;
        let email =
            Email::parse(&self.email).map_err(|error| StoreError::corrupt("users.email", error))?;
        let name = FullName::parse(&self.name)
            .map_err(|error| StoreError::corrupt("users.name", error))?;
        let password_hash = self
            .password_hash
            .map(PasswordHash::from_phc)
            .transpose()
            .map_err(|error| StoreError::corrupt("users.password_hash", error))?;
        Ok(User {
            id: self.id,
            tenant_id: TenantId(self.tenant_id),
            username,
            email,
            name,
            password_hash,
            is_active: self.is_active,
            is_tenant_admin: self.is_tenant_admin,
            created_at: from_db(self.created_at),
            activated_at: self.activated_at.map(from_db),
        })
    }
}

/// The text a search of users looks in (see [`tenantry_tenant::search`]).
pub(crate) fn user_search_text(username: &str, email: &str, name: &str) -> String {
    tenantry_tenant::search::searchable_fields([username, email, name])
}

/// A user to insert.
#[derive(Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub(super) struct NewUserRow<'a> {
    tenant_id: i64,
    username: &'a str,
    email: &'a str,
    email_normalized: String,
    name: &'a str,
    password_hash: Option<&'a str>,
    is_active: bool,
    is_tenant_admin: bool,
    created_at: NaiveDateTime,
    activated_at: Option<NaiveDateTime>,
    search_text: String,
}

impl<'a> NewUserRow<'a> {
    /// The row for `user`; a user who starts active was activated when created.
    pub(super) fn of(user: &'a NewUser) -> Self {
        let created_at = to_db(user.created_at);
        NewUserRow {
            tenant_id: user.tenant_id.0,
            username: user.username.as_str(),
            email: user.email.as_str(),
            email_normalized: user.email.normalized(),
            name: user.name.as_str(),
            password_hash: user.password_hash.as_ref().map(PasswordHash::as_str),
            is_active: user.is_active,
            is_tenant_admin: user.is_tenant_admin,
            created_at,
            activated_at: user.is_active.then_some(created_at),
            search_text: user_search_text(
                user.username.as_str(),
                user.email.as_str(),
                user.name.as_str(),
            ),
        }
    }
}
