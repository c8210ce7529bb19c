//! The log's background thread. Under [`Fsync::Always`] it is the writer:
//! group commit, one `write` and one fsync for every record queued, then a
//! wake for each task waiting. Under [`Fsync::EverySec`] it runs the
//! once-a-second fsync (outside the write lock, so writers never wait for
//! the disk) and, like under [`Fsync::No`], writes out records nobody is
//! waiting for. On close it drains the queue and fsyncs what is unsynced.
//!
//! Why `Always` keeps a thread while the others let callers write: an fsync
//! takes milliseconds, and a caller that led it would hold an async
//! runtime's thread (and every connection on it) for that long; a write to
//! the page cache takes microseconds, less than a wake of another thread.

use std::sync::Arc;
use std::time::Duration;

use crate::shared::Shared;
use crate::{Fsync, WalError};

/// How often [`Fsync::EverySec`] syncs in the background.
const BACKGROUND_SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// The thread's body. Returns once the log is closed and everything queued
/// before the close has been written (and synced, if dirty).
pub(crate) fn run(shared: Arc<Shared>) -> Result<(), WalError> {
    // However this thread ends, even by a panic, no caller waits forever.
    let _stop = StopGuard(Arc::clone(&shared));
    match shared.fsync {
        Fsync::Always => group_commit(&shared),
        _ => tick(&shared),
    }
    let mut writer = shared.writer.lock();
    // Closed: nothing new is queued after this.
    writer.write_queued(&shared.state);
    shared.waiters.wake_below(u64::MAX);
    writer.finish(&shared.state)
}

/// [`Fsync::Always`]: sleeps until there is work, writes and fsyncs the
/// whole queue, wakes the waiters it covered; until the log closes.
fn group_commit(shared: &Shared) {
    loop {
        {
            let mut queue = shared.queue.lock();
            while queue.ends.is_empty() {
                if queue.closed {
                    return;
                }
                shared.wake.wait(&mut queue);
            }
        }
        shared.writer.lock().write_queued(&shared.state);
        shared.waiters.wake_below(shared.resolved.load(std::sync::atomic::Ordering::Acquire));
    }
}

/// [`Fsync::EverySec`] and [`Fsync::No`]: once a second, writes what is
/// queued (records whose callers have not waited yet, or never will) and,
/// under `EverySec`, fsyncs; until the log closes.
fn tick(shared: &Shared) {
    loop {
        {
            let mut queue = shared.queue.lock();
            if !queue.closed {
                shared.wake.wait_for(&mut queue, BACKGROUND_SYNC_INTERVAL);
            }
            if queue.closed {
                return;
            }
        }
        shared.writer.lock().write_queued(&shared.state);
        if shared.fsync == Fsync::EverySec {
            background_sync(shared);
        }
    }
}

/// The once-a-second fsync, run without the write lock: writers keep
/// appending meanwhile, and the fsync covers at least what was written
/// before it started.
fn background_sync(shared: &Shared) {
    let Some((file, covered)) = shared.writer.lock().start_background_sync() else { return };
    let result = file.sync();
    shared.writer.lock().finish_background_sync(&shared.state, covered, result);
}

/// Marks the log stopped when the background thread ends.
struct StopGuard(Arc<Shared>);

impl Drop for StopGuard {
    fn drop(&mut self) {
        self.0.stopped();
    }
}
