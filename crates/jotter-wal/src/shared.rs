//! What callers, the write lock's holders and the background thread share:
//! the log's [`State`], the write lock, the waiters, and the two ways a
//! record gets resolved (a waiting caller writes the queue itself, or,
//! under [`Fsync::Always`], the writer thread does and wakes it).

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Waker;

use bytes::BytesMut;
use parking_lot::{Condvar, Mutex};

use crate::record::MAX_PAYLOAD_LEN;
use crate::state::State;
use crate::waiters::Waiters;
use crate::writer::Writer;
use crate::{Fsync, WalError};

/// The log's [`State`] (reached through `Deref`), and what only callers and
/// the background thread use.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) state: State,
    /// Wakes the background thread: on close, and under [`Fsync::Always`]
    /// when the queue goes from empty to not empty.
    pub(crate) wake: Condvar,
    /// The write lock: whoever holds it may take the queue and write it.
    /// Lock order: `writer`, then `queue`.
    pub(crate) writer: Mutex<Writer>,
    /// Tasks waiting for the writer thread ([`Fsync::Always`] only).
    pub(crate) waiters: Waiters,
    /// The persisted low-water mark.
    pub(crate) checkpoint: AtomicU64,
    /// Serialises checkpoints, so two cannot delete the same files.
    pub(crate) checkpointing: Mutex<()>,
    /// Failure injection for the disk-trouble tests (shared with the
    /// active segment).
    #[cfg(test)]
    pub(crate) faults: std::sync::Arc<crate::segment::faults::Faults>,
}

impl Deref for Shared {
    type Target = State;

    fn deref(&self) -> &State {
        &self.state
    }
}

impl Shared {
    /// Gives the next LSN to the payload `write` appends (about `len`
    /// bytes), frames it and queues it; returns its LSN.
    pub(crate) fn submit_with(
        &self,
        len: usize,
        write: impl FnOnce(&mut BytesMut),
    ) -> Result<u64, WalError> {
        if len > MAX_PAYLOAD_LEN {
            return Err(WalError::TooLarge { len, max: MAX_PAYLOAD_LEN });
        }
        let mut queue = self.queue.lock();
        let lsn = queue.push_with(len, write)?;
        let first = queue.ends.len() == 1;
        drop(queue);
        // Only the writer thread of `Always` needs waking, and it only
        // sleeps on an empty queue: the first record of a batch wakes it.
        if first && self.fsync == Fsync::Always {
            self.wake.notify_one();
        }
        Ok(lsn)
    }

    /// How records `first..=last` ended, if they are resolved.
    pub(crate) fn outcome(&self, first: u64, last: u64) -> Option<Result<u64, WalError>> {
        (self.resolved.load(Ordering::Acquire) > last)
            .then(|| self.refusals.check(first, last).map(|()| last))
    }

    /// Resolves records `first..=last` now, if this caller may: under
    /// [`Fsync::EverySec`] and [`Fsync::No`] by writing the queue itself
    /// (unless the holder of the write lock it waited for already did).
    /// Under [`Fsync::Always`], `None` with `waker` left for the writer
    /// thread to wake.
    pub(crate) fn resolve(
        &self,
        first: u64,
        last: u64,
        waker: &Waker,
    ) -> Option<Result<u64, WalError>> {
        if let Some(outcome) = self.outcome(first, last) {
            return Some(outcome);
        }
        if self.fsync == Fsync::Always {
            if self.waiters.register(last, waker, &self.resolved) {
                return None;
            }
        } else {
            let mut writer = self.writer.lock();
            if self.resolved.load(Ordering::Acquire) <= last {
                writer.write_queued(&self.state);
            }
        }
        // Everything submitted before this wait is in the queue or was
        // taken by an earlier holder of the lock, who resolved it before
        // letting go; only a stopped log leaves it unresolved.
        Some(self.outcome(first, last).unwrap_or(Err(WalError::Closed)))
    }

    /// Refuses further submits and wakes the background thread so it
    /// drains the queue and stops.
    pub(crate) fn close(&self) {
        self.queue.lock().closed = true;
        self.wake.notify_one();
    }

    /// When the background thread ends, however it ends: no more submits,
    /// whatever is still queued refused, every waiter woken, so no caller
    /// waits forever.
    pub(crate) fn stopped(&self) {
        let _writer = self.writer.lock();
        let mut queue = self.queue.lock();
        queue.closed = true;
        if !queue.ends.is_empty() {
            let first = queue.first_lsn();
            self.refusals.refuse(first, queue.next_lsn - 1, WalError::Closed);
            queue.ends.clear();
            queue.frames.clear();
        }
        self.resolved.fetch_max(queue.next_lsn, Ordering::Release);
        drop(queue);
        self.waiters.wake_below(u64::MAX);
    }
}
