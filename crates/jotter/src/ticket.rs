//! Knowing when a write is in the store: per-worker progress watermarks,
//! the [`Ticket`] a write hands back, and the barriers built on them.
//!
//! Each flush worker publishes a watermark: every write with a version at
//! or below it that went to this worker is in the store (or dead-lettered).
//! Versions grow in the order writes are accepted, so "everything accepted
//! before now is stored" is "every worker's watermark has reached the clock".

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use tokio::sync::{Notify, watch};

use crate::dead_letter::DeadLetters;
use crate::error::{Error, Result};

/// What one flush worker shares with the writers.
#[derive(Debug)]
pub(crate) struct WorkerState {
    /// Keys in this worker's shards whose front op waits to be flushed.
    pub ready: AtomicUsize,
    /// Wakes the worker: a batch filled up, a first write arrived, a barrier.
    pub wake: Notify,
    /// A barrier asks the worker to flush, without waiting for a full
    /// batch or the interval, every write up to this version.
    pub target: AtomicU64,
    /// (watermark, stopped): see the module doc; `stopped` once the worker
    /// has exited, so waiters do not wait forever.
    pub progress: watch::Sender<(u64, bool)>,
}

impl WorkerState {
    fn new() -> Self {
        WorkerState {
            ready: AtomicUsize::new(0),
            wake: Notify::new(),
            target: AtomicU64::new(0),
            progress: watch::Sender::new((0, false)),
        }
    }
}

/// The progress of every worker, and the dead letters (a barrier's write
/// may have ended there).
#[derive(Debug)]
pub(crate) struct Progress {
    pub workers: Box<[WorkerState]>,
    pub dead: DeadLetters,
}

impl Progress {
    pub(crate) fn new(workers: usize, dead: DeadLetters) -> Self {
        Progress { workers: (0..workers).map(|_| WorkerState::new()).collect(), dead }
    }

    /// Waits until `worker` has stored every write up to `version`; with
    /// `urgent`, asks it to flush them now rather than at the interval.
    pub(crate) async fn wait(&self, worker: usize, version: u64, urgent: bool) -> Result<()> {
        let state = &self.workers[worker];
        if urgent {
            state.target.fetch_max(version, Ordering::AcqRel);
            state.wake.notify_one();
        }
        let mut rx = state.progress.subscribe();
        let seen = rx
            .wait_for(|(mark, stopped)| *mark >= version || *stopped)
            .await
            .map_err(|_| Error::Stopped)?;
        if seen.0 >= version { Ok(()) } else { Err(Error::Stopped) }
    }

    /// Waits until every worker has stored every write up to `version`.
    pub(crate) async fn wait_all(&self, version: u64) -> Result<()> {
        for w in 0..self.workers.len() {
            self.wait(w, version, true).await?;
        }
        Ok(())
    }
}

/// A receipt for one accepted write: pass it to
/// [`Cache::wait_stored`](crate::Cache::wait_stored) to wait until that write
/// (or a newer one of the same key that replaced it) is in the store.
///
/// A ticket holds no reference into the cache, so making and dropping one
/// costs nothing shared between threads.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub(crate) worker: usize,
    pub(crate) version: u64,
    pub(crate) key: Bytes,
    /// Already in the store when the ticket was made (a direct write).
    pub(crate) done: bool,
    /// The write deletes the key.
    pub(crate) deletes: bool,
}

impl Ticket {
    /// The version the write was given.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The key written.
    #[must_use]
    pub fn key(&self) -> &Bytes {
        &self.key
    }

    /// Whether the write deletes the key (a delete, or a transaction's
    /// writes that end in one).
    #[must_use]
    pub fn deletes(&self) -> bool {
        self.deletes
    }

    /// The same ticket, marked as deleting the key when `gone` (a map
    /// whose last field the write removed).
    pub(crate) fn or_deletes(mut self, gone: bool) -> Self {
        self.deletes |= gone;
        self
    }

    /// A ticket for a write the store already committed.
    pub(crate) fn done(version: u64, key: Bytes, deletes: bool) -> Self {
        Ticket { worker: 0, version, key, done: true, deletes }
    }
}

impl Progress {
    /// Waits until a ticket's write is in the store (or dead-lettered).
    pub(crate) async fn wait_ticket(&self, ticket: Ticket, urgent: bool) -> Result<()> {
        if ticket.done {
            return Ok(());
        }
        self.wait(ticket.worker, ticket.version, urgent).await?;
        match self.dead.error_for(&ticket.key, ticket.version) {
            Some(error) => Err(Error::DeadLettered(error)),
            None => Ok(()),
        }
    }
}
