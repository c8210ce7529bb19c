//! The log directory: where each file lives, which segments exist, and
//! making changes to the directory itself durable.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::WalError;

/// The low-water mark (`checkpoint.rs`), and the file it is first written to.
pub(crate) const CHECKPOINT_FILE: &str = "CHECKPOINT";
pub(crate) const TEMP_FILE: &str = "CHECKPOINT.tmp";
/// The directory's lock (`lock.rs`).
pub(crate) const LOCK_FILE: &str = "LOCK";
/// How a folder of moved-aside records begins, then its Unix seconds
/// (`salvage.rs`).
pub(crate) const SALVAGED_PREFIX: &str = "salvaged-";

/// The directory a [`Wal`](crate::Wal) owns.
#[derive(Debug, Clone)]
pub(crate) struct LogDir {
    path: PathBuf,
}

impl LogDir {
    /// Creates the directory if needed.
    pub(crate) fn create(path: &Path) -> Result<Self, WalError> {
        fs::create_dir_all(path).map_err(|e| WalError::io("create the log directory", path, e))?;
        Ok(LogDir { path: path.to_path_buf() })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The file of the segment whose name is `first_lsn`.
    pub(crate) fn segment_path(&self, first_lsn: u64) -> PathBuf {
        self.path.join(segment_file_name(first_lsn))
    }

    /// The names (first LSNs) of every segment file, in increasing order.
    /// Files that are not segments (`LOCK`, `CHECKPOINT`, `salvaged-*`) are
    /// ignored.
    pub(crate) fn list_segments(&self) -> Result<Vec<u64>, WalError> {
        let entries = fs::read_dir(&self.path).map_err(|e| WalError::io("list", &self.path, e))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| WalError::io("list", &self.path, e))?;
            if let Some(name) = entry.file_name().to_str().and_then(parse_segment_file_name) {
                names.push(name);
            }
        }
        names.sort_unstable();
        Ok(names)
    }

    /// Makes creations, renames and deletions in the directory durable:
    /// without it a new segment or checkpoint could vanish at power loss
    /// even though its contents were synced.
    pub(crate) fn sync(&self) -> io::Result<()> {
        File::open(&self.path)?.sync_all()
    }
}

/// `NNNNNNNNNNNNNNNNNNNN.log`: the first LSN, zero-padded to 20 digits so
/// that names sort like numbers.
pub(crate) fn segment_file_name(first_lsn: u64) -> String {
    format!("{first_lsn:020}.log")
}

/// Cuts the closed segment file at `path` to its first `len` bytes and makes
/// the new length durable, so that what was cut cannot reappear after a
/// crash.
pub(crate) fn cut_segment_file(path: &Path, len: u64) -> io::Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    file.set_len(len)?;
    file.sync_all()
}

/// Whether a file or folder named `name` belongs to a log directory: a
/// segment, the checkpoint (or its temporary), the lock, or a folder of
/// salvaged records. For a program that keeps other files beside a log and
/// must tell them apart (moving a directory of an earlier layout, say).
pub fn is_log_file(name: &str) -> bool {
    parse_segment_file_name(name).is_some()
        || [CHECKPOINT_FILE, TEMP_FILE, LOCK_FILE].contains(&name)
        || name.starts_with(SALVAGED_PREFIX)
}

fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".log")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_of_a_log_are_told_from_others() {
        for name in
            ["00000000000000000042.log", "CHECKPOINT", "CHECKPOINT.tmp", "LOCK", "salvaged-17"]
        {
            assert!(is_log_file(name), "{name}");
        }
        for name in ["CLOCK", "FORMAT", "dead-letters", "42.log", "jotter.db"] {
            assert!(!is_log_file(name), "{name}");
        }
    }

    #[test]
    fn segment_names_round_trip_and_sort() {
        assert_eq!(segment_file_name(42), "00000000000000000042.log");
        assert_eq!(parse_segment_file_name("00000000000000000042.log"), Some(42));
        assert_eq!(parse_segment_file_name(&segment_file_name(u64::MAX)), Some(u64::MAX));
        assert_eq!(parse_segment_file_name("42.log"), None);
        assert_eq!(parse_segment_file_name("0000000000000000004x.log"), None);
        assert_eq!(parse_segment_file_name("CHECKPOINT"), None);
    }
}
