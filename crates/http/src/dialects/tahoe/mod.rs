//! The Tahoe registration dialect (seeds 001 and 004): `POST` (and `HEAD`)
//! `/tahoe/api/v1/registrations/` and `/tahoe/api/v2/registrations/`.
//!
//! A request is authenticated by an API token (`Token <key>`, or `Bearer <key>`), served
//! by the tenant whose domain is the `Host` (else the token's tenant), throttled per token,
//! and then runs the registration rules of `tenantry-registration`: availability first
//! (409), then the fields (400), the password hashed on the blocking pool, and the user,
//! its link and its email written in one transaction.

mod error;
mod form;
pub mod openapi;

use secrecy::{ExposeSecret, SecretString};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use tenantry_registration::registration::{
    RegistrationError, RegistrationForm, check_available, ensure_open, prepare_registration,
    record_registration,
};
use tenantry_registration::{ApiToken, TokenDigest, TokenScope, throttle};
use tenantry_tenant::{Actor, DomainName, RequestContext, Tenant};

pub use error::{TahoeError, Version};

use crate::core::auth::Presented;
use crate::core::auth::caller::origin;
use crate::core::error::ApiError;
use crate::core::routing::Resource;
use crate::core::state::AppState;

/// Registers the dialect's routes; other methods on them answer 405 in DRF's shape.
pub fn configure(config: &mut web::ServiceConfig) {
    for resource in [
        Resource::<TahoeError>::new("/tahoe/api/v1/registrations/").post(register_v1),
        Resource::<TahoeError>::new("/tahoe/api/v2/registrations/").post(register_v2),
    ] {
        config.service(resource.head(head).build());
    }
}

/// `HEAD`: checks the credentials and the tenant, registers nothing.
async fn head(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, TahoeError> {
    let token = authenticate(&state, &request).await?;
    throttled(&state, &token).await?;
    serving_tenant(&state, &request, &token).await?;
    Ok(HttpResponse::Ok().finish())
}

async fn register_v1(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, TahoeError> {
    let user_id = register(&state, &request, payload, Version::V1).await?;
    // The key has a trailing space: seed 001 shows it and its clients read it so.
    Ok(HttpResponse::Ok().json(json!({ "user_id ": user_id })))
}

async fn register_v2(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, TahoeError> {
    let user_id = register(&state, &request, payload, Version::V2).await?;
    Ok(HttpResponse::Ok().json(json!({ "user_id": user_id })))
}

async fn register(
    state: &web::Data<AppState>,
    request: &HttpRequest,
    payload: web::Payload,
    version: Version,
) -> Result<i64, TahoeError> {
    let token = authenticate(state, request).await?;
    throttled(state, &token).await?;
    let tenant = serving_tenant(state, request, &token).await?;
    let body = form::read(request, payload.into_inner()).await?;
    if let Some(field) = body.first_unusable(&["username", "email", "name", "password"]) {
        return Err(TahoeError::Invalid(Some(field)));
    }
    let fields = body.fields;
    let form = RegistrationForm {
        username: fields.get("username").cloned(),
        email: fields.get("email").cloned(),
        name: fields.get("name").cloned(),
        password: fields.get("password").cloned().map(SecretString::from),
        send_activation_email: fields.get("send_activation_email").cloned(),
    };
    let (request_id, source) = origin(request);
    let context = RequestContext {
        actor: Actor::Token(token.id),
        request_id,
        source,
        now: state.clock.now(),
    };
    let tenant_id = tenant.id;
    let check_form = form.clone();
    state
        .read(move |session| {
            Ok(check_available(session, tenant_id, &check_form)
                .map_err(registration_error(version)))
        })
        .await??;
    let prepared = prepare_registration(&form, &tenant).map_err(registration_error(version))?;
    let password = prepared.password.expose().into();
    let hash = state.hashing.hash(password).await?;
    let link_base = link_base(state, &tenant);
    let registered = state
        .write(move |session| {
            Ok(
                record_registration(session, &context, &tenant, prepared, hash, &link_base)
                    .map_err(registration_error(version)),
            )
        })
        .await??;
    Ok(registered.user.id)
}

fn registration_error(version: Version) -> impl Fn(RegistrationError) -> TahoeError {
    move |error| match error {
        RegistrationError::Taken(taken) => TahoeError::Taken(version, taken),
        RegistrationError::Invalid { field } => TahoeError::Invalid(field),
        RegistrationError::ActivationFlag(value) => TahoeError::ActivationFlag(value),
        RegistrationError::TenantClosed(status) => TahoeError::TenantClosed(status),
        RegistrationError::Repository(error) => TahoeError::Api(error.into()),
        RegistrationError::Randomness(error) => {
            TahoeError::Api(ApiError::Internal(error.to_string()))
        }
    }
}

/// Where emailed links point: the configured public URL, else the tenant's primary domain.
pub fn link_base(state: &AppState, tenant: &Tenant) -> String {
    if let Some(url) = &state.public_url {
        return url.clone();
    }
    let scheme = match state.urls.profile {
        tenantry_tenant::urls::UrlProfile::Dev => "http",
        tenantry_tenant::urls::UrlProfile::Prod => "https",
    };
    let host = tenant
        .primary_domain()
        .map(DomainName::to_string)
        .unwrap_or_else(|| state.urls.site(&tenant.name).lms_domain());
    format!("{scheme}://{host}")
}

/// The token of the request, as DRF's `TokenAuthentication` reads it (also `Bearer`).
async fn authenticate(
    state: &web::Data<AppState>,
    request: &HttpRequest,
) -> Result<ApiToken, TahoeError> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|value| Presented::parse(value.as_bytes()));
    let secret = match presented {
        None => return Err(TahoeError::NoCredentials),
        Some(Some(Presented::Token(secret) | Presented::Bearer(secret))) => secret,
        Some(Some(Presented::Basic { .. })) => return Err(TahoeError::NoCredentials),
        Some(None) => return Err(TahoeError::InvalidToken),
    };
    let digest = TokenDigest::of(secret.expose_secret());
    let found = state
        .read(move |session| Ok(session.find_token(&digest)?))
        .await?;
    match found {
        Some(token) if token.is_active() => Ok(token),
        _ => Err(TahoeError::InvalidToken),
    }
}

/// Counts the request against its token's rate, as DRF's `SimpleRateThrottle` does: at
/// most `registration_rate.limit` requests (of any method) in any 60 seconds, else 429 with
/// the wait until the oldest leaves the window. The count is kept in the database in its
/// own write transaction, so every node sharing it enforces one limit (nodes' clocks may
/// differ by their skew; the window is read on the node's clock).
async fn throttled(state: &web::Data<AppState>, token: &ApiToken) -> Result<(), TahoeError> {
    let (token_id, now, rate) = (token.id, state.clock.now(), state.registration_rate);
    let wait = state
        .write(move |session| Ok(throttle(session, token_id, now, rate)?))
        .await?;
    match wait {
        Some(wait) => Err(TahoeError::Throttled(wait)),
        None => Ok(()),
    }
}

/// The tenant the request registers into: the one owning the `Host`, else the token's.
/// A tenant's token on another tenant's host is refused; so is an operator token on a
/// host no tenant owns.
async fn serving_tenant(
    state: &web::Data<AppState>,
    request: &HttpRequest,
    token: &ApiToken,
) -> Result<Tenant, TahoeError> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| DomainName::from_host_header(value).ok());
    let scope = token.scope;
    let tenant = state
        .read(move |session| {
            let by_host = match &host {
                Some(host) => session.find_by_host(host)?,
                None => None,
            };
            Ok(match (by_host, scope) {
                (Some(tenant), TokenScope::Registration(id)) if tenant.id != id => {
                    Err(TahoeError::PermissionDenied)
                }
                (Some(tenant), _) => Ok(tenant),
                (None, TokenScope::Registration(id)) => {
                    session.get(id)?.ok_or(TahoeError::PermissionDenied)
                }
                (None, TokenScope::Admin) => Err(TahoeError::PermissionDenied),
            })
        })
        .await??;
    ensure_open(&tenant).map_err(|error| match error {
        RegistrationError::TenantClosed(status) => TahoeError::TenantClosed(status),
        other => registration_error(Version::V2)(other),
    })?;
    Ok(tenant)
}
