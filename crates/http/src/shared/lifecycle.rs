//! Permanent deletion, shared by every dialect that offers it: the tenant's own database (if
//! it has one) is dropped first, then the tenant and everything it owns, audited as
//! `tenant.purge`. Dropping is idempotent, so a retry after a failure completes the job.

use actix_web::web;
use tenantry_tenant::operations::{find_tenant, purge_tenant};
use tenantry_tenant::{Action, RepositoryError, Tenant, TenantKey, TenantQuery};

use crate::core::auth::caller::Caller;
use crate::core::error::ApiError;
use crate::core::state::AppState;
use crate::core::storage::Session;
use crate::shared::audited;

/// Drops the tenant's database and purges the tenant `key` names.
pub async fn delete_permanently(
    state: &web::Data<AppState>,
    caller: &Caller,
    key: TenantKey,
) -> Result<Tenant, ApiError> {
    let lookup = key.clone();
    let database = state
        .read(move |session| {
            let tenant = find_tenant(session, &lookup)?;
            Ok(session.find_database(tenant.id)?)
        })
        .await;
    let database = match database {
        Ok(database) => database,
        Err(error) => {
            let context = caller.context(state);
            audited::record_failure(state, context, Action::TenantPurge, Some(key), &error).await;
            return Err(error);
        }
    };
    if let Some(database) = database {
        let provisioner = state.provisioner.clone();
        web::block(move || provisioner.drop_database(&database))
            .await?
            .map_err(|error| {
                ApiError::Internal(format!("dropping the tenant's database: {error}"))
            })?;
    }
    let context = caller.context(state);
    let work_context = context.clone();
    let target = key.clone();
    audited::change(
        state,
        &context,
        Action::TenantPurge,
        Some(key),
        move |session| Ok(purge_tenant(session, &work_context, &target)?),
    )
    .await
}

/// Every tenant not deleted, by id, read a page at a time.
pub fn all_live_tenants(session: &mut dyn Session) -> Result<Vec<Tenant>, RepositoryError> {
    let mut tenants = Vec::new();
    let mut query = TenantQuery {
        per_page: 100,
        ..TenantQuery::default()
    };
    loop {
        let page = session.list(&query)?;
        let done = page.items.len() < query.per_page as usize;
        tenants.extend(page.items);
        if done {
            return Ok(tenants);
        }
        query.page += 1;
    }
}
