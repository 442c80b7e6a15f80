//! The audit trail: every request, allowed or denied, read or write, and every failed
//! authentication, becomes a CloudTrail record ([`record`]), kept append-only in the store
//! and, optionally, copied as JSON lines to a file ([`log`]). [`lookup`] answers
//! CloudTrail's LookupEvents; [`review`] turns the trail into least-privilege policies
//! and lists of unused permissions.
//!
//! # Durability contract
//!
//! A response is sent only after the event of its request is committed to the store. By
//! default the commit is written to SQLite's WAL file but synced to disk at most
//! [`SYNC_EVERY`] later: every answered request has its event after a crash of the
//! process (SIGKILL, a panic, the OOM killer), and after a crash of the machine every
//! request answered more than [`SYNC_EVERY`] before it. With `--audit-sync always` each
//! commit is synced before the answers wait for it, so a crash of the machine loses no
//! answered request's event either, at the cost of a disk sync per batch. A request cut
//! off before its answer may or may not have its event, and a write committed just before
//! a crash may lack its event (its client got no answer). Events are queued to one writer
//! ([`Trail`]) that commits whatever is waiting together (a group commit), so concurrent
//! requests share one commit; the queue is bounded, so a flood of requests waits for the
//! store rather than dropping events. The file copy is written after the commit and is
//! not synced: the store is the record of truth.

pub mod log;
pub mod lookup;
pub mod record;
pub mod review;

use crate::error::Error;
use crate::time::now_millis;
use log::LogFile;
use portcullis_store::{EventRecord, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How the audit trail is kept.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Record events (`--no-audit` turns this off, to measure what auditing costs; a
    /// server without it keeps no trail).
    pub enabled: bool,
    /// Also write each event as a JSON line to this file (`--audit-log`).
    pub log_file: Option<PathBuf>,
    /// Rotate the file when it grows past this many bytes (`FILE` → `FILE.1` → … →
    /// `FILE.N`, the oldest dropped).
    pub log_max_bytes: u64,
    /// How many rotated files to keep.
    pub log_keep: u32,
    /// Events older than this many days are pruned (`0`: kept forever).
    pub retention_days: u32,
    /// Sync each commit of events to disk before answering (`--audit-sync always`);
    /// otherwise commits are synced at most [`SYNC_EVERY`] later.
    pub sync_always: bool,
}

impl Default for AuditConfig {
    fn default() -> AuditConfig {
        AuditConfig {
            enabled: true,
            log_file: None,
            log_max_bytes: 100 * 1024 * 1024,
            log_keep: 5,
            retention_days: 90,
            sync_always: false,
        }
    }
}

/// How many events wait for the writer at most; further requests wait their turn.
const QUEUE: usize = 16_384;

/// How many events one commit takes at most.
const BATCH: usize = 2_048;

/// How often committed events are synced to disk, at most, when commits are not.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// How often retention runs.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

struct Submission {
    event: EventRecord,
    done: oneshot::Sender<()>,
}

/// The writer of the audit trail (see the durability contract above).
pub struct Trail {
    /// `None` when auditing is off.
    queue: Option<mpsc::Sender<Submission>>,
}

impl Trail {
    /// Starts the writer (and, with a retention, the pruner) on the current runtime.
    pub fn start(store: Arc<dyn Store>, config: &AuditConfig) -> Result<Trail, Error> {
        if !config.enabled {
            return Ok(Trail { queue: None });
        }
        let log = match &config.log_file {
            Some(path) => Some(LogFile::open(
                path.clone(),
                config.log_max_bytes,
                config.log_keep,
            )?),
            None => None,
        };
        let (queue, receiver) = mpsc::channel(QUEUE);
        let unsynced = Arc::new(AtomicBool::new(false));
        tokio::spawn(write_events(store.clone(), receiver, log, unsynced.clone()));
        if !config.sync_always {
            let store = store.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(SYNC_EVERY).await;
                    if unsynced.swap(false, Ordering::AcqRel)
                        && let Err(e) = store.sync_events().await
                    {
                        unsynced.store(true, Ordering::Release);
                        tracing::warn!(error = %e, "could not sync audit events to disk");
                    }
                }
            });
        }
        if config.retention_days > 0 {
            let keep = i64::from(config.retention_days) * 86_400_000;
            tokio::spawn(async move {
                loop {
                    match store.prune_events(now_millis() - keep).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(events = n, "pruned audit events past retention"),
                        Err(e) => tracing::warn!(error = %e, "could not prune audit events"),
                    }
                    tokio::time::sleep(PRUNE_EVERY).await;
                }
            });
        }
        Ok(Trail { queue: Some(queue) })
    }

    /// True when events are recorded.
    pub fn enabled(&self) -> bool {
        self.queue.is_some()
    }

    /// Records an event; returns once it is committed durably.
    pub async fn record(&self, event: EventRecord) -> Result<(), Error> {
        let Some(queue) = &self.queue else {
            return Ok(());
        };
        let (done, committed) = oneshot::channel();
        let stopped = || Error::aws("ServiceUnavailable", "The audit trail is not available.");
        queue
            .send(Submission { event, done })
            .await
            .map_err(|_| stopped())?;
        committed.await.map_err(|_| stopped())
    }
}

/// The writer: takes whatever is queued, commits it in one transaction (retrying until
/// the store takes it: an event is never dropped), copies it to the log file, then
/// releases the requests waiting for it.
async fn write_events(
    store: Arc<dyn Store>,
    mut receiver: mpsc::Receiver<Submission>,
    mut log: Option<LogFile>,
    unsynced: Arc<AtomicBool>,
) {
    let mut events = Vec::with_capacity(BATCH);
    let mut waiting = Vec::with_capacity(BATCH);
    while let Some(first) = receiver.recv().await {
        events.push(first.event);
        waiting.push(first.done);
        while events.len() < BATCH {
            match receiver.try_recv() {
                Ok(s) => {
                    events.push(s.event);
                    waiting.push(s.done);
                }
                Err(_) => break,
            }
        }
        let mut delay = Duration::from_millis(50);
        while let Err(e) = store.append_events(&events).await {
            tracing::error!(error = %e, events = events.len(), "could not commit audit events; retrying");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
        unsynced.store(true, Ordering::Release);
        if let Some(log) = &mut log
            && let Err(e) = log.append(&events)
        {
            tracing::warn!(error = %e, "could not write the audit log file");
        }
        events.clear();
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

/// A new event ID in the UUID form CloudTrail uses: a random per-process prefix and a
/// counter, so that making one costs no system call.
pub fn event_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static BASE: OnceLock<u128> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = *BASE.get_or_init(|| u128::from_le_bytes(crate::secrets::random_bytes::<16>()));
    let n = u128::from(COUNTER.fetch_add(1, Ordering::Relaxed));
    uuid::Builder::from_random_bytes((base ^ n).to_le_bytes())
        .into_uuid()
        .to_string()
}
