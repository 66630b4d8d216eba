//! What callers hand to tenant operations.
//!
//! Names, hosts, service ids and settings arrive already parsed (their types guarantee
//! them); the profile's free-text fields are checked by [`TenantProfile::check`], and
//! [`CreateTenant::check`] adds the rule of the domain list.

use crate::validation::repeats;
use crate::{DomainName, FieldError, FieldPath, TenantName, TenantProfile};

/// Everything needed to create a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTenant {
    /// The unique name.
    pub name: TenantName,
    /// Host names; the first becomes primary. Empty means `<name>.<base domain>`.
    pub domains: Vec<DomainName>,
    /// The descriptive fields (settings already merged over the defaults).
    pub profile: TenantProfile,
}

impl CreateTenant {
    /// A minimal request: a name and a display name, everything else default.
    pub fn new(name: TenantName, display_name: impl Into<String>) -> Self {
        Self {
            name,
            domains: Vec::new(),
            profile: TenantProfile::new(display_name),
        }
    }

    /// Every rule the input breaks, each naming its field: the profile's rules, then no
    /// host listed twice (reported at the repeat).
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = self.profile.check();
        repeats(&mut errors, &FieldPath::field("domains"), &self.domains);
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldProblem;

    fn request() -> CreateTenant {
        CreateTenant::new(TenantName::parse("talent1").unwrap(), "Talent 1 Learning")
    }

    fn paths(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(|error| error.path.to_string()).collect()
    }

    #[test]
    fn a_minimal_request_is_valid() {
        assert_eq!(request().check(), vec![]);
    }

    #[test]
    fn profile_errors_come_before_a_repeated_host() {
        let mut input = request();
        input.profile.display_name = "  ".into();
        input.profile.modules = vec!["ok".into(), String::new()];
        input.domains = vec![
            DomainName::parse("a.example.com").unwrap(),
            DomainName::parse("a.example.com").unwrap(),
        ];
        let errors = input.check();
        assert_eq!(paths(&errors), ["display_name", "modules[1]", "domains[1]"]);
        assert_eq!(
            errors[2].problem,
            FieldProblem::Duplicate {
                value: "a.example.com".into()
            }
        );
    }
}
