//! The canonical API (`/api/v1/…`, `/oauth/token`): one table of endpoints registers the
//! routes and generates `/openapi.json`, so the document cannot drift from the server.

mod audit;
mod domains;
mod eox;
mod idempotency;
mod input;
mod oauth;
pub mod openapi;
mod resolve;
mod tenants;
mod tokens;
mod users;
mod webhooks;

use actix_web::http::Method;
use actix_web::{Route, web};

use crate::core::error::ApiError;
use crate::core::routing::Resource;

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// No credentials.
    Public,
    /// An operator or an `admin` token.
    Operator,
    /// Any valid credential, registration tokens included.
    AnyCaller,
}

/// One endpoint: how it is routed and how it is documented.
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    /// The path pattern, actix style (`/api/v1/admin/tenants/{tenant_id}`).
    pub path: &'static str,
    /// A one-line summary.
    pub summary: &'static str,
    /// Who may call it.
    pub guard: Guard,
    /// The schema of the JSON body, by name in `components.schemas`, if it takes one.
    pub body: Option<&'static str>,
    /// Query parameters.
    pub query: &'static [&'static str],
    /// Responses: status and description (`schema` name after a colon, if any).
    pub responses: &'static [(u16, &'static str)],
    /// The handler.
    pub route: fn() -> Route,
}

const TENANTS: &str = "/api/v1/admin/tenants/";
const TENANT: &str = "/api/v1/admin/tenants/{tenant_id}";

/// Every endpoint of the canonical API.
pub fn endpoints() -> Vec<Endpoint> {
    use Guard::{AnyCaller, Operator, Public};
    let endpoint = |method: Method,
                    path: &'static str,
                    summary: &'static str,
                    guard: Guard,
                    body: Option<&'static str>,
                    query: &'static [&'static str],
                    responses: &'static [(u16, &'static str)],
                    route: fn() -> Route| Endpoint {
        method,
        path,
        summary,
        guard,
        body,
        query,
        responses,
        route,
    };
    vec![
        endpoint(
            Method::POST,
            "/oauth/token",
            "Issue a JWT for an operator",
            Public,
            Some("TokenRequest"),
            &[],
            &[
                (200, "A JWT:TokenResponse"),
                (401, "Wrong credentials"),
                (422, "Invalid request:HTTPValidationError"),
                (429, "Too many failed logins"),
            ],
            || web::route().to(oauth::token),
        ),
        endpoint(
            Method::GET,
            TENANTS,
            "List tenants",
            Operator,
            None,
            &["page", "per_page", "search", "status", "partner_id"],
            &[
                (200, "A page of tenants:TenantPage"),
                (422, "Invalid query:HTTPValidationError"),
            ],
            || web::route().to(tenants::list),
        ),
        endpoint(
            Method::POST,
            TENANTS,
            "Create a tenant (honours Idempotency-Key)",
            Operator,
            Some("TenantCreate"),
            &[],
            &[
                (201, "The tenant:Tenant"),
                (409, "Name, service id or domain taken"),
                (422, "Invalid body:HTTPValidationError"),
            ],
            || web::route().to(tenants::create),
        ),
        endpoint(
            Method::GET,
            TENANT,
            "Get a tenant by id or name",
            Operator,
            None,
            &[],
            &[(200, "The tenant:Tenant"), (404, "Tenant not found")],
            || web::route().to(tenants::get),
        ),
        endpoint(
            Method::PATCH,
            TENANT,
            "Update a tenant (honours If-Match)",
            Operator,
            Some("TenantPatch"),
            &[],
            &[
                (200, "The tenant:Tenant"),
                (404, "Tenant not found"),
                (409, "Conflict"),
                (412, "Stale If-Match"),
                (422, "Invalid body:HTTPValidationError"),
            ],
            || web::route().to(tenants::patch),
        ),
        endpoint(
            Method::DELETE,
            TENANT,
            "Soft-delete a tenant",
            Operator,
            None,
            &[],
            &[
                (204, "Deleted"),
                (404, "Tenant not found"),
                (409, "Already deleted"),
            ],
            || web::route().to(tenants::delete),
        ),
        endpoint(
            Method::POST,
            "/api/v1/admin/tenants/{tenant_id}/suspend",
            "Suspend a tenant",
            Operator,
            None,
            &[],
            &[
                (200, "The tenant:Tenant"),
                (404, "Tenant not found"),
                (409, "Illegal transition"),
            ],
            || web::route().to(tenants::suspend),
        ),
        endpoint(
            Method::POST,
            "/api/v1/admin/tenants/{tenant_id}/unsuspend",
            "Make a suspended tenant active",
            Operator,
            None,
            &[],
            &[
                (200, "The tenant:Tenant"),
                (404, "Tenant not found"),
                (409, "Illegal transition"),
            ],
            || web::route().to(tenants::unsuspend),
        ),
        endpoint(
            Method::POST,
            "/api/v1/admin/tenants/{tenant_id}/restore",
            "Restore a soft-deleted tenant",
            Operator,
            None,
            &[],
            &[
                (200, "The tenant:Tenant"),
                (404, "Tenant not found"),
                (409, "Illegal transition"),
            ],
            || web::route().to(tenants::restore),
        ),
        endpoint(
            Method::GET,
            "/api/v1/admin/tenants/{tenant_id}/eox-tenant",
            "The tenant's eox-tenant record (TenantConfig and routes)",
            Operator,
            None,
            &[],
            &[
                (200, "The record:EoxTenantRecord"),
                (404, "Tenant not found"),
            ],
            || web::route().to(eox::get),
        ),
        endpoint(
            Method::GET,
            "/api/v1/admin/tenants/{tenant_id}/eox-tenant/sync",
            "Where the tenant's sync to the Open edX database (eox-tenant tables) stands",
            Operator,
            None,
            &[],
            &[
                (200, "The sync state:EoxSyncState"),
                (404, "Tenant not found"),
            ],
            || web::route().to(eox::sync_state),
        ),
        endpoint(
            Method::GET,
            "/api/v1/admin/tenants/{tenant_id}/domains",
            "List a tenant's domains",
            Operator,
            None,
            &[],
            &[(200, "The domains:DomainList"), (404, "Tenant not found")],
            || web::route().to(domains::list),
        ),
        endpoint(
            Method::POST,
            "/api/v1/admin/tenants/{tenant_id}/domains",
            "Add a domain",
            Operator,
            Some("DomainCreate"),
            &[],
            &[
                (201, "The tenant:Tenant"),
                (404, "Tenant not found"),
                (409, "Host taken"),
                (422, "Invalid body:HTTPValidationError"),
            ],
            || web::route().to(domains::add),
        ),
        endpoint(
            Method::DELETE,
            "/api/v1/admin/tenants/{tenant_id}/domains/{host}",
            "Remove a domain",
            Operator,
            None,
            &[],
            &[
                (200, "The tenant:Tenant"),
                (404, "Tenant or domain not found"),
            ],
            || web::route().to(domains::remove),
        ),
        endpoint(
            Method::POST,
            "/api/v1/admin/tenants/{tenant_id}/domains/{host}/primary",
            "Make a domain primary",
            Operator,
            None,
            &[],
            &[
                (200, "The tenant:Tenant"),
                (404, "Tenant or domain not found"),
            ],
            || web::route().to(domains::set_primary),
        ),
        endpoint(
            Method::POST,
            "/api/v1/admin/tenants/{tenant_id}/tokens",
            "Issue a registration token for the tenant (shown once)",
            Operator,
            Some("TokenCreate"),
            &[],
            &[
                (201, "The token with its secret:IssuedToken"),
                (404, "Tenant not found"),
            ],
            || web::route().to(tokens::create_for_tenant),
        ),
        endpoint(
            Method::GET,
            "/api/v1/admin/tenants/{tenant_id}/tokens",
            "List the tenant's tokens (never their secrets)",
            Operator,
            None,
            &[],
            &[(200, "The tokens:TokenList"), (404, "Tenant not found")],
            || web::route().to(tokens::list_for_tenant),
        ),
        endpoint(
            Method::DELETE,
            "/api/v1/admin/tenants/{tenant_id}/tokens/{token_id}",
            "Revoke a tenant's token",
            Operator,
            None,
            &[],
            &[(204, "Revoked"), (404, "Tenant or token not found")],
            || web::route().to(tokens::revoke_for_tenant),
        ),
        endpoint(
            Method::GET,
            "/api/v1/admin/tenants/{tenant_id}/users",
            "List the tenant's users (never their password hashes)",
            Operator,
            None,
            &["search", "page", "per_page"],
            &[
                (200, "A page of users:UserPage"),
                (404, "Tenant not found"),
                (422, "Invalid query:HTTPValidationError"),
            ],
            || web::route().to(users::list),
        ),
        endpoint(
            Method::POST,
            "/api/v1/admin/tokens",
            "Issue an operator token (shown once)",
            Operator,
            Some("TokenCreate"),
            &[],
            &[(201, "The token with its secret:IssuedToken")],
            || web::route().to(tokens::create_admin),
        ),
        endpoint(
            Method::GET,
            "/api/v1/admin/tokens",
            "List operator tokens (never their secrets)",
            Operator,
            None,
            &[],
            &[(200, "The tokens:TokenList")],
            || web::route().to(tokens::list_admin),
        ),
        endpoint(
            Method::DELETE,
            "/api/v1/admin/tokens/{token_id}",
            "Revoke an operator token",
            Operator,
            None,
            &[],
            &[(204, "Revoked"), (404, "Token not found")],
            || web::route().to(tokens::revoke_admin),
        ),
        endpoint(
            Method::POST,
            "/api/v1/admin/webhooks",
            "Register a webhook endpoint (its signing secret is shown once)",
            Operator,
            Some("WebhookCreate"),
            &[],
            &[
                (201, "The endpoint with its secret:WebhookWithSecret"),
                (422, "Invalid body:HTTPValidationError"),
            ],
            || web::route().to(webhooks::create),
        ),
        endpoint(
            Method::GET,
            "/api/v1/admin/webhooks",
            "List webhook endpoints (never their secrets)",
            Operator,
            None,
            &[],
            &[(200, "The endpoints:WebhookList")],
            || web::route().to(webhooks::list),
        ),
        endpoint(
            Method::GET,
            "/api/v1/admin/webhooks/{webhook_id}",
            "A webhook endpoint",
            Operator,
            None,
            &[],
            &[(200, "The endpoint:Webhook"), (404, "Webhook not found")],
            || web::route().to(webhooks::get),
        ),
        endpoint(
            Method::PATCH,
            "/api/v1/admin/webhooks/{webhook_id}",
            "Change a webhook endpoint (enabled: true also clears failing)",
            Operator,
            Some("WebhookPatch"),
            &[],
            &[
                (200, "The endpoint:Webhook"),
                (404, "Webhook not found"),
                (422, "Invalid body:HTTPValidationError"),
            ],
            || web::route().to(webhooks::patch),
        ),
        endpoint(
            Method::DELETE,
            "/api/v1/admin/webhooks/{webhook_id}",
            "Remove a webhook endpoint and its deliveries",
            Operator,
            None,
            &[],
            &[(204, "Removed"), (404, "Webhook not found")],
            || web::route().to(webhooks::delete),
        ),
        endpoint(
            Method::POST,
            "/api/v1/admin/webhooks/{webhook_id}/rotate-secret",
            "Replace the signing secret (the old one signs too for 24 hours)",
            Operator,
            None,
            &[],
            &[
                (200, "The endpoint with its new secret:WebhookWithSecret"),
                (404, "Webhook not found"),
            ],
            || web::route().to(webhooks::rotate_secret),
        ),
        endpoint(
            Method::GET,
            "/api/v1/admin/webhooks/{webhook_id}/deliveries",
            "The endpoint's deliveries, newest first",
            Operator,
            None,
            &["page", "per_page"],
            &[
                (200, "A page of deliveries:DeliveryPage"),
                (404, "Webhook not found"),
                (422, "Invalid query:HTTPValidationError"),
            ],
            || web::route().to(webhooks::deliveries),
        ),
        endpoint(
            Method::POST,
            "/api/v1/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
            "Send a delivery again (due at once, same webhook-id)",
            Operator,
            None,
            &[],
            &[
                (202, "The delivery:Delivery"),
                (404, "Delivery not found"),
                (409, "The delivery is still pending"),
            ],
            || web::route().to(webhooks::redeliver),
        ),
        endpoint(
            Method::GET,
            "/api/v1/admin/audit",
            "Read the audit log, newest first",
            Operator,
            None,
            &[
                "tenant", "action", "actor", "since", "until", "page", "per_page",
            ],
            &[
                (200, "A page of events:AuditPage"),
                (422, "Invalid query:HTTPValidationError"),
            ],
            || web::route().to(audit::list),
        ),
        endpoint(
            Method::GET,
            "/api/v1/resolve",
            "Resolve a host name to its tenant",
            AnyCaller,
            None,
            &["host"],
            &[
                (200, "The tenant summary:Resolution"),
                (404, "No tenant serves this host"),
            ],
            || web::route().to(resolve::resolve),
        ),
    ]
}

/// `path` with its trailing slash removed, or one added.
fn other_slash(path: &str) -> String {
    match path.strip_suffix('/') {
        Some(bare) => bare.to_owned(),
        None => format!("{path}/"),
    }
}

/// Registers every endpoint; other methods on a known path answer 405.
/// Each path is also served with its trailing slash added or removed
/// (`/api/v1/admin/tenants` as `/api/v1/admin/tenants/`, `…/tenants/{id}/` as
/// `…/tenants/{id}`): FastAPI clients reach either form (FastAPI itself redirects with 307,
/// which clients that do not follow redirects, httpx's default, see as an error).
pub fn configure(config: &mut web::ServiceConfig) {
    let endpoints = endpoints();
    let mut canonical: Vec<&'static str> = Vec::new();
    for endpoint in &endpoints {
        if !canonical.contains(&endpoint.path) {
            canonical.push(endpoint.path);
        }
    }
    let mut served: Vec<(String, &'static str)> = Vec::new();
    for &path in &canonical {
        served.push((path.to_owned(), path));
        let other = other_slash(path);
        if !canonical.contains(&other.as_str()) {
            served.push((other, path));
        }
    }
    // actix tries resources in the order they were registered, and a path with a
    // `{segment}` is matched with a regular expression: static paths go first, so that the
    // hot ones (`/api/v1/resolve`, the tenant list) are found by comparing strings (the
    // regexes took 12% of the CPU of a resolve). No static path here can also match a
    // dynamic one, so the order changes no answer.
    served.sort_by_key(|(path, _)| path.contains('{'));
    for (path, canonical) in served {
        let mut resource = Resource::<ApiError>::new(&path);
        for endpoint in endpoints
            .iter()
            .filter(|endpoint| endpoint.path == canonical)
        {
            resource = resource.route(endpoint.method.clone(), endpoint.route);
        }
        config.service(resource.build());
    }
}
