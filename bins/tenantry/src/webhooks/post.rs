//! One webhook POST: the endpoint's host resolved once, every address checked against
//! [`restricted_address`] (unless private targets are allowed), and the connection made
//! only to those vetted addresses, so a name that resolves differently a moment later
//! (DNS rebinding) cannot redirect it. Redirects are not followed; bodies of answers are
//! read only as far as a short excerpt.

use std::io::Read;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use tenantry_tenant::webhooks::{WebhookUrl, restricted_address};

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole attempt may take, answer included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// The most characters of an answer kept.
const EXCERPT_CHARS: usize = 200;

/// An endpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Its HTTP status.
    pub status: u16,
    /// The start of its body.
    pub excerpt: String,
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// The endpoint may not be reached (its address, or its URL).
    #[error("refused: {0}")]
    Refused(String),
    /// Resolving, connecting, TLS or the exchange failed.
    #[error("{0}")]
    Transport(String),
}

/// Resolves `url`'s host and refuses it when an address is restricted.
fn vetted_addresses(url: &WebhookUrl, allow_private: bool) -> Result<Vec<SocketAddr>, PostError> {
    let addresses: Vec<SocketAddr> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|error| PostError::Transport(format!("cannot resolve {}: {error}", url.host)))?
        .collect();
    if addresses.is_empty() {
        return Err(PostError::Transport(format!("{} has no address", url.host)));
    }
    if !allow_private {
        for address in &addresses {
            if let Some(kind) = restricted_address(address.ip()) {
                return Err(PostError::Refused(format!(
                    "{} resolves to {}, a {kind} address (TENANTRY_WEBHOOKS_ALLOW_PRIVATE=true \
                     allows it)",
                    url.host,
                    address.ip()
                )));
            }
        }
    }
    Ok(addresses)
}

/// Posts `body` (JSON) with `headers` to `url`.
pub fn post(
    url: &WebhookUrl,
    headers: &[(&str, String)],
    body: &str,
    allow_private: bool,
) -> Result<Answer, PostError> {
    let addresses = vetted_addresses(url, allow_private)?;
    let tls = native_tls::TlsConnector::new()
        .map_err(|error| PostError::Transport(format!("TLS is unavailable: {error}")))?;
    let agent = ureq::AgentBuilder::new()
        .resolver(move |_: &str| Ok(addresses.clone()))
        .redirects(0)
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout(ATTEMPT_TIMEOUT)
        .tls_connector(Arc::new(tls))
        .user_agent(concat!("tenantry-webhooks/", env!("CARGO_PKG_VERSION")))
        .build();
    let mut request = agent
        .post(url.as_str())
        .set("content-type", "application/json");
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let response = match request.send_string(body) {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(error)) => return Err(PostError::Transport(error.to_string())),
    };
    let status = response.status();
    let mut excerpt = Vec::new();
    // Four bytes a character at most: enough for the excerpt, and the rest is not read.
    let _ = response
        .into_reader()
        .take((EXCERPT_CHARS * 4) as u64)
        .read_to_end(&mut excerpt);
    Ok(Answer {
        status,
        excerpt: String::from_utf8_lossy(&excerpt)
            .chars()
            .take(EXCERPT_CHARS)
            .collect(),
    })
}
