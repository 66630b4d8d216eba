//! Request ids: every response carries `X-Request-Id`, echoed when the client sent a
//! usable one, generated otherwise. Handlers read it from the request's extensions to put
//! it in audit events and logs.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

/// The header name, lower-cased as HTTP/2 wants it.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest client-sent id that is echoed; longer ones are replaced.
const MAX_LENGTH: usize = 128;

/// The id of the request being served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The client's id when it is 1–128 visible ASCII characters, else a fresh one.
    fn from_client(value: Option<&HeaderValue>) -> RequestId {
        value
            .and_then(|value| value.to_str().ok())
            .filter(|text| !text.is_empty() && text.len() <= MAX_LENGTH)
            .filter(|text| text.bytes().all(|byte| byte.is_ascii_graphic()))
            .map(|text| RequestId(text.to_owned()))
            .unwrap_or_else(RequestId::generate)
    }

    /// 128 random bits as 32 hex digits. Should the OS refuse randomness, a per-process
    /// counter still keeps ids distinct within this process.
    fn generate() -> RequestId {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            use std::sync::atomic::{AtomicU64, Ordering};
            static FALLBACK: AtomicU64 = AtomicU64::new(0);
            let count = FALLBACK.fetch_add(1, Ordering::Relaxed);
            bytes[..8].copy_from_slice(&count.to_be_bytes());
        }
        RequestId(hex::encode(bytes))
    }
}

/// Middleware: attaches the [`RequestId`] to the request and the response header.
pub(crate) async fn attach(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = RequestId::from_client(request.headers().get(REQUEST_ID_HEADER));
    request.extensions_mut().insert(id.clone());
    let mut response = next.call(request).await?;
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usable_client_ids_are_kept() {
        let value = HeaderValue::from_static("abc-123");
        assert_eq!(RequestId::from_client(Some(&value)).0, "abc-123");
    }

    #[test]
    fn unusable_client_ids_are_replaced() {
        let long = HeaderValue::from_str(&"x".repeat(MAX_LENGTH + 1)).unwrap();
        let spaced = HeaderValue::from_static("a b");
        for value in [Some(&long), Some(&spaced), None] {
            let id = RequestId::from_client(value).0;
            assert_eq!(id.len(), 32);
            assert!(id.bytes().all(|byte| byte.is_ascii_hexdigit()));
        }
    }

    #[test]
    fn generated_ids_differ() {
        assert_ne!(RequestId::generate(), RequestId::generate());
    }
}
