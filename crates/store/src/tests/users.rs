//! Users through the registration crate's port: stored and read back intact, unique by
//! username and (case-insensitively) email within a tenant, listed and searched,
//! activated once, and gone with their tenant.

use std::sync::Barrier;
use std::time::Duration;

use diesel::prelude::*;
use tenantry_registration::{
    LinkPurpose, NewEmail, NewLink, Outbox, Taken, TokenDigest, User, UserQuery, UserRepository,
};
use tenantry_tenant::{RepositoryError, TenantId, TenantRepository};

use super::{at, new_tenant, new_user, on_both_backends, open, password_hash, stored_at};
use crate::schema::{outbox, user_links, users};
use crate::testing::TestDatabase;
use crate::{DbConnection, StoreError, TenantStore};

on_both_backends!(
    users_are_stored_and_read_back_intact,
    usernames_and_emails_are_unique_within_a_tenant,
    a_clash_leaves_the_callers_transaction_usable,
    concurrent_registrations_of_one_username_store_one,
    taken_matches_usernames_exactly_and_emails_case_insensitively,
    listing_searches_literally_and_pages_in_id_order,
    activation_keeps_the_first_time_and_sets_the_password,
    stored_values_that_no_longer_parse_are_backend_faults,
    a_purged_tenant_takes_its_users_links_and_emails,
    user_search_folds_case_over_all_of_unicode_and_older_rows_are_filled_in,
);

fn conflict(field: &str) -> RepositoryError {
    RepositoryError::Conflict {
        field: field.into(),
    }
}

/// Two tenants, `talent1` and `talent2`.
fn two_tenants(conn: &mut DbConnection) -> (TenantId, TenantId) {
    let mut store = TenantStore::new(conn);
    let one = store.insert(&new_tenant("talent1", &[])).unwrap().id;
    let two = store.insert(&new_tenant("talent2", &[])).unwrap().id;
    (one, two)
}

fn users_are_stored_and_read_back_intact(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (tenant, _) = two_tenants(&mut conn);
    let mut store = TenantStore::new(&mut conn);

    let mut admin = new_user(tenant, "Ada_L-1", "Ada.Lovelace@Example.org", 5);
    admin.name = tenantry_registration::FullName::parse("Ada Lovelace, Countess 100%").unwrap();
    admin.password_hash = Some(password_hash("c29tZXNhbHQ"));
    admin.is_active = true;
    admin.is_tenant_admin = true;
    let stored = store.insert_user(&admin).unwrap();
    assert!(stored.id > 0);
    let expected = User {
        id: stored.id,
        tenant_id: tenant,
        username: admin.username.clone(),
        email: admin.email.clone(),
        name: admin.name.clone(),
        password_hash: admin.password_hash.clone(),
        is_active: true,
        is_tenant_admin: true,
        created_at: stored_at(5),
        activated_at: Some(stored_at(5)),
    };
    assert_eq!(
        stored, expected,
        "an active user was activated when created"
    );
    assert_eq!(
        stored.email.as_str(),
        "Ada.Lovelace@Example.org",
        "the email as given"
    );
    assert_eq!(store.get_user(stored.id).unwrap(), Some(expected));

    let pending = store
        .insert_user(&new_user(tenant, "grace", "grace@example.org", 6))
        .unwrap();
    assert_ne!(pending.id, stored.id);
    assert_eq!(
        (
            pending.is_active,
            pending.activated_at,
            pending.password_hash
        ),
        (false, None, None)
    );
    let normalized: String = users::table
        .find(stored.id)
        .select(users::email_normalized)
        .first(store.conn())
        .unwrap();
    assert_eq!(normalized, "ada.lovelace@example.org");

    assert_eq!(store.get_user(pending.id + 100).unwrap(), None);
    let orphan = new_user(TenantId(tenant.0 + 100), "orphan", "orphan@example.org", 7);
    assert_eq!(store.insert_user(&orphan), Err(RepositoryError::NotFound));
}

fn usernames_and_emails_are_unique_within_a_tenant(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, two) = two_tenants(&mut conn);
    let mut store = TenantStore::new(&mut conn);
    store
        .insert_user(&new_user(one, "ada", "Ada@Example.org", 1))
        .unwrap();

    let same_username = new_user(one, "ada", "other@example.org", 2);
    assert_eq!(store.insert_user(&same_username), Err(conflict("username")));
    let same_email = new_user(one, "ada2", "ADA@example.ORG", 2);
    assert_eq!(store.insert_user(&same_email), Err(conflict("email")));

    // Usernames are matched exactly: another case is another username.
    store
        .insert_user(&new_user(one, "Ada", "ada.upper@example.org", 3))
        .unwrap();
    // The same values in another tenant are fine.
    store
        .insert_user(&new_user(two, "ada", "ada@example.org", 4))
        .unwrap();

    let count = |store: &mut TenantStore<'_>, tenant: TenantId| -> i64 {
        users::table
            .filter(users::tenant_id.eq(tenant.0))
            .count()
            .get_result(store.conn())
            .unwrap()
    };
    assert_eq!((count(&mut store, one), count(&mut store, two)), (2, 1));
}

fn a_clash_leaves_the_callers_transaction_usable(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (tenant, _) = two_tenants(&mut conn);
    conn.write_transaction::<_, StoreError, _>(|conn| {
        let mut store = TenantStore::new(conn);
        store.insert_user(&new_user(tenant, "ada", "ada@example.org", 1))?;
        let clash = store.insert_user(&new_user(tenant, "ada", "ada2@example.org", 2));
        assert_eq!(clash, Err(conflict("username")));
        let clash = store.insert_user(&new_user(tenant, "ada2", "ADA@example.org", 2));
        assert_eq!(clash, Err(conflict("email")));
        store.insert_user(&new_user(tenant, "grace", "grace@example.org", 3))?;
        Ok(())
    })
    .unwrap();
    let page = TenantStore::new(&mut conn)
        .list_users(tenant, &query(None, 1, 10))
        .unwrap();
    let names: Vec<&str> = page.items.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(
        names,
        ["ada", "grace"],
        "the transaction went on and committed"
    );
}

/// The second registration starts after the first stored its user but before it
/// committed: it waits (for SQLite's write lock or PostgreSQL's unique index) and then
/// clashes.
fn concurrent_registrations_of_one_username_store_one(test: &TestDatabase) {
    let database = open(test);
    let tenant = two_tenants(&mut database.conn().unwrap()).0;
    let stored_first = Barrier::new(2);
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            let mut conn = database.conn().unwrap();
            conn.write_transaction::<_, StoreError, _>(|conn| {
                TenantStore::new(conn).insert_user(&new_user(
                    tenant,
                    "ada",
                    "ada@example.org",
                    1,
                ))?;
                stored_first.wait();
                std::thread::sleep(Duration::from_millis(300));
                Ok(())
            })
        });
        let second = scope.spawn(|| {
            let mut conn = database.conn().unwrap();
            stored_first.wait();
            conn.write_transaction::<_, StoreError, _>(|conn| {
                Ok(TenantStore::new(conn).insert_user(&new_user(
                    tenant,
                    "ada",
                    "other@example.org",
                    2,
                ))?)
            })
        });
        (first.join().unwrap(), second.join().unwrap())
    });
    assert_eq!(first, Ok(()));
    assert_eq!(second, Err(StoreError::conflict("username")));
    let mut conn = database.conn().unwrap();
    let page = TenantStore::new(&mut conn)
        .list_users(tenant, &query(None, 1, 10))
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].email.as_str(), "ada@example.org");
}

fn taken_matches_usernames_exactly_and_emails_case_insensitively(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, two) = two_tenants(&mut conn);
    let mut store = TenantStore::new(&mut conn);
    store
        .insert_user(&new_user(one, "ada", "Ada@Example.org", 1))
        .unwrap();

    let taken = |store: &mut TenantStore<'_>, tenant, username, email| {
        store.taken(tenant, username, email).unwrap()
    };
    let nothing = Taken::default();
    let both = Taken {
        username: true,
        email: true,
    };
    assert_eq!(taken(&mut store, one, "ada", "ada@example.org"), both);
    assert_eq!(taken(&mut store, one, "ada", "  ADA@EXAMPLE.ORG "), both);
    assert_eq!(
        taken(&mut store, one, "ada", "grace@example.org"),
        Taken {
            username: true,
            email: false
        }
    );
    assert_eq!(
        taken(&mut store, one, "ADA", "aDa@example.org"),
        Taken {
            username: false,
            email: true
        }
    );
    assert_eq!(
        taken(&mut store, one, "grace", "grace@example.org"),
        nothing
    );
    assert_eq!(taken(&mut store, two, "ada", "ada@example.org"), nothing);
    assert!(!nothing.any() && both.any());
}

fn query(search: Option<&str>, page: u32, per_page: u32) -> UserQuery {
    UserQuery {
        search: search.map(str::to_owned),
        page,
        per_page,
    }
}

fn listing_searches_literally_and_pages_in_id_order(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, two) = two_tenants(&mut conn);
    let mut store = TenantStore::new(&mut conn);
    let seed = [
        ("ada", "Ada@Example.org", "Ada Lovelace"),
        ("grace_h", "grace@navy.example.mil", "Grace Hopper"),
        ("alan", "alan%turing@example.org", "Alan Turing"),
        ("katherine", "kj@example.org", "Katherine Johnson 100%"),
        ("edsger", "ewd@example.NL", "Edsger W. Dijkstra"),
    ];
    for (index, (username, email, name)) in (0_i64..).zip(seed) {
        let mut user = new_user(one, username, email, index);
        user.name = tenantry_registration::FullName::parse(name).unwrap();
        store.insert_user(&user).unwrap();
    }
    store
        .insert_user(&new_user(two, "ada", "ada@example.org", 9))
        .unwrap();

    let usernames = |store: &mut TenantStore<'_>, search: Option<&str>, page, per_page| {
        let found = store
            .list_users(one, &query(search, page, per_page))
            .unwrap();
        let names: Vec<String> = found
            .items
            .iter()
            .map(|user| user.username.as_str().to_owned())
            .collect();
        (names, found.total)
    };

    let all = ["ada", "grace_h", "alan", "katherine", "edsger"];
    assert_eq!(
        usernames(&mut store, None, 1, 50),
        (all.map(String::from).to_vec(), 5)
    );
    assert_eq!(
        usernames(&mut store, Some(""), 1, 50).1,
        5,
        "an empty search matches everything"
    );
    let found = |names: &[&str], total| (names.iter().map(|n| n.to_string()).collect(), total);
    // By username, email or name, case-insensitively.
    assert_eq!(usernames(&mut store, Some("AD"), 1, 50), found(&["ada"], 1));
    assert_eq!(
        usernames(&mut store, Some("NAVY"), 1, 50),
        found(&["grace_h"], 1)
    );
    assert_eq!(
        usernames(&mut store, Some("example.nl"), 1, 50),
        found(&["edsger"], 1)
    );
    assert_eq!(
        usernames(&mut store, Some("hopper"), 1, 50),
        found(&["grace_h"], 1)
    );
    assert_eq!(
        usernames(&mut store, Some("example.org"), 1, 50),
        found(&["ada", "alan", "katherine"], 3)
    );
    // `%` and `_` match only themselves.
    assert_eq!(
        usernames(&mut store, Some("%"), 1, 50),
        found(&["alan", "katherine"], 2)
    );
    assert_eq!(
        usernames(&mut store, Some("_"), 1, 50),
        found(&["grace_h"], 1)
    );
    assert_eq!(usernames(&mut store, Some("a_a"), 1, 50), found(&[], 0));
    assert_eq!(usernames(&mut store, Some("\\"), 1, 50), found(&[], 0));

    // Pages carry the total of all pages.
    assert_eq!(
        usernames(&mut store, None, 1, 2),
        found(&["ada", "grace_h"], 5)
    );
    assert_eq!(
        usernames(&mut store, None, 2, 2),
        found(&["alan", "katherine"], 5)
    );
    assert_eq!(usernames(&mut store, None, 3, 2), found(&["edsger"], 5));
    assert_eq!(usernames(&mut store, None, 4, 2), found(&[], 5));
    assert_eq!(
        usernames(&mut store, Some("a"), 2, 2),
        found(&["alan", "katherine"], 5),
        "search and paging together"
    );
    assert_eq!(
        usernames(&mut store, None, 0, 0),
        found(&["ada"], 5),
        "page and size of at least 1"
    );
    assert_eq!(
        store.list_users(two, &query(None, 1, 50)).unwrap().total,
        1,
        "only the tenant's users"
    );
}

fn activation_keeps_the_first_time_and_sets_the_password(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (tenant, _) = two_tenants(&mut conn);
    let mut store = TenantStore::new(&mut conn);
    let user = store
        .insert_user(&new_user(tenant, "ada", "ada@example.org", 1))
        .unwrap();
    let other = store
        .insert_user(&new_user(tenant, "grace", "grace@example.org", 1))
        .unwrap();

    store.activate_user(user.id, None, at(10)).unwrap();
    let activated = store.get_user(user.id).unwrap().unwrap();
    assert_eq!(
        (
            activated.is_active,
            activated.activated_at,
            activated.password_hash
        ),
        (true, Some(stored_at(10)), None)
    );

    let hash = password_hash("b3RoZXJzYWx0");
    store.activate_user(user.id, Some(&hash), at(20)).unwrap();
    let reset = store.get_user(user.id).unwrap().unwrap();
    assert_eq!(
        reset.activated_at,
        Some(stored_at(10)),
        "the first time stays"
    );
    assert_eq!(reset.password_hash, Some(hash.clone()));

    store.activate_user(user.id, None, at(30)).unwrap();
    assert_eq!(
        store.get_user(user.id).unwrap().unwrap().password_hash,
        Some(hash),
        "no hash given: the stored one stays"
    );
    assert_eq!(
        store.get_user(other.id).unwrap().unwrap(),
        other,
        "other users are untouched"
    );
    assert_eq!(
        store.activate_user(other.id + 100, None, at(40)),
        Err(RepositoryError::NotFound)
    );
}

fn stored_values_that_no_longer_parse_are_backend_faults(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (tenant, _) = two_tenants(&mut conn);
    let mut store = TenantStore::new(&mut conn);
    let user = store
        .insert_user(&new_user(tenant, "ada", "ada@example.org", 1))
        .unwrap();
    type Corrupt = fn(&mut DbConnection, i64) -> QueryResult<usize>;
    let corruptions: [(&str, Corrupt); 3] = [
        ("username", |conn, id| {
            diesel::update(users::table.find(id))
                .set(users::username.eq("not a username!"))
                .execute(conn)
        }),
        ("email", |conn, id| {
            diesel::update(users::table.find(id))
                .set(users::email.eq("not an email"))
                .execute(conn)
        }),
        ("name", |conn, id| {
            diesel::update(users::table.find(id))
                .set(users::name.eq("  "))
                .execute(conn)
        }),
    ];
    for (column, corrupt) in corruptions {
        let original = user.clone();
        assert_eq!(corrupt(store.conn(), user.id), Ok(1));
        match store.get_user(user.id) {
            Err(RepositoryError::Backend(cause)) => {
                assert!(cause.contains(&format!("users.{column}")), "{cause}");
            }
            other => panic!("{column}: {other:?}"),
        }
        assert!(matches!(
            store.list_users(tenant, &query(None, 1, 10)),
            Err(RepositoryError::Backend(_))
        ));
        restore(&mut store, &original);
    }
    diesel::update(users::table.find(user.id))
        .set(users::password_hash.eq("plaintext"))
        .execute(store.conn())
        .unwrap();
    assert!(matches!(
        store.get_user(user.id),
        Err(RepositoryError::Backend(cause)) if cause.contains("users.password_hash")
    ));
}

fn restore(store: &mut TenantStore<'_>, user: &User) {
    diesel::update(users::table.find(user.id))
        .set((
            users::username.eq(user.username.as_str()),
            users::email.eq(user.email.as_str()),
            users::name.eq(user.name.as_str()),
        ))
        .execute(store.conn())
        .unwrap();
    assert_eq!(store.get_user(user.id).unwrap().as_ref(), Some(user));
}

fn a_purged_tenant_takes_its_users_links_and_emails(test: &TestDatabase) {
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, two) = two_tenants(&mut conn);
    let mut store = TenantStore::new(&mut conn);
    for (tenant, name) in [(one, "one"), (two, "two")] {
        let user = store
            .insert_user(&new_user(tenant, "ada", "ada@example.org", 1))
            .unwrap();
        for purpose in [LinkPurpose::Activation, LinkPurpose::PasswordReset] {
            store
                .insert_link(&NewLink {
                    user_id: user.id,
                    purpose,
                    digest: TokenDigest::of(&format!("{name}-{}", purpose.as_str())),
                    created_at: at(1),
                    expires_at: at(1) + purpose.lifetime(),
                })
                .unwrap();
        }
        store
            .enqueue_email(&email(Some(tenant), "ada@example.org"))
            .unwrap();
    }
    let operators_email = store
        .enqueue_email(&email(None, "ops@example.org"))
        .unwrap();

    assert!(store.delete(one).unwrap());

    let counts = |store: &mut TenantStore<'_>| -> (i64, i64, i64) {
        let conn = store.conn();
        (
            users::table.count().get_result(conn).unwrap(),
            user_links::table.count().get_result(conn).unwrap(),
            outbox::table.count().get_result(conn).unwrap(),
        )
    };
    assert_eq!(counts(&mut store), (1, 2, 2), "talent1's rows are gone");
    let left: Vec<i64> = users::table
        .select(users::tenant_id)
        .load(store.conn())
        .unwrap();
    assert_eq!(left, [two.0]);
    let emails: Vec<(i64, Option<i64>)> = outbox::table
        .select((outbox::id, outbox::tenant_id))
        .order(outbox::id)
        .load(store.conn())
        .unwrap();
    assert_eq!(emails.len(), 2);
    assert_eq!(emails[0].1, Some(two.0));
    assert_eq!(
        emails[1],
        (operators_email, None),
        "emails without a tenant stay"
    );
    assert_eq!(
        store.taken(one, "ada", "ada@example.org").unwrap(),
        Taken::default()
    );
}

fn email(tenant: Option<TenantId>, recipient: &str) -> NewEmail {
    NewEmail {
        tenant_id: tenant,
        recipient: recipient.into(),
        subject: "Activate your account".into(),
        body: "https://example.org/activate/secret".into(),
        created_at: at(2),
    }
}

fn user_search_folds_case_over_all_of_unicode_and_older_rows_are_filled_in(test: &TestDatabase) {
    use diesel::prelude::*;

    use crate::schema::users;
    use crate::tenants::backfill_user_search_text;
    let database = open(test);
    let mut conn = database.conn().unwrap();
    let (one, _) = two_tenants(&mut conn);
    let mut store = TenantStore::new(&mut conn);
    for (index, (username, email, name)) in (0_i64..).zip([
        ("elan", "elan@example.org", "Élan Ärzte"),
        ("jurgen", "jurgen@example.org", "Jürgen Großmann"),
        ("tanaka", "tanaka@example.jp", "田中 太郎"),
    ]) {
        let mut user = new_user(one, username, email, index);
        user.name = tenantry_registration::FullName::parse(name).unwrap();
        store.insert_user(&user).unwrap();
    }
    let found = |store: &mut TenantStore<'_>, search: &str| -> Vec<String> {
        store
            .list_users(one, &query(Some(search), 1, 20))
            .unwrap()
            .items
            .iter()
            .map(|user| user.username.as_str().to_owned())
            .collect()
    };
    assert_eq!(found(&mut store, "élan"), ["elan"]);
    assert_eq!(found(&mut store, "ÄRZTE"), ["elan"]);
    assert_eq!(found(&mut store, "GROSSMANN"), ["jurgen"]);
    assert_eq!(found(&mut store, "田中"), ["tanaka"]);
    assert!(found(&mut store, "elan\nelan").is_empty());

    diesel::update(users::table)
        .set(users::search_text.eq(None::<String>))
        .execute(store.conn())
        .unwrap();
    assert!(found(&mut store, "élan").is_empty(), "not yet filled in");
    assert_eq!(backfill_user_search_text(store.conn()).unwrap(), 3);
    assert_eq!(found(&mut store, "ÉLAN"), ["elan"]);
}
