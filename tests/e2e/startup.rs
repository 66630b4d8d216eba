//! Start-up: migrations and the first operator.

use tenantry_e2e::{ADMIN_PASSWORD, TestApp, TestDatabase, on_both_backends};
use tenantry_registration::{Argon2idHasher, PasswordHash, PasswordHasher};
use tenantry_store::{Database, PoolOptions};

on_both_backends!(
    the_first_operator_gets_the_configured_password,
    a_generated_password_is_used_when_none_is_configured,
    a_restart_keeps_the_existing_operator,
);

fn open(database: &TestDatabase) -> Database {
    Database::connect(&database.url(), PoolOptions::default()).unwrap()
}

fn stored_hash(database: &TestDatabase, username: &str) -> Option<PasswordHash> {
    let mut conn = open(database).conn().unwrap();
    let operator = tenantry_store::find_operator(&mut conn, username).unwrap()?;
    Some(PasswordHash::from_phc(operator.password_hash).unwrap())
}

async fn the_first_operator_gets_the_configured_password(database: TestDatabase) {
    let app = TestApp::spawn(database).await;
    let hash = stored_hash(&app.database, "admin").expect("admin exists");
    assert!(
        hash.as_str().starts_with("$argon2id$"),
        "stored as argon2id"
    );
    let hasher = Argon2idHasher::default();
    assert!(hasher.verify(&hash, ADMIN_PASSWORD));
    assert!(!hasher.verify(&hash, "wrong-password-123"));
}

async fn a_generated_password_is_used_when_none_is_configured(database: TestDatabase) {
    let app = TestApp::spawn_with(database, |config| {
        config.first_operator.username = "root".into();
        config.first_operator.password = None;
    })
    .await;
    let hash = stored_hash(&app.database, "root").expect("root exists");
    assert!(!Argon2idHasher::default().verify(&hash, ADMIN_PASSWORD));
    assert!(stored_hash(&app.database, "admin").is_none());
}

async fn a_restart_keeps_the_existing_operator(database: TestDatabase) {
    let first = TestApp::spawn(database).await;
    let before = stored_hash(&first.database, "admin").unwrap();
    let database = first.stop_and_keep_database().await;
    let second = TestApp::spawn_with(database, |config| {
        config.first_operator.password = Some("another-password-456".into());
    })
    .await;
    assert_eq!(stored_hash(&second.database, "admin").unwrap(), before);
    let mut conn = open(&second.database).conn().unwrap();
    assert_eq!(tenantry_store::count_operators(&mut conn).unwrap(), 1);
}
