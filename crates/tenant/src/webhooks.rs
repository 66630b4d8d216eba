//! Webhooks: the events operators may subscribe to, endpoint URLs and the addresses
//! deliveries may reach, and the [`WebhookRepository`] port.
//!
//! An event is a successful audited change seen from outside: [`EventType::for_action`]
//! names the event of an [`Action`] (`tenant.create` → `tenant.created`). Endpoints take
//! every type or a list, for every tenant or one.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::{Action, Page, RepositoryError, TenantId};

crate::macros::wire_names! {
    /// Every event type, in documentation order.
    const ALL;
    /// The wire name (`tenant.created`).
    fn as_str;

    /// What happened, as a webhook event's `type`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum EventType {
        /// A tenant was created.
        TenantCreated => "tenant.created",
        /// A tenant's fields or settings changed.
        TenantUpdated => "tenant.updated",
        /// A tenant was suspended.
        TenantSuspended => "tenant.suspended",
        /// A suspended tenant was made active again.
        TenantUnsuspended => "tenant.unsuspended",
        /// A tenant was cancelled (its domains released, its data kept).
        TenantCancelled => "tenant.cancelled",
        /// A tenant was soft-deleted.
        TenantDeleted => "tenant.deleted",
        /// A soft-deleted tenant was restored.
        TenantRestored => "tenant.restored",
        /// A tenant was removed for good.
        TenantPurged => "tenant.purged",
        /// A domain was attached to a tenant.
        DomainAdded => "domain.added",
        /// A domain was detached from a tenant.
        DomainRemoved => "domain.removed",
        /// A user registered with a tenant.
        UserRegistered => "user.registered",
        /// A user activated their account.
        UserActivated => "user.activated",
    }
}

impl EventType {
    /// The event a successful `action` is, if any.
    pub fn for_action(action: Action) -> Option<EventType> {
        Some(match action {
            Action::TenantCreate => Self::TenantCreated,
            Action::TenantUpdate => Self::TenantUpdated,
            Action::TenantSuspend => Self::TenantSuspended,
            Action::TenantUnsuspend => Self::TenantUnsuspended,
            Action::TenantCancel => Self::TenantCancelled,
            Action::TenantDelete => Self::TenantDeleted,
            Action::TenantRestore => Self::TenantRestored,
            Action::TenantPurge => Self::TenantPurged,
            Action::DomainAdd => Self::DomainAdded,
            Action::DomainRemove => Self::DomainRemoved,
            Action::UserRegister => Self::UserRegistered,
            Action::UserActivate => Self::UserActivated,
            _ => return None,
        })
    }
}

/// A name that is not an event type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type {0:?}")]
pub struct UnknownEventType(pub String);

impl FromStr for EventType {
    type Err = UnknownEventType;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|event| event.as_str() == text)
            .ok_or_else(|| UnknownEventType(text.to_owned()))
    }
}

/// The longest endpoint URL accepted.
pub const MAX_URL_LENGTH: usize = 2000;

/// An endpoint URL: `http` or `https`, a host, an optional port, and a path and query;
/// no credentials and no fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    text: String,
    /// Whether the scheme is `https`.
    pub https: bool,
    /// The host name or IP address (IPv6 without brackets), lower-cased.
    pub host: String,
    /// The port (80 or 443 when not given).
    pub port: u16,
    /// What follows the authority (`/` when nothing does).
    pub path_and_query: String,
}

/// Why a URL cannot be an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    /// Not `http://` or `https://`.
    #[error("must start with https:// or http://")]
    Scheme,
    /// Empty host, a bad port, credentials, a fragment, spaces or control characters.
    #[error("is not a valid URL: {0}")]
    Malformed(&'static str),
    /// Longer than [`MAX_URL_LENGTH`].
    #[error("is longer than {MAX_URL_LENGTH} characters")]
    TooLong,
}

impl WebhookUrl {
    /// Checks `text` as an endpoint URL.
    pub fn parse(text: &str) -> Result<Self, WebhookUrlError> {
        if text.len() > MAX_URL_LENGTH {
            return Err(WebhookUrlError::TooLong);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(WebhookUrlError::Malformed(
                "it contains spaces or control characters",
            ));
        }
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        let (https, rest) = if lower.starts_with("https://") {
            (true, &text[8..])
        } else if lower.starts_with("http://") {
            (false, &text[7..])
        } else {
            return Err(WebhookUrlError::Scheme);
        };
        if rest.contains('#') {
            return Err(WebhookUrlError::Malformed("it has a fragment"));
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err(WebhookUrlError::Malformed(
                "credentials do not belong in the URL",
            ));
        }
        let (host, port) = split_host_port(authority)?;
        let default_port = if https { 443 } else { 80 };
        let path_and_query = match tail {
            "" => "/".to_owned(),
            tail if tail.starts_with('?') => format!("/{tail}"),
            tail => tail.to_owned(),
        };
        Ok(Self {
            text: text.to_owned(),
            https,
            host: host.to_ascii_lowercase(),
            port: port.unwrap_or(default_port),
            path_and_query,
        })
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The `Host` header's value: the host, with the port when it is not the default.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match (self.https, self.port) {
            (true, 443) | (false, 80) => host,
            (_, port) => format!("{host}:{port}"),
        }
    }
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), WebhookUrlError> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or(WebhookUrlError::Malformed("an IPv6 address lacks its ]"))?;
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(WebhookUrlError::Malformed("the IPv6 address is invalid"));
        }
        match after {
            "" => (host, None),
            after => (
                host,
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or(WebhookUrlError::Malformed("bad port"))?,
                ),
            ),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let valid_host = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'));
    if !valid_host {
        return Err(WebhookUrlError::Malformed("the host is missing or invalid"));
    }
    let port = match port {
        None => None,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port > 0 => Some(port),
            _ => return Err(WebhookUrlError::Malformed("the port is not 1-65535")),
        },
    };
    Ok((host, port))
}

/// Why deliveries may not reach `address` unless private targets are allowed: loopback,
/// private (RFC 1918, unique local), link-local, unspecified, multicast, broadcast or
/// shared (carrier-grade NAT) addresses. `None` for a public address.
pub fn restricted_address(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_unspecified() || v4.is_broadcast() || a == 0 {
                Some("unspecified")
            } else if v4.is_multicast() {
                Some("multicast")
            } else if a == 100 && (64..128).contains(&b) {
                Some("shared (carrier-grade NAT)")
            } else if (a == 192 && b == 0 && c == 0) || (a == 198 && (18..20).contains(&b)) {
                Some("reserved (IETF protocol assignments or benchmarking)")
            } else if a >= 240 {
                Some("reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_ipv4(v6) {
                return restricted_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if first & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if first & 0xffc0 == 0xfec0 {
                Some("site-local")
            } else {
                None
            }
        }
    }
}

/// The IPv4 address an IPv6 address carries to reach it: mapped (`::ffff:a.b.c.d`),
/// compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`) or 6to4
/// (`2002:AABB:CCDD::/48`). Such an address is judged by its IPv4 address.
fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let from = |high: u16, low: u16| {
        let [a, b] = high.to_be_bytes();
        let [c, d] = low.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    let compatible = s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified();
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && (s[2..6] == [0; 4] || s[2] == 1);
    if let Some(v4) = v6.to_ipv4_mapped() {
        Some(v4)
    } else if compatible || nat64 {
        Some(from(s[6], s[7]))
    } else if s[0] == 0x2002 {
        Some(from(s[1], s[2]))
    } else {
        None
    }
}

/// An endpoint's state: `active`, `failing` (a delivery was given up since its last
/// success) or `disabled` (by an operator; events are not queued for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    /// Deliveries go out and arrive.
    Active,
    /// A delivery was given up after its last attempt; new events are still queued.
    Failing,
    /// Turned off by an operator.
    Disabled,
}

impl WebhookStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Failing => "failing",
            Self::Disabled => "disabled",
        }
    }
}

/// A registered endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: i64,
    /// Where events are posted.
    pub url: String,
    /// The event types it takes; `None`: every type.
    pub events: Option<Vec<EventType>>,
    /// The tenant whose events it takes; `None`: every tenant's.
    pub tenant_id: Option<TenantId>,
    /// Its state.
    pub status: WebhookStatus,
    /// Since when deliveries have been given up.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the secret before the latest rotation still signs.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// Who registered it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// An endpoint to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Where events are posted.
    pub url: WebhookUrl,
    /// The event types it takes; `None`: every type.
    pub events: Option<Vec<EventType>>,
    /// The tenant whose events it takes; `None`: every tenant's.
    pub tenant_id: Option<TenantId>,
    /// Its signing secret (`whsec_` + base64).
    pub secret: String,
    /// Who registers it.
    pub created_by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A change to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookPatch {
    /// A new URL.
    pub url: Option<WebhookUrl>,
    /// New event types (`Some(None)`: every type).
    pub events: Option<Option<Vec<EventType>>>,
    /// A new tenant scope (`Some(None)`: every tenant).
    pub tenant_id: Option<Option<TenantId>>,
    /// Turn it on (which also clears `failing`) or off.
    pub enabled: Option<bool>,
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: i64,
    /// The event's id (`webhook-id`).
    pub message_id: String,
    /// The event's type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed` (given up).
    pub status: String,
    /// Attempts so far.
    pub attempts: u32,
    /// The HTTP status of the last attempt, if one was answered.
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed, or the start of its answer.
    pub last_error: Option<String>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When the event happened.
    pub created_at: DateTime<Utc>,
}

/// Stores endpoints and reads their deliveries.
pub trait WebhookRepository {
    /// Registers an endpoint.
    fn create_webhook(&mut self, new: &NewWebhook) -> Result<Webhook, RepositoryError>;
    /// Every endpoint, by id.
    fn list_webhooks(&mut self) -> Result<Vec<Webhook>, RepositoryError>;
    /// One endpoint.
    fn find_webhook(&mut self, id: i64) -> Result<Option<Webhook>, RepositoryError>;
    /// Changes an endpoint; `None` when there is none with `id`.
    fn update_webhook(
        &mut self,
        id: i64,
        patch: &WebhookPatch,
        at: DateTime<Utc>,
    ) -> Result<Option<Webhook>, RepositoryError>;
    /// Removes an endpoint and its deliveries; false when there was none.
    fn delete_webhook(&mut self, id: i64) -> Result<bool, RepositoryError>;
    /// Replaces the secret; the old one keeps signing until `grace_until`.
    fn rotate_webhook_secret(
        &mut self,
        id: i64,
        secret: &str,
        grace_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<Option<Webhook>, RepositoryError>;
    /// A page of the endpoint's deliveries, newest first.
    fn list_deliveries(
        &mut self,
        webhook_id: i64,
        page: u32,
        per_page: u32,
    ) -> Result<Page<Delivery>, RepositoryError>;
    /// Makes a delivery due again at `at` with a fresh series of attempts; `None` when the
    /// endpoint has no such delivery.
    fn redeliver(
        &mut self,
        webhook_id: i64,
        delivery_id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<Delivery>, RepositoryError>;
}

#[cfg(test)]
mod tests;
