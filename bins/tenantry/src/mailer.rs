//! Sending one email: over SMTP ([`SmtpMailer`]), or only into the log when no SMTP server
//! is configured ([`LogMailer`]).
//!
//! Bodies carry single-use link secrets: nothing here logs them or puts them in an error.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, Message, SinglePart};
use lettre::{SmtpTransport, Transport};

use crate::smtp_url::SmtpUrl;

/// How long one SMTP command may take before the attempt fails (and is retried later).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest line RFC 5322 allows, without its CRLF.
const MAX_LINE_OCTETS: usize = 998;

/// Sends an email. Implementations block; call them off async worker threads.
pub trait Mailer: Send + Sync {
    /// Sends a plain-text email to `to`. `Ok` means the server accepted it.
    fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError>;
}

/// Why an email was not sent. The text never includes the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Trying again will not help: the server refused the message or recipient for good,
    /// or the message cannot be built (e.g. the recipient is not a valid address).
    #[error("permanent: {0}")]
    Permanent(String),
    /// The server or the network failed; a later attempt may succeed.
    #[error("{0}")]
    Transient(String),
}

impl MailError {
    /// Whether retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        matches!(self, MailError::Permanent(_))
    }
}

/// Stands in for an SMTP server when none is configured: logs the recipient and subject
/// (never the body) and reports success.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogMailer;

impl Mailer for LogMailer {
    fn send(&self, to: &str, subject: &str, _body: &str) -> Result<(), MailError> {
        log::info!(
            "no SMTP server configured (TENANTRY_SMTP_URL): email to {to} with subject \
             {subject:?} logged, not sent"
        );
        Ok(())
    }
}

/// Sends through an SMTP server with lettre's blocking transport, one connection per
/// email. `Debug` shows the server but no password: lettre prints its credentials as
/// `Credentials`.
#[derive(Debug, Clone)]
pub struct SmtpMailer {
    transport: SmtpTransport,
    from: Mailbox,
}

impl SmtpMailer {
    /// A mailer for the server at `url`, sending as `from`. Fails only when the TLS
    /// settings cannot be prepared; nothing connects until the first email.
    pub fn new(url: &SmtpUrl, from: Mailbox) -> Result<SmtpMailer, MailError> {
        let transport = url
            .transport()
            .map_err(|error| MailError::Permanent(format!("TLS set-up failed: {error}")))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(SmtpMailer { transport, from })
    }

    fn message(&self, to: &str, subject: &str, body: &str) -> Result<Message, MailError> {
        let recipient: Mailbox = to
            .parse()
            .map_err(|_| MailError::Permanent("the recipient is not a valid address".into()))?;
        Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(subject)
            .message_id(Some(message_id(&self.from)?))
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(text_body(body)?),
            )
            .map_err(|error| MailError::Permanent(format!("cannot build the message: {error}")))
    }
}

/// A new `Message-ID`: 128 random bits at the sender's domain, as RFC 5322 asks
/// (large mailbox providers refuse or penalise mail without one).
fn message_id(from: &Mailbox) -> Result<String, MailError> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|error| {
        MailError::Transient(format!("no randomness for a Message-ID: {error}"))
    })?;
    Ok(format!("<{}@{}>", hex::encode(random), from.email.domain()))
}

/// The text body in a transfer encoding that never breaks a line inside a link: as it
/// is (7bit) when it is ASCII with lines of at most 998 octets, which every client shows
/// as written; otherwise base64, which every client decodes whole. lettre's own choice,
/// quoted-printable for long lines, inserts soft breaks (`=` at 76 characters) that some
/// clients and every raw view show inside the link.
fn text_body(body: &str) -> Result<Body, MailError> {
    let crlf = body.replace("\r\n", "\n").replace('\n', "\r\n");
    if is_seven_bit_text(&crlf) {
        return Ok(Body::dangerous_pre_encoded(
            crlf.into_bytes(),
            ContentTransferEncoding::SevenBit,
        ));
    }
    Body::new_with_encoding(body.to_owned(), ContentTransferEncoding::Base64)
        .map_err(|_| MailError::Permanent("cannot encode the body".into()))
}

/// Whether `text` (lines ending in CRLF) may be sent as 7bit: ASCII without NUL or a bare
/// CR, no line longer than [`MAX_LINE_OCTETS`].
fn is_seven_bit_text(text: &str) -> bool {
    text.is_ascii()
        && text
            .split("\r\n")
            .all(|line| line.len() <= MAX_LINE_OCTETS && !line.contains(['\0', '\r']))
}

impl Mailer for SmtpMailer {
    fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let message = self.message(to, subject, body)?;
        match self.transport.send(&message) {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => Err(MailError::Permanent(error.to_string())),
            Err(error) => Err(MailError::Transient(error.to_string())),
        }
    }
}

/// Parses a sender such as `tenantry <no-reply@example.com>` or `no-reply@example.com`.
pub fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    text.parse::<Mailbox>().map_err(|_| {
        "must be an address such as no-reply@example.com or \"Name <no-reply@example.com>\""
            .to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer() -> SmtpMailer {
        let url = SmtpUrl::parse("smtp://127.0.0.1:1").unwrap();
        SmtpMailer::new(
            &url,
            parse_mailbox("tenantry <no-reply@localhost>").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn the_default_sender_parses() {
        let from = parse_mailbox("tenantry <no-reply@localhost>").unwrap();
        assert_eq!(from.name.as_deref(), Some("tenantry"));
        assert_eq!(from.email.to_string(), "no-reply@localhost");
        assert!(parse_mailbox("no-reply@example.com").is_ok());
        assert!(parse_mailbox("not an address").is_err());
        assert!(parse_mailbox("").is_err());
    }

    #[test]
    fn an_invalid_recipient_is_a_permanent_failure() {
        let error = mailer()
            .send("not an address", "Hi", "secret-link")
            .unwrap_err();
        assert!(error.is_permanent(), "{error}");
        assert!(!error.to_string().contains("secret-link"));
    }

    #[test]
    fn an_unreachable_server_is_a_transient_failure() {
        // Port 1 on the loopback interface refuses the connection at once.
        let error = mailer()
            .send("ada@example.com", "Hi", "secret-link")
            .unwrap_err();
        assert!(!error.is_permanent(), "{error}");
        assert!(!error.to_string().contains("secret-link"));
    }

    #[test]
    fn debug_output_hides_the_smtp_password() {
        let url = SmtpUrl::parse("smtps://u:hunter2@mail.example.com").unwrap();
        let mailer = SmtpMailer::new(&url, parse_mailbox("a@example.com").unwrap()).unwrap();
        let printed = format!("{mailer:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("\"mail.example.com\""), "{printed}");
    }

    #[test]
    fn the_log_mailer_reports_success() {
        assert_eq!(LogMailer.send("ada@example.com", "Hi", "body"), Ok(()));
    }
}
