//! Operators, API tokens and the JWT signing key.

use chrono::{DateTime, Utc};
use tenantry_tenant::RepositoryError;

use super::{InMemorySession, StoredToken};
use crate::TokenDigest;
use crate::access::{
    AccessRepository, ApiToken, NewApiToken, OperatorAccount, RequestSlot, TokenFilter,
    token_matches,
};

impl AccessRepository for InMemorySession {
    fn find_operator(
        &mut self,
        username: &str,
    ) -> Result<Option<OperatorAccount>, RepositoryError> {
        self.failures.check("find_operator")?;
        Ok(self
            .operators
            .iter()
            .find(|operator| operator.username == username)
            .cloned())
    }

    /// Also checks that a registration token's tenant exists, as the database's foreign
    /// key does.
    fn insert_token(&mut self, new: &NewApiToken) -> Result<ApiToken, RepositoryError> {
        self.failures.check("insert_token")?;
        if let Some(tenant) = new.scope.tenant_id()
            && !self.tenant_exists(tenant)?
        {
            return Err(RepositoryError::NotFound);
        }
        let token = ApiToken {
            id: self.tokens.len() as i64 + 1,
            label: new.label.clone(),
            scope: new.scope,
            created_by: new.created_by.clone(),
            created_at: new.created_at,
            revoked_at: None,
        };
        self.tokens.push(StoredToken {
            digest: new.digest.clone(),
            token: token.clone(),
        });
        Ok(token)
    }

    fn find_token(&mut self, digest: &TokenDigest) -> Result<Option<ApiToken>, RepositoryError> {
        self.failures.check("find_token")?;
        Ok(self
            .tokens
            .iter()
            .find(|stored| stored.digest.matches(digest))
            .map(|stored| stored.token.clone()))
    }

    fn get_token(&mut self, id: i64) -> Result<Option<ApiToken>, RepositoryError> {
        self.failures.check("get_token")?;
        Ok(self
            .tokens
            .iter()
            .find(|stored| stored.token.id == id)
            .map(|stored| stored.token.clone()))
    }

    fn list_tokens(&mut self, filter: TokenFilter) -> Result<Vec<ApiToken>, RepositoryError> {
        self.failures.check("list_tokens")?;
        Ok(self
            .tokens
            .iter()
            .map(|stored| stored.token.clone())
            .filter(|token| token_matches(token, filter))
            .collect())
    }

    fn revoke_token(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<ApiToken>, RepositoryError> {
        self.failures.check("revoke_token")?;
        let found = self.tokens.iter_mut().find(|stored| stored.token.id == id);
        Ok(found.map(|stored| {
            stored.token.revoked_at.get_or_insert(at);
            stored.token.clone()
        }))
    }

    fn signing_key(&mut self, candidate: &[u8]) -> Result<Vec<u8>, RepositoryError> {
        self.failures.check("signing_key")?;
        Ok(self
            .signing_key
            .get_or_insert_with(|| candidate.to_vec())
            .clone())
    }

    fn take_request_slot(
        &mut self,
        token_id: i64,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<RequestSlot, RepositoryError> {
        self.failures.check("take_request_slot")?;
        self.token_requests
            .retain(|&(token, at)| token != token_id || at > since);
        let counted: Vec<DateTime<Utc>> = self
            .token_requests
            .iter()
            .filter(|(token, _)| *token == token_id)
            .map(|&(_, at)| at)
            .collect();
        if counted.len() >= limit as usize {
            let oldest = counted.iter().min().copied().unwrap_or(now);
            return Ok(RequestSlot::Full { oldest });
        }
        self.token_requests.push((token_id, now));
        Ok(RequestSlot::Taken)
    }
}
