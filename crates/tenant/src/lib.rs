//! Tenant rules for tenantry.
//!
//! This crate knows what a tenant is and what may be done to one, and nothing about
//! databases or HTTP: parsed value types ([`TenantName`], [`DomainName`], [`ServiceId`],
//! [`Status`], [`Settings`]), the one definition of a tenant's descriptive fields
//! ([`TenantProfile`]), the Open edX URL and configuration generator ([`urls`]), the ports
//! tenant operations need ([`ports`]), and the operations themselves ([`operations`]).
//! With the `testing` feature, `testing` holds in-memory implementations of the ports for
//! tests.
//!
//! Another service can depend on this crate alone to validate names or to generate a
//! tenant's URLs:
//!
//! ```
//! use tenantry_tenant::{DomainName, TenantName};
//! use tenantry_tenant::urls::{Mfe, SiteUrls, UrlConfig, UrlProfile};
//!
//! let config = UrlConfig::new(UrlProfile::Dev, DomainName::parse("local.openedx.io")?);
//! let site = SiteUrls::new(&TenantName::parse("talent1")?, &config);
//! assert_eq!(site.lms_url(), "http://talent1.local.openedx.io:8000");
//! assert_eq!(site.mfe_url(Mfe::Authn), "http://talent1.apps.local.openedx.io:1999/authn");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod audit;
pub mod domain;
pub mod eox;
pub mod eox_sync;
pub mod error;
mod macros;
pub mod model;
pub mod name;
pub mod operations;
pub mod ports;
pub mod profile;
pub mod provisioning;
pub mod search;
pub mod service_id;
pub mod settings;
pub mod status;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod urls;
pub mod validation;
pub mod webhooks;

pub use audit::{
    Action, Actor, AuditEvent, AuditFilter, AuditRecord, Outcome, RequestContext, UnknownAction,
    UnknownActor,
};
pub use domain::{DomainError, DomainName};
pub use error::TenantError;
pub use model::{Domain, NewTenant, Tenant, TenantId, TenantKey};
pub use name::{NameError, TenantName};
pub use ports::{
    AuditLog, AuditSink, Clock, IdempotencyRepository, IdempotentResponse, Page, RepositoryError,
    SystemClock, TenantQuery, TenantRepository,
};
pub use profile::{TenantPatch, TenantProfile};
pub use provisioning::{
    DatabaseBackend, DatabaseCredentials, DatabaseProvisioner, ProvisionError, ProvisionedDatabase,
    TenantDatabases, database_identifier,
};
pub use service_id::{ServiceId, ServiceIdError};
pub use settings::{MfaMethod, PasswordPolicy, Settings, SettingsPatch};
pub use status::{Status, TransitionError};
pub use validation::{FieldError, FieldPath, FieldProblem, LengthUnit, PathSegment, ValueKind};
