//! What every handler shares: storage, configuration, caches and limiters.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use secrecy::{ExposeSecret, SecretSlice};
use serde_json::Value;
use tenantry_registration::{ApiToken, OperatorAccount, RequestRate, TokenDigest};
use tenantry_tenant::Clock;
use tenantry_tenant::provisioning::DatabaseProvisioner;
use tenantry_tenant::urls::UrlConfig;

use crate::core::auth::{JwtKeys, LoginLimiter, Recent, TrustedProxies, VerifiedPasswords};
use crate::core::error::ApiError;
use crate::core::hashing::HashPool;
use crate::core::limits::{LimiterConfig, MonotonicClock};
use crate::core::metrics::Metrics;
use crate::core::resolve_cache::ResolveCache;
use crate::core::storage::{Session, Storage, in_transaction, reading};

/// How the API behaves: the settings the binary reads and hands over.
#[derive(Clone)]
pub struct ApiConfig {
    /// How tenant URLs are generated.
    pub urls: UrlConfig,
    /// The key JWTs are signed with (at least 32 bytes).
    pub jwt_secret: SecretSlice<u8>,
    /// How long an issued JWT is valid.
    pub jwt_lifetime: Duration,
    /// How long a verified Basic credential pair is remembered.
    pub password_cache_ttl: Duration,
    /// The longest time a host resolution may be served after another node changed it.
    pub resolve_staleness: Duration,
    /// The longest time an API token or operator account read from the database may be
    /// used after another node changed it (a revoked token, a new password).
    pub credential_staleness: Duration,
    /// Failed password checks of one account from one source address in a burst before
    /// 429 (a source gets five times as many over all accounts).
    pub login_burst: u32,
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// Tahoe requests one token may make in any 60 seconds before 429 (counted in the
    /// database, so shared by every node).
    pub registrations_per_minute: u32,
    /// The base of emailed links (`https://accounts.example.com`); `None` uses the
    /// tenant's primary domain.
    pub public_url: Option<String>,
    /// Makes and drops tenants' own databases.
    pub provisioner: Arc<dyn DatabaseProvisioner>,
    /// The source of "now".
    pub clock: Arc<dyn Clock>,
    /// The source of monotonic time for rate limits and caches.
    pub monotonic_clock: Arc<dyn MonotonicClock>,
    /// Whether this node keeps an Open edX database's eox-tenant tables in sync.
    pub eox_sync_enabled: bool,
    /// Whether webhook endpoints may target loopback, private and link-local addresses.
    pub webhooks_allow_private: bool,
}

impl std::fmt::Debug for ApiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiConfig")
            .field("urls", &self.urls)
            .field("jwt_secret", &self.jwt_secret)
            .field("jwt_lifetime", &self.jwt_lifetime)
            .finish_non_exhaustive()
    }
}

/// A JSON answer serialized once and sent as is while cached: the resolve and list caches
/// hold these (a host's summary is ~150 bytes this way; as a `serde_json::Value` it was
/// ~1 KB and was serialized again for every hit).
pub type CachedJson = web::Bytes;

/// `value` serialized, for a cache.
pub fn cached_json(value: &Value) -> CachedJson {
    web::Bytes::from(value.to_string())
}

/// A 200 answer with a cached JSON body (the same headers as `HttpResponse::json`).
pub fn cached_json_response(body: CachedJson) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(ContentType::json())
        .body(body)
}

/// Shared by every worker; handlers get it as `web::Data<AppState>`.
pub struct AppState {
    /// Storage.
    pub backend: Arc<dyn Storage>,
    /// URL generation.
    pub urls: UrlConfig,
    /// Password hashing (argon2id) on a fixed set of threads with a bounded queue.
    pub hashing: HashPool,
    /// The longest a request waits for the database before answering 503.
    pub database_timeout: Duration,
    /// When a write last failed for want of the database (full disk, unreachable), so
    /// that `/ready` reports not-ready while writes fail even if reads still work.
    pub write_failed_at: Mutex<Option<Instant>>,
    /// Operator credential pairs verified recently.
    pub passwords: VerifiedPasswords,
    /// API tokens by digest, as recently read (found or not).
    pub tokens: Recent<TokenDigest, Option<ApiToken>>,
    /// Operator accounts by name, as recently read (found or not).
    pub operators: Recent<String, Option<OperatorAccount>>,
    /// JWT signing and checking.
    pub jwt: JwtKeys,
    /// How long an issued JWT is valid.
    pub jwt_lifetime: Duration,
    /// Password-guessing and wrong-token limits.
    pub logins: LoginLimiter,
    /// Peers whose forwarding headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// Host → tenant answers.
    pub resolutions: ResolveCache<CachedJson>,
    /// Tenant list pages (the canonical API's JSON) by query, under the same routing
    /// version and staleness bound as `resolutions`.
    pub listings: ResolveCache<CachedJson>,
    /// Request counters and latencies.
    pub metrics: Arc<Metrics>,
    /// Tahoe requests per token: DRF's sliding window, counted in the database.
    pub registration_rate: RequestRate,
    /// The base of emailed links, when configured.
    pub public_url: Option<String>,
    /// Makes and drops tenants' own databases.
    pub provisioner: Arc<dyn DatabaseProvisioner>,
    /// The source of "now".
    pub clock: Arc<dyn Clock>,
    /// The source of monotonic time for rate limits and caches.
    pub monotonic_clock: Arc<dyn MonotonicClock>,
    /// Whether this node keeps an Open edX database's eox-tenant tables in sync.
    pub eox_sync_enabled: bool,
    /// Whether webhook endpoints may target loopback, private and link-local addresses.
    pub webhooks_allow_private: bool,
}

impl AppState {
    /// State over `backend` configured by `config`, hashing on `hashing`, waiting at most
    /// `database_timeout` for the database.
    pub fn new(
        backend: Arc<dyn Storage>,
        config: ApiConfig,
        hashing: HashPool,
        database_timeout: Duration,
    ) -> Result<Self, String> {
        let jwt =
            JwtKeys::new(config.jwt_secret.expose_secret()).map_err(|error| error.to_string())?;
        Ok(Self {
            backend,
            urls: config.urls,
            hashing,
            database_timeout,
            write_failed_at: Mutex::new(None),
            passwords: VerifiedPasswords::new(config.password_cache_ttl, 10_000),
            tokens: Recent::new(config.credential_staleness),
            operators: Recent::new(config.credential_staleness),
            jwt,
            jwt_lifetime: config.jwt_lifetime,
            logins: LoginLimiter::new(
                LimiterConfig {
                    burst: std::num::NonZeroU32::new(config.login_burst)
                        .ok_or("the login burst must be at least 1")?,
                    ..LimiterConfig::default()
                },
                Arc::clone(&config.monotonic_clock),
            ),
            trusted_proxies: config.trusted_proxies,
            resolutions: ResolveCache::new(config.resolve_staleness, 100_000),
            // A page is ~1 KB per tenant: 256 pages of 20 stay within a few MiB.
            listings: ResolveCache::new(config.resolve_staleness, 256),
            metrics: Arc::new(Metrics::new()),
            registration_rate: RequestRate {
                limit: config.registrations_per_minute,
                window: chrono::Duration::seconds(60),
            },
            public_url: config.public_url,
            provisioner: config.provisioner,
            clock: config.clock,
            monotonic_clock: config.monotonic_clock,
            eox_sync_enabled: config.eox_sync_enabled,
            webhooks_allow_private: config.webhooks_allow_private,
        })
    }

    /// Runs `work` in one transaction on the blocking pool; 503 when the database has not
    /// answered within [`AppState::database_timeout`] (the work may still commit later).
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Session) -> Result<T, ApiError> + Send + 'static,
    {
        let backend = Arc::clone(&self.backend);
        let result = self
            .bounded(web::block(move || in_transaction(backend.as_ref(), work)))
            .await;
        let failed = matches!(result, Err(ApiError::Unavailable(_)));
        let mut failed_at = self
            .write_failed_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if failed {
            *failed_at = Some(Instant::now());
        } else if result.is_ok() {
            *failed_at = None;
        }
        result
    }

    /// Whether a write failed for want of the database within `window`.
    pub fn writes_failing(&self, window: Duration) -> bool {
        self.write_failed_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < window)
    }

    /// Awaits database work for at most [`AppState::database_timeout`]. A frozen server
    /// still acknowledges TCP, so nothing below this notices it in time.
    async fn bounded<T>(
        &self,
        work: impl Future<Output = Result<Result<T, ApiError>, actix_web::error::BlockingError>>,
    ) -> Result<T, ApiError> {
        match actix_web::rt::time::timeout(self.database_timeout, work).await {
            Ok(done) => done?,
            Err(_) => Err(ApiError::Unavailable(format!(
                "the database did not answer within {} ms",
                self.database_timeout.as_millis()
            ))),
        }
    }

    /// Like [`AppState::write`] for changes to tenants or domains: once committed, this
    /// node forgets every cached host resolution and list page, so it never serves its own
    /// stale data.
    pub async fn change<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Session) -> Result<T, ApiError> + Send + 'static,
    {
        let result = self.write(work).await;
        if result.is_ok() {
            self.resolutions.invalidate();
            self.listings.invalidate();
        }
        result
    }

    /// Runs `work` without a transaction on the blocking pool, bounded like
    /// [`AppState::write`].
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Session) -> Result<T, ApiError> + Send + 'static,
    {
        let backend = Arc::clone(&self.backend);
        self.bounded(web::block(move || reading(backend.as_ref(), work)))
            .await
    }
}
