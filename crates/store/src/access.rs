//! Operators and API tokens behind the registration crate's port
//! ([`AccessRepository`] for [`TenantStore`]).
//!
//! A token's `created_by` is the operator's username: the row keeps the operator's id
//! (`operator_id`, set NULL when the account is deleted) and reads join on it.

use chrono::{DateTime, Utc};
use tenantry_registration::{
    AccessRepository, ApiToken, NewApiToken, OperatorAccount, PasswordHash, RequestSlot,
    TokenDigest, TokenFilter,
};
use tenantry_tenant::RepositoryError;

use crate::{StoreError, TenantStore, operators, signing_key, token_requests, tokens};

impl AccessRepository for TenantStore<'_> {
    fn find_operator(
        &mut self,
        username: &str,
    ) -> Result<Option<OperatorAccount>, RepositoryError> {
        let Some(record) = operators::find_operator(self.conn(), username)? else {
            return Ok(None);
        };
        let password_hash = PasswordHash::from_phc(record.password_hash)
            .map_err(|error| StoreError::corrupt("operators.password_hash", error))?;
        Ok(Some(OperatorAccount {
            id: record.id,
            username: record.username,
            password_hash,
            updated_at: record.updated_at,
        }))
    }

    fn insert_token(&mut self, token: &NewApiToken) -> Result<ApiToken, RepositoryError> {
        Ok(tokens::insert(self.conn(), token)?)
    }

    fn find_token(&mut self, digest: &TokenDigest) -> Result<Option<ApiToken>, RepositoryError> {
        Ok(tokens::find(self.conn(), digest)?)
    }

    fn get_token(&mut self, id: i64) -> Result<Option<ApiToken>, RepositoryError> {
        Ok(tokens::get(self.conn(), id)?)
    }

    fn list_tokens(&mut self, filter: TokenFilter) -> Result<Vec<ApiToken>, RepositoryError> {
        Ok(tokens::list(self.conn(), filter)?)
    }

    fn revoke_token(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<ApiToken>, RepositoryError> {
        Ok(tokens::revoke(self.conn(), id, at)?)
    }

    fn signing_key(&mut self, candidate: &[u8]) -> Result<Vec<u8>, RepositoryError> {
        Ok(signing_key::get_or_store(self.conn(), candidate)?)
    }

    fn take_request_slot(
        &mut self,
        token_id: i64,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<RequestSlot, RepositoryError> {
        Ok(token_requests::take_slot(
            self.conn(),
            token_id,
            since,
            now,
            limit,
        )?)
    }
}
