//! Who may call tenantry: operator accounts and API tokens, and the port they are kept
//! behind ([`AccessRepository`]).
//!
//! An API token is a [`SecretToken`](crate::SecretToken) shown to its owner once; only
//! its [`TokenDigest`] is stored. Its [`TokenScope`] says what it may do: everything an
//! operator may ([`TokenScope::Admin`]) or register users into one tenant
//! ([`TokenScope::Registration`]).

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::json;
use tenantry_tenant::{
    Action, Actor, AuditEvent, AuditSink, RepositoryError, RequestContext, Tenant, TenantId,
};

use crate::{PasswordHash, TokenDigest};

/// A platform operator as the access rules see one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorAccount {
    /// Database id.
    pub id: i64,
    /// Unique login name.
    pub username: String,
    /// The argon2id hash of the password.
    pub password_hash: PasswordHash,
    /// When the account (and so possibly its password) last changed. Caches of verified
    /// passwords compare it to forget a pair once the password changes.
    pub updated_at: DateTime<Utc>,
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenScope {
    /// Everything an operator may do.
    Admin,
    /// Register users into this one tenant.
    Registration(TenantId),
}

impl TokenScope {
    /// `admin` or `registration`, as stored and as served.
    pub fn name(self) -> &'static str {
        match self {
            TokenScope::Admin => "admin",
            TokenScope::Registration(_) => "registration",
        }
    }

    /// The tenant a registration token is bound to.
    pub fn tenant_id(self) -> Option<TenantId> {
        match self {
            TokenScope::Admin => None,
            TokenScope::Registration(tenant) => Some(tenant),
        }
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An API token as stored: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Database id; audit events name tokens by it (`token:<id>`).
    pub id: i64,
    /// A note from whoever created it.
    pub label: Option<String>,
    /// What it may do.
    pub scope: TokenScope,
    /// The operator who created it, by name, while that account exists.
    pub created_by: Option<String>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it was revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    /// Whether the token still authenticates.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// A token to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    /// SHA-256 digest of the secret.
    pub digest: TokenDigest,
    /// A note from whoever creates it.
    pub label: Option<String>,
    /// What it may do.
    pub scope: TokenScope,
    /// The operator creating it (by name), when an operator does.
    pub created_by: Option<String>,
    /// When it is issued.
    pub created_at: DateTime<Utc>,
}

/// Which tokens [`AccessRepository::list_tokens`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFilter {
    /// Operator-wide tokens.
    Admin,
    /// Registration tokens of one tenant.
    Tenant(TenantId),
}

/// Where operators and API tokens are kept.
pub trait AccessRepository {
    /// The operator with this login name.
    fn find_operator(&mut self, username: &str)
    -> Result<Option<OperatorAccount>, RepositoryError>;

    /// Stores a token and returns it with its id. A registration token for a tenant that
    /// does not exist is [`RepositoryError::NotFound`].
    fn insert_token(&mut self, token: &NewApiToken) -> Result<ApiToken, RepositoryError>;

    /// The token whose secret has this digest, revoked or not.
    fn find_token(&mut self, digest: &TokenDigest) -> Result<Option<ApiToken>, RepositoryError>;

    /// The token with this id, revoked or not.
    fn get_token(&mut self, id: i64) -> Result<Option<ApiToken>, RepositoryError>;

    /// Tokens matching `filter`, oldest first, revoked ones included.
    fn list_tokens(&mut self, filter: TokenFilter) -> Result<Vec<ApiToken>, RepositoryError>;

    /// Marks a token revoked at `at` (keeping an earlier revocation time) and returns it;
    /// `None` when there is no such token.
    fn revoke_token(
        &mut self,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<ApiToken>, RepositoryError>;

    /// The key that signs this deployment's JWTs: the stored one, or `candidate` after
    /// storing it when none is stored yet. Every node sharing the database gets the same.
    fn signing_key(&mut self, candidate: &[u8]) -> Result<Vec<u8>, RepositoryError>;

    /// Takes one of the `limit` requests token `token_id` may make in the window
    /// `(since, now]`: records a request at `now` and answers [`RequestSlot::Taken`], or,
    /// when `limit` requests already fall in the window, records nothing and answers
    /// [`RequestSlot::Full`] with the oldest of them. Requests before the window may be
    /// forgotten. Callers sharing a store must be serialized per token (a write
    /// transaction that locks the token).
    fn take_request_slot(
        &mut self,
        token_id: i64,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<RequestSlot, RepositoryError>;
}

/// The answer of [`AccessRepository::take_request_slot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestSlot {
    /// The request is counted.
    Taken,
    /// The window is full; a slot frees when its oldest request, made then, leaves it.
    Full {
        /// When the oldest request in the window was made.
        oldest: DateTime<Utc>,
    },
}

/// How many requests a token may make in any window of a given length (Django REST
/// framework's `SimpleRateThrottle`: a sliding window over the requests' times, not a
/// refilling bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRate {
    /// Requests allowed in any window.
    pub limit: u32,
    /// The window's length.
    pub window: chrono::Duration,
}

/// Counts a request of token `token_id` at `now` against `rate`: `None` when it may
/// proceed, else how long until a slot frees (at least one second's fraction above zero).
///
/// # Errors
/// The store's.
pub fn throttle<P: AccessRepository + ?Sized>(
    ports: &mut P,
    token_id: i64,
    now: DateTime<Utc>,
    rate: RequestRate,
) -> Result<Option<std::time::Duration>, RepositoryError> {
    match ports.take_request_slot(token_id, now - rate.window, now, rate.limit)? {
        RequestSlot::Taken => Ok(None),
        RequestSlot::Full { oldest } => {
            let frees_at = oldest + rate.window;
            let wait = (frees_at - now)
                .to_std()
                .unwrap_or(std::time::Duration::ZERO);
            Ok(Some(wait.max(std::time::Duration::from_millis(1))))
        }
    }
}

/// A freshly issued token: the secret, to show once, and what was stored.
#[derive(Debug)]
pub struct IssuedToken {
    /// The secret the caller presents; never stored, never shown again.
    pub secret: crate::SecretToken,
    /// The stored token.
    pub token: ApiToken,
}

/// Why a token operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The token to act on does not exist (or belongs to another tenant).
    #[error("token not found")]
    TokenNotFound,
    /// Storage failed.
    #[error(transparent)]
    Repository(#[from] RepositoryError),
    /// No randomness for a new secret.
    #[error(transparent)]
    Token(#[from] crate::TokenError),
}

/// Issues a token with `scope`, stores its digest and audits `token.create` (with the
/// token's id, scope and label, never the secret). `tenant` is the tenant a
/// registration token is bound to, named in the audit event.
pub fn issue_token<P: AccessRepository + AuditSink + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    scope: TokenScope,
    label: Option<String>,
    tenant: Option<&Tenant>,
) -> Result<IssuedToken, AccessError> {
    let secret = crate::SecretToken::generate()?;
    let created_by = match &context.actor {
        Actor::Operator(name) => Some(name.clone()),
        _ => None,
    };
    let token = ports.insert_token(&NewApiToken {
        digest: secret.digest(),
        label,
        scope,
        created_by,
        created_at: context.now,
    })?;
    ports.record(&token_event(context, Action::TokenCreate, &token, tenant))?;
    Ok(IssuedToken { secret, token })
}

/// Revokes the token `id`, which must match `filter` (a tenant's token is revoked
/// through that tenant), and audits `token.revoke`. Revoking twice keeps the first time.
pub fn revoke_token<P: AccessRepository + AuditSink + ?Sized>(
    ports: &mut P,
    context: &RequestContext,
    id: i64,
    filter: TokenFilter,
    tenant: Option<&Tenant>,
) -> Result<ApiToken, AccessError> {
    let found = ports
        .get_token(id)?
        .filter(|token| token_matches(token, filter));
    if found.is_none() {
        return Err(AccessError::TokenNotFound);
    }
    let token = ports
        .revoke_token(id, context.now)?
        .ok_or(AccessError::TokenNotFound)?;
    ports.record(&token_event(context, Action::TokenRevoke, &token, tenant))?;
    Ok(token)
}

/// Whether `token` is one of those `filter` selects.
pub fn token_matches(token: &ApiToken, filter: TokenFilter) -> bool {
    match filter {
        TokenFilter::Admin => token.scope == TokenScope::Admin,
        TokenFilter::Tenant(tenant) => token.scope == TokenScope::Registration(tenant),
    }
}

fn token_event(
    context: &RequestContext,
    action: Action,
    token: &ApiToken,
    tenant: Option<&Tenant>,
) -> AuditEvent {
    let details = json!({
        "token_id": token.id,
        "scope": token.scope.name(),
        "label": token.label,
    });
    match tenant {
        Some(tenant) => AuditEvent::success(context, action, tenant, details),
        None => AuditEvent::untargeted(context, action, details),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use tenantry_tenant::{Outcome, Status};

    use super::*;
    use crate::testing::InMemorySession;

    #[test]
    fn a_token_gets_the_limit_in_any_window_and_learns_when_a_slot_frees() {
        let mut memory = InMemorySession::new();
        let start = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let rate = RequestRate {
            limit: 3,
            window: chrono::Duration::seconds(60),
        };
        let at = |seconds: i64| start + chrono::Duration::seconds(seconds);
        for second in [0, 10, 20] {
            assert_eq!(throttle(&mut memory, 1, at(second), rate).unwrap(), None);
        }
        assert_eq!(
            throttle(&mut memory, 1, at(30), rate).unwrap(),
            Some(std::time::Duration::from_secs(30)),
            "the request at 0 leaves the window at 60"
        );
        assert_eq!(
            throttle(&mut memory, 2, at(30), rate).unwrap(),
            None,
            "each token has its own window"
        );
        assert_eq!(
            throttle(&mut memory, 1, at(59), rate).unwrap(),
            Some(std::time::Duration::from_secs(1)),
            "a refused request is not counted"
        );
        assert_eq!(throttle(&mut memory, 1, at(60), rate).unwrap(), None);
        assert_eq!(
            throttle(&mut memory, 1, at(61), rate).unwrap(),
            Some(std::time::Duration::from_secs(9)),
            "10, 20 and 60 fill it until 70"
        );
    }

    fn context(minute: u32) -> RequestContext {
        let mut context =
            RequestContext::system(Utc.with_ymd_and_hms(2026, 11, 25, 12, minute, 0).unwrap());
        context.actor = Actor::Operator("ops".into());
        context
    }

    #[test]
    fn issuing_stores_only_the_digest_and_audits_without_the_secret() {
        let mut memory = InMemorySession::new();
        let issued = issue_token(&mut memory, &context(0), TokenScope::Admin, None, None).unwrap();
        let digest = TokenDigest::of(issued.secret.expose());
        assert_eq!(memory.find_token(&digest), Ok(Some(issued.token.clone())));
        assert_eq!(issued.token.created_by.as_deref(), Some("ops"));
        let event = &memory.events()[0];
        assert_eq!(event.action, Action::TokenCreate);
        assert_eq!(event.outcome, Outcome::Success);
        assert!(!event.details.to_string().contains(issued.secret.expose()));
    }

    #[test]
    fn revoking_needs_the_matching_scope_and_keeps_the_first_time() {
        let mut memory = InMemorySession::new();
        let tenant = memory.add_tenant("talent1", Status::Active, &[]).id;
        let scope = TokenScope::Registration(tenant);
        let issued = issue_token(&mut memory, &context(0), scope, None, None).unwrap();
        let id = issued.token.id;
        let wrong = revoke_token(&mut memory, &context(1), id, TokenFilter::Admin, None);
        assert!(matches!(wrong, Err(AccessError::TokenNotFound)));
        let filter = TokenFilter::Tenant(tenant);
        let first = revoke_token(&mut memory, &context(2), id, filter, None).unwrap();
        let second = revoke_token(&mut memory, &context(3), id, filter, None).unwrap();
        assert_eq!(first.revoked_at, second.revoked_at);
        assert!(!second.is_active());
        assert_eq!(memory.events().len(), 3);
    }
}
