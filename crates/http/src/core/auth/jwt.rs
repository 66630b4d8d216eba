//! HS256 JSON Web Tokens for admin sessions, issued at login and presented as `Bearer`.
//!
//! Hand-rolled on `hmac` + `sha2` because we need exactly one shape of token: header
//! `{"alg":"HS256","typ":"JWT"}`, claims `iss`/`sub`/`iat`/`exp`/`jti`, base64url without
//! padding. [`JwtKeys::verify`] accepts nothing else.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The `iss` claim of every token tenantry issues and the only one it accepts.
pub const ISSUER: &str = "tenantry";

/// The shortest secret [`JwtKeys::new`] accepts, in bytes (the HS256 output size).
pub const MIN_SECRET_LEN: usize = 32;

/// How far past `exp` a token is still accepted, and how far in the future `iat` may
/// lie, to absorb clock differences between the machines of a deployment.
pub const CLOCK_LEEWAY_SECS: i64 = 30;

/// The longest token [`JwtKeys::verify`] reads; ours are about 250 bytes.
const MAX_TOKEN_LEN: usize = 4096;

/// The longest `lifetime` [`JwtKeys::issue`] accepts: one year.
const MAX_LIFETIME: Duration = Duration::from_secs(366 * 24 * 60 * 60);

/// base64url(`{"alg":"HS256","typ":"JWT"}`), the header of every token we issue.
const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

type HmacSha256 = Hmac<Sha256>;

/// The claims of a verified token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer; always [`ISSUER`] once verified.
    pub iss: String,
    /// Subject: whom the token was issued to (the operator's username).
    pub sub: String,
    /// Issued at, in seconds since the Unix epoch.
    pub iat: i64,
    /// Expires at, in seconds since the Unix epoch.
    pub exp: i64,
    /// Token id: 128 random bits as 32 lowercase hex digits.
    pub jti: String,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    /// Critical extensions we would have to understand (RFC 7515 §4.1.11); we know none.
    crit: Option<serde_json::Value>,
}

/// Why [`JwtKeys::new`] refused a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the JWT secret must be at least {MIN_SECRET_LEN} bytes, got {len}")]
pub struct SecretTooShort {
    /// The length of the secret offered.
    pub len: usize,
}

/// Why [`JwtKeys::issue`] could not issue a token.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The lifetime was under one second or over a year.
    #[error("token lifetime must be between 1 second and 1 year")]
    Lifetime,
    /// `now + lifetime` is not a representable time.
    #[error("token expiry is out of range")]
    OutOfRange,
    /// The operating system's random number generator failed (for the `jti`).
    #[error("could not draw a random token id")]
    Randomness(#[source] getrandom::Error),
}

/// Why [`JwtKeys::verify`] rejected a token. The variants are for logs and tests;
/// clients should see one and the same 401 for all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts of JSON with the expected fields, or too long.
    #[error("malformed token")]
    Malformed,
    /// The header names an algorithm other than HS256 (including `none`), or asks for
    /// critical extensions.
    #[error("unsupported token algorithm")]
    WrongAlgorithm,
    /// The signature does not match: tampered, or signed with another key.
    #[error("bad token signature")]
    BadSignature,
    /// Signed by us, but `iss` is not [`ISSUER`].
    #[error("wrong token issuer")]
    WrongIssuer,
    /// `iat` lies more than [`CLOCK_LEEWAY_SECS`] in the future.
    #[error("token not yet valid")]
    NotYetValid,
    /// `exp` passed more than [`CLOCK_LEEWAY_SECS`] ago.
    #[error("token expired")]
    Expired,
}

/// The secret that signs and verifies session tokens.
///
/// `Debug` does not show the secret.
#[derive(Clone)]
pub struct JwtKeys {
    /// HMAC state already keyed with the secret; cloned for each token.
    mac: HmacSha256,
}

impl JwtKeys {
    /// Keys from a secret of at least [`MIN_SECRET_LEN`] bytes (use random bytes, not a
    /// passphrase).
    pub fn new(secret: &[u8]) -> Result<Self, SecretTooShort> {
        let too_short = SecretTooShort { len: secret.len() };
        if secret.len() < MIN_SECRET_LEN {
            return Err(too_short);
        }
        // HMAC takes keys of any length, so this cannot fail.
        let mac = HmacSha256::new_from_slice(secret).map_err(|_| too_short)?;
        Ok(Self { mac })
    }

    /// A token for `subject`, issued at `now` and valid for `lifetime` (whole seconds,
    /// 1 s to 1 year), together with its lifetime in seconds for an `expires_in` field.
    pub fn issue(
        &self,
        subject: &str,
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> Result<(String, u64), IssueError> {
        let expires_in = lifetime.as_secs();
        if expires_in == 0 || lifetime > MAX_LIFETIME {
            return Err(IssueError::Lifetime);
        }
        let iat = now.timestamp();
        // The conversion cannot fail: expires_in is at most a year's worth of seconds.
        let exp = iat
            .checked_add(i64::try_from(expires_in).map_err(|_| IssueError::Lifetime)?)
            .filter(|exp| DateTime::from_timestamp(*exp, 0).is_some())
            .ok_or(IssueError::OutOfRange)?;
        let mut jti = [0_u8; 16];
        getrandom::fill(&mut jti).map_err(IssueError::Randomness)?;
        let claims = Claims {
            iss: ISSUER.to_owned(),
            sub: subject.to_owned(),
            iat,
            exp,
            jti: hex::encode(jti),
        };
        #[expect(
            clippy::expect_used,
            reason = "serialising a struct of strings and integers cannot fail"
        )]
        let payload = serde_json::to_vec(&claims).expect("claims serialise");
        let signing_input = format!("{HEADER_B64}.{}", URL_SAFE_NO_PAD.encode(payload));
        let signature = self.sign(&signing_input);
        Ok((format!("{signing_input}.{signature}"), expires_in))
    }

    /// The claims of `token` if it is well-formed, uses HS256, carries a valid signature
    /// by these keys, was issued by [`ISSUER`], and is valid at `now`.
    ///
    /// Validity allows [`CLOCK_LEEWAY_SECS`] of clock skew both ways: a token is accepted
    /// until `exp + 30 s`, and from `iat - 30 s`. Never panics, whatever the input.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, JwtError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(JwtError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };

        let header: Header = decode_json(header_b64)?;
        if header.alg != "HS256" || header.crit.is_some() {
            return Err(JwtError::WrongAlgorithm);
        }

        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| JwtError::Malformed)?;
        let signed_len = header_b64.len() + 1 + payload_b64.len();
        let mut mac = self.mac.clone();
        mac.update(&token.as_bytes()[..signed_len]);
        mac.verify_slice(&signature)
            .map_err(|_| JwtError::BadSignature)?;

        let claims: Claims = decode_json(payload_b64)?;
        if claims.iss != ISSUER {
            return Err(JwtError::WrongIssuer);
        }
        let now = now.timestamp();
        if claims.iat > now.saturating_add(CLOCK_LEEWAY_SECS) {
            return Err(JwtError::NotYetValid);
        }
        if claims.exp.saturating_add(CLOCK_LEEWAY_SECS) <= now {
            return Err(JwtError::Expired);
        }
        Ok(claims)
    }

    fn sign(&self, signing_input: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(signing_input.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKeys").finish_non_exhaustive()
    }
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

#[cfg(test)]
mod tests;
