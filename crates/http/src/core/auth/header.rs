//! Parsing the `Authorization` request header into the credential it presents.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::SecretString;

/// The longest `Authorization` value [`Presented::parse`] looks at, in bytes; longer ones
/// are refused unread.
pub const MAX_AUTHORIZATION_LEN: usize = 4096;

/// A credential presented in an `Authorization` header, not yet checked against anything.
///
/// `Debug` shows the scheme and the username only: passwords and tokens never reach logs
/// through it.
#[derive(Debug, Clone)]
pub enum Presented {
    /// `Basic base64(username:password)` (RFC 7617).
    Basic {
        /// Everything before the first `:`; never empty.
        username: String,
        /// Everything after the first `:`; may be empty and may contain `:`.
        password: SecretString,
    },
    /// `Bearer <token>` (RFC 6750), e.g. a JWT issued at login.
    Bearer(SecretString),
    /// `Token <token>`, the scheme API-token clients use.
    Token(SecretString),
}

impl Presented {
    /// Parses a raw `Authorization` header value (as `HeaderValue::as_bytes` gives it).
    ///
    /// Scheme names are case-insensitive; one or more spaces separate the scheme from the
    /// credential, and surrounding spaces or tabs are ignored. Returns `None` for anything
    /// malformed: a value over [`MAX_AUTHORIZATION_LEN`] bytes, an unknown scheme, an empty
    /// credential, a bearer/token credential that is not a single run of visible ASCII,
    /// Basic credentials that are not canonical padded standard base64, not UTF-8, lack a
    /// `:`, have an empty username, or contain control characters (RFC 7617 §2).
    pub fn parse(value: &[u8]) -> Option<Self> {
        if value.len() > MAX_AUTHORIZATION_LEN {
            return None;
        }
        let value = trim_ows(value);
        let space = value.iter().position(|&b| b == b' ')?;
        let (scheme, rest) = value.split_at(space);
        let credential = trim_ows(rest);
        if credential.is_empty() {
            return None;
        }
        if scheme.eq_ignore_ascii_case(b"basic") {
            parse_basic(credential)
        } else if scheme.eq_ignore_ascii_case(b"bearer") {
            token(credential).map(Presented::Bearer)
        } else if scheme.eq_ignore_ascii_case(b"token") {
            token(credential).map(Presented::Token)
        } else {
            None
        }
    }
}

/// Strips HTTP optional whitespace (spaces and tabs, nothing else) from both ends.
fn trim_ows(bytes: &[u8]) -> &[u8] {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// A bearer-style credential: one run of visible ASCII (no spaces, no controls).
fn token(credential: &[u8]) -> Option<SecretString> {
    if !credential.iter().all(u8::is_ascii_graphic) {
        return None;
    }
    String::from_utf8(credential.to_vec())
        .ok()
        .map(SecretString::from)
}

fn parse_basic(credential: &[u8]) -> Option<Presented> {
    let decoded = STANDARD.decode(credential).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (username, password) = decoded.split_once(':')?;
    if username.is_empty() || decoded.chars().any(char::is_control) {
        return None;
    }
    Some(Presented::Basic {
        username: username.to_owned(),
        password: SecretString::from(password),
    })
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    /// Equal when the scheme, username and secret are.
    impl PartialEq for Presented {
        fn eq(&self, other: &Self) -> bool {
            let parts = |presented: &Presented| match presented {
                Presented::Basic { username, password } => (
                    "basic",
                    username.clone(),
                    password.expose_secret().to_owned(),
                ),
                Presented::Bearer(token) => {
                    ("bearer", String::new(), token.expose_secret().to_owned())
                }
                Presented::Token(token) => {
                    ("token", String::new(), token.expose_secret().to_owned())
                }
            };
            parts(self) == parts(other)
        }
    }

    fn basic(username: &str, password: &str) -> Option<Presented> {
        Some(Presented::Basic {
            username: username.to_owned(),
            password: SecretString::from(password),
        })
    }

    fn encode(raw: &[u8]) -> String {
        STANDARD.encode(raw)
    }

    #[test]
    fn accepted_values() {
        let cases: Vec<(String, Option<Presented>)> = vec![
            // "alice:s3cret"
            ("Basic YWxpY2U6czNjcmV0".into(), basic("alice", "s3cret")),
            ("basic YWxpY2U6czNjcmV0".into(), basic("alice", "s3cret")),
            ("BASIC YWxpY2U6czNjcmV0".into(), basic("alice", "s3cret")),
            ("bAsIc    YWxpY2U6czNjcmV0".into(), basic("alice", "s3cret")),
            (
                " \tBasic YWxpY2U6czNjcmV0 \t".into(),
                basic("alice", "s3cret"),
            ),
            // Split at the first colon only.
            (
                format!("Basic {}", encode(b"alice:a:b:c")),
                basic("alice", "a:b:c"),
            ),
            (format!("Basic {}", encode(b"alice:")), basic("alice", "")),
            (
                format!(
                    "Basic {}",
                    encode("jos\u{e9}:p\u{e4}ss \u{1f511}".as_bytes())
                ),
                basic("jos\u{e9}", "p\u{e4}ss \u{1f511}"),
            ),
            (
                "Bearer abc.def.ghi".into(),
                Some(Presented::Bearer("abc.def.ghi".into())),
            ),
            ("bearer abc".into(), Some(Presented::Bearer("abc".into()))),
            (
                "BEARER a-b_c~d+e/f==".into(),
                Some(Presented::Bearer("a-b_c~d+e/f==".into())),
            ),
            (
                "Token tnt_0123456789".into(),
                Some(Presented::Token("tnt_0123456789".into())),
            ),
            (
                "token  tnt_x ".into(),
                Some(Presented::Token("tnt_x".into())),
            ),
            ("TOKEN x".into(), Some(Presented::Token("x".into()))),
        ];
        for (value, expected) in cases {
            assert_eq!(Presented::parse(value.as_bytes()), expected, "{value:?}");
        }
    }

    #[test]
    fn rejected_values() {
        let long_basic = format!(
            "Basic {}",
            encode(format!("u:{}", "p".repeat(3100)).as_bytes())
        );
        assert!(long_basic.len() > MAX_AUTHORIZATION_LEN);
        let long_bearer = format!("Bearer {}", "a".repeat(MAX_AUTHORIZATION_LEN));
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b" ".to_vec(),
            b"Basic".to_vec(),
            b"Basic ".to_vec(),
            b"Basic    ".to_vec(),
            b"Bearer".to_vec(),
            b"Bearer ".to_vec(),
            b"Token".to_vec(),
            b"Token \t".to_vec(),
            // Unknown or mangled schemes.
            b"Digest username=\"a\"".to_vec(),
            b"Negotiate abc".to_vec(),
            b"Bearerabc".to_vec(),
            b"Basic: YWxpY2U6czNjcmV0".to_vec(),
            b"Bas\xc3\xafc YWxpY2U6czNjcmV0".to_vec(),
            b"YWxpY2U6czNjcmV0".to_vec(),
            b"\tBasic\tYWxpY2U6czNjcmV0".to_vec(),
            // Bad base64: wrong alphabet, missing or extra padding, junk.
            b"Basic YWxpY2U6czNjcmV0!".to_vec(),
            b"Basic YWxpY2U6cw".to_vec(),
            b"Basic YWxpY2U6cw===".to_vec(),
            b"Basic YWxp_2U6cw==".to_vec(),
            b"Basic YWxpY2U6 czNjcmV0".to_vec(),
            // Decodes, but: no colon, empty username, not UTF-8, control characters.
            format!("Basic {}", encode(b"alice")).into_bytes(),
            format!("Basic {}", encode(b"")).into_bytes(),
            format!("Basic {}", encode(b":secret")).into_bytes(),
            format!("Basic {}", encode(b":")).into_bytes(),
            format!("Basic {}", encode(b"alice:\xff\xfe")).into_bytes(),
            format!("Basic {}", encode(b"ali\nce:secret")).into_bytes(),
            format!("Basic {}", encode(b"alice:sec\0ret")).into_bytes(),
            // Bearer and token credentials must be one run of visible ASCII.
            b"Bearer abc def".to_vec(),
            b"Bearer abc\tdef".to_vec(),
            b"Token abc\x7f".to_vec(),
            b"Token ab\xc3\xa9".to_vec(),
            b"Bearer abc\r\n".to_vec(),
            // Too long, whatever the content.
            long_basic.into_bytes(),
            long_bearer.into_bytes(),
        ];
        for value in cases {
            assert_eq!(
                Presented::parse(&value),
                None,
                "{:?}",
                String::from_utf8_lossy(&value)
            );
        }
    }

    #[test]
    fn length_limit_is_inclusive() {
        let prefix = "Bearer ";
        let at_limit = format!(
            "{prefix}{}",
            "a".repeat(MAX_AUTHORIZATION_LEN - prefix.len())
        );
        assert_eq!(at_limit.len(), MAX_AUTHORIZATION_LEN);
        assert!(Presented::parse(at_limit.as_bytes()).is_some());
        let over = format!("{at_limit}a");
        assert_eq!(Presented::parse(over.as_bytes()), None);
    }

    #[test]
    fn basic_round_trips_generated_pairs() {
        // Table-driven stand-in for a property test: every pair whose username is
        // non-empty and colon-free survives encode → parse unchanged.
        let usernames = [
            "a",
            "alice",
            "Ops-Admin_1",
            "\u{e9}l\u{e8}ve",
            "x y",
            "\u{1f600}",
        ];
        let passwords = [
            "",
            ":",
            "::",
            "p:q",
            "correct horse battery staple",
            "\u{fc}ber",
            " lead",
        ];
        for username in usernames {
            for password in passwords {
                let raw = format!("{username}:{password}");
                for scheme in ["Basic", "basic", "BaSiC"] {
                    let header = format!("{scheme} {}", encode(raw.as_bytes()));
                    assert_eq!(
                        Presented::parse(header.as_bytes()),
                        basic(username, password),
                        "{raw:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let cases = [
            (basic("alice", "hunter2-secret"), "alice"),
            (Some(Presented::Bearer("bearer-secret".into())), "Bearer"),
            (Some(Presented::Token("token-secret".into())), "Token"),
        ];
        for (presented, shown) in cases {
            let debug = format!("{:?}", presented);
            assert!(!debug.contains("secret"), "{debug}");
            assert!(debug.contains(shown), "{debug}");
            assert!(debug.contains("REDACTED"), "{debug}");
        }
    }
}
