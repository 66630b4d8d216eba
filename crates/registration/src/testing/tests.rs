use chrono::Duration;
use tenantry_tenant::Status;

use super::fixtures::{context, hash, t0};
use super::*;
use crate::access::{AccessError, NewApiToken, TokenFilter, TokenScope, issue_token};
use crate::impersonation::ImpersonationRepository;
use crate::users::{
    Claim, LinkPurpose, LinkState, NewEmail, NewUser, Outbox, UserQuery, UserRepository,
};
use crate::{AccessRepository, Email, FullName, Username};

fn new_user(tenant: i64, username: &str, email: &str) -> NewUser {
    NewUser {
        tenant_id: TenantId(tenant),
        username: Username::parse(username).unwrap(),
        email: Email::parse(email).unwrap(),
        name: FullName::parse("Ada Lovelace").unwrap(),
        password_hash: None,
        is_active: false,
        is_tenant_admin: false,
        created_at: t0(),
    }
}

fn conflict_field(result: Result<User, RepositoryError>) -> String {
    match result {
        Err(RepositoryError::Conflict { field }) => field,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn usernames_and_emails_are_unique_per_tenant() {
    let mut store = InMemorySession::new();
    let ada = store
        .insert_user(&new_user(1, "ada", "ada@example.org"))
        .unwrap();
    assert_eq!(ada.id, 1);
    assert_eq!(ada.activated_at, None);
    let rows = [
        (new_user(1, "ada", "other@example.org"), "username"),
        (new_user(1, "grace", "ADA@Example.org"), "email"),
        (new_user(1, "ada", "ada@example.org"), "username"),
    ];
    for (user, field) in rows {
        assert_eq!(conflict_field(store.insert_user(&user)), field);
    }
    // Another tenant, or another spelling of the username, is free.
    store
        .insert_user(&new_user(2, "ada", "ada@example.org"))
        .unwrap();
    store
        .insert_user(&new_user(1, "Ada", "ada2@example.org"))
        .unwrap();
    assert_eq!(store.users().len(), 3);
    let taken = store.taken(TenantId(1), "ada", "ADA@EXAMPLE.ORG").unwrap();
    assert!(taken.username && taken.email);
    assert!(
        !store
            .taken(TenantId(3), "ada", "ada@example.org")
            .unwrap()
            .any()
    );
}

#[test]
fn an_active_user_starts_activated_and_activation_keeps_the_first_time() {
    let mut store = InMemorySession::new();
    let mut active = new_user(1, "ada", "ada@example.org");
    active.is_active = true;
    let ada = store.insert_user(&active).unwrap();
    assert_eq!(ada.activated_at, Some(t0()));
    store
        .activate_user(ada.id, None, t0() + Duration::days(1))
        .unwrap();
    assert_eq!(
        store.get_user(ada.id).unwrap().unwrap().activated_at,
        Some(t0())
    );
    assert!(matches!(
        store.activate_user(99, None, t0()),
        Err(RepositoryError::NotFound)
    ));
}

#[test]
fn links_are_used_once_and_expire() {
    let mut store = InMemorySession::new();
    let ada = store
        .insert_user(&new_user(1, "ada", "ada@example.org"))
        .unwrap();
    let digest = TokenDigest::of("secret");
    store
        .insert_link(&NewLink {
            user_id: ada.id,
            purpose: LinkPurpose::Activation,
            digest: digest.clone(),
            created_at: t0(),
            expires_at: t0() + Duration::hours(1),
        })
        .unwrap();
    let expired_at = t0() + Duration::hours(1);
    let rows = [
        (LinkPurpose::PasswordReset, t0(), LinkState::Unknown),
        (LinkPurpose::Activation, expired_at, LinkState::Expired),
        (LinkPurpose::Activation, t0(), LinkState::Valid(ada.id)),
    ];
    for (purpose, now, state) in rows {
        assert_eq!(store.link_state(purpose, &digest, now).unwrap(), state);
        // Reading twice changes nothing.
        assert_eq!(store.link_state(purpose, &digest, now).unwrap(), state);
    }
    let other = TokenDigest::of("other");
    assert_eq!(
        store
            .use_link(LinkPurpose::Activation, &other, t0())
            .unwrap(),
        LinkState::Unknown
    );
    assert_eq!(
        store
            .use_link(LinkPurpose::Activation, &digest, expired_at)
            .unwrap(),
        LinkState::Expired
    );
    assert_eq!(
        store
            .use_link(LinkPurpose::Activation, &digest, t0())
            .unwrap(),
        LinkState::Valid(ada.id)
    );
    assert_eq!(
        store
            .use_link(LinkPurpose::Activation, &digest, t0())
            .unwrap(),
        LinkState::Used
    );
    assert_eq!(
        store
            .link_state(LinkPurpose::Activation, &digest, t0())
            .unwrap(),
        LinkState::Used
    );
}

#[test]
fn a_link_needs_an_existing_user() {
    let mut store = InMemorySession::new();
    let result = store.insert_link(&NewLink {
        user_id: 1,
        purpose: LinkPurpose::Activation,
        digest: TokenDigest::of("secret"),
        created_at: t0(),
        expires_at: t0(),
    });
    assert!(matches!(result, Err(RepositoryError::NotFound)));
}

#[test]
fn the_outbox_delivers_due_emails_oldest_first_and_retries_failures() {
    let mut store = InMemorySession::new();
    let email = |minute: i64| NewEmail {
        tenant_id: Some(TenantId(1)),
        recipient: format!("user{minute}@example.org"),
        subject: "Hello".into(),
        body: "Body".into(),
        created_at: t0() + Duration::minutes(minute),
    };
    let late = store.enqueue_email(&email(5)).unwrap();
    let early = store.enqueue_email(&email(1)).unwrap();
    let ids = |due: Vec<QueuedEmail>| due.into_iter().map(|q| q.id).collect::<Vec<_>>();

    assert_eq!(ids(store.due_emails(t0(), 10).unwrap()), Vec::<i64>::new());
    let later = t0() + Duration::minutes(10);
    assert_eq!(ids(store.due_emails(later, 10).unwrap()), vec![early, late]);
    assert_eq!(ids(store.due_emails(later, 1).unwrap()), vec![early]);

    let claim = |store: &mut InMemorySession, id: i64, due_at, lease_until| {
        assert!(store.claim_email(id, due_at, lease_until).unwrap());
        Claim { id, lease_until }
    };
    let lease = later + Duration::minutes(1);
    let early_claim = claim(&mut store, early, t0() + Duration::minutes(1), lease);
    assert!(
        store
            .mark_failed(&early_claim, "smtp 451", later + Duration::minutes(5))
            .unwrap()
    );
    assert_eq!(store.last_error(early), Some("smtp 451"));
    assert_eq!(ids(store.due_emails(later, 10).unwrap()), vec![late]);
    let late_claim = claim(&mut store, late, t0() + Duration::minutes(5), lease);
    assert!(store.mark_delivered(&late_claim, later).unwrap());
    assert!(store.due_emails(later, 10).unwrap().is_empty());

    let retry = store.due_emails(later + Duration::minutes(5), 10).unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 1);
    assert_eq!(store.pending_emails().len(), 1);
    let stale = Claim {
        id: early,
        lease_until: lease,
    };
    assert!(
        !store.mark_delivered(&stale, later).unwrap(),
        "a stale claim"
    );
    let unknown = Claim {
        id: 99,
        lease_until: lease,
    };
    assert!(!store.mark_delivered(&unknown, later).unwrap());

    let retry_claim = claim(
        &mut store,
        early,
        retry[0].next_attempt_at,
        later + Duration::hours(1),
    );
    assert!(
        store
            .give_up_email(
                &retry_claim,
                "550 no such user",
                later + Duration::minutes(6)
            )
            .unwrap()
    );
    assert_eq!(store.pending_emails(), []);
    assert_eq!(store.failed_email_count().unwrap(), 1);
}

#[test]
fn users_are_listed_by_search_and_page() {
    let mut store = InMemorySession::new();
    for (username, email) in [
        ("ada", "ada@example.org"),
        ("grace", "grace@navy.mil"),
        ("alan", "alan@example.org"),
    ] {
        store.insert_user(&new_user(1, username, email)).unwrap();
    }
    store
        .insert_user(&new_user(2, "ada", "ada@example.org"))
        .unwrap();
    let query = |search: Option<&str>, page, per_page| UserQuery {
        search: search.map(Into::into),
        page,
        per_page,
    };
    let names = |page: Page<User>| {
        let names: Vec<String> = page
            .items
            .iter()
            .map(|user| user.username.as_str().to_owned())
            .collect();
        (names, page.total)
    };
    let tenant = TenantId(1);
    let all = store.list_users(tenant, &query(None, 1, 10)).unwrap();
    assert_eq!(
        names(all),
        (vec!["ada".into(), "grace".into(), "alan".into()], 3)
    );
    let example = store
        .list_users(tenant, &query(Some("EXAMPLE"), 1, 10))
        .unwrap();
    assert_eq!(names(example), (vec!["ada".into(), "alan".into()], 2));
    let second = store.list_users(tenant, &query(None, 2, 2)).unwrap();
    assert_eq!(names(second), (vec!["alan".into()], 3));
}

#[test]
fn tokens_need_their_tenant_and_keep_the_first_revocation() {
    let mut session = InMemorySession::new();
    let new = |scope| NewApiToken {
        digest: TokenDigest::of(&format!("{scope:?}")),
        label: None,
        scope,
        created_by: Some("ops".into()),
        created_at: t0(),
    };
    let unknown = TokenScope::Registration(TenantId(9));
    assert_eq!(
        session.insert_token(&new(unknown)),
        Err(RepositoryError::NotFound)
    );
    let tenant = session.add_tenant("talent1", Status::Active, &[]);
    let scope = TokenScope::Registration(tenant.id);
    let token = session.insert_token(&new(scope)).unwrap();
    let admin = session.insert_token(&new(TokenScope::Admin)).unwrap();
    let digest = TokenDigest::of(&format!("{scope:?}"));
    assert_eq!(session.find_token(&digest), Ok(Some(token.clone())));
    assert_eq!(
        session.list_tokens(TokenFilter::Admin),
        Ok(vec![admin.clone()])
    );

    let later = t0() + Duration::minutes(1);
    let first = session.revoke_token(token.id, t0()).unwrap().unwrap();
    let second = session.revoke_token(token.id, later).unwrap().unwrap();
    assert_eq!(
        (first.revoked_at, second.revoked_at),
        (Some(t0()), Some(t0()))
    );
    assert_eq!(session.revoke_token(99, t0()), Ok(None));
}

#[test]
fn operators_are_found_by_name_and_the_first_signing_key_stays() {
    let mut session = InMemorySession::new();
    assert_eq!(session.find_operator("ops"), Ok(None));
    let operator = OperatorAccount {
        id: 1,
        username: "ops".into(),
        password_hash: hash(),
        updated_at: t0(),
    };
    session.add_operator(operator.clone());
    assert_eq!(session.find_operator("ops"), Ok(Some(operator)));
    assert_eq!(session.find_operator("OPS"), Ok(None));

    assert_eq!(session.signing_key(b"first"), Ok(b"first".to_vec()));
    assert_eq!(session.signing_key(b"second"), Ok(b"first".to_vec()));
}

#[test]
fn impersonation_secrets_need_their_tenant_and_user() {
    let mut session = InMemorySession::new();
    let tenant = session.add_tenant("talent1", Status::Active, &[]);
    let admin = session.add_user(tenant.id, "admin", true);
    let new = |tenant_id, user_id| NewImpersonation {
        tenant_id,
        user_id,
        digest: TokenDigest::of("secret"),
        created_at: t0(),
        expires_at: t0() + Duration::minutes(5),
    };
    for (tenant_id, user_id) in [(TenantId(9), admin.id), (tenant.id, 99)] {
        assert_eq!(
            session.insert_impersonation(&new(tenant_id, user_id)),
            Err(RepositoryError::NotFound)
        );
    }
    session
        .insert_impersonation(&new(tenant.id, admin.id))
        .unwrap();
    assert_eq!(
        session.insert_impersonation(&new(tenant.id, admin.id)),
        Err(conflict("digest"))
    );
}

#[test]
fn an_armed_failure_fails_the_next_call_of_any_port_method_once() {
    let mut session = InMemorySession::new();
    let down = RepositoryError::Unavailable("down".into());
    session.fail_next("insert_user", down.clone());
    session.fail_next("get", down.clone());
    session.fail_next("record", down.clone());

    let new = new_user(1, "ada", "ada@example.org");
    assert_eq!(session.insert_user(&new), Err(down.clone()));
    assert!(session.users().is_empty(), "nothing stored");
    session.insert_user(&new).unwrap();

    // The tenant ports of the session fail the same way.
    assert_eq!(session.get(TenantId(1)), Err(down.clone()));
    assert_eq!(session.get(TenantId(1)), Ok(None), "used once");
    let issued = issue_token(&mut session, &context(t0()), TokenScope::Admin, None, None);
    assert!(
        matches!(&issued, Err(AccessError::Repository(error)) if *error == down),
        "{issued:?}"
    );
    assert!(session.events().is_empty());
    issue_token(&mut session, &context(t0()), TokenScope::Admin, None, None).unwrap();
    assert_eq!(session.events().len(), 1);
}
