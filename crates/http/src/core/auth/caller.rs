//! Who is calling: authentication of every protected request, as actix extractors.
//!
//! [`Caller`] accepts HTTP Basic (operator name and password), `Bearer` JWTs issued by
//! `/oauth/token`, and API tokens as `Bearer <token>` or `Token <token>`. [`Operator`]
//! additionally requires operator rights (an operator or an `admin`-scoped token).
//! Failed logins are audited and spend the source address's login budget; once spent,
//! the answer is 429 with `Retry-After` until it refills.

use secrecy::{ExposeSecret, SecretString};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde_json::json;
use tenantry_registration::{ApiToken, PasswordHasher, TokenDigest, TokenScope};
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

/// The request's id and peer address, for audit events of unauthenticated calls.
pub fn origin(request: &HttpRequest) -> (Option<String>, Option<String>) {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone());
    let source = request.peer_addr().map(|address| address.ip().to_string());
    (request_id, source)
}

async fn authenticate(request: &HttpRequest) -> Result<Caller, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state is missing".into()))?;
    let (request_id, source) = origin(request);
    let ip = request.peer_addr().map(|address| address.ip());
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| Presented::parse(value.as_bytes()))
        .ok_or(ApiError::Unauthorized)?;
    if let Some(ip) = ip
        && let Err(retry_after) = state.logins.check(ip, Instant::now())
    {
        return Err(ApiError::TooManyRequests(retry_after.0));
    }
    let scheme = match &presented {
        Presented::Basic { .. } => "basic",
        Presented::Bearer(_) => "bearer",
        Presented::Token(_) => "token",
    };
    let outcome = match presented {
        Presented::Basic { username, password } => {
            verify_operator(&state, username.clone(), password)
                .await?
                .then_some(Access::Operator(username.clone()))
                .ok_or(username)
        }
        Presented::Bearer(token) if token.expose_secret().contains('.') => {
            verify_jwt(&state, token.expose_secret())
        }
        Presented::Bearer(token) | Presented::Token(token) => verify_token(&state, token).await?,
    };
    match outcome {
        Ok(access) => Ok(Caller {
            access,
            request_id,
            source,
        }),
        Err(claimed) => {
            refuse(&state, ip, scheme, claimed, request_id, source).await;
            Err(ApiError::Unauthorized)
        }
    }
}

/// Checks an operator's password: from the cache of verified pairs when the account has
/// not changed since, otherwise with argon2id on the blocking pool.
pub async fn verify_operator(
    state: &web::Data<AppState>,
    username: String,
    password: SecretString,
) -> Result<bool, ApiError> {
    if username.contains('\0') || password.expose_secret().contains('\0') {
        // No account name or password holds NUL; databases refuse to even compare it.
        return Ok(false);
    }
    let lookup = username.clone();
    let account = state
        .read(move |session| Ok(session.find_operator(&lookup)?))
        .await?;
    let now = Instant::now();
    if let Some(account) = &account
        && state
            .passwords
            .check(&username, password.expose_secret(), account.updated_at, now)
            .is_some()
    {
        return Ok(true);
    }
    let hashing = state.clone();
    let checked_password = password.clone();
    let verified_account = account.clone();
    let verified = web::block(move || match &verified_account {
        Some(account) => hashing
            .hasher
            .verify(&account.password_hash, checked_password.expose_secret()),
        None => hashing
            .hasher
            .verify_dummy(checked_password.expose_secret()),
    })
    .await?;
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

fn verify_jwt(state: &AppState, token: &str) -> Result<Access, String> {
    let claims = state
        .jwt
        .verify(token, state.clock.now())
        .map_err(|_| String::new())?;
    match claims.sub.split_once(':') {
        Some(("operator", name)) if !name.is_empty() => Ok(Access::Operator(name.to_owned())),
        _ => Err(String::new()),
    }
}

async fn verify_token(
    state: &web::Data<AppState>,
    secret: SecretString,
) -> Result<Result<Access, String>, ApiError> {
    let digest = TokenDigest::of(secret.expose_secret());
    let found = state
        .read(move |session| Ok(session.find_token(&digest)?))
        .await?;
    Ok(match found {
        Some(token) if token.is_active() => Ok(Access::Token(token)),
        Some(token) => Err(format!("token:{}", token.id)),
        None => Err(String::new()),
    })
}

async fn refuse(
    state: &web::Data<AppState>,
    ip: Option<IpAddr>,
    scheme: &'static str,
    claimed: String,
    request_id: Option<String>,
    source: Option<String>,
) {
    if let Some(ip) = ip {
        state.logins.record_failure(ip, Instant::now());
    }
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
