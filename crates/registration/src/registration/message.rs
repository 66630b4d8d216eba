//! The plain-text emails a registration sends.

use chrono::Duration;
use tenantry_tenant::Tenant;

use crate::users::LinkPurpose;
use crate::{OutgoingEmail, SecretToken, users::User};

/// The link purpose of an email.
pub(crate) fn purpose_of(email: OutgoingEmail) -> LinkPurpose {
    match email {
        OutgoingEmail::Activation => LinkPurpose::Activation,
        OutgoingEmail::PasswordReset => LinkPurpose::PasswordReset,
    }
}

/// `{link_base}/activate/{secret}` or `{link_base}/password-reset/{secret}`.
pub(crate) fn link_url(link_base: &str, purpose: LinkPurpose, secret: &SecretToken) -> String {
    let path = match purpose {
        LinkPurpose::Activation => "activate",
        LinkPurpose::PasswordReset => "password-reset",
    };
    format!("{link_base}/{path}/{}", secret.expose())
}

/// The subject and body of `email` for `user` of `tenant`, carrying `link`.
pub(crate) fn compose(
    email: OutgoingEmail,
    tenant: &Tenant,
    user: &User,
    link: &str,
) -> (String, String) {
    let site = &tenant.profile.display_name;
    let name = user.name.as_str();
    let username = user.username.as_str();
    let within = describe(purpose_of(email).lifetime());
    match email {
        OutgoingEmail::Activation => (
            format!("Activate your {site} account"),
            format!(
                "Hello {name},\n\
                 \n\
                 Thank you for registering with {site} as {username}.\n\
                 \n\
                 To activate your account, open this link within {within}:\n\
                 \n\
                 {link}\n\
                 \n\
                 The link works once. If you did not register, ignore this email.\n\
                 \n\
                 {site}\n"
            ),
        ),
        OutgoingEmail::PasswordReset => (
            format!("Set your {site} password"),
            format!(
                "Hello {name},\n\
                 \n\
                 An account with the username {username} was created for you at {site}.\n\
                 \n\
                 To choose your password and activate the account, open this link within \
                 {within}:\n\
                 \n\
                 {link}\n\
                 \n\
                 The page asks for your new password. (Programs may instead send it to the \
                 same address as a POST with the form field \"password\".) The link works \
                 once. If you did not expect this email, ignore it.\n\
                 \n\
                 {site}\n"
            ),
        ),
    }
}

/// `7 days`, `24 hours`, `1 hour`.
fn describe(lifetime: Duration) -> String {
    let hours = lifetime.num_hours();
    let (count, unit) = if hours % 24 == 0 && hours > 24 {
        (hours / 24, "day")
    } else {
        (hours, "hour")
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_naturally() {
        assert_eq!(describe(Duration::days(7)), "7 days");
        assert_eq!(describe(Duration::hours(24)), "24 hours");
        assert_eq!(describe(Duration::hours(1)), "1 hour");
        assert_eq!(describe(Duration::hours(36)), "36 hours");
    }
}
