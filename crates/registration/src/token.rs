//! Random secret tokens (activation and password-reset links) and their stored digests.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use thiserror::Error;

use crate::error::{RandomnessError, fill_random};

/// A random secret token: 32 bytes from the operating system, base64url without padding
/// (43 characters), fit for a URL path.
///
/// Only the user ever sees it (in an emailed link); the store keeps its [`TokenDigest`].
/// It is a [`SecretString`]: `Debug` prints `SecretToken(SecretBox<str>([REDACTED]))` and the
/// memory is wiped on drop; read it with [`SecretToken::expose`].
///
/// ```
/// use tenantry_registration::{SecretToken, TokenDigest};
///
/// let token = SecretToken::generate()?;
/// assert_eq!(token.expose().len(), 43);
/// let stored = token.digest();
///
/// // Later, the link comes back with the token in its path:
/// let presented = TokenDigest::of(token.expose());
/// assert!(stored.matches(&presented));
/// # Ok::<(), tenantry_registration::TokenError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SecretToken(SecretString);

/// The SHA-256 digest of a token's text, as 64 lowercase hexadecimal characters: what the
/// store keeps and looks tokens up by.
///
/// The token has 256 bits of entropy, so a fast unsalted hash is enough: the digest cannot
/// be reversed or guessed, and a leaked table of digests opens no link.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenDigest(String);

/// Why a token could not be made or a digest read.
#[derive(Debug, Error)]
pub enum TokenError {
    /// The system random number generator failed.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// The text is not 64 hexadecimal characters.
    #[error("a token digest must be 64 hexadecimal characters")]
    MalformedDigest,
}

impl SecretToken {
    /// Random bytes in a token.
    pub const BYTES: usize = 32;
    /// Characters in a token's text (base64url of 32 bytes, no padding).
    pub const LENGTH: usize = 43;

    /// A fresh token from the operating system's secure random number generator.
    ///
    /// # Errors
    /// [`TokenError::Randomness`] if the random number generator fails.
    pub fn generate() -> Result<Self, TokenError> {
        let mut bytes = [0u8; Self::BYTES];
        fill_random(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes).into()))
    }

    /// The token's text, to put in a link.
    #[must_use]
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The digest to store.
    #[must_use]
    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(self.expose())
    }
}

impl TokenDigest {
    /// Characters in a digest's text.
    pub const LENGTH: usize = 64;

    /// The digest of a token's text (as presented; any text is accepted, so a digest can be
    /// computed for whatever a client sends).
    #[must_use]
    pub fn of(token: &str) -> Self {
        Self(hex::encode(Sha256::digest(token.as_bytes())))
    }

    /// Reads a stored digest: 64 hexadecimal characters (uppercase is accepted and
    /// lower-cased).
    ///
    /// # Errors
    /// [`TokenError::MalformedDigest`] for any other text.
    pub fn from_hex(hex: String) -> Result<Self, TokenError> {
        if hex.len() != Self::LENGTH || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(TokenError::MalformedDigest);
        }
        Ok(Self(hex.to_ascii_lowercase()))
    }

    /// The 64 lowercase hexadecimal characters.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether both digests are the same, compared in constant time.
    #[must_use]
    pub fn matches(&self, other: &TokenDigest) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl fmt::Display for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `a` and `b` hold the same bytes, in time that depends only on their lengths
/// (slices of different lengths are unequal at once).
///
/// ```
/// use tenantry_registration::constant_time_eq;
///
/// assert!(constant_time_eq(b"secret", b"secret"));
/// assert!(!constant_time_eq(b"secret", b"secreT"));
/// assert!(!constant_time_eq(b"secret", b"secrets"));
/// ```
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let a = SecretToken::generate().unwrap();
        let b = SecretToken::generate().unwrap();
        assert_eq!(a.expose().len(), SecretToken::LENGTH);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a.expose(), b.expose());
        assert_eq!(URL_SAFE_NO_PAD.decode(a.expose()).unwrap().len(), 32);
    }

    #[test]
    fn debug_hides_the_token() {
        let token = SecretToken::generate().unwrap();
        let shown = format!("{token:?}");
        assert_eq!(shown, "SecretToken(SecretBox<str>([REDACTED]))");
        assert!(!shown.contains(token.expose()));
    }

    #[test]
    fn digest_is_sha256_in_lowercase_hex() {
        // Known answers (FIPS 180-2 / NIST).
        assert_eq!(
            TokenDigest::of("").as_str(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            TokenDigest::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = SecretToken::generate().unwrap();
        assert_eq!(token.digest(), TokenDigest::of(token.expose()));
    }

    #[test]
    fn matches_compares_digests() {
        let a = TokenDigest::of("a");
        assert!(a.matches(&TokenDigest::of("a")));
        assert!(!a.matches(&TokenDigest::of("b")));
    }

    #[test]
    fn from_hex_accepts_digests_only() {
        let digest = TokenDigest::of("abc");
        assert_eq!(
            TokenDigest::from_hex(digest.as_str().to_owned()).unwrap(),
            digest
        );
        let upper = digest.as_str().to_ascii_uppercase();
        assert_eq!(TokenDigest::from_hex(upper).unwrap(), digest);
        for bad in [
            String::new(),
            "ab".to_owned(),
            "g".repeat(64),
            "a".repeat(63),
            "a".repeat(65),
            format!("{}é", "a".repeat(62)),
        ] {
            assert!(
                matches!(
                    TokenDigest::from_hex(bad.clone()),
                    Err(TokenError::MalformedDigest)
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn constant_time_eq_handles_lengths() {
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }

    proptest! {
        #[test]
        fn digests_round_trip_through_hex(token in "\\PC{0,64}") {
            let digest = TokenDigest::of(&token);
            prop_assert_eq!(digest.as_str().len(), 64);
            prop_assert!(digest.as_str().bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            let reread = TokenDigest::from_hex(digest.as_str().to_owned()).unwrap();
            prop_assert!(reread.matches(&digest));
        }

        #[test]
        fn from_hex_agrees_with_the_rule(
            raw in prop_oneof!["[0-9a-fA-F]{64}", "[0-9a-fA-Fg-z]{60,68}", "\\PC{0,70}"],
        ) {
            let expected = raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit());
            match TokenDigest::from_hex(raw.clone()) {
                Ok(digest) => {
                    prop_assert!(expected);
                    prop_assert_eq!(digest.as_str(), raw.to_ascii_lowercase());
                }
                Err(_) => prop_assert!(!expected),
            }
        }

        #[test]
        fn constant_time_eq_agrees_with_eq(a in prop::collection::vec(any::<u8>(), 0..8), b in prop::collection::vec(any::<u8>(), 0..8)) {
            prop_assert_eq!(constant_time_eq(&a, &b), a == b);
        }
    }
}
