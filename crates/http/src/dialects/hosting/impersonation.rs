//! Impersonation: the panel asks for a link that signs its user in as the tenant's admin
//! (`GET /api/impersonate-tenant?serviceId=`); the tenant's site redeems the token once
//! (`POST /api/v1/admin/impersonation/redeem`). Tokens are random, kept as digests, valid
//! five minutes, single-use; issuing and redeeming are audited.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use tenantry_registration::impersonation::{
    ImpersonationError, issue_impersonation, redeem_impersonation,
};

use super::error::HostingError;
use super::params::Params;
use super::{by_service_id, operator};
use crate::core::auth::caller::authenticate_any;
use crate::core::body::{RawBody, decode_json_object};
use crate::core::error::ApiError;
use crate::core::state::AppState;
use crate::shared::views::tenant_json;
use crate::shared::views::user_json;

/// `GET /api/impersonate-tenant?serviceId=`
pub async fn issue(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, HostingError> {
    let caller = operator(&request).await?;
    let params = Params::from_query(request.query_string())?;
    let tenant = by_service_id(&state, &params).await?;
    let Some(domain) = tenant.primary_domain().map(ToString::to_string) else {
        return Err(HostingError::Conflict(
            "The tenant has no domain to sign in on".into(),
        ));
    };
    let context = caller.context(&state);
    let issued = state
        .write(move |session| Ok(issue_impersonation(session, &context, &tenant)))
        .await
        .map_err(HostingError::Api)?;
    let secret = issued.map_err(|error| match error {
        ImpersonationError::NoAdmin => {
            HostingError::Conflict("The tenant has no admin to impersonate".into())
        }
        ImpersonationError::TenantClosed(status) => {
            HostingError::Conflict(format!("The tenant is {status}"))
        }
        other => HostingError::Api(ApiError::Internal(other.to_string())),
    })?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(json!({
            "success": true,
            "redirectTo": format!("https://{domain}/impersonate/{}", secret.expose()),
        })))
}

/// `POST /api/v1/admin/impersonation/redeem` with `{"token": …}`: the tenant and its
/// admin, once. A registration token may redeem only for its own tenant.
pub async fn redeem(
    state: web::Data<AppState>,
    request: HttpRequest,
    RawBody(bytes): RawBody,
) -> Result<HttpResponse, ApiError> {
    let caller = authenticate_any(&request).await?;
    let token = match decode_json_object(&bytes)
        .map_err(ApiError::from)?
        .get("token")
    {
        Some(Value::String(token)) if !token.is_empty() => token.clone(),
        _ => {
            return Err(ApiError::invalid(
                vec![json!("body"), json!("token")],
                "missing",
                "Field required",
            ));
        }
    };
    let context = caller.context(&state);
    let own_tenant = caller.tenant();
    // Any refusal rolls the transaction back, so the token stays usable by its rightful
    // site (a registration token of another tenant, a closed tenant, a missing admin).
    let (tenant, user) = state
        .write(move |session| {
            let (tenant, user) =
                redeem_impersonation(session, &context, &token).map_err(|error| match error {
                    ImpersonationError::Unknown => {
                        ApiError::Missing("Impersonation token not found")
                    }
                    ImpersonationError::Used => {
                        ApiError::Gone("This impersonation token was already used")
                    }
                    ImpersonationError::Expired => {
                        ApiError::Gone("This impersonation token has expired")
                    }
                    ImpersonationError::NoAdmin => {
                        ApiError::Conflict("The tenant has no active admin".into())
                    }
                    ImpersonationError::TenantClosed(status) => {
                        ApiError::Conflict(format!("The tenant is {status}"))
                    }
                    other => ApiError::Internal(other.to_string()),
                })?;
            if own_tenant.is_some_and(|own| own != tenant.id) {
                return Err(ApiError::Forbidden("This token belongs to another tenant"));
            }
            Ok((tenant, user))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(json!({
            "tenant": tenant_json(&tenant, &state.urls),
            "user": user_json(&user),
        })))
}
