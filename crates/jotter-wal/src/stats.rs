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
/// read on its own and no decision in the log depends on them. The writer
/// reports what happened (a write, an fsync, a roll); which counters that
/// moves is decided here.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    records: AtomicU64,
    bytes: AtomicU64,
    writes: AtomicU64,
    fsyncs: AtomicU64,
    write_failures: AtomicU64,
    fsync_failures: AtomicU64,
    rolls: AtomicU64,
    synced_lsn: AtomicU64,
}

impl Counters {
    /// One batch of `records` records, `bytes` bytes, written.
    pub(crate) fn wrote(&self, records: u64, bytes: u64) {
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.records.fetch_add(records, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// A batch's write failed.
    pub(crate) fn write_failed(&self) {
        self.write_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// An fsync succeeded; `covered` is the LSN it made durable, if it
    /// covers everything below it (not under `Fsync::No`).
    pub(crate) fn synced(&self, covered: Option<u64>) {
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        if let Some(lsn) = covered {
            self.synced_lsn.fetch_max(lsn, Ordering::Release);
        }
    }

    /// An fsync failed.
    pub(crate) fn sync_failed(&self) {
        self.fsync_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A new segment was started.
    pub(crate) fn rolled(&self) {
        self.rolls.fetch_add(1, Ordering::Relaxed);
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
