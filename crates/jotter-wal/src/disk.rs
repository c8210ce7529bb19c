//! What the log takes on disk and what the file system holding it has left:
//! the log is what grows while the store is away, so these are the figures
//! that say how long the disk lasts (the server exports them as metrics).

use std::io;

use crate::WalError;
use crate::dir::LogDir;

/// The log's footprint on disk, read at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiskUsage {
    /// Bytes of the log's segment files (their length, not blocks).
    pub log_bytes: u64,
    /// Bytes an unprivileged writer may still use on the log's file system
    /// (`statvfs`'s `f_bavail`: what is left before writes fail).
    pub free_bytes: u64,
    /// Size of that file system in bytes.
    pub size_bytes: u64,
}

/// Measures `dir`. A segment deleted by a checkpoint between the listing and
/// its measurement counts as gone.
pub(crate) fn measure(dir: &LogDir) -> Result<DiskUsage, WalError> {
    let mut log_bytes = 0;
    for name in dir.list_segments()? {
        let path = dir.segment_path(name);
        match std::fs::metadata(&path) {
            Ok(meta) => log_bytes += meta.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(WalError::io("measure", path, e)),
        }
    }
    let fs = rustix::fs::statvfs(dir.path())
        .map_err(|e| WalError::io("read the file system's free space of", dir.path(), e.into()))?;
    Ok(DiskUsage {
        log_bytes,
        free_bytes: fs.f_bavail.saturating_mul(fs.f_frsize),
        size_bytes: fs.f_blocks.saturating_mul(fs.f_frsize),
    })
}

#[cfg(test)]
mod tests {
    use crate::{Fsync, Wal, WalOptions};

    #[test]
    fn the_log_bytes_follow_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let options = WalOptions::default().with_fsync(Fsync::Always);
        let (wal, _) = Wal::open(dir.path(), options).unwrap();
        let before = wal.disk_usage().unwrap();
        let pending = wal.submit(&[7u8; 4096]).unwrap();
        pending.wait().unwrap();
        let after = wal.disk_usage().unwrap();
        assert!(after.log_bytes >= before.log_bytes + 4096, "{before:?} then {after:?}");
        assert!(after.size_bytes > 0 && after.free_bytes <= after.size_bytes, "{after:?}");
        wal.close().unwrap();
    }
}
