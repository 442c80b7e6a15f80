//! The audit journal: what keeps an answered request's event through the death of the
//! process until the event is in the store.
//!
//! The journal is one file, `DATA_DIR/audit-journal/ring`, of [`RING_BYTES`] reserved on
//! disk, mapped into memory and written round and round. A request's event is copied into
//! the mapping (the kernel's copy of the file) before the request is answered: no system
//! call, and once copied the event outlives the process. The ring is not synced in the
//! ordinary course: its pages stay in memory and are written over in place, so an event
//! costs the kernel no new page, no page fault and no write to disk of its own (a segment
//! file written once and synced every second cost 1.2 to 2.6 µs of kernel time per
//! 1,000-byte event on ext4; the ring, about nothing). Events reach disk through the store,
//! whose commits are synced, within milliseconds; room in the ring is written again only
//! once the events it held are committed to the store ([`Journal::free`]). When the store
//! falls behind, the ring itself is synced (see the durability contract of the trail).
//!
//! Each event is a record: the byte 0x1E (RS, as in JSON text sequences), the record's
//! offset (16 hex digits), a space, a CRC-32 of the line and the offset (8 hex digits), a
//! tab, and the line ([`EventRecord::line`], ending in a newline). JSON never holds a raw
//! 0x1E, so a record cut short by a crash ends at the mark of an older one if not at a
//! checksum that fails. Offsets count bytes from the first record ever, across restarts:
//! a record at offset `p` lies at `p` modulo the ring's size, and one that would not fit
//! before the ring's end starts at its beginning instead (its offset skips ahead).
//! Each batch the store takes records the offset it ends at ([`EventBatch::journal_end`]);
//! at start-up, [`recover`] moves to the store exactly the records from the store's
//! journal end on, so no event is lost or stored twice, and the ring starts afresh.

use crate::error::Error;
use memmap2::{MmapMut, MmapOptions};
use portcullis_protocol::CommonErrorCode;
use portcullis_store::{EventBatch, EventRecord, Store};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The folder of the journal, inside the data directory.
pub(crate) const FOLDER: &str = "audit-journal";

/// The name of the ring file in [`FOLDER`].
const RING: &str = "ring";

/// The size of the ring: about two seconds of events at 35,000 requests a second, while
/// the store takes them every 50 ms. A record may take at most half of it.
pub(crate) const RING_BYTES: usize = 64 * 1024 * 1024;

/// How many recovered events go to the store in one batch.
const RECOVERY_BATCH: usize = 4_096;

/// The byte a record starts with.
const MARK: u8 = 0x1e;

/// The bytes of a record before its line: the mark, 16 hex digits of offset, a space, 8
/// of checksum and a tab.
const HEADER: usize = 27;

/// A record's checksum: the CRC-32 of its line (`sum`, with the newline) followed by its
/// offset in little-endian bytes.
fn seal(sum: &crc32fast::Hasher, offset: i64) -> u32 {
    let mut sum = sum.clone();
    sum.update(&offset.to_le_bytes());
    sum.finalize()
}

/// Writes `value` as `out.len()` lowercase hex digits.
fn put_hex(out: &mut [u8], mut value: u64) {
    for digit in out.iter_mut().rev() {
        *digit = b"0123456789abcdef"[(value & 0xf) as usize];
        value >>= 4;
    }
}

/// Reads lowercase hex digits.
fn hex(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |value, d| {
        let digit = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            _ => return None,
        };
        Some(value << 4 | u64::from(digit))
    })
}

/// An event's line ready to be journaled: its bytes and their checksum, computed before
/// the journal is held.
pub(crate) struct Entry<'a> {
    line: &'a [u8],
    sum: crc32fast::Hasher,
}

impl<'a> Entry<'a> {
    /// The entry of `line`, an event's line ([`portcullis_store::EventColumns::write_line`]).
    pub(crate) fn new(line: &'a [u8]) -> Entry<'a> {
        let mut sum = crc32fast::Hasher::new();
        sum.update(line);
        Entry { line, sum }
    }
}

/// A record read back from a ring.
struct Found<'a> {
    offset: i64,
    /// The line, without its newline.
    line: &'a [u8],
    /// The offset just past the record.
    end: i64,
}

/// The record at offset `offset` of a ring's bytes, if a whole one is there.
fn record_at(bytes: &[u8], offset: i64) -> Option<Found<'_>> {
    let place = (offset % bytes.len() as i64) as usize;
    let header = bytes.get(place..place + HEADER)?;
    if header[0] != MARK
        || header[17] != b' '
        || header[26] != b'\t'
        || hex(&header[1..17])? != offset as u64
    {
        return None;
    }
    let checksum = u32::try_from(hex(&header[18..26])?).ok()?;
    let rest = &bytes[place + HEADER..];
    let newline = rest.iter().position(|b| *b == b'\n' || *b == MARK)?;
    if rest[newline] != b'\n' {
        return None;
    }
    let mut sum = crc32fast::Hasher::new();
    sum.update(&rest[..=newline]);
    (seal(&sum, offset) == checksum).then(|| Found {
        offset,
        line: &rest[..newline],
        end: offset + (HEADER + newline + 1) as i64,
    })
}

/// The records of a ring's bytes from offset `from` on, one after the other (each where
/// the one before it ends, or at the ring's beginning when it did not fit before its
/// end), up to the first that is not whole: the one a crash cut short, or an older one
/// not yet written over. Records are copied while the journal is held, so only the last
/// can be cut short, and a sync leaves every record before it whole on disk.
fn records(bytes: &[u8], from: i64) -> Vec<Found<'_>> {
    let size = bytes.len() as i64;
    let mut found = Vec::new();
    if size == 0 {
        return found;
    }
    let mut next = from;
    loop {
        let wrapped = next + size - next % size;
        let Some(record) = record_at(bytes, next).or_else(|| {
            (next % size != 0)
                .then(|| record_at(bytes, wrapped))
                .flatten()
        }) else {
            break;
        };
        next = record.end;
        found.push(record);
    }
    found
}

fn ring_path(data_dir: &Path) -> PathBuf {
    data_dir.join(FOLDER).join(RING)
}

/// What the ring of `data_dir` holds from offset `from` on: the events, in batches, each
/// with the offset it ends at; and the offset where the journal ends.
fn read_past(data_dir: &Path, from: i64) -> Result<(Vec<EventBatch>, i64), Error> {
    let path = ring_path(data_dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
    };
    let mut batches = Vec::new();
    let mut batch = EventBatch::default();
    let mut end = from;
    for record in records(&bytes, from) {
        end = record.end;
        match EventRecord::from_line(record.line) {
            Some(event) => {
                batch.push_line(&event.line(), event.time);
                batch.journal_end = Some(record.end);
            }
            None => tracing::warn!(
                offset = record.offset,
                "skipped a damaged audit journal record"
            ),
        }
        if batch.count == RECOVERY_BATCH {
            batches.push(std::mem::take(&mut batch));
        }
    }
    if batch.count > 0 {
        batches.push(batch);
    }
    Ok((batches, end))
}

/// The events a running server has journaled but not yet moved to `store` (for a reader
/// of the data directory beside the server), oldest first.
pub(crate) async fn pending(data_dir: &Path, store: &dyn Store) -> Result<Vec<EventRecord>, Error> {
    let from = store.journal_end().await?.unwrap_or(0);
    let (batches, _) = read_past(data_dir, from)?;
    Ok(batches
        .iter()
        .flat_map(|b| b.each_line().filter_map(EventRecord::from_line))
        .collect())
}

/// Moves what the ring of `data_dir` holds past the store's journal end into `store`
/// (at start-up), and returns the offset the journal goes on from.
pub(crate) async fn recover(data_dir: &Path, store: &dyn Store) -> Result<i64, Error> {
    let from = store.journal_end().await?.unwrap_or(0);
    let (batches, end) = read_past(data_dir, from)?;
    for batch in &batches {
        store.append_events(batch).await?;
    }
    Ok(end)
}

/// The ring, written by requests while they hold it (a record is a copy of about a
/// kilobyte into pages that stay in memory).
pub(crate) struct Journal {
    file: Arc<File>,
    map: MmapMut,
    /// The offset where the next record goes.
    end: i64,
    /// Every record before this offset is in the store: its room may be written again.
    freed: i64,
}

impl Journal {
    /// Creates the ring of `data_dir` afresh, the journal going on from offset `start`
    /// (from [`recover`], which has moved what the old ring held).
    pub(crate) fn open(data_dir: &Path, start: i64) -> Result<Journal, Error> {
        Journal::with_size(data_dir, start, RING_BYTES)
    }

    fn with_size(data_dir: &Path, start: i64, bytes: usize) -> Result<Journal, Error> {
        let folder = data_dir.join(FOLDER);
        crate::secrets::make_private_dir(&folder)?;
        let path = ring_path(data_dir);
        let failed = |e| Error::io(format!("creating {}", path.display()), e);
        let file = crate::secrets::private_options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(failed)?;
        reserve(&file, bytes as i64).map_err(failed)?;
        // SAFETY: this process alone writes the file, which keeps its size while mapped;
        // other processes (the `portcullis audit` command) only read it.
        let mut map = unsafe { MmapOptions::new().len(bytes).map_mut(&file) }.map_err(failed)?;
        // Without this, the kernel's read-ahead for faults on the mapping takes a fault as
        // the cue to fill the next megabytes, which held the journal for 1 to 19 ms at a
        // time (measured on ext4, Linux 6.18).
        #[cfg(unix)]
        map.advise(memmap2::Advice::Random).map_err(failed)?;
        // Every page in memory and writable now, not at a request's first write to it.
        for page in (0..bytes).step_by(4096) {
            map[page] = 0;
        }
        Ok(Journal {
            file: Arc::new(file),
            map,
            end: start,
            freed: start,
        })
    }

    /// Copies the record of `entry` into the ring and returns the offset where the
    /// journal now ends; `None` when the ring has no room for it until the store takes
    /// more events. A record larger than half the ring is refused.
    pub(crate) fn append(&mut self, entry: &Entry<'_>) -> Result<Option<i64>, Error> {
        let size = self.map.len() as i64;
        let length = (HEADER + entry.line.len()) as i64;
        if length > size / 2 {
            return Err(Error::aws(
                CommonErrorCode::ServiceUnavailable,
                "The request's audit event is too large for the audit journal.",
            ));
        }
        let mut offset = self.end;
        if offset % size + length > size {
            offset += size - offset % size;
        }
        if offset + length - self.freed > size {
            return Ok(None);
        }
        let place = (offset % size) as usize;
        let record = &mut self.map[place..place + length as usize];
        record[0] = MARK;
        put_hex(&mut record[1..17], offset as u64);
        record[17] = b' ';
        put_hex(&mut record[18..26], u64::from(seal(&entry.sum, offset)));
        record[26] = b'\t';
        record[HEADER..].copy_from_slice(entry.line);
        self.end = offset + length;
        Ok(Some(self.end))
    }

    /// Lets the room of the records before `offset`, all in the store now, be written
    /// again.
    pub(crate) fn free(&mut self, offset: i64) {
        self.freed = self.freed.max(offset);
    }

    /// The ring's file, to sync without holding the journal (a sync of the file writes
    /// what was copied into its mapping).
    pub(crate) fn file(&self) -> Arc<File> {
        self.file.clone()
    }
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

    /// Journals `id`'s event; returns where the journal ends.
    fn put(journal: &mut Journal, id: &str) -> i64 {
        let line = event(id).line();
        journal.append(&Entry::new(&line)).unwrap().expect("room")
    }

    /// The store's state after the mover took the events `ids`, ending at `end`.
    async fn moved(store: &SqliteStore, ids: &[&str], end: i64) {
        let mut batch = EventBatch {
            journal_end: Some(end),
            ..EventBatch::default()
        };
        for id in ids {
            batch.push_line(&event(id).line(), 1);
        }
        store.append_events(&batch).await.unwrap();
    }

    #[tokio::test]
    async fn recovery_moves_what_the_store_lacks_once() {
        let dir = fresh_dir("journal");
        let store = SqliteStore::in_memory().await.unwrap();
        let mut journal = Journal::with_size(&dir, 0, 1 << 20).unwrap();
        let a = put(&mut journal, "a");
        // "a" reached the store before the crash; "b" did not; "c" was cut short.
        moved(&store, &["a"], a).await;
        let b = put(&mut journal, "b");
        let c = put(&mut journal, "c");
        journal.map[(b + (c - b) / 2) as usize..c as usize].fill(0);
        // A crash: only the kernel's copy of the ring remains.
        std::mem::forget(journal);
        let pending_ids = pending(&dir, &store).await.unwrap();
        assert_eq!(
            pending_ids
                .iter()
                .map(|e| e.event_id.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        assert_eq!(recover(&dir, &store).await.unwrap(), b);
        assert_eq!(ids(&store).await, ["a", "b"]);
        // The journal goes on past everything the old ring held, which starts afresh.
        let mut next = Journal::with_size(&dir, b, 1 << 20).unwrap();
        assert_eq!(read_past(&dir, 0).unwrap().0.len(), 0);
        put(&mut next, "d");
        drop(next);
        recover(&dir, &store).await.unwrap();
        assert_eq!(ids(&store).await, ["a", "b", "d"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn the_journal_ends_at_a_record_cut_short() {
        // The second half of the last record: the first bytes of an older record (its
        // mark among them), or the bytes of the record with one of them not yet copied.
        let older = {
            let mut record = vec![MARK];
            record.extend_from_slice(b"0000000000000000 00000000\t");
            record.extend_from_slice(&event("old").line());
            record
        };
        for damage in ["older record", "byte not copied"] {
            let dir = fresh_dir("torn");
            let store = SqliteStore::in_memory().await.unwrap();
            let mut journal = Journal::with_size(&dir, 0, 1 << 20).unwrap();
            put(&mut journal, "a");
            let b = put(&mut journal, "b");
            let c = put(&mut journal, "c") as usize;
            let half = (b as usize + c) / 2;
            match damage {
                "older record" => journal.map[half..c].copy_from_slice(&older[..c - half]),
                _ => journal.map[c - 3] = b'X',
            }
            std::mem::forget(journal);
            assert_eq!(recover(&dir, &store).await.unwrap(), b, "{damage}");
            assert_eq!(ids(&store).await, ["a", "b"], "{damage}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[tokio::test]
    async fn the_ring_waits_for_the_store_and_goes_round() {
        let dir = fresh_dir("ring");
        let store = SqliteStore::in_memory().await.unwrap();
        let mut journal = Journal::with_size(&dir, 0, 8192).unwrap();
        let huge = vec![b'x'; 4096];
        assert!(journal.append(&Entry::new(&huge)).is_err());
        let mut ends = Vec::new();
        let mut names = Vec::new();
        loop {
            let name = format!("e{}", names.len());
            let line = event(&name).line();
            match journal.append(&Entry::new(&line)).unwrap() {
                Some(end) => ends.push(end),
                None => break,
            }
            names.push(name);
        }
        assert!(names.len() > 4, "{} records fit", names.len());
        // The store takes the first three: their room may be written again.
        let first: Vec<&str> = names[..3].iter().map(String::as_str).collect();
        moved(&store, &first, ends[2]).await;
        journal.free(ends[2]);
        let after = put(&mut journal, "f0");
        assert!(
            after > 8192 && (after % 8192) < ends[2],
            "the record that did not fit before the end starts at the beginning"
        );
        put(&mut journal, "f1");
        put(&mut journal, "f2");
        assert_eq!(
            journal.append(&Entry::new(&event("g").line())).unwrap(),
            None
        );
        std::mem::forget(journal);
        let last = recover(&dir, &store).await.unwrap();
        let mut expected: Vec<&str> = names.iter().map(String::as_str).collect();
        expected.extend(["f0", "f1", "f2"]);
        assert_eq!(ids(&store).await, expected);
        assert_eq!(store.journal_end().await.unwrap(), Some(last));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
