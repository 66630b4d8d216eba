//! What callers hand to tenant operations, and the rules for its free-text fields.
//!
//! Names, hosts, service ids and settings arrive already parsed (their types guarantee
//! them). The remaining fields are plain text and lists; [`CreateTenant::check`] and
//! [`TenantPatch::check`] validate them and name each offending field.

use serde_json::{Map, Value};

use crate::validation::repeats;
use crate::{
    DomainName, FieldError, FieldPath, FieldProblem, LengthUnit, ServiceId, Settings,
    SettingsPatch, TenantName,
};

/// Longest display name, theme name, plan, partner id or list item, in characters.
pub const MAX_TEXT_LENGTH: usize = 255;
/// Most entries in `modules` or `org_filter`.
pub const MAX_LIST_ITEMS: usize = 100;
/// Largest `metadata` object, as compact JSON, in bytes.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;
/// Longest e-mail address (RFC 5321).
pub const MAX_EMAIL_LENGTH: usize = 254;

/// Everything needed to create a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTenant {
    /// The unique name.
    pub name: TenantName,
    /// The site's human name.
    pub display_name: String,
    /// Host names; the first becomes primary. Empty means `<name>.<base domain>`.
    pub domains: Vec<DomainName>,
    /// Open edX theme.
    pub theme_name: Option<String>,
    /// Course organisations shown.
    pub org_filter: Vec<String>,
    /// Billing plan.
    pub plan_id: Option<String>,
    /// Enabled modules.
    pub modules: Vec<String>,
    /// Partner or reseller.
    pub partner_id: Option<String>,
    /// The billing system's id.
    pub service_id: Option<ServiceId>,
    /// Administrator contact.
    pub admin_email: Option<String>,
    /// Caller-owned data.
    pub metadata: Map<String, Value>,
    /// Security settings (already merged over the defaults).
    pub settings: Settings,
}

impl CreateTenant {
    /// A minimal request: a name and a display name, everything else default.
    pub fn new(name: TenantName, display_name: impl Into<String>) -> Self {
        Self {
            name,
            display_name: display_name.into(),
            domains: Vec::new(),
            theme_name: None,
            org_filter: Vec::new(),
            plan_id: None,
            modules: Vec::new(),
            partner_id: None,
            service_id: None,
            admin_email: None,
            metadata: Map::new(),
            settings: Settings::default(),
        }
    }

    /// Every rule the free-text fields break, each naming its field.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "display_name", Some(&self.display_name));
        check_text(&mut errors, "theme_name", self.theme_name.as_deref());
        check_text(&mut errors, "plan_id", self.plan_id.as_deref());
        check_text(&mut errors, "partner_id", self.partner_id.as_deref());
        check_email(&mut errors, self.admin_email.as_deref());
        check_list(&mut errors, "modules", &self.modules);
        check_list(&mut errors, "org_filter", &self.org_filter);
        check_metadata(&mut errors, &self.metadata);
        repeats(&mut errors, &FieldPath::field("domains"), &self.domains);
        errors
    }
}

/// A partial update. `None` leaves a field alone; for optional fields `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantPatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New or cleared theme.
    pub theme_name: Option<Option<String>>,
    /// New organisation filter.
    pub org_filter: Option<Vec<String>>,
    /// New or cleared plan.
    pub plan_id: Option<Option<String>>,
    /// New module list.
    pub modules: Option<Vec<String>>,
    /// New or cleared partner.
    pub partner_id: Option<Option<String>>,
    /// New or cleared billing id.
    pub service_id: Option<Option<ServiceId>>,
    /// New or cleared administrator contact.
    pub admin_email: Option<Option<String>>,
    /// Keys to merge into the metadata; a `null` value removes the key.
    pub metadata: Option<Map<String, Value>>,
    /// Settings to merge field by field.
    pub settings: Option<SettingsPatch>,
}

impl TenantPatch {
    /// Every rule the free-text fields break, each naming its field. Settings are
    /// checked when merged.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "display_name", self.display_name.as_deref());
        check_text(
            &mut errors,
            "theme_name",
            self.theme_name.clone().flatten().as_deref(),
        );
        check_text(
            &mut errors,
            "plan_id",
            self.plan_id.clone().flatten().as_deref(),
        );
        check_text(
            &mut errors,
            "partner_id",
            self.partner_id.clone().flatten().as_deref(),
        );
        check_email(&mut errors, self.admin_email.clone().flatten().as_deref());
        if let Some(modules) = &self.modules {
            check_list(&mut errors, "modules", modules);
        }
        if let Some(org_filter) = &self.org_filter {
            check_list(&mut errors, "org_filter", org_filter);
        }
        if let Some(metadata) = &self.metadata {
            check_metadata(&mut errors, metadata);
        }
        errors
    }
}

fn check_text(errors: &mut Vec<FieldError>, field: &'static str, value: Option<&str>) {
    if let Some(problem) = value.and_then(text_problem) {
        errors.push(FieldError::new(FieldPath::field(field), problem));
    }
}

fn text_problem(value: &str) -> Option<FieldProblem> {
    if value.trim().is_empty() {
        Some(FieldProblem::Blank)
    } else if value.chars().count() > MAX_TEXT_LENGTH {
        Some(FieldProblem::TooLong {
            max: MAX_TEXT_LENGTH,
            unit: LengthUnit::Characters,
        })
    } else if value.chars().any(char::is_control) {
        Some(FieldProblem::ControlCharacter)
    } else {
        None
    }
}

fn check_email(errors: &mut Vec<FieldError>, value: Option<&str>) {
    let Some(value) = value else { return };
    let well_formed = value.len() <= MAX_EMAIL_LENGTH
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.split_once('@').is_some_and(|(local, host)| {
            !local.is_empty() && host.contains('.') && !host.contains('@')
        });
    if !well_formed {
        errors.push(FieldError::new(
            FieldPath::field("admin_email"),
            FieldProblem::NotAnEmail,
        ));
    }
}

fn check_list(errors: &mut Vec<FieldError>, field: &'static str, items: &[String]) {
    if items.len() > MAX_LIST_ITEMS {
        errors.push(FieldError::new(
            FieldPath::field(field),
            FieldProblem::TooLong {
                max: MAX_LIST_ITEMS,
                unit: LengthUnit::Items,
            },
        ));
    }
    for (index, item) in items.iter().enumerate() {
        if let Some(problem) = text_problem(item) {
            errors.push(FieldError::new(FieldPath::field(field).at(index), problem));
        }
    }
}

fn check_metadata(errors: &mut Vec<FieldError>, metadata: &Map<String, Value>) {
    let size = serde_json::to_string(metadata).map_or(usize::MAX, |text| text.len());
    if size > MAX_METADATA_BYTES {
        errors.push(FieldError::new(
            FieldPath::field("metadata"),
            FieldProblem::TooLong {
                max: MAX_METADATA_BYTES,
                unit: LengthUnit::JsonBytes,
            },
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PathSegment;

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
    fn every_bad_field_is_named() {
        let mut input = request();
        input.display_name = "  ".into();
        input.theme_name = Some("x".repeat(256));
        input.admin_email = Some("not-an-address".into());
        input.modules = vec!["ok".into(), String::new()];
        input.domains = vec![
            DomainName::parse("a.example.com").unwrap(),
            DomainName::parse("a.example.com").unwrap(),
        ];
        assert_eq!(
            paths(&input.check()),
            [
                "display_name",
                "theme_name",
                "admin_email",
                "modules[1]",
                "domains[1]"
            ]
        );
    }

    #[test]
    fn oversized_metadata_is_refused() {
        let mut input = request();
        input
            .metadata
            .insert("blob".into(), Value::String("x".repeat(MAX_METADATA_BYTES)));
        let errors = input.check();
        assert_eq!(errors[0].path.segments(), &[PathSegment::Field("metadata")]);
    }

    #[test]
    fn patches_check_only_what_they_set() {
        assert_eq!(TenantPatch::default().check(), vec![]);
        let patch = TenantPatch {
            plan_id: Some(Some(String::new())),
            theme_name: Some(None),
            ..TenantPatch::default()
        };
        assert_eq!(paths(&patch.check()), ["plan_id"]);
    }
}
