//! Failure injection for in-memory sessions.

use crate::RepositoryError;

/// Errors armed for the next calls of named port methods.
///
/// An in-memory session checks it first in every port method, under the method's name
/// (`save`, `record`, `insert_user`, …): an armed error is returned, and used up, before
/// the call reads or changes anything. A name no method has never fires, so a test that
/// arms one still sees its expected error missing.
///
/// ```
/// use tenantry_tenant::RepositoryError;
/// use tenantry_tenant::testing::Failures;
///
/// let mut failures = Failures::default();
/// failures.arm("save", RepositoryError::Unavailable("down".into()));
/// assert_eq!(failures.check("record"), Ok(()));
/// assert_eq!(failures.check("save"), Err(RepositoryError::Unavailable("down".into())));
/// assert_eq!(failures.check("save"), Ok(()), "used up");
/// ```
#[derive(Debug, Default, Clone)]
pub struct Failures {
    armed: Vec<(&'static str, RepositoryError)>,
}

impl Failures {
    /// Makes the next call of the port method `call` fail with `error`. Arming the same
    /// method twice fails its next two calls, in the order armed.
    pub fn arm(&mut self, call: &'static str, error: RepositoryError) {
        self.armed.push((call, error));
    }

    /// The first error armed for `call`, used up; `Ok` when none is.
    pub fn check(&mut self, call: &str) -> Result<(), RepositoryError> {
        match self.armed.iter().position(|(armed, _)| *armed == call) {
            Some(index) => Err(self.armed.remove(index).1),
            None => Ok(()),
        }
    }
}
