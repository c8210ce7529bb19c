//! Counters of what the writer did, for tests, metrics and tuning.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the log's counters since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WalStats {
    /// Records written to the operating system.
    pub records: u64,
    /// Bytes written (headers included).
    pub bytes: u64,
    /// `write` batches: each carries every record queued when it started.
    pub writes: u64,
    /// fsyncs that returned success (group commits, background and roll syncs).
    pub fsyncs: u64,
    /// Batches whose write failed (their records got an error).
    pub write_failures: u64,
    /// fsyncs that failed.
    pub fsync_failures: u64,
    /// Segments started since open (rolls).
    pub rolls: u64,
    /// The highest LSN covered by a completed fsync ([`Fsync::Always`] and
    /// [`Fsync::EverySec`]; stays 0 under [`Fsync::No`], which leaves
    /// syncing to the OS).
    ///
    /// [`Fsync::Always`]: crate::Fsync::Always
    /// [`Fsync::EverySec`]: crate::Fsync::EverySec
    /// [`Fsync::No`]: crate::Fsync::No
    pub synced_lsn: u64,
}

/// The live counters behind [`WalStats`]; relaxed atomics, since each is
/// read on its own and no decision in the log depends on them.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) records: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) writes: AtomicU64,
    pub(crate) fsyncs: AtomicU64,
    pub(crate) write_failures: AtomicU64,
    pub(crate) fsync_failures: AtomicU64,
    pub(crate) rolls: AtomicU64,
    pub(crate) synced_lsn: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> WalStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WalStats {
            records: get(&self.records),
            bytes: get(&self.bytes),
            writes: get(&self.writes),
            fsyncs: get(&self.fsyncs),
            write_failures: get(&self.write_failures),
            fsync_failures: get(&self.fsync_failures),
            rolls: get(&self.rolls),
            synced_lsn: get(&self.synced_lsn),
        }
    }
}
