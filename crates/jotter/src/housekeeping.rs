//! The engine's housekeeping: the clock tick that keeps versions near wall
//! time and, every few ticks, publishes metrics (the outage headroom
//! measured over its window, and every few seconds the log's disk use),
//! rebalances memory and checkpoints the log; and the reads of the pending
//! state they need.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::engine::Inner;
use crate::headroom::{Headroom, Limits};
use crate::stats;
use crate::store::Store;

/// Clock ticks between two rounds of housekeeping, metrics and the log's
/// checkpoint (20 × 5 ms = 100 ms).
const HOUSEKEEPING_TICKS: u32 = 20;

/// Rounds of housekeeping between two measurements of the log's disk use
/// (2 s): it lists the log directory, and disks fill in minutes, not
/// milliseconds.
const LOG_DISK_ROUNDS: u32 = 20;

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

    /// Bytes held for keys, pending and clean: what `max_memory` bounds.
    pub(crate) fn memory_used(&self) -> u64 {
        self.bound().used().bytes + self.clean().weight()
    }

    /// The bounds on pending writes, for the outage headroom.
    fn limits(&self) -> Limits {
        let set = |limit: u64| (limit != u64::MAX).then_some(limit);
        Limits { entries: set(self.bound().max_entries), bytes: set(self.bound().max_bytes) }
    }

    /// The bounds' gauges: what is held against each bound, and the time
    /// left until one is reached.
    fn bounds(&self, headroom: &Headroom) -> stats::Bounds {
        let unset_is_zero = |limit: u64| if limit == u64::MAX { 0 } else { limit };
        stats::Bounds {
            memory_used: self.memory_used(),
            memory_limit: self.config().max_memory.unwrap_or(0),
            entries_limit: unset_is_zero(self.config().max_pending_entries),
            bytes_limit: unset_is_zero(self.config().max_pending_bytes),
            headroom_secs: headroom.seconds(self.limits()),
        }
    }

    /// Publishes the log's disk use, if there is a log. A failed measurement
    /// leaves the last figures: the log's own errors say what is wrong.
    fn publish_log_disk(&self) {
        let Some(log) = self.log() else { return };
        match log.disk_usage() {
            Ok(usage) => stats::publish_log_disk(&usage),
            Err(e) => tracing::debug!(error = %e, "could not measure the log's disk use"),
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
        let mut rounds = 0u32;
        let mut headroom = Headroom::default();
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
            let snapshot = self.snapshot();
            headroom.record(Instant::now(), snapshot.pending);
            stats::publish(&snapshot);
            stats::publish_bounds(&self.bounds(&headroom));
            // Room given back by flushes goes back to the clean cache here.
            self.rebalance_memory();
            self.health().publish();
            let measure_disk = rounds.is_multiple_of(LOG_DISK_ROUNDS);
            rounds = rounds.wrapping_add(1);
            if self.log().is_some() {
                // A checkpoint fsyncs, a measurement lists the directory:
                // keep them off the runtime's threads.
                let inner = self.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    inner.checkpoint_log();
                    if measure_disk {
                        inner.publish_log_disk();
                    }
                })
                .await;
            }
        }
    }
}
