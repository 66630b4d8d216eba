//! The middleware that counts and times every response.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use super::Metrics;

/// Middleware: records every response in the `web::Data<Metrics>` registered on the app,
/// `App::new().app_data(metrics).wrap(from_fn(metrics::record))`. Wrapped first it times
/// routing and handlers only; wrapped last (outermost) it also times the other middleware
/// and sees any status they change.
///
/// The route label is the pattern routing matched (`HttpRequest::match_pattern`), or
/// `unmatched`. An error returned by an inner service (say, a scope's auth middleware) is
/// counted with the status it turns into, [`ResponseError::status_code`]; its route is
/// then the pattern the path matches, computed before the call because the request is
/// gone afterwards. The time is measured until the response head is ready; streaming a
/// body afterwards is not included.
///
/// Without `web::Data<Metrics>` requests pass through unrecorded and one warning is
/// logged.
///
/// [`ResponseError::status_code`]: actix_web::ResponseError::status_code
pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(metrics) = request.app_data::<web::Data<Metrics>>().cloned() else {
        warn_unregistered();
        return next.call(request).await;
    };
    let method = request.method().clone();
    // Routing has not run yet, so `match_pattern` would not know; the resource map can
    // still say which pattern the path matches. Used only if the call fails.
    let path_pattern = request.resource_map().match_pattern(request.path());
    let started = Instant::now();
    let result = next.call(request).await;
    let elapsed = started.elapsed();
    match &result {
        Ok(response) => {
            let route = response.request().match_pattern();
            metrics.observe(&method, route, response.status(), elapsed);
        }
        Err(error) => {
            let status = error.as_response_error().status_code();
            metrics.observe(&method, path_pattern, status, elapsed);
        }
    }
    result
}

fn warn_unregistered() {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        log::warn!("metrics::record is wrapped but no web::Data<Metrics> is registered");
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::BoxBody;
    use actix_web::dev::Service as _;
    use actix_web::error::ErrorUnauthorized;
    use actix_web::http::StatusCode;
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test};

    use super::*;
    use crate::core::error::ApiError;

    async fn ok() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    async fn unavailable() -> Result<HttpResponse, ApiError> {
        Err(ApiError::Unavailable("database down".into()))
    }

    /// A resource middleware that fails instead of answering, as auth would.
    async fn deny(
        _request: ServiceRequest,
        _next: Next<impl MessageBody>,
    ) -> Result<ServiceResponse<BoxBody>, Error> {
        Err(ErrorUnauthorized("no credentials"))
    }

    fn counter(method: &str, route: &str, status: u16) -> String {
        format!(
            r#"tenantry_http_requests_total{{method="{method}",route="{route}",status="{status}"}} "#
        )
    }

    fn value_of(text: &str, prefix: &str) -> Option<u64> {
        let line = text.lines().find(|line| line.starts_with(prefix))?;
        line[prefix.len()..].parse().ok()
    }

    #[actix_web::test]
    async fn responses_are_counted_by_route_pattern_and_status() {
        let metrics = web::Data::new(Metrics::new());
        let app = test::init_service(
            App::new()
                .app_data(metrics.clone())
                .wrap(from_fn(record))
                .service(web::resource("/tenants/{tenant_id}").route(web::get().to(ok)))
                .route("/ready", web::get().to(unavailable))
                .service(
                    web::resource("/locked")
                        .route(web::get().to(ok))
                        .wrap(from_fn(deny)),
                ),
        )
        .await;

        for (path, status) in [
            ("/tenants/1", StatusCode::OK),
            ("/tenants/2", StatusCode::OK),
            ("/ready", StatusCode::SERVICE_UNAVAILABLE),
            ("/no/such/path", StatusCode::NOT_FOUND),
        ] {
            let response =
                test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
            assert_eq!(response.status(), status, "{path}");
        }
        let denied = app
            .call(test::TestRequest::get().uri("/locked").to_request())
            .await;
        assert!(
            denied.is_err(),
            "the error reaches the middleware as an error"
        );
        let post = test::TestRequest::post().uri("/tenants/3").to_request();
        assert_eq!(
            test::call_service(&app, post).await.status(),
            StatusCode::METHOD_NOT_ALLOWED
        );

        let text = metrics.render(&[]);
        let count = |method, route, status| value_of(&text, &counter(method, route, status));
        assert_eq!(count("GET", "/tenants/{tenant_id}", 200), Some(2), "{text}");
        assert_eq!(
            count("POST", "/tenants/{tenant_id}", 405),
            Some(1),
            "{text}"
        );
        assert_eq!(count("GET", "/ready", 503), Some(1), "{text}");
        assert_eq!(count("GET", "/locked", 401), Some(1), "{text}");
        assert_eq!(count("GET", "unmatched", 404), Some(1), "{text}");
        assert!(
            !text.contains("/tenants/1"),
            "raw paths never become labels"
        );
        let histogram_count = r#"tenantry_http_request_duration_seconds_count{method="GET",route="/tenants/{tenant_id}"} "#;
        assert_eq!(value_of(&text, histogram_count), Some(2), "{text}");
        assert_eq!(text.matches("_count{").count(), 5, "{text}");
    }

    #[actix_web::test]
    async fn without_a_registry_requests_pass_through() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(record))
                .route("/ready", web::get().to(ok)),
        )
        .await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/ready").to_request()).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
}
