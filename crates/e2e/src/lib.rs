//! A small harness for the end-to-end tests of Portcullis: it starts the real `portcullis`
//! binary on a free port with generated root credentials, waits until it is healthy, and
//! kills it when dropped. It also has a minimal HTTP/1.1 client (for requests the AWS SDK
//! would never send) and a few text helpers for the Query protocol's XML.
//!
//! Only `std` is used here, so that `cargo build` of the workspace does not build the AWS
//! SDK: the SDK is a dev-dependency of the tests in `tests/`.
//!
//! The binary is `$PORTCULLIS_BIN` when set, else `<workspace>/target/debug/portcullis`
//! (build it first with `cargo build -p portcullis`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The account every server of these tests serves.
pub const ACCOUNT_ID: &str = "123456789012";

/// How long a server may take to start and answer its health check.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The `portcullis` binary under test.
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("PORTCULLIS_BIN") {
        return PathBuf::from(p);
    }
    // crates/e2e → the workspace root.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest
        .parent()
        .and_then(Path::parent)
        .expect("crates/e2e sits two levels below the workspace root");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"));
    target.join("debug").join("portcullis")
}

// ---------------------------------------------------------------------------------------
// Randomness (no crate): RandomState is seeded from the OS for each instance.
// ---------------------------------------------------------------------------------------

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.write_u32(std::process::id());
    h.finish()
}

/// `len` random characters from `alphabet`.
pub fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut r = random_u64();
        for _ in 0..8 {
            if out.len() == len {
                break;
            }
            out.push(alphabet[(r % alphabet.len() as u64) as usize] as char);
            r /= alphabet.len() as u64;
        }
    }
    out
}

/// A lower-case random suffix for unique names.
pub fn unique_suffix() -> String {
    random_string(b"abcdefghijklmnopqrstuvwxyz0123456789", 10)
}

/// Root credentials in AWS's shapes: a 20-character `AKIA…` key ID and a 40-character secret.
#[derive(Clone)]
pub struct Credentials {
    /// The access key ID.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Fresh random credentials.
    pub fn generate() -> Credentials {
        Credentials {
            access_key_id: format!(
                "AKIA{}",
                random_string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
            ),
            secret_access_key: random_string(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                40,
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Temporary directories
// ---------------------------------------------------------------------------------------

/// A directory under the system temp dir, removed (with its contents) on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a new, empty directory.
    pub fn new(label: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "portcullis-e2e-{label}-{}-{}",
            std::process::id(),
            unique_suffix()
        ));
        std::fs::create_dir_all(&path).expect("creating a temporary directory");
        TempDir { path }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

/// Where a server keeps its data.
#[derive(Debug, Clone)]
pub enum Storage {
    /// `--in-memory`.
    InMemory,
    /// `--data-dir DIR` (the directory outlives the server).
    DataDir(PathBuf),
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Options {
    /// In memory or in a data directory.
    pub storage: Storage,
    /// Root credentials given through `PORTCULLIS_ROOT_ACCESS_KEY_ID` and
    /// `PORTCULLIS_ROOT_SECRET_ACCESS_KEY`; `None` lets the server generate (or reuse) them.
    pub root: Option<Credentials>,
    /// More environment variables for the server.
    pub env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            storage: Storage::InMemory,
            root: Some(Credentials::generate()),
            env: Vec::new(),
        }
    }
}

/// A running `portcullis serve`, killed on drop.
pub struct Server {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The root credentials of account 123456789012, when the test knows them (given to
    /// the server, or printed by it on a first start).
    pub root: Option<Credentials>,
    /// Everything the server wrote to stderr so far (banner and logs).
    log: Arc<Mutex<String>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("pid", &self.child.id())
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// An in-memory server with fresh root credentials.
    pub fn start() -> Server {
        Server::start_with(Options::default())
    }

    /// A server on `data_dir` with these root credentials.
    pub fn start_on(data_dir: &Path, root: &Credentials) -> Server {
        Server::start_with(Options {
            storage: Storage::DataDir(data_dir.to_path_buf()),
            root: Some(root.clone()),
            env: Vec::new(),
        })
    }

    /// A server started with `options`. It listens on `127.0.0.1:0` (a free port the
    /// kernel picks) and the harness reads the port from the banner, so parallel tests
    /// never race for a port. Panics (with the server's output) if it does not become
    /// healthy in time.
    pub fn start_with(options: Options) -> Server {
        let bin = binary();
        assert!(
            bin.exists(),
            "{} does not exist: run `cargo build -p portcullis` first, or set PORTCULLIS_BIN",
            bin.display()
        );
        let mut cmd = Command::new(&bin);
        cmd.arg("serve").arg("--listen").arg("127.0.0.1:0");
        match &options.storage {
            Storage::InMemory => {
                cmd.arg("--in-memory");
            }
            Storage::DataDir(dir) => {
                cmd.arg("--data-dir").arg(dir);
            }
        }
        // A clean environment as far as Portcullis is concerned.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("PORTCULLIS_") {
                cmd.env_remove(k);
            }
        }
        if let Some(root) = &options.root {
            cmd.env("PORTCULLIS_ROOT_ACCESS_KEY_ID", &root.access_key_id);
            cmd.env("PORTCULLIS_ROOT_SECRET_ACCESS_KEY", &root.secret_access_key);
        }
        cmd.env("RUST_LOG", "warn");
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));

        // Read stderr on a thread for the whole life of the process (so the pipe never
        // fills up), and hand the banner's endpoint line over.
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let stderr = child.stderr.take().expect("stderr is piped");
        let log_writer = log.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        log_writer
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push_str(&line);
                        let _ = tx.send(line.clone());
                    }
                }
            }
        });

        let deadline = Instant::now() + START_TIMEOUT;
        let mut addr: Option<SocketAddr> = None;
        let mut printed_root: (Option<String>, Option<String>) = (None, None);
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let t = line.trim();
                    if let Some(rest) = t.strip_prefix("endpoint:") {
                        let host = rest.trim().trim_start_matches("http://");
                        addr = host.parse().ok();
                    } else if let Some(v) = t.strip_prefix("AWS_ACCESS_KEY_ID=") {
                        printed_root.0 = Some(v.to_string());
                    } else if let Some(v) = t.strip_prefix("AWS_SECRET_ACCESS_KEY=") {
                        printed_root.1 = Some(v.to_string());
                    }
                    // The banner ends with the mode line, or with the credentials when
                    // the server made some.
                    let done = addr.is_some()
                        && (t.starts_with("AWS_SECRET_ACCESS_KEY=")
                            || (t.starts_with("mode:") && options.root.is_some()));
                    if done {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        panic!(
                            "portcullis exited early ({status}):\n{}",
                            log.lock().unwrap_or_else(|p| p.into_inner())
                        );
                    }
                    // Without given credentials a restarted server prints no credentials:
                    // the banner is complete once the mode line has come.
                    if addr.is_some() {
                        let text = log.lock().unwrap_or_else(|p| p.into_inner()).clone();
                        if text.contains("mode:") {
                            break;
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "portcullis printed no endpoint within {START_TIMEOUT:?}:\n{}",
                log.lock().unwrap_or_else(|p| p.into_inner())
            );
        };
        let root = options.root.clone().or(match printed_root {
            (Some(access_key_id), Some(secret_access_key)) => Some(Credentials {
                access_key_id,
                secret_access_key,
            }),
            _ => None,
        });
        let mut server = Server {
            child,
            addr,
            endpoint: format!("http://{addr}"),
            root,
            log,
        };
        server.wait_healthy(deadline);
        server
    }

    fn wait_healthy(&mut self, deadline: Instant) {
        loop {
            if let Ok(r) = http_request(self.addr, "GET", "/_portcullis/health", &[], b"")
                && r.status == 200
                && r.text().contains("\"status\":\"ok\"")
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("portcullis exited ({status}):\n{}", self.log());
            }
            if Instant::now() > deadline {
                panic!("portcullis is not healthy:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The root credentials (panics if the test does not know them).
    pub fn root(&self) -> &Credentials {
        self.root.as_ref().expect("root credentials are known")
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The health document (`GET /_portcullis/health`).
    pub fn health(&self) -> HttpResponse {
        http_request(self.addr, "GET", "/_portcullis/health", &[], b"").expect("health check")
    }

    /// Kills the process at once (SIGKILL on Unix) and waits for it to be gone.
    pub fn kill(mut self) {
        self.kill_now();
    }

    fn kill_now(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill_now();
    }
}

// ---------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client
// ---------------------------------------------------------------------------------------

/// An HTTP response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The text of the first `<tag>` of the body.
    pub fn xml(&self, tag: &str) -> Option<String> {
        xml_text(&self.text(), tag)
    }
}

/// Sends one request on a new connection (`Connection: close`) and reads the response.
/// `headers` are sent exactly as given, in order, after `Host` unless they contain one;
/// `Content-Length` is added for a body. `target` is the path with its query.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<HttpResponse> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not an HTTP response: {:?}",
                String::from_utf8_lossy(&raw[..raw.len().min(200)])
            ),
        )
    })
}

fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some((n.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        let mut out = Vec::new();
        let mut pos = 0;
        loop {
            let line_end = pos + rest[pos..].windows(2).position(|w| w == b"\r\n")?;
            let size_text = std::str::from_utf8(&rest[pos..line_end]).ok()?;
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            pos = line_end + 2;
            if size == 0 {
                break;
            }
            out.extend_from_slice(rest.get(pos..pos + size)?);
            pos += size + 2;
        }
        out
    } else {
        match headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok())
        {
            Some(len) => rest.get(..len)?.to_vec(),
            None => rest.to_vec(),
        }
    };
    Some(HttpResponse {
        status,
        headers,
        body,
    })
}

// ---------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------

/// The text of the first `<tag>…</tag>` in `xml`, with the five XML entities decoded.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// Decodes `%XX` escapes (IAM returns policy documents URL-encoded). `+` stays a `+`.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but the RFC 3986 unreserved characters (for form bodies and
/// query strings).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A form body (`application/x-www-form-urlencoded`) from pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// True when `needle` occurs anywhere in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_have_aws_shapes() {
        let c = Credentials::generate();
        assert_eq!(c.access_key_id.len(), 20);
        assert!(c.access_key_id.starts_with("AKIA"));
        assert!(
            c.access_key_id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        assert_eq!(c.secret_access_key.len(), 40);
        assert_ne!(
            Credentials::generate().secret_access_key,
            c.secret_access_key
        );
    }

    #[test]
    fn parses_plain_and_chunked_responses() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokxx").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
        let r = parse_response(
            b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (403, &b"abcde"[..]));
    }

    #[test]
    fn text_helpers() {
        assert_eq!(
            xml_text("<a><Code>X&amp;Y</Code></a>", "Code").as_deref(),
            Some("X&Y")
        );
        assert_eq!(percent_decode("%7B%22a%22%3A1%7D+"), "{\"a\":1}+");
        assert_eq!(percent_encode("a b/~"), "a%20b%2F~");
        assert_eq!(
            form(&[("Action", "ListRoles"), ("X", "a=b")]),
            "Action=ListRoles&X=a%3Db"
        );
        assert!(contains_bytes(b"hello world", b"o w"));
    }
}
