//! The segment being appended to: one file, its length in whole records,
//! and the three things a writer does to it (append, fsync, cut back), plus
//! a handle that fsyncs it without holding the log's write lock.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::dir::LogDir;

/// The open, active segment. Only the holder of the log's write lock
/// touches it.
#[derive(Debug)]
pub(crate) struct ActiveSegment {
    /// The segment's name: the LSN after the previous segment's last record.
    name: u64,
    path: PathBuf,
    /// Shared with [`SegmentSync`] handles, so the background fsync runs
    /// without holding the write lock.
    file: Arc<File>,
    /// Bytes of whole records: where the next append goes. A failed append
    /// never advances it, and the file is cut back to it.
    len: u64,
    /// The LSN of the last record in this segment, if any; the next
    /// segment is named after it.
    last_lsn: Option<u64>,
    /// The file position may differ from `len` after a cut-back, so the next
    /// append seeks first; otherwise appends skip the extra system call.
    must_seek: bool,
    /// Injected failures for the disk-trouble tests.
    #[cfg(test)]
    pub(crate) faults: std::sync::Arc<faults::Faults>,
}

impl ActiveSegment {
    /// Creates a new, empty segment file named `name` (replacing a leftover
    /// empty file of the same name from an earlier failed roll).
    pub(crate) fn create(dir: &LogDir, name: u64) -> io::Result<Self> {
        let path = dir.segment_path(name);
        let file =
            OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path)?;
        Ok(ActiveSegment {
            name,
            path,
            file: Arc::new(file),
            len: 0,
            last_lsn: None,
            must_seek: false,
            #[cfg(test)]
            faults: std::sync::Arc::default(),
        })
    }

    /// Reopens an existing segment whose first `len` bytes are whole records
    /// (recovery has already cut off anything after them).
    pub(crate) fn reopen(
        dir: &LogDir,
        name: u64,
        len: u64,
        last_lsn: Option<u64>,
    ) -> io::Result<Self> {
        let path = dir.segment_path(name);
        let file = OpenOptions::new().read(true).write(true).open(&path)?;
        Ok(ActiveSegment {
            name,
            path,
            file: Arc::new(file),
            len,
            last_lsn,
            must_seek: true,
            #[cfg(test)]
            faults: std::sync::Arc::default(),
        })
    }

    pub(crate) fn name(&self) -> u64 {
        self.name
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn last_lsn(&self) -> Option<u64> {
        self.last_lsn
    }

    /// Writes `frames` (whole records, the last with LSN `last_lsn`) at the
    /// end. On error nothing is counted as written; the caller cuts the file
    /// back with [`ActiveSegment::truncate`].
    pub(crate) fn append(&mut self, frames: &[u8], last_lsn: u64) -> io::Result<()> {
        if self.must_seek {
            (&*self.file).seek(SeekFrom::Start(self.len))?;
            self.must_seek = false;
        }
        if let Err(e) = self.write_all(frames) {
            // Some bytes may have gone out: the position is unknown.
            self.must_seek = true;
            return Err(e);
        }
        self.len += frames.len() as u64;
        self.last_lsn = Some(last_lsn);
        Ok(())
    }

    fn write_all(&mut self, frames: &[u8]) -> io::Result<()> {
        #[cfg(test)]
        self.faults.before_write(&self.file, frames)?;
        (&*self.file).write_all(frames)
    }

    /// `fdatasync`: the data and the length, not the timestamps.
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        self.sync_handle().sync()
    }

    /// A handle that fsyncs this file, usable without the write lock.
    pub(crate) fn sync_handle(&self) -> SegmentSync {
        SegmentSync {
            file: Arc::clone(&self.file),
            #[cfg(test)]
            faults: Arc::clone(&self.faults),
        }
    }

    /// Cuts the file back to `len`, forgetting records after it.
    /// `last_lsn` is the LSN of the last record kept.
    pub(crate) fn truncate(&mut self, len: u64, last_lsn: Option<u64>) -> io::Result<()> {
        self.must_seek = true;
        self.file.set_len(len)?;
        self.len = len;
        self.last_lsn = last_lsn;
        Ok(())
    }
}

/// Fsyncs one segment file; the file stays open while the handle lives,
/// even if the log has rolled to another meanwhile.
#[derive(Debug)]
pub(crate) struct SegmentSync {
    file: Arc<File>,
    #[cfg(test)]
    faults: Arc<faults::Faults>,
}

impl SegmentSync {
    /// `fdatasync`: the data and the length, not the timestamps.
    pub(crate) fn sync(&self) -> io::Result<()> {
        #[cfg(test)]
        self.faults.before_sync()?;
        self.file.sync_data()
    }
}

#[cfg(test)]
pub(crate) mod faults {
    //! Failure injection: a portable stand-in for a full disk.

    use std::fs::File;
    use std::io::{self, Write};
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Counts of upcoming operations to fail.
    #[derive(Debug, Default)]
    pub(crate) struct Faults {
        /// The next this-many appends write half their bytes, then fail
        /// with "no space left", as a filling disk does.
        pub(crate) fail_writes: AtomicU32,
        /// The next this-many fsyncs fail with an I/O error.
        pub(crate) fail_syncs: AtomicU32,
    }

    fn take(counter: &AtomicU32) -> bool {
        counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
    }

    impl Faults {
        pub(super) fn before_write(&self, mut file: &File, frames: &[u8]) -> io::Result<()> {
            if take(&self.fail_writes) {
                file.write_all(&frames[..frames.len() / 2])?;
                return Err(io::Error::new(io::ErrorKind::StorageFull, "injected: no space left"));
            }
            Ok(())
        }

        pub(super) fn before_sync(&self) -> io::Result<()> {
            if take(&self.fail_syncs) {
                return Err(io::Error::other("injected: fsync failed"));
            }
            Ok(())
        }
    }
}
