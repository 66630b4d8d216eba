//! `TENANTRY_SMTP_URL`: where outbox emails are sent, checked once at start-up and handed
//! to lettre's own URL support ([`SmtpTransport::from_url`]).
//!
//! - `smtp://host:port` — plain SMTP, for a local relay or a test sink (port 25 by default);
//! - `smtp://host:port?tls=starttls` (or `tls=required`) — STARTTLS, refused if the server
//!   does not offer it (port 587 by default);
//! - `smtps://host:port` — TLS from the first byte (port 465 by default);
//! - `user:password@` before the host in any of them to authenticate; both are
//!   percent-decoded (`%40` for `@`).
//!
//! lettre reads more than this; the check refuses what it would misread or what weakens
//! TLS: `tls=opportunistic` (a STARTTLS that an attacker can strip), a path (lettre would
//! send it as the EHLO name), an IPv6 address (lettre would look `[::1]` up as a host name),
//! and a user name without a password (lettre would silently not authenticate).

use std::fmt;
use std::str::FromStr;

use lettre::SmtpTransport;
use lettre::transport::smtp::{self, SmtpTransportBuilder};
use percent_encoding::percent_decode_str;
use secrecy::{ExposeSecret as _, SecretString};
use url::{Host, Url};

/// A checked SMTP server URL. Its `Debug` and `Display` never show the password.
#[derive(Debug, Clone)]
pub struct SmtpUrl {
    /// The URL as lettre reads it (`tls=starttls` spelled `tls=required`), password
    /// included.
    url: SecretString,
    /// `smtp://user:***@host:port?tls=starttls`: the URL for logs.
    redacted: String,
}

/// Why an SMTP URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpUrlError {
    /// Not a URL at all.
    #[error("not a URL: {0}")]
    Syntax(String),
    /// A scheme other than `smtp` or `smtps`.
    #[error("the scheme must be smtp or smtps, not {0:?}")]
    Scheme(String),
    /// No host.
    #[error("the URL names no host")]
    NoHost,
    /// An IPv6 address as the host.
    #[error("the SMTP client cannot connect to an IPv6 address; give a host name")]
    Ipv6Host,
    /// A `tls=` value other than `starttls` or `required`.
    #[error("tls= must be starttls (or required), not {0:?}")]
    Tls(String),
    /// An unknown query parameter, a path or a fragment.
    #[error("unexpected {0} in the URL")]
    Unexpected(&'static str),
    /// A password without a user name.
    #[error("a password needs a user name")]
    PasswordWithoutUser,
    /// A user name without a password.
    #[error("a user name needs a password (USER:PASSWORD@HOST)")]
    UserWithoutPassword,
    /// Credentials that are not valid UTF-8 once percent-decoded.
    #[error("the user name or password is not valid UTF-8 once percent-decoded")]
    Encoding,
}

impl SmtpUrl {
    /// Checks `smtp://[user:password@]host[:port][?tls=starttls]` or `smtps://…`.
    pub fn parse(text: &str) -> Result<SmtpUrl, SmtpUrlError> {
        // url's errors never quote the input, so they cannot leak the password.
        let mut url = Url::parse(text).map_err(|error| SmtpUrlError::Syntax(error.to_string()))?;
        let tls = url.scheme() == "smtps";
        if !tls && url.scheme() != "smtp" {
            return Err(SmtpUrlError::Scheme(url.scheme().to_owned()));
        }
        let mut starttls = false;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "starttls" | "required") if !tls && !starttls => starttls = true,
                ("tls", other) => return Err(SmtpUrlError::Tls(other.to_owned())),
                _ => return Err(SmtpUrlError::Unexpected("query parameter")),
            }
        }
        if !matches!(url.path(), "" | "/") {
            return Err(SmtpUrlError::Unexpected("path"));
        }
        if url.fragment().is_some() {
            return Err(SmtpUrlError::Unexpected("fragment"));
        }
        let host = match url.host() {
            Some(Host::Ipv6(_)) => return Err(SmtpUrlError::Ipv6Host),
            Some(host) => host.to_string(),
            None => return Err(SmtpUrlError::NoHost),
        };
        if host.is_empty() {
            return Err(SmtpUrlError::NoHost);
        }
        let user = match (url.username(), url.password()) {
            ("", None) => String::new(),
            ("", Some(_)) => return Err(SmtpUrlError::PasswordWithoutUser),
            (_, None) => return Err(SmtpUrlError::UserWithoutPassword),
            (user, Some(password)) => {
                decode(password)?;
                format!("{}:***@", decode(user)?)
            }
        };
        let (scheme, default_port, query) = match (tls, starttls) {
            (true, _) => ("smtps", 465, ""),
            (false, true) => ("smtp", 587, "?tls=starttls"),
            (false, false) => ("smtp", 25, ""),
        };
        let port = url.port().unwrap_or(default_port);
        url.set_query(starttls.then_some("tls=required"));
        Ok(SmtpUrl {
            redacted: format!("{scheme}://{user}{host}:{port}{query}"),
            url: String::from(url).into(),
        })
    }

    /// lettre's transport builder for this server, with its TLS settings and credentials.
    /// Fails only when TLS cannot be set up; nothing connects yet.
    pub fn transport(&self) -> Result<SmtpTransportBuilder, smtp::Error> {
        SmtpTransport::from_url(self.url.expose_secret())
    }
}

/// Percent-decodes `text`, which must then be UTF-8.
fn decode(text: &str) -> Result<String, SmtpUrlError> {
    match percent_decode_str(text).decode_utf8() {
        Ok(decoded) => Ok(decoded.into_owned()),
        Err(_) => Err(SmtpUrlError::Encoding),
    }
}

impl FromStr for SmtpUrl {
    type Err = SmtpUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        SmtpUrl::parse(text)
    }
}

/// `smtp://user:***@host:port?tls=starttls`: the URL with its password hidden.
impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        SmtpUrl::parse(text).unwrap().to_string()
    }

    #[test]
    fn a_plain_url_names_host_and_port() {
        assert_eq!(shown("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
        assert_eq!(shown("smtp://127.0.0.1:2525/"), "smtp://127.0.0.1:2525");
    }

    #[test]
    fn ports_default_by_security() {
        assert_eq!(shown("smtp://mail"), "smtp://mail:25");
        assert_eq!(
            shown("smtp://mail?tls=starttls"),
            "smtp://mail:587?tls=starttls"
        );
        assert_eq!(
            shown("smtp://mail:2587?tls=required"),
            "smtp://mail:2587?tls=starttls"
        );
        assert_eq!(
            shown("smtps://mail.example.com"),
            "smtps://mail.example.com:465"
        );
    }

    #[test]
    fn lettre_gets_its_own_spelling_of_starttls() {
        let url = SmtpUrl::parse("smtp://u:p%40ss@mail:2587?tls=starttls").unwrap();
        assert_eq!(
            url.url.expose_secret(),
            "smtp://u:p%40ss@mail:2587?tls=required"
        );
        let plain = SmtpUrl::parse("smtp://mail/").unwrap();
        assert_eq!(plain.url.expose_secret(), "smtp://mail/");
    }

    #[test]
    fn lettre_accepts_every_url_that_passes() {
        for text in [
            "smtp://127.0.0.1:2525",
            "smtp://mail?tls=starttls",
            "smtp://u:p%40ss@mail:2587?tls=required",
            "smtps://ops%40example.com:s%3Acr%40t@mail.example.com",
        ] {
            let url = SmtpUrl::parse(text).unwrap();
            assert!(url.transport().is_ok(), "{text}");
        }
    }

    #[test]
    fn credentials_are_percent_decoded_and_never_printed() {
        let url = SmtpUrl::parse("smtps://ops%40example.com:s%3Acr%40t@mail.example.com").unwrap();
        for printed in [format!("{url}"), format!("{url:?}")] {
            assert!(!printed.contains("cr@t"), "{printed}");
            assert!(!printed.contains("cr%40t"), "{printed}");
            assert!(!printed.contains("s%3A"), "{printed}");
        }
        assert_eq!(
            url.to_string(),
            "smtps://ops@example.com:***@mail.example.com:465"
        );
    }

    #[test]
    fn invalid_urls_are_refused_with_a_reason() {
        let refused = [
            ("mail.example.com", "not a URL"),
            ("http://mail.example.com", "scheme"),
            ("smtp://mail?tls=opportunistic", "tls="),
            ("smtps://mail?tls=starttls", "tls="),
            ("smtp://mail?tls=starttls&tls=required", "tls="),
            ("smtp://mail?timeout=3", "query"),
            ("smtp://mail/path", "path"),
            ("smtp://mail#top", "fragment"),
            ("smtp://:secret@mail", "user name"),
            ("smtp://user@mail", "needs a password"),
            ("smtp://user:@mail", "needs a password"),
            ("smtp://u:%FF@mail", "UTF-8"),
            ("smtp://%FF:p@mail", "UTF-8"),
            ("smtp://mail:99999", "not a URL"),
            ("smtp:", "no host"),
            ("smtp://[::1]:2525", "IPv6"),
        ];
        for (text, reason) in refused {
            let error = SmtpUrl::parse(text).unwrap_err().to_string();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn errors_do_not_quote_the_password() {
        let error = SmtpUrl::parse("smtp://user:hunter2@mail:notaport").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
