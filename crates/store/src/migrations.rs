//! The schema's migrations, one set per backend with the same names, embedded in the binary.
//!
//! Migrations run on a concrete connection of their own before any pool exists
//! ([`crate::Database::connect`]), or alone (`tenantry migrate`).

use diesel::RunQueryDsl;
use diesel::backend::Backend as DieselBackend;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::manager::{establish_postgres, establish_sqlite};
use crate::{DatabaseUrl, StoreError};

/// The SQLite migrations (`migrations/sqlite/`).
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// The PostgreSQL migrations (`migrations/postgres/`).
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Key of the PostgreSQL advisory lock held while migrating, so that several tenantry
/// processes starting together against one database migrate one after the other.
const MIGRATION_LOCK_KEY: i64 = 0x7465_6e61_6e74_7279; // "tenantry"

/// Applies every migration not yet applied, oldest first, and returns their names
/// (e.g. `2026-11-23-000001_control_plane`); empty when the database is up to date.
pub fn run_pending(url: &DatabaseUrl) -> Result<Vec<String>, StoreError> {
    match url.sqlite_path() {
        Some(path) => apply_pending(&mut establish_sqlite(path)?, SQLITE_MIGRATIONS),
        None => {
            let mut conn = establish_postgres(url)?;
            lock_postgres(&mut conn)?;
            apply_pending(&mut conn, POSTGRES_MIGRATIONS)
        }
    }
}

/// The migrations not yet applied to the database at `url`, oldest first, without applying
/// them (empty when it is up to date).
pub fn pending(url: &DatabaseUrl) -> Result<Vec<String>, StoreError> {
    fn names<DB: DieselBackend>(
        conn: &mut impl MigrationHarness<DB>,
        source: EmbeddedMigrations,
    ) -> Result<Vec<String>, StoreError> {
        let pending = conn.pending_migrations(source).map_err(migration_error)?;
        Ok(pending
            .iter()
            .map(|migration| migration.name().to_string())
            .collect())
    }
    match url.sqlite_path() {
        Some(path) => names(&mut establish_sqlite(path)?, SQLITE_MIGRATIONS),
        None => names(&mut establish_postgres(url)?, POSTGRES_MIGRATIONS),
    }
}

/// Reverts every applied migration, newest first, and returns their names. This drops
/// all of tenantry's data: it exists for tests of the `down.sql` scripts.
pub fn revert_all(url: &DatabaseUrl) -> Result<Vec<String>, StoreError> {
    match url.sqlite_path() {
        Some(path) => revert_applied(&mut establish_sqlite(path)?, SQLITE_MIGRATIONS),
        None => {
            let mut conn = establish_postgres(url)?;
            lock_postgres(&mut conn)?;
            revert_applied(&mut conn, POSTGRES_MIGRATIONS)
        }
    }
}

/// Takes the session-level migration lock; it is released when the connection closes.
fn lock_postgres(conn: &mut diesel::PgConnection) -> Result<(), StoreError> {
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")).execute(conn)?;
    Ok(())
}

fn apply_pending<DB, C>(conn: &mut C, source: EmbeddedMigrations) -> Result<Vec<String>, StoreError>
where
    DB: DieselBackend,
    C: MigrationHarness<DB>,
{
    let pending = conn.pending_migrations(source).map_err(migration_error)?;
    let mut applied = Vec::with_capacity(pending.len());
    for migration in &pending {
        let name = migration.name().to_string();
        conn.run_migration(migration.as_ref())
            .map_err(|error| StoreError::Migration(format!("{name}: {error}")))?;
        applied.push(name);
    }
    Ok(applied)
}

fn revert_applied<DB, C>(
    conn: &mut C,
    source: EmbeddedMigrations,
) -> Result<Vec<String>, StoreError>
where
    DB: DieselBackend,
    C: MigrationHarness<DB>,
{
    let known =
        diesel::migration::MigrationSource::<DB>::migrations(&source).map_err(migration_error)?;
    let applied = conn.applied_migrations().map_err(migration_error)?;
    let mut reverted = Vec::with_capacity(applied.len());
    for version in applied {
        let migration = known
            .iter()
            .find(|migration| migration.name().version() == version)
            .ok_or_else(|| {
                StoreError::Migration(format!("applied migration {version} is unknown"))
            })?;
        let name = migration.name().to_string();
        conn.revert_migration(migration.as_ref())
            .map_err(|error| StoreError::Migration(format!("reverting {name}: {error}")))?;
        reverted.push(name);
    }
    Ok(reverted)
}

fn migration_error(error: Box<dyn std::error::Error + Send + Sync>) -> StoreError {
    StoreError::Migration(error.to_string())
}
