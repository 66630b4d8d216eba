//! Passwords: checking one against a tenant's policy, and generating one that passes.

use std::fmt;

use secrecy::{ExposeSecret as _, SecretString};
use tenantry_tenant::PasswordPolicy;
use thiserror::Error;

use crate::error::{RandomnessError, random_below};

/// A password that satisfied a tenant's [`PasswordPolicy`] (or was generated to).
///
/// The secret is deliberately hard to leak: it is a [`SecretString`], so `Debug` prints
/// `Password(SecretBox<str>([REDACTED]))` and the memory is wiped on drop; there is no
/// `Display` and no serde; read it with [`Password::expose`] where it is really needed
/// (hashing).
///
/// ```
/// use tenantry_registration::Password;
/// use tenantry_tenant::PasswordPolicy;
///
/// let policy = PasswordPolicy { require_digit: true, ..PasswordPolicy::default() };
/// let password = Password::parse("correct horse 9", &policy)?;
/// assert_eq!(password.expose(), "correct horse 9");
/// assert!(!format!("{password:?}").contains("horse"));
///
/// let err = Password::parse("short", &policy).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "password must be at least 8 characters long; must contain a digit"
/// );
/// # Ok::<(), tenantry_registration::PasswordError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Password(SecretString);

/// One rule of a [`PasswordPolicy`] that a password broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum PasswordViolation {
    /// Fewer characters than the policy's `min_length`.
    #[error("must be at least {min} characters long")]
    TooShort {
        /// The policy's minimum length.
        min: u16,
    },
    /// More characters than the policy's `max_length`.
    #[error("must be at most {max} characters long")]
    TooLong {
        /// The policy's maximum length.
        max: u16,
    },
    /// No uppercase letter although the policy requires one.
    #[error("must contain an uppercase letter")]
    MissingUppercase,
    /// No lowercase letter although the policy requires one.
    #[error("must contain a lowercase letter")]
    MissingLowercase,
    /// No digit although the policy requires one.
    #[error("must contain a digit")]
    MissingDigit,
    /// No symbol although the policy requires one.
    #[error("must contain a symbol")]
    MissingSymbol,
}

/// A password broke one or more rules of the policy; all of them are listed, in the order
/// length, uppercase, lowercase, digit, symbol.
///
/// Its message reads `password <rule>; <rule>…`, for example
/// `password must be at least 8 characters long; must contain a digit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordError {
    violations: Vec<PasswordViolation>,
}

impl PasswordError {
    /// Every rule broken (never empty).
    #[must_use]
    pub fn violations(&self) -> &[PasswordViolation] {
        &self.violations
    }
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("password ")?;
        for (index, violation) in self.violations.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PasswordError {}

/// Why [`Password::generate_for`] produced no password.
#[derive(Debug, Error)]
pub enum PasswordGenerationError {
    /// The system random number generator failed.
    #[error(transparent)]
    Randomness(#[from] RandomnessError),
    /// No generated password can satisfy the policy: its `min_length` exceeds its
    /// `max_length`, or `max_length` is below 4 (one character of each class).
    #[error(
        "no password can satisfy a policy of {min_length} to {max_length} characters \
         (a generated password needs at least 4)"
    )]
    UnsatisfiablePolicy {
        /// The policy's minimum length.
        min_length: u16,
        /// The policy's maximum length.
        max_length: u16,
    },
}

/// Uppercase letters without the look-alikes `I` and `O`.
const UPPERCASE: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Lowercase letters without the look-alikes `l` and `o`.
const LOWERCASE: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
/// Digits without the look-alikes `0` and `1`.
const DIGITS: &[u8] = b"23456789";
/// Symbols that need no quoting anywhere a password is pasted: unreserved in URLs and
/// form bodies (RFC 3986), plain in shells (no `!` history expansion, `$`, `#`, `*`, `?`,
/// `^`; no `~`, which expands after `=`) and in HTML. `+` became a space in a form post,
/// and `!` broke `PW=…!d` in bash.
const SYMBOLS: &[u8] = b"-._";
/// Every character a generated password may contain.
const ALPHABET: &str = concat!(
    "ABCDEFGHJKLMNPQRSTUVWXYZ",
    "abcdefghijkmnpqrstuvwxyz",
    "23456789",
    "-._"
);

impl Password {
    /// The length [`Password::generate_for`] aims for when the policy allows it.
    /// 25 characters of a 59-character alphabet carry 147 bits, no fewer than 24 of the
    /// 68 characters used before the symbols were narrowed (146).
    pub const GENERATED_LENGTH: u16 = 25;

    /// Checks `raw` against `policy`, collecting every rule it breaks.
    ///
    /// Lengths count characters, not bytes. Classes use Unicode: uppercase and lowercase
    /// as `char::is_uppercase`/`is_lowercase`, a digit is any numeric character
    /// (`char::is_numeric`), and a symbol is any character that is neither alphanumeric
    /// nor whitespace. The text is kept as given (not trimmed).
    ///
    /// # Errors
    /// [`PasswordError`] listing every broken rule.
    pub fn parse(raw: &str, policy: &PasswordPolicy) -> Result<Self, PasswordError> {
        let mut violations = Vec::new();
        let length = raw.chars().count();
        if length < usize::from(policy.min_length) {
            violations.push(PasswordViolation::TooShort {
                min: policy.min_length,
            });
        }
        if length > usize::from(policy.max_length) {
            violations.push(PasswordViolation::TooLong {
                max: policy.max_length,
            });
        }
        let classes = [
            (
                policy.require_uppercase,
                is_uppercase as fn(char) -> bool,
                PasswordViolation::MissingUppercase,
            ),
            (
                policy.require_lowercase,
                is_lowercase,
                PasswordViolation::MissingLowercase,
            ),
            (
                policy.require_digit,
                is_digit,
                PasswordViolation::MissingDigit,
            ),
            (
                policy.require_symbol,
                is_symbol,
                PasswordViolation::MissingSymbol,
            ),
        ];
        for (required, belongs, violation) in classes {
            if required && !raw.chars().any(belongs) {
                violations.push(violation);
            }
        }
        if violations.is_empty() {
            Ok(Self(raw.into()))
        } else {
            Err(PasswordError { violations })
        }
    }

    /// Generates a random password that satisfies `policy`, for users registered without
    /// one.
    ///
    /// Its length is `max(25, policy.min_length)`, capped at `policy.max_length`; it holds
    /// at least one uppercase letter, lowercase letter, digit and symbol whatever the policy
    /// requires, drawn uniformly from an alphabet without look-alike characters
    /// (`I O l o 0 1`), with the operating system's secure random number generator.
    ///
    /// # Errors
    /// [`PasswordGenerationError::Randomness`] if the random number generator fails;
    /// [`PasswordGenerationError::UnsatisfiablePolicy`] if `min_length > max_length` or
    /// `max_length < 4`.
    ///
    /// ```
    /// use tenantry_registration::Password;
    /// use tenantry_tenant::PasswordPolicy;
    ///
    /// let policy = PasswordPolicy::default();
    /// let password = Password::generate_for(&policy)?;
    /// assert_eq!(password.expose().chars().count(), 25);
    /// assert!(Password::parse(password.expose(), &policy).is_ok());
    /// # Ok::<(), tenantry_registration::PasswordGenerationError>(())
    /// ```
    pub fn generate_for(policy: &PasswordPolicy) -> Result<Self, PasswordGenerationError> {
        let unsatisfiable = PasswordGenerationError::UnsatisfiablePolicy {
            min_length: policy.min_length,
            max_length: policy.max_length,
        };
        let length = Self::GENERATED_LENGTH
            .max(policy.min_length)
            .min(policy.max_length);
        if length < policy.min_length || length < 4 {
            return Err(unsatisfiable);
        }

        let alphabet = ALPHABET.as_bytes();
        let mut chars = Vec::with_capacity(usize::from(length));
        for class in [UPPERCASE, LOWERCASE, DIGITS, SYMBOLS] {
            chars.push(pick(class)?);
        }
        while chars.len() < usize::from(length) {
            chars.push(pick(alphabet)?);
        }
        // Fisher–Yates, so the guaranteed characters sit at random positions.
        for index in (1..chars.len()).rev() {
            chars.swap(index, random_below(index + 1)?);
        }

        let text: String = chars.into_iter().map(char::from).collect();
        // Cannot fail: the length is within the policy's bounds and every class is present.
        // Re-checking keeps that promise without an `expect`.
        Self::parse(&text, policy).map_err(|_| unsatisfiable)
    }

    /// The secret itself. Call it only where the text is really needed (hashing).
    #[must_use]
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// One byte of `class`, uniformly at random.
fn pick(class: &[u8]) -> Result<u8, RandomnessError> {
    let index = random_below(class.len())?;
    // `random_below(n)` returns an index below `n`; the fallback is unreachable.
    Ok(class.get(index).copied().unwrap_or(b'_'))
}

fn is_uppercase(c: char) -> bool {
    c.is_uppercase()
}

fn is_lowercase(c: char) -> bool {
    c.is_lowercase()
}

fn is_digit(c: char) -> bool {
    c.is_numeric()
}

fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn strict(min_length: u16, max_length: u16) -> PasswordPolicy {
        PasswordPolicy {
            min_length,
            max_length,
            require_uppercase: true,
            require_lowercase: true,
            require_digit: true,
            require_symbol: true,
        }
    }

    #[test]
    fn default_policy_checks_only_length() {
        let policy = PasswordPolicy::default();
        assert!(Password::parse("aaaaaaaa", &policy).is_ok());
        assert!(Password::parse(&"a".repeat(128), &policy).is_ok());
        let err = Password::parse("aaaaaaa", &policy).unwrap_err();
        assert_eq!(err.violations(), [PasswordViolation::TooShort { min: 8 }]);
        let err = Password::parse(&"a".repeat(129), &policy).unwrap_err();
        assert_eq!(err.violations(), [PasswordViolation::TooLong { max: 128 }]);
        assert_eq!(
            err.to_string(),
            "password must be at most 128 characters long"
        );
    }

    #[test]
    fn lists_every_violation_in_order() {
        let err = Password::parse("", &strict(8, 128)).unwrap_err();
        assert_eq!(
            err.violations(),
            [
                PasswordViolation::TooShort { min: 8 },
                PasswordViolation::MissingUppercase,
                PasswordViolation::MissingLowercase,
                PasswordViolation::MissingDigit,
                PasswordViolation::MissingSymbol,
            ]
        );
        assert_eq!(
            err.to_string(),
            "password must be at least 8 characters long; must contain an uppercase letter; \
             must contain a lowercase letter; must contain a digit; must contain a symbol"
        );
    }

    #[test]
    fn each_class_is_recognised() {
        let policy = strict(4, 128);
        assert!(Password::parse("Ab1!", &policy).is_ok());
        assert_eq!(
            Password::parse("ab1!", &policy).unwrap_err().violations(),
            [PasswordViolation::MissingUppercase]
        );
        assert_eq!(
            Password::parse("AB1!", &policy).unwrap_err().violations(),
            [PasswordViolation::MissingLowercase]
        );
        assert_eq!(
            Password::parse("Abc!", &policy).unwrap_err().violations(),
            [PasswordViolation::MissingDigit]
        );
        // Whitespace is not a symbol.
        assert_eq!(
            Password::parse("Ab1 ", &policy).unwrap_err().violations(),
            [PasswordViolation::MissingSymbol]
        );
        // Unicode letters, digits and symbols count.
        assert!(Password::parse("Éé٣€", &policy).is_ok());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let policy = PasswordPolicy {
            min_length: 4,
            max_length: 4,
            ..PasswordPolicy::default()
        };
        assert!(Password::parse("éééé", &policy).is_ok());
        assert!(Password::parse("ééé", &policy).is_err());
    }

    #[test]
    fn debug_hides_the_secret() {
        let password = Password::parse("hunter2hunter2", &PasswordPolicy::default()).unwrap();
        for shown in [format!("{password:?}"), format!("{:?}", Some(password))] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(
                shown.contains("Password(SecretBox<str>([REDACTED]))"),
                "{shown}"
            );
        }
    }

    #[test]
    fn generated_passwords_use_the_alphabet_and_differ() {
        let policy = strict(8, 128);
        let a = Password::generate_for(&policy).unwrap();
        let b = Password::generate_for(&policy).unwrap();
        assert_eq!(a.expose().len(), 25);
        assert!(a.expose().chars().all(|c| ALPHABET.contains(c)));
        assert_ne!(a.expose(), b.expose());
        for look_alike in ['I', 'O', 'l', 'o', '0', '1'] {
            assert!(!ALPHABET.contains(look_alike));
        }
    }

    #[test]
    fn generated_passwords_need_no_quoting_in_shells_urls_or_forms() {
        for c in ALPHABET.chars() {
            assert!(
                c.is_ascii_alphanumeric() || "-._".contains(c),
                "{c:?} is reserved in a URL or special to a shell"
            );
        }
        let bits = |alphabet: usize, length: u16| f64::from(length) * (alphabet as f64).log2();
        assert!(
            bits(ALPHABET.len(), Password::GENERATED_LENGTH) >= bits(68, 24),
            "as strong as 24 characters of the former 68"
        );
    }

    #[test]
    fn generated_length_follows_the_policy() {
        let length = |min, max| {
            Password::generate_for(&strict(min, max))
                .unwrap()
                .expose()
                .len()
        };
        assert_eq!(length(8, 128), 25);
        assert_eq!(length(40, 128), 40);
        assert_eq!(length(8, 12), 12);
        assert_eq!(length(4, 4), 4);
    }

    #[test]
    fn unsatisfiable_policies_are_reported() {
        for (min, max) in [(10, 9), (0, 3), (200, 128)] {
            let err = Password::generate_for(&strict(min, max)).unwrap_err();
            assert!(
                matches!(
                    err,
                    PasswordGenerationError::UnsatisfiablePolicy { min_length, max_length }
                        if min_length == min && max_length == max
                ),
                "{err:?}"
            );
        }
    }

    #[test]
    fn guaranteed_characters_are_not_always_first() {
        // With a fixed layout the first character would always be uppercase.
        let policy = strict(8, 128);
        let mut first_not_upper = false;
        for _ in 0..50 {
            let password = Password::generate_for(&policy).unwrap();
            if !password
                .expose()
                .starts_with(|c: char| c.is_ascii_uppercase())
            {
                first_not_upper = true;
                break;
            }
        }
        assert!(first_not_upper);
    }

    proptest! {
        #[test]
        fn parse_agrees_with_the_rules(
            raw in "\\PC{0,40}",
            min in 0u16..20,
            extra in 0u16..30,
            upper: bool, lower: bool, digit: bool, symbol: bool,
        ) {
            let policy = PasswordPolicy {
                min_length: min,
                max_length: min + extra,
                require_uppercase: upper,
                require_lowercase: lower,
                require_digit: digit,
                require_symbol: symbol,
            };
            let count = raw.chars().count();
            let expected = count >= usize::from(min)
                && count <= usize::from(min + extra)
                && (!upper || raw.chars().any(char::is_uppercase))
                && (!lower || raw.chars().any(char::is_lowercase))
                && (!digit || raw.chars().any(char::is_numeric))
                && (!symbol || raw.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace()));
            match Password::parse(&raw, &policy) {
                Ok(password) => {
                    prop_assert!(expected);
                    prop_assert_eq!(password.expose(), raw.as_str());
                }
                Err(err) => {
                    prop_assert!(!expected);
                    prop_assert!(!err.violations().is_empty());
                    prop_assert!(err.to_string().starts_with("password must "));
                }
            }
        }

        #[test]
        fn generated_passwords_satisfy_the_strictest_policy(min in 0u16..200, extra in 0u16..200) {
            let max = (min + extra).max(4);
            let policy = strict(min.min(max), max);
            let password = Password::generate_for(&policy).unwrap();
            prop_assert!(Password::parse(password.expose(), &policy).is_ok());
            let expected = usize::from(25u16.max(policy.min_length).min(max));
            prop_assert_eq!(password.expose().chars().count(), expected);
        }
    }
}
