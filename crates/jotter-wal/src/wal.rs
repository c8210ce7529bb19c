//! The log itself: open (lock, check, repair, recover), submit, checkpoint,
//! close.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::BytesMut;
use parking_lot::{Condvar, Mutex};

use crate::background;
use crate::checkpoint;
use crate::dir::{self, LogDir};
use crate::lock::{self, DirLock};
use crate::pending::Pending;
use crate::queue::Queue;
use crate::recovery::{Recovery, ReplaySegment, TornTail};
use crate::salvage;
use crate::scan::{self, Scan};
use crate::segment::ActiveSegment;
use crate::shared::Shared;
use crate::state::State;
use crate::stats::WalStats;
use crate::writer::Writer;
use crate::{DiskUsage, WalError, WalOptions};

/// An open write-ahead log. Share it between threads by reference or in an
/// [`Arc`]; every method takes `&self` except [`Wal::close`].
///
/// Dropping it is [`Wal::close`] with the error logged instead of returned.
pub struct Wal {
    shared: Arc<Shared>,
    /// The background thread (the writer under `Fsync::Always`, the
    /// once-a-second fsync under `EverySec`), which drains the queue on close.
    background: Option<JoinHandle<Result<(), WalError>>>,
    /// Held, not used: the directory is ours while this lives. Declared
    /// after `background`, which is joined in `drop` after draining the
    /// queue, so the lock is released only after the last write.
    _lock: DirLock,
}

impl std::fmt::Debug for Wal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wal")
            .field("dir", &self.shared.dir.path())
            .field("fsync", &self.shared.fsync)
            .finish_non_exhaustive()
    }
}

impl Wal {
    /// Opens (or creates) the log in `dir`, checks it, and returns it with
    /// the records to replay.
    ///
    /// Takes the directory's `LOCK` first ([`WalError::Locked`] if another
    /// `Wal` holds it), finishes an interrupted checkpoint, cuts a torn
    /// record off the end (reported in [`Recovery::truncated_tail`]), and
    /// refuses a damaged log with [`WalError::Corrupt`] or [`WalError::Gap`]
    /// unless [`WalOptions::salvage`] is set.
    pub fn open(dir: impl AsRef<Path>, options: WalOptions) -> Result<(Wal, Recovery), WalError> {
        options.validate()?;
        let dir = LogDir::create(dir.as_ref())?;
        let lock = lock::acquire(&dir)?;
        let mut names = dir.list_segments()?;
        let stored_checkpoint = load_checkpoint(&dir, &names, options.salvage)?;
        let checkpoint = stored_checkpoint.unwrap_or(0);

        // A checkpoint persists its mark before deleting segments: finish
        // the deletions a crash may have interrupted.
        let below = checkpoint::wholly_below(&names, checkpoint);
        let (deleted, result) = checkpoint::delete_segments(&dir, &names[..below]);
        names.drain(..deleted);
        result?;

        if names.is_empty()
            && let Some(mark) = stored_checkpoint
            && !options.salvage
        {
            // We never delete the last segment, so someone else did.
            return Err(WalError::Corrupt {
                path: dir.path().join("CHECKPOINT"),
                offset: 0,
                reason: format!(
                    "the checkpoint keeps records from LSN {mark} on, but no segment file is left"
                ),
            });
        }

        let mut scan = scan::scan(&dir, &names, checkpoint)?;
        let mut salvaged = None;
        let mut highest_moved = 0;
        if let Some(error) = scan.damage_error(&dir) {
            if !options.salvage {
                return Err(error);
            }
            let (report, highest) = salvage::salvage(&dir, &mut scan)?;
            salvaged = Some(report);
            highest_moved = highest;
        }
        let truncated_tail = cut_torn_tail(&scan)?;

        let next_lsn = scan
            .scanned
            .iter()
            .map(|s| s.last_lsn.map_or(s.name, |last| last + 1))
            .chain([1, checkpoint, highest_moved.saturating_add(1)])
            .max()
            .unwrap_or(1);

        let (segment, checkpoint) = match scan.scanned.last() {
            Some(last) => (
                ActiveSegment::reopen(&dir, last.name, last.valid_len, last.last_lsn)
                    .map_err(|e| WalError::io("open", &last.path, e))?,
                checkpoint,
            ),
            None => start_log(&dir, next_lsn, checkpoint)?,
        };
        let segments = match scan.scanned.is_empty() {
            true => vec![segment.name()],
            false => scan.scanned.iter().map(|s| s.name).collect(),
        };
        let replay: Vec<ReplaySegment> = scan
            .scanned
            .iter()
            .filter(|s| s.replay > 0)
            .map(|s| ReplaySegment { path: s.path.clone(), len: s.valid_len })
            .collect();
        let records = scan.scanned.iter().map(|s| s.replay).sum();
        let recovery =
            Recovery::new(checkpoint, next_lsn, records, truncated_tail, salvaged, replay);

        #[cfg(test)]
        let faults = Arc::clone(&segment.faults);
        let state = State {
            dir,
            fsync: options.fsync,
            queue: Mutex::new(Queue { next_lsn, ..Queue::default() }),
            resolved: AtomicU64::new(next_lsn),
            refusals: Default::default(),
            segments: Mutex::new(segments),
            counters: Default::default(),
        };
        let shared = Arc::new(Shared {
            state,
            wake: Condvar::new(),
            writer: Mutex::new(Writer::new(segment, options.segment_size)),
            waiters: Default::default(),
            checkpoint: AtomicU64::new(checkpoint),
            checkpointing: Mutex::new(()),
            #[cfg(test)]
            faults,
        });
        let thread_shared = Arc::clone(&shared);
        let handle = thread::Builder::new()
            .name("jotter-wal".to_owned())
            .spawn(move || background::run(thread_shared))
            .map_err(|e| WalError::io("start the log's thread for", shared.dir.path(), e))?;
        Ok((Wal { shared, background: Some(handle), _lock: lock }, recovery))
    }

    /// Gives `payload` the next LSN and queues it; returns at once, without
    /// waiting for the disk.
    ///
    /// The order of `submit` calls is the order in the log, so a caller may
    /// submit while holding its own lock (to tie log order to its own
    /// order) and wait on the [`Pending`] after releasing it.
    pub fn submit(&self, payload: &[u8]) -> Result<Pending, WalError> {
        self.submit_with(payload.len(), |buf| buf.extend_from_slice(payload))
    }

    /// [`Wal::submit`] for a payload that `write` appends to the buffer
    /// (about `len` bytes): it is encoded straight into the batch that will
    /// be written, with no buffer of its own.
    ///
    /// `write` must only append, and runs under the queue's lock: keep it
    /// short. A payload longer than [`MAX_PAYLOAD_LEN`](crate::MAX_PAYLOAD_LEN)
    /// is refused with [`WalError::TooLarge`], without using an LSN.
    pub fn submit_with(
        &self,
        len: usize,
        write: impl FnOnce(&mut BytesMut),
    ) -> Result<Pending, WalError> {
        let lsn = self.shared.submit_with(len, write)?;
        Ok(Pending::new(lsn, Arc::clone(&self.shared)))
    }

    /// Declares every record with an LSN below `low_water` no longer needed.
    ///
    /// The mark is persisted first (in `CHECKPOINT`, atomically), then every
    /// segment holding only older records is deleted, so disk use follows
    /// what is pending rather than history. The mark only moves forward: a
    /// lower one than already stored is ignored.
    pub fn checkpoint(&self, low_water: u64) -> Result<(), WalError> {
        let shared = &self.shared;
        let _one_at_a_time = shared.checkpointing.lock();
        let next_lsn = shared.queue.lock().next_lsn;
        if low_water > next_lsn {
            return Err(WalError::CheckpointAhead { low_water, next_lsn });
        }
        if low_water <= shared.checkpoint.load(Ordering::Acquire) {
            return Ok(());
        }
        checkpoint::store(&shared.dir, low_water)?;
        shared.checkpoint.store(low_water, Ordering::Release);
        // Only full segments can go, never the one being written, so the
        // writer and this never touch the same file.
        let doomed: Vec<u64> = {
            let segments = shared.segments.lock();
            segments[..checkpoint::wholly_below(&segments, low_water)].to_vec()
        };
        let (deleted, result) = checkpoint::delete_segments(&shared.dir, &doomed);
        shared.segments.lock().drain(..deleted);
        result
    }

    /// The LSN the next submitted record will get: every record below it
    /// has been submitted.
    pub fn next_lsn(&self) -> u64 {
        self.shared.queue.lock().next_lsn
    }

    /// Counters since open.
    pub fn stats(&self) -> WalStats {
        self.shared.counters.snapshot()
    }

    /// The bytes of the log's segments on disk, and what the file system
    /// holding them has left.
    pub fn disk_usage(&self) -> Result<DiskUsage, WalError> {
        crate::disk::measure(&self.shared.dir)
    }

    /// The directory this log owns.
    pub fn dir(&self) -> &Path {
        self.shared.dir.path()
    }

    /// Stops accepting records, writes and fsyncs everything already
    /// submitted (resolving every [`Pending`]), stops the background thread
    /// and releases the directory.
    pub fn close(mut self) -> Result<(), WalError> {
        self.stop()
    }

    /// The failure injection shared with the writer, for the disk-trouble tests.
    #[cfg(test)]
    pub(crate) fn faults(&self) -> &crate::segment::faults::Faults {
        &self.shared.faults
    }

    fn stop(&mut self) -> Result<(), WalError> {
        let Some(background) = self.background.take() else { return Ok(()) };
        self.shared.close();
        // A panicked thread has already refused every queued record.
        background.join().unwrap_or(Err(WalError::Closed))
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::error!(dir = %self.shared.dir.path().display(), %error, "closing the log failed");
        }
    }
}

/// Reads `CHECKPOINT`. A damaged one is fatal unless salvaging; then it is
/// kept aside as `CHECKPOINT.damaged-<unix-seconds>` and every record still
/// on disk is replayed (replaying too much is safe, too little is not).
fn load_checkpoint(dir: &LogDir, names: &[u64], salvage: bool) -> Result<Option<u64>, WalError> {
    match checkpoint::load(dir) {
        Ok(mark) => Ok(mark),
        Err(error @ WalError::Corrupt { .. }) if salvage => {
            let mark = names.first().copied().unwrap_or(1);
            let from = dir.path().join("CHECKPOINT");
            let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let to = dir.path().join(format!("CHECKPOINT.damaged-{seconds}"));
            fs::rename(&from, &to).map_err(|e| WalError::io("move aside", &from, e))?;
            checkpoint::store(dir, mark)?;
            tracing::warn!(
                %error, kept = %to.display(), low_water = mark,
                "damaged checkpoint replaced: every record still on disk will be replayed"
            );
            Ok(Some(mark))
        }
        Err(error) => Err(error),
    }
}

/// Cuts a torn record off the end of the last segment, durably.
fn cut_torn_tail(scan: &Scan) -> Result<Option<TornTail>, WalError> {
    let (Some(offset), Some(last)) = (scan.torn_tail, scan.scanned.last()) else {
        return Ok(None);
    };
    dir::cut_segment_file(&last.path, offset)
        .map_err(|e| WalError::io("cut the torn tail from", &last.path, e))?;
    let tail = TornTail { path: last.path.clone(), offset, bytes: last.file_len - offset };
    tracing::warn!(
        path = %tail.path.display(), offset, bytes = tail.bytes,
        "torn record at the end of the log cut off (a write interrupted by a crash; it was never \
         reported durable)"
    );
    Ok(Some(tail))
}

/// Creates the first segment of an empty (or fully salvaged) log, and
/// returns it with the checkpoint. If the segment starts above the
/// checkpoint, the checkpoint is moved up to it, or the next open would see
/// a gap where the moved-aside records were.
fn start_log(
    dir: &LogDir,
    next_lsn: u64,
    checkpoint: u64,
) -> Result<(ActiveSegment, u64), WalError> {
    let path = dir.segment_path(next_lsn);
    let segment =
        ActiveSegment::create(dir, next_lsn).map_err(|e| WalError::io("create", &path, e))?;
    dir.sync().map_err(|e| WalError::io("fsync", dir.path(), e))?;
    if next_lsn > checkpoint.max(1) {
        checkpoint::store(dir, next_lsn)?;
        return Ok((segment, next_lsn));
    }
    Ok((segment, checkpoint))
}
