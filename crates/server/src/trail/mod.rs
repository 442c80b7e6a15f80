//! The audit trail's storage: every event ([`crate::audit::record`] writes it) kept
//! append-only in the store and, optionally, copied as JSON lines to a file ([`log`]).
//!
//! # Durability contract
//!
//! With a data directory, a response is sent only after the event of its request is
//! copied into the audit journal ([`journal`]), a file in the data directory mapped into
//! memory (the kernel's copy of the file): every answered request has its event after a
//! crash of the process (SIGKILL, a panic, the OOM killer). Events move from the journal
//! to the store in the background, in batches gathered for [`GATHER`], and the store
//! syncs each batch to disk as it commits it; whenever the store has not taken every
//! event recorded [`SYNC_EVERY`]` / 2` before, the journal is synced to disk instead. So a
//! crash of the machine keeps every request answered more than [`SYNC_EVERY`] before it;
//! with `--audit-sync always` the answers wait for a sync of the journal too (one sync
//! serves every request waiting for it), so a crash of the machine loses no answered
//! request's event either. Whatever a crash leaves in the journal is moved at the next
//! start. The queue of events not yet in the store is bounded ([`MAX_BEHIND`], and the
//! journal's size): when the store falls that far behind, requests wait for it rather
//! than events being dropped. Lookups wait until the events recorded before them are in
//! the store, so a lookup sees every request answered before it. A request cut off before
//! its answer may or may not have its event. In memory (`--in-memory`) there is no
//! journal and nothing survives the process. The file copy (`--audit-log`) is written
//! after the store commit and is not synced: the store is the record of truth.

use portcullis_protocol::CommonErrorCode;
pub(crate) mod journal;
pub(crate) mod log;

use crate::error::Error;
use crate::time::now_millis;
use journal::{Entry, Journal};
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
    /// synced at most `SYNC_EVERY` later.
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
pub(crate) const MAX_BEHIND: u64 = 65_536;

/// When answers do not wait for a sync: the longest an answered request's event may be
/// only in memory (in the kernel's copy of the journal or the store).
pub(crate) const SYNC_EVERY: Duration = Duration::from_secs(1);

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
    /// The number of the last event in the store.
    moved: u64,
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
    /// Where the last batch in the store ends in the journal: a request waiting for room
    /// in the journal waits for it to change.
    room: watch::Sender<i64>,
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
pub(crate) struct Trail {
    /// `None` when auditing is off.
    shared: Option<Arc<Shared>>,
}

fn stopped() -> Error {
    Error::aws(
        CommonErrorCode::ServiceUnavailable,
        "The audit trail is not available.",
    )
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
    pub(crate) async fn start(
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
        let ring = journal.as_ref().map(Journal::file);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                batch: EventBatch::default(),
                spare: None,
                last: 0,
                moved: 0,
                journal,
            }),
            recorded: Notify::new(),
            hurry: Notify::new(),
            moved: watch::Sender::new(0),
            room: watch::Sender::new(0),
            sync: (ring.is_some() && config.sync_always)
                .then(|| (Notify::new(), watch::Sender::new(0))),
        });
        tokio::spawn(move_events(store.clone(), shared.clone(), log));
        if let Some(ring) = ring {
            tokio::spawn(sync_journal(shared.clone(), ring));
        }
        if config.retention_days > 0 {
            let keep = i64::from(config.retention_days) * portcullis_time::MILLIS_PER_DAY;
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
    pub(crate) fn enabled(&self) -> bool {
        self.shared.is_some()
    }

    /// Records an event, given as its line ([`EventColumns::write_line`]) and its time;
    /// returns once it is durable as the contract above says.
    ///
    /// [`EventColumns::write_line`]: portcullis_store::EventColumns::write_line
    pub(crate) async fn record(&self, line: &[u8], time: i64) -> Result<(), Error> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let entry = Entry::new(line);
        let mut room: Option<watch::Receiver<i64>> = None;
        let (seq, first, behind) = loop {
            let recorded = {
                let mut queue = shared.queue();
                let journaled = match &mut queue.journal {
                    Some(journal) => journal.append(&entry)?.map(Some),
                    None => Some(None),
                };
                journaled.map(|end| {
                    if end.is_some() {
                        queue.batch.journal_end = end;
                    }
                    let first = queue.batch.count == 0;
                    queue.batch.push_line(line, time);
                    queue.last += 1;
                    (queue.last, first, queue.last - queue.moved > MAX_BEHIND)
                })
            };
            match recorded {
                Some(recorded) => break recorded,
                // The journal is full of events the store has not taken yet: wait for it
                // to take more (watching from before the next try, so as not to miss it).
                None => match &mut room {
                    Some(room) => {
                        shared.recorded.notify_one();
                        shared.hurry.notify_one();
                        room.changed().await.map_err(|_| stopped())?;
                    }
                    None => room = Some(shared.room.subscribe()),
                },
            }
        };
        if first {
            shared.recorded.notify_one();
        }
        if let Some((wake, synced)) = &shared.sync {
            wake.notify_one();
            reach(synced, seq).await?;
        }
        if behind {
            reach(&shared.moved, seq - MAX_BEHIND).await?;
        }
        Ok(())
    }

    /// Returns once every event recorded so far is in the store.
    pub(crate) async fn flush(&self) -> Result<(), Error> {
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
/// (retrying until the store takes it: an event is never dropped), lets the journal's room
/// be written again, and copies the events to the log file.
async fn move_events(store: Arc<dyn Store>, shared: Arc<Shared>, mut log: Option<LogFile>) {
    loop {
        shared.recorded.notified().await;
        // Let a batch gather: one wake-up and one commit serve many requests. Events
        // recorded during a commit wake the mover again at once, and it waits again.
        tokio::select! {
            () = tokio::time::sleep(GATHER) => {}
            () = shared.hurry.notified() => {}
        }
        let (batch, last) = {
            let mut queue = shared.queue();
            if queue.batch.count == 0 {
                continue;
            }
            let next = queue.spare.take().unwrap_or_default();
            (std::mem::replace(&mut queue.batch, next), queue.last)
        };
        let mut delay = Duration::from_millis(50);
        while let Err(e) = store.append_events(&batch).await {
            tracing::error!(error = %e, events = batch.count, "could not commit audit events; retrying");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
        {
            let mut queue = shared.queue();
            queue.moved = last;
            if let (Some(journal), Some(end)) = (&mut queue.journal, batch.journal_end) {
                journal.free(end);
            }
        }
        if let Some(end) = batch.journal_end {
            shared.room.send_replace(end);
        }
        shared.moved.send_replace(last);
        if let Some(log) = &mut log
            && let Err(e) = log.append(batch.each_line().map(EventRecord::body_of_line))
        {
            tracing::warn!(error = %e, "could not write the audit log file");
        }
        if batch.lines.capacity() <= SPARE_BYTES {
            shared.queue().spare = Some(batch.emptied());
        }
    }
}

/// The syncer of the journal's file, `ring`. With `--audit-sync always`, it syncs the
/// journal whenever requests wait for it (one sync for all of them). Otherwise it looks
/// every half [`SYNC_EVERY`] and syncs the journal when the store has not yet taken every
/// event recorded at its previous look.
async fn sync_journal(shared: Arc<Shared>, ring: Arc<std::fs::File>) {
    let mut noted = 0;
    let mut synced = 0;
    loop {
        match &shared.sync {
            Some((wake, _)) => wake.notified().await,
            None => tokio::time::sleep(SYNC_EVERY / 2).await,
        }
        let last = shared.queue().last;
        if shared.sync.is_none() {
            // Is everything recorded at the last look on disk, in the store or by a sync?
            let behind = (*shared.moved.borrow()).max(synced) < noted;
            noted = last;
            if !behind {
                continue;
            }
        }
        let file = ring.clone();
        match tokio::task::spawn_blocking(move || file.sync_data()).await {
            Ok(Ok(())) => {
                synced = last;
                if let Some((_, done)) = &shared.sync {
                    done.send_replace(last);
                }
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "could not sync the audit journal; retrying");
                if let Some((wake, _)) = &shared.sync {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    wake.notify_one();
                }
            }
            Err(e) => tracing::error!(error = %e, "the audit journal sync stopped"),
        }
    }
}
