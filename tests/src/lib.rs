//! Test harness: a real tenantry server on a free port over its own database.
//!
//! Each test spawns its own [`TestApp`] on a fresh database ([`TestDatabase`]); nothing is
//! shared between tests. [`on_both_backends!`] runs one async test body on SQLite and on
//! PostgreSQL (the latter is skipped, saying so, when `TENANTRY_TEST_POSTGRES_URL` is unset).
//!
//! The app runs its outbox delivery worker (polling every 100 ms). Without an SMTP URL it
//! only logs emails; point it at an in-process [`smtp::SmtpSink`] to read what was sent:
//! `TestApp::spawn_with(database, |config| sink.configure(config))`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: a failure is a test failure"
)]

pub mod lms;
#[cfg(test)]
mod outbox_delivery;
pub mod process;
pub mod proxy;
pub mod receiver;
pub mod smtp;
pub mod wire;

use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, StatusCode};
use serde_json::Value;
use tenantry::config::ServerConfig;
use tenantry::startup::Workers;
pub use tenantry_store::testing::TestDatabase;

/// The first operator's password in every test app.
pub const ADMIN_PASSWORD: &str = "test-admin-password-1";

/// How often a test app's delivery worker looks at the outbox.
pub const MAIL_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A running server and the database under it.
pub struct TestApp {
    /// The background workers (outbox delivery, webhook deliveries, the eox-tenant sync
    /// when configured). Declared first so that they stop (on drop) before the database
    /// goes away.
    workers: Option<Workers>,
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// The database the server uses; dropped (deleted) with the app.
    pub database: TestDatabase,
    /// An HTTP client.
    pub client: awc::Client,
    handle: ServerHandle,
}

/// A response read whole: status, headers, and the body as JSON (`Value::Null` if empty
/// or not JSON) and as text.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
    pub text: String,
}

impl Reply {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

impl TestApp {
    /// Starts a server over `database` with the test configuration.
    pub async fn spawn(database: TestDatabase) -> TestApp {
        Self::spawn_with(database, |_| {}).await
    }

    /// Starts a server over `database` after `customise` has adjusted its configuration.
    pub async fn spawn_with(
        database: TestDatabase,
        customise: impl FnOnce(&mut ServerConfig),
    ) -> TestApp {
        let mut config = ServerConfig::new(database.url(), "127.0.0.1:0".parse().unwrap());
        config.http.workers = Some(2);
        config.first_operator.password = Some(ADMIN_PASSWORD.into());
        config.mail_poll_interval = MAIL_POLL_INTERVAL;
        config.tenant_database_namespace = Some(database.tenant_namespace());
        customise(&mut config);
        let server = tenantry::startup::build(config)
            .await
            .expect("the app starts");
        let address = format!("http://127.0.0.1:{}", server.port());
        let handle = server.handle();
        let (application, workers) = server.into_parts();
        actix_web::rt::spawn(application.run_until_stopped());
        TestApp {
            workers: Some(workers),
            address,
            database,
            client: awc::Client::default(),
            handle,
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends a prepared request and reads the whole reply.
    pub async fn send(&self, request: awc::ClientRequest) -> Reply {
        let mut response = request.send().await.expect("the server answers");
        read(&mut response).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path))).await
    }

    /// A request with the first operator's Basic credentials.
    pub fn operator(&self, method: Method, path: &str) -> awc::ClientRequest {
        self.client
            .request(method, self.url(path))
            .basic_auth("admin", ADMIN_PASSWORD)
    }

    /// A request with `Authorization: Bearer <token>`.
    pub fn bearer(&self, method: Method, path: &str, token: &str) -> awc::ClientRequest {
        self.client
            .request(method, self.url(path))
            .insert_header(("Authorization", format!("Bearer {token}")))
    }

    /// Sends `request` with a JSON body and reads the whole reply.
    pub async fn send_json(&self, request: awc::ClientRequest, body: &Value) -> Reply {
        let mut response = request.send_json(body).await.expect("the server answers");
        read(&mut response).await
    }

    /// Creates a tenant as the operator; panics unless it answers 201.
    pub async fn create_tenant(&self, body: Value) -> Value {
        let reply = self
            .send_json(self.operator(Method::POST, "/api/v1/admin/tenants/"), &body)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json
    }

    /// Issues an operator API token; returns its secret.
    pub async fn admin_token(&self) -> String {
        let reply = self
            .send_json(
                self.operator(Method::POST, "/api/v1/admin/tokens"),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json["token"].as_str().unwrap().to_owned()
    }

    /// Stops the server gracefully, then its delivery worker, and waits until both have.
    pub async fn stop(self) {
        self.stop_and_keep_database().await;
    }

    /// Stops the server and its delivery worker and hands back the database, to start
    /// another server over it.
    pub async fn stop_and_keep_database(mut self) -> TestDatabase {
        self.handle.stop(true).await;
        self.stop_worker().await;
        self.database
    }

    /// Stops the background workers and waits until they have; the HTTP server goes on.
    /// Emails and webhook deliveries queued from now on wait in the database.
    pub async fn stop_worker(&mut self) {
        if let Some(worker) = self.workers.take() {
            actix_web::rt::task::spawn_blocking(move || worker.stop())
                .await
                .expect("the delivery worker stops");
        }
    }

    /// Runs `work` on a connection pool of its own to the app's database, on the blocking
    /// pool: a change made behind the server's back, as another node or the CLI would.
    pub async fn behind_the_server<T: Send + 'static>(
        &self,
        work: impl FnOnce(&tenantry_store::Database) -> T + Send + 'static,
    ) -> T {
        let url = self.database.url();
        actix_web::web::block(move || {
            let database =
                tenantry_store::Database::connect(&url, tenantry_store::PoolOptions::default())
                    .expect("the test database opens");
            work(&database)
        })
        .await
        .expect("the work ran")
    }

    /// The server handle, to stop it from a test.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }
}

async fn read<S>(response: &mut awc::ClientResponse<S>) -> Reply
where
    S: futures_core::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let body = response
        .body()
        .limit(16 * 1024 * 1024)
        .await
        .expect("a readable body");
    let text = String::from_utf8_lossy(&body).into_owned();
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        text,
    }
}

/// Runs each named `async fn(TestDatabase)` as two tests, `<name>::sqlite` and
/// `<name>::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::TestDatabase::sqlite()).await;
            }

            #[actix_web::test]
            #[cfg_attr(not(tenantry_postgres), ignore = "TENANTRY_TEST_POSTGRES_URL is unset")]
            async fn postgres() {
                if let Some(database) = $crate::TestDatabase::postgres() {
                    super::$name(database).await;
                }
            }
        }
    )*};
}

/// Whether the tenant database at `url` (as the hosting API's create returned it) exists:
/// an SQLite file, or a PostgreSQL database its role can log in to.
pub fn tenant_database_exists(url: &str) -> bool {
    use diesel::Connection;
    match url.strip_prefix("sqlite://") {
        Some(path) => std::path::Path::new(path).exists(),
        None => diesel::PgConnection::establish(url).is_ok(),
    }
}
