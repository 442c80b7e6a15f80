//! The key sets of OpenID Connect providers: the public keys (JWKS) that verify the ID
//! tokens presented to AssumeRoleWithWebIdentity.
//!
//! AWS reads `{Url}/.well-known/openid-configuration`, then the key set at its `jwks_uri`.
//! Portcullis works offline, so it looks for a provider's keys, in this order:
//!
//! 1. keys registered in the process with [`KeySets::register`] (a built-in issuer);
//! 2. for a provider on a loopback address (`http://127.0.0.1:PORT/…`, any `127.x.y.z`,
//!    `localhost`, `[::1]`, with `http://` or `https://`): discovery and key set fetched
//!    over plain HTTP/1.1 from that address (no TLS on loopback);
//! 3. for any other provider: the JWKS file `DIR/NAME.json` of `portcullis serve
//!    --oidc-keys DIR` (see [`key_file_name`] for NAME).
//!
//! A key set is kept for [`KeySets::ttl`] (5 minutes by default). A token whose `kid` is not
//! in the kept set makes Portcullis fetch (or read) the set again, at most once a second
//! per provider, so rotated keys are picked up at once.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use serde_json::Value;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a fetched or read key set is used before it is fetched again.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// A key set is not fetched again for an unknown `kid` sooner than this after the last fetch.
const MIN_REFETCH: Duration = Duration::from_secs(1);
/// How long a loopback issuer may take to answer (AWS allows its IdPs five seconds).
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest discovery document or key set read.
const MAX_BODY: usize = 1 << 20;

/// A provider URL taken apart: `https://host[:port][/path]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProviderUrl<'a> {
    /// True for `https://`, false for `http://`.
    pub https: bool,
    /// The host, as written (an IPv6 address keeps its brackets).
    pub host: &'a str,
    /// The port, when given.
    pub port: Option<u16>,
    /// The path, empty or starting with `/`.
    pub path: &'a str,
    /// Everything after the scheme: what the provider's ARN and condition keys use.
    pub without_scheme: &'a str,
}

impl<'a> ProviderUrl<'a> {
    /// Reads an `https://` or `http://` URL without query or fragment. `None` when it is
    /// something else.
    pub(crate) fn parse(url: &'a str) -> Option<ProviderUrl<'a>> {
        let (https, rest) = if let Some(r) = strip_prefix_ignore_case(url, "https://") {
            (true, r)
        } else {
            (false, strip_prefix_ignore_case(url, "http://")?)
        };
        if rest.contains(['?', '#']) || rest.chars().any(char::is_whitespace) {
            return None;
        }
        let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        if authority.contains('@') {
            return None;
        }
        let (host, port) = if authority.starts_with('[') {
            let end = authority.find(']')?;
            let host = &authority[..=end];
            match &authority[end + 1..] {
                "" => (host, None),
                p => (host, Some(p.strip_prefix(':')?.parse().ok()?)),
            }
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h, Some(p.parse().ok()?)),
                None => (authority, None),
            }
        };
        if host.is_empty() || host == "[]" {
            return None;
        }
        Some(ProviderUrl {
            https,
            host,
            port,
            path,
            without_scheme: rest,
        })
    }

    /// True when the host is a loopback address (`127.0.0.0/8`, `::1`, `localhost`).
    pub(crate) fn is_loopback(&self) -> bool {
        is_loopback_host(self.host)
    }

    /// True for the URLs Portcullis accepts as OpenID Connect providers: `https://`
    /// anywhere, and `http://` on a loopback address (for local testing).
    pub(crate) fn is_acceptable(&self) -> bool {
        self.https || self.is_loopback()
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// True when `host` names the loopback interface: `localhost` (or a name under it), an
/// IPv4 address in `127.0.0.0/8`, or `::1` (with or without brackets).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The provider an `iss` claim names, as the ARN and condition keys spell it (the URL
/// without its scheme), when it is a URL Portcullis accepts (see
/// [`ProviderUrl::is_acceptable`]).
pub(crate) fn provider_id(issuer: &str) -> Option<&str> {
    ProviderUrl::parse(issuer)
        .filter(ProviderUrl::is_acceptable)
        .map(|u| u.without_scheme)
}

/// The name of the JWKS file of a provider in the `--oidc-keys` directory: the provider
/// URL without its scheme and without a trailing `/`, with every `/` replaced by `_`,
/// followed by `.json`. `https://token.actions.githubusercontent.com` →
/// `token.actions.githubusercontent.com.json`; `https://oidc.example.com/realms/dev` →
/// `oidc.example.com_realms_dev.json`.
pub(crate) fn key_file_name(provider_id: &str) -> String {
    format!(
        "{}.json",
        provider_id.trim_end_matches('/').replace('/', "_")
    )
}

/// Where the key set of a provider comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// Registered in the process ([`KeySets::register`]).
    Registered,
    /// Fetched over HTTP from a loopback issuer: discovery at this URL, then its `jwks_uri`.
    Loopback {
        /// `http://HOST:PORT/PATH/.well-known/openid-configuration`.
        discovery: String,
    },
    /// Read from a JWKS file.
    File(PathBuf),
    /// Nowhere: the provider is not on loopback and no `--oidc-keys` directory is set.
    Unavailable,
}

/// Why a key set could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum KeySetError {
    /// The provider is not on loopback and no `--oidc-keys` directory is configured.
    #[error("no key directory is configured (portcullis serve --oidc-keys DIR) for {0}")]
    NoDirectory(String),
    /// The key set file could not be read.
    #[error("reading {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Fetching discovery or the key set over HTTP failed.
    #[error("fetching {url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The document read is not a JWKS (`{"keys": [...]}`) or discovery document.
    #[error("{0}")]
    Invalid(String),
}

struct Cached {
    keys: Arc<JwkSet>,
    fetched: Instant,
}

/// The key sets of the OpenID Connect providers, loaded on demand and cached.
pub(crate) struct KeySets {
    dir: Option<PathBuf>,
    ttl: Duration,
    registered: Mutex<HashMap<String, Arc<JwkSet>>>,
    cache: Mutex<HashMap<String, Cached>>,
}

impl KeySets {
    /// Key sets read from `dir` (the `--oidc-keys` directory), if any, and fetched from
    /// loopback issuers.
    pub(crate) fn new(dir: Option<PathBuf>) -> KeySets {
        KeySets {
            dir,
            ttl: DEFAULT_TTL,
            registered: Mutex::default(),
            cache: Mutex::default(),
        }
    }

    /// Like [`KeySets::new`], but checks that the directory exists.
    pub(crate) fn open(dir: Option<&Path>) -> Result<KeySets, crate::error::Error> {
        if let Some(d) = dir
            && !d.is_dir()
        {
            return Err(crate::error::Error::Config(format!(
                "--oidc-keys {}: not a directory",
                d.display()
            )));
        }
        Ok(KeySets::new(dir.map(Path::to_path_buf)))
    }

    /// Registers the key set of a provider (by its URL without scheme, as [`provider_id`]
    /// returns it); it wins over every other source.
    pub(crate) fn register(&self, provider_id: &str, keys: JwkSet) {
        lock(&self.registered).insert(provider_id.to_string(), Arc::new(keys));
    }

    /// Where the keys of the provider at `url` (`https://…` or loopback `http://…`) come from.
    pub(crate) fn source(&self, url: &str) -> KeySource {
        let Some(parsed) = ProviderUrl::parse(url) else {
            return KeySource::Unavailable;
        };
        if lock(&self.registered).contains_key(parsed.without_scheme) {
            return KeySource::Registered;
        }
        if parsed.is_loopback() {
            let base = parsed.without_scheme.trim_end_matches('/');
            return KeySource::Loopback {
                discovery: format!("http://{base}/.well-known/openid-configuration"),
            };
        }
        match &self.dir {
            Some(dir) => KeySource::File(dir.join(key_file_name(parsed.without_scheme))),
            None => KeySource::Unavailable,
        }
    }

    /// The keys of the provider at `url` that may have signed a token with key ID `kid`:
    /// the key with that `kid`, or every key when the token names none. When the cached
    /// set lacks the `kid`, the set is loaded again first. An empty list means the key is
    /// not in the provider's set.
    pub(crate) async fn candidates(
        &self,
        url: &str,
        kid: Option<&str>,
    ) -> Result<Vec<Jwk>, KeySetError> {
        let pick = |set: &JwkSet| -> Vec<Jwk> {
            match kid {
                Some(k) => set.find(k).into_iter().cloned().collect(),
                None => set.keys.clone(),
            }
        };
        let (set, age) = self.keys(url).await?;
        let found = pick(&set);
        if !found.is_empty()
            || age < MIN_REFETCH
            || matches!(self.source(url), KeySource::Registered)
        {
            return Ok(found);
        }
        let fresh = self.load(url).await?;
        Ok(pick(&fresh))
    }

    /// The key set of the provider at `url` and how long ago it was loaded (cached for
    /// [`KeySets::ttl`]).
    pub(crate) async fn keys(&self, url: &str) -> Result<(Arc<JwkSet>, Duration), KeySetError> {
        let id = ProviderUrl::parse(url).map_or(url, |u| u.without_scheme);
        if let Some(set) = lock(&self.registered).get(id) {
            return Ok((set.clone(), Duration::ZERO));
        }
        if let Some(c) = lock(&self.cache).get(id)
            && c.fetched.elapsed() < self.ttl
        {
            return Ok((c.keys.clone(), c.fetched.elapsed()));
        }
        Ok((self.load(url).await?, Duration::ZERO))
    }

    /// Loads the key set of the provider at `url` from its source and caches it.
    async fn load(&self, url: &str) -> Result<Arc<JwkSet>, KeySetError> {
        let keys = match self.source(url) {
            KeySource::Registered => {
                let id = ProviderUrl::parse(url).map_or(url, |u| u.without_scheme);
                return lock(&self.registered)
                    .get(id)
                    .cloned()
                    .ok_or_else(|| KeySetError::NoDirectory(url.to_string()));
            }
            KeySource::Loopback { discovery } => fetch_loopback(&discovery).await?,
            KeySource::File(path) => {
                let text = tokio::fs::read(&path)
                    .await
                    .map_err(|e| KeySetError::File {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                parse_key_set(&text).map_err(|reason| KeySetError::File { path, reason })?
            }
            KeySource::Unavailable => return Err(KeySetError::NoDirectory(url.to_string())),
        };
        let keys = Arc::new(keys);
        let id = ProviderUrl::parse(url).map_or(url, |u| u.without_scheme);
        lock(&self.cache).insert(
            id.to_string(),
            Cached {
                keys: keys.clone(),
                fetched: Instant::now(),
            },
        );
        Ok(keys)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads a JWKS document (`{"keys": [...]}`), keeping the public RSA and elliptic-curve
/// signing keys. Other keys (symmetric, encryption-only, unknown types) are left out
/// rather than failing the whole set.
pub(crate) fn parse_key_set(bytes: &[u8]) -> Result<JwkSet, String> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not a JSON key set: {e}"))?;
    let Some(Value::Array(items)) = doc.get("keys") else {
        return Err("not a JSON Web Key Set: no \"keys\" array".to_string());
    };
    let keys = items
        .iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
        .filter(|k| {
            matches!(
                k.algorithm,
                AlgorithmParameters::RSA(_) | AlgorithmParameters::EllipticCurve(_)
            ) && !matches!(k.common.public_key_use, Some(PublicKeyUse::Encryption))
        })
        .collect();
    Ok(JwkSet { keys })
}

/// Fetches discovery from a loopback issuer, then the key set at its `jwks_uri` (which must
/// be on loopback too).
async fn fetch_loopback(discovery: &str) -> Result<JwkSet, KeySetError> {
    let doc = http_get(discovery).await?;
    let doc: Value = serde_json::from_slice(&doc).map_err(|e| KeySetError::Http {
        url: discovery.to_string(),
        reason: format!("the discovery document is not JSON: {e}"),
    })?;
    let jwks_uri = doc
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or_else(|| KeySetError::Invalid(format!("{discovery} has no jwks_uri")))?;
    let body = http_get(jwks_uri).await?;
    parse_key_set(&body).map_err(|reason| KeySetError::Http {
        url: jwks_uri.to_string(),
        reason,
    })
}

/// A plain HTTP/1.1 GET of a loopback URL: `http://` only, and the host must resolve to
/// loopback addresses only. Returns the body of a 200 answer.
pub(crate) async fn http_get(url: &str) -> Result<Vec<u8>, KeySetError> {
    let fail = |reason: String| KeySetError::Http {
        url: url.to_string(),
        reason,
    };
    let parsed = ProviderUrl::parse(url).ok_or_else(|| fail("not an http:// URL".into()))?;
    if parsed.https || !parsed.is_loopback() {
        return Err(fail(
            "only http:// URLs on a loopback address are fetched".into(),
        ));
    }
    let host = parsed.host.trim_start_matches('[').trim_end_matches(']');
    let port = parsed.port.unwrap_or(80);
    let path = if parsed.path.is_empty() {
        "/"
    } else {
        parsed.path
    };
    let work = async {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| fail(e.to_string()))?
            .filter(|a| a.ip().is_loopback())
            .collect();
        let mut last = fail("the host has no loopback address".into());
        let mut stream = None;
        for addr in addrs {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = fail(e.to_string()),
            }
        }
        let stream = stream.ok_or(last)?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nUser-Agent: portcullis/{}\r\nConnection: close\r\n\r\n",
            parsed.without_scheme.split('/').next().unwrap_or(host),
            env!("CARGO_PKG_VERSION"),
        );
        write_all(&stream, request.as_bytes())
            .await
            .map_err(|e| fail(e.to_string()))?;
        let raw = read_to_end(&stream).await.map_err(fail)?;
        parse_response(&raw).map_err(fail)
    };
    tokio::time::timeout(HTTP_TIMEOUT, work)
        .await
        .map_err(|_| fail("timed out".into()))?
}

async fn write_all(stream: &tokio::net::TcpStream, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        stream.writable().await?;
        match stream.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn read_to_end(stream: &tokio::net::TcpStream) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        stream.readable().await.map_err(|e| e.to_string())?;
        match stream.try_read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => {
                out.extend_from_slice(&chunk[..n]);
                if out.len() > MAX_BODY + 16 * 1024 {
                    return Err("the answer is too large".into());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The body of an HTTP/1.x answer with status 200 (plain, `Content-Length` or chunked).
fn parse_response(raw: &[u8]) -> Result<Vec<u8>, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the answer has no header end")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "the answer's header is not text")?;
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let code = status.split_whitespace().nth(1).unwrap_or_default();
    if !status.starts_with("HTTP/1.") || code != "200" {
        return Err(format!("answered {status:?}"));
    }
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        }
    }
    let body = &raw[end + 4..];
    if chunked {
        return dechunk(body);
    }
    let body = match length {
        Some(n) if n <= body.len() => &body[..n],
        Some(_) => return Err("the answer ended early".into()),
        None => body,
    };
    if body.len() > MAX_BODY {
        return Err("the answer is too large".into());
    }
    Ok(body.to_vec())
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk has no size line")?;
        let size_text = std::str::from_utf8(&body[..line_end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size + 2 || out.len() + size > MAX_BODY {
            return Err("a chunk is cut short or too large".into());
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_JWK: &str = r#"{"kty":"RSA","kid":"k1","alg":"RS256","use":"sig","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"}"#;

    #[test]
    fn reads_provider_urls() {
        let u = ProviderUrl::parse("https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE").unwrap();
        assert!(u.https);
        assert_eq!(u.host, "oidc.eks.us-west-2.amazonaws.com");
        assert_eq!(u.port, None);
        assert_eq!(u.path, "/id/EXAMPLE");
        assert_eq!(
            u.without_scheme,
            "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"
        );
        assert!(u.is_acceptable());
        assert!(!u.is_loopback());

        let u = ProviderUrl::parse("http://127.0.0.1:4567").unwrap();
        assert_eq!((u.host, u.port, u.path), ("127.0.0.1", Some(4567), ""));
        assert!(u.is_loopback() && u.is_acceptable());
        let u = ProviderUrl::parse("http://[::1]:80/realm").unwrap();
        assert_eq!((u.host, u.port, u.path), ("[::1]", Some(80), "/realm"));
        assert!(u.is_loopback());
        assert!(ProviderUrl::parse("HTTPS://Example.com").unwrap().https);

        assert!(
            !ProviderUrl::parse("http://example.com")
                .unwrap()
                .is_acceptable()
        );
        assert!(
            !ProviderUrl::parse("http://10.0.0.1")
                .unwrap()
                .is_acceptable()
        );
        for bad in [
            "example.org",
            "ftp://example.org",
            "https://",
            "https://example.org/?a=b",
            "https://example.org#x",
            "https://user@example.org",
            "https://example.org:port",
            "https://exa mple.org",
        ] {
            assert!(ProviderUrl::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn knows_loopback_hosts() {
        for h in [
            "127.0.0.1",
            "127.1.2.3",
            "localhost",
            "LOCALHOST",
            "a.localhost",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "10.0.0.1",
            "example.com",
            "localhost.example.com",
            "0.0.0.0",
            "::",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn names_providers_and_key_files() {
        assert_eq!(
            provider_id("https://accounts.google.com"),
            Some("accounts.google.com")
        );
        assert_eq!(provider_id("http://127.0.0.1:9/x"), Some("127.0.0.1:9/x"));
        assert_eq!(provider_id("http://issuer.example.com"), None);
        assert_eq!(provider_id("issuer.example.com"), None);
        assert_eq!(
            key_file_name("token.actions.githubusercontent.com"),
            "token.actions.githubusercontent.com.json"
        );
        assert_eq!(
            key_file_name("oidc.example.com/realms/dev/"),
            "oidc.example.com_realms_dev.json"
        );
    }

    #[test]
    fn picks_the_source_of_a_key_set() {
        let none = KeySets::new(None);
        assert_eq!(
            none.source("https://idp.example.com"),
            KeySource::Unavailable
        );
        assert_eq!(
            none.source("http://127.0.0.1:8080/realm/"),
            KeySource::Loopback {
                discovery: "http://127.0.0.1:8080/realm/.well-known/openid-configuration".into()
            }
        );
        let dir = KeySets::new(Some(PathBuf::from("/keys")));
        assert_eq!(
            dir.source("https://idp.example.com/tenant"),
            KeySource::File(PathBuf::from("/keys/idp.example.com_tenant.json"))
        );
        dir.register("idp.example.com/tenant", JwkSet::default());
        assert_eq!(
            dir.source("https://idp.example.com/tenant"),
            KeySource::Registered
        );
    }

    #[test]
    fn reads_key_sets_and_skips_unknown_keys() {
        let text = format!(
            r#"{{"keys":[{RSA_JWK},{{"kty":"weird","kid":"x"}},{{"kty":"oct","kid":"h","k":"c2VjcmV0"}},{{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}},{{"kty":"EC","crv":"P-256","kid":"e1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}}]}}"#
        );
        let set = parse_key_set(text.as_bytes()).unwrap();
        assert_eq!(set.keys.len(), 2);
        assert!(set.find("k1").is_some() && set.find("e1").is_some());
        assert!(parse_key_set(b"[]").is_err());
        assert!(parse_key_set(b"{nope").is_err());
    }

    #[test]
    fn reads_http_answers() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}extra";
        assert_eq!(parse_response(plain).unwrap(), b"{}");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n5;x=y\r\n\":1}\n\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), b"{\"a\":1}\n");
        assert!(parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}").is_err());
        assert!(parse_response(b"garbage").is_err());
    }

    #[tokio::test]
    async fn reads_key_files_and_rereads_for_unknown_kids() {
        let dir = std::env::temp_dir().join(format!("portcullis-oidc-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("idp.example.com.json");
        std::fs::write(&file, r#"{"keys":[]}"#).unwrap();
        let sets = KeySets::open(Some(&dir)).unwrap();
        let url = "https://idp.example.com";
        assert!(sets.candidates(url, Some("k1")).await.unwrap().is_empty());
        std::fs::write(&file, format!(r#"{{"keys":[{RSA_JWK}]}}"#)).unwrap();
        // Within a second of the last read, the cached set answers.
        assert!(sets.candidates(url, Some("k1")).await.unwrap().is_empty());
        tokio::time::sleep(MIN_REFETCH).await;
        assert_eq!(sets.candidates(url, Some("k1")).await.unwrap().len(), 1);
        assert_eq!(sets.candidates(url, None).await.unwrap().len(), 1);
        assert!(matches!(
            sets.candidates("https://other.example.com", None).await,
            Err(KeySetError::File { .. })
        ));
        assert!(matches!(
            KeySets::new(None).candidates(url, None).await,
            Err(KeySetError::NoDirectory(_))
        ));
        assert!(KeySets::open(Some(&dir.join("missing"))).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn fetches_discovery_and_keys_from_a_loopback_issuer() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            for _ in 0..2 {
                let (stream, _) = listener.accept().await.unwrap();
                let request = read_request(&stream).await;
                let body = if request.starts_with("GET /realm/.well-known/openid-configuration ") {
                    format!(
                        r#"{{"issuer":"http://127.0.0.1:{port}/realm","jwks_uri":"http://127.0.0.1:{port}/realm/keys"}}"#
                    )
                } else {
                    assert!(request.starts_with("GET /realm/keys "), "{request}");
                    format!(r#"{{"keys":[{RSA_JWK}]}}"#)
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                write_all(&stream, answer.as_bytes()).await.unwrap();
            }
        });
        let sets = KeySets::new(None);
        let url = format!("http://127.0.0.1:{port}/realm");
        let keys = sets.candidates(&url, Some("k1")).await.unwrap();
        assert_eq!(keys.len(), 1);
        server.await.unwrap();
        // Cached: no further request (the server is gone).
        assert_eq!(sets.candidates(&url, Some("k1")).await.unwrap().len(), 1);
        // Nothing listens here any more.
        assert!(matches!(
            KeySets::new(None).candidates(&url, None).await,
            Err(KeySetError::Http { .. })
        ));
        assert!(http_get("http://example.com/").await.is_err());
        assert!(http_get("https://127.0.0.1/").await.is_err());
    }

    async fn read_request(stream: &tokio::net::TcpStream) -> String {
        let mut out = Vec::new();
        let mut buf = [0u8; 1024];
        while !out.windows(4).any(|w| w == b"\r\n\r\n") {
            stream.readable().await.unwrap();
            match stream.try_read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        }
        String::from_utf8(out).unwrap()
    }
}
