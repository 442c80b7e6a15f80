//! Stores named by URL: the [`Engine`] a URL's scheme names, the [`Location`] it points
//! to, and [`open`].
//!
//! The forms follow sqlx's SQLite URLs:
//!
//! | URL                            | Store                                                |
//! |--------------------------------|------------------------------------------------------|
//! | `sqlite:///var/lib/p/p.db`     | the file `/var/lib/p/p.db` (three slashes: absolute)  |
//! | `sqlite://data/p.db`           | the file `data/p.db`, relative to the working folder |
//! | `sqlite:data/p.db`             | the same (sqlx's short form)                         |
//! | `sqlite::memory:`              | a database in memory, gone with the process          |
//! | `sqlite://:memory:`            | the same                                             |
//!
//! A file is created when missing. The path is percent-decoded as in sqlx (`%25` for a
//! `%`, `%3F` for a `?`); query parameters (`?mode=ro`, …) are refused, since the store
//! sets its own connection options (WAL, `synchronous = FULL`). The scheme is matched
//! without regard to case. Any other scheme is refused with an error that names the
//! supported forms; `postgres://` and `postgresql://` are recognized and refused as not
//! supported yet.

use crate::Store;
use crate::error::StoreError;
use crate::sqlite::SqliteStore;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// The URL forms this build opens, for error messages and help texts.
pub const SUPPORTED_URLS: &str = "sqlite://PATH (sqlite:///ABSOLUTE/PATH) or sqlite::memory:";

/// A database engine a store can run on, named by a URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    /// SQLite, embedded ([`SqliteStore`]): `sqlite://`.
    Sqlite,
}

impl Engine {
    /// Every engine this build supports.
    pub const ALL: [Engine; 1] = [Engine::Sqlite];

    /// The URL scheme that names the engine.
    pub fn scheme(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
        }
    }

    /// The engine a URL scheme names (without regard to case). Fails, naming the
    /// supported forms, for a scheme this build has no engine for.
    pub fn from_scheme(scheme: &str) -> Result<Engine, StoreError> {
        let scheme = scheme.to_ascii_lowercase();
        if let Some(engine) = Engine::ALL.into_iter().find(|e| e.scheme() == scheme) {
            return Ok(engine);
        }
        Err(StoreError::Url(match scheme.as_str() {
            "postgres" | "postgresql" => format!(
                "PostgreSQL store URLs ({scheme}://) are not supported yet; supported: {SUPPORTED_URLS}"
            ),
            _ => format!("no store engine `{scheme}`; supported: {SUPPORTED_URLS}"),
        }))
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme())
    }
}

/// Where a store is: what a store URL says, parsed ([`Location::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite database file (`sqlite://PATH`).
    SqliteFile(PathBuf),
    /// An SQLite database in memory (`sqlite::memory:`).
    SqliteMemory,
}

impl Location {
    /// Parses a store URL (see [the forms](self)). The error never repeats the URL whole,
    /// since URLs of network databases may carry a password.
    pub fn parse(url: &str) -> Result<Location, StoreError> {
        let Some((scheme, rest)) = url.split_once(':').filter(|(s, _)| is_scheme(s)) else {
            let hint = if url.is_empty() {
                String::new()
            } else if url.contains(':') {
                " (it has no scheme)".to_string()
            } else {
                format!(" (a file? then sqlite://{})", encode_path(url))
            };
            return Err(StoreError::Url(format!(
                "not a store URL{hint}; supported: {SUPPORTED_URLS}"
            )));
        };
        match Engine::from_scheme(scheme)? {
            Engine::Sqlite => parse_sqlite(rest),
        }
    }

    /// The engine that runs the store.
    pub fn engine(&self) -> Engine {
        match self {
            Location::SqliteFile(_) | Location::SqliteMemory => Engine::Sqlite,
        }
    }

    /// The database file, for the engines that keep one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::SqliteFile(path) => Some(path),
            Location::SqliteMemory => None,
        }
    }

    /// Opens the store (creating an SQLite file when missing) and applies the engine's
    /// pending migrations.
    pub async fn open(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            Location::SqliteFile(path) => Arc::new(SqliteStore::open(path).await?),
            Location::SqliteMemory => Arc::new(SqliteStore::in_memory().await?),
        })
    }
}

impl FromStr for Location {
    type Err = StoreError;

    fn from_str(url: &str) -> Result<Location, StoreError> {
        Location::parse(url)
    }
}

/// The URL of the location, in the forms [`Location::parse`] reads back (a path that is
/// not UTF-8 is shown with replacement characters).
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::SqliteFile(path) => {
                write!(f, "sqlite://{}", encode_path(&path.to_string_lossy()))
            }
            Location::SqliteMemory => f.write_str("sqlite::memory:"),
        }
    }
}

/// Opens the store at `url` (see [the forms](self)): [`Location::parse`], then
/// [`Location::open`].
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Location::parse(url)?.open().await
}

/// True for a URL scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// What follows `sqlite:` (as sqlx reads it: an optional `//`, then `:memory:` or a path).
fn parse_sqlite(rest: &str) -> Result<Location, StoreError> {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    if rest == ":memory:" {
        return Ok(Location::SqliteMemory);
    }
    if rest.contains('?') {
        return Err(StoreError::Url(
            "an SQLite store URL takes no query parameters (the store sets its own options; \
             write a `?` in a path as %3F)"
                .to_string(),
        ));
    }
    if rest.is_empty() {
        return Err(StoreError::Url(format!(
            "an SQLite store URL names no database file; supported: {SUPPORTED_URLS}"
        )));
    }
    let path = String::from_utf8(percent_decode(rest)).map_err(|_| {
        StoreError::Url(
            "the path of an SQLite store URL decodes to bytes that are not UTF-8".into(),
        )
    })?;
    Ok(Location::SqliteFile(PathBuf::from(path)))
}

/// `%XX` sequences decoded into their bytes; a `%` not followed by two hex digits stays as
/// it is (as in sqlx, which uses the `percent-encoding` crate).
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// A path with the characters that would read back otherwise escaped: `%` and `?`.
fn encode_path(path: &str) -> String {
    path.replace('%', "%25").replace('?', "%3F")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::Account;
    use crate::record::{Change, Kind};

    fn file(path: &str) -> Location {
        Location::SqliteFile(PathBuf::from(path))
    }

    fn refusal(url: &str) -> String {
        match Location::parse(url) {
            Err(StoreError::Url(message)) => message,
            other => panic!("{url:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn each_accepted_form_parses() {
        for (url, want) in [
            (
                "sqlite:///var/lib/portcullis/portcullis.db",
                file("/var/lib/portcullis/portcullis.db"),
            ),
            ("sqlite://relative/path.db", file("relative/path.db")),
            (
                "sqlite://./portcullis-data/portcullis.db",
                file("./portcullis-data/portcullis.db"),
            ),
            ("sqlite:relative.db", file("relative.db")),
            ("sqlite:/abs.db", file("/abs.db")),
            ("SQLite:///abs.db", file("/abs.db")),
            (
                "sqlite:///with%20space/100%25.db",
                file("/with space/100%.db"),
            ),
            ("sqlite:///what%3F.db", file("/what?.db")),
            ("sqlite:///not%an%escape.db", file("/not%an%escape.db")),
            ("sqlite::memory:", Location::SqliteMemory),
            ("sqlite://:memory:", Location::SqliteMemory),
        ] {
            let location = Location::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(location, want, "{url}");
            assert_eq!(location.engine(), Engine::Sqlite);
            assert_eq!(url.parse::<Location>().unwrap(), want);
        }
    }

    #[test]
    fn a_location_prints_a_url_that_reads_back() {
        for location in [
            file("/var/lib/portcullis/portcullis.db"),
            file("relative/p.db"),
            file("/odd/100%/why?.db"),
            Location::SqliteMemory,
        ] {
            let url = location.to_string();
            assert_eq!(Location::parse(&url).unwrap(), location, "{url}");
        }
        assert_eq!(file("/var/lib/p.db").to_string(), "sqlite:///var/lib/p.db");
        assert_eq!(Location::SqliteMemory.to_string(), "sqlite::memory:");
        assert_eq!(file("/a.db").file(), Some(Path::new("/a.db")));
        assert_eq!(Location::SqliteMemory.file(), None);
    }

    #[test]
    fn other_schemes_and_malformed_urls_are_refused() {
        for url in [
            "postgres://portcullis:secret@db.example.com/portcullis",
            "postgresql://db.example.com/portcullis",
        ] {
            let message = refusal(url);
            assert!(message.contains("not supported yet"), "{message}");
            assert!(message.contains("sqlite://"), "{message}");
            assert!(
                !message.contains("secret"),
                "the URL is not repeated: {message}"
            );
        }
        let message = refusal("mysql://localhost/p");
        assert!(message.contains("no store engine `mysql`"), "{message}");
        assert!(message.contains(SUPPORTED_URLS), "{message}");
        let message = refusal("/var/lib/p.db");
        assert!(message.contains("sqlite:///var/lib/p.db"), "{message}");
        for url in [
            "",
            "./a:b",
            "sqlite://",
            "sqlite:",
            "sqlite:///p.db?mode=ro",
        ] {
            let message = refusal(url);
            assert!(!message.is_empty(), "{url}");
        }
        assert!(refusal("sqlite:///p.db?mode=ro").contains("query parameters"));
        assert!(refusal("sqlite://").contains("names no database file"));
        assert!(matches!(Engine::from_scheme("sqlite"), Ok(Engine::Sqlite)));
        assert!(Engine::from_scheme("postgres").is_err());
    }

    #[tokio::test]
    async fn open_write_reopen_round_trip() {
        let dir = std::env::temp_dir().join(format!("portcullis-store-url-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("p.db").display());
        assert!(url.starts_with("sqlite:///"), "{url}");
        let account = Account {
            id: "123456789012".into(),
            create_date: 7,
        };
        {
            let store = open(&url).await.unwrap();
            assert!(store.load().await.unwrap().is_empty());
            store
                .commit(&[Change::put("123456789012", &account)])
                .await
                .unwrap();
            assert!(
                store.describe().starts_with("sqlite ("),
                "{}",
                store.describe()
            );
        }
        assert!(dir.join("p.db").is_file());
        let store = open(&url).await.unwrap();
        let records = store.load().await.unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].kind, Kind::Account);
        assert_eq!(records[0].key, "123456789012");
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();

        let memory = open("sqlite::memory:").await.unwrap();
        memory
            .commit(&[Change::put("123456789012", &account)])
            .await
            .unwrap();
        assert_eq!(memory.load().await.unwrap().len(), 1);
        assert_eq!(memory.describe(), "sqlite (in memory)");
        assert!(
            open("sqlite::memory:")
                .await
                .unwrap()
                .load()
                .await
                .unwrap()
                .is_empty()
        );
        assert!(open("postgres://localhost/p").await.is_err());
    }
}
