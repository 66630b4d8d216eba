//! Operator accounts: the first one at start-up, and `tenantry admin create`.

use anyhow::{Context, bail};
use secrecy::ExposeSecret as _;
use serde_json::json;
use tenantry_registration::{Argon2idHasher, Password, PasswordHasher, Username};
use tenantry_store::{Database, StoreError, TenantStore};
use tenantry_tenant::{Action, AuditEvent, AuditSink, PasswordPolicy, RequestContext};

use crate::config::FirstOperator;

/// Operators guard every tenant: their passwords must be longer than a tenant user's
/// default minimum.
pub fn operator_password_policy() -> PasswordPolicy {
    PasswordPolicy {
        min_length: 12,
        ..PasswordPolicy::default()
    }
}

/// Creates the operator `username` with `password` and audits it, in one transaction.
pub fn create_operator(
    database: &Database,
    context: &RequestContext,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    let username = Username::parse(username).context("invalid operator name")?;
    let password = Password::parse(password, &operator_password_policy())
        .context("the operator password is too weak")?;
    let hash = Argon2idHasher::default()
        .hash(password.expose())
        .context("could not hash the password")?;
    let mut conn = database.conn()?;
    let created = conn.write_transaction::<_, StoreError, _>(|conn| {
        tenantry_store::create_operator(conn, username.as_str(), hash.as_str(), context.now)?;
        let details = json!({ "username": username.as_str() });
        let event = AuditEvent::untargeted(context, Action::OperatorCreate, details);
        TenantStore::new(conn)
            .record(&event)
            .map_err(StoreError::from)?;
        Ok(())
    });
    match created {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict { .. }) => bail!("operator {username} already exists"),
        Err(error) => Err(error.into()),
    }
}

/// Replaces the password of operator `username` and audits it (`operator.password`), in
/// one transaction. The change bumps the account's `updated_at`, which makes every server's
/// cache of verified passwords forget the old one.
pub fn set_password(
    database: &Database,
    context: &RequestContext,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    let password = Password::parse(password, &operator_password_policy())
        .context("the operator password is too weak")?;
    let hash = Argon2idHasher::default()
        .hash(password.expose())
        .context("could not hash the password")?;
    let mut conn = database.conn()?;
    let changed = conn.write_transaction::<_, StoreError, _>(|conn| {
        tenantry_store::set_operator_password(conn, username, hash.as_str(), context.now)?;
        let details = json!({ "username": username });
        let event = AuditEvent::untargeted(context, Action::OperatorPasswordChange, details);
        TenantStore::new(conn)
            .record(&event)
            .map_err(StoreError::from)?;
        Ok(())
    });
    match changed {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => bail!("there is no operator {username}"),
        Err(error) => Err(error.into()),
    }
}

/// What to tell an operator who configured a first password for a database that already
/// has operators (it is not applied; the command that changes a password is named).
fn ignored_password(first: &FirstOperator) -> Option<String> {
    first.password.as_ref().map(|_| {
        format!(
            "TENANTRY_ADMIN_PASSWORD is ignored: the database already has operators. To change \
             a password: tenantry admin set-password --username {} --password-stdin",
            first.username
        )
    })
}

/// Creates the first operator when the database has none. A configured password is used
/// as given; otherwise a random one is generated and written to the log, once.
pub fn ensure_first_operator(
    database: &Database,
    context: &RequestContext,
    first: &FirstOperator,
) -> anyhow::Result<()> {
    let existing = tenantry_store::count_operators(&mut database.conn()?)?;
    if existing > 0 {
        if let Some(warning) = ignored_password(first) {
            log::warn!("{warning}");
        }
        return Ok(());
    }
    match &first.password {
        Some(password) => {
            create_operator(database, context, &first.username, password.expose_secret())
                .context("creating the first operator from TENANTRY_ADMIN_PASSWORD")?;
            log::info!(
                "created operator {:?} with the configured password",
                first.username
            );
        }
        None => {
            let password = Password::generate_for(&operator_password_policy())
                .context("could not generate a password")?;
            create_operator(database, context, &first.username, password.expose())?;
            log::warn!(
                "created operator {:?} with password {} (shown only this once; \
                 set TENANTRY_ADMIN_PASSWORD to choose it)",
                first.username,
                password.expose()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_password_for_existing_operators_is_reported_with_the_fix() {
        let mut first = FirstOperator {
            username: "admin".into(),
            password: None,
        };
        assert_eq!(ignored_password(&first), None);
        first.password = Some("a-configured-password".into());
        let warning = ignored_password(&first).unwrap();
        assert!(
            warning.contains("TENANTRY_ADMIN_PASSWORD is ignored"),
            "{warning}"
        );
        assert!(
            warning.contains("tenantry admin set-password --username admin"),
            "{warning}"
        );
        assert!(
            !warning.contains("a-configured-password"),
            "never the secret"
        );
    }
}
