//! Where each tenant's database is, through the tenant crate's `TenantDatabases` port:
//! stored and read back, one per tenant, each database recorded once, gone with its
//! tenant.

use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use tenantry_tenant::provisioning::{DatabaseBackend, ProvisionedDatabase, TenantDatabases};
use tenantry_tenant::{RepositoryError, TenantId, TenantRepository};

use super::{at, new_tenant, on_both_backends, open};
use crate::migrations::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use crate::schema::tenant_databases;
use crate::testing::TestDatabase;
use crate::{DbConnection, StoreError, TenantStore, manager, run_pending};

on_both_backends!(
    databases_are_recorded_and_found,
    one_database_per_tenant_and_one_tenant_per_database,
    a_refusal_leaves_the_callers_transaction_usable,
    a_deleted_tenant_takes_its_record,
    only_known_backends_are_stored,
    the_migration_goes_down_and_up_alone,
);

const MIGRATION: &str = "2026-11-25-000003_tenant_databases";

fn conflict_on_database() -> RepositoryError {
    RepositoryError::Conflict {
        field: "database".into(),
    }
}

fn postgres_database(name: &str) -> ProvisionedDatabase {
    ProvisionedDatabase {
        backend: DatabaseBackend::Postgres,
        database: name.into(),
        role: Some(name.into()),
    }
}

fn sqlite_database(path: &str) -> ProvisionedDatabase {
    ProvisionedDatabase {
        backend: DatabaseBackend::Sqlite,
        database: path.into(),
        role: None,
    }
}

fn two_tenants(conn: &mut DbConnection) -> (TenantId, TenantId) {
    let mut store = TenantStore::new(conn);
    let one = store.insert(&new_tenant("talent1", &[])).unwrap().id;
    let two = store.insert(&new_tenant("talent2", &[])).unwrap().id;
    (one, two)
}

fn databases_are_recorded_and_found(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, two) = two_tenants(&mut conn);
    let mut store = TenantStore::new(&mut conn);

    assert_eq!(store.find_database(one).unwrap(), None);
    let postgres = postgres_database("tenant_talent1");
    store.record_database(one, &postgres, at(3)).unwrap();
    let sqlite = sqlite_database("data/tenants/tenant_talent2.db");
    store.record_database(two, &sqlite, at(4)).unwrap();

    assert_eq!(store.find_database(one).unwrap(), Some(postgres));
    assert_eq!(store.find_database(two).unwrap(), Some(sqlite));
    assert_eq!(store.find_database(TenantId(9_999)).unwrap(), None);

    let created: chrono::NaiveDateTime = tenant_databases::table
        .filter(tenant_databases::tenant_id.eq(one.0))
        .select(tenant_databases::created_at)
        .first(store.conn())
        .unwrap();
    assert_eq!(created.and_utc(), super::stored_at(3));
}

fn one_database_per_tenant_and_one_tenant_per_database(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, two) = two_tenants(&mut conn);
    let mut store = TenantStore::new(&mut conn);

    store
        .record_database(one, &postgres_database("tenant_talent1"), at(0))
        .unwrap();
    assert_eq!(
        store.record_database(one, &postgres_database("tenant_other"), at(1)),
        Err(conflict_on_database()),
        "a tenant has one database"
    );
    assert_eq!(
        store.record_database(two, &postgres_database("tenant_talent1"), at(1)),
        Err(conflict_on_database()),
        "a database belongs to one tenant"
    );
    assert_eq!(
        store.record_database(TenantId(9_999), &postgres_database("tenant_ghost"), at(1)),
        Err(RepositoryError::NotFound),
        "an unknown tenant"
    );
    assert_eq!(
        store.find_database(one).unwrap(),
        Some(postgres_database("tenant_talent1")),
        "the first record stands"
    );
    assert_eq!(store.find_database(two).unwrap(), None);
}

fn a_refusal_leaves_the_callers_transaction_usable(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, two) = two_tenants(&mut conn);
    let found = conn
        .write_transaction::<_, StoreError, _>(|conn| {
            let mut store = TenantStore::new(conn);
            store.record_database(one, &postgres_database("tenant_a"), at(0))?;
            let clash = store.record_database(two, &postgres_database("tenant_a"), at(0));
            assert_eq!(clash, Err(conflict_on_database()));
            store.record_database(two, &postgres_database("tenant_b"), at(0))?;
            Ok(store.find_database(two)?)
        })
        .unwrap();
    assert_eq!(found, Some(postgres_database("tenant_b")));
}

fn a_deleted_tenant_takes_its_record(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, two) = two_tenants(&mut conn);
    let mut store = TenantStore::new(&mut conn);
    store
        .record_database(one, &postgres_database("tenant_talent1"), at(0))
        .unwrap();
    store
        .record_database(two, &postgres_database("tenant_talent2"), at(0))
        .unwrap();

    assert!(store.delete(one).unwrap());
    assert_eq!(store.find_database(one).unwrap(), None);
    let rows: i64 = tenant_databases::table
        .count()
        .get_result(store.conn())
        .unwrap();
    assert_eq!(rows, 1, "only the other tenant's record is left");
    assert_eq!(
        store.find_database(two).unwrap(),
        Some(postgres_database("tenant_talent2"))
    );
    // The name is free again for a new tenant.
    let three = store.insert(&new_tenant("talent3", &[])).unwrap().id;
    store
        .record_database(three, &postgres_database("tenant_talent1"), at(1))
        .unwrap();
}

fn only_known_backends_are_stored(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, _) = two_tenants(&mut conn);
    let inserted = diesel::insert_into(tenant_databases::table)
        .values((
            tenant_databases::tenant_id.eq(one.0),
            tenant_databases::backend.eq("mysql"),
            tenant_databases::database.eq("tenant_talent1"),
            tenant_databases::role.eq(None::<String>),
            tenant_databases::created_at.eq(at(0).naive_utc()),
        ))
        .execute(&mut *conn)
        .map_err(StoreError::from);
    assert!(
        matches!(inserted, Err(StoreError::Backend(_))),
        "{inserted:?}"
    );
}

/// Reverts this module's migration alone, whatever migrations came after it (they touch
/// other tables), and returns its version.
fn revert_migration<DB, C>(conn: &mut C, source: EmbeddedMigrations) -> String
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
{
    let migrations = MigrationSource::<DB>::migrations(&source).unwrap();
    let migration = migrations
        .iter()
        .find(|migration| migration.name().to_string() == MIGRATION)
        .unwrap();
    conn.revert_migration(migration.as_ref())
        .unwrap()
        .to_string()
}

fn record_count(test: &TestDatabase) -> Result<i64, StoreError> {
    let mut conn = manager::establish(&test.url())?;
    Ok(tenant_databases::table.count().get_result(&mut conn)?)
}

fn the_migration_goes_down_and_up_alone(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, _) = two_tenants(&mut conn);
    TenantStore::new(&mut conn)
        .record_database(one, &postgres_database("tenant_talent1"), at(0))
        .unwrap();
    drop(conn);
    drop(database);

    let url = test.url();
    let reverted = match url.sqlite_path() {
        Some(path) => revert_migration(
            &mut manager::establish_sqlite(path).unwrap(),
            SQLITE_MIGRATIONS,
        ),
        None => revert_migration(
            &mut manager::establish_postgres(&url).unwrap(),
            POSTGRES_MIGRATIONS,
        ),
    };
    assert_eq!(reverted, "20261125000003");
    assert!(record_count(test).is_err(), "the table is gone");
    let mut conn = manager::establish(&url).unwrap();
    let tenants: i64 = crate::schema::tenants::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(tenants, 2, "the tenants stay");

    assert_eq!(run_pending(&url).unwrap(), [MIGRATION]);
    assert_eq!(record_count(test).unwrap(), 0);
}
