//! Everything that can go wrong, each case saying what to do about it.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// An error from the write-ahead log.
///
/// I/O causes are held in an [`Arc`] so that one failed write can be
/// reported to every record of its batch (the error is [`Clone`]).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum WalError {
    /// Another `Wal` (in this or another process) owns the directory.
    #[error(
        "the log directory {} is in use by {}: stop that process, or give this one another directory",
        .dir.display(),
        holder(.pid)
    )]
    Locked {
        /// The directory.
        dir: PathBuf,
        /// The pid the holder wrote into `LOCK`, if it could be read.
        pid: Option<u32>,
    },

    /// A record is damaged somewhere other than the torn tail recovery may cut.
    #[error(
        "the log is damaged in {} at byte offset {offset}: {reason}. Every record before that offset is intact. \
         To open the log anyway, set WalOptions::with_salvage(true): it keeps every record before the damage and \
         moves the rest of that file and all later segments into a salvaged-<unix-seconds> folder inside the log \
         directory (nothing is deleted)",
        .path.display()
    )]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Where the damage starts.
        offset: u64,
        /// What was found there.
        reason: String,
    },

    /// A segment file is missing: LSNs do not continue from one file to the next.
    #[error(
        "a segment file is missing before {}: the log should continue at LSN {expected} but this file starts at \
         {found}. Put the missing file back if you have it; otherwise set WalOptions::with_salvage(true) to keep \
         the records before the gap and move this file and the later ones into a salvaged-<unix-seconds> folder \
         (nothing is deleted)",
        .path.display()
    )]
    Gap {
        /// The first file after the gap.
        path: PathBuf,
        /// The LSN the log should have continued at.
        expected: u64,
        /// The LSN the file's name says it starts at.
        found: u64,
    },

    /// Writing records to the log failed (disk full, I/O error).
    #[error(
        "could not write the log file {}: {source}. The record is NOT in the log and was never reported durable. \
         Free disk space or repair the disk and submit it again: the log retries every later submit by itself",
        .path.display()
    )]
    Write {
        /// The segment being written.
        path: PathBuf,
        /// The operating system's error.
        source: Arc<io::Error>,
    },

    /// The fsync that was to make records durable failed.
    #[error(
        "could not fsync the log file {}: {source}. The record is NOT durable and was cut from the log. \
         Repair the disk (or free space) and submit it again: the log retries every later submit by itself",
        .path.display()
    )]
    Sync {
        /// The segment being synced.
        path: PathBuf,
        /// The operating system's error.
        source: Arc<io::Error>,
    },

    /// Any other file-system operation failed (opening, reading, renaming).
    #[error(
        "could not {op} {}: {source}. Check that the directory exists, is writable by this user and that the \
         disk is healthy",
        .path.display()
    )]
    Io {
        /// What was being done, as a verb phrase ("read", "create").
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        source: Arc<io::Error>,
    },

    /// A payload exceeds [`MAX_PAYLOAD_LEN`](crate::MAX_PAYLOAD_LEN).
    #[error(
        "a record of {len} bytes exceeds the limit of {max} bytes: split it into smaller records"
    )]
    TooLarge {
        /// The payload's length.
        len: usize,
        /// The limit.
        max: usize,
    },

    /// `checkpoint` was given an LSN the log has not handed out yet.
    #[error(
        "cannot checkpoint at LSN {low_water}: the log has only handed out LSNs below {next_lsn}. \
         The low-water mark must be the LSN of the oldest record still needed (or the next LSN if none is)"
    )]
    CheckpointAhead {
        /// The mark asked for.
        low_water: u64,
        /// The next LSN `submit` would hand out.
        next_lsn: u64,
    },

    /// An option is out of range.
    #[error("invalid WAL option: {0}")]
    InvalidOptions(&'static str),

    /// The log was closed, or its background thread stopped.
    #[error("the log is closed: its writer has stopped. Open the directory again with Wal::open")]
    Closed,
}

/// Names the holder of a lock for [`WalError::Locked`].
fn holder(pid: &Option<u32>) -> String {
    match pid {
        Some(pid) => format!("the process with pid {pid}"),
        None => "another process (it has not written its pid yet)".to_owned(),
    }
}

impl WalError {
    /// Wraps a file-system error with what was being done and where.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        WalError::Io { op, path: path.into(), source: Arc::new(source) }
    }
}
