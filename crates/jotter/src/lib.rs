//! Jotter: a write-behind cache.
//!
//! A write lands in memory, is acknowledged at once, and reaches the
//! database later, in batches, from background flush workers. Reads see
//! every acknowledged write at once, whether or not it is in the database
//! yet.
//!
//! ```
//! use jotter::{Cache, MemoryStore, Store};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), jotter::Error> {
//! let store = MemoryStore::new();
//! let cache = Cache::builder(store.clone())
//!     .batch_size(500)
//!     .flush_interval(Duration::from_millis(100))
//!     .build()
//!     .await?;
//!
//! for _ in 0..100 {
//!     cache.incr("views:article:9123", 1).await?; // in memory, at once
//! }
//! assert_eq!(cache.get("views:article:9123").await?, Some("100".into()));
//!
//! cache.flush().await?; // a barrier: everything above is now in the store
//! assert_eq!(store.rows_written(), 1); // 100 increments, one store write
//! cache.shutdown(Duration::from_secs(5)).await;
//! # Ok(())
//! # }
//! ```
//!
//! # Components
//!
//! Every file of the crate, in the order a write meets them, then the
//! read path, the workers and the rest.
//!
//! The handle and its start:
//! - `cache.rs`: [`Cache`], the handle a program holds.
//! - `config.rs`: [`CacheBuilder`] and the policies it chooses between.
//! - `start.rs`: starting a cache (log, dead letters, clock, workers).
//! - `data_dir.rs`: [`DataDir`], the data directory's folders, and moving
//!   an older layout into them at start.
//! - `error.rs`: the errors the cache answers with.
//!
//! A write, in order:
//! - `transaction.rs`: several keys written as one atomic step.
//! - `txn.rs`: [`Txn`], the view a transaction's closure gets of its keys.
//! - `write.rs`: the write path of one key, under its shard lock.
//! - `engine.rs`: the shared state, and accepting an op into the buffer.
//! - `bound.rs`: the exact bound on pending entries and bytes.
//! - `memory.rs`: `max_memory`, shared by pending writes and the clean cache.
//! - `room.rs`: waiting for room when a bound is full.
//! - `write_through.rs`: the write-through policy on a full buffer.
//! - `clock.rs`: the version clock.
//! - `log.rs`: the engine's side of the write-ahead log (`jotter-wal`).
//! - `record.rs`: the bytes of one logged write, and of a transaction's group.
//! - `wire.rs`: the length-prefixed pieces a record is built of.
//! - `log_format.rs`: the `FORMAT` file of the data directory.
//! - `known_keys.rs`: the filter of every key the store may hold.
//! - `buffer.rs`: the write buffer of pending writes, in shards.
//! - `shard.rs`: one shard: its pending keys, indexes and counters.
//! - `pending_keys.rs`: a shard's keys with pending ops, each with its queue.
//! - `short_key.rs`: a key kept inline in its node or slot when short (the
//!   pending keys' and the clean cache's).
//! - `queue.rs`: one key's queue of ops and its kept view.
//! - `pending_ops.rs`: a key's pending ops, inline while there is one.
//! - `op.rs`: a pending op, folding a newer one into it (coalescing), and
//!   its owned copy.
//! - `view.rs`: the entry kept beside a key's ops, and what it counts.
//! - `owned.rs`: keys and values kept own exactly their bytes (the copy).
//! - `tick.rs`: an op's acceptance time in 8 bytes.
//! - `ticket.rs`: [`Ticket`]s and the progress barriers behind them.
//!
//! From the buffer to the store:
//! - `flusher.rs`: the flush workers: batches, retries, dead-lettering.
//! - `retry.rs`: back-off with jitter between tries.
//! - `rate.rs`: the ceiling on store writes per second.
//! - `refusals.rs`: the bounded log lines of a batch's refused writes.
//! - `complete.rs`: finishing a written op: the clean cache, the next op.
//! - `dead_letter/`: the dead-letter queue, kept in `dead-letters/`, and its replay.
//! - `replace.rs`: [`Write::replace`], a whole value as one store write, for
//!   a process that flushes outside the engine.
//! - `retrying.rs`: writes whose last attempt failed, with the store's error.
//! - `key_status.rs`: [`KeyStatus`]: where one key's newest write stands.
//! - `outage.rs`: whether the store answers, as a state.
//! - `probe.rs`: asking a down store once a second whether it is back.
//!
//! Reads:
//! - `read.rs`: a key's value from the buffer, the clean cache or the store.
//! - `clean.rs`: the clean cache of values the store holds.
//! - `listing.rs`: listing keys, the store's with pending writes laid over.
//! - `value/`: [`Value`]: a blob, a map of fields, scored members or a list; every
//!   per-kind rule (log tags, field encoding, owned copy, weight, patch), one
//!   file per kind (`blob.rs`, `hash.rs`, `scores.rs`, `list.rs`).
//! - `score_map.rs`: [`ScoreMap`]: scored members by name and by score.
//! - `list_order.rs`: [`list_order`]: a list's order keys, where a new
//!   element goes.
//!
//! Around them:
//! - `housekeeping.rs`: the clock tick, metrics and log checkpoints.
//! - `collect.rs`: collecting the store's bookkeeping rows.
//! - `shutdown.rs`: draining to the store and stopping.
//! - `stats.rs`: the counters, [`Stats`] and the metrics.
//! - `loggable.rs`: what of a key or a message may go into a log line.
//! - `store/`: [`Store`], the seam to a database, with its rules for
//!   versioned, conditional writes; [`MemoryStore`] (with fault
//!   injection) and, with the `sqlite` feature (on by default),
//!   [`SqliteStore`].
//! - `testing/`: checks any [`Store`] implementation against those rules.
//!
//! # The contract
//!
//! - **Read your writes.** A read always sees a key's pending write; a read
//!   that needs the store while it is down is refused, never answered
//!   wrongly (an [`Error::Store`] whose [`StoreError::is_unavailable`] is
//!   true: a miss on a key not in memory, a listing). A write is never
//!   refused because the store is down; only the bound on pending writes
//!   ([`FullPolicy`]) can block or refuse it.
//! - **Convergence and no regression.** Each write carries a version from a
//!   clock that never goes back (it starts above the store's highest
//!   version); the store applies a write only if it is newer, and deletes
//!   leave versioned tombstones. Coalescing skips intermediate values but
//!   never reorders; one key's writes reach the store one at a time, in order.
//! - **Bounded memory.** Pending writes are bounded exactly in entries and
//!   bytes, in-flight ones included; when full, the [`FullPolicy`] applies:
//!   block, reject, or write through. Nothing is dropped silently.
//! - **Failures sorted.** A store that cannot be reached at all (a
//!   [`StoreErrorKind::Unavailable`] error) is an outage, a state: no
//!   batches are sent, [`Store::probe`] asks once a second whether it is
//!   back, and flushing resumes as soon as it answers
//!   ([`Cache::store_state`] says which). Other transient store errors are
//!   retried with exponential back-off and jitter, without limit. Neither
//!   counts toward dead-lettering: only a write the store refuses for good
//!   is isolated from its batch, retried a few times, then moved to the
//!   dead-letter queue with the error.
//! - **Bookkeeping that does not grow forever.** Tombstones, resets and
//!   leftover expiry records older than a horizon (the oldest write the
//!   engine still holds, less an hour of version time by default) are
//!   dropped by the store every minute ([`Store::collect`],
//!   [`CacheBuilder::collect_bookkeeping`]); no write the engine can still
//!   send is older.
//! - **Logs that never leak data.** A log line never prints a value and
//!   shows a key as at most 64 bytes and its length ([`LogKey`]); a store's
//!   message is cut at 512 bytes ([`LogText`]). A batch the store refuses
//!   row by row logs its first three dead letters and one summary line,
//!   however large it is.
//! - **Durability, a setting stated honestly.** With a write-ahead log
//!   ([`CacheBuilder::data_dir`]), a write is acknowledged only once the log holds
//!   it as the [`Fsync`] policy says: `Always` survives `kill -9` and power
//!   loss, `EverySec` survives `kill -9` (power loss may cost about a
//!   second), `No` survives `kill -9` (power loss costs what the OS had not
//!   written). Without a log, a crash loses what was not yet flushed.
//!   [`Cache::flush`] and the write-through calls say when a write is in the
//!   store.
//!
//! # The data directory
//!
//! With a data directory ([`CacheBuilder::data_dir`]), the engine keeps
//! every file it writes there, one folder per kind ([`DataDir`]):
//!
//! | file | what |
//! |---|---|
//! | `state/FORMAT` | the directory's format number (first line, decimal; 3 today), then `written by jotter X.Y.Z`. It covers every file below: any change to one of them raises it. A directory without it is format 1, as earlier releases wrote it (every file in one folder): it is moved into this layout at start and gains the marker; format 2 (this layout, without group records in the log) is read as it is and marked 3; a higher number than this code knows stops the start with [`Error::Recovery`] naming the writer's version and what to do (`log_format.rs`, `data_dir.rs`) |
//! | `log/NNNNNNNNNNNNNNNNNNNN.log`, `log/CHECKPOINT`, `log/LOCK` | the `jotter-wal` crate's segments, low-water mark and lock (its docs give their layout); each record's payload is one write, or a transaction's writes as one group (`record.rs`) |
//! | `state/CLOCK` | the last saved reading of the version clock: a `u64`, little-endian (`log.rs`) |
//! | `dead-letters/queue` | the dead-letter queue: magic `JDLQ`, its own format byte (a newer one is refused as such), the letters, a checksum (`dead_letter/file.rs`) |
//!
//! # Metrics
//!
//! Through the [`metrics`](https://docs.rs/metrics) facade (install any
//! recorder, e.g. a Prometheus exporter): counters
//! `jotter_writes_accepted_total`, `jotter_store_writes_total`,
//! `jotter_batches_total`, `jotter_retries_total`,
//! `jotter_store_failures_total`, `jotter_dead_letters_total`,
//! `jotter_loads_total`, `jotter_store_outages_total`,
//! `jotter_store_probes_total`; histogram `jotter_batch_size`; gauges
//! `jotter_store_up` (1 or 0), `jotter_store_unavailable_seconds` (how long
//! the current outage has lasted, 0 when up),
//! `jotter_pending_entries`, `jotter_pending_bytes`,
//! `jotter_oldest_pending_seconds`, `jotter_dead_letters`,
//! `jotter_dead_letter_write_failures` (rewrites of the saved
//! dead-letter file that failed; the letters stay in memory),
//! `jotter_memory_used_bytes` (pending and clean bytes),
//! `jotter_memory_limit_bytes`, `jotter_pending_entries_limit`,
//! `jotter_pending_bytes_limit` (0 when not set),
//! `jotter_outage_headroom_seconds` (seconds until a bound on pending writes
//! is reached at their net growth over the last 30 s; `+Inf` when they do
//! not grow), and with a data directory, every 2 s, `jotter_log_bytes`,
//! `jotter_log_disk_free_bytes`, `jotter_log_disk_size_bytes` (the log's
//! segments, and the free space and size of the file system holding them).
#![forbid(unsafe_code)]

mod batch;
mod bound;
mod buffer;
mod cache;
mod clean;
mod clock;
mod collect;
mod complete;
mod config;
mod data_dir;
mod dead_letter;
mod engine;
mod error;
mod flusher;
pub mod geohash;
mod group_flush;
mod headroom;
mod housekeeping;
mod key_hook;
mod key_status;
mod known_keys;
pub mod list_order;
mod listing;
mod log;
mod log_format;
mod loggable;
mod member_set;
mod memory;
mod op;
mod outage;
mod owned;
mod pending_keys;
mod pending_ops;
mod probe;
mod queue;
mod rate;
mod read;
mod ready_groups;
mod record;
mod refusals;
mod replace;
mod retry;
mod retrying;
mod room;
mod score_map;
mod shard;
mod short_key;
mod shutdown;
mod start;
mod stats;
pub mod store;
mod sweep;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod tick;
mod ticket;
mod transaction;
mod txn;
mod value;
mod view;
mod wire;
mod write;
mod write_through;

/// The README's example, compiled as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

pub use cache::{Cache, Edit};
pub use config::{CacheBuilder, Fsync, FullPolicy, WriteMode};
pub use data_dir::DataDir;
pub use dead_letter::{DeadLetter, ErrorClass, ReplayReport, Selection};
pub use error::{BoundKind, Error, ErrorKind, Result, Shape};
pub use key_hook::{KeyEvent, KeyHook};
pub use key_status::{KeyState, KeyStatus};
pub use log::Durability;
pub use loggable::{LogKey, LogText};
pub use member_set::MemberSet;
pub use outage::StoreState;
pub use score_map::ScoreMap;
pub use shutdown::ShutdownReport;
pub use stats::Stats;
pub use store::{
    Change, Faults, FieldChange, Listing, MemoryStore, Page, Store, StoreError, StoreErrorKind,
    Write,
};
#[cfg(feature = "sqlite")]
pub use store::{SqliteOptions, SqliteStore, Synchronous, WriterPriority};
pub use ticket::Ticket;
pub use txn::Txn;
pub use value::{
    Consumer, Entry, FieldValue, GroupHeader, MapKind, Pending, Stream, StreamChange, StreamEntry,
    StreamGroup, StreamId, StreamMeta, StreamWrite, TRIM_WATERMARK_AT, Value, stream_entry,
};
