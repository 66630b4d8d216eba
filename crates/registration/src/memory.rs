//! In-memory implementations of [`UserRepository`], [`Outbox`] and
//! [`ImpersonationRepository`], for tests of the
//! registration rules and for embedding.
//!
//! They keep the database's promises: a username is unique per tenant, an email is
//! unique per tenant case-insensitively (both as [`RepositoryError::Conflict`] on
//! `username` or `email`), and a link or an impersonation secret is used at most once.

use chrono::{DateTime, Utc};
use tenantry_tenant::{Page, RepositoryError, TenantId};

use crate::impersonation::{ImpersonationRepository, ImpersonationState, NewImpersonation};
use crate::users::{
    LinkPurpose, LinkState, NewEmail, NewLink, NewUser, Outbox, QueuedEmail, Taken, User,
    UserQuery, UserRepository,
};
use crate::{PasswordHash, TokenDigest};

/// Users, links, outbox emails and impersonation secrets held in vectors.
#[derive(Debug, Default, Clone)]
pub struct InMemoryUsers {
    users: Vec<User>,
    links: Vec<StoredLink>,
    emails: Vec<StoredEmail>,
    impersonations: Vec<StoredImpersonation>,
    last_user_id: i64,
    last_email_id: i64,
}

/// A link and when it was used.
#[derive(Debug, Clone)]
struct StoredLink {
    link: NewLink,
    used_at: Option<DateTime<Utc>>,
}

/// An impersonation secret's digest and when it was used.
#[derive(Debug, Clone)]
struct StoredImpersonation {
    new: NewImpersonation,
    used_at: Option<DateTime<Utc>>,
}

/// An outbox row.
#[derive(Debug, Clone)]
struct StoredEmail {
    queued: QueuedEmail,
    delivered_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

impl InMemoryUsers {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every user, in id order.
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// Every link stored, used or not, oldest first.
    pub fn links(&self) -> impl Iterator<Item = &NewLink> {
        self.links.iter().map(|stored| &stored.link)
    }

    /// Emails not delivered yet, oldest first, whether due or not.
    pub fn pending_emails(&self) -> Vec<QueuedEmail> {
        self.emails
            .iter()
            .filter(|stored| stored.delivered_at.is_none())
            .map(|stored| stored.queued.clone())
            .collect()
    }

    /// The reason of the last failed delivery of the email `id`.
    pub fn last_error(&self, id: i64) -> Option<&str> {
        self.emails
            .iter()
            .find(|stored| stored.queued.id == id)
            .and_then(|stored| stored.last_error.as_deref())
    }

    fn user_mut(&mut self, id: i64) -> Result<&mut User, RepositoryError> {
        self.users
            .iter_mut()
            .find(|user| user.id == id)
            .ok_or(RepositoryError::NotFound)
    }

    fn email_mut(&mut self, id: i64) -> Result<&mut StoredEmail, RepositoryError> {
        self.emails
            .iter_mut()
            .find(|stored| stored.queued.id == id)
            .ok_or(RepositoryError::NotFound)
    }

    fn link_state_at(
        &self,
        purpose: LinkPurpose,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> (Option<usize>, LinkState) {
        let Some(index) = self.links.iter().position(|stored| {
            stored.link.purpose == purpose && stored.link.digest.matches(digest)
        }) else {
            return (None, LinkState::Unknown);
        };
        let stored = &self.links[index];
        let state = if stored.used_at.is_some() {
            LinkState::Used
        } else if now >= stored.link.expires_at {
            LinkState::Expired
        } else {
            LinkState::Valid(stored.link.user_id)
        };
        (Some(index), state)
    }
}

fn conflict(field: &str) -> RepositoryError {
    RepositoryError::Conflict {
        field: field.to_owned(),
    }
}

impl UserRepository for InMemoryUsers {
    fn insert_user(&mut self, new: &NewUser) -> Result<User, RepositoryError> {
        let found = self.taken(new.tenant_id, new.username.as_str(), new.email.as_str())?;
        if found.username {
            return Err(conflict("username"));
        }
        if found.email {
            return Err(conflict("email"));
        }
        self.last_user_id += 1;
        let user = User {
            id: self.last_user_id,
            tenant_id: new.tenant_id,
            username: new.username.clone(),
            email: new.email.clone(),
            name: new.name.clone(),
            password_hash: new.password_hash.clone(),
            is_active: new.is_active,
            is_tenant_admin: new.is_tenant_admin,
            created_at: new.created_at,
            activated_at: new.is_active.then_some(new.created_at),
        };
        self.users.push(user.clone());
        Ok(user)
    }

    fn taken(
        &mut self,
        tenant: TenantId,
        username: &str,
        email: &str,
    ) -> Result<Taken, RepositoryError> {
        let email = email.to_lowercase();
        let mut taken = Taken::default();
        for user in self.users.iter().filter(|user| user.tenant_id == tenant) {
            taken.username |= user.username.as_str() == username;
            taken.email |= user.email.normalized() == email;
        }
        Ok(taken)
    }

    fn get_user(&mut self, id: i64) -> Result<Option<User>, RepositoryError> {
        Ok(self.users.iter().find(|user| user.id == id).cloned())
    }

    fn list_users(
        &mut self,
        tenant: TenantId,
        query: &UserQuery,
    ) -> Result<Page<User>, RepositoryError> {
        let needle = query.search.as_deref().map(str::to_lowercase);
        let matches: Vec<&User> = self
            .users
            .iter()
            .filter(|user| user.tenant_id == tenant)
            .filter(|user| {
                needle.as_deref().is_none_or(|needle| {
                    user.username.as_str().to_lowercase().contains(needle)
                        || user.email.normalized().contains(needle)
                        || user.name.as_str().to_lowercase().contains(needle)
                })
            })
            .collect();
        let per_page = query.per_page.max(1) as usize;
        let skip = (query.page.max(1) as usize - 1).saturating_mul(per_page);
        Ok(Page {
            total: matches.len() as u64,
            items: matches
                .into_iter()
                .skip(skip)
                .take(per_page)
                .cloned()
                .collect(),
        })
    }

    fn activate_user(
        &mut self,
        id: i64,
        password_hash: Option<&PasswordHash>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let user = self.user_mut(id)?;
        user.is_active = true;
        user.activated_at.get_or_insert(at);
        if let Some(hash) = password_hash {
            user.password_hash = Some(hash.clone());
        }
        Ok(())
    }

    fn insert_link(&mut self, link: &NewLink) -> Result<(), RepositoryError> {
        if !self.users.iter().any(|user| user.id == link.user_id) {
            return Err(RepositoryError::NotFound);
        }
        if self
            .links
            .iter()
            .any(|stored| stored.link.digest == link.digest)
        {
            return Err(conflict("digest"));
        }
        self.links.push(StoredLink {
            link: link.clone(),
            used_at: None,
        });
        Ok(())
    }

    fn link_state(
        &mut self,
        purpose: LinkPurpose,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<LinkState, RepositoryError> {
        Ok(self.link_state_at(purpose, digest, now).1)
    }

    fn use_link(
        &mut self,
        purpose: LinkPurpose,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<LinkState, RepositoryError> {
        let (index, state) = self.link_state_at(purpose, digest, now);
        if let (Some(index), LinkState::Valid(_)) = (index, state) {
            self.links[index].used_at = Some(now);
        }
        Ok(state)
    }
}

impl ImpersonationRepository for InMemoryUsers {
    /// Checks the user exists (this store knows no tenants) and the digest is new (a
    /// conflict on `digest`).
    fn insert_impersonation(&mut self, new: &NewImpersonation) -> Result<(), RepositoryError> {
        if !self.users.iter().any(|user| user.id == new.user_id) {
            return Err(RepositoryError::NotFound);
        }
        if self
            .impersonations
            .iter()
            .any(|stored| stored.new.digest == new.digest)
        {
            return Err(conflict("digest"));
        }
        self.impersonations.push(StoredImpersonation {
            new: new.clone(),
            used_at: None,
        });
        Ok(())
    }

    fn use_impersonation(
        &mut self,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<ImpersonationState, RepositoryError> {
        let Some(stored) = self
            .impersonations
            .iter_mut()
            .find(|stored| stored.new.digest.matches(digest))
        else {
            return Ok(ImpersonationState::Unknown);
        };
        Ok(if stored.used_at.is_some() {
            ImpersonationState::Used
        } else if now >= stored.new.expires_at {
            ImpersonationState::Expired
        } else {
            stored.used_at = Some(now);
            ImpersonationState::Valid {
                tenant_id: stored.new.tenant_id,
                user_id: stored.new.user_id,
            }
        })
    }

    fn find_tenant_admin(&mut self, tenant: TenantId) -> Result<Option<User>, RepositoryError> {
        Ok(self
            .users
            .iter()
            .filter(|user| user.tenant_id == tenant && user.is_tenant_admin)
            .min_by_key(|user| user.id)
            .cloned())
    }
}

impl Outbox for InMemoryUsers {
    fn enqueue_email(&mut self, email: &NewEmail) -> Result<i64, RepositoryError> {
        self.last_email_id += 1;
        self.emails.push(StoredEmail {
            queued: QueuedEmail {
                id: self.last_email_id,
                email: email.clone(),
                attempts: 0,
                next_attempt_at: email.created_at,
            },
            delivered_at: None,
            last_error: None,
        });
        Ok(self.last_email_id)
    }

    fn due_emails(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedEmail>, RepositoryError> {
        let mut due: Vec<QueuedEmail> = self
            .emails
            .iter()
            .filter(|stored| stored.delivered_at.is_none() && stored.queued.next_attempt_at <= now)
            .map(|stored| stored.queued.clone())
            .collect();
        due.sort_by_key(|queued| (queued.email.created_at, queued.id));
        due.truncate(limit as usize);
        Ok(due)
    }

    fn mark_delivered(&mut self, id: i64, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        self.email_mut(id)?.delivered_at.get_or_insert(at);
        Ok(())
    }

    fn claim_email(
        &mut self,
        id: i64,
        due_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let stored = self.email_mut(id)?;
        if stored.delivered_at.is_some() || stored.queued.next_attempt_at != due_at {
            return Ok(false);
        }
        stored.queued.next_attempt_at = lease_until;
        Ok(true)
    }

    fn mark_failed(
        &mut self,
        id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let stored = self.email_mut(id)?;
        stored.queued.attempts += 1;
        stored.queued.next_attempt_at = retry_at;
        stored.last_error = Some(error.to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::{Email, FullName, Username};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

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
        let mut store = InMemoryUsers::new();
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
        let mut store = InMemoryUsers::new();
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
        let mut store = InMemoryUsers::new();
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
        let mut store = InMemoryUsers::new();
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
        let mut store = InMemoryUsers::new();
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

        store
            .mark_failed(early, "smtp 451", later + Duration::minutes(5))
            .unwrap();
        assert_eq!(store.last_error(early), Some("smtp 451"));
        assert_eq!(ids(store.due_emails(later, 10).unwrap()), vec![late]);
        store.mark_delivered(late, later).unwrap();
        assert!(store.due_emails(later, 10).unwrap().is_empty());

        let retry = store.due_emails(later + Duration::minutes(5), 10).unwrap();
        assert_eq!(retry.len(), 1);
        assert_eq!(retry[0].attempts, 1);
        assert_eq!(store.pending_emails().len(), 1);
        assert!(matches!(
            store.mark_delivered(99, later),
            Err(RepositoryError::NotFound)
        ));
    }

    #[test]
    fn users_are_listed_by_search_and_page() {
        let mut store = InMemoryUsers::new();
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
}
