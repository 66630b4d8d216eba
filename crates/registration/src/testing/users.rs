//! Users, their single-use links and impersonation secrets.

use chrono::{DateTime, Utc};
use tenantry_tenant::search;
use tenantry_tenant::testing::page_of;
use tenantry_tenant::{Page, RepositoryError, TenantId};

use super::{InMemorySession, StoredImpersonation, StoredLink, conflict};
use crate::impersonation::{ImpersonationRepository, ImpersonationState, NewImpersonation};
use crate::users::{
    LinkPurpose, LinkState, NewLink, NewUser, Taken, User, UserQuery, UserRepository,
};
use crate::{PasswordHash, TokenDigest};

impl InMemorySession {
    /// Which of `username` and `email` (case-insensitively) the tenant already has.
    fn taken_in(&self, tenant: TenantId, username: &str, email: &str) -> Taken {
        let email = email.to_lowercase();
        let mut taken = Taken::default();
        for user in self.users.iter().filter(|user| user.tenant_id == tenant) {
            taken.username |= user.username.as_str() == username;
            taken.email |= user.email.normalized() == email;
        }
        taken
    }

    fn user_mut(&mut self, id: i64) -> Result<&mut User, RepositoryError> {
        self.users
            .iter_mut()
            .find(|user| user.id == id)
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

impl UserRepository for InMemorySession {
    fn insert_user(&mut self, new: &NewUser) -> Result<User, RepositoryError> {
        self.failures.check("insert_user")?;
        let found = self.taken_in(new.tenant_id, new.username.as_str(), new.email.as_str());
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
        self.failures.check("taken")?;
        Ok(self.taken_in(tenant, username, email))
    }

    fn get_user(&mut self, id: i64) -> Result<Option<User>, RepositoryError> {
        self.failures.check("get_user")?;
        Ok(self.users.iter().find(|user| user.id == id).cloned())
    }

    fn list_users(
        &mut self,
        tenant: TenantId,
        query: &UserQuery,
    ) -> Result<Page<User>, RepositoryError> {
        self.failures.check("list_users")?;
        let needle = query.search.as_deref().map(search::fold);
        let matches: Vec<&User> = self
            .users
            .iter()
            .filter(|user| user.tenant_id == tenant)
            .filter(|user| {
                needle.as_deref().is_none_or(|needle| {
                    let text = search::searchable_fields([
                        user.username.as_str(),
                        user.email.as_str(),
                        user.name.as_str(),
                    ]);
                    search::finds(&text, needle)
                })
            })
            .collect();
        Ok(page_of(matches, query.page, query.per_page))
    }

    fn activate_user(
        &mut self,
        id: i64,
        password_hash: Option<&PasswordHash>,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.failures.check("activate_user")?;
        let user = self.user_mut(id)?;
        user.is_active = true;
        user.activated_at.get_or_insert(at);
        if let Some(hash) = password_hash {
            user.password_hash = Some(hash.clone());
        }
        Ok(())
    }

    fn insert_link(&mut self, link: &NewLink) -> Result<(), RepositoryError> {
        self.failures.check("insert_link")?;
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
        self.failures.check("link_state")?;
        Ok(self.link_state_at(purpose, digest, now).1)
    }

    fn use_link(
        &mut self,
        purpose: LinkPurpose,
        digest: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<LinkState, RepositoryError> {
        self.failures.check("use_link")?;
        let (index, state) = self.link_state_at(purpose, digest, now);
        if let (Some(index), LinkState::Valid(_)) = (index, state) {
            self.links[index].used_at = Some(now);
        }
        Ok(state)
    }
}

impl ImpersonationRepository for InMemorySession {
    /// Checks the tenant and the user exist and the digest is new (a conflict on
    /// `digest`).
    fn insert_impersonation(&mut self, new: &NewImpersonation) -> Result<(), RepositoryError> {
        self.failures.check("insert_impersonation")?;
        if !self.tenant_exists(new.tenant_id)?
            || !self.users.iter().any(|user| user.id == new.user_id)
        {
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
        self.failures.check("use_impersonation")?;
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
        self.failures.check("find_tenant_admin")?;
        Ok(self
            .users
            .iter()
            .filter(|user| user.tenant_id == tenant && user.is_tenant_admin)
            .min_by_key(|user| user.id)
            .cloned())
    }
}
