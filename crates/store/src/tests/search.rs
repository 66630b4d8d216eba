//! Tenant search over all of Unicode, the same on both backends, on an index, following
//! every change of a tenant's name, display name and domains.

use diesel::RunQueryDsl;
use diesel::prelude::*;
use diesel::sql_types::Text;
use tenantry_tenant::{Status, TenantQuery, TenantRepository};

use super::{bare_tenant, domains, on_both_backends, open};
use crate::schema::tenants;
use crate::tenants::{backfill_search_text, search_is_indexed};
use crate::testing::TestDatabase;
use crate::{Backend, DbConnection, TenantStore};

on_both_backends!(
    search_folds_case_over_all_of_unicode,
    search_follows_renames_domain_changes_and_purges,
    tenants_stored_before_the_search_text_are_filled_in_and_found,
    a_search_of_three_characters_or_more_reads_the_index,
);

fn search(conn: &mut DbConnection, text: &str) -> Vec<String> {
    let query = TenantQuery {
        search: Some(text.into()),
        ..TenantQuery::default()
    };
    TenantStore::new(conn)
        .list(&query)
        .unwrap()
        .items
        .into_iter()
        .map(|tenant| tenant.name.as_str().to_owned())
        .collect()
}

fn insert(conn: &mut DbConnection, name: &str, display_name: &str, hosts: &[&str]) {
    TenantStore::new(conn)
        .insert(&bare_tenant(name, display_name, Status::Active, hosts))
        .unwrap();
}

fn search_folds_case_over_all_of_unicode(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    insert(&mut conn, "elan", "Élan Ärzte", &[]);
    insert(&mut conn, "strasse", "Große Straße", &[]);
    insert(&mut conn, "tokyo", "東京大学 オンライン", &[]);
    insert(&mut conn, "athens", "ΟΔΟΣ Πανεπιστήμιο", &[]);
    insert(&mut conn, "moscow", "МГУ Онлайн", &[]);

    for (text, expected) in [
        ("élan", vec!["elan"]),
        ("ÉLAN", vec!["elan"]),
        ("Élan ärzte", vec!["elan"]),
        ("ÄRZ", vec!["elan"]),
        ("elan ä", vec![]),
        ("STRASSE", vec!["strasse"]),
        ("straße", vec!["strasse"]),
        ("GROẞE", vec!["strasse"]),
        ("京大", vec!["tokyo"]),
        ("オンライン", vec!["tokyo"]),
        ("大阪", vec![]),
        ("οδος", vec!["athens"]),
        ("ΠΑΝΕΠΙΣΤΉΜΙΟ", vec!["athens"]),
        ("онлайн", vec!["moscow"]),
        ("мгу", vec!["moscow"]),
        ("Ä", vec!["elan"]),
        ("ß", vec!["strasse"]),
        ("京", vec!["tokyo"]),
    ] {
        assert_eq!(search(&mut conn, text), expected, "search {text:?}");
    }
}

fn search_follows_renames_domain_changes_and_purges(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    insert(&mut conn, "alpha", "Alpha Academy", &["alpha.example.com"]);
    insert(&mut conn, "beta", "Beta", &["beta.example.com"]);

    let mut store = TenantStore::new(&mut conn);
    let mut alpha = store
        .find_by_name(&"alpha".parse().unwrap())
        .unwrap()
        .unwrap();
    alpha.profile.display_name = "Université Ouverte".into();
    alpha.domains = domains(&["learn.univ.example", "alpha.example.com"]);
    store.save(&alpha).unwrap();

    assert!(
        search(&mut conn, "academy").is_empty(),
        "the old name is gone"
    );
    assert_eq!(search(&mut conn, "UNIVERSITÉ"), ["alpha"]);
    assert_eq!(search(&mut conn, "learn.univ"), ["alpha"], "an added host");
    assert_eq!(search(&mut conn, "example.com"), ["alpha", "beta"]);

    let mut store = TenantStore::new(&mut conn);
    alpha = store
        .find_by_name(&"alpha".parse().unwrap())
        .unwrap()
        .unwrap();
    alpha.domains = domains(&["learn.univ.example"]);
    store.save(&alpha).unwrap();
    assert_eq!(search(&mut conn, "example.com"), ["beta"], "a removed host");

    let beta = TenantStore::new(&mut conn)
        .find_by_name(&"beta".parse().unwrap())
        .unwrap()
        .unwrap();
    assert!(TenantStore::new(&mut conn).delete(beta.id).unwrap());
    assert!(search(&mut conn, "beta").is_empty(), "a purged tenant");
    insert(&mut conn, "beta", "Beta Again", &["beta.example.com"]);
    assert_eq!(search(&mut conn, "beta again"), ["beta"]);
}

fn tenants_stored_before_the_search_text_are_filled_in_and_found(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    insert(&mut conn, "elan", "Élan Ärzte", &["elan.example.com"]);
    insert(&mut conn, "other", "Other", &[]);
    let nulled = diesel::update(tenants::table)
        .set(tenants::search_text.eq(None::<String>))
        .execute(&mut *conn)
        .unwrap();
    assert_eq!(nulled, 2);
    assert!(search(&mut conn, "élan").is_empty(), "not yet filled in");

    assert_eq!(backfill_search_text(&mut conn).unwrap(), 2);
    assert_eq!(search(&mut conn, "ÉLAN"), ["elan"]);
    assert_eq!(search(&mut conn, "elan.example"), ["elan"]);
    assert_eq!(backfill_search_text(&mut conn).unwrap(), 0, "nothing left");
}

/// A line of SQLite's `EXPLAIN QUERY PLAN`.
#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// A line of PostgreSQL's `EXPLAIN`.
#[derive(QueryableByName)]
struct PostgresPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan of the store's own search filter for `lph`, as each backend words it.
fn search_plan(conn: &mut DbConnection) -> Vec<String> {
    match conn.backend() {
        Backend::Sqlite => diesel::sql_query(
            "EXPLAIN QUERY PLAN SELECT id FROM tenants WHERE tenants.id IN \
             (SELECT rowid FROM tenants_search WHERE tenants_search MATCH '\"lph\"')",
        )
        .load::<SqlitePlanLine>(conn)
        .unwrap()
        .into_iter()
        .map(|row| row.detail)
        .collect(),
        Backend::Postgres => {
            // A table of one row is read whole when it may; the question is whether the
            // index can serve the search at all.
            diesel::sql_query("SET enable_seqscan = off")
                .execute(conn)
                .unwrap();
            diesel::sql_query(
                "EXPLAIN SELECT id FROM tenants WHERE search_text LIKE '%lph%' ESCAPE '\\'",
            )
            .load::<PostgresPlanLine>(conn)
            .unwrap()
            .into_iter()
            .map(|row| row.line)
            .collect()
        }
    }
}

fn a_search_of_three_characters_or_more_reads_the_index(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    insert(&mut conn, "alpha", "Alpha", &[]);
    assert!(search_is_indexed(&mut conn).unwrap());
    let plan = search_plan(&mut conn);
    let index = match conn.backend() {
        Backend::Sqlite => "VIRTUAL TABLE INDEX",
        Backend::Postgres => "tenants_search_trgm",
    };
    assert!(
        plan.iter().any(|line| line.contains(index)),
        "{index} in {plan:?}"
    );
    assert_eq!(search(&mut conn, "LPH"), ["alpha"]);
}
