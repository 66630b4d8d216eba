//! Password hashing: a port, and its argon2id implementation.

use std::fmt;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash as PhcHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq as _;
use thiserror::Error;

/// Hashes and verifies passwords. The registration flow depends on this port, not on
/// argon2, so tests and other services can plug in their own.
///
/// Both operations are slow on purpose (tens of milliseconds): call them off any async
/// worker thread (e.g. in `web::block`).
pub trait PasswordHasher: Send + Sync {
    /// Hashes `password` with a fresh random salt.
    ///
    /// # Errors
    /// [`HashError::Hashing`] if the hash could not be computed (a failing random number
    /// generator, an absurdly long password).
    fn hash(&self, password: &str) -> Result<PasswordHash, HashError>;

    /// Whether `candidate` is the password `hash` was made from. Never panics: a hash this
    /// hasher cannot use (another algorithm, out-of-bounds parameters) verifies nothing.
    fn verify(&self, hash: &PasswordHash, candidate: &str) -> bool;

    /// Spends as long as a [`verify`](PasswordHasher::verify) would and returns `false`.
    ///
    /// Call it when the user being authenticated does not exist, so that the response time
    /// does not reveal which usernames or emails are registered. The default does no work;
    /// [`Argon2idHasher`] overrides it with a real verification.
    fn verify_dummy(&self, candidate: &str) -> bool {
        let _ = candidate;
        false
    }
}

/// A password hash in PHC string format, e.g. `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
///
/// It is what the store keeps. `Debug` shows the algorithm and parameters only.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

/// Why a password hash could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HashError {
    /// Computing the hash failed.
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// The text is not a PHC password hash string with a salt and a hash.
    #[error("not a PHC password hash string: {0}")]
    MalformedHash(String),
}

impl PasswordHash {
    /// Reads a stored PHC string, checking that it parses and carries a salt and a hash.
    ///
    /// Any algorithm is accepted here (a store may hold legacy hashes); [`Argon2idHasher`]
    /// verifies argon2 hashes only.
    ///
    /// # Errors
    /// [`HashError::MalformedHash`] if the text is not such a string.
    pub fn from_phc(phc: String) -> Result<Self, HashError> {
        let parsed = PhcHash::new(&phc).map_err(|e| HashError::MalformedHash(e.to_string()))?;
        if parsed.salt.is_none() || parsed.hash.is_none() {
            return Err(HashError::MalformedHash(
                "a salt and a hash are required".to_owned(),
            ));
        }
        Ok(Self(phc))
    }

    /// The PHC string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the hash, returning its PHC string.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `$alg$v=..$params$salt$hash`: keep everything before the salt.
        let shown: Vec<&str> = self.0.split('$').take(4).collect();
        write!(f, "PasswordHash({:?})", format!("{}$***", shown.join("$")))
    }
}

/// Argon2id with OWASP's parameters: 19 MiB of memory (m=19456 KiB), 2 iterations (t=2),
/// 1 lane (p=1), a 16-byte random salt and a 32-byte output, written as a PHC string.
///
/// ```
/// use tenantry_registration::{Argon2idHasher, PasswordHasher};
///
/// let hasher = Argon2idHasher::new();
/// let hash = hasher.hash("correct horse battery staple")?;
/// assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
/// assert!(hasher.verify(&hash, "correct horse battery staple"));
/// assert!(!hasher.verify(&hash, "Tr0ub4dor&3"));
/// # Ok::<(), tenantry_registration::HashError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Argon2idHasher {
    argon2: Argon2<'static>,
}

/// Memory cost, KiB (OWASP: 19 MiB).
const M_COST: u32 = 19_456;
/// Iterations (OWASP: 2).
const T_COST: u32 = 2;
/// Lanes (OWASP: 1).
const P_COST: u32 = 1;

/// The parameters, checked while compiling: invalid values fail the build, not a request.
const PARAMS: Params = match Params::new(M_COST, T_COST, P_COST, None) {
    Ok(params) => params,
    Err(_) => panic!("invalid argon2 parameters"),
};

/// The largest memory cost (KiB) a stored hash may ask `verify` for: 256 MiB. A corrupted or
/// hostile hash with `m=4294967295` would otherwise make verification allocate terabytes.
const MAX_VERIFY_M_COST: u32 = 262_144;
/// The most iterations a stored hash may ask `verify` for.
const MAX_VERIFY_T_COST: u32 = 16;
/// The most lanes a stored hash may ask `verify` for.
const MAX_VERIFY_P_COST: u32 = 16;

/// Bytes of random salt in each new hash.
const SALT_LEN: usize = 16;
/// Bytes of output in each new hash.
const OUTPUT_LEN: usize = 32;

/// The salt `verify_dummy` hashes with; any valid salt does.
const DUMMY_SALT: &[u8; 16] = b"tenantry-dummy!!";

impl Argon2idHasher {
    /// A hasher with OWASP's parameters (m=19456 KiB, t=2, p=1).
    #[must_use]
    pub fn new() -> Self {
        Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, PARAMS),
        }
    }

    /// Spends as long as verifying `candidate` against a real hash of this hasher's
    /// parameters would, and returns `false`.
    ///
    /// Use it when the user does not exist, so that "unknown user" and "wrong password" take
    /// the same time:
    ///
    /// ```
    /// use tenantry_registration::{Argon2idHasher, PasswordHash, PasswordHasher};
    ///
    /// fn login(hasher: &Argon2idHasher, stored: Option<&PasswordHash>, password: &str) -> bool {
    ///     match stored {
    ///         Some(hash) => hasher.verify(hash, password),
    ///         None => hasher.verify_dummy(password),
    ///     }
    /// }
    /// assert!(!login(&Argon2idHasher::new(), None, "whatever"));
    /// ```
    pub fn verify_dummy(&self, candidate: &str) -> bool {
        self.verify_dummy_in(&mut HashMemory::new(), candidate)
    }

    /// [`hash`](PasswordHasher::hash) in `memory` instead of 19 MiB allocated for the call.
    ///
    /// # Errors
    /// As [`PasswordHasher::hash`].
    pub fn hash_in(
        &self,
        memory: &mut HashMemory,
        password: &str,
    ) -> Result<PasswordHash, HashError> {
        let failed = |error: &dyn fmt::Display| HashError::Hashing(error.to_string());
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt).map_err(|error| failed(&error))?;
        let mut out = [0u8; OUTPUT_LEN];
        compute(&self.argon2, memory, password.as_bytes(), &salt, &mut out)
            .map_err(|error| failed(&error))?;
        let phc = PhcHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&PARAMS).map_err(|error| failed(&error))?,
            salt: Some(Salt::new(&salt).map_err(|error| failed(&error))?),
            hash: Some(Output::new(&out).map_err(|error| failed(&error))?),
        };
        Ok(PasswordHash(phc.to_string()))
    }

    /// [`verify`](PasswordHasher::verify) in `memory` (a hash asking for more memory than
    /// `memory` holds gets it for this call only).
    pub fn verify_in(&self, memory: &mut HashMemory, hash: &PasswordHash, candidate: &str) -> bool {
        let Ok(parsed) = PhcHash::new(hash.as_str()) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
            return false;
        };
        let version = match parsed.version.map(Version::try_from) {
            None => Version::default(),
            Some(Ok(version)) => version,
            Some(Err(_)) => return false,
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        if params.m_cost() > MAX_VERIFY_M_COST
            || params.t_cost() > MAX_VERIFY_T_COST
            || params.p_cost() > MAX_VERIFY_P_COST
        {
            return false;
        }
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return false;
        };
        let mut buffer = [0u8; Output::MAX_LENGTH];
        let Some(out) = buffer.get_mut(..expected.len()) else {
            return false;
        };
        // The algorithm, version, parameters and salt recorded in the hash; the outputs
        // compared in constant time.
        let argon2 = Argon2::new(algorithm, version, params);
        compute(&argon2, memory, candidate.as_bytes(), salt.as_ref(), out).is_ok()
            && bool::from(out.ct_eq(expected.as_bytes()))
    }

    /// [`verify_dummy`](Argon2idHasher::verify_dummy) in `memory`.
    pub fn verify_dummy_in(&self, memory: &mut HashMemory, candidate: &str) -> bool {
        // A verification is exactly one hash computation (salt and parameters from the
        // stored hash) plus a constant-time comparison; do the same work with a fixed salt
        // and this hasher's parameters, and discard the result.
        let mut out = [0u8; OUTPUT_LEN];
        let computed = compute(
            &self.argon2,
            memory,
            candidate.as_bytes(),
            DUMMY_SALT,
            &mut out,
        );
        let _ = std::hint::black_box((computed, out));
        false
    }
}

/// argon2's working memory (19 MiB for this hasher's parameters), kept by a thread that
/// hashes many passwords so that each hash neither allocates it afresh nor leaves the
/// allocator holding another 19 MiB it will not give back to the system.
///
/// ```
/// use tenantry_registration::{Argon2idHasher, HashMemory};
///
/// let (hasher, mut memory) = (Argon2idHasher::new(), HashMemory::new());
/// let hash = hasher.hash_in(&mut memory, "correct horse battery staple")?;
/// assert!(hasher.verify_in(&mut memory, &hash, "correct horse battery staple"));
/// # Ok::<(), tenantry_registration::HashError>(())
/// ```
pub struct HashMemory {
    blocks: Vec<Block>,
}

impl HashMemory {
    /// Memory for [`Argon2idHasher`]'s parameters.
    #[must_use]
    pub fn new() -> Self {
        Self {
            blocks: vec![Block::default(); PARAMS.block_count()],
        }
    }
}

impl Default for HashMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for HashMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HashMemory({} KiB)", self.blocks.len())
    }
}

/// Computes `argon2`'s output for `password` and `salt` into `out`, in `memory` when it is
/// large enough, else in memory of its own for this call.
fn compute(
    argon2: &Argon2<'_>,
    memory: &mut HashMemory,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let needed = argon2.params().block_count();
    match memory.blocks.get_mut(..needed) {
        Some(blocks) => argon2.hash_password_into_with_memory(password, salt, out, blocks),
        None => {
            let mut blocks = vec![Block::default(); needed];
            argon2.hash_password_into_with_memory(password, salt, out, &mut blocks)
        }
    }
}

impl Default for Argon2idHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher for Argon2idHasher {
    fn hash(&self, password: &str) -> Result<PasswordHash, HashError> {
        self.hash_in(&mut HashMemory::new(), password)
    }

    fn verify(&self, hash: &PasswordHash, candidate: &str) -> bool {
        self.verify_in(&mut HashMemory::new(), hash, candidate)
    }

    fn verify_dummy(&self, candidate: &str) -> bool {
        Argon2idHasher::verify_dummy(self, candidate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::Instant;

    fn hasher() -> Argon2idHasher {
        Argon2idHasher::new()
    }

    /// Hashes made in kept memory are the argon2 crate's hashes, and the other way round:
    /// stored hashes keep verifying, and a memory reused many times gives the same answers.
    #[test]
    fn hashes_in_kept_memory_match_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let (hasher, mut memory) = (hasher(), HashMemory::new());
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, PARAMS);
        for round in 0..3 {
            let password = format!("password number {round}");
            let ours = hasher.hash_in(&mut memory, &password).unwrap();
            let parsed = PhcHash::new(ours.as_str()).unwrap();
            assert!(
                reference
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            );
            assert!(reference.verify_password(b"another", &parsed).is_err());
            let theirs = reference
                .hash_password(password.as_bytes())
                .unwrap()
                .to_string();
            let theirs = PasswordHash::from_phc(theirs).unwrap();
            assert!(hasher.verify_in(&mut memory, &theirs, &password));
            assert!(!hasher.verify_in(&mut memory, &theirs, "another"));
            assert!(!hasher.verify_dummy_in(&mut memory, &password));
        }
        // A hash with a larger memory cost than the kept memory still verifies.
        let bigger = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(M_COST * 2, 1, 1, None).unwrap(),
        );
        let bigger = bigger.hash_password(b"pw").unwrap().to_string();
        let bigger = PasswordHash::from_phc(bigger).unwrap();
        assert!(hasher.verify_in(&mut memory, &bigger, "pw"));
    }

    #[test]
    fn round_trip_and_wrong_password() {
        let hasher = hasher();
        let hash = hasher.hash("correct horse battery staple").unwrap();
        assert!(hasher.verify(&hash, "correct horse battery staple"));
        assert!(!hasher.verify(&hash, "correct horse battery stapl"));
        assert!(!hasher.verify(&hash, ""));
    }

    #[test]
    fn the_phc_string_carries_the_owasp_parameters() {
        let hash = hasher().hash("pw").unwrap();
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.as_str()
        );
        let parsed = PhcHash::new(hash.as_str()).unwrap();
        assert_eq!(parsed.salt.unwrap().len(), 16);
        assert_eq!(parsed.hash.unwrap().len(), 32);
    }

    #[test]
    fn two_hashes_of_one_password_differ() {
        let hasher = hasher();
        let a = hasher.hash("same password").unwrap();
        let b = hasher.hash("same password").unwrap();
        assert_ne!(a, b);
        assert!(hasher.verify(&a, "same password"));
        assert!(hasher.verify(&b, "same password"));
    }

    #[test]
    fn from_phc_round_trips_and_refuses_garbage() {
        let hasher = hasher();
        let hash = hasher.hash("pw").unwrap();
        let reread = PasswordHash::from_phc(hash.as_str().to_owned()).unwrap();
        assert!(hasher.verify(&reread, "pw"));
        for bad in [
            "",
            "argon2id",
            "$argon2id$v=19$m=19456,t=2,p=1",
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ",
            "pbkdf2_sha256$260000$salt$hash",
            "$$$$",
        ] {
            assert!(
                matches!(
                    PasswordHash::from_phc(bad.to_owned()),
                    Err(HashError::MalformedHash(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn verify_refuses_unusable_hashes_without_panicking() {
        let hasher = hasher();
        let good = hasher.hash("pw").unwrap();
        let tail = good.as_str().rsplitn(3, '$').take(2).collect::<Vec<_>>();
        let (hash_b64, salt_b64) = (tail[0], tail[1]);
        let with = |prefix: &str| PasswordHash(format!("{prefix}${salt_b64}${hash_b64}"));
        for prefix in [
            // Hostile parameters: must not allocate 4 TiB or loop forever.
            "$argon2id$v=19$m=4294967295,t=2,p=1",
            "$argon2id$v=19$m=19456,t=4294967295,p=1",
            "$argon2id$v=19$m=19456,t=2,p=255",
            // Invalid parameters and unknown algorithms.
            "$argon2id$v=19$m=1,t=2,p=1",
            "$argon2id$v=99$m=19456,t=2,p=1",
            "$scrypt$ln=16,r=8,p=1",
            "$pbkdf2-sha256$i=1000",
            // Same parameters, other variant: a different hash.
            "$argon2i$v=19$m=19456,t=2,p=1",
        ] {
            assert!(!hasher.verify(&with(prefix), "pw"), "{prefix}");
        }
        assert!(!hasher.verify(&PasswordHash("garbage".to_owned()), "pw"));
        assert!(!hasher.verify(&PasswordHash(String::new()), "pw"));
    }

    #[test]
    fn verify_dummy_is_always_false() {
        let hasher = hasher();
        for candidate in ["", "nope", "pw", "correct horse battery staple"] {
            assert!(!hasher.verify_dummy(candidate), "{candidate:?}");
            assert!(!PasswordHasher::verify_dummy(&hasher, candidate));
        }
    }

    /// A timing comparison, so not part of `make test` (it flaked on a loaded machine):
    /// `cargo test -p tenantry-registration -- --ignored verify_dummy_costs`.
    #[test]
    #[ignore = "timing-dependent; run alone on an idle machine"]
    fn verify_dummy_costs_about_a_verification() {
        let hasher = hasher();
        let hash = hasher.hash("pw").unwrap();
        // Warm up, then take the best of three of each to damp scheduler noise.
        let _ = hasher.verify(&hash, "pw");
        let best = |f: &dyn Fn()| {
            (0..3)
                .map(|_| {
                    let start = Instant::now();
                    f();
                    start.elapsed()
                })
                .min()
                .unwrap()
        };
        let real = best(&|| assert!(!hasher.verify(&hash, "nope")));
        let dummy = best(&|| assert!(!hasher.verify_dummy("nope")));
        let through_trait = best(&|| assert!(!PasswordHasher::verify_dummy(&hasher, "nope")));
        for spent in [dummy, through_trait] {
            assert!(
                // Loose bounds (parallel tests share the CPU); a no-op would be ~1000× faster.
                spent * 4 > real && spent < real * 4,
                "verify took {real:?}, verify_dummy {spent:?}"
            );
        }
    }

    #[test]
    fn debug_hides_salt_and_hash() {
        let hash = hasher().hash("pw").unwrap();
        assert_eq!(
            format!("{hash:?}"),
            "PasswordHash(\"$argon2id$v=19$m=19456,t=2,p=1$***\")"
        );
    }

    #[test]
    fn the_port_is_object_safe() {
        let boxed: Box<dyn PasswordHasher> = Box::new(hasher());
        let hash = boxed.hash("pw").unwrap();
        assert!(boxed.verify(&hash, "pw"));
    }

    proptest! {
        // Each case parses only; no hashing, so many cases stay cheap.
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn from_phc_never_panics(raw in "\\PC{0,120}") {
            let _ = PasswordHash::from_phc(raw);
        }

        #[test]
        fn from_phc_never_panics_on_phc_shaped_text(
            alg in "[a-z0-9-]{0,12}",
            params in "[a-z]=[0-9]{0,12}(,[a-z]=[0-9]{0,12}){0,3}",
            salt in "[A-Za-z0-9+/]{0,30}",
            hash in "[A-Za-z0-9+/]{0,50}",
        ) {
            let raw = format!("${alg}$v=19${params}${salt}${hash}");
            if let Ok(parsed) = PasswordHash::from_phc(raw.clone()) {
                prop_assert_eq!(parsed.as_str(), raw.as_str());
            }
        }
    }

    proptest! {
        // Hashing is slow (~10–40 ms a case); a handful of cases suffices.
        #![proptest_config(ProptestConfig::with_cases(4))]

        #[test]
        fn any_password_round_trips(password in "\\PC{0,40}", other in "\\PC{0,40}") {
            let hasher = hasher();
            let hash = hasher.hash(&password).unwrap();
            prop_assert!(hasher.verify(&hash, &password));
            prop_assert_eq!(hasher.verify(&hash, &other), password == other);
        }
    }
}
