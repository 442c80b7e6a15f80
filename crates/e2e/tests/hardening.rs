//! Hardening against clients that misbehave, on raw sockets: connections reset in the
//! middle of a write, bursts of clients that time out, a store that cannot write, slow and
//! idle connections, too many connections, and requests that never finish.

mod common;

use common::*;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A server with these extra `PORTCULLIS_*` settings, in memory or on `data_dir`.
fn server_with(data_dir: Option<&TempDir>, env: &[(&str, &str)]) -> Server {
    Server::start_with(Options {
        storage: match data_dir {
            Some(dir) => Storage::DataDir(dir.path().to_path_buf()),
            None => Storage::InMemory,
        },
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Options::default()
    })
}

/// Sends `request` on a new connection and resets the connection (`SO_LINGER` 0) right
/// after, without reading the answer.
async fn send_and_reset(addr: SocketAddr, request: Vec<u8>) {
    let Ok(mut tcp) = TcpStream::connect(addr).await else {
        return;
    };
    let _ = tcp.set_zero_linger();
    let _ = tcp.write_all(&request).await;
}

/// Waits up to `limit` for the server to close `tcp`; true when it did.
async fn closed_within(tcp: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let wait = async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, wait).await.is_ok()
}

/// The server writes: CreateUser answers, and health says the store is fine.
async fn assert_writable(server: &Server, name: &str) {
    let iam = iam(server);
    iam.create_user()
        .user_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateUser {name}: {e:?}\n{}", server.log()));
    let health = server.health();
    assert_eq!(health.status, 200, "{}", health.text());
    assert!(
        health.text().contains(r#""store":"ok""#),
        "{}",
        health.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_cut_off_by_a_reset_leave_the_store_writable() {
    let dir = TempDir::new("reset-writes");
    let server = server_with(Some(&dir), &[]);
    assert_writable(&server, "victim").await;
    for round in 0..20 {
        let body = format!(
            "Action=TagUser&Version=2010-05-08&UserName=victim&Tags.member.1.Key=round&Tags.member.1.Value={round}"
        );
        let request = raw_post(&signed_query_headers(&server, &body), &body);
        let sends: Vec<_> = (0..100)
            .map(|_| tokio::spawn(send_and_reset(server.addr, request.clone())))
            .collect();
        for s in sends {
            s.await.expect("send task");
        }
        assert_writable(&server, &format!("after-round-{round}")).await;
    }
    let log = server.log();
    assert!(!log.contains("within a transaction"), "{log}");
    assert!(!log.contains("database is locked"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_clients_that_time_out_leaves_the_store_writable() {
    let dir = TempDir::new("timeouts");
    let server = server_with(Some(&dir), &[]);
    assert_writable(&server, "target").await;
    let addr = server.addr;
    let until = Instant::now() + Duration::from_secs(3);
    let clients: Vec<_> = (0..200u64)
        .map(|client| {
            let body = format!(
                "Action=TagUser&Version=2010-05-08&UserName=target&Tags.member.1.Key=c{client}&Tags.member.1.Value=v"
            );
            let request = raw_post(&signed_query_headers(&server, &body), &body);
            tokio::spawn(async move {
                let mut sent = 0u64;
                while Instant::now() < until {
                    let Ok(mut tcp) = TcpStream::connect(addr).await else {
                        continue;
                    };
                    // Keep-alive requests, each given a client-side timeout of 1 to 20 ms;
                    // a timed-out client resets its connection.
                    loop {
                        sent += 1;
                        if tcp.write_all(&request).await.is_err() {
                            break;
                        }
                        let limit = Duration::from_millis(1 + (client * 7 + sent) % 20);
                        if read_answer(&mut tcp, limit).await.is_none() {
                            let _ = tcp.set_zero_linger();
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    for c in clients {
        c.await.expect("client task");
    }
    assert_writable(&server, "after-the-burst").await;
    let log = server.log();
    assert!(!log.contains("within a transaction"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_a_store_that_cannot_write() {
    use sqlx::Connection;
    let dir = TempDir::new("locked");
    let server = server_with(Some(&dir), &[]);
    assert_eq!(server.health().status, 200);
    // Another process takes the database's write lock and keeps it.
    let mut other = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        dir.path().join("portcullis.db").display()
    ))
    .await
    .expect("opening the database");
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .expect("taking the write lock");
    let addr = server.addr;
    let health = tokio::task::spawn_blocking(move || {
        http_request(addr, "GET", "/_portcullis/health", &[], b"").expect("health")
    })
    .await
    .expect("health task");
    assert_eq!(health.status, 503, "{}", health.text());
    assert!(
        health.text().contains(r#""status":"degraded""#),
        "{}",
        health.text()
    );
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut other)
        .await
        .expect("letting the lock go");
    assert_writable(&server, "after-the-lock").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_idle_connections_are_closed() {
    let server = server_with(
        None,
        &[
            ("PORTCULLIS_HEADER_READ_TIMEOUT", "2"),
            ("PORTCULLIS_IDLE_TIMEOUT", "3"),
        ],
    );
    let addr = server.addr;
    // Clients that trickle their headers a byte at a time, and one that sends nothing.
    let mut trickles = Vec::new();
    for _ in 0..50 {
        trickles.push(tokio::spawn(async move {
            let mut tcp = TcpStream::connect(addr).await.expect("connect");
            let started = Instant::now();
            let head = b"GET /_portcullis/health HTTP/1.1\r\nhost: x\r\nx-slow: ";
            for byte in head.iter().chain(std::iter::repeat(&b'a')) {
                if tcp.write_all(&[*byte]).await.is_err() || started.elapsed().as_secs() > 10 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            started.elapsed()
        }));
    }
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    // The server keeps answering meanwhile.
    let health = tokio::task::spawn_blocking(move || {
        http_request(addr, "GET", "/_portcullis/health", &[], b"").expect("health")
    })
    .await
    .expect("health task");
    assert_eq!(health.status, 200);
    for t in trickles {
        let held = t.await.expect("trickle task");
        assert!(
            held < Duration::from_secs(6),
            "a trickling client was held {held:?}"
        );
    }
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await);

    // A keep-alive connection is closed once it has been idle for the idle timeout.
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /_portcullis/health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("request");
    let answer = read_answer(&mut idle, Duration::from_secs(5)).await;
    assert_eq!(answer.map(|a| a.0), Some(200));
    let waited = Instant::now();
    assert!(closed_within(&mut idle, Duration::from_secs(8)).await);
    assert!(
        waited.elapsed() >= Duration::from_millis(1_500),
        "closed too soon"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_answered_503() {
    let server = server_with(None, &[("PORTCULLIS_MAX_CONNECTIONS", "20")]);
    let addr = server.addr;
    let mut held = Vec::new();
    for _ in 0..20 {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        // A complete first request makes sure the server has taken the connection.
        tcp.write_all(b"GET /_portcullis/health HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .expect("request");
        assert_eq!(
            read_answer(&mut tcp, Duration::from_secs(5))
                .await
                .map(|a| a.0),
            Some(200)
        );
        held.push(tcp);
    }
    let mut extra = TcpStream::connect(addr).await.expect("connect");
    extra
        .write_all(b"GET /_portcullis/health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("request");
    let (status, body) = read_answer(&mut extra, Duration::from_secs(5))
        .await
        .expect("an answer past the cap");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("<Code>ServiceUnavailable</Code>"), "{body}");
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_writable(&server, "after-the-cap").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_time_limit_is_answered_503() {
    let server = server_with(None, &[("PORTCULLIS_REQUEST_TIMEOUT", "2")]);
    let body = "Action=ListUsers&Version=2010-05-08";
    let mut tcp = TcpStream::connect(server.addr).await.expect("connect");
    // The headers promise more body than ever comes.
    let mut request = String::from("POST / HTTP/1.1\r\n");
    for (n, v) in signed_query_headers(&server, body) {
        request.push_str(&format!("{n}: {v}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\n\r\n", body.len() + 10));
    request.push_str(body);
    tcp.write_all(request.as_bytes()).await.expect("request");
    let started = Instant::now();
    let (status, text) = read_answer(&mut tcp, Duration::from_secs(10))
        .await
        .expect("an answer");
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("<Code>ServiceUnavailable</Code>"), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(1_500));
    assert_writable(&server, "after-the-timeout").await;
}

#[test]
fn the_data_directory_is_its_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let parent = TempDir::new("modes");
    let dir = parent.path().join("data");
    let audit_log = parent.path().join("audit.jsonl");
    let server = Server::start_with(Options {
        storage: Storage::DataDir(dir.clone()),
        root: None,
        env: vec![(
            "PORTCULLIS_AUDIT_LOG".into(),
            audit_log.display().to_string(),
        )],
    });
    // A write, so that the WAL, the journal and the audit log have content.
    let created = http_request(
        server.addr,
        "POST",
        "/",
        &signed_query_headers(&server, "Action=CreateUser&Version=2010-05-08&UserName=m"),
        b"Action=CreateUser&Version=2010-05-08&UserName=m",
    )
    .expect("CreateUser");
    assert_eq!(created.status, 200, "{}", created.text());
    std::thread::sleep(Duration::from_millis(1_500));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let mut seen = Vec::new();
    let mut folders = vec![dir.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                folders.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                seen.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    for name in [
        "portcullis.db",
        "portcullis.db-wal",
        "ring",
        "server-key",
        "root-credentials",
    ] {
        assert!(seen.iter().any(|s| s == name), "{name} in {seen:?}");
    }
    assert_eq!(mode(&audit_log), 0o600);
}

#[test]
fn twenty_starts_on_one_data_directory_log_no_warning() {
    let dir = TempDir::new("starts");
    let root = Credentials::generate();
    for start in 0..20 {
        let server = Server::start_on(dir.path(), &root);
        // The pruner runs at start; give it its moment beside the bootstrap's writes.
        std::thread::sleep(Duration::from_millis(100));
        let log = server.log();
        assert!(!log.contains("WARN"), "start {start}:\n{log}");
        assert!(!log.contains("ERROR"), "start {start}:\n{log}");
    }
}
