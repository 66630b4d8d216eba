//! What describes a tenant: the one definition of its descriptive fields.
//!
//! A [`TenantProfile`] is everything about a tenant that is neither its identity (name,
//! id), its lifecycle (status, timestamps, version) nor its domains: the display name,
//! billing and partner ids, plan, modules, theme, organisation filter, administrator
//! contact, caller-owned metadata and security settings. [`Tenant`](crate::Tenant),
//! [`NewTenant`](crate::NewTenant) and [`CreateTenant`](crate::operations::CreateTenant)
//! embed it; a [`TenantPatch`] changes it. Adding a field means adding it here (the
//! compiler then points at every place in this file that takes it apart), in the store's
//! row and in the HTTP layer's field table: see "Add a tenant field" in
//! `docs/ARCHITECTURE.md`.
//!
//! ```
//! use tenantry_tenant::{FieldProblem, TenantPatch, TenantProfile};
//!
//! let mut profile = TenantProfile::new("Talent 1 Learning");
//! profile.org_filter = vec!["org1".into()];
//! assert!(profile.check().is_empty());
//!
//! let patch = TenantPatch { plan_id: Some(Some("pro".into())), ..TenantPatch::default() };
//! let next = patch.apply(&profile).map_err(|errors| errors[0].to_string())?;
//! assert_eq!(next.plan_id.as_deref(), Some("pro"));
//! assert_eq!(next.org_filter, ["org1"]);
//!
//! let blank = TenantPatch { display_name: Some(" ".into()), ..TenantPatch::default() };
//! assert_eq!(blank.apply(&profile).unwrap_err()[0].problem, FieldProblem::Blank);
//! # Ok::<(), String>(())
//! ```

mod rules;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value, json};

pub use rules::{MAX_EMAIL_LENGTH, MAX_LIST_ITEMS, MAX_METADATA_BYTES, MAX_TEXT_LENGTH};

use crate::{FieldError, FieldPath, ServiceId, Settings, SettingsPatch};

/// A tenant's descriptive fields.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantProfile {
    /// Human name of the site (Open edX `PLATFORM_NAME`).
    pub display_name: String,
    /// The billing system's id, unique when present.
    pub service_id: Option<ServiceId>,
    /// The reseller or partner the tenant belongs to.
    pub partner_id: Option<String>,
    /// The billing plan.
    pub plan_id: Option<String>,
    /// Enabled feature modules.
    pub modules: Vec<String>,
    /// Open edX comprehensive theme.
    pub theme_name: Option<String>,
    /// Course organisations the site shows (`course_org_filter`).
    pub org_filter: Vec<String>,
    /// Contact address of the tenant's administrator.
    pub admin_email: Option<String>,
    /// Free-form data owned by the caller (e.g. `epaper_frequency`).
    pub metadata: Map<String, Value>,
    /// Security settings applied to the tenant's users.
    pub settings: Settings,
}

impl TenantProfile {
    /// A profile with `display_name` and every other field empty or default.
    pub fn new(display_name: impl Into<String>) -> Self {
        Self {
            display_name: display_name.into(),
            service_id: None,
            partner_id: None,
            plan_id: None,
            modules: Vec::new(),
            theme_name: None,
            org_filter: Vec::new(),
            admin_email: None,
            metadata: Map::new(),
            settings: Settings::default(),
        }
    }

    /// Every rule the fields break, each naming its field: texts are not blank, at most
    /// [`MAX_TEXT_LENGTH`] characters and free of control characters; lists have at most
    /// [`MAX_LIST_ITEMS`] such texts; `admin_email` is an address; `metadata` is at most
    /// [`MAX_METADATA_BYTES`] as JSON. (`service_id` and `settings` are valid by type.)
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        rules::text(&mut errors, "display_name", Some(&self.display_name));
        rules::text(&mut errors, "theme_name", self.theme_name.as_deref());
        rules::text(&mut errors, "plan_id", self.plan_id.as_deref());
        rules::text(&mut errors, "partner_id", self.partner_id.as_deref());
        rules::email(&mut errors, "admin_email", self.admin_email.as_deref());
        rules::list(&mut errors, "modules", Some(&self.modules));
        rules::list(&mut errors, "org_filter", Some(&self.org_filter));
        rules::metadata(&mut errors, "metadata", Some(&self.metadata));
        errors
    }

    /// The fields as the audit log records them, by name.
    pub fn snapshot(&self) -> Map<String, Value> {
        let Self {
            display_name,
            service_id,
            partner_id,
            plan_id,
            modules,
            theme_name,
            org_filter,
            admin_email,
            metadata,
            settings,
        } = self;
        let fields = json!({
            "display_name": display_name,
            "service_id": service_id.as_ref().map(ServiceId::as_str),
            "partner_id": partner_id,
            "plan_id": plan_id,
            "modules": modules,
            "theme_name": theme_name,
            "org_filter": org_filter,
            "admin_email": admin_email,
            "metadata": metadata,
            "settings": settings.snapshot(),
        });
        match fields {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

/// A partial change of a [`TenantProfile`]. `None` leaves a field alone; for optional
/// fields `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantPatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New or cleared billing id.
    pub service_id: Option<Option<ServiceId>>,
    /// New or cleared partner.
    pub partner_id: Option<Option<String>>,
    /// New or cleared plan.
    pub plan_id: Option<Option<String>>,
    /// New module list.
    pub modules: Option<Vec<String>>,
    /// New or cleared theme.
    pub theme_name: Option<Option<String>>,
    /// New organisation filter.
    pub org_filter: Option<Vec<String>>,
    /// New or cleared administrator contact.
    pub admin_email: Option<Option<String>>,
    /// Keys to merge into the metadata; a `null` value removes the key.
    pub metadata: Option<Map<String, Value>>,
    /// Settings to merge field by field.
    pub settings: Option<SettingsPatch>,
}

impl TenantPatch {
    /// Every rule the fields this patch sets break, each naming its field (the rules of
    /// [`TenantProfile::check`]; `metadata` is checked as given, before merging).
    /// Settings are checked when merged, by [`TenantPatch::apply`].
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        rules::text(&mut errors, "display_name", self.display_name.as_deref());
        rules::text(&mut errors, "theme_name", set(&self.theme_name));
        rules::text(&mut errors, "plan_id", set(&self.plan_id));
        rules::text(&mut errors, "partner_id", set(&self.partner_id));
        rules::email(&mut errors, "admin_email", set(&self.admin_email));
        rules::list(&mut errors, "modules", self.modules.as_deref());
        rules::list(&mut errors, "org_filter", self.org_filter.as_deref());
        rules::metadata(&mut errors, "metadata", self.metadata.as_ref());
        errors
    }

    /// `profile` with this patch applied, if every rule holds: the fields' own rules
    /// ([`TenantPatch::check`]) first, then the merged settings' (paths under
    /// `settings`). `metadata` merges shallowly: given keys replace, `null` removes a key.
    pub fn apply(&self, profile: &TenantProfile) -> Result<TenantProfile, Vec<FieldError>> {
        let Self {
            display_name,
            service_id,
            partner_id,
            plan_id,
            modules,
            theme_name,
            org_filter,
            admin_email,
            metadata,
            settings,
        } = self;
        let mut errors = self.check();
        let settings = match settings {
            None => profile.settings.clone(),
            Some(patch) => profile
                .settings
                .apply(patch)
                .unwrap_or_else(|settings_errors| {
                    let prefix = FieldPath::field("settings");
                    errors.extend(
                        settings_errors
                            .into_iter()
                            .map(|error| error.under(&prefix)),
                    );
                    profile.settings.clone()
                }),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(TenantProfile {
            display_name: or(display_name, &profile.display_name),
            service_id: or(service_id, &profile.service_id),
            partner_id: or(partner_id, &profile.partner_id),
            plan_id: or(plan_id, &profile.plan_id),
            modules: or(modules, &profile.modules),
            theme_name: or(theme_name, &profile.theme_name),
            org_filter: or(org_filter, &profile.org_filter),
            admin_email: or(admin_email, &profile.admin_email),
            metadata: merged(&profile.metadata, metadata.as_ref()),
            settings,
        })
    }
}

/// The text an optional-field change sets, if it sets one (not when it clears).
fn set(change: &Option<Option<String>>) -> Option<&str> {
    change.as_ref().and_then(Option::as_deref)
}

/// `new` when the patch sets it, otherwise `old`.
fn or<T: Clone>(new: &Option<T>, old: &T) -> T {
    new.as_ref().unwrap_or(old).clone()
}

/// `current` with `changes` merged in: given keys replace, `null` removes a key.
fn merged(
    current: &Map<String, Value>,
    changes: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let mut next = current.clone();
    for (key, value) in changes.into_iter().flatten() {
        if value.is_null() {
            next.remove(key);
        } else {
            next.insert(key.clone(), value.clone());
        }
    }
    next
}
