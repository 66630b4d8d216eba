//! `POST /api/create-tenant`: the tenant, its own database and its admin, atomically from
//! the caller's view.
//!
//! Order: parameters and every rule of the new tenant (400) → clashes (409) → the admin
//! password is generated and hashed on the blocking pool → the database is provisioned
//! (nothing is made before this point) → one transaction
//! writes the tenant, the record of its database, its admin user and the audit events. If
//! that transaction fails, the database is dropped again, so nothing is left behind.
//!
//! Provisioning is recoverable: holding the provisioner's claim on the tenant's name, the
//! create clears what an interrupted create of it left, records its intent (committed
//! before anything is made), creates the database, and forgets the intent in the
//! transaction that writes the tenant. A process killed on the way leaves the intent,
//! which start-up or the next create of that tenant uses to drop the orphan.

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};
use tenantry_registration::Email;
use tenantry_registration::tenant_admin::{generate_admin_password, record_tenant_admin};
use tenantry_tenant::operations::{self, CreateTenant};
use tenantry_tenant::provisioning::{
    DatabaseCredentials, Leftover, ProvisionError, ProvisionedDatabase, ProvisioningClaim,
    ProvisioningIntent, clear_leftover,
};
use tenantry_tenant::{Action, DomainName, RequestContext, TenantError, TenantKey, TenantName};

use super::error::{HostingError, taken};
use super::from_api;
use super::params::{PanelBody, Params};
use super::representation::panel_id;
use crate::core::error::ApiError;
use crate::core::state::AppState;
use crate::shared::audited;

/// The tenant name a `serviceId` maps to: lower-cased, runs of other characters turned
/// into `-`, prefixed with `t-` unless it starts with a letter, at most 63 characters.
pub fn tenant_name_for(service_id: &str) -> Option<TenantName> {
    let mut slug = String::new();
    for character in service_id.chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug = slug.trim_end_matches('-').to_owned();
    if !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
        slug = format!("t-{slug}");
    }
    slug.truncate(63);
    TenantName::parse(slug.trim_end_matches('-')).ok()
}

struct Request {
    input: CreateTenant,
    host: DomainName,
    email: Option<Email>,
}

fn parse(params: &Params) -> Result<Request, HostingError> {
    let service_id = params.service_id()?;
    let domain = params.required("domain")?;
    let host = DomainName::parse(&domain)
        .map_err(|error| HostingError::BadRequest(format!("domain: {error}")))?;
    let name = tenant_name_for(service_id.as_str()).ok_or_else(|| {
        HostingError::BadRequest("serviceId does not make a usable tenant name".into())
    })?;
    let email = params
        .text("email")?
        .map(|text| {
            Email::parse(&text).map_err(|error| HostingError::BadRequest(format!("email: {error}")))
        })
        .transpose()?;
    // Without an email the admin gets `admin@<domain>`, which must be an address.
    if email.is_none() && Email::parse(&format!("admin@{host}")).is_err() {
        return Err(HostingError::BadRequest(format!(
            "email is required: admin@{host} is not an address for the tenant admin"
        )));
    }
    let display_name = params.text("name")?.unwrap_or_else(|| host.to_string());
    let mut input = CreateTenant::new(name, display_name);
    input.domains = vec![host.clone()];
    input.profile.service_id = Some(service_id);
    input.profile.plan_id = params.text("planId")?;
    input.profile.admin_email = email.as_ref().map(|email| email.as_str().to_owned());
    input.profile.modules = params.modules()?.unwrap_or_default();
    if let Some(frequency) = params.text("epaper_frequency")? {
        let mut metadata = Map::new();
        metadata.insert("epaper_frequency".into(), Value::String(frequency));
        input.profile.metadata = metadata;
    }
    Ok(Request { input, host, email })
}

/// `POST /api/create-tenant`
pub async fn create(
    state: web::Data<AppState>,
    body: PanelBody,
) -> Result<HttpResponse, HostingError> {
    let (caller, params) = Params::from_body(body)?;
    let context = caller.context(&state);
    let Request { input, host, email } = match parse(&params) {
        Ok(parsed) => parsed,
        Err(error) => {
            let refusal = ApiError::Conflict(error.to_string());
            audited::record_failure(&state, context, Action::TenantCreate, None, &refusal).await;
            return Err(error);
        }
    };
    let key = TenantKey::Name(input.name.clone());
    // Everything the transaction would refuse is refused before anything is made.
    let problems = input.check();
    if !problems.is_empty() {
        let refusal = ApiError::from(TenantError::Invalid(problems));
        audited::record_failure(&state, context, Action::TenantCreate, Some(key), &refusal).await;
        return Err(from_api(refusal));
    }
    if let Some(field) = clash(&state, &input, &host).await? {
        let error = HostingError::Conflict(taken(field));
        let refusal = ApiError::Conflict(error.to_string());
        audited::record_failure(&state, context, Action::TenantCreate, Some(key), &refusal).await;
        return Err(error);
    }
    let password = generate_admin_password()
        .map_err(|error| HostingError::Api(ApiError::Internal(error.to_string())))?;
    let hash = state.hashing.hash(password.expose().into()).await?;
    let (credentials, _claim) = match provision(&state, &context, &input.name, &key).await {
        Ok(provisioned) => provisioned,
        // A concurrent create of the same tenant got there first: say which value clashed.
        Err(HostingError::Conflict(message)) => {
            return Err(match clash(&state, &input, &host).await? {
                Some(field) => HostingError::Conflict(taken(field)),
                None => HostingError::Conflict(message),
            });
        }
        Err(error) => return Err(error),
    };
    let urls = state.urls.clone();
    let database = credentials.database.clone();
    let work_context = context.clone();
    let created = audited::change(
        &state,
        &context,
        Action::TenantCreate,
        Some(key),
        move |session| {
            let tenant = operations::create_tenant(session, &work_context, &urls, input)?;
            session.record_database(tenant.id, &database, work_context.now)?;
            session.forget_intent(&database.database)?;
            let admin = record_tenant_admin(session, &work_context, &tenant, email, hash).map_err(
                |error| ApiError::Internal(format!("creating the tenant admin: {error}")),
            )?;
            Ok((tenant, admin))
        },
    )
    .await;
    let (tenant, admin) = match created {
        Ok(created) => created,
        Err(error) => {
            discard(&state, &context, credentials.database.clone(), true).await;
            return Err(from_api(error));
        }
    };
    let domain = tenant
        .primary_domain()
        .map(ToString::to_string)
        .unwrap_or_default();
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(json!({
            "success": true,
            "tenant_id": panel_id(&tenant),
            "domain": domain,
            "email": tenant.profile.admin_email,
            "name": tenant.profile.display_name,
            "planId": tenant.profile.plan_id,
            "modules": tenant.profile.modules,
            "epaper_frequency": tenant.profile.metadata.get("epaper_frequency").cloned().unwrap_or(Value::Null),
            "adminUrl": format!("https://{domain}/admin/login"),
            "username": admin.email.as_str(),
            "password": password.expose(),
            "database": database_json(&credentials),
        })))
}

/// Which unique value of the new tenant is taken, if any.
async fn clash(
    state: &web::Data<AppState>,
    input: &CreateTenant,
    host: &DomainName,
) -> Result<Option<&'static str>, HostingError> {
    let service_id = input.profile.service_id.clone();
    let name = input.name.clone();
    let host = host.clone();
    state
        .read(move |session| {
            if let Some(service_id) = &service_id
                && session.find_by_service_id(service_id)?.is_some()
            {
                return Ok(Some("service_id"));
            }
            if session.find_by_host(&host)?.is_some() {
                return Ok(Some("domain"));
            }
            if session.find_by_name(&name)?.is_some() {
                return Ok(Some("name"));
            }
            Ok(None)
        })
        .await
        .map_err(HostingError::Api)
}

/// Claims the tenant's name, clears what an interrupted create of it left (its recorded
/// intent), records this create's intent, then creates the database. The claim is held
/// until the caller drops it, after its transaction.
async fn provision(
    state: &web::Data<AppState>,
    context: &RequestContext,
    name: &TenantName,
    key: &TenantKey,
) -> Result<(DatabaseCredentials, ProvisioningClaim), HostingError> {
    let provisioner = state.provisioner.clone();
    let claimed = name.clone();
    let claim = web::block(move || provisioner.claim(&claimed))
        .await
        .map_err(ApiError::from)?
        .map_err(|error| HostingError::ProvisioningFailed(error.to_string()))?
        .ok_or_else(|| HostingError::Conflict("A create of this tenant is under way".into()))?;
    let provisioner = state.provisioner.clone();
    let intent = ProvisioningIntent {
        tenant: name.clone(),
        database: provisioner.planned(name),
        created_at: context.now,
    };
    let planned = intent.database.clone();
    state
        .write(move |session| {
            match clear_leftover(session, provisioner.as_ref(), &intent.database.database)? {
                Leftover::Dropped => log::warn!(
                    "dropped the database {} of an interrupted create of {}",
                    intent.database.database,
                    intent.tenant
                ),
                Leftover::None | Leftover::Committed => {}
            }
            session.record_intent(&intent)?;
            Ok(())
        })
        .await
        .map_err(|error| HostingError::ProvisioningFailed(error.to_string()))?;
    let provisioner = state.provisioner.clone();
    let name = name.clone();
    let provisioned = web::block(move || provisioner.create(&name))
        .await
        .map_err(ApiError::from)?;
    match provisioned {
        Ok(credentials) => Ok((credentials, claim)),
        Err(error) => {
            // A database that already exists is someone else's; after any other failure,
            // whatever the provisioner could not clean up itself is dropped (or stays
            // recorded in the intent for start-up).
            let made = !matches!(error, ProvisionError::AlreadyExists);
            discard(state, context, planned, made).await;
            let refusal = ApiError::Conflict(format!("provisioning the database: {error}"));
            audited::record_failure(
                state,
                context.clone(),
                Action::TenantCreate,
                Some(key.clone()),
                &refusal,
            )
            .await;
            Err(match error {
                ProvisionError::AlreadyExists => {
                    HostingError::Conflict("A database for this tenant already exists".into())
                }
                ProvisionError::MissingPrivilege(text) => HostingError::ProvisioningRefused(text),
                other => HostingError::ProvisioningFailed(other.to_string()),
            })
        }
    }
}

/// Undoes a create that will not commit: drops `database` (when it may have been made),
/// then forgets its intent. A failure is logged and leaves the intent, which start-up or
/// the next create of the tenant clears.
async fn discard(
    state: &web::Data<AppState>,
    context: &RequestContext,
    database: ProvisionedDatabase,
    made: bool,
) {
    let provisioner = state.provisioner.clone();
    let request_id = context.request_id.clone().unwrap_or_default();
    let name = database.database.clone();
    let dropped = if made {
        web::block(move || provisioner.drop_database(&database))
            .await
            .map_err(|error| error.to_string())
            .and_then(|dropped| dropped.map_err(|error| error.to_string()))
    } else {
        Ok(())
    };
    let forgotten = match dropped {
        Ok(()) => state
            .write(move |session| Ok(session.forget_intent(&name)?))
            .await
            .map(|_| ())
            .map_err(|error| error.to_string()),
        Err(error) => Err(error),
    };
    if let Err(error) = forgotten {
        log::error!(
            "could not undo a tenant database after a failed create: {error} \
             request_id={request_id}"
        );
    }
}

/// The tenant database's connection details, shown once (tenantry keeps no password).
fn database_json(credentials: &DatabaseCredentials) -> Value {
    let database = &credentials.database;
    json!({
        "engine": database.backend.as_str(),
        "name": database.database,
        "user": database.role,
        "password": credentials.password,
        "url": credentials.url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_ids_map_to_dns_label_names() {
        let name = |id: &str| tenant_name_for(id).map(|name| name.to_string());
        assert_eq!(name("abc123").as_deref(), Some("abc123"));
        assert_eq!(name("WHMCS:1042").as_deref(), Some("whmcs-1042"));
        assert_eq!(name("1042").as_deref(), Some("t-1042"));
        assert_eq!(name("a..b__c").as_deref(), Some("a-b-c"));
        assert_eq!(name(&"x".repeat(64)).map(|name| name.len()), Some(63));
        assert_eq!(name("--").as_deref(), None);
    }
}
