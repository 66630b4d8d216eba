//! Who is calling: authentication of every protected request, as actix extractors.
//!
//! [`Caller`] accepts HTTP Basic (operator name and password), `Bearer` JWTs issued by
//! `/oauth/token`, and API tokens as `Bearer <token>` or `Token <token>`. [`Operator`]
//! additionally requires operator rights (an operator or an `admin`-scoped token).
//! Password checks are reserved from the password-guessing budgets of the claimed account
//! and the client address before they run; wrong tokens spend a budget of their own after
//! they fail; a valid token or JWT is never refused by either. Once a budget is spent the
//! answer is 429 with `Retry-After` until it refills. Failures are audited.

use secrecy::{ExposeSecret, SecretString};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde_json::json;
use tenantry_registration::{ApiToken, OperatorAccount, TokenDigest, TokenScope};
use tenantry_tenant::{Action, Actor, AuditEvent, RequestContext};

use crate::core::auth::Presented;
use crate::core::error::ApiError;
use crate::core::request_id::RequestId;
use crate::core::state::AppState;

/// What the caller may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// A platform operator (password or JWT), by name.
    Operator(String),
    /// An API token.
    Token(ApiToken),
}

/// An authenticated caller and where the request came from.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The identity.
    pub access: Access,
    /// The request id.
    pub request_id: Option<String>,
    /// The peer address.
    pub source: Option<String>,
}

impl Caller {
    /// The actor audit events name.
    pub fn actor(&self) -> Actor {
        match &self.access {
            Access::Operator(name) => Actor::Operator(name.clone()),
            Access::Token(token) => Actor::Token(token.id),
        }
    }

    /// Whether the caller may use operator endpoints.
    pub fn is_operator(&self) -> bool {
        match &self.access {
            Access::Operator(_) => true,
            Access::Token(token) => token.scope == TokenScope::Admin,
        }
    }

    /// The tenant a registration token is bound to.
    pub fn tenant(&self) -> Option<tenantry_tenant::TenantId> {
        match &self.access {
            Access::Operator(_) => None,
            Access::Token(token) => token.scope.tenant_id(),
        }
    }

    /// The audit context of an action this caller takes now.
    pub fn context(&self, state: &AppState) -> RequestContext {
        RequestContext {
            actor: self.actor(),
            request_id: self.request_id.clone(),
            source: self.source.clone(),
            now: state.clock.now(),
        }
    }
}

/// A caller with operator rights; anyone else gets 403.
#[derive(Debug, Clone)]
pub struct Operator(pub Caller);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { authenticate(&request).await })
    }
}

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let caller = authenticate(&request).await?;
            if !caller.is_operator() {
                return Err(ApiError::Forbidden("Operator credentials required"));
            }
            Ok(Operator(caller))
        })
    }
}

/// Authenticates `request` and requires operator rights, for dialects that shape their
/// own errors (401 without credentials, 403 for a registration token).
pub async fn authenticate_operator(request: &HttpRequest) -> Result<Caller, ApiError> {
    let caller = authenticate(request).await?;
    if !caller.is_operator() {
        return Err(ApiError::Forbidden("Operator credentials required"));
    }
    Ok(caller)
}

/// Authenticates `request` (any valid credential).
pub async fn authenticate_any(request: &HttpRequest) -> Result<Caller, ApiError> {
    authenticate(request).await
}

/// The request's id and client address, for audit events of unauthenticated calls.
pub fn origin(request: &HttpRequest) -> (Option<String>, Option<String>) {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone());
    let source = client_ip(request).map(|ip| ip.to_string());
    (request_id, source)
}

/// The client's address: the TCP peer, or the client a trusted proxy names in its
/// forwarding headers (see [`crate::core::auth::TrustedProxies`]).
pub fn client_ip(request: &HttpRequest) -> Option<IpAddr> {
    let peer = request.peer_addr()?.ip();
    Some(match request.app_data::<web::Data<AppState>>() {
        Some(state) => state
            .trusted_proxies
            .client_address(peer, request.headers()),
        None => peer.to_canonical(),
    })
}

async fn authenticate(request: &HttpRequest) -> Result<Caller, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state is missing".into()))?;
    let (request_id, source) = origin(request);
    // Without a peer address (not a TCP connection) every such caller shares one budget.
    let ip = client_ip(request).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| Presented::parse(value.as_bytes()))
        .ok_or(ApiError::Unauthorized)?;
    let (scheme, outcome) = match presented {
        Presented::Basic { username, password } => {
            let verified = check_password(&state, ip, username.clone(), password).await?;
            let outcome = verified
                .then(|| Access::Operator(username.clone()))
                .ok_or(username);
            ("basic", outcome)
        }
        Presented::Bearer(token) if token.expose_secret().contains('.') => {
            ("bearer", verify_jwt(&state, token.expose_secret()).await?)
        }
        Presented::Bearer(token) => ("bearer", verify_token(&state, token).await?),
        Presented::Token(token) => ("token", verify_token(&state, token).await?),
    };
    match outcome {
        Ok(access) => Ok(Caller {
            access,
            request_id,
            source,
        }),
        Err(claimed) => {
            // A wrong password already spent its reservation; a wrong token spends its
            // own budget only now, so a valid token is never refused by a limit.
            if scheme != "basic"
                && let Err(retry_after) = state.logins.wrong_token(ip)
            {
                return Err(ApiError::TooManyRequests(retry_after.0));
            }
            refuse(&state, scheme, claimed, request_id, source).await;
            Err(ApiError::Unauthorized)
        }
    }
}

/// How long a password check waits for others of the same account and source to end
/// before asking for a reservation again, and how often it does at most (about 30 s).
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_millis(25);
const MAX_BUSY_WAITS: u32 = 1_200;

/// Checks an operator's password within the password-guessing budgets of `source`: a
/// check is reserved before argon2 runs (429 when none is left), a wrong password keeps
/// its reservation and a right one gives it back. Used by HTTP Basic and `/oauth/token`.
pub async fn check_password(
    state: &web::Data<AppState>,
    source: IpAddr,
    username: String,
    password: SecretString,
) -> Result<bool, ApiError> {
    let mut waited = 0;
    let attempt = loop {
        match state.logins.reserve_password_check(source, &username) {
            Ok(attempt) => break attempt,
            // Checks of this account from this address are under way; right passwords
            // give their reservations back, so wait for them and ask again.
            Err(refused) if refused.busy && waited < MAX_BUSY_WAITS => {
                waited += 1;
                actix_web::rt::time::sleep(BUSY_WAIT).await;
            }
            Err(refused) => return Err(ApiError::TooManyRequests(refused.retry_after.0)),
        }
    };
    match verify_operator(state, username, password).await {
        Ok(true) => {
            attempt.give_back();
            Ok(true)
        }
        Ok(false) => Ok(false),
        Err(error) => {
            // Storage failed before a verdict: the attempt does not count.
            attempt.give_back();
            Err(error)
        }
    }
}

/// Checks an operator's password: from the cache of verified pairs when the account has
/// not changed since, otherwise with argon2id on the blocking pool.
async fn verify_operator(
    state: &web::Data<AppState>,
    username: String,
    password: SecretString,
) -> Result<bool, ApiError> {
    if username.contains('\0') || password.expose_secret().contains('\0') {
        // No account name or password holds NUL; databases refuse to even compare it.
        return Ok(false);
    }
    let account = operator_account(state, &username).await?;
    let now = state.monotonic_clock.now();
    if let Some(account) = &account
        && state
            .passwords
            .check(&username, password.expose_secret(), account.updated_at, now)
            .is_some()
    {
        return Ok(true);
    }
    let stored = account
        .as_ref()
        .map(|account| account.password_hash.clone());
    let verified = state.hashing.verify(stored, password.clone()).await?;
    if verified && let Some(account) = account {
        state.passwords.remember(
            &username,
            password.expose_secret(),
            account.id,
            account.updated_at,
            now,
        );
    }
    Ok(verified)
}

/// The operator account called `username`, from [`AppState::operators`] when it was read
/// within the staleness bound, else from the database.
async fn operator_account(
    state: &web::Data<AppState>,
    username: &str,
) -> Result<Option<OperatorAccount>, ApiError> {
    let read_at = state.monotonic_clock.now();
    if let Some(account) = state.operators.get(username, read_at) {
        return Ok(account);
    }
    let lookup = username.to_owned();
    let account = state
        .read(move |session| Ok(session.find_operator(&lookup)?))
        .await?;
    state
        .operators
        .insert(username.to_owned(), account.clone(), read_at);
    Ok(account)
}

/// A JWT is valid when its signature and times are, its operator still exists, and that
/// operator's account has not changed (a new password) since the token was issued, as
/// read within the credential staleness bound (1 s).
async fn verify_jwt(
    state: &web::Data<AppState>,
    token: &str,
) -> Result<Result<Access, String>, ApiError> {
    let Ok(claims) = state.jwt.verify(token, state.clock.now()) else {
        return Ok(Err(String::new()));
    };
    let name = match claims.sub.split_once(':') {
        Some(("operator", name)) if !name.is_empty() && !name.contains('\0') => name.to_owned(),
        _ => return Ok(Err(String::new())),
    };
    let account = operator_account(state, &name).await?;
    Ok(match account {
        // `iat` has whole seconds: a change in the token's own second does not void it.
        Some(account) if account.updated_at.timestamp() <= claims.iat => Ok(Access::Operator(name)),
        _ => Err(name),
    })
}

async fn verify_token(
    state: &web::Data<AppState>,
    secret: SecretString,
) -> Result<Result<Access, String>, ApiError> {
    let digest = TokenDigest::of(secret.expose_secret());
    let read_at = state.monotonic_clock.now();
    let found = match state.tokens.get(&digest, read_at) {
        Some(found) => found,
        None => {
            let lookup = digest.clone();
            let found = state
                .read(move |session| Ok(session.find_token(&lookup)?))
                .await?;
            state.tokens.insert(digest, found.clone(), read_at);
            found
        }
    };
    Ok(match found {
        Some(token) if token.is_active() => Ok(Access::Token(token)),
        Some(token) => Err(format!("token:{}", token.id)),
        None => Err(String::new()),
    })
}

/// Audits (and logs) a refused credential.
pub async fn refuse(
    state: &web::Data<AppState>,
    scheme: &'static str,
    claimed: String,
    request_id: Option<String>,
    source: Option<String>,
) {
    let logged_id = request_id.clone().unwrap_or_default();
    log::warn!(
        "refused {scheme} credentials from {} request_id={logged_id}",
        source.as_deref().unwrap_or("?")
    );
    let context = RequestContext {
        actor: Actor::Anonymous,
        request_id,
        source,
        now: state.clock.now(),
    };
    let mut details = json!({ "scheme": scheme });
    if !claimed.is_empty() {
        details["claimed"] = json!(claimed);
    }
    let event = AuditEvent::failure(&context, Action::LoginFailure, None, "invalid credentials");
    let event = AuditEvent { details, ..event };
    let recorded = state
        .write(move |session| Ok(session.record(&event)?))
        .await;
    if let Err(error) = recorded {
        log::error!("could not audit a failed login: {error} request_id={logged_id}");
    }
}
