//! Database URLs: which backend, and where. The scheme decides the backend.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret as _, SecretString};

use crate::StoreError;

/// The forms [`DatabaseUrl::parse`] accepts, for error messages.
const ACCEPTED_FORMS: &str =
    "expected sqlite://PATH, sqlite:PATH, postgres://USER:PASSWORD@HOST:PORT/DB or postgresql://…";

/// What libpq is told unless the URL says otherwise: give up opening a connection after
/// 5 s (an unanswering host would block for minutes), probe idle connections with TCP
/// keepalives (after 10 s idle, every 5 s, 3 misses) and drop a connection whose sent data
/// stays unacknowledged for 10 s (`tcp_user_timeout`, ms), so that a partitioned server is
/// noticed instead of waited on for the kernel's default of about 15 minutes.
const LIBPQ_DEFAULTS: [(&str, &str); 6] = [
    ("connect_timeout", "5"),
    ("keepalives", "1"),
    ("keepalives_idle", "10"),
    ("keepalives_interval", "5"),
    ("keepalives_count", "3"),
    ("tcp_user_timeout", "10000"),
];

/// The database engines tenantry runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// An SQLite file (the embedded default).
    Sqlite,
    /// A PostgreSQL server (production).
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed database URL.
///
/// `Display` and `Debug` show the [`redacted`](DatabaseUrl::redacted) form, so a
/// PostgreSQL password cannot reach a log by accident. (The `Debug` impl is written by hand
/// because it shows that form: backend, host and database are what an operator needs;
/// the URL itself is a [`SecretString`].)
#[derive(Clone)]
pub struct DatabaseUrl {
    target: Target,
}

#[derive(Clone)]
enum Target {
    /// The path of the database file, as given (relative to the working directory or
    /// absolute).
    Sqlite(PathBuf),
    /// The whole URL, handed to libpq as is; it may hold a password.
    Postgres(SecretString),
}

impl DatabaseUrl {
    /// Reads a database URL:
    ///
    /// - `sqlite://PATH` or `sqlite:PATH`: an SQLite file; `sqlite://data/t.db` is the
    ///   relative path `data/t.db`, `sqlite:///abs/t.db` the absolute path `/abs/t.db`;
    /// - `postgres://…` or `postgresql://…`: a PostgreSQL connection URL as libpq reads it.
    ///
    /// Schemes are case-insensitive. SQLite's `:memory:` and `file:` URIs are refused: a
    /// pool would give each connection its own database, and the parent directory of a
    /// URI cannot be created.
    ///
    /// ```
    /// use tenantry_store::{Backend, DatabaseUrl};
    ///
    /// let url = DatabaseUrl::parse("postgres://app:secret@db:5432/tenantry")?;
    /// assert_eq!(url.backend(), Backend::Postgres);
    /// assert_eq!(url.redacted(), "postgres://app:***@db:5432/tenantry");
    /// assert_eq!(DatabaseUrl::parse("sqlite:///srv/t.db")?.sqlite_path(), Some("/srv/t.db".as_ref()));
    /// assert!(DatabaseUrl::parse("mysql://db/x").is_err());
    /// # Ok::<(), tenantry_store::StoreError>(())
    /// ```
    pub fn parse(text: &str) -> Result<DatabaseUrl, StoreError> {
        let text = text.trim();
        let unsupported = || {
            StoreError::InvalidUrl(format!(
                "{:?} is not supported: {ACCEPTED_FORMS}",
                redact(text)
            ))
        };
        let (scheme, rest) = text.split_once(':').ok_or_else(unsupported)?;
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => parse_sqlite_path(rest.strip_prefix("//").unwrap_or(rest)),
            "postgres" | "postgresql" if rest.starts_with("//") => Ok(DatabaseUrl {
                target: Target::Postgres(text.into()),
            }),
            _ => Err(unsupported()),
        }
    }

    /// The URL of an SQLite database file at `path`.
    pub fn sqlite(path: impl Into<PathBuf>) -> DatabaseUrl {
        DatabaseUrl {
            target: Target::Sqlite(path.into()),
        }
    }

    /// The backend the URL selects.
    pub fn backend(&self) -> Backend {
        match self.target {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }

    /// The database file, for an SQLite URL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.target {
            Target::Sqlite(path) => Some(path),
            Target::Postgres(_) => None,
        }
    }

    /// The URL with any password replaced by `***`, for logs and messages.
    pub fn redacted(&self) -> String {
        match &self.target {
            Target::Sqlite(path) => format!("sqlite://{}", path.display()),
            Target::Postgres(url) => redact(url.expose_secret()),
        }
    }

    /// The URL in full, password included: `sqlite://PATH` or the PostgreSQL URL as given.
    /// Only for handing to something that connects (a child process in a test).
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn reveal(&self) -> String {
        match &self.target {
            Target::Sqlite(path) => format!("sqlite://{}", path.display()),
            Target::Postgres(url) => url.expose_secret().to_owned(),
        }
    }

    /// `text` (a driver's message) with any password of this URL replaced by `***`, in
    /// case the driver quoted part of the URL back.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let Target::Postgres(url) = &self.target else {
            return text.to_owned();
        };
        secrets(url.expose_secret())
            .into_iter()
            .fold(text.to_owned(), |text, secret| text.replace(secret, "***"))
    }

    /// The URL libpq is given: the PostgreSQL URL with each of [`LIBPQ_DEFAULTS`] it does
    /// not set itself. `None` for SQLite.
    pub(crate) fn libpq_url(&self) -> Option<String> {
        let Target::Postgres(url) = &self.target else {
            return None;
        };
        let mut url = url.expose_secret().to_owned();
        let query = url
            .split_once('?')
            .map_or("", |(_, query)| query)
            .to_owned();
        let given: Vec<&str> = query
            .split('&')
            .filter_map(|pair| pair.split('=').next())
            .collect();
        for (key, value) in LIBPQ_DEFAULTS {
            if !given.contains(&key) {
                let separator = if url.contains('?') { '&' } else { '?' };
                url = format!("{url}{separator}{key}={value}");
            }
        }
        Some(url)
    }
}

/// The secrets inside a PostgreSQL URL: the user-info password and any `password=`
/// query parameter, raw as written.
fn secrets(url: &str) -> Vec<&str> {
    let Some((_, rest)) = url.split_once("://") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if let Some((userinfo, _)) = rest.rsplit_once('@')
        && let Some((_, password)) = userinfo.split_once(':')
    {
        found.push(password);
    }
    if let Some((_, query)) = rest.split_once('?') {
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=')
                && key.eq_ignore_ascii_case("password")
            {
                found.push(value);
            }
        }
    }
    found.retain(|secret| !secret.is_empty());
    found
}

fn parse_sqlite_path(path: &str) -> Result<DatabaseUrl, StoreError> {
    if path.is_empty() {
        return Err(StoreError::InvalidUrl(format!(
            "the SQLite URL names no file: {ACCEPTED_FORMS}"
        )));
    }
    if path.starts_with(":memory:") || path.starts_with("file:") {
        return Err(StoreError::InvalidUrl(format!(
            "sqlite:{path} is not supported: give the path of a database file \
             (each pooled connection to :memory: would see its own empty database)"
        )));
    }
    Ok(DatabaseUrl::sqlite(path))
}

/// `url` with the password of its user-info part and any `password=` query parameter
/// replaced by `***`. Errs towards hiding too much when the URL is malformed.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let rest = match rest.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{user}:***@{host}")
        }
        _ => rest.to_owned(),
    };
    format!("{scheme}://{}", redact_password_parameter(&rest))
}

fn redact_password_parameter(rest: &str) -> String {
    let Some((before, query)) = rest.split_once('?') else {
        return rest.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{before}?{}", query.join("&"))
}

impl fmt::Display for DatabaseUrl {
    /// The redacted form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(text: &str) -> PathBuf {
        DatabaseUrl::parse(text)
            .unwrap()
            .sqlite_path()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn sqlite_urls_take_relative_and_absolute_paths() {
        assert_eq!(
            path_of("sqlite://data/tenantry.db"),
            PathBuf::from("data/tenantry.db")
        );
        assert_eq!(
            path_of("sqlite:data/tenantry.db"),
            PathBuf::from("data/tenantry.db")
        );
        assert_eq!(path_of("sqlite:///abs/x.db"), PathBuf::from("/abs/x.db"));
        assert_eq!(path_of("sqlite:/abs/x.db"), PathBuf::from("/abs/x.db"));
        assert_eq!(path_of("SQLite://x.db"), PathBuf::from("x.db"));
        assert_eq!(
            DatabaseUrl::parse("sqlite://x.db").unwrap().backend(),
            Backend::Sqlite
        );
    }

    #[test]
    fn postgres_urls_are_kept_whole() {
        for text in [
            "postgres://u:p@127.0.0.1:5432/db",
            "postgresql://u@h/db?sslmode=require",
        ] {
            let url = DatabaseUrl::parse(text).unwrap();
            assert_eq!(url.backend(), Backend::Postgres);
            assert_eq!(url.reveal(), text);
            assert_eq!(url.sqlite_path(), None);
        }
    }

    #[test]
    fn other_urls_are_refused_naming_the_accepted_forms() {
        for text in [
            "mysql://db/x",
            "",
            "data/tenantry.db",
            "postgres:db",
            "sqlite://",
            "sqlite:",
            "sqlite::memory:",
            "sqlite://file:x.db?mode=memory",
        ] {
            let error = DatabaseUrl::parse(text).unwrap_err();
            assert!(
                matches!(error, StoreError::InvalidUrl(_)),
                "{text}: {error:?}"
            );
        }
        let message = DatabaseUrl::parse("mysql://db/x").unwrap_err().to_string();
        assert!(message.contains("sqlite://PATH"), "{message}");
        assert!(message.contains("postgres://"), "{message}");
    }

    #[test]
    fn passwords_never_show() {
        let url =
            DatabaseUrl::parse("postgres://app:s3cret@db:5432/t?password=other&sslmode=require")
                .unwrap();
        for shown in [url.redacted(), url.to_string(), format!("{url:?}")] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(!shown.contains("other"), "{shown}");
            assert!(shown.contains("app:***@db:5432/t"), "{shown}");
            assert!(shown.contains("sslmode=require"), "{shown}");
        }
        let unsupported = DatabaseUrl::parse("mysql://root:hunter2@db/x")
            .unwrap_err()
            .to_string();
        assert!(!unsupported.contains("hunter2"), "{unsupported}");
        let odd = DatabaseUrl::parse("postgres://u:pa/ss@word@h/db")
            .unwrap()
            .redacted();
        assert_eq!(odd, "postgres://u:***@h/db");
        assert_eq!(
            url.scrub("bad token \"s3cret\" near other"),
            "bad token \"***\" near ***"
        );
        let plain = DatabaseUrl::parse("postgres://postgres@127.0.0.1/db").unwrap();
        assert_eq!(plain.redacted(), "postgres://postgres@127.0.0.1/db");
    }

    #[test]
    fn libpq_gets_timeouts_and_keepalives_unless_the_url_sets_them() {
        const DEFAULTS: &str = "connect_timeout=5&keepalives=1&keepalives_idle=10\
                                &keepalives_interval=5&keepalives_count=3&tcp_user_timeout=10000";
        let url = DatabaseUrl::parse("postgres://h/db").unwrap();
        assert_eq!(
            url.libpq_url().unwrap(),
            format!("postgres://h/db?{DEFAULTS}")
        );
        let url = DatabaseUrl::parse("postgres://h/db?sslmode=require").unwrap();
        assert_eq!(
            url.libpq_url().unwrap(),
            format!("postgres://h/db?sslmode=require&{DEFAULTS}")
        );
        let url =
            DatabaseUrl::parse("postgres://h/db?connect_timeout=9&tcp_user_timeout=0").unwrap();
        assert_eq!(
            url.libpq_url().unwrap(),
            "postgres://h/db?connect_timeout=9&tcp_user_timeout=0&keepalives=1\
             &keepalives_idle=10&keepalives_interval=5&keepalives_count=3"
        );
        assert_eq!(DatabaseUrl::sqlite("x.db").libpq_url(), None);
    }
}
