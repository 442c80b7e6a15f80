//! The audit log file (`--audit-log FILE`): each event's CloudTrail record as one JSON
//! line, the file rotated by size (`FILE` → `FILE.1` → … → `FILE.N`).

use crate::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// How much of the file is written at a time: the mover appends a batch of events (50 ms
/// of requests, often megabytes) at once, so a large buffer means few system calls.
const BUFFER_BYTES: usize = 1024 * 1024;

/// An open audit log file.
pub(crate) struct LogFile {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: BufWriter<File>,
    size: u64,
}

fn open_append(path: &Path) -> Result<(BufWriter<File>, u64), Error> {
    let file = crate::secrets::private_options()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(format!("opening the audit log {}", path.display()), e))?;
    let size = file
        .metadata()
        .map_err(|e| Error::io(format!("reading the size of {}", path.display()), e))?
        .len();
    Ok((BufWriter::with_capacity(BUFFER_BYTES, file), size))
}

fn rotated(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

impl LogFile {
    /// Opens (creating it if missing) the file to append to.
    pub(crate) fn open(path: PathBuf, max_bytes: u64, keep: u32) -> Result<LogFile, Error> {
        let (file, size) = open_append(&path)?;
        Ok(LogFile {
            path,
            max_bytes: max_bytes.max(1),
            keep,
            file,
            size,
        })
    }

    /// Appends `records` (CloudTrail records as JSON), one line each, rotating first
    /// when the file is full.
    pub(crate) fn append<'a>(
        &mut self,
        records: impl Iterator<Item = &'a [u8]>,
    ) -> Result<(), Error> {
        for record in records {
            if self.size > 0 && self.size + record.len() as u64 + 1 > self.max_bytes {
                self.rotate()?;
            }
            self.file
                .write_all(record)
                .and_then(|()| self.file.write_all(b"\n"))
                .map_err(|err| Error::io(format!("writing {}", self.path.display()), err))?;
            self.size += record.len() as u64 + 1;
        }
        self.file
            .flush()
            .map_err(|e| Error::io(format!("writing {}", self.path.display()), e))
    }

    fn rotate(&mut self) -> Result<(), Error> {
        self.file
            .flush()
            .map_err(|e| Error::io(format!("writing {}", self.path.display()), e))?;
        let io = |what: &str, e| Error::io(format!("rotating the audit log: {what}"), e);
        if self.keep == 0 {
            std::fs::remove_file(&self.path).map_err(|e| io("removing", e))?;
        } else {
            let oldest = rotated(&self.path, self.keep);
            if oldest.exists() {
                std::fs::remove_file(&oldest).map_err(|e| io("removing the oldest", e))?;
            }
            for n in (1..self.keep).rev() {
                let from = rotated(&self.path, n);
                if from.exists() {
                    std::fs::rename(&from, rotated(&self.path, n + 1))
                        .map_err(|e| io("renaming", e))?;
                }
            }
            std::fs::rename(&self.path, rotated(&self.path, 1)).map_err(|e| io("renaming", e))?;
        }
        let (file, size) = open_append(&self.path)?;
        self.file = file;
        self.size = size;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_by_size_and_keeps_n_files() {
        let dir = std::env::temp_dir().join(format!("portcullis-audit-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.jsonl");
        let mut log = LogFile::open(path.clone(), 16, 2).unwrap();
        for i in 0..5 {
            log.append([format!("{{\"n\":{i}}}").as_bytes()].into_iter())
                .unwrap();
            log.append([format!("{{\"m\":{i}}}").as_bytes()].into_iter())
                .unwrap();
        }
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(&path), "{\"n\":4}\n{\"m\":4}\n");
        assert_eq!(read(&rotated(&path, 1)), "{\"n\":3}\n{\"m\":3}\n");
        assert_eq!(read(&rotated(&path, 2)), "{\"n\":2}\n{\"m\":2}\n");
        assert!(!rotated(&path, 3).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
