//! The engine's housekeeping: the clock tick that keeps versions near wall
//! time and, every few ticks, publishes metrics, rebalances memory and
//! checkpoints the log; and the reads of the pending state they need.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::engine::Inner;
use crate::stats;
use crate::store::Store;

/// Clock ticks between two rounds of housekeeping, metrics and the log's
/// checkpoint (20 × 5 ms = 100 ms).
const HOUSEKEEPING_TICKS: u32 = 20;

impl<S: Store> Inner<S> {
    /// Age of the oldest write waiting in any shard.
    pub(crate) fn oldest_pending(&self) -> Option<Duration> {
        let now = Instant::now();
        (0..self.buffer().shard_count())
            .filter_map(|s| self.buffer().lock(s).oldest())
            .map(|since| now.saturating_duration_since(since))
            .max()
    }

    /// What the metrics export, read now.
    pub(crate) fn snapshot(&self) -> stats::Snapshot {
        stats::Snapshot {
            accepted: self.accepted(),
            pending: self.bound().used(),
            oldest: self.oldest_pending(),
            dead_letters: self.progress().dead.len(),
            store_unavailable_for: self.health().unavailable_for(),
        }
    }

    /// Writes accepted since start, summed over the shards.
    pub(crate) fn accepted(&self) -> u64 {
        (0..self.buffer().shard_count()).map(|s| self.buffer().lock(s).accepted()).sum()
    }

    /// Keeps the version clock near wall time until the cache stops, and
    /// every [`HOUSEKEEPING_TICKS`] ticks publishes the metrics and
    /// checkpoints the log.
    pub(crate) async fn tick_clock(self: Arc<Self>) {
        let mut ticks = 0u32;
        loop {
            tokio::select! {
                () = tokio::time::sleep(crate::clock::TICK) => self.clock().tick(),
                () = self.stopped() => break,
            }
            ticks = ticks.wrapping_add(1);
            if !ticks.is_multiple_of(HOUSEKEEPING_TICKS) {
                continue;
            }
            // Scans every shard: here, not after each batch on the flush path.
            stats::publish(&self.snapshot());
            // Room given back by flushes goes back to the clean cache here.
            self.rebalance_memory();
            self.health().publish();
            if self.log().is_some() {
                // A checkpoint fsyncs; keep it off the runtime's threads.
                let inner = self.clone();
                let _ = tokio::task::spawn_blocking(move || inner.checkpoint_log()).await;
            }
        }
    }
}
