//! The engine's shared state, [`Inner`], and the write path's acceptance:
//! check the bound, version, log, fold or queue, wake the worker.
//!
//! Inner's fields are private: other files reach them through accessors
//! and the methods here named for what they do (reserve room for a
//! multi-key write, wake the workers, close the door), so each invariant
//! of the shared state lives in one place. A write runs under its key's
//! shard lock, so a read-modify-write is atomic and a read sees every
//! write accepted before it (read your writes, docs/DESIGN.md). Nothing
//! here awaits while holding a lock.

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
use crate::config::{Config, FullPolicy};
use crate::dead_letter::DeadLetters;
use crate::error::{BoundKind, Error, Result};
use crate::log::Log;
use crate::memory::MemoryBudget;
use crate::op::{Group, Op, QueuedOp};
use crate::rate::RateLimit;
use crate::shard::{Placed, Shard, Stamp};
use crate::stats::Counters;
use crate::store::{Store, Write};
use crate::ticket::{Progress, Ticket};
use crate::view::ViewDelta;

/// Everything the cache handle and the flush workers share.
#[derive(Debug)]
pub(crate) struct Inner<S> {
    store: S,
    config: Config,
    buffer: Buffer,
    bound: Bound,
    clean: CleanCache,
    /// `max_memory`, if set: the clean cache gets what pending writes leave.
    memory: Option<MemoryBudget>,
    clock: VersionClock,
    progress: Arc<Progress>,
    counters: Counters,
    rate: Option<RateLimit>,
    /// The write-ahead log, if enabled.
    log: Option<Log>,
    /// Every key the store may hold, when the cache is its only writer.
    known: Option<crate::known_keys::KnownKeys>,
    /// When the version clock was last saved (in `state/CLOCK`).
    clock_saved: parking_lot::Mutex<Instant>,
    /// Set by shutdown: no new writes.
    closing: AtomicBool,
    /// Where the next round of the expiry sweep starts (see
    /// `Cache::delete_expired`).
    sweep_after: parking_lot::Mutex<Option<Bytes>>,
    /// Stops the workers (after a drain, or at once on drop).
    cancel: CancellationToken,
    /// Whether the store answers (see `outage.rs`).
    health: crate::outage::StoreHealth,
    /// Writes waiting to be sent again after a failed attempt.
    retrying: crate::retrying::Retrying,
    /// Transactions' groups taken and waiting for the group writer.
    ready_groups: crate::ready_groups::ReadyGroups,
    /// Told of each key whose write reached the store, or that expired.
    pub(crate) on_key_event: crate::key_hook::OnKeyEvent,
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
    /// Set when the op was versioned and logged beforehand, in its
    /// group's record (see `transaction.rs`).
    pub ahead: Option<Ahead>,
}

/// An op of a multi-key write versioned and logged before it is accepted:
/// its version, and its group record's LSN (with a log).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ahead {
    pub version: u64,
    pub lsn: Option<u64>,
}

/// An op versioned and submitted to the log.
struct Stamped {
    op: Op,
    version: u64,
    /// Its log record's durability, with a log.
    durable: Option<jotter_wal::Pending>,
}

/// A write the write-through policy placed in flight, for its writer to
/// send to the store.
struct Direct {
    write: Write,
    durable: Option<jotter_wal::Pending>,
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
            retrying: crate::retrying::Retrying::default(),
            ready_groups: crate::ready_groups::ReadyGroups::default(),
            on_key_event: crate::key_hook::OnKeyEvent::default(),
            log,
            known,
            clock_saved: parking_lot::Mutex::new(Instant::now()),
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
            memory.rebalance(&self.clean, self.bound.used().bytes);
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
        let (mut prepaid, group, ahead) = match multi {
            Some(m) => (Some(m.prepaid), m.group, m.ahead),
            None => (None, None, None),
        };
        // Checked under the shard lock, so shutdown can close the door on
        // writes that passed an earlier check (see `Cache::shutdown`); a
        // prepaid (multi-key) write checked once under all its locks.
        if prepaid.is_none() {
            self.check_open()?;
            self.check_store(key, &op)?;
        }
        let own = QueuedOp::weight_of(key, &op);
        self.check_weight(own as u64)?;
        let deletes = matches!(op, Op::Delete);
        let mode = self.config.mode_of(key);
        let worker = self.buffer.worker_of(s);
        let mut durable = None;
        let mut stamped = 0;
        let accepted = shard.accept(key, mode, group.is_some(), op, own, |plan, op| {
            if let Err(bound) = self.reserve(&mut prepaid, plan.entries, plan.grow()) {
                return Err(Refused::Full { bound, key_pending: plan.pending, op });
            }
            if let Some(Ahead { version, lsn }) = ahead {
                stamped = version;
                return Ok(Stamp { op, version, lsn });
            }
            let Stamped { op, version, durable: d } =
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
                    let Direct { write, durable } = self.accept_direct(shard, key, op)?;
                    return Ok(Attempt::Direct(result, write, s, durable));
                }
                return Ok(Attempt::Full { bound, key_pending });
            }
        };
        self.placed(s, &placed);
        if let Some(group) = group
            && shard.join_group(key, group)
        {
            self.unready(worker, 1);
        }
        shard.count_accepted();
        self.rebalance_memory();
        let ticket = Ticket { worker, version: stamped, key: key.clone(), done: false, deletes };
        Ok(Attempt::Accepted(result, Some(ticket), durable))
    }

    /// Refuses an op that alone weighs more than the bound allows: it would
    /// wait for room that can never be there.
    pub(crate) fn check_weight(&self, own: u64) -> Result<()> {
        let limit = self.bound.max_bytes;
        if own > limit { Err(Error::TooLarge { size: own, limit }) } else { Ok(()) }
    }

    /// Reserves in the bound the room a multi-key write's ops need together
    /// (see [`Prepaid`]), or says which bound has none now; refuses a write
    /// the bound could never hold.
    pub(crate) fn prepay(&self, prepaid: &Prepaid) -> Result<std::result::Result<(), BoundKind>> {
        self.check_weight(prepaid.bytes)?;
        if prepaid.entries > self.bound.max_entries {
            let limit = self.bound.max_entries;
            return Err(Error::TooManyKeys { keys: prepaid.entries, limit });
        }
        Ok(self.bound.try_reserve(prepaid.entries, prepaid.bytes))
    }

    /// Gives back what a multi-key write's ops did not use of its
    /// reservation.
    pub(crate) fn refund(&self, prepaid: Prepaid) {
        self.bound.release(prepaid.entries, prepaid.bytes);
    }

    /// Wakes one worker: it may be waiting to publish a watermark past a
    /// write finished without it.
    pub(crate) fn wake_worker(&self, worker: usize) {
        self.progress.workers[worker].wake.notify_one();
    }

    /// Takes keys off a worker's count of ready keys: taken into a batch,
    /// or joined to a group that flushes them itself.
    pub(crate) fn unready(&self, worker: usize, n: usize) {
        self.progress.workers[worker].ready.fetch_sub(n, Ordering::AcqRel);
    }

    /// Has every worker flush now: the bound is pressed, or a group's
    /// writes are done and the workers may publish watermarks past them.
    pub(crate) fn wake_workers(&self) {
        for worker in &self.progress.workers {
            worker.wake.notify_one();
        }
    }

    /// Tells writers waiting for room to try again: room was given back,
    /// or the cache is closing.
    pub(crate) fn room_freed(&self) {
        self.bound.room.notify_waiters();
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
        let used = self.bound.used();
        let room = used.entries + entries <= self.bound.max_entries
            && used.bytes + bytes <= self.bound.max_bytes;
        if room && !self.is_closing() {
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

    /// Versions an op whose room is reserved and submits it to the log; if
    /// the log refuses it, the room goes back and the write is refused (never
    /// acknowledged and then lost).
    fn stamp_and_log(&self, key: &Bytes, mut op: Op, entries: u64, bytes: u64) -> Result<Stamped> {
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
        Ok(Stamped { op, version, durable })
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
        let mut saved = self.clock_saved.lock();
        if saved.elapsed() >= Duration::from_secs(1) {
            log.save_clock(self.clock.last());
            *saved = Instant::now();
        }
    }

    /// The write-through policy on a full buffer: the op is placed in the
    /// buffer already in flight and unaccounted (its caller holds it and
    /// writes it now), so reads see it and later writes of the key queue
    /// behind it, exactly as behind a worker's batch.
    fn accept_direct(&self, shard: &mut Shard, key: &Bytes, op: Op) -> Result<Direct> {
        // Logged like any write, so that a replay after a crash folds it over
        // older logged writes of the key instead of bringing those back.
        let Stamped { op, version, durable } = self.stamp_and_log(key, op, 0, 0)?;
        let lsn = durable.as_ref().map(jotter_wal::Pending::lsn);
        let write = Write {
            key: key.clone(),
            version,
            change: op.to_change(),
            expires_at: op.expires_at(),
        };
        self.settle_view(shard.place_direct(key, op, version, lsn));
        Ok(Direct { write, durable })
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

    /// The store behind the cache.
    pub(crate) fn store(&self) -> &S {
        &self.store
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// The shards pending writes wait in.
    pub(crate) fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    /// The limits on pending writes, and what they hold now.
    pub(crate) fn bound(&self) -> &Bound {
        &self.bound
    }

    /// What the store is known to hold, for reads.
    pub(crate) fn retrying(&self) -> &crate::retrying::Retrying {
        &self.retrying
    }

    pub(crate) fn clean(&self) -> &CleanCache {
        &self.clean
    }

    pub(crate) fn clock(&self) -> &VersionClock {
        &self.clock
    }

    /// Transactions' groups waiting for the group writer.
    pub(crate) fn ready_groups(&self) -> &crate::ready_groups::ReadyGroups {
        &self.ready_groups
    }

    /// The workers' progress, and the dead letters.
    pub(crate) fn progress(&self) -> &Progress {
        &self.progress
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The limit on store writes per second, if set.
    pub(crate) fn rate(&self) -> Option<&RateLimit> {
        self.rate.as_ref()
    }

    /// The write-ahead log, if enabled.
    pub(crate) fn log(&self) -> Option<&Log> {
        self.log.as_ref()
    }

    /// Every key the store may hold, if tracked.
    pub(crate) fn known(&self) -> Option<&crate::known_keys::KnownKeys> {
        self.known.as_ref()
    }

    /// Whether the store answers (see `outage.rs`).
    pub(crate) fn health(&self) -> &crate::outage::StoreHealth {
        &self.health
    }

    /// Whether shutdown has closed the door on new writes.
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Closes the door on new writes; every write checks it under its
    /// shard lock (see `shutdown.rs`).
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    /// Where the next round of the expiry sweep starts.
    pub(crate) fn sweep_after(&self) -> Option<Bytes> {
        self.sweep_after.lock().clone()
    }

    pub(crate) fn set_sweep_after(&self, after: Option<Bytes>) {
        *self.sweep_after.lock() = after;
    }

    /// Stops the workers and background tasks.
    pub(crate) fn stop(&self) {
        self.cancel.cancel();
    }

    /// Resolves once the workers are told to stop.
    pub(crate) fn stopped(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.cancel.cancelled()
    }

    pub(crate) fn check_open(&self) -> Result<()> {
        if self.is_closing() { Err(Error::ShuttingDown) } else { Ok(()) }
    }
}
