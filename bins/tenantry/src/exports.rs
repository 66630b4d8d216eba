//! `tenantry eox-tenant export` and `tenantry hosts`: tenants written out for Open edX —
//! as eox-tenant stores them, or as hosts-file lines.

use std::io::Write;
use std::net::IpAddr;

use anyhow::{Context, bail};
use tenantry_store::{Database, TenantStore};
use tenantry_tenant::eox::{every_tenant, record_of};
use tenantry_tenant::urls::UrlConfig;
use tenantry_tenant::{Status, Tenant, TenantName, TenantRepository};

use crate::cli::ExportFormat;

/// Writes the eox-tenant record of the tenant `name`, or of every live tenant (every
/// status but deleted), to `out`: one JSON object a line (the stored columns, JSON as
/// text, plus `routes`), or MySQL `INSERT` statements.
pub fn export_eox(
    database: &Database,
    urls: &UrlConfig,
    name: Option<&str>,
    format: ExportFormat,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut conn = database.conn()?;
    let mut store = TenantStore::new(&mut *conn);
    let tenants = match name {
        Some(name) => vec![one_tenant(&mut store, name)?],
        None => every_tenant(&mut store, None)?,
    };
    for tenant in &tenants {
        let row = record_of(&mut store, urls, tenant)?.to_stored_row();
        match format {
            ExportFormat::Json => writeln!(out, "{}", serde_json::to_string(&row)?)?,
            ExportFormat::Sql => write!(out, "{}", row.to_mysql())?,
        }
    }
    Ok(())
}

fn one_tenant(store: &mut TenantStore<'_>, name: &str) -> anyhow::Result<Tenant> {
    let parsed =
        TenantName::parse(name).with_context(|| format!("invalid tenant name {name:?}"))?;
    match store.find_by_name(&parsed)? {
        Some(tenant) if tenant.status == Status::Deleted => bail!("tenant {name} is deleted"),
        Some(tenant) => Ok(tenant),
        None => bail!("no tenant is named {name}"),
    }
}

/// Writes hosts-file lines pointing the LMS, MFE and Studio hosts of every active tenant
/// at `ip`, three a tenant, by tenant id.
pub fn write_hosts(
    database: &Database,
    urls: &UrlConfig,
    ip: IpAddr,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut conn = database.conn()?;
    let mut store = TenantStore::new(&mut *conn);
    let ip = ip.to_string();
    for tenant in every_tenant(&mut store, Some(Status::Active))? {
        for line in urls.site(&tenant.name).hosts_entries(&ip) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
