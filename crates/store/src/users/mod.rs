//! A tenant's users and their single-use links behind the registration crate's port
//! ([`UserRepository`] for [`TenantStore`]).
//!
//! Usernames are unique per tenant as given (exact, case-sensitive match); emails per
//! tenant by their lower-cased form (`users.email_normalized`), while `users.email` keeps
//! the address as registered. Links are kept by the digest of their secret, never the
//! secret. A tenant's users and their links go with the tenant (ON DELETE CASCADE).
//!
//! [`ImpersonationRepository`](tenantry_registration::ImpersonationRepository) is
//! implemented in `impersonation`: secrets that sign in as a tenant's administrator.

mod accounts;
mod impersonation;
mod links;
mod rows;

pub(crate) use rows::user_search_text;

use chrono::{DateTime, Utc};
use tenantry_registration::{
    LinkPurpose, LinkState, NewLink, NewUser, PasswordHash, Taken, TokenDigest, User, UserQuery,
    UserRepository,
};
use tenantry_tenant::{Page, RepositoryError, TenantId};

use crate::TenantStore;

impl UserRepository for TenantStore<'_> {
    fn insert_user(&mut self, user: &NewUser) -> Result<User, RepositoryError> {
        Ok(accounts::insert(self.conn(), user)?)
    }

    fn taken(
        &mut self,
        tenant: TenantId,
        username: &str,
        email: &str,
    ) -> Result<Taken, RepositoryError> {
        Ok(accounts::taken(self.conn(), tenant, username, email)?)
    }

    fn get_user(&mut self, id: i64) -> Result<Option<User>, RepositoryError> {
        Ok(accounts::get(self.conn(), id)?)
    }

    fn list_users(
        &mut self,
        tenant: TenantId,
        query: &UserQuery,
    ) -> Result<Page<User>, RepositoryError> {
        Ok(accounts::list(self.conn(), tenant, query)?)
    }

    fn activate_user(
        &mut self,
        id: i64,
        password_hash: Option<&PasswordHash>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        Ok(accounts::activate(self.conn(), id, password_hash, at)?)
    }

    fn insert_link(&mut self, link: &NewLink) -> Result<(), RepositoryError> {
        Ok(links::insert(self.conn(), link)?)
    }

    fn link_state(
        &mut self,
        purpose: LinkPurpose,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<LinkState, RepositoryError> {
        Ok(links::state(self.conn(), purpose, digest, now)?)
    }

    fn use_link(
        &mut self,
        purpose: LinkPurpose,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<LinkState, RepositoryError> {
        Ok(links::use_up(self.conn(), purpose, digest, now)?)
    }
}
