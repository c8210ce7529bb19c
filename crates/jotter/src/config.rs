//! How a cache is configured: [`CacheBuilder`] and the policies it chooses
//! between. `build` checks every setting, so a running cache never meets a
//! nonsensical one.

use std::time::Duration;

use std::path::PathBuf;

use bytes::Bytes;
pub use jotter_wal::Fsync;

use crate::data_dir::DataDir;
use crate::error::{Error, Result};
use crate::log::LogConfig;
use crate::retry::RetryPolicy;
use crate::store::Store;

/// What a write does when the write buffer is full (docs/DESIGN.md, bounded memory:
/// nothing is dropped silently). Whatever the policy, a full buffer makes
/// the flush workers flush at once, without waiting for a full batch or the
/// flush interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FullPolicy {
    /// Wait for room (back-pressure) up to the timeout, then fail with
    /// [`Error::FullTimeout`].
    Block {
        /// How long one write may wait.
        timeout: Duration,
    },
    /// Fail at once with [`Error::Full`], naming the bound.
    Reject,
    /// Write to the store synchronously, bypassing the buffer. A write to a
    /// key that already has writes pending waits for room as under `Block`
    /// (with the block timeout), because it must reach the store after them.
    WriteThrough,
}

/// How writes of one key are buffered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// One pending write per key, the newest: 100 updates of a key between
    /// two flushes cost one store write. Intermediate values are skipped,
    /// never reordered.
    Coalesce,
    /// Every write reaches the store, in order, still batched (one write per
    /// key per batch). For append-only data such as events and readings.
    Ordered,
}

/// Settings of a cache; see [`CacheBuilder`] for each one's meaning and default.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub cache_bytes: u64,
    pub batch_size: usize,
    pub flush_interval: Duration,
    pub flush_workers: usize,
    pub max_pending_entries: u64,
    pub max_pending_bytes: u64,
    /// See `memory.rs`; `None`: no bound beyond the two above.
    pub max_memory: Option<u64>,
    pub full_policy: FullPolicy,
    pub mode: WriteMode,
    pub ordered_prefixes: Vec<Bytes>,
    pub max_store_writes_per_sec: Option<u64>,
    pub retry: RetryPolicy,
    pub log: Option<LogConfig>,
    /// Used when a write-through policy needs its own timeout for a key
    /// that already has writes pending.
    pub block_timeout: Duration,
    /// Whether to keep a filter of the store's keys (see `known_keys.rs`).
    pub known_keys: bool,
    /// How long bookkeeping rows are kept past the oldest write that may
    /// still reach the store (see the `collect` module).
    pub retention: Duration,
    /// How often the store is asked to collect them.
    pub collect_interval: Duration,
}

impl Config {
    /// The write mode that applies to `key`.
    pub(crate) fn mode_of(&self, key: &[u8]) -> WriteMode {
        if self.mode == WriteMode::Ordered
            || self.ordered_prefixes.iter().any(|p| key.starts_with(p))
        {
            WriteMode::Ordered
        } else {
            WriteMode::Coalesce
        }
    }
}

/// Builds a [`Cache`] in front of a [`Store`].
///
/// Defaults, chosen for a typical SQL database:
///
/// | setting | default |
/// |---|---|
/// | `cache_bytes` | 64 MiB of clean (already stored) entries |
/// | `batch_size` | 1,000 writes per store call |
/// | `flush_interval` | 1 s: the oldest pending write waits at most this long |
/// | `flush_workers` | the number of CPU cores |
/// | `max_pending_entries` | 1,000,000 |
/// | `max_pending_bytes` | 256 MiB |
/// | `max_memory` | none: pending and clean bounded apart |
/// | `full_policy` | `Block` for up to 5 s |
/// | `mode` | `Coalesce` |
/// | `max_store_writes_per_sec` | unlimited |
/// | `retry_backoff` | 100 ms doubling up to 30 s, with jitter |
/// | `dead_letter_after` | 3 attempts of a write the store refuses for good |
/// | `collect_bookkeeping` | rows older than the oldest held write less 1 h, every minute |
#[derive(Debug)]
#[must_use]
pub struct CacheBuilder<S> {
    pub(crate) store: S,
    pub(crate) config: Config,
}

impl<S: Store> CacheBuilder<S> {
    pub(crate) fn new(store: S) -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let block_timeout = Duration::from_secs(5);
        CacheBuilder {
            store,
            config: Config {
                cache_bytes: 64 << 20,
                batch_size: 1000,
                flush_interval: Duration::from_secs(1),
                flush_workers: workers,
                max_pending_entries: 1_000_000,
                max_pending_bytes: 256 << 20,
                max_memory: None,
                full_policy: FullPolicy::Block { timeout: block_timeout },
                mode: WriteMode::Coalesce,
                ordered_prefixes: Vec::new(),
                max_store_writes_per_sec: None,
                retry: RetryPolicy::default(),
                log: None,
                block_timeout,
                known_keys: false,
                retention: Duration::from_secs(3_600),
                collect_interval: Duration::from_secs(60),
            },
        }
    }

    /// Promises that this cache is the store's only writer, so it can keep
    /// a filter of every key the store may hold (listed at start, about two
    /// bytes per key, and kept up to date by its own writes) and answer a
    /// miss on a key never seen without a store read: a first `incr` of a
    /// new counter costs no load. Wrong if anything else writes the store
    /// (its keys would read as absent). Needs a store that lists its keys
    /// ([`Store::keys`](crate::Store::keys)). Default: off.
    pub fn known_keys(mut self, on: bool) -> Self {
        self.config.known_keys = on;
        self
    }

    /// Memory for clean entries (already in the store), in bytes. Only clean
    /// entries are evicted; pending writes are bounded separately.
    pub fn cache_bytes(mut self, bytes: u64) -> Self {
        self.config.cache_bytes = bytes;
        self
    }

    /// The most writes in one store call. A batch is flushed when it is
    /// full or when its oldest write reaches `flush_interval`.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.config.batch_size = n;
        self
    }

    /// How long the oldest pending write may wait before its batch is
    /// flushed, however small the batch.
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.config.flush_interval = interval;
        self
    }

    /// The number of flush workers. A key always goes to the same worker,
    /// so one key's writes are never in flight twice at once.
    pub fn flush_workers(mut self, n: usize) -> Self {
        self.config.flush_workers = n;
        self
    }

    /// The most writes not yet in the store, counted exactly, including those
    /// in flight. Coalesced writes count once.
    pub fn max_pending_entries(mut self, n: u64) -> Self {
        self.config.max_pending_entries = n;
        self
    }

    /// The most bytes held by writes not yet in the store (keys, values and
    /// a fixed overhead per write), counted exactly, including those in flight.
    pub fn max_pending_bytes(mut self, n: u64) -> Self {
        self.config.max_pending_bytes = n;
        self
    }

    /// One bound on the bytes the cache holds for keys, pending and clean
    /// together (as Redis's `maxmemory`). Pending writes may take all of it
    /// (and never more than `max_pending_bytes`); clean entries get what
    /// they leave, up to `cache_bytes`, so the clean cache shrinks as
    /// pending writes grow: clean entries are evicted first, pending ones
    /// never. When pending writes alone reach it, the full policy answers
    /// (naming `max_memory`). Default: none.
    pub fn max_memory(mut self, bytes: u64) -> Self {
        self.config.max_memory = Some(bytes);
        self
    }

    /// What a write does when a bound is reached.
    pub fn full_policy(mut self, policy: FullPolicy) -> Self {
        if let FullPolicy::Block { timeout } = policy {
            self.config.block_timeout = timeout;
        }
        self.config.full_policy = policy;
        self
    }

    /// Coalesce (the default) or keep every write in order, for all keys.
    pub fn mode(mut self, mode: WriteMode) -> Self {
        self.config.mode = mode;
        self
    }

    /// Keeps every write of keys starting with `prefix` in order (an
    /// append-only keyspace), while other keys coalesce.
    pub fn ordered_keyspace(mut self, prefix: impl Into<Bytes>) -> Self {
        self.config.ordered_prefixes.push(prefix.into());
        self
    }

    /// A ceiling on key writes per second sent to the store, across all
    /// workers, so that a recovering database is not flattened by the backlog.
    pub fn max_store_writes_per_sec(mut self, rate: u64) -> Self {
        self.config.max_store_writes_per_sec = Some(rate);
        self
    }

    /// How long the store keeps the rows that only exist to keep the
    /// contract (a deleted key's or removed field's tombstone, an expired
    /// map's leftover expiry, a mapped row's versions) after they could
    /// still matter: every `interval`, the engine asks the store to drop
    /// those older than its *horizon*, the oldest version among the writes
    /// it still holds (pending, in flight, dead-lettered) less `retention`
    /// of version time (versions are wall-clock microseconds). A write older
    /// than the horizon can then only come from another instance that held
    /// it longer than `retention`; set it above the longest outage such an
    /// instance may ride out. `Duration::ZERO` interval: never collect.
    /// Default: one hour, every minute.
    pub fn collect_bookkeeping(mut self, retention: Duration, interval: Duration) -> Self {
        self.config.retention = retention;
        self.config.collect_interval = interval;
        self
    }

    /// Back-off between retries of a failed batch: starts at `initial`,
    /// doubles up to `max`, each wait drawn at random from its upper half.
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.config.retry.initial = initial;
        self.config.retry.max = max;
        self
    }

    /// How many times a write the store refuses for good is tried before it
    /// is moved to the dead-letter queue.
    pub fn dead_letter_after(mut self, attempts: u32) -> Self {
        self.config.retry.dead_letter_after = attempts;
        self
    }

    /// Keeps the engine's files in the data directory `dir` (created if
    /// missing; one process at a time): a write-ahead log in `log/`, the
    /// dead-letter queue in `dead-letters/`, the format marker and the
    /// clock's last reading in `state/` (see [`DataDir`](crate::DataDir); a
    /// directory of the earlier single-folder layout is moved into this one
    /// at start). With the log, acknowledged writes survive a crash: a write is
    /// acknowledged only once the log holds it as `fsync` says, and on the
    /// next start every write not yet in the store is replayed and flushed.
    ///
    /// - [`Fsync::Always`]: acknowledged after an fsync covering it (one
    ///   fsync serves every writer waiting at that moment). Survives
    ///   `kill -9` and power loss.
    /// - [`Fsync::EverySec`]: acknowledged once written to the operating
    ///   system, fsynced once a second. Survives `kill -9`; power loss may
    ///   cost about the last second.
    /// - [`Fsync::No`]: acknowledged once written to the operating system,
    ///   which decides when it reaches the disk. Survives `kill -9`; power
    ///   loss may cost what the OS had not written yet.
    ///
    /// Without a data directory (the default), a crash loses what was
    /// acknowledged but not yet flushed, and dead letters live in memory only.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>, fsync: Fsync) -> Self {
        let data = DataDir::new(dir);
        self.config.log = Some(LogConfig { data, fsync, salvage: false, segment_size: 64 << 20 });
        self
    }

    /// If the log is damaged other than by a torn last record, start anyway:
    /// keep what is readable and move the rest aside (into a `salvaged-*`
    /// folder of the log directory, never deleted). Without it, such damage
    /// stops the start with an error naming the file and offset.
    pub fn log_salvage(mut self, salvage: bool) -> Self {
        if let Some(log) = &mut self.config.log {
            log.salvage = salvage;
        }
        self
    }

    /// The size at which the log starts a new segment file (default 64 MiB).
    pub fn log_segment_size(mut self, bytes: u64) -> Self {
        if let Some(log) = &mut self.config.log {
            log.segment_size = bytes;
        }
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let c = &self.config;
        let bad = |key: &str, allowed: &str| Err(Error::Config(format!("{key} must be {allowed}")));
        if c.batch_size == 0 {
            return bad("batch_size", "at least 1");
        }
        if c.flush_workers == 0 || c.flush_workers > 1024 {
            return bad("flush_workers", "between 1 and 1024");
        }
        if c.flush_interval.is_zero() {
            return bad("flush_interval", "greater than zero");
        }
        if c.max_pending_entries == 0 {
            return bad("max_pending_entries", "at least 1");
        }
        if c.max_pending_bytes < 1024 {
            return bad("max_pending_bytes", "at least 1024");
        }
        if c.max_memory.is_some_and(|m| m < 1024) {
            return bad("max_memory", "at least 1024");
        }
        if c.max_store_writes_per_sec == Some(0) {
            return bad("max_store_writes_per_sec", "at least 1 (or unset for no limit)");
        }
        if c.retry.initial.is_zero() || c.retry.max < c.retry.initial {
            return bad("retry_backoff", "a non-zero initial delay no larger than the maximum");
        }
        if c.retry.dead_letter_after == 0 {
            return bad("dead_letter_after", "at least 1");
        }
        Ok(())
    }
}
