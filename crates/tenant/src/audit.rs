//! Audit events: who did what to which tenant, when, from where, and how it ended.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{Tenant, TenantId};

/// Who performed an action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A platform operator, by name.
    Operator(String),
    /// An API token, by id.
    Token(i64),
    /// tenantry itself (start-up, workers, the command line).
    System,
    /// An unauthenticated caller (e.g. a failed login).
    Anonymous,
}

impl fmt::Display for Actor {
    /// The stored form: `operator:<name>`, `token:<id>`, `system`, `anonymous`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Operator(name) => write!(f, "operator:{name}"),
            Actor::Token(id) => write!(f, "token:{id}"),
            Actor::System => f.write_str("system"),
            Actor::Anonymous => f.write_str("anonymous"),
        }
    }
}

/// An actor's stored form could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown actor {0:?}")]
pub struct UnknownActor(pub String);

impl FromStr for Actor {
    type Err = UnknownActor;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once(':') {
            Some(("operator", name)) if !name.is_empty() => Ok(Actor::Operator(name.to_owned())),
            Some(("token", id)) => id
                .parse()
                .map(Actor::Token)
                .map_err(|_| UnknownActor(text.to_owned())),
            None if text == "system" => Ok(Actor::System),
            None if text == "anonymous" => Ok(Actor::Anonymous),
            _ => Err(UnknownActor(text.to_owned())),
        }
    }
}

crate::macros::wire_names! {
    /// Every action, for parsing and documentation.
    const ALL;
    /// The stored, dotted name.
    fn as_str;

    /// What was done. The stored form is a dotted name such as `tenant.create`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Action {
        /// A tenant was created.
        TenantCreate => "tenant.create",
        /// A tenant's fields or settings changed.
        TenantUpdate => "tenant.update",
        /// A tenant was suspended.
        TenantSuspend => "tenant.suspend",
        /// A suspended tenant was made active again.
        TenantUnsuspend => "tenant.unsuspend",
        /// A tenant was cancelled (domains released, data kept).
        TenantCancel => "tenant.cancel",
        /// A tenant was soft-deleted.
        TenantDelete => "tenant.delete",
        /// A soft-deleted tenant was restored.
        TenantRestore => "tenant.restore",
        /// A tenant was removed for good.
        TenantPurge => "tenant.purge",
        /// A domain was attached to a tenant.
        DomainAdd => "domain.add",
        /// A domain was detached from a tenant.
        DomainRemove => "domain.remove",
        /// A tenant's primary domain changed.
        DomainSetPrimary => "domain.set_primary",
        /// An operator account was created.
        OperatorCreate => "operator.create",
        /// An operator's password was changed.
        OperatorPasswordChange => "operator.password",
        /// An API token was issued.
        TokenCreate => "token.create",
        /// An API token was revoked.
        TokenRevoke => "token.revoke",
        /// A caller presented credentials that were refused.
        LoginFailure => "auth.login_failed",
        /// A user registered with a tenant.
        UserRegister => "user.register",
        /// A user activated their account through an emailed link.
        UserActivate => "user.activate",
        /// A user set their password through an emailed link.
        UserPasswordReset => "user.password_reset",
        /// A tenant's administrator account was created (with a generated password).
        UserCreateAdmin => "user.create_admin",
        /// An operator was issued a single-use link that signs in as a tenant's administrator.
        TenantImpersonate => "tenant.impersonate",
        /// A tenant's site redeemed an impersonation link.
        ImpersonationRedeem => "tenant.impersonation_redeem",
        /// An email was given up after repeated permanent refusals by the mail server.
        EmailFailed => "email.failed",
        /// A webhook endpoint was registered.
        WebhookCreate => "webhook.create",
        /// A webhook endpoint was changed.
        WebhookUpdate => "webhook.update",
        /// A webhook endpoint was removed.
        WebhookDelete => "webhook.delete",
        /// A webhook endpoint's signing secret was replaced.
        WebhookRotateSecret => "webhook.rotate_secret",
        /// A webhook delivery was queued again by an operator.
        WebhookRedeliver => "webhook.redeliver",
    }
}

/// An action's stored form could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action {0:?}")]
pub struct UnknownAction(pub String);

impl Action {
    /// Whether a successful action changes what Open edX's eox-tenant tables should hold
    /// for the tenant (its configuration, its routes or whether it has any).
    pub fn affects_open_edx(self) -> bool {
        matches!(
            self,
            Self::TenantCreate
                | Self::TenantUpdate
                | Self::TenantSuspend
                | Self::TenantUnsuspend
                | Self::TenantCancel
                | Self::TenantDelete
                | Self::TenantRestore
                | Self::TenantPurge
                | Self::DomainAdd
                | Self::DomainRemove
                | Self::DomainSetPrimary
        )
    }
}

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == text)
            .ok_or_else(|| UnknownAction(text.to_owned()))
    }
}

/// A stored event with the position the log gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Position in the log; later events have larger ids.
    pub id: i64,
    /// The event.
    pub event: AuditEvent,
}

/// Which events [`crate::AuditLog::list_audit`] returns, newest first. Filters combine
/// with AND; `None` does not filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only events about the tenant with this id.
    pub tenant_id: Option<TenantId>,
    /// Only events about a tenant of this name (still found after the tenant is gone).
    pub tenant_name: Option<String>,
    /// Only this action.
    pub action: Option<Action>,
    /// Only this actor.
    pub actor: Option<Actor>,
    /// Only events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub until: Option<DateTime<Utc>>,
    /// Page number, from 1.
    pub page: u32,
    /// Page size, at least 1.
    pub per_page: u32,
}

impl Default for AuditFilter {
    /// Every event, first page of 20.
    fn default() -> Self {
        Self {
            tenant_id: None,
            tenant_name: None,
            action: None,
            actor: None,
            since: None,
            until: None,
            page: 1,
            per_page: 20,
        }
    }
}

crate::macros::wire_names! {
    /// Both outcomes.
    const ALL;
    /// `success` or `failure`.
    fn as_str;

    /// How an action ended.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Outcome {
        /// The change was made.
        Success => "success",
        /// The change was refused or failed; nothing changed.
        Failure => "failure",
    }
}

/// Who is acting, on whose request, and when: the part of every audit event that comes
/// from the caller rather than from the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The authenticated caller.
    pub actor: Actor,
    /// The request id (`X-Request-Id`), when the action came over HTTP.
    pub request_id: Option<String>,
    /// The caller's network address, when known.
    pub source: Option<String>,
    /// The time the action happens at.
    pub now: DateTime<Utc>,
}

impl RequestContext {
    /// A context for tenantry's own actions (start-up, command line).
    pub fn system(now: DateTime<Utc>) -> Self {
        Self {
            actor: Actor::System,
            request_id: None,
            source: None,
            now,
        }
    }
}

/// One append-only record of an action.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: Actor,
    /// What was done.
    pub action: Action,
    /// The tenant acted on, if any. Not a foreign key: events outlive their tenant.
    pub tenant_id: Option<TenantId>,
    /// The tenant's name at the time, so events stay findable after deletion.
    pub tenant_name: Option<String>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// The caller's address.
    pub source: Option<String>,
    /// Success or failure.
    pub outcome: Outcome,
    /// What changed (before/after of changed fields) or why it failed. Never secrets.
    pub details: Value,
}

impl AuditEvent {
    /// A successful action on `tenant`.
    pub fn success(
        context: &RequestContext,
        action: Action,
        tenant: &Tenant,
        details: Value,
    ) -> Self {
        Self::new(
            context,
            action,
            Some((tenant.id, tenant.name.to_string())),
            Outcome::Success,
            details,
        )
    }

    /// A refused or failed action. `tenant` is the target when it is known.
    pub fn failure(
        context: &RequestContext,
        action: Action,
        tenant: Option<(TenantId, String)>,
        reason: &str,
    ) -> Self {
        let details = serde_json::json!({ "error": reason });
        Self::new(context, action, tenant, Outcome::Failure, details)
    }

    /// An event about something other than a tenant (e.g. an operator account).
    pub fn untargeted(context: &RequestContext, action: Action, details: Value) -> Self {
        Self::new(context, action, None, Outcome::Success, details)
    }

    fn new(
        context: &RequestContext,
        action: Action,
        tenant: Option<(TenantId, String)>,
        outcome: Outcome,
        details: Value,
    ) -> Self {
        let (tenant_id, tenant_name) = match tenant {
            Some((id, name)) => (Some(id), Some(name)),
            None => (None, None),
        };
        Self {
            at: context.now,
            actor: context.actor.clone(),
            action,
            tenant_id,
            tenant_name,
            request_id: context.request_id.clone(),
            source: context.source.clone(),
            outcome,
            details,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_round_trip_through_their_stored_form() {
        for actor in [
            Actor::Operator("admin".into()),
            Actor::Token(7),
            Actor::System,
            Actor::Anonymous,
        ] {
            assert_eq!(actor.to_string().parse::<Actor>(), Ok(actor));
        }
        assert!("token:x".parse::<Actor>().is_err());
        assert_eq!(
            "operator:".parse::<Actor>().unwrap_err().to_string(),
            "unknown actor \"operator:\""
        );
    }

    #[test]
    fn actions_round_trip_through_their_stored_form() {
        for action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>(), Ok(action));
        }
        let names: std::collections::HashSet<&str> =
            Action::ALL.iter().map(|action| action.as_str()).collect();
        assert_eq!(names.len(), Action::ALL.len(), "stored names are distinct");
        assert_eq!(
            "tenant.impersonation_redeem".parse::<Action>(),
            Ok(Action::ImpersonationRedeem)
        );
        assert_eq!(
            "tenant.explode".parse::<Action>().unwrap_err().to_string(),
            "unknown action \"tenant.explode\""
        );
    }
}
