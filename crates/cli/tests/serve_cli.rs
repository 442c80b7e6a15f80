//! `portcullis serve` as a user runs it: what it says when it cannot start, and where it
//! keeps its store.

use std::process::{Command, Output, Stdio};

fn portcullis(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("PORTCULLIS_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("portcullis runs")
}

#[test]
fn a_bind_failure_is_reported_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = portcullis(&["serve", "--in-memory", "--listen", &addr]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("(os error").count(),
        1,
        "the error once, not twice: {stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.starts_with(&format!("portcullis: listening on {addr}: ")),
        "{stderr:?}"
    );
}

#[test]
fn a_data_directory_that_is_a_file_is_reported_once() {
    let file = std::env::temp_dir().join(format!("portcullis-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, "").unwrap();
    let out = portcullis(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        file.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("(os error").count(),
        1,
        "the error once, not twice: {stderr:?}"
    );
}

/// A `portcullis serve` started in the background, killed when dropped.
struct Running {
    child: std::process::Child,
    addr: String,
    banner: String,
}

impl Running {
    /// Starts `portcullis serve --dev ARGS` on a free port in `cwd` and waits for its banner.
    fn start(cwd: &std::path::Path, args: &[&str]) -> Running {
        use std::io::BufRead as _;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("PORTCULLIS_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .args(["serve", "--dev", "--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(cwd)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("portcullis starts");
        let stderr = child.stderr.take().expect("stderr");
        let (lines, banner_lines) = std::sync::mpsc::channel();
        // Drains standard error for as long as the server runs, so that it never blocks.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = String::new();
        let mut running = Running {
            child,
            addr: String::new(),
            banner: String::new(),
        };
        loop {
            let line = banner_lines
                .recv_timeout(std::time::Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("no banner ({e}); so far: {banner}"));
            banner.push_str(&line);
            banner.push('\n');
            if let Some(addr) = line.trim().strip_prefix("endpoint: http://") {
                running.addr = addr.to_string();
            }
            // The last line of the development-mode warning ends the banner.
            if line.contains("Never expose this server") {
                break;
            }
        }
        running.banner = banner;
        running
    }

    /// POSTs a Query API call, unsigned (`--dev`: the caller is the account's root);
    /// returns the status and the body.
    fn call(&self, body: &str) -> (u16, String) {
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect(&self.addr).expect("connects");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        write!(
            stream,
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("an answer");
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {response:?}"));
        (status, response)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_database_url_holds_the_store_across_a_restart() {
    let tmp = std::env::temp_dir().join(format!("portcullis-database-url-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let data = tmp.join("data");
    let database = tmp.join("store").join("portcullis.db");
    let absolute = format!("sqlite://{}", database.display());
    assert!(absolute.starts_with("sqlite:///"), "{absolute}");

    let first = Running::start(
        &tmp,
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--database-url",
            &absolute,
        ],
    );
    assert!(
        first
            .banner
            .contains(&format!("store:    sqlite ({})", database.display())),
        "{}",
        first.banner
    );
    assert!(
        first.banner.contains("root credentials (shown once"),
        "{}",
        first.banner
    );
    let (status, body) = first.call("Action=CreateUser&UserName=alice&Version=2010-05-08");
    assert_eq!(status, 200, "{body}");
    assert!(database.is_file(), "the database is where the URL says");
    assert!(
        !data.join("portcullis.db").exists(),
        "no database in the data directory"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&database), 0o600);
        assert_eq!(mode(database.parent().unwrap()), 0o700);
    }
    // Killed, not stopped: what was answered was committed.
    drop(first);

    // The same file by a relative URL, from the working folder.
    let second = Running::start(
        &tmp,
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--database-url",
            "sqlite://store/portcullis.db",
        ],
    );
    assert!(
        !second.banner.contains("root credentials (shown once"),
        "the account was kept: {}",
        second.banner
    );
    let (status, body) = second.call("Action=GetUser&UserName=alice&Version=2010-05-08");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<UserName>alice</UserName>"), "{body}");
    let (status, body) = second.call("Action=CreateUser&UserName=alice&Version=2010-05-08");
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("EntityAlreadyExists"), "{body}");
    drop(second);

    // `portcullis audit` reads the trail from the same store, given the same URL.
    let out = portcullis(&[
        "audit",
        "--data-dir",
        data.to_str().unwrap(),
        "--database-url",
        &absolute,
        "--event-name",
        "CreateUser",
        "--format",
        "json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a CloudTrail record per line"))
        .collect();
    assert_eq!(events.len(), 2, "{stdout}");
    assert!(
        events
            .iter()
            .any(|e| e["errorCode"] == "EntityAlreadyExists"),
        "{stdout}"
    );
    let without = portcullis(&["audit", "--data-dir", data.to_str().unwrap()]);
    assert!(
        !without.status.success(),
        "no database in the data directory"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn an_unsupported_database_url_is_refused() {
    let out = portcullis(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        std::env::temp_dir()
            .join(format!("portcullis-refused-url-{}", std::process::id()))
            .to_str()
            .unwrap(),
        "--database-url",
        "postgres://portcullis:hunter2@db.example.com/iam",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not supported yet"), "{stderr:?}");
    assert!(
        stderr.contains("sqlite://"),
        "the supported forms: {stderr:?}"
    );
    assert!(
        !stderr.contains("hunter2"),
        "no password repeated: {stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");

    let out = portcullis(&["serve", "--in-memory", "--database-url", "sqlite::memory:"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be used with"), "{stderr:?}");
}
