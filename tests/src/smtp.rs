//! An in-process SMTP server that accepts every message and keeps it for the test to read.
//!
//! It speaks what lettre (and most clients) need: a 220 greeting, `EHLO`/`HELO`,
//! `AUTH PLAIN` (any credentials; the last ones are kept), `MAIL FROM`, `RCPT TO`, `DATA`
//! with dot-unstuffing, `RSET`, `NOOP` and `QUIT`. No TLS. Each connection gets a thread.
//!
//! ```no_run
//! # async fn example(database: tenantry_e2e::TestDatabase) {
//! let sink = tenantry_e2e::smtp::SmtpSink::start();
//! let app = tenantry_e2e::TestApp::spawn_with(database, |config| sink.configure(config)).await;
//! // … register a user …
//! let messages = sink.wait_for(1, std::time::Duration::from_secs(5));
//! assert!(messages[0].body.contains("/activate/"));
//! # }
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tenantry::config::ServerConfig;
use tenantry::smtp_url::SmtpUrl;

/// A message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, lines ending in CRLF.
    pub data: String,
    /// The body decoded from its `Content-Transfer-Encoding` (quoted-printable, base64,
    /// or as is), lines ending in `\n`.
    pub body: String,
}

impl Message {
    /// The first header called `name` (case-insensitively), unfolded; `None` when absent.
    /// Encoded words (RFC 2047) are left as they are.
    pub fn header(&self, name: &str) -> Option<String> {
        header(split_message(&self.data).0, name)
    }

    /// The `Subject` header.
    pub fn subject(&self) -> Option<String> {
        self.header("Subject")
    }
}

#[derive(Default)]
struct Inbox {
    messages: Mutex<Vec<Message>>,
    arrived: Condvar,
    credentials: Mutex<Option<(String, String)>>,
    /// Messages to a recipient starting with this prefix are acknowledged this late.
    slow: Option<(String, Duration)>,
}

/// A running SMTP sink on `127.0.0.1`. It stops accepting connections when dropped.
pub struct SmtpSink {
    address: SocketAddr,
    inbox: Arc<Inbox>,
    stopped: Arc<AtomicBool>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl SmtpSink {
    /// Binds a free port on `127.0.0.1` and starts accepting connections.
    pub fn start() -> SmtpSink {
        Self::start_with(Inbox::default())
    }

    /// A sink that takes `delay` to acknowledge a message to a recipient whose address
    /// starts with `prefix` (a slow recipient server), keeping the sender waiting.
    pub fn start_slow(prefix: &str, delay: Duration) -> SmtpSink {
        Self::start_with(Inbox {
            slow: Some((prefix.to_owned(), delay)),
            ..Inbox::default()
        })
    }

    /// A sink on `127.0.0.1:port`, e.g. to bring one back where an earlier one was
    /// [stopped](SmtpSink::stop).
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub fn start_on(port: u16) -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        Ok(Self::serve(listener, Inbox::default()))
    }

    /// Stops listening now (connections are refused from here on); sessions under way
    /// finish. The messages received so far are returned.
    pub fn stop(self) -> Vec<Message> {
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then drops the listener.
        let _ = TcpStream::connect(self.address);
        if let Some(thread) = self.thread.lock().unwrap().take() {
            let _ = thread.join();
        }
        self.messages()
    }

    fn start_with(inbox: Inbox) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port for the SMTP sink");
        Self::serve(listener, inbox)
    }

    fn serve(listener: TcpListener, inbox: Inbox) -> SmtpSink {
        let address = listener.local_addr().expect("the sink's address");
        let inbox = Arc::new(inbox);
        let stopped = Arc::new(AtomicBool::new(false));
        let (accepting_inbox, accepting_stopped) = (Arc::clone(&inbox), Arc::clone(&stopped));
        let thread = std::thread::Builder::new()
            .name("smtp-sink".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if accepting_stopped.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let inbox = Arc::clone(&accepting_inbox);
                    std::thread::spawn(move || {
                        // A client that hangs up mid-session simply ends it.
                        let _ = Session::new(stream, inbox).run();
                    });
                }
            })
            .expect("the SMTP sink thread starts");
        SmtpSink {
            address,
            inbox,
            stopped,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// `smtp://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// The sink's URL as the server's setting.
    pub fn smtp_url(&self) -> SmtpUrl {
        SmtpUrl::parse(&self.url()).expect("the sink's URL parses")
    }

    /// Points `config` at this sink.
    pub fn configure(&self, config: &mut ServerConfig) {
        config.smtp_url = Some(self.smtp_url());
    }

    /// The messages received so far.
    pub fn messages(&self) -> Vec<Message> {
        self.inbox.messages.lock().unwrap().clone()
    }

    /// The user name and password of the last `AUTH`, if any.
    pub fn last_credentials(&self) -> Option<(String, String)> {
        self.inbox.credentials.lock().unwrap().clone()
    }

    /// Waits until at least `count` messages have arrived and returns them all; panics
    /// after `timeout`. It blocks the calling thread, which is fine in tests: the server's
    /// HTTP workers and its delivery worker run on threads of their own.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Message> {
        let deadline = Instant::now() + timeout;
        let mut messages = self.inbox.messages.lock().unwrap();
        while messages.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "expected {count} email(s) within {timeout:?}, got {}: {:#?}",
                messages.len(),
                *messages
            );
            messages = self.inbox.arrived.wait_timeout(messages, left).unwrap().0;
        }
        messages.clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accepting thread so that it sees the flag and ends.
        let _ = TcpStream::connect(self.address);
    }
}

/// One client connection.
struct Session {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    inbox: Arc<Inbox>,
    from: Option<String>,
    to: Vec<String>,
}

impl Session {
    fn new(stream: TcpStream, inbox: Arc<Inbox>) -> Session {
        let writer = stream.try_clone().expect("a second handle on the socket");
        Session {
            reader: BufReader::new(stream),
            writer,
            inbox,
            from: None,
            to: Vec::new(),
        }
    }

    fn reply(&mut self, text: &str) -> std::io::Result<()> {
        self.writer.write_all(text.as_bytes())?;
        self.writer.write_all(b"\r\n")?;
        self.writer.flush()
    }

    /// The next line without its line ending; `None` when the client hung up.
    fn line(&mut self) -> std::io::Result<Option<String>> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
    }

    fn run(mut self) -> std::io::Result<()> {
        self.reply("220 sink.test ESMTP tenantry test sink")?;
        while let Some(line) = self.line()? {
            let (verb, argument) = match line.split_once(' ') {
                Some((verb, argument)) => (verb.to_ascii_uppercase(), argument.trim()),
                None => (line.to_ascii_uppercase(), ""),
            };
            match verb.as_str() {
                "EHLO" => self.reply(
                    "250-sink.test greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n\
                     250-AUTH PLAIN\r\n250 ENHANCEDSTATUSCODES",
                )?,
                "HELO" => self.reply("250 sink.test")?,
                "AUTH" => self.auth(argument)?,
                "MAIL" => {
                    self.from = Some(address_in(argument));
                    self.to.clear();
                    self.reply("250 2.1.0 ok")?;
                }
                "RCPT" if self.from.is_some() => {
                    self.to.push(address_in(argument));
                    self.reply("250 2.1.5 ok")?;
                }
                "RCPT" => self.reply("503 5.5.1 MAIL first")?,
                "DATA" if !self.to.is_empty() => self.data()?,
                "DATA" => self.reply("503 5.5.1 RCPT first")?,
                "RSET" => {
                    self.from = None;
                    self.to.clear();
                    self.reply("250 2.0.0 ok")?;
                }
                "NOOP" => self.reply("250 2.0.0 ok")?,
                "QUIT" => {
                    self.reply("221 2.0.0 bye")?;
                    return Ok(());
                }
                _ => self.reply("502 5.5.2 command not implemented")?,
            }
        }
        Ok(())
    }

    /// `AUTH PLAIN <base64 of \0user\0password>`, or the response on the next line.
    fn auth(&mut self, argument: &str) -> std::io::Result<()> {
        let (mechanism, initial) = argument.split_once(' ').unwrap_or((argument, ""));
        if !mechanism.eq_ignore_ascii_case("PLAIN") {
            return self.reply("504 5.5.4 only PLAIN");
        }
        let response = if initial.is_empty() {
            self.reply("334 ")?;
            self.line()?.unwrap_or_default()
        } else {
            initial.to_owned()
        };
        let decoded = decode_base64(&response);
        let mut parts = decoded.split(|byte| *byte == 0).skip(1);
        let user = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
        let password = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
        *self.inbox.credentials.lock().unwrap() = Some((user, password));
        self.reply("235 2.7.0 accepted")
    }

    fn data(&mut self) -> std::io::Result<()> {
        self.reply("354 end with <CRLF>.<CRLF>")?;
        let mut data = String::new();
        loop {
            let Some(line) = self.line()? else {
                return Ok(());
            };
            if line == "." {
                break;
            }
            let line = line.strip_prefix('.').unwrap_or(&line);
            data.push_str(line);
            data.push_str("\r\n");
        }
        if let Some((prefix, delay)) = &self.inbox.slow
            && self.to.iter().any(|to| to.starts_with(prefix.as_str()))
        {
            std::thread::sleep(*delay);
        }
        let message = Message {
            from: self.from.take().unwrap_or_default(),
            to: std::mem::take(&mut self.to),
            body: decode_body(&data),
            data,
        };
        self.inbox.messages.lock().unwrap().push(message);
        self.inbox.arrived.notify_all();
        self.reply("250 2.0.0 queued")
    }
}

/// `FROM:<a@b> SIZE=1` → `a@b`.
fn address_in(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |at| at + 1);
    let end = argument[start..]
        .find('>')
        .map_or(argument.len(), |at| start + at);
    argument[start..end].trim().to_owned()
}

/// The header block and the body of a message.
fn split_message(data: &str) -> (&str, &str) {
    data.split_once("\r\n\r\n").unwrap_or((data, ""))
}

fn header(headers: &str, name: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for line in headers.split("\r\n") {
        let continues = line.starts_with([' ', '\t']);
        match &mut found {
            Some(value) if continues => value.push_str(line.trim_start()),
            Some(_) => break,
            None => {
                if let Some((key, value)) = line.split_once(':')
                    && key.eq_ignore_ascii_case(name)
                {
                    found = Some(value.trim().to_owned());
                }
            }
        }
    }
    found
}

/// The body of `data`, decoded according to its `Content-Transfer-Encoding`.
fn decode_body(data: &str) -> String {
    let (headers, body) = split_message(data);
    let encoding = header(headers, "Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let decoded = match encoding.as_str() {
        "quoted-printable" => decode_quoted_printable(body),
        "base64" => decode_base64(body),
        _ => body.as_bytes().to_vec(),
    };
    String::from_utf8_lossy(&decoded).replace("\r\n", "\n")
}

/// Quoted-printable (RFC 2045): `=XX` is a byte, `=` at the end of a line joins it to the
/// next.
pub fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let mut decoded = Vec::with_capacity(text.len());
    let mut lines = text.split("\r\n").peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_end_matches([' ', '\t']);
        let (line, soft_break) = match line.strip_suffix('=') {
            Some(joined) => (joined, true),
            None => (line, false),
        };
        let bytes = line.as_bytes();
        let mut index = 0;
        while index < bytes.len() {
            let escaped = (bytes[index] == b'=')
                .then(|| bytes.get(index + 1..index + 3))
                .flatten()
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok());
            match escaped {
                Some(byte) => {
                    decoded.push(byte);
                    index += 3;
                }
                None => {
                    decoded.push(bytes[index]);
                    index += 1;
                }
            }
        }
        if !soft_break && lines.peek().is_some() {
            decoded.extend_from_slice(b"\r\n");
        }
    }
    decoded
}

/// Standard base64, ignoring line breaks and anything else outside the alphabet.
pub fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut decoded = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in text.bytes() {
        if byte == b'=' {
            break;
        }
        let Some(value) = ALPHABET.iter().position(|&letter| letter == byte) else {
            continue;
        };
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            decoded.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    decoded
}

#[cfg(test)]
mod tests {
    use tenantry::mailer::{Mailer, SmtpMailer, parse_mailbox};

    use super::*;

    fn mailer(url: &SmtpUrl) -> SmtpMailer {
        SmtpMailer::new(url, parse_mailbox("tenantry <no-reply@localhost>").unwrap()).unwrap()
    }

    #[test]
    fn lettre_delivers_a_plain_message_to_the_sink() {
        let sink = SmtpSink::start();
        let body =
            "Hello Ada,\n\nActivate your account: https://accounts.example.com/activate/abc123\n";

        mailer(&sink.smtp_url())
            .send("ada@example.com", "Activate your account", body)
            .unwrap();

        let messages = sink.wait_for(1, Duration::from_secs(5));
        let message = &messages[0];
        assert_eq!(message.from, "no-reply@localhost");
        assert_eq!(message.to, ["ada@example.com"]);
        assert_eq!(message.subject().as_deref(), Some("Activate your account"));
        assert_eq!(message.header("To").as_deref(), Some("ada@example.com"));
        assert_eq!(
            message.header("from").as_deref(),
            Some("tenantry <no-reply@localhost>")
        );
        assert_eq!(message.body.trim_end(), body.trim_end());
        assert_eq!(sink.last_credentials(), None);
    }

    #[test]
    fn long_lines_and_non_ascii_text_survive_the_encoding() {
        let sink = SmtpSink::start();
        let link = format!(
            "https://accounts.example.com/password-reset/{}",
            "x".repeat(120)
        );
        let body =
            format!("Grüße, Zoë!\n.A line that starts with a dot\n=3D is not an escape\n{link}\n");

        mailer(&sink.smtp_url())
            .send("zoe@example.com", "Réinitialiser", &body)
            .unwrap();

        let message = &sink.wait_for(1, Duration::from_secs(5))[0];
        assert_eq!(message.body.trim_end(), body.trim_end(), "{}", message.data);
        assert!(message.body.contains(&link));
        // Non-ASCII text goes as base64, never quoted-printable, whose soft line breaks
        // (`=` at 76 characters) split links in clients and raw views.
        assert_eq!(
            message.header("Content-Transfer-Encoding").as_deref(),
            Some("base64"),
            "{}",
            message.data
        );
    }

    #[test]
    fn a_long_link_in_ascii_text_is_sent_unbroken() {
        let sink = SmtpSink::start();
        let link = format!(
            "https://accounts.example.com/password-reset/{}",
            "pgm-J_NB7BE".repeat(20)
        );
        let body = format!("Hello Ada,\n\nSet your password: {link}\n\n-- \ntenantry\n");

        mailer(&sink.smtp_url())
            .send("ada@example.com", "Reset", &body)
            .unwrap();

        let message = &sink.wait_for(1, Duration::from_secs(5))[0];
        assert_eq!(
            message.header("Content-Transfer-Encoding").as_deref(),
            Some("7bit")
        );
        let (_, raw_body) = split_message(&message.data);
        assert!(
            raw_body.contains(&link),
            "the link is on one line as sent: {}",
            message.data
        );
        assert_eq!(message.body.trim_end(), body.trim_end());
    }

    #[test]
    fn messages_carry_a_message_id_and_mime_version() {
        let sink = SmtpSink::start();
        let mailer = mailer(&sink.smtp_url());
        mailer.send("ada@example.com", "One", "body").unwrap();
        mailer.send("ada@example.com", "Two", "body").unwrap();

        let messages = sink.wait_for(2, Duration::from_secs(5));
        assert_eq!(messages[0].header("MIME-Version").as_deref(), Some("1.0"));
        assert_eq!(
            messages[0].header("Content-Type").as_deref(),
            Some("text/plain; charset=utf-8")
        );
        let ids: Vec<String> = messages
            .iter()
            .map(|message| message.header("Message-ID").expect("a Message-ID"))
            .collect();
        for id in &ids {
            let inner = id
                .strip_prefix('<')
                .and_then(|id| id.strip_suffix("@localhost>"))
                .unwrap_or_else(|| panic!("<random@sender's domain>: {id}"));
            assert_eq!(inner.len(), 32, "{id}");
            assert!(inner.bytes().all(|byte| byte.is_ascii_hexdigit()), "{id}");
        }
        assert_ne!(ids[0], ids[1], "each message has its own id");
        assert!(messages[0].header("Date").is_some());
    }

    #[test]
    fn credentials_in_the_url_are_used() {
        let sink = SmtpSink::start();
        let url = SmtpUrl::parse(&sink.url().replace("smtp://", "smtp://mailer:p%40ss@")).unwrap();

        mailer(&url).send("ada@example.com", "Hi", "body").unwrap();

        assert_eq!(sink.wait_for(1, Duration::from_secs(5)).len(), 1);
        assert_eq!(
            sink.last_credentials(),
            Some(("mailer".to_owned(), "p@ss".to_owned()))
        );
    }

    #[test]
    fn several_messages_are_kept_in_order() {
        let sink = SmtpSink::start();
        let mailer = mailer(&sink.smtp_url());
        for n in 0..3 {
            mailer
                .send(&format!("user{n}@example.com"), &format!("n{n}"), "body")
                .unwrap();
        }
        let subjects: Vec<_> = sink
            .wait_for(3, Duration::from_secs(5))
            .iter()
            .map(|message| message.subject().unwrap())
            .collect();
        assert_eq!(subjects, ["n0", "n1", "n2"]);
    }

    #[test]
    #[should_panic(expected = "expected 1 email(s)")]
    fn waiting_for_a_message_that_never_comes_fails() {
        SmtpSink::start().wait_for(1, Duration::from_millis(50));
    }

    #[test]
    fn quoted_printable_soft_breaks_and_escapes_are_decoded() {
        let decoded =
            decode_quoted_printable("https://a.example/x=\r\nyz?t=3Dabc\r\nline two =C3=A9");
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "https://a.example/xyz?t=abc\r\nline two é"
        );
    }

    #[test]
    fn base64_bodies_are_decoded() {
        assert_eq!(decode_base64("R3LDvMOfZQ==\r\n"), "Grüße".as_bytes());
        assert_eq!(decode_base64("YWJj\r\nZA=="), b"abcd");
    }

    #[test]
    fn envelope_addresses_are_read_between_brackets() {
        assert_eq!(address_in("FROM:<a@example.com> SIZE=10"), "a@example.com");
        assert_eq!(address_in("TO:<b@example.com>"), "b@example.com");
        assert_eq!(address_in("FROM:<>"), "");
    }
}
