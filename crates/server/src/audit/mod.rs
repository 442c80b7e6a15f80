//! The audit trail: every request, allowed or denied, read or write, and every failed
//! authentication, becomes a CloudTrail record ([`record`]), kept append-only in the store
//! and, optionally, copied as JSON lines to a file ([`log`]). [`lookup`] answers
//! CloudTrail's LookupEvents; [`review`] turns the trail into least-privilege policies
//! and lists of unused permissions.
//!
//! # Durability contract
//!
//! With a data directory, a response is sent only after the event of its request is
//! copied into the audit journal ([`journal`]), a file in the data directory mapped into
//! memory (the kernel's copy of the file): every answered request has its event after a
//! crash of the process (SIGKILL, a panic, the OOM killer). The journal is synced to disk
//! at most [`SYNC_EVERY`] later, so a crash of the machine keeps every request answered
//! more than [`SYNC_EVERY`] before it; with `--audit-sync always` the answers wait for
//! that sync too (one sync serves every request waiting for it), so a crash of the machine
//! loses no answered request's event either.
//! Events move from the journal to the store in the background, in large batches, and
//! whatever a crash leaves in the journal is moved at the next start. The queue of events
//! not yet in the store is bounded ([`MAX_BEHIND`]): when the store falls that far behind,
//! requests wait for it rather than events being dropped. Lookups wait until the events
//! recorded before them are in the store, so a lookup sees every request answered before
//! it. A request cut off before its answer may or may not have its event. In memory
//! (`--in-memory`) there is no journal and nothing survives the process. The file copy
//! (`--audit-log`) is written after the store commit and is not synced: the store is the
//! record of truth.

pub mod journal;
pub mod log;
pub mod lookup;
pub mod record;
pub mod review;

use crate::error::Error;
use crate::time::now_millis;
use journal::Journal;
use log::LogFile;
use portcullis_store::{EventBatch, EventRecord, Store};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, watch};

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
    /// Sync the journal to disk before answering (`--audit-sync always`); otherwise it is
    /// synced at most [`SYNC_EVERY`] later.
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

/// How many events may wait to be moved to the store; further requests wait their turn.
pub const MAX_BEHIND: u64 = 65_536;

/// How often the journal is synced to disk, at most, when answers do not wait for it.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// How long the mover lets events gather before it takes them to the store (a lookup
/// cuts it short): each commit has a cost of its own, whatever it holds.
const GATHER: Duration = Duration::from_millis(50);

/// The largest batch buffer kept for the next batch (a burst's larger buffer is freed).
const SPARE_BYTES: usize = 16 * 1024 * 1024;

/// How often retention runs.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The events recorded and not yet moved to the store.
struct Queue {
    batch: EventBatch,
    /// The buffer of the batch the mover took last, emptied, to be the next batch.
    spare: Option<EventBatch>,
    /// The number of the last event recorded (events are numbered from 1).
    last: u64,
    /// `None` in memory.
    journal: Option<Journal>,
}

/// What the requests, the mover and the syncer share.
struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the mover.
    recorded: Notify,
    /// Tells the mover not to wait for more events (a lookup waits for it).
    hurry: Notify,
    /// The number of the last event in the store.
    moved: watch::Sender<u64>,
    /// With `--audit-sync always`: wakes the syncer, and the number of the last event
    /// synced to disk.
    sync: Option<(Notify, watch::Sender<u64>)>,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The writer of the audit trail (see the durability contract above).
pub struct Trail {
    /// `None` when auditing is off.
    shared: Option<Arc<Shared>>,
}

fn stopped() -> Error {
    Error::aws("ServiceUnavailable", "The audit trail is not available.")
}

/// Waits until `watched` reaches `target`.
async fn reach(watched: &watch::Sender<u64>, target: u64) -> Result<(), Error> {
    if *watched.borrow() >= target {
        return Ok(());
    }
    watched
        .subscribe()
        .wait_for(|n| *n >= target)
        .await
        .map(|_| ())
        .map_err(|_| stopped())
}

impl Trail {
    /// Moves what a crash left in the journal of `data_dir` to the store, then starts the
    /// mover, the syncer and (with a retention) the pruner on the current runtime.
    pub async fn start(
        store: Arc<dyn Store>,
        data_dir: Option<&Path>,
        config: &AuditConfig,
    ) -> Result<Trail, Error> {
        if !config.enabled {
            return Ok(Trail { shared: None });
        }
        let log = match &config.log_file {
            Some(path) => Some(LogFile::open(
                path.clone(),
                config.log_max_bytes,
                config.log_keep,
            )?),
            None => None,
        };
        let journal = match data_dir {
            Some(dir) => {
                let start = journal::recover(dir, store.as_ref()).await?;
                Some(Journal::open(dir, start)?)
            }
            None => None,
        };
        let durable = journal.is_some();
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                batch: EventBatch::default(),
                spare: None,
                last: 0,
                journal,
            }),
            recorded: Notify::new(),
            hurry: Notify::new(),
            moved: watch::Sender::new(0),
            sync: (durable && config.sync_always).then(|| (Notify::new(), watch::Sender::new(0))),
        });
        tokio::spawn(move_events(store.clone(), shared.clone(), log));
        if durable {
            tokio::spawn(sync_journal(shared.clone()));
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
        Ok(Trail {
            shared: Some(shared),
        })
    }

    /// True when events are recorded.
    pub fn enabled(&self) -> bool {
        self.shared.is_some()
    }

    /// Records an event; returns once it is durable as the contract above says.
    pub async fn record(&self, event: EventRecord) -> Result<(), Error> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let line = event.line();
        let (seq, first, slot) = {
            let mut queue = shared.queue();
            let mut slot = None;
            if let Some(journal) = &mut queue.journal {
                let reserved = journal.reserve(line.len())?;
                queue.batch.journal_end = Some(journal.end());
                // When answers wait for the sync, the line must be in the journal before
                // the syncer can count it as synced: it is copied while the journal is held.
                match shared.sync {
                    Some(_) => reserved.write(&line),
                    None => slot = Some(reserved),
                }
            }
            let first = queue.batch.count == 0;
            queue.batch.push_line(&line, event.time);
            queue.last += 1;
            (queue.last, first, slot)
        };
        if let Some(slot) = slot {
            slot.write(&line);
        }
        if first {
            shared.recorded.notify_one();
        }
        if let Some((wake, synced)) = &shared.sync {
            wake.notify_one();
            reach(synced, seq).await?;
        }
        if seq > MAX_BEHIND {
            reach(&shared.moved, seq - MAX_BEHIND).await?;
        }
        Ok(())
    }

    /// Returns once every event recorded so far is in the store.
    pub async fn flush(&self) -> Result<(), Error> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let last = shared.queue().last;
        if *shared.moved.borrow() < last {
            shared.hurry.notify_one();
        }
        reach(&shared.moved, last).await
    }
}

/// The mover: takes whatever is queued, appends it to the store in large batches
/// (retrying until the store takes it: an event is never dropped), copies it to the log
/// file, and removes the journal segments that are wholly in the store (after the store
/// has synced them).
async fn move_events(store: Arc<dyn Store>, shared: Arc<Shared>, mut log: Option<LogFile>) {
    loop {
        shared.recorded.notified().await;
        // Let a batch gather: one wake-up and one commit serve many requests. Events
        // recorded during a commit wake the mover again at once, and it waits again.
        tokio::select! {
            () = tokio::time::sleep(GATHER) => {}
            () = shared.hurry.notified() => {}
        }
        let (batch, last, closed) = {
            let mut queue = shared.queue();
            if queue.batch.count == 0 {
                continue;
            }
            let last = queue.last;
            let next = queue.spare.take().unwrap_or_default();
            let batch = std::mem::replace(&mut queue.batch, next);
            let closed = match (&mut queue.journal, batch.journal_end) {
                (Some(journal), Some(end)) => journal.take_closed(end),
                _ => Vec::new(),
            };
            (batch, last, closed)
        };
        let mut delay = Duration::from_millis(50);
        while let Err(e) = store.append_events(&batch).await {
            tracing::error!(error = %e, events = batch.count, "could not commit audit events; retrying");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
        if let Some(log) = &mut log
            && let Err(e) = log.append(batch.each_line().map(EventRecord::body_of_line))
        {
            tracing::warn!(error = %e, "could not write the audit log file");
        }
        shared.moved.send_replace(last);
        if batch.lines.capacity() <= SPARE_BYTES {
            shared.queue().spare = Some(batch.emptied());
        }
        if !closed.is_empty() {
            remove_segments(store.as_ref(), closed).await;
        }
    }
}

/// Removes journal segments whose events are all committed to the store, once the store
/// has synced them (a segment that cannot be removed now is moved again, harmlessly, at
/// the next start).
async fn remove_segments(store: &dyn Store, segments: Vec<PathBuf>) {
    if let Err(e) = store.sync_events().await {
        tracing::warn!(error = %e, "could not sync audit events; journal segments kept");
        return;
    }
    for path in segments {
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!(error = %e, segment = %path.display(), "could not remove an audit journal segment");
        }
    }
}

/// The syncer: with `--audit-sync always`, syncs the journal (the segment being written,
/// and those closed since the last sync, which it cuts first) whenever requests wait for
/// it (one sync for all of them); otherwise every [`SYNC_EVERY`] when it grew. Then it
/// prepares the next segment when none is ready, so that requests never wait for one
/// to be created.
async fn sync_journal(shared: Arc<Shared>) {
    let mut synced = 0;
    loop {
        match &shared.sync {
            Some((wake, _)) => wake.notified().await,
            None => tokio::time::sleep(SYNC_EVERY).await,
        }
        let (upkeep, last, wanted) = {
            let mut queue = shared.queue();
            let last = queue.last;
            let Some(journal) = &mut queue.journal else {
                return;
            };
            let upkeep = (last != synced).then(|| journal.upkeep());
            (upkeep, last, journal.wants_segment())
        };
        if let Some(mut upkeep) = upkeep {
            let run = move || {
                let done = upkeep.run();
                (upkeep, done)
            };
            match tokio::task::spawn_blocking(run).await {
                Ok((_, Ok(()))) => {
                    synced = last;
                    if let Some((_, done)) = &shared.sync {
                        done.send_replace(last);
                    }
                }
                Ok((upkeep, Err(e))) => {
                    tracing::error!(error = %e, "could not sync the audit journal; retrying");
                    if let Some(journal) = &mut shared.queue().journal {
                        journal.give_back(upkeep);
                    }
                    if let Some((wake, _)) = &shared.sync {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        wake.notify_one();
                    }
                }
                Err(e) => tracing::error!(error = %e, "the audit journal sync stopped"),
            }
        }
        if let Some(folder) = wanted {
            match tokio::task::spawn_blocking(move || journal::prepare(&folder)).await {
                Ok(Ok(prepared)) => {
                    if let Some(journal) = &mut shared.queue().journal {
                        journal.offer(prepared);
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "could not prepare the next audit journal segment");
                }
                Err(e) => tracing::error!(error = %e, "the audit journal sync stopped"),
            }
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
