//! The rules the schema itself enforces, on each backend: checks, cascades, the single
//! primary domain.

use diesel::prelude::*;
use tenantry_tenant::{RepositoryError, TenantRepository};

use super::{at, new_tenant, on_both_backends, open};
use crate::schema::{api_tokens, operators, tenants};
use crate::testing::TestDatabase;
use crate::{DbConnection, StoreError, TenantStore, create_operator};

on_both_backends!(
    token_scopes_match_their_tenant,
    tokens_go_with_their_tenant_and_outlive_their_operator,
    stored_values_are_checked,
    a_tenant_has_at_most_one_primary_domain,
);

fn insert_token(
    conn: &mut DbConnection,
    digest: &str,
    scope: &str,
    tenant_id: Option<i64>,
    operator_id: Option<i64>,
) -> Result<usize, StoreError> {
    Ok(diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::digest.eq(digest),
            api_tokens::scope.eq(scope),
            api_tokens::tenant_id.eq(tenant_id),
            api_tokens::operator_id.eq(operator_id),
            api_tokens::created_at.eq(at(0).naive_utc()),
        ))
        .execute(conn)?)
}

fn is_backend_error(result: &Result<usize, StoreError>) -> bool {
    matches!(result, Err(StoreError::Backend(_)))
}

fn token_scopes_match_their_tenant(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let tenant = TenantStore::new(&mut conn)
        .insert(&new_tenant("talent1", &[]))
        .unwrap();
    let tenant_id = Some(tenant.id.0);

    assert_eq!(insert_token(&mut conn, "d1", "admin", None, None), Ok(1));
    assert_eq!(
        insert_token(&mut conn, "d2", "registration", tenant_id, None),
        Ok(1)
    );
    assert!(is_backend_error(&insert_token(
        &mut conn, "d3", "admin", tenant_id, None
    )));
    assert!(is_backend_error(&insert_token(
        &mut conn,
        "d4",
        "registration",
        None,
        None
    )));
    assert!(is_backend_error(&insert_token(
        &mut conn, "d5", "root", None, None
    )));
    assert_eq!(
        insert_token(&mut conn, "d1", "admin", None, None),
        Err(StoreError::conflict("token"))
    );
}

fn tokens_go_with_their_tenant_and_outlive_their_operator(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let tenant = TenantStore::new(&mut conn)
        .insert(&new_tenant("talent1", &[]))
        .unwrap();
    let operator = create_operator(&mut conn, "admin", "hash", at(0)).unwrap();
    insert_token(&mut conn, "admin-token", "admin", None, Some(operator.id)).unwrap();
    insert_token(
        &mut conn,
        "tenant-token",
        "registration",
        Some(tenant.id.0),
        None,
    )
    .unwrap();

    assert!(TenantStore::new(&mut conn).delete(tenant.id).unwrap());
    diesel::delete(operators::table.filter(operators::id.eq(operator.id)))
        .execute(&mut *conn)
        .unwrap();
    let left: Vec<(String, Option<i64>)> = api_tokens::table
        .select((api_tokens::digest, api_tokens::operator_id))
        .load(&mut *conn)
        .unwrap();
    assert_eq!(left, [("admin-token".to_owned(), None)]);
}

fn stored_values_are_checked(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let tenant = TenantStore::new(&mut conn)
        .insert(&new_tenant("talent1", &[]))
        .unwrap();
    let bad_status = diesel::update(tenants::table.filter(tenants::id.eq(tenant.id.0)))
        .set(tenants::status.eq("paused"))
        .execute(&mut *conn)
        .map_err(StoreError::from);
    assert!(is_backend_error(&bad_status), "{bad_status:?}");
}

fn a_tenant_has_at_most_one_primary_domain(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let mut store = TenantStore::new(&mut conn);
    let mut two_primaries = new_tenant("talent1", &["a.example.com", "b.example.com"]);
    two_primaries.domains[1].is_primary = true;
    let error = store.insert(&two_primaries).unwrap_err();
    assert!(matches!(error, RepositoryError::Backend(_)), "{error:?}");
    assert_eq!(store.count_live().unwrap(), 0);
}
