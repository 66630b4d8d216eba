//! The one way every dialect registers a route: a [`Resource`] lists its methods, serves
//! `HEAD` wherever it serves `GET` (the GET handler's headers, no body: actix leaves the
//! body out of a response to HEAD), and answers any other method with the dialect's own
//! 405 ([`MethodNotAllowed`]) carrying `Allow` (RFC 9110 §15.5.6).
//!
//! ```ignore
//! config.service(Resource::<TahoeError>::new("/tahoe/api/v2/registrations/")
//!     .post(register_v2)
//!     .head(head)
//!     .build());
//! ```

use std::marker::PhantomData;

use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};

use crate::core::error::ApiError;
use actix_web::{
    FromRequest, Handler, HttpRequest, HttpResponse, Responder, ResponseError, Route, web,
};

/// How a dialect's error type answers a method its resource does not serve.
pub trait MethodNotAllowed: ResponseError + 'static {
    /// The error for a request that used `method` on a resource that does not serve it.
    fn method_not_allowed(method: &Method) -> Self;
}

/// A path with the methods it serves; other methods get `E`'s 405.
pub struct Resource<E> {
    /// The path pattern, as registered (kept for the route catalogue of tests).
    #[cfg(test)]
    path: String,
    resource: actix_web::Resource,
    /// The methods served, in the order they were added.
    methods: Vec<Method>,
    /// `HEAD` served by the `GET` handler, added at [`build`](Self::build) unless a
    /// handler of its own was given.
    head_of_get: Option<Route>,
    error: PhantomData<fn() -> E>,
}

impl<E: MethodNotAllowed> Resource<E> {
    /// A resource at `path` (actix pattern syntax) that serves nothing yet.
    pub fn new(path: &str) -> Self {
        Self {
            #[cfg(test)]
            path: path.to_owned(),
            resource: web::resource(path),
            methods: Vec::new(),
            head_of_get: None,
            error: PhantomData,
        }
    }

    /// Serves `method` with the route `make` builds (`|| web::route().to(handler)`); for
    /// `GET`, `HEAD` too, with a second route from `make`.
    pub fn route(mut self, method: Method, make: impl Fn() -> Route) -> Self {
        if method == Method::GET {
            self.head_of_get = Some(make().method(Method::HEAD));
        }
        self.resource = self.resource.route(make().method(method.clone()));
        self.methods.push(method);
        self
    }

    /// Serves `GET` (and `HEAD`) with `handler`.
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, move || web::route().to(handler.clone()))
    }

    /// Serves `POST` with `handler`.
    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, move || web::route().to(handler.clone()))
    }

    /// Serves `HEAD` with `handler` (instead of the `GET` handler).
    pub fn head<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::HEAD, move || web::route().to(handler.clone()))
    }

    /// Serves `DELETE` with `handler`.
    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::DELETE, move || web::route().to(handler.clone()))
    }

    /// The actix resource, answering every other method with `E`'s 405 and `Allow`.
    pub fn build(mut self) -> actix_web::Resource {
        if let Some(head) = self.head_of_get.take()
            && !self.methods.contains(&Method::HEAD)
        {
            self.resource = self.resource.route(head);
            let after_get = self
                .methods
                .iter()
                .position(|method| method == Method::GET)
                .map_or(self.methods.len(), |at| at + 1);
            self.methods.insert(after_get, Method::HEAD);
        }
        let allow = allow_value(&self.methods);
        #[cfg(test)]
        BUILT.with(|built| {
            built
                .borrow_mut()
                .push((self.path.clone(), self.methods.clone()));
        });
        self.resource
            .default_service(web::to(move |request: HttpRequest| {
                let allow = allow.clone();
                async move { refuse::<E>(&request, allow) }
            }))
    }
}

#[cfg(test)]
thread_local! {
    /// Every resource built on this thread: its path and methods (for the test that the
    /// OpenAPI document describes every route).
    static BUILT: std::cell::RefCell<Vec<(String, Vec<Method>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The resources built on this thread so far, with their methods.
#[cfg(test)]
pub(crate) fn built_here() -> Vec<(String, Vec<Method>)> {
    BUILT.with(|built| built.borrow().clone())
}

/// The `Allow` value listing `methods`: `GET, HEAD, POST`.
fn allow_value(methods: &[Method]) -> HeaderValue {
    let names: Vec<&str> = methods.iter().map(Method::as_str).collect();
    HeaderValue::from_str(&names.join(", ")).unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl MethodNotAllowed for ApiError {
    fn method_not_allowed(_method: &Method) -> Self {
        ApiError::MethodNotAllowed
    }
}

/// The dialect's 405 for `request`, with `Allow`.
fn refuse<E: MethodNotAllowed>(request: &HttpRequest, allow: HeaderValue) -> HttpResponse {
    let mut response = E::method_not_allowed(request.method()).error_response();
    response.headers_mut().insert(header::ALLOW, allow);
    response
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::{App, test};

    use super::*;

    async fn ok() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    async fn head_only() -> HttpResponse {
        HttpResponse::NoContent().finish()
    }

    async fn status_and_allow(
        resource: Resource<ApiError>,
        method: Method,
    ) -> (StatusCode, Option<String>) {
        let app = test::init_service(App::new().service(resource.build())).await;
        let request = test::TestRequest::default()
            .method(method)
            .uri("/thing")
            .to_request();
        let response = test::call_service(&app, request).await;
        let allow = response
            .headers()
            .get(header::ALLOW)
            .map(|value| value.to_str().unwrap().to_owned());
        (response.status(), allow)
    }

    #[actix_web::test]
    async fn served_methods_answer_and_others_get_the_dialects_405_with_allow() {
        let resource = || Resource::<ApiError>::new("/thing").get(ok).post(ok);
        for (method, status) in [
            (Method::GET, StatusCode::OK),
            (Method::HEAD, StatusCode::OK),
            (Method::POST, StatusCode::OK),
        ] {
            assert_eq!(
                status_and_allow(resource(), method.clone()).await,
                (status, None),
                "{method}"
            );
        }
        for method in [Method::PUT, Method::DELETE, Method::PATCH, Method::OPTIONS] {
            assert_eq!(
                status_and_allow(resource(), method.clone()).await,
                (
                    StatusCode::METHOD_NOT_ALLOWED,
                    Some("GET, HEAD, POST".to_owned())
                ),
                "{method}"
            );
        }
    }

    #[actix_web::test]
    async fn a_head_handler_of_its_own_replaces_the_get_handler_for_head() {
        let resource = || Resource::<ApiError>::new("/thing").get(ok).head(head_only);
        assert_eq!(
            status_and_allow(resource(), Method::HEAD).await,
            (StatusCode::NO_CONTENT, None)
        );
        let post_only = Resource::<ApiError>::new("/thing").post(ok).head(head_only);
        assert_eq!(
            status_and_allow(post_only, Method::GET).await,
            (
                StatusCode::METHOD_NOT_ALLOWED,
                Some("POST, HEAD".to_owned())
            )
        );
    }
}
