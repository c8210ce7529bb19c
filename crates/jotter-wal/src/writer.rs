//! The log's write lock and what its holder does: take every queued record
//! at once, write them with one `write`, make them durable as the policy
//! says, then move the resolved mark past them (or refuse them).
//!
//! Whoever holds the lock writes: under [`Fsync::EverySec`] and
//! [`Fsync::No`] a caller waiting for its record (the batch's leader), under
//! [`Fsync::Always`] the writer thread. Group writes fall out of the swap:
//! while one batch is being written, callers keep queuing, and the next
//! holder takes all of them.

use std::mem;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::BytesMut;

use crate::segment::{ActiveSegment, SegmentSync};
use crate::state::State;
use crate::{Fsync, WalError};

/// Buffer capacity kept between batches (bytes of frames); more is freed.
const RETAINED_FRAME_BYTES: usize = 8 << 20;

/// The state behind the write lock.
#[derive(Debug)]
pub(crate) struct Writer {
    segment: ActiveSegment,
    segment_size: u64,
    /// Written to the OS but not yet fsynced.
    dirty: bool,
    /// A background fsync failed ([`Fsync::EverySec`]): until an fsync
    /// succeeds again, each batch waits for its own fsync, so records are
    /// refused rather than acknowledged onto a failing disk.
    degraded: bool,
    /// A failed write could not be cut back yet (`truncate` failed too): its
    /// partial bytes must go before anything else is appended, or they
    /// would sit between good records.
    cut_back_to: Option<(u64, Option<u64>)>,
    /// The buffers swapped with the queue's: both keep their capacity, so a
    /// batch allocates nothing.
    frames: BytesMut,
    ends: Vec<usize>,
}

impl Writer {
    pub(crate) fn new(segment: ActiveSegment, segment_size: u64) -> Self {
        Writer {
            segment,
            segment_size,
            dirty: false,
            degraded: false,
            cut_back_to: None,
            frames: BytesMut::new(),
            ends: Vec::new(),
        }
    }

    /// Writes every queued record as one batch and moves the resolved mark
    /// past it; false if nothing was queued.
    pub(crate) fn write_queued(&mut self, state: &State) -> bool {
        let first = {
            let mut queue = state.queue.lock();
            if queue.ends.is_empty() {
                return false;
            }
            let first = queue.first_lsn();
            mem::swap(&mut self.frames, &mut queue.frames);
            mem::swap(&mut self.ends, &mut queue.ends);
            first
        };
        let end = first + self.ends.len() as u64;
        // Should this panic midway, the batch is refused rather than lost
        // unanswered (or, worse, covered by a later batch's mark).
        let mut unresolved = Unresolved { state, first, end };
        let (frames, mut ends) = (mem::take(&mut self.frames), mem::take(&mut self.ends));
        self.write_batch(state, &frames, &ends, first);
        state.resolved.store(end, Ordering::Release);
        unresolved.first = end;
        // A burst may have grown the buffers far past the usual batch; don't
        // keep that memory for the log's lifetime.
        self.frames = match frames.capacity() > RETAINED_FRAME_BYTES {
            true => BytesMut::new(),
            false => frames,
        };
        self.frames.clear();
        ends.clear();
        ends.shrink_to(RETAINED_FRAME_BYTES / 64);
        self.ends = ends;
        true
    }

    /// Writes a batch whose first record has LSN `first`, split at record
    /// boundaries where a segment fills up; a part that fails is refused
    /// with the rest of the batch.
    fn write_batch(&mut self, state: &State, frames: &[u8], ends: &[usize], first: u64) {
        let last = first + ends.len() as u64 - 1;
        // Index in `ends` and frame offset where the next part starts.
        let (mut i, mut start) = (0, 0);
        while i < ends.len() {
            if let Err(error) = self.make_room(state) {
                state.refusals.refuse(first + i as u64, last, error);
                return;
            }
            // At least one record, then as many as fit in this segment.
            let room = self.segment_size.saturating_sub(self.segment.len());
            let mut count = 1;
            while i + count < ends.len() && (ends[i + count] - start) as u64 <= room {
                count += 1;
            }
            let end = ends[i + count - 1];
            let part_last = first + (i + count) as u64 - 1;
            if let Err(error) = self.write_part(state, &frames[start..end], part_last, count) {
                // The rest of the batch is refused too: appending it after
                // a failure would only fail the same way.
                state.refusals.refuse(first + i as u64, last, error);
                return;
            }
            (i, start) = (i + count, end);
        }
    }

    /// Appends `count` framed records ending with `last_lsn`, and fsyncs
    /// them if the policy (or a degraded disk) asks. On failure the segment
    /// is cut back, so nothing of them stays in the log.
    fn write_part(
        &mut self,
        state: &State,
        frames: &[u8],
        last_lsn: u64,
        count: usize,
    ) -> Result<(), WalError> {
        let counters = &state.counters;
        let good = (self.segment.len(), self.segment.last_lsn());
        if let Err(e) = self.segment.append(frames, last_lsn) {
            counters.write_failed();
            let make = |path, source| WalError::Write { path, source };
            return Err(self.refuse("write to the log", make, e, good, count));
        }
        counters.wrote(count as u64, frames.len() as u64);
        self.dirty = true;

        if (state.fsync == Fsync::Always || self.degraded)
            && let Err(e) = self.sync(state)
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

    /// fsync the active segment under the lock, keeping the counters and
    /// the degraded state up to date.
    fn sync(&mut self, state: &State) -> std::io::Result<()> {
        match self.segment.sync() {
            Ok(()) => {
                // Under `No` older segments were left unsynced at roll, so
                // this fsync would not cover everything below its LSN.
                let covers_all = state.fsync != Fsync::No;
                state.counters.synced(self.segment.last_lsn().filter(|_| covers_all));
                self.dirty = false;
                self.degraded = false;
                Ok(())
            }
            Err(e) => {
                state.counters.sync_failed();
                Err(e)
            }
        }
    }

    /// Starts the background fsync of [`Fsync::EverySec`]: if anything was
    /// written since the last fsync, a handle on the file and the LSN it
    /// will cover. The fsync itself runs after the lock is released, so
    /// writers do not wait for the disk.
    pub(crate) fn start_background_sync(&mut self) -> Option<(SegmentSync, Option<u64>)> {
        if !self.dirty {
            return None;
        }
        self.dirty = false;
        Some((self.segment.sync_handle(), self.segment.last_lsn()))
    }

    /// The outcome of a background fsync. Its records were already
    /// acknowledged, so a failure cannot be reported to them; it is logged,
    /// and later batches wait for their own fsync until one works.
    pub(crate) fn finish_background_sync(
        &mut self,
        state: &State,
        covered: Option<u64>,
        result: std::io::Result<()>,
    ) {
        match result {
            Ok(()) => {
                state.counters.synced(covered);
                self.degraded = false;
            }
            Err(e) => {
                state.counters.sync_failed();
                self.degraded = true;
                self.dirty = true;
                tracing::error!(
                    path = %self.segment.path().display(), error = %e,
                    "background fsync of the log failed: records acknowledged in the last second may not \
                     survive a power loss; new records now wait for their own fsync until the disk recovers"
                );
            }
        }
    }

    /// Before a write: finish an earlier cut-back, and roll to a new segment
    /// if this one is full.
    fn make_room(&mut self, state: &State) -> Result<(), WalError> {
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
            self.roll(state, last + 1)?;
        }
        Ok(())
    }

    fn roll(&mut self, state: &State, name: u64) -> Result<(), WalError> {
        let dir = &state.dir;
        // The background fsync only covers the active file: sync the old one
        // before leaving it, unless the policy leaves syncing to the OS.
        if self.dirty && state.fsync != Fsync::No {
            self.sync(state).map_err(|e| WalError::Sync {
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
        state.segments.lock().push(name);
        state.counters.rolled();
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

    /// On close, once everything queued has been written: make it durable.
    pub(crate) fn finish(&mut self, state: &State) -> Result<(), WalError> {
        if self.dirty {
            self.sync(state).map_err(|e| WalError::Sync {
                path: self.segment.path().to_path_buf(),
                source: Arc::new(e),
            })?;
        }
        Ok(())
    }
}

/// A batch taken from the queue whose records are not resolved yet: if it
/// is dropped so (a panic while writing), they are refused and resolved.
struct Unresolved<'a> {
    state: &'a State,
    first: u64,
    end: u64,
}

impl Drop for Unresolved<'_> {
    fn drop(&mut self) {
        if self.first < self.end {
            self.state.refusals.refuse(self.first, self.end - 1, WalError::Closed);
            self.state.resolved.fetch_max(self.end, Ordering::Release);
        }
    }
}
