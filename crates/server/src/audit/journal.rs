//! The audit journal: events appended, one line each ([`EventRecord::line`]), to segment
//! files in `DATA_DIR/audit-journal/` before their requests are answered, then moved to
//! the store in the background.
//!
//! A segment is a file of [`SEGMENT_BYTES`] reserved on disk when it is created and
//! mapped into memory: appending a line is a copy into the mapping, with no system call.
//! The mapping shares the kernel's copy of the file, so a line survives the death of the
//! process as soon as it is copied (an answered request's event is never lost), and a
//! sync of the file writes it to disk. The part of a segment not yet written reads as
//! zero bytes, which no line holds (JSON writes a NUL as `\u0000`); a segment is cut to
//! its length when it is closed or the journal is dropped. A request reserves its line's
//! range while holding the journal and copies the line into it afterwards ([`Slot`]), so
//! a crash can leave zeros between whole lines too, which readers skip.
//!
//! Offsets in the journal count bytes from its first segment ever, across restarts: a
//! segment is named after the offset it starts at, and each batch the store takes records
//! the offset it ends at ([`EventBatch::journal_end`]). A segment is closed (cut to its
//! length, no longer written, and synced with the next sync of the journal) when the next
//! line does not fit, and removed once every event in it is in the store and the store
//! has synced them. At start-up, [`recover`] moves to the
//! store exactly the lines past the store's journal end, so no event is lost or stored
//! twice.

use crate::error::Error;
use memmap2::{MmapMut, MmapOptions};
use portcullis_store::{EventBatch, EventRecord, Store};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The folder of the segments, inside the data directory.
pub const FOLDER: &str = "audit-journal";

/// The size of a segment (larger only for a line that would not fit in one).
const SEGMENT_BYTES: i64 = 64 * 1024 * 1024;

/// How many recovered events go to the store in one batch.
const RECOVERY_BATCH: usize = 4_096;

/// A segment file: where it starts in the journal, and its path.
struct Segment {
    start: i64,
    path: PathBuf,
}

/// The segments of `data_dir`, oldest first.
fn segments(data_dir: &Path) -> Result<Vec<Segment>, Error> {
    let folder = data_dir.join(FOLDER);
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("reading {}", folder.display()), e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("reading {}", folder.display()), e))?;
        if let Some(start) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.strip_suffix(".jsonl"))
            .and_then(|n| n.parse::<i64>().ok())
        {
            found.push(Segment {
                start,
                path: entry.path(),
            });
        }
    }
    found.sort_by_key(|s| s.start);
    Ok(found)
}

/// The whole lines of a segment's bytes, without their newlines, each with the offset just
/// past it (counted from the segment's start). Zero bytes were never written: a segment
/// ends with them until it is cut, and a crash can leave them where a request had
/// reserved a line and not finished copying it (see [`Slot`]), so whatever precedes zero
/// bytes on a line is not part of it. A line cut short by a crash is not a whole line,
/// and the piece of one that follows zero bytes does not read as an event.
fn written_lines(bytes: &[u8]) -> impl Iterator<Item = (&[u8], usize)> {
    let mut start = 0;
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(move |(newline, _)| {
            let piece = &bytes[start..newline];
            start = newline + 1;
            let line = piece
                .iter()
                .rposition(|b| *b == 0)
                .map_or(piece, |zero| &piece[zero + 1..]);
            (line, newline + 1)
        })
        .filter(|(line, _)| !line.is_empty())
}

/// What the segments of `data_dir` hold past offset `from`: the events, in batches, each
/// with the offset it ends at; and the offset where the journal ends.
fn read_past(data_dir: &Path, from: i64) -> Result<(Vec<EventBatch>, i64), Error> {
    let mut batches = Vec::new();
    let mut end = from;
    for segment in segments(data_dir)? {
        let bytes = match std::fs::read(&segment.path) {
            Ok(bytes) => bytes,
            // A running server removed it: its events are in the store.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(format!("reading {}", segment.path.display()), e)),
        };
        let mut batch = EventBatch::default();
        for (line, past) in written_lines(&bytes) {
            let line_start = segment.start + (past - line.len() - 1) as i64;
            if line_start < from {
                continue;
            }
            match EventRecord::from_line(line) {
                Some(event) => {
                    batch.push_line(&event.line(), event.time);
                    batch.journal_end = Some(segment.start + past as i64);
                }
                None => {
                    tracing::warn!(segment = %segment.path.display(), "skipped a damaged audit journal line")
                }
            }
            if batch.count == RECOVERY_BATCH {
                batches.push(std::mem::take(&mut batch));
            }
        }
        if batch.count > 0 {
            batches.push(batch);
        }
        let written = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        end = end.max(segment.start + written as i64);
    }
    Ok((batches, end))
}

/// The events a running server has journaled but not yet moved to `store` (for a reader
/// of the data directory beside the server), oldest first.
pub async fn pending(data_dir: &Path, store: &dyn Store) -> Result<Vec<EventRecord>, Error> {
    let from = store.journal_end().await?.unwrap_or(0);
    let (batches, _) = read_past(data_dir, from)?;
    Ok(batches
        .iter()
        .flat_map(|b| b.each_line().filter_map(EventRecord::from_line))
        .collect())
}

/// Moves what the segments of `data_dir` hold past the store's journal end into `store`,
/// removes them, and returns the offset a new segment starts at (at start-up).
pub async fn recover(data_dir: &Path, store: &dyn Store) -> Result<i64, Error> {
    let from = store.journal_end().await?.unwrap_or(0);
    let (batches, end) = read_past(data_dir, from)?;
    for batch in &batches {
        store.append_events(batch).await?;
    }
    store.sync_events().await?;
    for segment in segments(data_dir)? {
        std::fs::remove_file(&segment.path)
            .map_err(|e| Error::io(format!("removing {}", segment.path.display()), e))?;
    }
    let prepared = data_dir.join(FOLDER).join(PREPARED);
    match std::fs::remove_file(&prepared) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Error::io(format!("removing {}", prepared.display()), e));
        }
        _ => {}
    }
    Ok(end)
}

/// The segment being written, the one prepared to follow it, and the closed ones whose
/// events may not all be in the store yet.
///
/// What costs system calls (creating, reserving and mapping a segment; unmapping, cutting
/// and syncing a closed one) is done by the syncer through [`Journal::upkeep`] and
/// [`prepare`], without holding the journal: requests wait for the journal, and a
/// segment change made in their path held it for milliseconds.
pub struct Journal {
    folder: PathBuf,
    segment: Open,
    start: i64,
    size: i64,
    /// The next segment, made ready ahead of need under the name [`PREPARED`].
    prepared: Option<Open>,
    closed: Vec<(i64, PathBuf)>,
    /// Closed segments not yet cut to their length and synced, oldest first.
    unfinished: Vec<Closed>,
}

/// The name a segment is created under before it is needed; it is renamed after the
/// offset it starts at when it becomes the segment being written.
const PREPARED: &str = "prepared.segment";

/// A segment file and its mapping.
struct Open {
    file: Arc<File>,
    map: Arc<Mapping>,
}

/// A segment's mapping, shared by the journal and the requests copying their lines into
/// it (each into the range it reserved, [`Slot`]).
struct Mapping {
    map: MmapMut,
    base: *mut u8,
}

// SAFETY: the mapping is written only through `base`, by the holders of disjoint ranges
// (slots), and never read in this process; `MmapMut` itself is `Send` and `Sync`.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    fn len(&self) -> usize {
        self.map.len()
    }
}

/// The range of the journal reserved for one line ([`Journal::reserve`]): the line is
/// copied into it without holding the journal, so that a page fault in the copy (a new
/// page of the file) holds up only its own request.
pub struct Slot {
    map: Arc<Mapping>,
    at: usize,
    len: usize,
}

impl Slot {
    /// Copies `line`, of the length reserved, into the journal.
    pub fn write(self, line: &[u8]) {
        assert_eq!(
            line.len(),
            self.len,
            "a line fills the slot reserved for it"
        );
        // SAFETY: `at..at + len` lies within the mapping (checked by `reserve`), which
        // the `Arc` keeps mapped, and no other slot covers any of it.
        unsafe {
            std::ptr::copy_nonoverlapping(line.as_ptr(), self.map.base.add(self.at), self.len);
        }
    }
}

/// A closed segment: its file, its mapping until it is cut, and the length it is cut to.
pub struct Closed {
    file: Arc<File>,
    map: Option<Arc<Mapping>>,
    size: i64,
}

impl Closed {
    /// Waits for the lines still being copied into the segment, unmaps it and cuts it to
    /// the length of what it holds (a crash before this leaves zeros after its last
    /// line, which readers skip).
    fn cut(&mut self) -> std::io::Result<()> {
        if let Some(map) = self.map.take() {
            while Arc::strong_count(&map) > 1 {
                std::thread::sleep(std::time::Duration::from_micros(50));
            }
        }
        self.file.set_len(self.size as u64)
    }
}

/// A segment made ready by [`prepare`], for [`Journal::offer`].
pub struct Prepared(Open);

/// Creates, reserves and maps the next segment of the journal in `folder` under the name
/// [`PREPARED`] (by the syncer, without holding the journal).
pub fn prepare(folder: &Path) -> Result<Prepared, Error> {
    open_segment(&folder.join(PREPARED), SEGMENT_BYTES).map(Prepared)
}

/// The syncer's work for one sync of the journal, done without holding it: the closed
/// segments are cut and synced, oldest first, then the segment being written is synced
/// (a sync of a file writes what was copied into its mapping).
pub struct Upkeep {
    closed: Vec<Closed>,
    file: Arc<File>,
}

impl Upkeep {
    /// Does the work. On an error, what is left undone stays in the upkeep, to be given
    /// back to the journal ([`Journal::give_back`]).
    pub fn run(&mut self) -> std::io::Result<()> {
        while let Some(closed) = self.closed.first_mut() {
            closed.cut()?;
            closed.file.sync_data()?;
            self.closed.remove(0);
        }
        self.file.sync_data()
    }
}

impl Journal {
    /// Opens a new segment in `data_dir`, starting at offset `start` (from [`recover`]).
    pub fn open(data_dir: &Path, start: i64) -> Result<Journal, Error> {
        let folder = data_dir.join(FOLDER);
        std::fs::create_dir_all(&folder)
            .map_err(|e| Error::io(format!("creating {}", folder.display()), e))?;
        let segment = open_segment(&segment_path(&folder, start), SEGMENT_BYTES)?;
        Ok(Journal {
            folder,
            segment,
            start,
            size: 0,
            prepared: None,
            closed: Vec::new(),
            unfinished: Vec::new(),
        })
    }

    /// Reserves the next `length` bytes of the journal for a line, closing the segment
    /// first when the line does not fit; the journal now ends past them.
    pub fn reserve(&mut self, length: usize) -> Result<Slot, Error> {
        if self.size + length as i64 > self.segment.map.len() as i64 {
            self.close_segment(length as i64)?;
        }
        let at = self.size as usize;
        self.size += length as i64;
        Ok(Slot {
            map: self.segment.map.clone(),
            at,
            len: length,
        })
    }

    /// Appends `line` (reserves its range and copies it there); returns the offset where
    /// the journal now ends (the tests' way of writing; requests copy outside the lock).
    #[cfg(test)]
    fn append(&mut self, line: &[u8]) -> Result<i64, Error> {
        self.reserve(line.len())?.write(line);
        Ok(self.end())
    }

    /// The offset where the journal ends.
    pub fn end(&self) -> i64 {
        self.start + self.size
    }

    /// Closes the segment being written and moves on to the prepared one, renamed after
    /// its offset (or, when none is ready or the line of `needed` bytes would not fit in
    /// it, to a new one). The closed segment is cut and synced by the next upkeep
    /// ([`Journal::upkeep`]), not here, where requests wait.
    fn close_segment(&mut self, needed: i64) -> Result<(), Error> {
        let end = self.end();
        let path = segment_path(&self.folder, end);
        let next = match self.prepared.take() {
            Some(prepared) if prepared.map.len() as i64 >= needed => {
                std::fs::rename(self.folder.join(PREPARED), &path)
                    .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
                prepared
            }
            unused => {
                self.prepared = unused;
                open_segment(&path, needed.max(SEGMENT_BYTES))?
            }
        };
        let Open { file, map } = std::mem::replace(&mut self.segment, next);
        self.unfinished.push(Closed {
            file,
            map: Some(map),
            size: self.size,
        });
        self.closed
            .push((end, segment_path(&self.folder, self.start)));
        self.start = end;
        self.size = 0;
        Ok(())
    }

    /// Takes the work of a sync (see [`Upkeep`]): every line appended so far is on disk
    /// once it has run.
    pub fn upkeep(&mut self) -> Upkeep {
        Upkeep {
            closed: std::mem::take(&mut self.unfinished),
            file: self.segment.file.clone(),
        }
    }

    /// Takes back what an upkeep that failed left undone, to be done by the next.
    pub fn give_back(&mut self, upkeep: Upkeep) {
        let later = std::mem::replace(&mut self.unfinished, upkeep.closed);
        self.unfinished.extend(later);
    }

    /// The folder to [`prepare`] the next segment in, when none is ready.
    pub fn wants_segment(&self) -> Option<PathBuf> {
        self.prepared.is_none().then(|| self.folder.clone())
    }

    /// Takes a segment made ready by [`prepare`] as the next one.
    pub fn offer(&mut self, prepared: Prepared) {
        if self.prepared.is_none() {
            self.prepared = Some(prepared.0);
        }
    }

    /// Takes the closed segments that end at or before offset `end`.
    pub fn take_closed(&mut self, end: i64) -> Vec<PathBuf> {
        let done = self.closed.iter().take_while(|(e, _)| *e <= end).count();
        self.closed.drain(..done).map(|(_, p)| p).collect()
    }
}

impl Drop for Journal {
    /// Cuts the segment being written and the closed ones not cut yet to what they hold
    /// (a crash leaves them at full size, zeros after the last line, which readers skip),
    /// and removes the prepared segment. The mappings, dropped next, are not touched again.
    fn drop(&mut self) {
        let unfinished = std::mem::take(&mut self.unfinished);
        let current = Closed {
            file: self.segment.file.clone(),
            map: None,
            size: self.size,
        };
        for mut closed in unfinished.into_iter().chain([current]) {
            if let Err(e) = closed.cut() {
                tracing::warn!(error = %e, "could not cut an audit journal segment");
            }
        }
        if self.prepared.take().is_some()
            && let Err(e) = std::fs::remove_file(self.folder.join(PREPARED))
        {
            tracing::warn!(error = %e, "could not remove the prepared audit journal segment");
        }
    }
}

fn segment_path(folder: &Path, start: i64) -> PathBuf {
    folder.join(format!("{start:020}.jsonl"))
}

/// Creates the segment file `path`, reserves `bytes` for it on disk (so that writing
/// into the mapping cannot fail for want of space) and maps it.
fn open_segment(path: &Path, bytes: i64) -> Result<Open, Error> {
    let failed = |e| Error::io(format!("creating {}", path.display()), e);
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)
        .map_err(failed)?;
    reserve(&file, bytes).map_err(failed)?;
    // SAFETY: the file was just created by this process, which alone writes it; it is
    // cut only past every range reserved in it, so no write falls beyond its end; other
    // processes (the `portcullis audit` command) only read it.
    let mut map =
        unsafe { MmapOptions::new().len(bytes as usize).map_mut(&file) }.map_err(failed)?;
    // Without this, the kernel's read-ahead for faults on the mapping takes the fault
    // at each 8 MiB of the segment as the cue to fill the next megabytes, which held
    // the journal for 1 to 19 ms each time (measured on ext4, Linux 6.18); page by
    // page, each fault costs microseconds.
    #[cfg(unix)]
    map.advise(memmap2::Advice::Random).map_err(failed)?;
    let base = map.as_mut_ptr();
    Ok(Open {
        file: Arc::new(file),
        map: Arc::new(Mapping { map, base }),
    })
}

/// Gives `file` a size of `bytes`, allocated on disk, so that writing into its mapping
/// cannot fail for want of space (which would kill the process).
#[cfg(target_os = "linux")]
fn reserve(file: &File, bytes: i64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: posix_fallocate only reads its arguments; the descriptor is open.
    match unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, bytes) } {
        0 => Ok(()),
        error => Err(std::io::Error::from_raw_os_error(error)),
    }
}

/// Gives `file` a size of `bytes` (elsewhere than Linux, without allocating it on disk).
#[cfg(not(target_os = "linux"))]
fn reserve(file: &File, bytes: i64) -> std::io::Result<()> {
    file.set_len(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_store::{EventQuery, SqliteStore};

    fn event(id: &str) -> EventRecord {
        EventRecord {
            event_id: id.into(),
            account: "123456789012".into(),
            time: 1_700_000_000_000,
            name: "GetRole".into(),
            source: "iam.amazonaws.com".into(),
            username: Some("alice".into()),
            access_key_id: None,
            read_only: true,
            principal_arn: Some("arn:aws:iam::123456789012:user/alice".into()),
            issuer_arn: None,
            action: "iam:GetRole".into(),
            resource_arn: Some("arn:aws:iam::123456789012:role/Admin".into()),
            authorized: false,
            error_code: Some("AccessDenied".into()),
            resources: vec![("AWS::IAM::Role".into(), "Admin".into())],
            body: r#"{"eventName":"GetRole","note":"tab\there"}"#.into(),
        }
    }

    /// An empty folder of its own for a test.
    fn fresh_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("portcullis-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    async fn ids(store: &SqliteStore) -> Vec<String> {
        let query = EventQuery {
            account: "123456789012".into(),
            ..EventQuery::default()
        };
        let found = store.events(&query).await.unwrap();
        found.into_iter().rev().map(|e| e.event.event_id).collect()
    }

    #[test]
    fn a_line_holds_every_column_and_the_record() {
        let e = event("a");
        let line = e.line();
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        assert_eq!(EventRecord::from_line(&line[..line.len() - 1]), Some(e));
        assert_eq!(EventRecord::from_line(b"[\"a\"]\t{}"), None);
    }

    #[tokio::test]
    async fn recovery_moves_what_the_store_lacks_once_and_removes_the_segments() {
        let dir = fresh_dir("journal");
        let store = SqliteStore::in_memory().await.unwrap();
        let mut journal = Journal::open(&dir, 0).unwrap();
        let a = journal.append(&event("a").line()).unwrap();
        // "a" reached the store before the crash; "b" did not; "c" was cut short.
        let mut moved = EventBatch {
            journal_end: Some(a),
            ..EventBatch::default()
        };
        moved.push_line(&event("a").line(), 1);
        store.append_events(&moved).await.unwrap();
        journal.append(&event("b").line()).unwrap();
        let torn = event("c").line();
        journal.append(&torn[..torn.len() / 2]).unwrap();
        let end = journal.end();
        drop(journal);
        assert_eq!(
            pending(&dir, &store)
                .await
                .unwrap()
                .iter()
                .map(|e| e.event_id.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        assert_eq!(recover(&dir, &store).await.unwrap(), end);
        assert_eq!(ids(&store).await, ["a", "b"]);
        assert!(segments(&dir).unwrap().is_empty());
        let mut next = Journal::open(&dir, end).unwrap();
        next.append(&event("d").line()).unwrap();
        drop(next);
        recover(&dir, &store).await.unwrap();
        assert_eq!(ids(&store).await, ["a", "b", "d"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_segment_left_at_full_size_by_a_crash_is_read_to_its_last_whole_line() {
        let dir = fresh_dir("crash");
        let store = SqliteStore::in_memory().await.unwrap();
        let mut journal = Journal::open(&dir, 0).unwrap();
        journal.append(&event("a").line()).unwrap();
        journal.append(&event("b").line()).unwrap();
        let torn = event("c").line();
        journal.append(&torn[..torn.len() - 1]).unwrap();
        let end = journal.end();
        // A crash: the segment is not cut, only the kernel's copy remains.
        std::mem::forget(journal);
        let segment = &segments(&dir).unwrap()[0];
        assert_eq!(
            std::fs::metadata(&segment.path).unwrap().len(),
            SEGMENT_BYTES as u64
        );
        assert_eq!(recover(&dir, &store).await.unwrap(), end);
        assert_eq!(ids(&store).await, ["a", "b"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_line_that_does_not_fit_closes_the_segment_which_the_upkeep_cuts() {
        let dir = fresh_dir("full");
        let mut journal = Journal::open(&dir, 0).unwrap();
        let line = event("a").line();
        journal.append(&line).unwrap();
        let big = vec![b'x'; SEGMENT_BYTES as usize];
        let end = journal.append(&big).unwrap();
        assert_eq!(end, line.len() as i64 + SEGMENT_BYTES);
        let found = segments(&dir).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].start, line.len() as i64);
        assert_eq!(
            std::fs::metadata(&found[0].path).unwrap().len(),
            SEGMENT_BYTES as u64,
            "a closed segment is cut by the upkeep, not while requests wait"
        );
        let mut upkeep = journal.upkeep();
        upkeep.run().unwrap();
        assert_eq!(
            std::fs::metadata(&found[0].path).unwrap().len(),
            line.len() as u64
        );
        assert_eq!(journal.take_closed(end), [found[0].path.clone()]);
        drop(journal);
        assert_eq!(
            std::fs::metadata(&found[1].path).unwrap().len(),
            SEGMENT_BYTES as u64
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn the_next_segment_is_the_prepared_one_and_a_prepared_segment_left_is_removed() {
        let dir = fresh_dir("next");
        let store = SqliteStore::in_memory().await.unwrap();
        let mut journal = Journal::open(&dir, 0).unwrap();
        let folder = journal.wants_segment().expect("no segment is prepared yet");
        journal.offer(prepare(&folder).unwrap());
        assert_eq!(journal.wants_segment(), None);
        let a = event("a").line();
        journal.append(&a).unwrap();
        // Fill the segment to its last byte, so that the next line goes to the next one.
        let filler = vec![b'\n'; SEGMENT_BYTES as usize - a.len()];
        journal.append(&filler).unwrap();
        let b = event("b").line();
        let end = journal.append(&b).unwrap();
        assert_eq!(end, SEGMENT_BYTES + b.len() as i64);
        assert!(
            !folder.join(PREPARED).exists(),
            "the prepared file was renamed"
        );
        let found = segments(&dir).unwrap();
        assert_eq!(
            found.iter().map(|s| s.start).collect::<Vec<_>>(),
            [0, SEGMENT_BYTES]
        );
        assert!(journal.wants_segment().is_some());
        journal.offer(prepare(&folder).unwrap());
        // A crash: the segments and the prepared one stay as they are.
        std::mem::forget(journal);
        assert_eq!(recover(&dir, &store).await.unwrap(), end);
        assert_eq!(ids(&store).await, ["a", "b"]);
        assert!(!folder.join(PREPARED).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn lines_after_a_slot_left_unwritten_or_torn_by_a_crash_are_recovered() {
        let dir = fresh_dir("holes");
        let store = SqliteStore::in_memory().await.unwrap();
        let mut journal = Journal::open(&dir, 0).unwrap();
        journal.append(&event("a").line()).unwrap();
        // Requests that reserved their lines and died before copying them (all of "b",
        // the second half of "c") while later requests copied theirs.
        let b = event("b").line();
        drop(journal.reserve(b.len()).unwrap());
        let mut c = event("c").line();
        let half = c.len() / 2;
        c[half..].fill(0);
        journal.reserve(c.len()).unwrap().write(&c);
        journal.append(&event("d").line()).unwrap();
        let c_head = event("c").line();
        let mut e = c_head.clone();
        e[..half].fill(0);
        journal.reserve(e.len()).unwrap().write(&e);
        journal.append(&event("f").line()).unwrap();
        let end = journal.end();
        std::mem::forget(journal);
        assert_eq!(recover(&dir, &store).await.unwrap(), end);
        assert_eq!(ids(&store).await, ["a", "d", "f"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
