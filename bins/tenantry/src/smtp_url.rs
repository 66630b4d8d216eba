//! `TENANTRY_SMTP_URL`: where outbox emails are sent, parsed once at start-up.
//!
//! - `smtp://host:port` — plain SMTP, for a local relay or a test sink (port 25 by default);
//! - `smtp://host:port?tls=starttls` (or `tls=required`) — STARTTLS, refused if the server
//!   does not offer it (port 587 by default);
//! - `smtps://host:port` — TLS from the first byte (port 465 by default);
//! - `user:password@` before the host in any of them to authenticate; both are
//!   percent-decoded (`%40` for `@`).

use std::fmt;
use std::str::FromStr;

use url::Url;

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// No TLS: for a relay on the same host or network, and tests.
    Plain,
    /// Plain connection upgraded with STARTTLS, which the server must offer.
    StartTls,
    /// TLS from the start (`smtps`).
    Tls,
}

impl SmtpSecurity {
    /// The port used when the URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::Plain => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        }
    }
}

/// A parsed SMTP server URL. Its `Debug` and `Display` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// User name and password, when the server wants them.
    pub credentials: Option<SmtpCredentials>,
}

/// Credentials for SMTP AUTH.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    /// The user name.
    pub username: String,
    /// The password; never printed.
    pub password: String,
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
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
    /// A `tls=` value other than `starttls` or `required`.
    #[error("tls= must be starttls (or required), not {0:?}")]
    Tls(String),
    /// An unknown query parameter, a path or a fragment.
    #[error("unexpected {0} in the URL")]
    Unexpected(&'static str),
    /// A password without a user name.
    #[error("a password needs a user name")]
    PasswordWithoutUser,
    /// Credentials that are not valid UTF-8 once percent-decoded.
    #[error("the user name or password is not valid UTF-8 once percent-decoded")]
    Encoding,
}

impl SmtpUrl {
    /// Parses `smtp://[user[:password]@]host[:port][?tls=starttls]` or `smtps://…`.
    pub fn parse(text: &str) -> Result<SmtpUrl, SmtpUrlError> {
        // url's errors never quote the input, so they cannot leak the password.
        let url = Url::parse(text).map_err(|error| SmtpUrlError::Syntax(error.to_string()))?;
        let mut security = match url.scheme() {
            "smtp" => SmtpSecurity::Plain,
            "smtps" => SmtpSecurity::Tls,
            other => return Err(SmtpUrlError::Scheme(other.to_owned())),
        };
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "starttls" | "required") if security == SmtpSecurity::Plain => {
                    security = SmtpSecurity::StartTls;
                }
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
            Some(url::Host::Ipv6(address)) => address.to_string(),
            Some(host) => host.to_string(),
            None => return Err(SmtpUrlError::NoHost),
        };
        if host.is_empty() {
            return Err(SmtpUrlError::NoHost);
        }
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            ("", Some(_)) => return Err(SmtpUrlError::PasswordWithoutUser),
            (username, password) => Some(SmtpCredentials {
                username: decode(username)?,
                password: decode(password.unwrap_or(""))?,
            }),
        };
        Ok(SmtpUrl {
            security,
            port: url.port().unwrap_or(security.default_port()),
            host,
            credentials,
        })
    }
}

fn decode(text: &str) -> Result<String, SmtpUrlError> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let escaped = (byte == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(value) => {
                decoded.push(value);
                index += 3;
            }
            None => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(decoded).map_err(|_| SmtpUrlError::Encoding)
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
        let scheme = match self.security {
            SmtpSecurity::Tls => "smtps",
            SmtpSecurity::Plain | SmtpSecurity::StartTls => "smtp",
        };
        write!(f, "{scheme}://")?;
        if let Some(credentials) = &self.credentials {
            write!(f, "{}:***@", credentials.username)?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        if self.security == SmtpSecurity::StartTls {
            f.write_str("?tls=starttls")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_url_names_host_and_port() {
        let url = SmtpUrl::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(url.security, SmtpSecurity::Plain);
        assert_eq!(url.host, "127.0.0.1");
        assert_eq!(url.port, 2525);
        assert_eq!(url.credentials, None);
        assert_eq!(url.to_string(), "smtp://127.0.0.1:2525");
    }

    #[test]
    fn ports_default_by_security() {
        assert_eq!(SmtpUrl::parse("smtp://mail").unwrap().port, 25);
        let starttls = SmtpUrl::parse("smtp://mail?tls=starttls").unwrap();
        assert_eq!(
            (starttls.security, starttls.port),
            (SmtpSecurity::StartTls, 587)
        );
        let required = SmtpUrl::parse("smtp://mail:2587?tls=required").unwrap();
        assert_eq!(
            (required.security, required.port),
            (SmtpSecurity::StartTls, 2587)
        );
        let tls = SmtpUrl::parse("smtps://mail.example.com").unwrap();
        assert_eq!((tls.security, tls.port), (SmtpSecurity::Tls, 465));
    }

    #[test]
    fn credentials_are_percent_decoded_and_never_printed() {
        let url = SmtpUrl::parse("smtps://ops%40example.com:s%3Acr%40t@mail.example.com").unwrap();
        let credentials = url.credentials.clone().unwrap();
        assert_eq!(credentials.username, "ops@example.com");
        assert_eq!(credentials.password, "s:cr@t");
        for printed in [
            format!("{url}"),
            format!("{url:?}"),
            format!("{credentials:?}"),
        ] {
            assert!(!printed.contains("cr@t"), "{printed}");
            assert!(!printed.contains("s%3A"), "{printed}");
        }
        assert_eq!(
            url.to_string(),
            "smtps://ops@example.com:***@mail.example.com:465"
        );
    }

    #[test]
    fn ipv6_hosts_are_bracketed_when_printed() {
        let url = SmtpUrl::parse("smtp://[::1]:2525").unwrap();
        assert_eq!(url.host, "::1");
        assert_eq!(url.to_string(), "smtp://[::1]:2525");
    }

    #[test]
    fn invalid_urls_are_refused_with_a_reason() {
        let refused = [
            ("mail.example.com", "not a URL"),
            ("http://mail.example.com", "scheme"),
            ("smtp://mail?tls=opportunistic", "tls="),
            ("smtps://mail?tls=starttls", "tls="),
            ("smtp://mail?timeout=3", "query"),
            ("smtp://mail/path", "path"),
            ("smtp://:secret@mail", "user name"),
            ("smtp://u:%FF@mail", "UTF-8"),
            ("smtp://mail:99999", "not a URL"),
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
