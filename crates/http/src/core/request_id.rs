//! Request ids: every response carries `X-Request-Id`, echoed when the client sent a
//! usable one, generated otherwise. Handlers read it from the request's extensions to put
//! it in audit events and logs.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};

use crate::core::repeats::Repeats;

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

    /// 32 hex digits: 64 random bits drawn once per process, then a per-process counter.
    /// Ids are distinct within a process and, with overwhelming likelihood, across
    /// processes and restarts; they are labels, not secrets, so one system call per
    /// process is enough (one per request cost more than the route lookup).
    fn generate() -> RequestId {
        use std::sync::atomic::{AtomicU64, Ordering};
        static PREFIX: OnceLock<u64> = OnceLock::new();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let prefix = *PREFIX.get_or_init(|| {
            let mut bytes = [0u8; 8];
            // Without randomness the ids are still distinct within this process.
            let _ = getrandom::fill(&mut bytes);
            u64::from_be_bytes(bytes)
        });
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&prefix.to_be_bytes());
        bytes[8..].copy_from_slice(&count.to_be_bytes());
        // Into a buffer, not `hex::encode`, which goes character by character.
        let mut digits = [0u8; 32];
        match hex::encode_to_slice(bytes, &mut digits) {
            Ok(()) => RequestId(String::from_utf8_lossy(&digits).into_owned()),
            Err(_) => RequestId(hex::encode(bytes)),
        }
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
    log_server_error(&id, &response);
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(response)
}

/// The same 5xx cause is logged at most once per this window.
const REPEAT_WINDOW: Duration = Duration::from_secs(10);

/// Logs why a request was answered 5xx, once, with its request id: the cause stays in
/// the log (errors never show it to clients). 503s are warnings, other 5xx errors. A cause
/// repeated request after request is written once per [`REPEAT_WINDOW`], with the count
/// of requests it was left out for.
fn log_server_error<B>(id: &RequestId, response: &ServiceResponse<B>) {
    let status = response.status();
    if !status.is_server_error() {
        return;
    }
    let Some(error) = response.response().error() else {
        return;
    };
    let level = if status == StatusCode::SERVICE_UNAVAILABLE {
        log::Level::Warn
    } else {
        log::Level::Error
    };
    static REPEATS: OnceLock<Repeats> = OnceLock::new();
    let line = format!("answering {}: {error}", status.as_u16());
    let repeats = REPEATS.get_or_init(|| Repeats::new(REPEAT_WINDOW));
    match repeats.admit(&line, Instant::now()) {
        None => {}
        Some(0) => log::log!(level, "{line} request_id={}", id.0),
        Some(left_out) => log::log!(
            level,
            "{line} request_id={} ({left_out} more like it in the last {} s were not logged)",
            id.0,
            REPEAT_WINDOW.as_secs()
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Mutex, OnceLock};

    use actix_web::middleware::from_fn;
    use actix_web::test::{TestRequest, call_service, init_service};
    use actix_web::{App, HttpResponse, web};

    use super::*;
    use crate::core::error::ApiError;

    /// Every log line of this test process.
    static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();

    struct Capture;

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }

        fn log(&self, record: &log::Record<'_>) {
            let line = format!("{} {}", record.level(), record.args());
            LINES.get_or_init(Mutex::default).lock().unwrap().push(line);
        }

        fn flush(&self) {}
    }

    #[actix_web::test]
    async fn server_errors_are_logged_with_their_cause_and_request_id() {
        static CAPTURE: Capture = Capture;
        let _ = log::set_logger(&CAPTURE);
        log::set_max_level(log::LevelFilter::Trace);
        async fn failing() -> Result<HttpResponse, ApiError> {
            Err(ApiError::Internal("disk on fire".into()))
        }
        let app = init_service(
            App::new()
                .wrap(from_fn(attach))
                .route("/", web::get().to(failing)),
        )
        .await;
        let request = TestRequest::get()
            .uri("/")
            .insert_header((REQUEST_ID_HEADER, "trace-500-7"))
            .to_request();
        let response = call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let lines = LINES.get_or_init(Mutex::default).lock().unwrap().clone();
        let ours: Vec<&String> = lines
            .iter()
            .filter(|line| line.contains("trace-500-7"))
            .collect();
        assert_eq!(
            ours,
            ["ERROR answering 500: internal error: disk on fire request_id=trace-500-7"]
        );
    }

    #[actix_web::test]
    async fn a_cause_repeated_request_after_request_is_logged_once() {
        static CAPTURE: Capture = Capture;
        let _ = log::set_logger(&CAPTURE);
        log::set_max_level(log::LevelFilter::Trace);
        async fn away() -> Result<HttpResponse, ApiError> {
            Err(ApiError::Unavailable(
                "the disk is full (repeat test)".into(),
            ))
        }
        let app = init_service(
            App::new()
                .wrap(from_fn(attach))
                .route("/", web::get().to(away)),
        )
        .await;
        for _ in 0..5 {
            let response = call_service(&app, TestRequest::get().uri("/").to_request()).await;
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        }
        let lines = LINES.get_or_init(Mutex::default).lock().unwrap().clone();
        let ours = lines
            .iter()
            .filter(|line| line.contains("(repeat test)"))
            .count();
        assert_eq!(ours, 1, "{lines:?}");
    }

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
