//! The links in registration emails: `GET /activate/{token}` and
//! `GET`/`POST /password-reset/{token}`. People open them in a browser, so they answer
//! small HTML pages; a client that asks for JSON (`Accept: application/json`) gets
//! `{"detail": …}` instead. Links are single-use and expire (7 days, 24 hours).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use tenantry_registration::Password;
use tenantry_registration::registration::{
    LinkError, activate, check_password_reset, complete_password_reset,
};
use tenantry_tenant::{Actor, RequestContext};

use crate::core::auth::caller::origin;
use crate::core::body::{RawBody, decode_form, decode_json_object, media_type};
use crate::core::error::ApiError;
use crate::core::routing::Resource;
use crate::core::state::AppState;

/// Registers the link routes; other methods on them answer the canonical 405.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            Resource::<ApiError>::new("/activate/{token}")
                .get(activation)
                .build(),
        )
        .service(
            Resource::<ApiError>::new("/password-reset/{token}")
                .get(reset_form)
                .post(reset)
                .build(),
        );
}

/// The link pages in the OpenAPI document.
pub fn openapi_paths() -> serde_json::Map<String, Value> {
    use crate::shared::openapi::{Described, add, operation};
    let mut paths = serde_json::Map::new();
    let activate = Described {
        summary: "Activate the account an emailed link names (HTML, or JSON when asked for)",
        security: &[],
        body: &[],
        query: &[],
        responses: &[
            (200, "Activated"),
            (404, "Unknown link"),
            (410, "Used or expired link"),
        ],
    };
    add(
        &mut paths,
        "/activate/{token}",
        "get",
        operation("/activate/{token}", &activate),
    );
    let form = Described {
        summary: "The password-reset form of an emailed link",
        security: &[],
        body: &[],
        query: &[],
        responses: &[
            (200, "The form"),
            (404, "Unknown link"),
            (410, "Used or expired link"),
        ],
    };
    add(
        &mut paths,
        "/password-reset/{token}",
        "get",
        operation("/password-reset/{token}", &form),
    );
    let reset = Described {
        summary: "Set a new password with an emailed link",
        security: &[],
        body: &["application/x-www-form-urlencoded", "application/json"],
        query: &[],
        responses: &[
            (200, "Changed"),
            (400, "Password refused by the tenant's policy"),
            (404, "Unknown link"),
            (410, "Used or expired link"),
        ],
    };
    add(
        &mut paths,
        "/password-reset/{token}",
        "post",
        operation("/password-reset/{token}", &reset),
    );
    paths
}

/// An answer as a page or as JSON, as the client prefers.
struct Answer {
    status: StatusCode,
    message: String,
    form: bool,
}

impl Answer {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            form: false,
        }
    }

    fn respond(self, request: &HttpRequest) -> HttpResponse {
        let wants_json = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| accept.contains("application/json"))
            || media_type(request).as_deref() == Some("application/json");
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        response.insert_header(("referrer-policy", "no-referrer"));
        if wants_json {
            return response.json(json!({ "detail": self.message }));
        }
        let form = if self.form {
            r#"<form method="post"><label>New password <input type="password" name="password" autocomplete="new-password" required></label> <button>Set password</button></form>"#
        } else {
            ""
        };
        response
            .content_type("text/html; charset=utf-8")
            .body(format!(
                "<!doctype html><meta charset=\"utf-8\"><title>tenantry</title><p>{}</p>{form}",
                escape(&self.message)
            ))
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn link_answer(error: LinkError) -> Result<Answer, ApiError> {
    Ok(match error {
        LinkError::Unknown => Answer::new(StatusCode::NOT_FOUND, "This link is not valid."),
        LinkError::Used => Answer::new(StatusCode::GONE, "This link was already used."),
        LinkError::Expired => Answer::new(StatusCode::GONE, "This link has expired."),
        LinkError::TenantClosed(status) => Answer::new(
            StatusCode::FORBIDDEN,
            format!("This site is {status}; the link cannot be used now."),
        ),
        LinkError::Password(violations) => {
            let mut answer = Answer::new(StatusCode::BAD_REQUEST, format!("The new {violations}."));
            answer.form = true;
            answer
        }
        LinkError::Repository(error) => return Err(error.into()),
    })
}

fn context(state: &AppState, request: &HttpRequest) -> RequestContext {
    let (request_id, source) = origin(request);
    RequestContext {
        actor: Actor::Anonymous,
        request_id,
        source,
        now: state.clock.now(),
    }
}

/// `GET /activate/{token}`
async fn activation(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let secret = path.into_inner();
    let context = context(&state, &request);
    let outcome = state
        .write(move |session| Ok(activate(session, &context, &secret)))
        .await?;
    let answer = match outcome {
        Ok(_) => Answer::new(
            StatusCode::OK,
            "Your account is active. You can sign in now.",
        ),
        Err(error) => link_answer(error)?,
    };
    Ok(answer.respond(&request))
}

/// `GET /password-reset/{token}`: the form, when the link is valid.
async fn reset_form(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let secret = path.into_inner();
    let now = state.clock.now();
    let checked = state
        .read(move |session| Ok(check_password_reset(session, &secret, now)))
        .await?;
    let answer = match checked {
        Ok(_) => {
            let mut answer = Answer::new(StatusCode::OK, "Choose your password.");
            answer.form = true;
            answer
        }
        Err(error) => link_answer(error)?,
    };
    Ok(answer.respond(&request))
}

/// `POST /password-reset/{token}` with `password` (form or JSON).
async fn reset(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    RawBody(bytes): RawBody,
) -> Result<HttpResponse, ApiError> {
    let secret = path.into_inner();
    let Some(password) = password_field(&request, &bytes) else {
        let mut answer = Answer::new(
            StatusCode::BAD_REQUEST,
            "Send the new password as \"password\".",
        );
        answer.form = true;
        return Ok(answer.respond(&request));
    };
    let now = state.clock.now();
    let check_secret = secret.clone();
    let checked = state
        .read(move |session| Ok(check_password_reset(session, &check_secret, now)))
        .await?;
    let policy = match checked {
        Ok((_, policy)) => policy,
        Err(error) => return Ok(link_answer(error)?.respond(&request)),
    };
    let password = match Password::parse(&password, &policy) {
        Ok(password) => password,
        Err(error) => return Ok(link_answer(LinkError::Password(error))?.respond(&request)),
    };
    let hash = state.hashing.hash(password.expose().into()).await?;
    let context = context(&state, &request);
    let outcome = state
        .write(move |session| Ok(complete_password_reset(session, &context, &secret, hash)))
        .await?;
    let answer = match outcome {
        Ok(_) => Answer::new(
            StatusCode::OK,
            "Your password is set and your account is active.",
        ),
        Err(error) => link_answer(error)?,
    };
    Ok(answer.respond(&request))
}

fn password_field(request: &HttpRequest, bytes: &[u8]) -> Option<String> {
    // A browser's form post is the usual case: anything but JSON is read as a form.
    let fields = match media_type(request).as_deref() {
        Some("application/json") => decode_json_object(bytes),
        _ => decode_form(bytes, &[]),
    };
    match fields.ok()?.remove("password")? {
        Value::String(password) => Some(password),
        _ => None,
    }
}
