//! Shutting a cache down: no new writes, the buffer drained to the store
//! for up to a timeout, the log checkpointed, the workers stopped, and a
//! report of what is left.

use std::sync::atomic::Ordering;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::task::JoinHandle;

use crate::engine::Inner;
use crate::store::Store;

/// What [`Cache::shutdown`](crate::Cache::shutdown) achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Whether every accepted write reached the store (or the dead-letter
    /// queue) within the timeout.
    pub drained: bool,
    /// Writes still pending when the workers stopped.
    pub pending_entries: u64,
    /// Bytes they hold.
    pub pending_bytes: u64,
    /// Writes in the dead-letter queue.
    pub dead_letters: u64,
}

/// Stops accepting writes, drains the buffer to the store for up to
/// `timeout`, stops the workers and reports what is left.
pub(crate) async fn shutdown<S: Store>(
    inner: &Inner<S>,
    tasks: &Mutex<Vec<JoinHandle<()>>>,
    timeout: Duration,
) -> ShutdownReport {
    inner.closing.store(true, Ordering::SeqCst);
    // A write versions and queues under its shard lock after checking
    // `closing` there: once every shard lock has been taken, every write
    // is either refused or already in the buffer, below the drain's mark.
    for s in 0..inner.buffer.shard_count() {
        drop(inner.buffer.lock(s));
    }
    // Writers waiting for room re-check and see the cache closing.
    inner.bound.room.notify_waiters();
    let drain = inner.progress.wait_all(inner.clock.last());
    let drained = matches!(tokio::time::timeout(timeout, drain).await, Ok(Ok(())));
    inner.cancel.cancel();
    if drained {
        // Nothing is pending: the next start has nothing to replay.
        inner.checkpoint_log();
    }
    if let Some(log) = &inner.log {
        log.persist_clock(inner.clock.last());
    }
    let tasks = std::mem::take(&mut *tasks.lock());
    for task in tasks {
        if let Err(e) = task.await {
            tracing::error!(error = %e, "a flush worker ended abnormally");
        }
    }
    let (pending_entries, pending_bytes) = inner.bound.used();
    if !drained {
        tracing::warn!(pending_entries, "shutdown timed out with writes not yet in the store");
    }
    ShutdownReport {
        drained,
        pending_entries,
        pending_bytes,
        dead_letters: inner.progress.dead.len(),
    }
}
