//! One owner per directory: an exclusive lock on `LOCK`, held for the
//! lifetime of the [`Wal`](crate::Wal), with the holder's pid inside so the
//! loser can say who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};

use crate::WalError;
use crate::dir::{LOCK_FILE, LogDir};

/// The held lock. Dropping it (closing the file) releases it; the file
/// itself stays, since the lock, not the file's existence, is what counts —
/// a crashed holder leaves no stale lock behind.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

/// Takes the directory's lock, or says who holds it.
pub(crate) fn acquire(dir: &LogDir) -> Result<DirLock, WalError> {
    let path = dir.path().join(LOCK_FILE);
    // Not truncated on open: the current holder's pid must stay readable.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| WalError::io("open the lock file", &path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            // Best effort: the holder may not have written its pid yet.
            let pid = file.read_to_string(&mut text).ok().and_then(|_| text.trim().parse().ok());
            return Err(WalError::Locked { dir: dir.path().to_path_buf(), pid });
        }
        Err(TryLockError::Error(e)) => return Err(WalError::io("lock", &path, e)),
    }
    file.set_len(0)
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .map_err(|e| WalError::io("write the pid into", &path, e))?;
    Ok(DirLock { _file: file })
}
