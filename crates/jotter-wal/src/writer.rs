//! The writer thread: takes every queued record at once, writes them with
//! one `write`, makes them durable as the policy says, then answers each.
//!
//! Group commit falls out of the loop: while one batch is being written and
//! synced, callers keep queuing, and the next turn takes all of them.

use std::mem;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::queue::{Queued, Shared};
use crate::segment::ActiveSegment;
use crate::{Fsync, WalError};

/// How often [`Fsync::EverySec`] syncs in the background.
const BACKGROUND_SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Buffer capacity kept between batches (bytes of frames); more is freed.
const RETAINED_FRAME_BYTES: usize = 8 << 20;

/// State owned by the writer thread alone.
#[derive(Debug)]
pub(crate) struct Writer {
    shared: Arc<Shared>,
    segment: ActiveSegment,
    segment_size: u64,
    /// Written to the OS but not yet fsynced.
    dirty: bool,
    last_sync: Instant,
    /// A background fsync failed ([`Fsync::EverySec`]): until an fsync
    /// succeeds again, each batch waits for its own fsync, so records are
    /// refused rather than acknowledged onto a failing disk.
    degraded: bool,
    /// A failed write could not be cut back yet (`truncate` failed too): its
    /// partial bytes must go before anything else is appended, or they
    /// would sit between good records.
    cut_back_to: Option<(u64, Option<u64>)>,
}

/// What woke the writer.
enum Turn {
    Batch,
    SyncDue,
    Close,
}

impl Writer {
    pub(crate) fn new(shared: Arc<Shared>, segment: ActiveSegment, segment_size: u64) -> Self {
        Writer {
            shared,
            segment,
            segment_size,
            dirty: false,
            last_sync: Instant::now(),
            degraded: false,
            cut_back_to: None,
        }
    }

    /// The thread's body. Returns once the log is closed and everything
    /// queued before the close has been written (and synced, if dirty).
    pub(crate) fn run(mut self) -> Result<(), WalError> {
        // Refuse submits and fail whatever is queued if this thread ever
        // stops, even by a panic, so no caller waits forever.
        let _stop = StopGuard(Arc::clone(&self.shared));
        let mut frames = Vec::new();
        let mut records = Vec::new();
        loop {
            match self.next_turn(&mut frames, &mut records) {
                Turn::Batch => {
                    self.write_batch(&frames, &mut records);
                    frames.clear();
                    // A burst may have grown the buffers far past the usual
                    // batch; don't keep that memory for the log's lifetime.
                    frames.shrink_to(RETAINED_FRAME_BYTES);
                    records.shrink_to(RETAINED_FRAME_BYTES / 64);
                    if self.sync_deadline().is_some_and(|due| Instant::now() >= due) {
                        self.background_sync();
                    }
                }
                Turn::SyncDue => self.background_sync(),
                Turn::Close => return self.finish(),
            }
        }
    }

    /// Sleeps until there is work, then swaps the whole queue out.
    fn next_turn(&self, frames: &mut Vec<u8>, records: &mut Vec<Queued>) -> Turn {
        let mut queue = self.shared.queue.lock();
        loop {
            if !queue.records.is_empty() {
                // Swapping keeps both buffers' capacity: no allocation per batch.
                mem::swap(frames, &mut queue.frames);
                mem::swap(records, &mut queue.records);
                return Turn::Batch;
            }
            if queue.closed {
                return Turn::Close;
            }
            match self.sync_deadline() {
                Some(due) => {
                    if self.shared.wake.wait_until(&mut queue, due).timed_out() {
                        return Turn::SyncDue;
                    }
                }
                None => self.shared.wake.wait(&mut queue),
            }
        }
    }

    /// When the next background fsync is due, if one is.
    fn sync_deadline(&self) -> Option<Instant> {
        (self.shared.fsync == Fsync::EverySec && self.dirty)
            .then(|| self.last_sync + BACKGROUND_SYNC_INTERVAL)
    }

    /// Writes a batch, split at record boundaries where a segment fills up,
    /// and answers each part once it is durable as the policy says.
    fn write_batch(&mut self, frames: &[u8], records: &mut Vec<Queued>) {
        // Frame offset where `records[0]` starts.
        let mut start = 0;
        while !records.is_empty() {
            if let Err(error) = self.make_room() {
                fail(records, &error);
                return;
            }
            // At least one record, then as many as fit in this segment.
            let room = self.segment_size.saturating_sub(self.segment.len());
            let mut count = 1;
            while count < records.len() && (records[count].end - start) as u64 <= room {
                count += 1;
            }
            let last = &records[count - 1];
            let (end, last_lsn) = (last.end, last.lsn);
            if let Err(error) = self.write_chunk(&frames[start..end], last_lsn, count) {
                // The rest of the batch is refused too: appending it after
                // a failure would only fail the same way.
                fail(records, &error);
                return;
            }
            // Only now, after the fsync (Always) or the write (EverySec,
            // No) has returned, do the replies leave.
            for record in records.drain(..count) {
                // A caller that dropped its Pending does not want the answer.
                let _ = record.reply.send(Ok(record.lsn));
            }
            start = end;
        }
    }

    /// Appends `count` framed records ending with `last_lsn`, and fsyncs
    /// them if the policy (or a degraded disk) asks. On failure the segment
    /// is cut back, so nothing of them stays in the log.
    fn write_chunk(&mut self, frames: &[u8], last_lsn: u64, count: usize) -> Result<(), WalError> {
        let shared = Arc::clone(&self.shared);
        let counters = &shared.counters;
        let good = (self.segment.len(), self.segment.last_lsn());
        if let Err(e) = self.segment.append(frames, last_lsn) {
            counters.write_failed();
            let make = |path, source| WalError::Write { path, source };
            return Err(self.refuse("write to the log", make, e, good, count));
        }
        counters.wrote(count as u64, frames.len() as u64);
        self.dirty = true;

        if (self.shared.fsync == Fsync::Always || self.degraded)
            && let Err(e) = self.sync()
        {
            let make = |path, source| WalError::Sync { path, source };
            return Err(self.refuse("fsync of the log", make, e, good, count));
        }
        Ok(())
    }

    /// A failed write or fsync (`what`) of `count` records: logged, the
    /// segment cut back to `good` (its length and last LSN before them), and
    /// the error made with `make` returned.
    ///
    /// What the failed call may or may not have put on disk is cut away, so
    /// the refused records cannot come back at recovery either.
    fn refuse(
        &mut self,
        what: &str,
        make: fn(PathBuf, Arc<std::io::Error>) -> WalError,
        e: std::io::Error,
        good: (u64, Option<u64>),
        count: usize,
    ) -> WalError {
        tracing::error!(
            path = %self.segment.path().display(), error = %e, records = count,
            "{what} failed; the records are refused and the segment cut back"
        );
        let error = make(self.segment.path().to_path_buf(), Arc::new(e));
        self.cut_back(good.0, good.1);
        error
    }

    /// fsync the active segment, keeping the counters and the degraded
    /// state up to date.
    fn sync(&mut self) -> std::io::Result<()> {
        let counters = &self.shared.counters;
        match self.segment.sync() {
            Ok(()) => {
                // Under `No` older segments were left unsynced at roll, so
                // this fsync would not cover everything below its LSN.
                let covers_all = self.shared.fsync != Fsync::No;
                counters.synced(self.segment.last_lsn().filter(|_| covers_all));
                self.dirty = false;
                self.degraded = false;
                self.last_sync = Instant::now();
                Ok(())
            }
            Err(e) => {
                counters.sync_failed();
                Err(e)
            }
        }
    }

    /// The once-a-second fsync of [`Fsync::EverySec`]. Its records were
    /// already acknowledged, so a failure cannot be reported to them; it is
    /// logged, and later batches wait for their own fsync until one works.
    fn background_sync(&mut self) {
        if let Err(e) = self.sync() {
            self.degraded = true;
            // Retry in a second rather than spinning on a failing disk.
            self.last_sync = Instant::now();
            tracing::error!(
                path = %self.segment.path().display(), error = %e,
                "background fsync of the log failed: records acknowledged in the last second may not \
                 survive a power loss; new records now wait for their own fsync until the disk recovers"
            );
        }
    }

    /// Before a write: finish an earlier cut-back, and roll to a new segment
    /// if this one is full.
    fn make_room(&mut self) -> Result<(), WalError> {
        if let Some((len, last)) = self.cut_back_to {
            self.segment.truncate(len, last).map_err(|e| WalError::Write {
                path: self.segment.path().to_path_buf(),
                source: Arc::new(e),
            })?;
            self.cut_back_to = None;
        }
        // A segment is never left empty: the next one is named after its
        // last record, which is how recovery proves no file is missing.
        if let Some(last) = self.segment.last_lsn()
            && self.segment.len() >= self.segment_size
        {
            self.roll(last + 1)?;
        }
        Ok(())
    }

    fn roll(&mut self, name: u64) -> Result<(), WalError> {
        let shared = Arc::clone(&self.shared);
        let dir = &shared.dir;
        // The background fsync only covers the active file: sync the old one
        // before leaving it, unless the policy leaves syncing to the OS.
        if self.dirty && self.shared.fsync != Fsync::No {
            self.sync().map_err(|e| WalError::Sync {
                path: self.segment.path().to_path_buf(),
                source: Arc::new(e),
            })?;
        }
        let path = dir.segment_path(name);
        let next =
            ActiveSegment::create(dir, name).map_err(|e| WalError::io("create", &path, e))?;
        // The new file's directory entry must be durable before any record
        // in it is acknowledged.
        dir.sync().map_err(|e| WalError::io("fsync", dir.path(), e))?;
        #[cfg(test)]
        let next = {
            let mut next = next;
            next.faults = Arc::clone(&self.segment.faults);
            next
        };
        self.shared.segments.lock().push(name);
        self.shared.counters.rolled();
        tracing::debug!(path = %path.display(), "log segment started");
        self.segment = next;
        self.dirty = false;
        Ok(())
    }

    /// Cuts the segment back to its last good length after a failed write or
    /// fsync; if even that fails, remembers to do it before the next write.
    fn cut_back(&mut self, len: u64, last: Option<u64>) {
        if let Err(e) = self.segment.truncate(len, last) {
            tracing::error!(
                path = %self.segment.path().display(), error = %e, len,
                "cannot cut the log back after a failed write; will retry before the next write"
            );
            self.cut_back_to = Some((len, last));
        }
    }

    /// On close: everything queued has been written; make it durable.
    fn finish(mut self) -> Result<(), WalError> {
        if self.dirty {
            self.sync().map_err(|e| WalError::Sync {
                path: self.segment.path().to_path_buf(),
                source: Arc::new(e),
            })?;
        }
        Ok(())
    }
}

/// Answers every record of a failed batch with the same error.
fn fail(records: &mut Vec<Queued>, error: &WalError) {
    for record in records.drain(..) {
        let _ = record.reply.send(Err(error.clone()));
    }
}

/// Closes the queue when the writer thread ends, however it ends.
struct StopGuard(Arc<Shared>);

impl Drop for StopGuard {
    fn drop(&mut self) {
        let mut queue = self.0.queue.lock();
        queue.closed = true;
        // Dropping the replies tells their callers the log closed.
        queue.records.clear();
        queue.frames.clear();
    }
}
