//! Tenant and domain rows, and their translation to and from the domain types.
//!
//! A stored value that no longer parses (a JSON column, a name, a status) is a
//! [`StoreError::Backend`] naming the column, never a panic.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tenantry_tenant::{
    Domain, DomainName, NewTenant, ServiceId, Status, Tenant, TenantId, TenantName, TenantProfile,
};

use tenantry_tenant::search::searchable_text;

use crate::StoreError;
use crate::schema::{domains, tenants};
use crate::time::{from_db, to_db};

/// A `tenants` row as read.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = tenants)]
pub(crate) struct TenantRow {
    pub id: i64,
    pub name: String,
    pub status: String,
    #[diesel(embed)]
    pub profile: ProfileColumns,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub version: i64,
}

impl TenantRow {
    /// The tenant this row stores, with `domains` (already in order).
    pub fn into_tenant(self, domains: Vec<Domain>) -> Result<Tenant, StoreError> {
        Ok(Tenant {
            id: TenantId(self.id),
            name: TenantName::parse(&self.name)
                .map_err(|error| StoreError::corrupt("tenants.name", error))?,
            status: self
                .status
                .parse::<Status>()
                .map_err(|error| StoreError::corrupt("tenants.status", error))?,
            profile: self.profile.into_profile()?,
            domains,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            deleted_at: self.deleted_at.map(from_db),
            version: self.version,
        })
    }
}

/// The columns of a [`TenantProfile`], read and written as one piece of the `tenants`
/// row. Lists, metadata and settings are JSON text; `None` writes NULL.
#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = tenants, treat_none_as_null = true, treat_none_as_default_value = false)]
pub(crate) struct ProfileColumns {
    display_name: String,
    service_id: Option<String>,
    partner_id: Option<String>,
    plan_id: Option<String>,
    modules: String,
    theme_name: Option<String>,
    org_filter: String,
    admin_email: Option<String>,
    metadata: String,
    settings: String,
}

impl ProfileColumns {
    /// The columns that store `profile`.
    pub(crate) fn of(profile: &TenantProfile) -> Result<Self, StoreError> {
        let TenantProfile {
            display_name,
            service_id,
            partner_id,
            plan_id,
            modules,
            theme_name,
            org_filter,
            admin_email,
            metadata,
            settings,
        } = profile;
        Ok(Self {
            display_name: display_name.clone(),
            service_id: service_id.as_ref().map(|id| id.as_str().to_owned()),
            partner_id: partner_id.clone(),
            plan_id: plan_id.clone(),
            modules: to_json("modules", modules)?,
            theme_name: theme_name.clone(),
            org_filter: to_json("org_filter", org_filter)?,
            admin_email: admin_email.clone(),
            metadata: to_json("metadata", metadata)?,
            settings: to_json("settings", settings)?,
        })
    }

    /// The profile these columns store.
    fn into_profile(self) -> Result<TenantProfile, StoreError> {
        Ok(TenantProfile {
            display_name: self.display_name,
            service_id: self
                .service_id
                .as_deref()
                .map(ServiceId::parse)
                .transpose()
                .map_err(|error| StoreError::corrupt("tenants.service_id", error))?,
            partner_id: self.partner_id,
            plan_id: self.plan_id,
            modules: from_json("tenants.modules", &self.modules)?,
            theme_name: self.theme_name,
            org_filter: from_json("tenants.org_filter", &self.org_filter)?,
            admin_email: self.admin_email,
            metadata: from_json("tenants.metadata", &self.metadata)?,
            settings: from_json("tenants.settings", &self.settings)?,
        })
    }
}

/// Every column of `tenants` but `id` and `version`, as written by an insert or a save,
/// with the text a search looks in (its domains are the ones it is stored with).
/// `None` writes NULL (in both roles).
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = tenants, treat_none_as_null = true, treat_none_as_default_value = false)]
pub(crate) struct TenantValues<'a> {
    name: &'a str,
    status: &'a str,
    #[diesel(embed)]
    profile: ProfileColumns,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    deleted_at: Option<NaiveDateTime>,
    search_text: String,
}

impl<'a> TenantValues<'a> {
    /// The row of a tenant to insert; `updated_at` is its creation time.
    pub fn of_new(tenant: &'a NewTenant) -> Result<Self, StoreError> {
        Ok(Self {
            name: tenant.name.as_str(),
            status: tenant.status.as_str(),
            profile: ProfileColumns::of(&tenant.profile)?,
            created_at: to_db(tenant.created_at),
            updated_at: to_db(tenant.created_at),
            deleted_at: None,
            search_text: searchable_text(&tenant.name, &tenant.profile, &tenant.domains),
        })
    }

    /// The row of a stored tenant, every field as given.
    pub fn of_tenant(tenant: &'a Tenant) -> Result<Self, StoreError> {
        Ok(Self {
            name: tenant.name.as_str(),
            status: tenant.status.as_str(),
            profile: ProfileColumns::of(&tenant.profile)?,
            created_at: to_db(tenant.created_at),
            updated_at: to_db(tenant.updated_at),
            deleted_at: tenant.deleted_at.map(to_db),
            search_text: searchable_text(&tenant.name, &tenant.profile, &tenant.domains),
        })
    }
}

/// A `domains` row as read.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = domains)]
pub(crate) struct DomainRow {
    pub tenant_id: i64,
    pub host: String,
    pub is_primary: bool,
}

impl DomainRow {
    /// The domain this row stores.
    pub fn into_domain(self) -> Result<Domain, StoreError> {
        Ok(Domain {
            host: DomainName::parse(&self.host)
                .map_err(|error| StoreError::corrupt("domains.host", error))?,
            is_primary: self.is_primary,
        })
    }
}

/// A `domains` row to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = domains)]
pub(crate) struct NewDomainRow<'a> {
    pub tenant_id: i64,
    pub host: &'a str,
    pub is_primary: bool,
    pub created_at: NaiveDateTime,
}

/// A value as JSON text.
pub(crate) fn to_json(field: &str, value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|error| StoreError::Backend(format!("cannot serialise {field}: {error}")))
}

/// A JSON column read back.
pub(crate) fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::corrupt(column, error))
}
