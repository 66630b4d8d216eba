//! `POST /oauth/token`: short-lived JWTs for operators (OAuth 2.0 client credentials with
//! HTTP Basic, or the password grant), from a form or a JSON body.

use secrecy::SecretString;
use std::net::{IpAddr, Ipv4Addr};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};
use tenantry_tenant::{Action, Actor, AuditEvent, RequestContext};

use crate::core::auth::Presented;
use crate::core::auth::caller::{check_password, client_ip, origin};
use crate::core::body::{BodyError, BodyRules, read_fields};
use crate::core::error::ApiError;
use crate::core::fields::Fields;
use crate::core::state::AppState;

/// Token requests come as JSON or as a form (RFC 6749 §4.3); an empty JSON body is
/// malformed JSON, as FastAPI says.
const TOKEN_BODY: BodyRules = BodyRules {
    empty_json_is_empty: false,
    ..BodyRules::JSON_OR_FORM
};

/// `POST /oauth/token`
pub async fn token(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_fields(&request, payload.into_inner(), TOKEN_BODY)
        .await
        .map_err(|error| match error {
            BodyError::FormNotUtf8 | BodyError::MalformedForm => malformed_form(),
            other => other.into(),
        })?;
    let (username, password) = credentials(&request, &body)?;
    let ip = client_ip(&request).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !check_password(&state, ip, username.clone(), password).await? {
        let (request_id, source) = origin(&request);
        let logged_id = request_id.clone().unwrap_or_default();
        let context = RequestContext {
            actor: Actor::Anonymous,
            request_id,
            source,
            now: state.clock.now(),
        };
        let mut event =
            AuditEvent::failure(&context, Action::LoginFailure, None, "invalid credentials");
        event.details = json!({ "scheme": "oauth", "claimed": username });
        if let Err(error) = state
            .write(move |session| Ok(session.record(&event)?))
            .await
        {
            log::error!("could not audit a failed login: {error} request_id={logged_id}");
        }
        return Err(ApiError::Unauthorized);
    }
    let subject = format!("operator:{username}");
    let (access_token, expires_in) = state
        .jwt
        .issue(&subject, state.clock.now(), state.jwt_lifetime)
        .map_err(|error| ApiError::Internal(error.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
        })))
}

/// The operator name and password the request presents for its grant.
fn credentials(
    request: &HttpRequest,
    body: &Map<String, Value>,
) -> Result<(String, SecretString), ApiError> {
    let mut fields = Fields::new(body, vec![json!("body")]);
    let grant = fields.required_string("grant_type");
    let result = match grant.as_deref() {
        Some("password") => {
            let username = fields.required_string("username");
            let password = fields.required_string("password");
            username.zip(password.map(SecretString::from))
        }
        Some("client_credentials") => {
            let basic = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|value| Presented::parse(value.as_bytes()));
            match basic {
                Some(Presented::Basic { username, password }) => Some((username, password)),
                _ => {
                    let id = fields.optional_string("client_id").flatten();
                    let secret = fields.optional_string("client_secret").flatten();
                    match id.zip(secret) {
                        Some((id, secret)) => Some((id, SecretString::from(secret))),
                        None => return Err(ApiError::Unauthorized),
                    }
                }
            }
        }
        Some(_) => {
            let loc = fields.loc("grant_type");
            fields.problem(
                loc,
                "value_error",
                "grant_type must be client_credentials or password",
            );
            None
        }
        None => None,
    };
    fields.finish(|| result)
}

fn malformed_form() -> ApiError {
    ApiError::invalid(vec![json!("body")], "form_invalid", "Malformed form body")
}
