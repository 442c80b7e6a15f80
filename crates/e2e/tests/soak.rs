//! A bounded soak on loopback: 64 clients mixing reads and writes, with client-side
//! timeouts and connections reset in the middle of requests, beside clients that trickle
//! their headers and clients that ask for oversized simulations. Throughout, health must
//! answer and tell the truth; at the end every acknowledged write is present, the store
//! takes writes, and the server's memory stayed under [`RSS_BOUND_MB`].
//!
//! `PORTCULLIS_SOAK_SECONDS` sets its length (default 45).

mod common;

use common::*;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The most resident memory the server may use during the soak, in MiB (its audit
/// journal alone maps 64 MiB).
const RSS_BOUND_MB: u64 = 512;

/// Clients of mixed reads and writes.
const CLIENTS: u64 = 64;

/// A small random-number generator (xorshift), seeded per client.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = unique_suffix()
            .bytes()
            .fold(0x9E37_79B9_7F4A_7C15u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
            });
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The server's resident memory in MiB.
fn rss_mb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// What the clients saw.
#[derive(Default)]
struct Tally {
    acknowledged: Mutex<BTreeSet<String>>,
    answered: AtomicU64,
    gave_up: AtomicU64,
    reset: AtomicU64,
    server_errors: AtomicU64,
}

/// One client: requests on a keep-alive connection until `until`, some given up
/// (a client-side timeout of a few milliseconds), some reset right after they are sent.
async fn client(server: Arc<Server>, id: u64, until: Instant, tally: Arc<Tally>) {
    let mut rng = Rng::new();
    let mut n = 0u64;
    let mut tcp: Option<TcpStream> = None;
    while Instant::now() < until {
        n += 1;
        let name = format!("soak-{id}-{n}");
        let body = match rng.below(10) {
            0..=3 => "Action=ListUsers&Version=2010-05-08&MaxItems=20".to_string(),
            4 => "Action=GetAccountSummary&Version=2010-05-08".to_string(),
            5 => format!(
                "Action=TagUser&Version=2010-05-08&UserName=soak-base&Tags.member.1.Key=k{id}&Tags.member.1.Value={n}"
            ),
            _ => format!("Action=CreateUser&Version=2010-05-08&UserName={name}"),
        };
        let request = raw_post(&signed_query_headers(&server, &body), &body);
        let mut conn = match tcp.take() {
            Some(c) => c,
            None => match TcpStream::connect(server.addr).await {
                Ok(c) => c,
                Err(_) => continue,
            },
        };
        if conn.write_all(&request).await.is_err() {
            continue;
        }
        match rng.below(10) {
            // Reset right after sending.
            0 => {
                let _ = conn.set_zero_linger();
                tally.reset.fetch_add(1, Ordering::Relaxed);
            }
            // Give up after a few milliseconds, or wait as a patient client does.
            pick => {
                let limit = if pick == 1 {
                    Duration::from_millis(1 + rng.below(10))
                } else {
                    Duration::from_secs(30)
                };
                match read_answer(&mut conn, limit).await {
                    Some((status, text)) => {
                        tally.answered.fetch_add(1, Ordering::Relaxed);
                        if status >= 500 {
                            tally.server_errors.fetch_add(1, Ordering::Relaxed);
                            eprintln!("a 5xx answer to {body}: {status} {text}");
                        } else if status == 200 && body.starts_with("Action=CreateUser") {
                            tally.acknowledged.lock().unwrap().insert(name);
                        }
                        tcp = Some(conn);
                    }
                    None => {
                        let _ = conn.set_zero_linger();
                        tally.gave_up.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }
}

/// A client that sends a request's headers a byte at a time, over and over.
async fn trickler(addr: SocketAddr, until: Instant) {
    while Instant::now() < until {
        let Ok(mut tcp) = TcpStream::connect(addr).await else {
            continue;
        };
        for byte in b"GET /_portcullis/health HTTP/1.1\r\nhost: x\r\nx-slow: aaaaaaaaaaaaaaaaaaaaa"
        {
            if Instant::now() >= until || tcp.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// A client that asks for simulations of many actions on many resources.
async fn simulator(server: Arc<Server>, until: Instant, tally: Arc<Tally>) {
    let policy = percent_encode(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    let mut body =
        format!("Action=SimulateCustomPolicy&Version=2010-05-08&PolicyInputList.member.1={policy}");
    for a in 1..=100 {
        body.push_str(&format!("&ActionNames.member.{a}=s3%3AGetObject{a}"));
    }
    for r in 1..=1_000 {
        body.push_str(&format!(
            "&ResourceArns.member.{r}=arn%3Aaws%3As3%3A%3A%3Abucket%2Fkey-{r}"
        ));
    }
    while Instant::now() < until {
        let request = raw_post(&signed_query_headers(&server, &body), &body);
        let Ok(mut tcp) = TcpStream::connect(server.addr).await else {
            continue;
        };
        if tcp.write_all(&request).await.is_err() {
            continue;
        }
        match read_answer(&mut tcp, Duration::from_secs(30)).await {
            Some((status, text)) => {
                assert!(
                    text.len() < 8 << 20,
                    "a simulation answer of {} bytes",
                    text.len()
                );
                if status >= 500 {
                    tally.server_errors.fetch_add(1, Ordering::Relaxed);
                    eprintln!("a 5xx answer to a simulation: {status} {text}");
                }
            }
            None => {
                tally.gave_up.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_clients_that_misbehave_lose_no_acknowledged_write() {
    let seconds: u64 = std::env::var("PORTCULLIS_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(45);
    let dir = TempDir::new("soak");
    let server = Arc::new(Server::start_with(Options {
        storage: Storage::DataDir(dir.path().to_path_buf()),
        env: vec![("PORTCULLIS_HEADER_READ_TIMEOUT".into(), "3".into())],
        ..Options::default()
    }));
    let iam = iam(&server);
    iam.create_user()
        .user_name("soak-base")
        .send()
        .await
        .expect("CreateUser");
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tally = Arc::new(Tally::default());

    // Health, checked all along: it must answer, and say ok only while writes go through.
    let running = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (addr, running) = (server.addr, running.clone());
        let pid = server.pid();
        tokio::spawn(async move {
            let (mut checks, mut peak) = (0u64, 0u64);
            while running.load(Ordering::Relaxed) {
                let health = tokio::task::spawn_blocking(move || {
                    http_request(addr, "GET", "/_portcullis/health", &[], b"")
                })
                .await
                .expect("health task")
                .expect("health answers");
                assert_eq!(health.status, 200, "{}", health.text());
                assert!(health.text().contains(r#""store":"ok""#));
                checks += 1;
                peak = peak.max(rss_mb(pid));
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            (checks, peak)
        })
    };

    let mut tasks = Vec::new();
    for id in 0..CLIENTS {
        tasks.push(tokio::spawn(client(
            server.clone(),
            id,
            until,
            tally.clone(),
        )));
    }
    for _ in 0..8 {
        tasks.push(tokio::spawn(trickler(server.addr, until)));
    }
    for _ in 0..2 {
        tasks.push(tokio::spawn(simulator(
            server.clone(),
            until,
            tally.clone(),
        )));
    }
    for t in tasks {
        t.await.expect("a client task");
    }
    running.store(false, Ordering::Relaxed);
    let (checks, peak) = watcher.await.expect("health watcher");

    // Every acknowledged CreateUser is there.
    let mut listed = BTreeSet::new();
    let mut pages = iam.list_users().into_paginator().send();
    while let Some(page) = pages.next().await {
        for user in page.expect("ListUsers").users() {
            listed.insert(user.user_name().to_string());
        }
    }
    let acknowledged = tally.acknowledged.lock().unwrap().clone();
    let missing: Vec<_> = acknowledged.difference(&listed).collect();
    assert!(missing.is_empty(), "acknowledged but missing: {missing:?}");
    // A write after the soak (a group: the users may have reached their quota of 5,000,
    // which the clients' CreateUser calls then answer with LimitExceeded).
    iam.create_group()
        .group_name("after-the-soak")
        .send()
        .await
        .expect("a write after the soak");
    let peak = peak.max(rss_mb(server.pid()));
    eprintln!(
        "soak: {seconds} s, {} answered, {} acknowledged users, {} given up, {} reset, {checks} health checks, peak RSS {peak} MiB",
        tally.answered.load(Ordering::Relaxed),
        acknowledged.len(),
        tally.gave_up.load(Ordering::Relaxed),
        tally.reset.load(Ordering::Relaxed),
    );
    assert_eq!(tally.server_errors.load(Ordering::Relaxed), 0);
    assert!(peak < RSS_BOUND_MB, "peak RSS {peak} MiB");
    assert!(checks > seconds, "health was checked {checks} times");
    let log = server.log();
    assert!(!log.contains("within a transaction"), "{log}");
    assert!(!log.contains("ERROR"), "{log}");
}
