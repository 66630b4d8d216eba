//! Each migration runs up → down → up cleanly, on each backend.

use diesel::migration::MigrationSource;
use diesel::prelude::*;

use diesel_migrations::MigrationHarness;
use tenantry_registration::UserRepository;
use tenantry_tenant::TenantRepository;

use super::{new_tenant, new_user, on_both_backends};
use crate::migrations::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use crate::tenants::insert_before_search_text;
use crate::testing::TestDatabase;
use crate::{
    Database, PoolOptions, StoreError, TenantStore, manager, revert_all, run_pending, schema,
};

on_both_backends!(
    migrations_go_up_down_and_up_again,
    the_newest_migration_goes_down_and_up_alone,
    the_id_migration_keeps_rows_and_ids_are_not_reused_after_it,
);

/// Every migration, oldest first (the order they are applied in).
const ALL: [&str; 13] = [
    "2026-11-23-000001_control_plane",
    "2026-11-25-000001_admin_api",
    "2026-11-25-000002_users",
    "2026-11-25-000003_tenant_databases",
    "2026-11-25-000004_impersonation",
    "2026-11-30-000010_ids_never_reused",
    "2026-11-30-000011_provisioning_intents",
    "2026-11-30-000012_live_tenants_index",
    "2026-11-30-000013_tenant_search",
    "2026-11-30-000014_token_requests",
    "2026-11-30-000015_user_search",
    "2026-11-30-000016_eox_sync",
    "2026-11-30-000017_webhooks",
];

/// `ALL`, newest first (the order they are reverted in).
fn all_reversed() -> Vec<&'static str> {
    ALL.iter().rev().copied().collect()
}

fn tenant_count(test: &TestDatabase) -> Result<i64, StoreError> {
    let mut conn = manager::establish(&test.url())?;
    Ok(schema::tenants::table.count().get_result(&mut conn)?)
}

/// The tables of the admin API migration can be read; the routing version is seeded.
fn routing_version(test: &TestDatabase) -> Result<i64, StoreError> {
    let mut conn = manager::establish(&test.url())?;
    let idempotent: i64 = schema::idempotency_keys::table
        .count()
        .get_result(&mut conn)?;
    let keys: i64 = schema::signing_keys::table.count().get_result(&mut conn)?;
    assert_eq!((idempotent, keys), (0, 0));
    Ok(schema::routing_state::table
        .select(schema::routing_state::version)
        .first(&mut conn)?)
}

/// The tables of the newest migration can be read: (users, links, emails).
fn user_rows(test: &TestDatabase) -> Result<(i64, i64, i64), StoreError> {
    let mut conn = manager::establish(&test.url())?;
    Ok((
        schema::users::table.count().get_result(&mut conn)?,
        schema::user_links::table.count().get_result(&mut conn)?,
        schema::outbox::table.count().get_result(&mut conn)?,
    ))
}

/// The tenants with a search text.
fn searchable_tenants(test: &TestDatabase) -> Result<i64, StoreError> {
    let mut conn = manager::establish(&test.url())?;
    Ok(schema::tenants::table
        .filter(schema::tenants::search_text.is_not_null())
        .count()
        .get_result(&mut conn)?)
}

/// The provisioning intents' table can be read: its row count.
fn intent_rows(test: &TestDatabase) -> Result<i64, StoreError> {
    let mut conn = manager::establish(&test.url())?;
    Ok(schema::provisioning_intents::table
        .count()
        .get_result(&mut conn)?)
}

/// The impersonation migration's table can be read: its row count.
fn impersonation_rows(test: &TestDatabase) -> Result<i64, StoreError> {
    let mut conn = manager::establish(&test.url())?;
    Ok(schema::impersonation_tokens::table
        .count()
        .get_result(&mut conn)?)
}

fn migrations_go_up_down_and_up_again(test: &TestDatabase) {
    let url = test.url();
    assert_eq!(run_pending(&url).unwrap(), ALL);
    assert_eq!(
        run_pending(&url).unwrap(),
        Vec::<String>::new(),
        "nothing left to apply"
    );
    assert_eq!(tenant_count(test).unwrap(), 0);
    assert_eq!(routing_version(test).unwrap(), 0);
    assert_eq!(user_rows(test).unwrap(), (0, 0, 0));
    assert_eq!(impersonation_rows(test).unwrap(), 0);

    assert_eq!(revert_all(&url).unwrap(), all_reversed());
    assert!(tenant_count(test).is_err(), "the tables are gone");
    assert!(routing_version(test).is_err(), "the new tables too");
    assert!(user_rows(test).is_err(), "and the newest");
    assert!(impersonation_rows(test).is_err());
    assert_eq!(revert_all(&url).unwrap(), Vec::<String>::new());

    assert_eq!(run_pending(&url).unwrap(), ALL);
    assert_eq!(tenant_count(test).unwrap(), 0);
    assert_eq!(routing_version(test).unwrap(), 0);
    assert_eq!(user_rows(test).unwrap(), (0, 0, 0));
}

/// Reverting the newest migration alone keeps the older migrations' data; reverting it
/// again and again takes the migrations off one by one.
fn the_newest_migration_goes_down_and_up_alone(test: &TestDatabase) {
    let url = test.url();
    assert_eq!(run_pending(&url).unwrap(), ALL);
    let mut conn = manager::establish(&url).unwrap();
    let tenant = TenantStore::new(&mut conn)
        .insert(&new_tenant("talent1", &["a.example.com"]))
        .unwrap();
    TenantStore::new(&mut conn)
        .insert_user(&new_user(tenant.id, "ada", "ada@example.org", 1))
        .unwrap();
    drop(conn);
    let revert_last = || revert_last(&url);
    assert_eq!(searchable_tenants(test).unwrap(), 1);
    assert_eq!(revert_last().unwrap(), "20261130000017");
    assert_eq!(revert_last().unwrap(), "20261130000016");
    assert_eq!(revert_last().unwrap(), "20261130000015");
    assert_eq!(revert_last().unwrap(), "20261130000014");
    assert_eq!(revert_last().unwrap(), "20261130000013");
    assert!(searchable_tenants(test).is_err(), "the search text goes");
    assert_eq!(tenant_count(test).unwrap(), 1, "the rows stay");
    assert_eq!(run_pending(&url).unwrap(), &ALL[8..]);
    assert_eq!(searchable_tenants(test).unwrap(), 0, "none until connected");
    drop(Database::connect(&url, PoolOptions::default()).unwrap());
    assert_eq!(
        searchable_tenants(test).unwrap(),
        1,
        "filled in when the store connects"
    );
    assert_eq!(revert_last().unwrap(), "20261130000017");
    assert_eq!(revert_last().unwrap(), "20261130000016");
    assert_eq!(revert_last().unwrap(), "20261130000015");
    assert_eq!(revert_last().unwrap(), "20261130000014");
    assert_eq!(revert_last().unwrap(), "20261130000013");
    assert_eq!(revert_last().unwrap(), "20261130000012");
    assert_eq!(
        tenant_count(test).unwrap(),
        1,
        "the index goes, the rows stay"
    );
    assert_eq!(run_pending(&url).unwrap(), &ALL[7..]);
    assert_eq!(revert_last().unwrap(), "20261130000017");
    assert_eq!(revert_last().unwrap(), "20261130000016");
    assert_eq!(revert_last().unwrap(), "20261130000015");
    assert_eq!(revert_last().unwrap(), "20261130000014");
    assert_eq!(revert_last().unwrap(), "20261130000013");
    assert_eq!(revert_last().unwrap(), "20261130000012");
    assert_eq!(revert_last().unwrap(), "20261130000011");
    assert!(intent_rows(test).is_err());
    assert_eq!(run_pending(&url).unwrap(), &ALL[6..]);
    assert_eq!(intent_rows(test).unwrap(), 0);
    assert_eq!(revert_last().unwrap(), "20261130000017");
    assert_eq!(revert_last().unwrap(), "20261130000016");
    assert_eq!(revert_last().unwrap(), "20261130000015");
    assert_eq!(revert_last().unwrap(), "20261130000014");
    assert_eq!(revert_last().unwrap(), "20261130000013");
    assert_eq!(revert_last().unwrap(), "20261130000012");
    assert_eq!(revert_last().unwrap(), "20261130000011");
    assert_eq!(revert_last().unwrap(), "20261130000010");
    assert_eq!(user_rows(test).unwrap(), (1, 0, 0), "the rows are kept");
    assert_eq!(run_pending(&url).unwrap(), &ALL[5..]);
    assert_eq!(user_rows(test).unwrap(), (1, 0, 0));
    assert_eq!(revert_last().unwrap(), "20261130000017");
    assert_eq!(revert_last().unwrap(), "20261130000016");
    assert_eq!(revert_last().unwrap(), "20261130000015");
    assert_eq!(revert_last().unwrap(), "20261130000014");
    assert_eq!(revert_last().unwrap(), "20261130000013");
    assert_eq!(revert_last().unwrap(), "20261130000012");
    assert_eq!(revert_last().unwrap(), "20261130000011");
    assert_eq!(revert_last().unwrap(), "20261130000010");

    assert_eq!(revert_last().unwrap(), "20261125000004");
    assert!(impersonation_rows(test).is_err());
    assert_eq!(
        user_rows(test).unwrap(),
        (1, 0, 0),
        "older tables keep their rows"
    );
    assert_eq!(run_pending(&url).unwrap(), &ALL[4..]);
    assert_eq!(impersonation_rows(test).unwrap(), 0);
    assert_eq!(revert_last().unwrap(), "20261130000017");
    assert_eq!(revert_last().unwrap(), "20261130000016");
    assert_eq!(revert_last().unwrap(), "20261130000015");
    assert_eq!(revert_last().unwrap(), "20261130000014");
    assert_eq!(revert_last().unwrap(), "20261130000013");
    assert_eq!(revert_last().unwrap(), "20261130000012");
    assert_eq!(revert_last().unwrap(), "20261130000011");
    assert_eq!(revert_last().unwrap(), "20261130000010");
    assert_eq!(revert_last().unwrap(), "20261125000004");
    assert_eq!(revert_last().unwrap(), "20261125000003");
    assert_eq!(revert_last().unwrap(), "20261125000002");
    assert!(user_rows(test).is_err());
    assert_eq!(
        routing_version(test).unwrap(),
        1,
        "the tenant insert bumped it"
    );
    assert_eq!(tenant_count(test).unwrap(), 1);

    assert_eq!(run_pending(&url).unwrap(), &ALL[2..]);
    assert_eq!(user_rows(test).unwrap(), (0, 0, 0));
    assert_eq!(tenant_count(test).unwrap(), 1);

    assert_eq!(revert_last().unwrap(), "20261130000017");

    assert_eq!(revert_last().unwrap(), "20261130000016");

    assert_eq!(revert_last().unwrap(), "20261130000015");
    assert_eq!(revert_last().unwrap(), "20261130000014");
    assert_eq!(revert_last().unwrap(), "20261130000013");
    assert_eq!(revert_last().unwrap(), "20261130000012");
    assert_eq!(revert_last().unwrap(), "20261130000011");
    assert_eq!(revert_last().unwrap(), "20261130000010");
    assert_eq!(revert_last().unwrap(), "20261125000004");
    assert_eq!(revert_last().unwrap(), "20261125000003");
    assert_eq!(revert_last().unwrap(), "20261125000002");
    assert_eq!(revert_last().unwrap(), "20261125000001");
    assert!(routing_version(test).is_err());
    assert_eq!(tenant_count(test).unwrap(), 1);

    assert_eq!(run_pending(&url).unwrap(), &ALL[1..]);
    assert_eq!(routing_version(test).unwrap(), 0);
    assert_eq!(user_rows(test).unwrap(), (0, 0, 0));
    assert_eq!(tenant_count(test).unwrap(), 1);
}

fn revert_last(url: &crate::DatabaseUrl) -> diesel::migration::Result<String> {
    match url.sqlite_path() {
        Some(path) => manager::establish_sqlite(path)
            .unwrap()
            .revert_last_migration(SQLITE_MIGRATIONS)
            .map(|version| version.to_string()),
        None => manager::establish_postgres(url)
            .unwrap()
            .revert_last_migration(POSTGRES_MIGRATIONS)
            .map(|version| version.to_string()),
    }
}

/// The migration that stops id reuse keeps every row (and the foreign keys between
/// them: dropping its old tables must not cascade), and after it a purged tenant's ids
/// are not handed out again, nor any tenant id the audit log mentions.
fn the_id_migration_keeps_rows_and_ids_are_not_reused_after_it(test: &TestDatabase) {
    let url = test.url();
    assert_eq!(run_pending(&url).unwrap(), ALL);
    assert_eq!(revert_last(&url).unwrap(), "20261130000017");
    assert_eq!(revert_last(&url).unwrap(), "20261130000016");
    assert_eq!(revert_last(&url).unwrap(), "20261130000015");
    assert_eq!(revert_last(&url).unwrap(), "20261130000014");
    assert_eq!(revert_last(&url).unwrap(), "20261130000013");
    assert_eq!(revert_last(&url).unwrap(), "20261130000012");
    assert_eq!(revert_last(&url).unwrap(), "20261130000011");
    assert_eq!(revert_last(&url).unwrap(), "20261130000010");

    let mut conn = manager::establish(&url).unwrap();
    let kept_tenant = new_tenant("kept", &["kept.example.com"]);
    let kept = insert_before_search_text(&mut conn, &kept_tenant).unwrap();
    let gone = insert_before_search_text(&mut conn, &new_tenant("gone", &[])).unwrap();
    // A user as the schema before `…000015_user_search` stores one (no search text).
    let user_id: i64 = {
        use crate::schema::users;
        diesel::insert_into(users::table)
            .values((
                users::tenant_id.eq(kept.0),
                users::username.eq("ada"),
                users::email.eq("ada@example.org"),
                users::email_normalized.eq("ada@example.org"),
                users::name.eq("Ada Lovelace"),
                users::is_active.eq(false),
                users::is_tenant_admin.eq(false),
                users::created_at.eq(crate::time::to_db(super::at(1))),
            ))
            .execute(&mut conn)
            .unwrap();
        users::table
            .filter(users::username.eq("ada"))
            .select(users::id)
            .first(&mut conn)
            .unwrap()
    };
    let mut store = TenantStore::new(&mut conn);
    let user = store.get_user(user_id).unwrap().unwrap();
    let mut event = super::audit::event_at(1, tenantry_tenant::Action::TenantPurge);
    event.tenant_id = Some(gone);
    // The row alone: the tables a purge's event also writes to come with later migrations.
    crate::audit::insert(store.conn(), &event).unwrap();
    assert!(store.delete(gone).unwrap());
    drop(conn);

    assert_eq!(run_pending(&url).unwrap(), &ALL[5..]);
    let mut conn = manager::establish(&url).unwrap();
    let mut store = TenantStore::new(&mut conn);
    let again = store.get(kept).unwrap().unwrap();
    assert_eq!(
        again.domains, kept_tenant.domains,
        "the tenant keeps its domains"
    );
    assert_eq!(store.get_user(user.id).unwrap(), Some(user.clone()));
    let next = store.insert(&new_tenant("next", &[])).unwrap();
    assert!(
        next.id.0 > gone.0,
        "{:?} reuses the purged {gone:?}",
        next.id,
    );
    drop(conn);

    // Down keeps the rows too.
    assert_eq!(revert_last(&url).unwrap(), "20261130000017");
    assert_eq!(revert_last(&url).unwrap(), "20261130000016");
    assert_eq!(revert_last(&url).unwrap(), "20261130000015");
    assert_eq!(revert_last(&url).unwrap(), "20261130000014");
    assert_eq!(revert_last(&url).unwrap(), "20261130000013");
    assert_eq!(revert_last(&url).unwrap(), "20261130000012");
    assert_eq!(revert_last(&url).unwrap(), "20261130000011");
    assert_eq!(revert_last(&url).unwrap(), "20261130000010");
    let mut conn = manager::establish(&url).unwrap();
    let mut store = TenantStore::new(&mut conn);
    assert_eq!(
        store.get(kept).unwrap().unwrap().domains,
        kept_tenant.domains
    );
    assert_eq!(store.get_user(user.id).unwrap(), Some(user));
    assert!(store.get(next.id).unwrap().is_some());
}

fn names<DB: diesel::backend::Backend>(source: &dyn MigrationSource<DB>) -> Vec<String> {
    let migrations = source.migrations().unwrap();
    migrations
        .iter()
        .map(|migration| migration.name().to_string())
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = names::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS);
    let postgres = names::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS);
    assert_eq!(sqlite, postgres);
    assert_eq!(sqlite, ALL);
}
