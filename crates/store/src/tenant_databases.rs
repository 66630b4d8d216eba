//! Where each tenant's own database is ([`TenantDatabases`] for [`TenantStore`]): one row
//! per tenant in `tenant_databases`, removed with the tenant (ON DELETE CASCADE). No
//! password is ever stored; the database itself is created and dropped by a
//! [`DatabaseProvisioner`](tenantry_tenant::DatabaseProvisioner) ([`crate::provisioning`]).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use tenantry_tenant::provisioning::{
    DatabaseBackend, ProvisionedDatabase, ProvisioningIntent, TenantDatabases,
};
use tenantry_tenant::{RepositoryError, TenantId, TenantName};

use crate::schema::{provisioning_intents, tenant_databases};
use crate::time::{from_db, to_db};
use crate::{DbConnection, StoreError, TenantStore};

impl TenantDatabases for TenantStore<'_> {
    fn record_database(
        &mut self,
        tenant: TenantId,
        database: &ProvisionedDatabase,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        Ok(record(self.conn(), tenant, database, at)?)
    }

    fn find_database(
        &mut self,
        tenant: TenantId,
    ) -> Result<Option<ProvisionedDatabase>, RepositoryError> {
        Ok(find(self.conn(), tenant)?)
    }

    fn is_recorded(&mut self, database: &str) -> Result<bool, RepositoryError> {
        let found: i64 = tenant_databases::table
            .filter(tenant_databases::database.eq(database))
            .count()
            .get_result(self.conn())
            .map_err(StoreError::from)?;
        Ok(found > 0)
    }

    fn record_intent(&mut self, intent: &ProvisioningIntent) -> Result<(), RepositoryError> {
        Ok(record_intent(self.conn(), intent)?)
    }

    fn find_intent(
        &mut self,
        database: &str,
    ) -> Result<Option<ProvisioningIntent>, RepositoryError> {
        let row: Option<IntentRow> = provisioning_intents::table
            .filter(provisioning_intents::database.eq(database))
            .select(IntentRow::as_select())
            .first(self.conn())
            .optional()
            .map_err(StoreError::from)?;
        Ok(row.map(IntentRow::into_intent).transpose()?)
    }

    fn intents(&mut self) -> Result<Vec<ProvisioningIntent>, RepositoryError> {
        let rows: Vec<IntentRow> = provisioning_intents::table
            .order((
                provisioning_intents::created_at,
                provisioning_intents::database,
            ))
            .select(IntentRow::as_select())
            .load(self.conn())
            .map_err(StoreError::from)?;
        Ok(rows
            .into_iter()
            .map(IntentRow::into_intent)
            .collect::<Result<_, _>>()?)
    }

    fn forget_intent(&mut self, database: &str) -> Result<bool, RepositoryError> {
        let removed = diesel::delete(
            provisioning_intents::table.filter(provisioning_intents::database.eq(database)),
        )
        .execute(self.conn())
        .map_err(StoreError::from)?;
        Ok(removed > 0)
    }
}

/// A stored intent.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = provisioning_intents, treat_none_as_default_value = false)]
struct IntentRow {
    database: String,
    tenant_name: String,
    backend: String,
    role: Option<String>,
    created_at: NaiveDateTime,
}

impl IntentRow {
    fn into_intent(self) -> Result<ProvisioningIntent, StoreError> {
        let backend = DatabaseBackend::parse(&self.backend).ok_or_else(|| {
            StoreError::corrupt(
                "provisioning_intents.backend",
                format!("{:?}", self.backend),
            )
        })?;
        let tenant = TenantName::parse(&self.tenant_name)
            .map_err(|error| StoreError::corrupt("provisioning_intents.tenant_name", error))?;
        Ok(ProvisioningIntent {
            tenant,
            database: ProvisionedDatabase {
                backend,
                database: self.database,
                role: self.role,
            },
            created_at: from_db(self.created_at),
        })
    }
}

/// Stores `intent`; one for the same database already is a conflict on `database`. A
/// savepoint, like [`record`].
fn record_intent(conn: &mut DbConnection, intent: &ProvisioningIntent) -> Result<(), StoreError> {
    conn.transaction(|conn| {
        diesel::insert_into(provisioning_intents::table)
            .values(IntentRow {
                database: intent.database.database.clone(),
                tenant_name: intent.tenant.as_str().to_owned(),
                backend: intent.database.backend.as_str().to_owned(),
                role: intent.database.role.clone(),
                created_at: to_db(intent.created_at),
            })
            .execute(conn)
            .map_err(|error| match error {
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                    StoreError::conflict("database")
                }
                other => StoreError::from(other),
            })?;
        Ok(())
    })
}

/// A stored row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = tenant_databases)]
struct DatabaseRow {
    backend: String,
    database: String,
    role: Option<String>,
}

/// A row to insert.
#[derive(Insertable)]
#[diesel(table_name = tenant_databases, treat_none_as_default_value = false)]
struct NewDatabaseRow<'a> {
    tenant_id: i64,
    backend: &'static str,
    database: &'a str,
    role: Option<&'a str>,
    created_at: NaiveDateTime,
}

/// Stores `database` as `tenant`'s. A second database for the tenant, or a database
/// already recorded for another, is a conflict on `database` (both come from the
/// constraints); an unknown tenant is [`StoreError::NotFound`]. The nested transaction
/// (a savepoint inside the caller's) keeps the caller's PostgreSQL transaction usable
/// after a refusal.
fn record(
    conn: &mut DbConnection,
    tenant: TenantId,
    database: &ProvisionedDatabase,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.transaction(|conn| {
        diesel::insert_into(tenant_databases::table)
            .values(NewDatabaseRow {
                tenant_id: tenant.0,
                backend: database.backend.as_str(),
                database: &database.database,
                role: database.role.as_deref(),
                created_at: to_db(at),
            })
            .execute(conn)
            .map_err(map_insert_error)?;
        Ok(())
    })
}

/// Either uniqueness rule of `tenant_databases` (the tenant's primary key, the unique
/// database) is a conflict on `database`; anything else as usual.
fn map_insert_error(error: DieselError) -> StoreError {
    if let DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = &error {
        let by_constraint = info
            .constraint_name()
            .is_some_and(|name| name.starts_with("tenant_databases_"));
        let by_message = info
            .message()
            .starts_with("UNIQUE constraint failed: tenant_databases.");
        if by_constraint || by_message {
            return StoreError::conflict("database");
        }
    }
    StoreError::from(error)
}

fn find(
    conn: &mut DbConnection,
    tenant: TenantId,
) -> Result<Option<ProvisionedDatabase>, StoreError> {
    let row: Option<DatabaseRow> = tenant_databases::table
        .filter(tenant_databases::tenant_id.eq(tenant.0))
        .select(DatabaseRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|row| {
        let backend = DatabaseBackend::parse(&row.backend).ok_or_else(|| {
            StoreError::corrupt("tenant_databases.backend", format!("{:?}", row.backend))
        })?;
        Ok(ProvisionedDatabase {
            backend,
            database: row.database,
            role: row.role,
        })
    })
    .transpose()
}
