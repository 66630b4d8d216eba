//! Each migration runs up → down → up cleanly, on each backend.

use diesel::migration::MigrationSource;
use diesel::prelude::*;

use super::on_both_backends;
use crate::migrations::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use crate::testing::TestDatabase;
use crate::{StoreError, manager, revert_all, run_pending, schema};

on_both_backends!(migrations_go_up_down_and_up_again);

const ALL: [&str; 1] = ["2026-11-23-000001_control_plane"];

fn tenant_count(test: &TestDatabase) -> Result<i64, StoreError> {
    let mut conn = manager::establish(&test.url())?;
    Ok(schema::tenants::table.count().get_result(&mut conn)?)
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

    assert_eq!(revert_all(&url).unwrap(), ALL);
    assert!(tenant_count(test).is_err(), "the tables are gone");
    assert_eq!(revert_all(&url).unwrap(), Vec::<String>::new());

    assert_eq!(run_pending(&url).unwrap(), ALL);
    assert_eq!(tenant_count(test).unwrap(), 0);
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
