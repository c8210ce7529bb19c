//! The hand-off between callers and the writer thread: LSNs are assigned
//! and records framed here, under one mutex, so call order is log order.

use std::sync::atomic::AtomicU64;

use parking_lot::{Condvar, Mutex};
use tokio::sync::oneshot;

use crate::dir::LogDir;
use crate::pending::Pending;
use crate::record::{self, MAX_PAYLOAD_LEN};
use crate::stats::Counters;
use crate::{Fsync, WalError};

/// One queued record: its LSN, where its frame ends in [`Queue::frames`],
/// and where its outcome goes.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) lsn: u64,
    /// The end offset of its frame, so the writer can split a batch at a
    /// record boundary when a segment fills up.
    pub(crate) end: usize,
    pub(crate) reply: oneshot::Sender<Result<u64, WalError>>,
}

/// What callers and the writer share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) dir: LogDir,
    pub(crate) fsync: Fsync,
    /// Records waiting for the writer. A plain mutex, not a channel: the
    /// writer takes the whole backlog in one swap, which is what makes one
    /// write and one fsync serve every waiting record.
    pub(crate) queue: Mutex<Queue>,
    /// Wakes the writer when the queue goes from empty to not empty, or on
    /// close.
    pub(crate) wake: Condvar,
    /// Segment names in order; the last is the one being written. The
    /// writer appends on roll, `checkpoint` removes from the front.
    pub(crate) segments: Mutex<Vec<u64>>,
    /// The persisted low-water mark.
    pub(crate) checkpoint: AtomicU64,
    /// Serialises checkpoints, so two cannot delete the same files.
    pub(crate) checkpointing: Mutex<()>,
    pub(crate) counters: Counters,
    /// Failure injection for the disk-trouble tests (shared with the
    /// active segment).
    #[cfg(test)]
    pub(crate) faults: std::sync::Arc<crate::segment::faults::Faults>,
}

/// Records submitted but not yet taken by the writer.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    /// The LSN the next `submit` gets.
    pub(crate) next_lsn: u64,
    /// The framed records, back to back, ready for one `write`.
    pub(crate) frames: Vec<u8>,
    /// One entry per framed record, in LSN order.
    pub(crate) records: Vec<Queued>,
    /// Set by close (or a stopped writer): submits are refused.
    pub(crate) closed: bool,
}

impl Shared {
    /// Assigns the next LSN to `payload`, frames it and queues it.
    pub(crate) fn submit(&self, payload: &[u8]) -> Result<Pending, WalError> {
        if payload.len() > MAX_PAYLOAD_LEN {
            return Err(WalError::TooLarge { len: payload.len(), max: MAX_PAYLOAD_LEN });
        }
        let (reply, receiver) = oneshot::channel();
        let mut queue = self.queue.lock();
        if queue.closed {
            return Err(WalError::Closed);
        }
        let lsn = queue.next_lsn;
        queue.next_lsn += 1;
        // Framing (a copy and a CRC) happens under the lock because the
        // checksum covers the LSN, and frames must sit in LSN order.
        record::encode(&mut queue.frames, lsn, payload);
        let end = queue.frames.len();
        queue.records.push(Queued { lsn, end, reply });
        let first = queue.records.len() == 1;
        drop(queue);
        // The writer only sleeps on an empty queue, so only the first
        // record of a batch needs to wake it.
        if first {
            self.wake.notify_one();
        }
        Ok(Pending::new(lsn, receiver))
    }

    /// Refuses further submits and wakes the writer so it drains and stops.
    pub(crate) fn close(&self) {
        self.queue.lock().closed = true;
        self.wake.notify_one();
    }
}
