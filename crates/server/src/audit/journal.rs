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
//! its length when it is closed or the journal is dropped.
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
use portcullis_store::{EventBatch, EventRecord, Store, complete_lines};
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

/// What the segments of `data_dir` hold past offset `from`: the events, in batches, each
/// with the offset it ends at; and the offset where the journal ends. A line still being
/// written (without its newline) is left out.
fn read_past(data_dir: &Path, from: i64) -> Result<(Vec<EventBatch>, i64), Error> {
    let mut batches = Vec::new();
    let mut end = from;
    for segment in segments(data_dir)? {
        let mut bytes = match std::fs::read(&segment.path) {
            Ok(bytes) => bytes,
            // A running server removed it: its events are in the store.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(format!("reading {}", segment.path.display()), e)),
        };
        // What follows the first zero byte was never written.
        if let Some(written) = bytes.iter().position(|b| *b == 0) {
            bytes.truncate(written);
        }
        let mut batch = EventBatch::default();
        let mut offset = segment.start;
        for line in complete_lines(&bytes) {
            let line_start = offset;
            offset += line.len() as i64 + 1;
            if line_start < from {
                continue;
            }
            match EventRecord::from_line(line) {
                Some(event) => {
                    batch.push_line(&event.line(), event.time);
                    batch.journal_end = Some(offset);
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
        end = end.max(segment.start + bytes.len() as i64);
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
    Ok(end)
}

/// The segment being written, and the closed ones whose events may not all be in the
/// store yet.
pub struct Journal {
    folder: PathBuf,
    segment: Open,
    start: i64,
    size: i64,
    closed: Vec<(i64, PathBuf)>,
    /// Closed segments not synced since they were last written, oldest first.
    unsynced: Vec<Arc<File>>,
}

/// A segment file and its mapping.
struct Open {
    file: Arc<File>,
    map: MmapMut,
}

impl Journal {
    /// Opens a new segment in `data_dir`, starting at offset `start` (from [`recover`]).
    pub fn open(data_dir: &Path, start: i64) -> Result<Journal, Error> {
        let folder = data_dir.join(FOLDER);
        std::fs::create_dir_all(&folder)
            .map_err(|e| Error::io(format!("creating {}", folder.display()), e))?;
        let segment = open_segment(&folder, start, SEGMENT_BYTES)?;
        Ok(Journal {
            folder,
            segment,
            start,
            size: 0,
            closed: Vec::new(),
            unsynced: Vec::new(),
        })
    }

    /// Appends `line`, closing the segment first when the line does not fit; returns
    /// the offset where the journal now ends.
    pub fn append(&mut self, line: &[u8]) -> Result<i64, Error> {
        let length = line.len() as i64;
        if self.size + length > self.segment.map.len() as i64 {
            self.close_segment(length)?;
        }
        let at = self.size as usize;
        self.segment.map[at..at + line.len()].copy_from_slice(line);
        self.size += length;
        Ok(self.end())
    }

    /// The offset where the journal ends.
    pub fn end(&self) -> i64 {
        self.start + self.size
    }

    /// Cuts the segment being written and opens the next, large enough for a line of
    /// `needed` bytes. The closed segment is synced with the next sync of the journal
    /// ([`Journal::to_sync`]), not here, where requests wait.
    fn close_segment(&mut self, needed: i64) -> Result<(), Error> {
        let end = self.end();
        let next = open_segment(&self.folder, end, needed.max(SEGMENT_BYTES))?;
        let Open { file, map } = std::mem::replace(&mut self.segment, next);
        drop(map);
        file.set_len(self.size as u64)
            .map_err(|e| Error::io("cutting the audit journal", e))?;
        self.unsynced.push(file);
        self.closed
            .push((end, segment_path(&self.folder, self.start)));
        self.start = end;
        self.size = 0;
        Ok(())
    }

    /// The files to sync for every line appended so far to be on disk, to sync them
    /// without holding the journal (a sync of a file writes what was copied into its
    /// mapping): the closed segments not synced yet, then the segment being written.
    /// Once they are synced, [`Journal::synced`] with their number.
    pub fn to_sync(&self) -> Vec<Arc<File>> {
        let mut files = self.unsynced.clone();
        files.push(self.segment.file.clone());
        files
    }

    /// Notes that the first `count` files [`Journal::to_sync`] gave were synced.
    pub fn synced(&mut self, count: usize) {
        let closed = count.saturating_sub(1).min(self.unsynced.len());
        self.unsynced.drain(..closed);
    }

    /// Takes the closed segments that end at or before offset `end`.
    pub fn take_closed(&mut self, end: i64) -> Vec<PathBuf> {
        let done = self.closed.iter().take_while(|(e, _)| *e <= end).count();
        self.closed.drain(..done).map(|(_, p)| p).collect()
    }
}

impl Drop for Journal {
    /// Cuts the segment being written to what it holds (a crash leaves it at its full
    /// size, zeros after the last line, which readers skip). The mapping, dropped next,
    /// is not touched again.
    fn drop(&mut self) {
        if let Err(e) = self.segment.file.set_len(self.size as u64) {
            tracing::warn!(error = %e, "could not cut the audit journal segment");
        }
    }
}

fn segment_path(folder: &Path, start: i64) -> PathBuf {
    folder.join(format!("{start:020}.jsonl"))
}

/// Creates the segment starting at offset `start`, reserves `bytes` for it on disk (so
/// that writing into the mapping cannot fail for want of space) and maps it.
fn open_segment(folder: &Path, start: i64, bytes: i64) -> Result<Open, Error> {
    let path = segment_path(folder, start);
    let failed = |e| Error::io(format!("creating {}", path.display()), e);
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(failed)?;
    reserve(&file, bytes).map_err(failed)?;
    // SAFETY: the file was just created by this process, which alone writes it, and it
    // keeps its size while mapped (it is cut only after the mapping is dropped); other
    // processes (the `portcullis audit` command) only read it.
    let map = unsafe { MmapOptions::new().len(bytes as usize).map_mut(&file) }.map_err(failed)?;
    Ok(Open {
        file: Arc::new(file),
        map,
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
        let dir = std::env::temp_dir().join(format!("portcullis-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
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
        let dir = std::env::temp_dir().join(format!("portcullis-crash-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
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
    fn a_line_that_does_not_fit_closes_the_segment_and_a_closed_segment_is_cut() {
        let dir = std::env::temp_dir().join(format!("portcullis-full-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut journal = Journal::open(&dir, 0).unwrap();
        let line = event("a").line();
        journal.append(&line).unwrap();
        let big = vec![b'x'; SEGMENT_BYTES as usize];
        let end = journal.append(&big).unwrap();
        assert_eq!(end, line.len() as i64 + SEGMENT_BYTES);
        let found = segments(&dir).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(
            std::fs::metadata(&found[0].path).unwrap().len(),
            line.len() as u64
        );
        assert_eq!(found[1].start, line.len() as i64);
        assert_eq!(journal.take_closed(end), [found[0].path.clone()]);
        assert_eq!(
            journal.to_sync().len(),
            2,
            "the closed segment is synced later"
        );
        journal.synced(2);
        assert_eq!(journal.to_sync().len(), 1);
        drop(journal);
        assert_eq!(
            std::fs::metadata(&found[1].path).unwrap().len(),
            SEGMENT_BYTES as u64
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
