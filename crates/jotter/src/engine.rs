//! The engine's shared state and its two paths: a read (write buffer, then
//! clean cache, then one load from the store) and a write (check the bound,
//! version, fold or queue, wake the worker).
//!
//! Both run under the key's shard lock, so a read-modify-write (a counter,
//! a field increment) is atomic, and a read sees every write accepted
//! before it (read your writes, docs/DESIGN.md). Nothing here awaits while holding a lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::bound::Bound;
use crate::buffer::Buffer;
use crate::clean::{CleanCache, clean_cache};
use crate::clock::{VersionClock, WallClock};
use crate::config::{Config, FullPolicy, WriteMode};
use crate::dead_letter::DeadLetters;
use crate::error::{BoundKind, Error, Result};
use crate::log::Log;
use crate::memory::MemoryBudget;
use crate::op::{Group, Op, QueuedOp};
use crate::rate::RateLimit;
use crate::shard::{Next, Placed, Shard, Stamp};
use crate::stats::{self, Counters};
use crate::store::{Store, Write};
use crate::ticket::{Progress, Ticket};
use crate::view::ViewDelta;

/// Clock ticks between two rounds of housekeeping, metrics and the log's
/// checkpoint (20 × 5 ms = 100 ms).
const HOUSEKEEPING_TICKS: u32 = 20;

/// Everything the cache handle and the flush workers share.
#[derive(Debug)]
pub(crate) struct Inner<S> {
    pub store: S,
    pub config: Config,
    pub buffer: Buffer,
    pub bound: Bound,
    pub clean: CleanCache,
    /// `max_memory`, if set: the clean cache gets what pending writes leave.
    memory: Option<MemoryBudget>,
    pub clock: VersionClock,
    pub progress: Arc<Progress>,
    pub counters: Counters,
    pub rate: Option<RateLimit>,
    /// The write-ahead log, if enabled.
    pub log: Option<Log>,
    /// Every key the store may hold, when the cache is its only writer.
    pub known: Option<crate::known_keys::KnownKeys>,
    /// When the version clock was last persisted beside the log.
    clock_persisted: parking_lot::Mutex<Instant>,
    /// Set by shutdown: no new writes.
    pub closing: AtomicBool,
    /// Where the next round of the expiry sweep starts (see
    /// `Cache::delete_expired`).
    pub sweep_after: parking_lot::Mutex<Option<Bytes>>,
    /// Stops the workers (after a drain, or at once on drop).
    pub cancel: CancellationToken,
    /// Whether the store answers (see `outage.rs`).
    pub health: crate::outage::StoreHealth,
}

/// Room a multi-key write reserved in the bound for all its ops at once: an
/// op never needs more than one entry and its own weight, so the sum of
/// those is enough, and what folding saved goes back afterwards.
#[derive(Debug, Default)]
pub(crate) struct Prepaid {
    pub entries: u64,
    pub bytes: u64,
}

/// A multi-key write's part in accepting one of its ops: its prepaid room
/// and, if it writes several keys, the group they reach the store in.
pub(crate) struct Multi<'a> {
    pub prepaid: &'a mut Prepaid,
    pub group: Option<&'a Arc<Group>>,
}

/// What finishing an op gave back: its reserved bytes, and its first log
/// sequence number (which a dead letter must hold until it is on disk).
pub(crate) struct Completed {
    pub weight: usize,
    pub lsn: Option<u64>,
}

/// Why [`Shard::accept`] refused an op in [`Inner::try_accept`].
enum Refused {
    /// No room; the op comes back for a direct write.
    Full { bound: BoundKind, key_pending: bool, op: Op },
    /// The log refused it.
    Error(Error),
}

/// How a write attempt ended.
pub(crate) enum Attempt<R> {
    /// Accepted into the buffer; with a log, acknowledge only once the
    /// handle says the write is durable.
    Accepted(R, Option<Ticket>, Option<jotter_wal::Pending>),
    /// A bound has no room; `key_pending` says whether the key already has
    /// writes in the buffer (a direct write would overtake them).
    Full { bound: BoundKind, key_pending: bool },
    /// The write-through policy took over: the caller writes this to the
    /// store itself, then completes it like a flushed batch.
    Direct(R, Write, usize, Option<jotter_wal::Pending>),
}

impl<S: Store> Inner<S> {
    pub(crate) fn new(
        store: S,
        config: Config,
        floor: u64,
        wall: WallClock,
        log: Option<Log>,
        dead: DeadLetters,
        known: Option<crate::known_keys::KnownKeys>,
    ) -> Self {
        let workers = config.flush_workers;
        let items = usize::try_from(config.cache_bytes / 256).unwrap_or(usize::MAX).max(16);
        let memory = config.max_memory.map(|m| MemoryBudget::new(m, config.cache_bytes));
        let mut bound = Bound::new(config.max_pending_entries, config.max_pending_bytes);
        if let Some(m) = &memory {
            bound = bound.with_memory(m.max());
        }
        Inner {
            clean: clean_cache(
                items,
                memory.as_ref().map_or(config.cache_bytes, MemoryBudget::initial_clean),
            ),
            bound,
            memory,
            rate: config.max_store_writes_per_sec.map(RateLimit::new),
            buffer: Buffer::new(workers),
            clock: VersionClock::new(floor, wall),
            progress: Arc::new(Progress::new(workers, dead)),
            counters: Counters::new(),
            closing: AtomicBool::new(false),
            sweep_after: parking_lot::Mutex::new(None),
            cancel: CancellationToken::new(),
            health: crate::outage::StoreHealth::default(),
            log,
            known,
            clock_persisted: parking_lot::Mutex::new(Instant::now()),
            store,
            config,
        }
    }

    /// Takes or gives back in the pending bound what a kept view's bytes
    /// changed by. Taken even beyond the bound: the write it belongs to is
    /// already accepted.
    pub(crate) fn settle_view(&self, delta: ViewDelta) {
        match delta.after.cmp(&delta.before) {
            std::cmp::Ordering::Greater => {
                self.bound.force_reserve(0, (delta.after - delta.before) as u64);
            }
            std::cmp::Ordering::Less => self.bound.release(0, (delta.before - delta.after) as u64),
            std::cmp::Ordering::Equal => {}
        }
        self.rebalance_memory();
    }

    /// Gives the clean cache what pending writes leave of `max_memory`.
    pub(crate) fn rebalance_memory(&self) {
        if let Some(memory) = &self.memory {
            memory.rebalance(&self.clean, self.bound.used().1);
        }
    }

    /// Tries to accept `op` for `key` into the buffer, under the shard lock.
    /// With `prepaid`, the room comes out of what a multi-key write
    /// reserved for all its ops beforehand, and cannot run out.
    pub(crate) fn try_accept<R>(
        &self,
        shard: &mut Shard,
        s: usize,
        key: &Bytes,
        op: Op,
        result: R,
        multi: Option<Multi<'_>>,
    ) -> Result<Attempt<R>> {
        let (mut prepaid, group) = match multi {
            Some(m) => (Some(m.prepaid), m.group),
            None => (None, None),
        };
        // Checked under the shard lock, so shutdown can close the door on
        // writes that passed an earlier check (see `Cache::shutdown`); a
        // prepaid (multi-key) write checked once under all its locks.
        if prepaid.is_none() {
            self.check_open()?;
            self.check_store(key, &op)?;
        }
        let own = QueuedOp::weight_of(key, &op);
        if own as u64 > self.bound.max_bytes {
            return Err(Error::TooLarge { size: own as u64, limit: self.bound.max_bytes });
        }
        let mode = self.config.mode_of(key);
        let worker = self.buffer.worker_of(s);
        let mut durable = None;
        let mut stamped = 0;
        let accepted = shard.accept(key, mode, group.is_some(), op, own, |plan, op| {
            if let Err(bound) = self.reserve(&mut prepaid, plan.entries, plan.grow()) {
                return Err(Refused::Full { bound, key_pending: plan.pending, op });
            }
            let (op, version, d) =
                self.stamp_and_log(key, op, plan.entries, plan.grow()).map_err(Refused::Error)?;
            let lsn = d.as_ref().map(jotter_wal::Pending::lsn);
            durable = d;
            stamped = version;
            Ok(Stamp { op, version, lsn })
        });
        let placed = match accepted {
            Ok(placed) => placed,
            Err(Refused::Error(e)) => return Err(e),
            Err(Refused::Full { bound, key_pending, op }) => {
                if !key_pending && self.config.full_policy == FullPolicy::WriteThrough {
                    return self.accept_direct(shard, s, key, op, result);
                }
                return Ok(Attempt::Full { bound, key_pending });
            }
        };
        self.placed(s, &placed);
        if let Some(group) = group
            && shard.join_group(key, group)
        {
            self.progress.workers[worker].ready.fetch_sub(1, Ordering::AcqRel);
        }
        shard.count_accepted();
        self.rebalance_memory();
        let ticket = Ticket { worker, version: stamped, key: key.clone(), done: false };
        Ok(Attempt::Accepted(result, Some(ticket), durable))
    }

    /// Settles what accepting an op changed beyond its shard: the view's
    /// bytes, what folding saved, and the worker's count of ready keys.
    fn placed(&self, s: usize, placed: &Placed) {
        self.settle_view(placed.view);
        if placed.plan.shrink() > 0 {
            self.bound.release(0, placed.plan.shrink());
        }
        if placed.readied {
            self.mark_ready(self.buffer.worker_of(s), 1);
        }
    }

    /// Drops the deletes of expired keys a transaction only read (see
    /// `Slot::lazy`) if they cannot be written now: the cache is closing,
    /// or the bound has no room for them. The transaction's other writes
    /// are not affected; the sweep deletes those keys later.
    pub(crate) fn drop_lazy_without_room(&self, slots: &mut [crate::txn::Slot]) {
        let lazy = || slots.iter().filter(|s| s.lazy && s.op.is_some());
        if lazy().next().is_none() {
            return;
        }
        let entries = lazy().count() as u64;
        let bytes: u64 = lazy().map(|s| QueuedOp::weight_of(&s.key, &Op::Delete) as u64).sum();
        let (used_entries, used_bytes) = self.bound.used();
        let room = used_entries + entries <= self.bound.max_entries
            && used_bytes + bytes <= self.bound.max_bytes;
        if room && !self.closing.load(Ordering::Acquire) {
            return;
        }
        for slot in slots.iter_mut().filter(|s| s.lazy) {
            slot.op = None;
            slot.lazy = false;
        }
    }

    /// Reserves room in the bound, or takes it from a prepaid reservation.
    fn reserve(
        &self,
        prepaid: &mut Option<&mut Prepaid>,
        entries: u64,
        bytes: u64,
    ) -> std::result::Result<(), BoundKind> {
        match prepaid {
            Some(p) => {
                debug_assert!(p.entries >= entries && p.bytes >= bytes, "prepaid too little");
                p.entries = p.entries.saturating_sub(entries);
                p.bytes = p.bytes.saturating_sub(bytes);
                Ok(())
            }
            None => self.bound.try_reserve(entries, bytes),
        }
    }

    /// Versions an op whose room is reserved and submits it to the log; if
    /// the log refuses it, the room goes back and the write is refused (never
    /// acknowledged and then lost).
    /// Asks the store whether it would refuse `op` (see
    /// [`Store::check`]); free for a store that checks nothing.
    pub(crate) fn check_store(&self, key: &Bytes, op: &Op) -> Result<()> {
        if !S::CHECKS_WRITES {
            return Ok(());
        }
        let write = Write {
            key: key.clone(),
            version: 0,
            change: op.to_change(),
            expires_at: op.expires_at(),
        };
        self.store.check(&write).map_err(Error::Refused)
    }

    fn stamp_and_log(
        &self,
        key: &Bytes,
        mut op: Op,
        entries: u64,
        bytes: u64,
    ) -> Result<(Op, u64, Option<jotter_wal::Pending>)> {
        let version = self.clock.next();
        op.stamp(version);
        // Before the write can reach the store.
        if let Some(known) = &self.known {
            known.insert(key);
        }
        let durable = match &self.log {
            None => None,
            Some(log) => match log.submit(key, version, &op) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.bound.release(entries, bytes);
                    return Err(e);
                }
            },
        };
        Ok((op, version, durable))
    }

    /// Puts a write read back from the log into the buffer as it was when
    /// accepted: same version, same folding. Its room is taken even beyond
    /// the bound (it was acknowledged; it must not be dropped).
    pub(crate) fn replay(&self, key: Bytes, version: u64, op: Op, lsn: u64) {
        // A record's bytes are slices of what the log read.
        let op = op.into_owned();
        if let Some(known) = &self.known {
            known.insert(&key);
        }
        let s = self.buffer.shard_of(&key);
        let mut guard = self.buffer.lock(s);
        let shard = &mut *guard;
        let own = QueuedOp::weight_of(&key, &op);
        let mode = self.config.mode_of(&key);
        let placed = shard.accept(&key, mode, false, op, own, |plan, op| {
            self.bound.force_reserve(plan.entries, plan.grow());
            Ok::<_, std::convert::Infallible>(Stamp { op, version, lsn: Some(lsn) })
        });
        let Ok(placed) = placed;
        self.placed(s, &placed);
        self.clock.raise(version);
    }

    /// Lets the log forget what the store has: everything below the smallest
    /// log sequence number still pending. The log's next LSN is read first:
    /// a record below it was submitted under its shard's lock together with
    /// its op, so the scan finds it if it is still pending.
    pub(crate) fn checkpoint_log(&self) {
        let Some(log) = &self.log else { return };
        let next = log.next_lsn();
        let pending =
            (0..self.buffer.shard_count()).filter_map(|s| self.buffer.lock(s).lowest_lsn()).min();
        // Read after the scan: a letter leaves its shard's LSNs and enters
        // this floor under the shard lock the scan waits on.
        let held = self.progress.dead.held_floor();
        // A write may have entered an already-scanned shard after `next` was
        // read, with an LSN at or above it: `next` itself bounds the mark.
        let low = pending.into_iter().chain(held).fold(next, u64::min);
        log.checkpoint(low);
        let mut persisted = self.clock_persisted.lock();
        if persisted.elapsed() >= Duration::from_secs(1) {
            log.persist_clock(self.clock.last());
            *persisted = Instant::now();
        }
    }

    /// The write-through policy on a full buffer: the op is placed in the
    /// buffer already in flight and unaccounted (its caller holds it and
    /// writes it now), so reads see it and later writes of the key queue
    /// behind it, exactly as behind a worker's batch.
    fn accept_direct<R>(
        &self,
        shard: &mut Shard,
        s: usize,
        key: &Bytes,
        op: Op,
        result: R,
    ) -> Result<Attempt<R>> {
        // Logged like any write, so that a replay after a crash folds it over
        // older logged writes of the key instead of bringing those back.
        let (op, version, durable) = self.stamp_and_log(key, op, 0, 0)?;
        let lsn = durable.as_ref().map(jotter_wal::Pending::lsn);
        let write = Write {
            key: key.clone(),
            version,
            change: op.to_change(),
            expires_at: op.expires_at(),
        };
        self.settle_view(shard.place_direct(key, op, version, lsn));
        Ok(Attempt::Direct(result, write, s, durable))
    }

    /// Counts keys newly ready in a worker's shards and wakes the worker when
    /// its first key arrives (to start the interval) or a batch fills up.
    pub(crate) fn mark_ready(&self, worker: usize, n: usize) {
        let state = &self.progress.workers[worker];
        let now = state.ready.fetch_add(n, Ordering::AcqRel) + n;
        if now == n || (now >= self.config.batch_size && now - n < self.config.batch_size) {
            state.wake.notify_one();
        }
    }

    /// Removes a finished front op of `key` (stored, or dead-lettered when
    /// `stored` is false), updates the clean cache, and readies the key's
    /// next op. Returns the bytes the op had reserved.
    pub(crate) fn complete_one(
        &self,
        shard: &mut Shard,
        s: usize,
        key: &Bytes,
        version: u64,
        stored: bool,
    ) -> Completed {
        // What the store holds for the key changes now.
        let Some(done) = shard.finish_front(key, version) else {
            return Completed { weight: 0, lsn: None };
        };
        let (left, kept) = shard.queue(key).map_or((0, false), |q| (q.len(), q.has_view()));
        if stored {
            if left == 0 && kept {
                // The kept entry is exactly what the store now holds; the
                // clean cache counts it from now on.
                let (kept, delta) = shard.drop_view(key).unwrap_or_default();
                self.settle_view(delta);
                self.clean.insert(key.clone(), kept.flatten());
            } else if kept {
                // Reads are served from the kept entry; bringing the clean
                // copy up to date would copy a large map for nothing. If
                // the kept entry is ever dropped, the store is read again.
                self.clean.remove(key);
            } else {
                let after = if done.op.is_whole() {
                    Some(done.op.apply(None))
                } else {
                    self.clean.get(key).map(|base| done.op.apply(base))
                };
                if let Some(after) = after {
                    self.clean.insert(key.clone(), after);
                }
            }
        } else {
            // The store does not have this write: reads must not pretend
            // it does once it leaves the buffer.
            self.clean.remove(key);
            let (_, delta) = shard.drop_view(key).unwrap_or_default();
            self.settle_view(delta);
            // A field write queued behind a whole write was built on top of
            // it (a map that replaced a blob, a map after a delete). Without
            // it, the fields would land under whatever the store holds and
            // vanish; reset the key with them instead, so the store and the
            // cache both show those fields alone.
            if done.op.is_whole()
                && let Some((next_version, next_op)) = shard.reset_behind(key)
            {
                // The log holds this op's writes without the reset: log the op
                // as it now stands, so that a replay after a crash, folding it
                // over them, rebuilds it with the reset. (Ordered keys keep
                // every op apart, so there a copy would be a second write.)
                if let Some(log) = &self.log
                    && self.config.mode_of(key) == WriteMode::Coalesce
                    && let Err(e) = log.submit(key, next_version, next_op)
                {
                    tracing::warn!(error = %e, "could not log a reset after a dead letter; a crash before the flush would lose it");
                }
            }
        }
        match shard.ready_next(key) {
            Next::Ready => self.mark_ready(self.buffer.worker_of(s), 1),
            Next::Grouped(group) => group.fronted.notify_one(),
            Next::Gone(delta) => {
                self.settle_view(delta);
                // Listings learn that a key may have moved to the store.
                self.buffer.departed();
            }
        }
        Completed { weight: done.weight(), lsn: done.first_lsn() }
    }

    /// Age of the oldest write waiting in any shard.
    pub(crate) fn oldest_pending(&self) -> Option<Duration> {
        let now = Instant::now();
        (0..self.buffer.shard_count())
            .filter_map(|s| self.buffer.lock(s).oldest())
            .map(|(_, since)| now.saturating_duration_since(since))
            .max()
    }

    /// What the metrics export, read now.
    pub(crate) fn snapshot(&self) -> stats::Snapshot {
        stats::Snapshot {
            accepted: self.accepted(),
            pending: self.bound.used(),
            oldest: self.oldest_pending(),
            dead_letters: self.progress.dead.len(),
            dead_letter_write_failures: self.progress.dead.persist_failures(),
            store_unavailable_for: self.health.unavailable_for(),
        }
    }

    /// Writes accepted since start, summed over the shards.
    pub(crate) fn accepted(&self) -> u64 {
        (0..self.buffer.shard_count()).map(|s| self.buffer.lock(s).accepted()).sum()
    }

    /// Keeps the version clock near wall time until the cache stops, and
    /// every [`HOUSEKEEPING_TICKS`] ticks publishes the metrics and
    /// checkpoints the log.
    pub(crate) async fn tick_clock(self: Arc<Self>) {
        let mut ticks = 0u32;
        loop {
            tokio::select! {
                () = tokio::time::sleep(crate::clock::TICK) => self.clock.tick(),
                () = self.cancel.cancelled() => break,
            }
            ticks = ticks.wrapping_add(1);
            if !ticks.is_multiple_of(HOUSEKEEPING_TICKS) {
                continue;
            }
            // Scans every shard: here, not after each batch on the flush path.
            stats::publish(&self.snapshot());
            // Room given back by flushes goes back to the clean cache here.
            self.rebalance_memory();
            self.health.publish();
            if self.log.is_some() {
                // A checkpoint fsyncs; keep it off the runtime's threads.
                let inner = self.clone();
                let _ = tokio::task::spawn_blocking(move || inner.checkpoint_log()).await;
            }
        }
    }

    pub(crate) fn check_open(&self) -> Result<()> {
        if self.closing.load(Ordering::Acquire) { Err(Error::ShuttingDown) } else { Ok(()) }
    }
}
