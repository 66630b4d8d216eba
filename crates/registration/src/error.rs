//! Errors shared by more than one module of this crate.

use thiserror::Error;

/// The operating system's secure random number generator failed.
///
/// Returned by everything that draws randomness ([`crate::Password::generate_for`],
/// [`crate::SecretToken::generate`]). It is not expected to happen on a healthy machine;
/// callers should treat it as an internal fault, not as a client error.
#[derive(Debug, Error)]
#[error("the system random number generator failed")]
pub struct RandomnessError(#[source] getrandom::Error);

impl From<getrandom::Error> for RandomnessError {
    fn from(source: getrandom::Error) -> Self {
        Self(source)
    }
}

/// Fills `dest` from the operating system's secure random number generator.
pub(crate) fn fill_random(dest: &mut [u8]) -> Result<(), RandomnessError> {
    getrandom::fill(dest).map_err(RandomnessError)
}

/// Draws a uniformly distributed index in `0..bound` (no modulo bias).
///
/// `bound` must be at least 1; with 0 the function returns 0 (there is no valid index, and
/// callers in this crate never pass 0).
pub(crate) fn random_below(bound: usize) -> Result<usize, RandomnessError> {
    let Ok(bound) = u32::try_from(bound) else {
        // Every caller in this crate passes an alphabet or password length (≤ 65 535).
        return Ok(0);
    };
    if bound <= 1 {
        return Ok(0);
    }
    // Reject draws from the incomplete last block so every residue is equally likely.
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let draw = getrandom::u32().map_err(RandomnessError)?;
        if draw < zone {
            // `draw % bound < bound ≤ u32::MAX`, and usize is at least 32 bits wide on every
            // platform this crate builds for (argon2 refuses 16-bit targets).
            return Ok(usize::try_from(draw % bound).unwrap_or(0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_below_stays_in_range() {
        for bound in [1, 2, 3, 7, 57, 128] {
            for _ in 0..200 {
                assert!(random_below(bound).unwrap() < bound);
            }
        }
        assert_eq!(random_below(0).unwrap(), 0);
    }

    #[test]
    fn random_below_reaches_every_value() {
        let mut seen = [false; 5];
        for _ in 0..500 {
            seen[random_below(5).unwrap()] = true;
        }
        assert!(seen.iter().all(|s| *s), "{seen:?}");
    }

    #[test]
    fn fill_random_changes_the_buffer() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        fill_random(&mut a).unwrap();
        fill_random(&mut b).unwrap();
        assert_ne!(a, b);
    }
}
