//! One owner per directory: an exclusive lock on `LOCK`, held for the
//! lifetime of the [`Wal`](crate::Wal), with the holder's pid inside so the
//! loser can say who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::Path;

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
            return Err(WalError::Locked {
                dir: dir.path().to_path_buf(),
                pid: holder_pid(&mut file),
            });
        }
        Err(TryLockError::Error(e)) => return Err(WalError::io("lock", &path, e)),
    }
    file.set_len(0)
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .map_err(|e| WalError::io("write the pid into", &path, e))?;
    Ok(DirLock { _file: file })
}

/// The pid the holder wrote into the lock file. Best effort: the holder may
/// not have written it yet.
fn holder_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok().and_then(|_| text.trim().parse().ok())
}

/// Whether a process holds the lock of the log directory `dir`, without
/// taking it for longer than the check: [`WalError::Locked`] (with the
/// holder's pid when it wrote one) if one does; `Ok` if none does, or if
/// `dir` holds no log. Nothing is created or written. A process that opens
/// the log right after the check still wins: [`Wal::open`](crate::Wal::open)
/// is what decides; this lets a tool say who holds it before it starts.
pub fn check_lock(dir: &Path) -> Result<(), WalError> {
    let path = dir.join(LOCK_FILE);
    let mut file = match OpenOptions::new().read(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(WalError::io("open the lock file", &path, e)),
    };
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => {
            Err(WalError::Locked { dir: dir.to_path_buf(), pid: holder_pid(&mut file) })
        }
        Err(TryLockError::Error(e)) => Err(WalError::io("lock", &path, e)),
    }
}
