//! [`TenantRepository`] for [`TenantStore`].

use diesel::prelude::*;
use tenantry_tenant::{
    DomainName, NewTenant, Page, RepositoryError, ServiceId, Tenant, TenantId, TenantKey,
    TenantName, TenantQuery, TenantRepository,
};

use crate::connection::MultiBackend;
use crate::schema::{domains, tenants};
use crate::sql::count;
use crate::tenants::rows::{TenantRow, TenantValues};
use crate::tenants::{TenantStore, domains as tenant_domains, search};
use crate::time::to_db;
use crate::{DbConnection, StoreError, routing};

impl TenantRepository for TenantStore<'_> {
    fn insert(&mut self, tenant: &NewTenant) -> Result<Tenant, RepositoryError> {
        Ok(insert(self.conn, tenant)?)
    }

    fn get(&mut self, id: TenantId) -> Result<Option<Tenant>, RepositoryError> {
        let query = tenants::table.filter(tenants::id.eq(id.0)).into_boxed();
        Ok(first(self.conn, query)?)
    }

    fn find_by_name(&mut self, name: &TenantName) -> Result<Option<Tenant>, RepositoryError> {
        let query = tenants::table
            .filter(tenants::name.eq(name.as_str().to_owned()))
            .into_boxed();
        Ok(first(self.conn, query)?)
    }

    fn find_by_service_id(&mut self, id: &ServiceId) -> Result<Option<Tenant>, RepositoryError> {
        let query = tenants::table
            .filter(tenants::service_id.eq(id.as_str().to_owned()))
            .into_boxed();
        Ok(first(self.conn, query)?)
    }

    fn find_by_host(&mut self, host: &DomainName) -> Result<Option<Tenant>, RepositoryError> {
        let owner = domains::table
            .select(domains::tenant_id)
            .filter(domains::host.eq(host.as_str().to_owned()));
        let query = tenants::table
            .filter(tenants::id.eq_any(owner))
            .into_boxed();
        Ok(first(self.conn, query)?)
    }

    fn list(&mut self, query: &TenantQuery) -> Result<Page<Tenant>, RepositoryError> {
        Ok(list(self.conn, query)?)
    }

    fn save(&mut self, tenant: &Tenant) -> Result<Tenant, RepositoryError> {
        Ok(save(self.conn, tenant)?)
    }

    fn delete(&mut self, id: TenantId) -> Result<bool, RepositoryError> {
        Ok(delete(self.conn, id)?)
    }

    fn count_live(&mut self) -> Result<u64, RepositoryError> {
        let live: i64 = tenants::table
            .filter(search::live())
            .count()
            .get_result(self.conn)
            .map_err(StoreError::from)?;
        Ok(count(live)?)
    }

    fn routing_version(&mut self) -> Result<i64, RepositoryError> {
        Ok(routing::current(self.conn)?)
    }

    fn lock_tenant(&mut self, key: &TenantKey) -> Result<(), RepositoryError> {
        use diesel::RunQueryDsl;
        use diesel::sql_types::{BigInt, Text};
        let DbConnection::Postgres(conn) = &mut *self.conn else {
            return Ok(());
        };
        let locked = match key {
            TenantKey::Id(id) => {
                diesel::sql_query("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE")
                    .bind::<BigInt, _>(id.0)
                    .execute(conn)
            }
            TenantKey::Name(name) => {
                diesel::sql_query("SELECT 1 FROM tenants WHERE name = $1 FOR UPDATE")
                    .bind::<Text, _>(name.as_str())
                    .execute(conn)
            }
        };
        locked.map_err(StoreError::from)?;
        Ok(())
    }
}

/// Writes the tenant row, reads its id back by its unique name (`RETURNING` does not
/// work on the multi-backend connection), writes its domains, increases the routing
/// version and returns the tenant as stored.
fn insert(conn: &mut DbConnection, tenant: &NewTenant) -> Result<Tenant, StoreError> {
    conn.transaction(|conn| {
        let values = TenantValues::of_new(tenant)?;
        diesel::insert_into(tenants::table)
            .values((&values, tenants::version.eq(1_i64)))
            .execute(conn)?;
        let id: i64 = tenants::table
            .filter(tenants::name.eq(tenant.name.as_str()))
            .select(tenants::id)
            .first(conn)?;
        let domains: Vec<_> = tenant.domains.iter().collect();
        tenant_domains::insert(conn, id, &domains, to_db(tenant.created_at))?;
        routing::bump(conn)?;
        stored(conn, id)
    })
}

/// Inserts `tenant` as the store did before migration `…000013_tenant_search` (without
/// its search text), for tests of the migrations before it; returns its id.
#[cfg(test)]
pub(crate) fn insert_before_search_text(
    conn: &mut DbConnection,
    tenant: &NewTenant,
) -> Result<TenantId, StoreError> {
    use crate::tenants::rows::ProfileColumns;
    conn.transaction(|conn| {
        let created_at = to_db(tenant.created_at);
        diesel::insert_into(tenants::table)
            .values((
                tenants::name.eq(tenant.name.as_str()),
                tenants::status.eq(tenant.status.as_str()),
                ProfileColumns::of(&tenant.profile)?,
                tenants::created_at.eq(created_at),
                tenants::updated_at.eq(created_at),
                tenants::version.eq(1_i64),
            ))
            .execute(conn)?;
        let id: i64 = tenants::table
            .filter(tenants::name.eq(tenant.name.as_str()))
            .select(tenants::id)
            .first(conn)?;
        let domains: Vec<_> = tenant.domains.iter().collect();
        tenant_domains::insert(conn, id, &domains, created_at)?;
        Ok(TenantId(id))
    })
}

/// Writes every field if the stored version is still `tenant.version`, then makes the
/// stored domains equal `tenant.domains` (new ones stamped with `tenant.updated_at`) and
/// increases the routing version.
fn save(conn: &mut DbConnection, tenant: &Tenant) -> Result<Tenant, StoreError> {
    conn.transaction(|conn| {
        let id = tenant.id.0;
        let values = TenantValues::of_tenant(tenant)?;
        let updated = diesel::update(
            tenants::table
                .filter(tenants::id.eq(id))
                .filter(tenants::version.eq(tenant.version)),
        )
        .set((&values, tenants::version.eq(tenants::version + 1)))
        .execute(conn)?;
        if updated == 0 {
            let current: Option<i64> = tenants::table
                .filter(tenants::id.eq(id))
                .select(tenants::version)
                .first(conn)
                .optional()?;
            return Err(match current {
                Some(current) => StoreError::StaleVersion { current },
                None => StoreError::NotFound,
            });
        }
        tenant_domains::sync(conn, id, &tenant.domains, to_db(tenant.updated_at))?;
        routing::bump(conn)?;
        stored(conn, id)
    })
}

/// Removes the tenant; its domains, registration tokens, users (with their links) and
/// emails go with the row (ON DELETE CASCADE). The routing version increases when a row
/// was removed.
fn delete(conn: &mut DbConnection, id: TenantId) -> Result<bool, StoreError> {
    conn.transaction(|conn| {
        let deleted = diesel::delete(tenants::table.filter(tenants::id.eq(id.0))).execute(conn)?;
        if deleted > 0 {
            routing::bump(conn)?;
        }
        Ok(deleted > 0)
    })
}

/// The tenants `query` selects, ordered by id, one page of them, with the total; the
/// page's domains come in one query. The page's ids are chosen first, on ids alone (an
/// index when the filter has one), then only its rows are read: skipping to a deep page
/// reads no row it skips. (One query with a subselect would do, but diesel's
/// multi-backend connection cannot nest a boxed query.)
fn list(conn: &mut DbConnection, query: &TenantQuery) -> Result<Page<Tenant>, StoreError> {
    let backend = conn.backend();
    let total: i64 = search::matching(query, backend).count().get_result(conn)?;
    let per_page = i64::from(query.per_page.max(1));
    let offset = i64::from(query.page.max(1) - 1).saturating_mul(per_page);
    let page_ids: Vec<i64> = search::matching(query, backend)
        .select(tenants::id)
        .order(tenants::id)
        .limit(per_page)
        .offset(offset)
        .load(conn)?;
    let rows: Vec<TenantRow> = tenants::table
        .filter(tenants::id.eq_any(page_ids))
        .select(TenantRow::as_select())
        .order(tenants::id)
        .load(conn)?;
    Ok(Page {
        items: with_domains(conn, rows)?,
        total: count(total)?,
    })
}

/// The tenant with this id, which must exist.
fn stored(conn: &mut DbConnection, id: i64) -> Result<Tenant, StoreError> {
    let query = tenants::table.filter(tenants::id.eq(id)).into_boxed();
    first(conn, query)?.ok_or(StoreError::NotFound)
}

/// The first tenant `query` selects, with its domains.
fn first(
    conn: &mut DbConnection,
    query: tenants::BoxedQuery<'static, MultiBackend>,
) -> Result<Option<Tenant>, StoreError> {
    let row: Option<TenantRow> = query
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => Ok(with_domains(conn, vec![row])?.pop()),
        None => Ok(None),
    }
}

/// Tenants from their rows, in the same order, with their domains loaded in one query.
fn with_domains(conn: &mut DbConnection, rows: Vec<TenantRow>) -> Result<Vec<Tenant>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let mut domains = tenant_domains::load(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let own = domains.remove(&row.id).unwrap_or_default();
            row.into_tenant(own)
        })
        .collect()
}
