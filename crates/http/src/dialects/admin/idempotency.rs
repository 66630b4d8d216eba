//! `Idempotency-Key` on creating requests: the first response for a key is stored with
//! the change, in the same transaction; a retry with the same key and body gets that
//! response again (marked `Idempotent-Replayed: true`); the same key with another body
//! is a 422. Keys are private to their actor and expire after 24 hours.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tenantry_tenant::{IdempotentResponse, RequestContext};

use crate::core::error::ApiError;
use crate::core::storage::Session;
use crate::shared::conditional::etag;

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header on a replay.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long a key is remembered.
pub const KEY_LIFETIME_HOURS: i64 = 24;
/// The longest key accepted.
const MAX_KEY_LENGTH: usize = 255;

/// A request that carried a key.
#[derive(Debug, Clone)]
pub struct Request {
    actor: String,
    key: String,
    fingerprint: String,
    now: DateTime<Utc>,
}

/// The response to give: fresh from the change, or replayed from the store.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    body: String,
    version: Option<i64>,
    replayed: bool,
}

impl Reply {
    /// A response produced by this request.
    pub fn fresh(status: u16, body: String, version: i64) -> Self {
        Self {
            status,
            body,
            version: Some(version),
            replayed: false,
        }
    }

    /// The HTTP response.
    pub fn respond(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut builder = HttpResponse::build(status);
        builder.content_type("application/json");
        if let Some(version) = self.version {
            builder.insert_header((header::ETAG, etag(version)));
        }
        if self.replayed {
            builder.insert_header((HeaderName::from_static(REPLAYED), "true"));
        }
        builder.body(self.body.clone())
    }
}

impl Request {
    /// The key of `request`, if it has one, bound to the caller and the body.
    pub fn from_headers(
        request: &HttpRequest,
        context: &RequestContext,
        body: &Map<String, Value>,
    ) -> Result<Option<Self>, ApiError> {
        let Some(value) = request.headers().get(IDEMPOTENCY_KEY) else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .ok()
            .filter(|key| !key.is_empty() && key.len() <= MAX_KEY_LENGTH)
            .ok_or_else(|| {
                ApiError::invalid(
                    vec![Value::from("header"), Value::from("Idempotency-Key")],
                    "value_error",
                    "Idempotency-Key must be 1 to 255 visible ASCII characters",
                )
            })?;
        let mut digest = Sha256::new();
        digest.update(request.method().as_str().as_bytes());
        digest.update(b" ");
        digest.update(request.path().as_bytes());
        digest.update(b"\n");
        // serde_json's map is ordered by key, so equal bodies serialise identically.
        digest.update(Value::Object(body.clone()).to_string().as_bytes());
        let fingerprint = hex::encode(digest.finalize());
        Ok(Some(Self {
            actor: context.actor.to_string(),
            key: key.to_owned(),
            fingerprint,
            now: context.now,
        }))
    }

    /// The stored response for this key, if any; the key used with another request is a
    /// 422.
    pub fn find(&self, session: &mut dyn Session) -> Result<Option<Reply>, ApiError> {
        let Some(stored) = session.find_response(&self.actor, &self.key, self.expired_before())?
        else {
            return Ok(None);
        };
        if stored.fingerprint != self.fingerprint {
            return Err(ApiError::invalid(
                vec![Value::from("header"), Value::from("Idempotency-Key")],
                "value_error",
                "This Idempotency-Key was already used with a different request",
            ));
        }
        let version = serde_json::from_str::<Value>(&stored.body)
            .ok()
            .and_then(|body| body.get("version").and_then(Value::as_i64));
        Ok(Some(Reply {
            status: stored.status,
            body: stored.body,
            version,
            replayed: true,
        }))
    }

    /// Stores `reply` as the answer for this key.
    pub fn remember(&self, session: &mut dyn Session, reply: &Reply) -> Result<(), ApiError> {
        session.remember_response(
            &IdempotentResponse {
                actor: self.actor.clone(),
                key: self.key.clone(),
                fingerprint: self.fingerprint.clone(),
                status: reply.status,
                body: reply.body.clone(),
                created_at: self.now,
            },
            self.expired_before(),
        )?;
        Ok(())
    }

    fn expired_before(&self) -> DateTime<Utc> {
        self.now - Duration::hours(KEY_LIFETIME_HOURS)
    }
}
