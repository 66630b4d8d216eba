//! Running a change so that its outcome is always audited: a success by the operation
//! itself (in its transaction), a refusal afterwards in a transaction of its own.

use actix_web::web;
use serde_json::json;
use tenantry_tenant::operations::{change_status, find_tenant};
use tenantry_tenant::urls::UrlConfig;
use tenantry_tenant::{Action, AuditEvent, RequestContext, Status, Tenant, TenantKey};

use crate::core::auth::caller::Caller;
use crate::core::error::ApiError;
use crate::core::state::AppState;
use crate::core::storage::Session;

/// Runs `work` as a tenant change; when it fails with a client-visible refusal
/// (validation, conflict, missing tenant, stale version), records a `failure` event for
/// `action` on the tenant `key` names, then returns the error.
pub async fn change<T, F>(
    state: &web::Data<AppState>,
    context: &RequestContext,
    action: Action,
    key: Option<TenantKey>,
    work: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Session) -> Result<T, ApiError> + Send + 'static,
{
    let result = state.change(work).await;
    audit_refusal(state, context, action, key, result).await
}

/// Runs `operation` on the tenant `key` names as `caller`, unpinned (see
/// [`change_unpinned`]), audited as `action`.
pub async fn on_tenant<F>(
    state: &web::Data<AppState>,
    caller: &Caller,
    action: Action,
    key: TenantKey,
    operation: F,
) -> Result<Tenant, ApiError>
where
    F: Fn(&mut dyn Session, &RequestContext, &TenantKey) -> Result<Tenant, ApiError>
        + Clone
        + Send
        + 'static,
{
    let context = caller.context(state);
    let work_context = context.clone();
    let target = key.clone();
    change_unpinned(state, &context, action, Some(key), move |session| {
        operation(session, &work_context, &target)
    })
    .await
}

/// Makes the tenant `key` names `active` again, but only from `from` (unsuspend only a
/// suspended tenant, restore only a deleted one); any other status is a 409 naming the
/// current one. Every dialect's unsuspend and restore go through here.
pub async fn activate_from(
    state: &web::Data<AppState>,
    caller: &Caller,
    key: TenantKey,
    from: Status,
    urls: UrlConfig,
) -> Result<Tenant, ApiError> {
    let (action, verb) = if from == Status::Deleted {
        (Action::TenantRestore, "restored")
    } else {
        (Action::TenantUnsuspend, "unsuspended")
    };
    on_tenant(state, caller, action, key, move |session, context, key| {
        let current = find_tenant(session, key)?;
        if current.status != from {
            return Err(ApiError::Conflict(format!(
                "the tenant is {}; only a {from} tenant can be {verb}",
                current.status
            )));
        }
        Ok(change_status(session, context, &urls, key, Status::Active)?)
    })
    .await
}

async fn audit_refusal<T>(
    state: &web::Data<AppState>,
    context: &RequestContext,
    action: Action,
    key: Option<TenantKey>,
    result: Result<T, ApiError>,
) -> Result<T, ApiError> {
    if let Err(error) = &result
        && is_refusal(error)
    {
        record_failure(state, context.clone(), action, key, error).await;
    }
    result
}

/// How often a change that lost a race with a concurrent writer is tried again.
const ATTEMPTS: usize = 3;

/// Like [`change`] for changes the caller did not pin to a version (no `If-Match`): when
/// a concurrent writer saved the tenant between this change's read and its write, the
/// change is re-run on the fresh state (up to three attempts) instead of failing. If
/// writers keep winning, the answer is a 409 asking to retry, never a 412 or a 500.
pub async fn change_unpinned<T, F>(
    state: &web::Data<AppState>,
    context: &RequestContext,
    action: Action,
    key: Option<TenantKey>,
    work: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: Fn(&mut dyn Session) -> Result<T, ApiError> + Clone + Send + 'static,
{
    // Lock the tenant first: on PostgreSQL concurrent writers then queue instead of racing.
    let lock_key = key.clone();
    let work = move |session: &mut dyn Session| {
        if let Some(key) = &lock_key {
            session.lock_tenant(key)?;
        }
        work(session)
    };
    let mut result = state.change(work.clone()).await;
    for _ in 1..ATTEMPTS {
        if !matches!(result, Err(ApiError::PreconditionFailed(_))) {
            break;
        }
        result = state.change(work.clone()).await;
    }
    if let Err(ApiError::PreconditionFailed(_)) = result {
        result = Err(ApiError::Conflict(
            "the tenant is being changed by others; retry".into(),
        ));
    }
    audit_refusal(state, context, action, key, result).await
}

/// Records that `action` was refused with `error`.
pub async fn record_failure(
    state: &web::Data<AppState>,
    context: RequestContext,
    action: Action,
    key: Option<TenantKey>,
    error: &ApiError,
) {
    let reason = match error {
        ApiError::Invalid(problems) => json!(problems).to_string(),
        other => other.to_string(),
    };
    let request_id = context.request_id.clone().unwrap_or_default();
    let recorded = state
        .write(move |session| {
            let target = match &key {
                Some(key) => find_tenant(session, key)
                    .ok()
                    .map(|tenant| (tenant.id, tenant.name.to_string())),
                None => None,
            };
            let mut event = AuditEvent::failure(&context, action, target, &reason);
            if let (None, Some(TenantKey::Name(name))) = (&event.tenant_id, &key) {
                event.tenant_name = Some(name.to_string());
            }
            session.record(&event)?;
            Ok(())
        })
        .await;
    if let Err(error) = recorded {
        log::error!("could not audit a refused {action}: {error} request_id={request_id}");
    }
}

fn is_refusal(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Invalid(_)
            | ApiError::Conflict(_)
            | ApiError::Missing(_)
            | ApiError::NotFound
            | ApiError::PreconditionFailed(_)
    )
}
