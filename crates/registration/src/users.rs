//! A tenant's users, the links that activate them or set their password, and the emails
//! that carry those links — with the ports they are kept behind.

use chrono::{DateTime, Utc};
use tenantry_tenant::{Page, RepositoryError, TenantId};

use crate::{Email, FullName, PasswordHash, TokenDigest, Username};

/// A registered user of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Database id (the Tahoe `user_id`).
    pub id: i64,
    /// The tenant the user belongs to.
    pub tenant_id: TenantId,
    /// Unique within the tenant.
    pub username: Username,
    /// Unique within the tenant, compared case-insensitively.
    pub email: Email,
    /// The full name.
    pub name: FullName,
    /// The argon2id hash; `None` until the user sets a password.
    pub password_hash: Option<PasswordHash>,
    /// Whether the user may sign in.
    pub is_active: bool,
    /// Whether the user administers the tenant.
    pub is_tenant_admin: bool,
    /// When the user registered.
    pub created_at: DateTime<Utc>,
    /// When the user was activated, if they are.
    pub activated_at: Option<DateTime<Utc>>,
}

/// A user to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The tenant.
    pub tenant_id: TenantId,
    /// See [`User::username`].
    pub username: Username,
    /// See [`User::email`].
    pub email: Email,
    /// See [`User::name`].
    pub name: FullName,
    /// See [`User::password_hash`].
    pub password_hash: Option<PasswordHash>,
    /// See [`User::is_active`].
    pub is_active: bool,
    /// See [`User::is_tenant_admin`].
    pub is_tenant_admin: bool,
    /// Registration time; also `activated_at` when the user starts active.
    pub created_at: DateTime<Utc>,
}

/// Which of a registration's unique values are already taken in the tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Taken {
    /// The username is taken.
    pub username: bool,
    /// The email (case-insensitively) is taken.
    pub email: bool,
}

impl Taken {
    /// Whether anything is taken.
    pub fn any(self) -> bool {
        self.username || self.email
    }
}

/// Filters and paging for [`UserRepository::list_users`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    /// Case-insensitive substring of username, email or name; `%` and `_` are literal.
    pub search: Option<String>,
    /// Page number, from 1.
    pub page: u32,
    /// Page size, at least 1.
    pub per_page: u32,
}

/// What a single-use link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkPurpose {
    /// Activates the account (`GET /activate/{token}`), valid 7 days.
    Activation,
    /// Sets the password and activates (`POST /password-reset/{token}`), valid 24 hours.
    PasswordReset,
}

impl LinkPurpose {
    /// `activation` or `password_reset`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Activation => "activation",
            LinkPurpose::PasswordReset => "password_reset",
        }
    }

    /// How long a link of this purpose stays valid.
    pub fn lifetime(self) -> chrono::Duration {
        match self {
            LinkPurpose::Activation => chrono::Duration::days(7),
            LinkPurpose::PasswordReset => chrono::Duration::hours(24),
        }
    }
}

/// A link's secret digest and what it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    /// The user it acts on.
    pub user_id: i64,
    /// What it does.
    pub purpose: LinkPurpose,
    /// SHA-256 of the secret in the URL.
    pub digest: TokenDigest,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// What presenting a link found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// No link has this digest (or it was for another purpose).
    Unknown,
    /// The link was used before.
    Used,
    /// The link expired.
    Expired,
    /// The link is valid (and, from [`UserRepository::use_link`], now used up). Holds the
    /// user id.
    Valid(i64),
}

/// An email waiting in the outbox, written in the transaction of the change that causes
/// it and delivered later by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmail {
    /// The tenant it is sent for.
    pub tenant_id: Option<TenantId>,
    /// The recipient.
    pub recipient: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body. It may carry a link secret: never log it.
    pub body: String,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

/// An email in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEmail {
    /// Outbox id.
    pub id: i64,
    /// The email.
    pub email: NewEmail,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not to be tried before this time.
    pub next_attempt_at: DateTime<Utc>,
}

/// Where users and their links are kept.
pub trait UserRepository {
    /// Stores a user. A taken username or email (a concurrent registration won) is a
    /// [`RepositoryError::Conflict`] on `username` or `email`.
    fn insert_user(&mut self, user: &NewUser) -> Result<User, RepositoryError>;

    /// Which of `username` and `email` (case-insensitively) the tenant already has.
    fn taken(
        &mut self,
        tenant: TenantId,
        username: &str,
        email: &str,
    ) -> Result<Taken, RepositoryError>;

    /// The user with this id.
    fn get_user(&mut self, id: i64) -> Result<Option<User>, RepositoryError>;

    /// A tenant's users matching `query`, ordered by id.
    fn list_users(
        &mut self,
        tenant: TenantId,
        query: &UserQuery,
    ) -> Result<Page<User>, RepositoryError>;

    /// Marks the user active (keeping an earlier `activated_at`) and, when given, sets
    /// the password hash.
    fn activate_user(
        &mut self,
        id: i64,
        password_hash: Option<&PasswordHash>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Stores a single-use link.
    fn insert_link(&mut self, link: &NewLink) -> Result<(), RepositoryError>;

    /// What the link of `purpose` with `digest` is at `now`, without using it.
    fn link_state(
        &mut self,
        purpose: LinkPurpose,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<LinkState, RepositoryError>;

    /// Uses the link up when it is valid at `now`, atomically: of two concurrent uses,
    /// one gets [`LinkState::Valid`] and the other [`LinkState::Used`].
    fn use_link(
        &mut self,
        purpose: LinkPurpose,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<LinkState, RepositoryError>;
}

/// The outbox of emails.
pub trait Outbox {
    /// Queues an email, due at once.
    fn enqueue_email(&mut self, email: &NewEmail) -> Result<i64, RepositoryError>;

    /// Up to `limit` emails due at `now`, oldest first.
    fn due_emails(
        &mut self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedEmail>, RepositoryError>;

    /// Takes a due email for delivery, so that of several workers (one per node) only one
    /// sends it: moves its next attempt to `lease_until`, provided it is still waiting
    /// (neither delivered nor given up) and its next attempt is still `due_at` (as
    /// [`Outbox::due_emails`] returned it). `false` when another worker took it first. A
    /// worker that dies while sending leaves the email to be tried again once the lease
    /// ends.
    fn claim_email(
        &mut self,
        id: i64,
        due_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Marks the claimed email delivered; it leaves the queue, and its body (with the
    /// link secrets in it) is dropped: recipient, subject and times stay. `false`, and
    /// nothing changes, when `claim` is no longer the email's (see [`Claim`]).
    fn mark_delivered(&mut self, claim: &Claim, at: DateTime<Utc>)
    -> Result<bool, RepositoryError>;

    /// Records a failed attempt of the claimed email (with a reason for operators, never
    /// the body) and when to try again. `false`, and nothing changes, when `claim` is no
    /// longer the email's.
    fn mark_failed(
        &mut self,
        claim: &Claim,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// Records the claimed email's last failed attempt and gives it up at `at`: it leaves
    /// the queue undelivered for good, and its body is dropped. `false`, and nothing
    /// changes, when `claim` is no longer the email's.
    fn give_up_email(
        &mut self,
        claim: &Claim,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    /// How many emails were given up (never delivered).
    fn failed_email_count(&mut self) -> Result<u64, RepositoryError>;
}

/// A worker's claim on an email: its id and the end of the lease
/// [`Outbox::claim_email`] gave it. Outcomes are recorded by claim, never by id alone, so
/// a worker whose lease ran out (another worker has since claimed the email and holds a
/// later lease) or whose email is gone changes nothing. Each claim of an email ends
/// later than the one before: a worker only claims an email whose earlier lease is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// Outbox id.
    pub id: i64,
    /// The end of the lease, as passed to [`Outbox::claim_email`].
    pub lease_until: DateTime<Utc>,
}
