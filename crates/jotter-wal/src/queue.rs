//! Records submitted but not yet written: LSNs are assigned and records
//! framed here, under one mutex, so call order is log order.

use bytes::BytesMut;

use crate::WalError;
use crate::record;

/// The records waiting for whoever writes next (a waiting caller, or the
/// writer thread under [`Fsync::Always`](crate::Fsync::Always)).
///
/// A plain buffer behind a mutex, not a channel: the writer takes the whole
/// backlog in one swap, which is what makes one write (and one fsync) serve
/// every queued record.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    /// The LSN the next submit gets.
    pub(crate) next_lsn: u64,
    /// The framed records, back to back, ready for one `write`.
    pub(crate) frames: BytesMut,
    /// Where each queued record's frame ends in `frames`, in LSN order, so a
    /// batch can be split at a record boundary when a segment fills up. The
    /// queued records' LSNs are consecutive and end just below `next_lsn`.
    pub(crate) ends: Vec<usize>,
    /// Set by close (or a stopped writer): submits are refused.
    pub(crate) closed: bool,
}

impl Queue {
    /// Gives the next LSN to the payload `write` appends, frames it and
    /// queues it; returns the LSN.
    pub(crate) fn push_with(
        &mut self,
        len_hint: usize,
        write: impl FnOnce(&mut BytesMut),
    ) -> Result<u64, WalError> {
        if self.closed {
            return Err(WalError::Closed);
        }
        // Whatever a payload writer that panicked left behind is not a
        // record: it must not be written between two.
        self.frames.truncate(self.ends.last().copied().unwrap_or(0));
        let lsn = self.next_lsn;
        // Framing (a copy and a CRC) happens under the lock because the
        // checksum covers the LSN, and frames must sit in LSN order.
        record::encode_with(&mut self.frames, lsn, len_hint, write)?;
        self.next_lsn += 1;
        self.ends.push(self.frames.len());
        Ok(lsn)
    }

    /// The LSN of the oldest queued record (`next_lsn` if none is queued).
    pub(crate) fn first_lsn(&self) -> u64 {
        self.next_lsn - self.ends.len() as u64
    }
}
