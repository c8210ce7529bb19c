//! What the cache counts, read back through [`Stats`] and exported through
//! the `metrics` facade (the embedding program chooses the exporter, e.g.
//! Prometheus), under the names listed in the crate documentation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::time::Instant;

/// Seconds over which `flush_rate` is averaged.
const RATE_WINDOW: u64 = 10;

/// A snapshot of the cache's counters and gauges.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Stats {
    /// Writes not yet in the store (coalesced writes count once), in flight included.
    pub pending_entries: u64,
    /// Bytes those writes hold.
    pub pending_bytes: u64,
    /// Age of the oldest write not yet handed to the store, if any.
    pub oldest_pending_age: Option<Duration>,
    /// Writes accepted since start.
    pub writes_accepted: u64,
    /// Key writes the store has committed since start.
    pub store_writes: u64,
    /// `writes_accepted / store_writes`: how many writes each store write
    /// stood for (1.0 when nothing coalesced).
    pub coalescing_ratio: f64,
    /// Store calls that succeeded.
    pub batches: u64,
    /// Store calls retried after a transient failure.
    pub retries: u64,
    /// Store calls that failed (transient or permanent).
    pub failures: u64,
    /// Writes in the dead-letter queue now.
    pub dead_letters: u64,
    /// Read-through loads from the store.
    pub loads: u64,
    /// Key writes committed per second over the last ten seconds.
    pub flush_rate: f64,
    /// Whether the store answers (see [`Cache::store_state`](crate::Cache::store_state)).
    pub store_up: bool,
    /// How long the store has been unavailable, during an outage.
    pub store_unavailable_for: Option<Duration>,
}

#[derive(Debug)]
pub(crate) struct Counters {
    pub store_writes: AtomicU64,
    pub batches: AtomicU64,
    pub retries: AtomicU64,
    pub failures: AtomicU64,
    pub loads: AtomicU64,
    window: Mutex<RateWindow>,
}

/// Store writes per second for the last `RATE_WINDOW` seconds.
#[derive(Debug)]
struct RateWindow {
    start: Instant,
    buckets: [(u64, u64); RATE_WINDOW as usize],
}

/// The engine's counters, registered at 0 when a cache starts so that each
/// has a series before its first event: `rate()` and alert rules see nothing
/// at all of a counter that does not exist yet.
const COUNTERS: [&str; 9] = [
    "jotter_writes_accepted_total",
    "jotter_store_writes_total",
    "jotter_batches_total",
    "jotter_retries_total",
    "jotter_store_failures_total",
    "jotter_dead_letters_total",
    "jotter_loads_total",
    "jotter_store_outages_total",
    "jotter_store_probes_total",
];

impl Counters {
    pub(crate) fn new() -> Self {
        for name in COUNTERS {
            metrics::counter!(name).increment(0);
        }
        Counters {
            store_writes: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            loads: AtomicU64::new(0),
            window: Mutex::new(RateWindow {
                start: Instant::now(),
                buckets: [(0, 0); RATE_WINDOW as usize],
            }),
        }
    }

    pub(crate) fn batch_done(&self, writes: usize) {
        let n = writes as u64;
        self.store_writes.fetch_add(n, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("jotter_store_writes_total").increment(n);
        metrics::counter!("jotter_batches_total").increment(1);
        metrics::histogram!("jotter_batch_size").record(writes as f64);
        let mut w = self.window.lock();
        let second = w.start.elapsed().as_secs();
        let slot = &mut w.buckets[(second % RATE_WINDOW) as usize];
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 += n;
    }

    pub(crate) fn failed(&self, retrying: bool) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("jotter_store_failures_total").increment(1);
        if retrying {
            self.retries.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("jotter_retries_total").increment(1);
        }
    }

    pub(crate) fn loaded(&self) {
        self.loads.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("jotter_loads_total").increment(1);
    }

    fn flush_rate(&self) -> f64 {
        let w = self.window.lock();
        let now = w.start.elapsed().as_secs();
        // The current second is partial; average over the complete ones
        // plus it, but never over more time than has passed.
        let span = (now + 1).min(RATE_WINDOW);
        let total: u64 = w.buckets.iter().filter(|(s, _)| now - s < span).map(|(_, n)| n).sum();
        total as f64 / span as f64
    }

    /// The public stats: these counters and what the cache read now.
    pub(crate) fn stats(&self, now: &Snapshot) -> Stats {
        let writes_accepted = now.accepted;
        let store_writes = self.store_writes.load(Ordering::Relaxed);
        Stats {
            pending_entries: now.pending.entries,
            pending_bytes: now.pending.bytes,
            oldest_pending_age: now.oldest,
            writes_accepted,
            store_writes,
            coalescing_ratio: if store_writes == 0 {
                1.0
            } else {
                writes_accepted as f64 / store_writes as f64
            },
            batches: self.batches.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            dead_letters: now.dead_letters,
            loads: self.loads.load(Ordering::Relaxed),
            flush_rate: self.flush_rate(),
            store_up: now.store_unavailable_for.is_none(),
            store_unavailable_for: now.store_unavailable_for,
        }
    }
}

/// What the cache reads of its own state for [`publish`] and [`Stats`].
pub(crate) struct Snapshot {
    pub accepted: u64,
    pub pending: crate::bound::Used,
    pub oldest: Option<Duration>,
    pub dead_letters: u64,
    pub store_unavailable_for: Option<Duration>,
}

/// Brings the exported metrics up to date: the gauges, and the count of
/// accepted writes, which the hot path keeps in the write buffer's shards
/// rather than in a shared counter.
pub(crate) fn publish(s: &Snapshot) {
    metrics::counter!("jotter_writes_accepted_total").absolute(s.accepted);
    metrics::gauge!("jotter_pending_entries").set(s.pending.entries as f64);
    metrics::gauge!("jotter_pending_bytes").set(s.pending.bytes as f64);
    metrics::gauge!("jotter_oldest_pending_seconds").set(s.oldest.map_or(0.0, |d| d.as_secs_f64()));
    // `jotter_dead_letters` and `jotter_dead_letter_write_failures` are set
    // by the queue itself as it changes (dead_letter/mod.rs): set here too,
    // from a read taken before a change, they could step back for a round.
}

/// How close the cache is to its bounds; a bound that is not set reads 0.
pub(crate) struct Bounds {
    pub memory_used: u64,
    pub memory_limit: u64,
    pub entries_limit: u64,
    pub bytes_limit: u64,
    /// See `headroom.rs`; infinite when nothing grows toward a bound.
    pub headroom_secs: f64,
}

/// Publishes the bounds' gauges.
pub(crate) fn publish_bounds(b: &Bounds) {
    metrics::gauge!("jotter_memory_used_bytes").set(b.memory_used as f64);
    metrics::gauge!("jotter_memory_limit_bytes").set(b.memory_limit as f64);
    metrics::gauge!("jotter_pending_entries_limit").set(b.entries_limit as f64);
    metrics::gauge!("jotter_pending_bytes_limit").set(b.bytes_limit as f64);
    metrics::gauge!("jotter_outage_headroom_seconds").set(b.headroom_secs);
}

/// Publishes the log's footprint on disk (only a cache with a log has one).
pub(crate) fn publish_log_disk(d: &jotter_wal::DiskUsage) {
    metrics::gauge!("jotter_log_bytes").set(d.log_bytes as f64);
    metrics::gauge!("jotter_log_disk_free_bytes").set(d.free_bytes as f64);
    metrics::gauge!("jotter_log_disk_size_bytes").set(d.size_bytes as f64);
}
