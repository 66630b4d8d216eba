//! The one way every dialect registers a route: a [`Resource`] lists its methods and
//! answers any other method with the dialect's own 405 ([`MethodNotAllowed`]).
//!
//! ```ignore
//! config.service(Resource::<TahoeError>::new("/tahoe/api/v2/registrations/")
//!     .post(register_v2)
//!     .head(head)
//!     .build());
//! ```

use std::marker::PhantomData;

use actix_web::http::Method;

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
    resource: actix_web::Resource,
    error: PhantomData<fn() -> E>,
}

impl<E: MethodNotAllowed> Resource<E> {
    /// A resource at `path` (actix pattern syntax) that serves nothing yet.
    pub fn new(path: &str) -> Self {
        Self {
            resource: web::resource(path),
            error: PhantomData,
        }
    }

    /// Serves `method` with `route` (built with `web::route().to(handler)`).
    pub fn route(mut self, method: Method, route: Route) -> Self {
        self.resource = self.resource.route(route.method(method));
        self
    }

    /// Serves `GET` with `handler`.
    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, web::route().to(handler))
    }

    /// Serves `POST` with `handler`.
    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, web::route().to(handler))
    }

    /// Serves `HEAD` with `handler`.
    pub fn head<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::HEAD, web::route().to(handler))
    }

    /// Serves `DELETE` with `handler`.
    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::DELETE, web::route().to(handler))
    }

    /// The actix resource, answering every other method with `E`'s 405.
    pub fn build(self) -> actix_web::Resource {
        self.resource.default_service(web::to(refuse::<E>))
    }
}

impl MethodNotAllowed for ApiError {
    fn method_not_allowed(_method: &Method) -> Self {
        ApiError::MethodNotAllowed
    }
}

async fn refuse<E: MethodNotAllowed>(request: HttpRequest) -> Result<HttpResponse, E> {
    Err(E::method_not_allowed(request.method()))
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use actix_web::{App, test};

    use super::*;

    async fn ok() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[actix_web::test]
    async fn served_methods_answer_and_others_get_the_dialects_405() {
        let resource = Resource::<ApiError>::new("/thing").get(ok).post(ok);
        let app = test::init_service(App::new().service(resource.build())).await;
        for (method, status) in [
            (Method::GET, StatusCode::OK),
            (Method::POST, StatusCode::OK),
            (Method::PUT, StatusCode::METHOD_NOT_ALLOWED),
            (Method::DELETE, StatusCode::METHOD_NOT_ALLOWED),
        ] {
            let request = test::TestRequest::default()
                .method(method.clone())
                .uri("/thing")
                .to_request();
            let response = test::call_service(&app, request).await;
            assert_eq!(response.status(), status, "{method}");
        }
    }
}
