//! One shard of the write buffer: its pending keys, each with its queue of
//! ops, and the indexes and counters kept beside them. Every change to a
//! shard goes through the methods here, which keep its invariants:
//!
//! - **One op of a key in flight at a time, and only the front one.** An op
//!   is marked in flight only as its key's front op, by a worker's batch
//!   ([`take_ready`](Shard::take_ready)), a group's
//!   ([`take_grouped`](Shard::take_grouped)) or a direct write
//!   ([`place_direct`](Shard::place_direct)); nothing folds into an op in
//!   flight, and the key's next op is scheduled only once the front one is
//!   finished ([`finish_front`](Shard::finish_front)).
//! - **Per-key order.** Ops of a key are queued oldest first and leave from
//!   the front, so one key's writes reach the store one at a time, in order.
//! - **The counts follow the ops.** Each key with a front op waiting for its
//!   worker is in `ready` exactly once (by its first version), or in
//!   `grouped` if it belongs to a multi-key transaction; `lsns` counts the
//!   first log sequence number of every logged op still pending (the ops
//!   of one transaction share one); the bytes
//!   an op reserves in the bound are its weight, which the shard returns
//!   when the op leaves ([`Plan`] says what a new op takes).
//!
//! The shard lives behind its mutex in `buffer.rs`; the engine holds the
//! lock while it calls these methods, and settles the bound with what they
//! return.

use std::collections::{BTreeMap, BTreeSet, HashMap, btree_map};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use foldhash::fast::FixedState;
use tokio::sync::OnceCell;
use tokio::time::Instant;

use crate::config::WriteMode;
use crate::op::{Group, OP_OVERHEAD, Op, QueuedOp};
use crate::pending_keys::PendingKeys;
use crate::queue::Queue;
use crate::store::Write;
use crate::value::Entry;
use crate::view::{Dropped, ViewDelta, Written};

/// A read-through load in progress; readers of the same key wait on it
/// instead of loading again (single flight).
#[derive(Debug, Default)]
pub(crate) struct LoadSlot {
    /// Set when a write of the key reaches the store while the load is in
    /// flight: the loaded value may be older than what the store now holds,
    /// and is not installed (docs/DESIGN.md, "stale install").
    stale: AtomicBool,
    pub cell: OnceCell<Option<Entry>>,
}

impl LoadSlot {
    pub(crate) fn is_stale(&self) -> bool {
        self.stale.load(Ordering::Acquire)
    }
}

/// How a new op enters a key's queue, and the room it takes in the bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The key had ops pending.
    pub pending: bool,
    /// Folded into the key's newest op rather than queued behind it.
    pub fold: bool,
    /// Entries it adds (1 for a queued op, 0 for a folded one).
    pub entries: u64,
    /// Bytes the op it folds into counted before (0 when queued).
    pub old_weight: usize,
    /// Bytes the op counts afterwards.
    pub new_weight: usize,
}

impl Plan {
    /// Bytes the bound must grow by.
    pub(crate) fn grow(&self) -> u64 {
        self.new_weight.saturating_sub(self.old_weight) as u64
    }

    /// Bytes the bound gets back (folding can shrink an op).
    pub(crate) fn shrink(&self) -> u64 {
        self.old_weight.saturating_sub(self.new_weight) as u64
    }
}

/// An op versioned (and logged) for [`Shard::accept`], with its log
/// sequence number if it was logged.
#[derive(Debug)]
pub(crate) struct Stamp {
    pub op: Op,
    pub version: u64,
    pub lsn: Option<u64>,
}

/// What accepting an op did beyond the key's queue.
#[derive(Debug)]
pub(crate) struct Placed {
    /// How it entered the queue, and the room it took.
    pub plan: Plan,
    /// How the key's kept view's bytes changed.
    pub view: ViewDelta,
    /// The key had nothing pending and is now ready for its worker.
    pub readied: bool,
}

/// Where a key stands once its front op is finished.
#[derive(Debug)]
pub(crate) enum Next {
    /// Its next op waits for the worker.
    Ready,
    /// Its next op waits for its group's task.
    Grouped(Arc<Group>),
    /// Nothing is left: the key left the buffer, giving back what its view
    /// still counted.
    Gone(ViewDelta),
}

/// A key's front op taken for a batch, marked in flight.
pub(crate) struct Taken {
    /// The write as the store receives it.
    pub write: Write,
    /// The first version folded into it.
    pub first_version: u64,
}

/// A field write made a reset of its key (see [`Shard::reset_behind`]).
pub(crate) struct Reset<'a> {
    pub version: u64,
    pub op: &'a Op,
}

#[derive(Debug, Default)]
pub(crate) struct Shard {
    entries: PendingKeys,
    /// Keys whose front op waits for a worker, by the op's first version:
    /// the key's hash (see [`PendingKeys::by_front`]) rather than a copy of
    /// the key, so that the index holds 16 bytes per key instead of 40 and
    /// the key's bytes are not shared (a shared `Bytes` takes a header
    /// allocation of its own).
    ready: BTreeMap<u64, u64>,
    /// Keys whose front op belongs to a multi-key transaction and waits for
    /// its group's task (not for the worker), by the op's first version.
    grouped: BTreeMap<u64, Bytes>,
    loading: HashMap<Bytes, Arc<LoadSlot>, FixedState>,
    /// The first versions of the ops written to the store by someone other
    /// than the worker (a direct write on a full buffer, a group's batch)
    /// and still out. Neither they nor the ops queued behind them are in
    /// `ready`; a key's queue is in version order, so the smallest of these
    /// is what barriers must wait for, found without visiting every queue.
    direct: BTreeSet<u64>,
    /// The first log sequence numbers of the pending ops that have one, for
    /// the log's low-water mark, each with how many pending ops have it: a
    /// transaction's ops share their group record's LSN, and the record
    /// must stay until the last of them in this shard is stored.
    lsns: BTreeMap<u64, u32>,
    /// Writes accepted into this shard; counted here, under the lock the
    /// write holds anyway, rather than in a shared atomic.
    accepted: u64,
}

impl Shard {
    /// The key's queue, if it has ops pending.
    pub(crate) fn queue(&self, key: &[u8]) -> Option<&Queue> {
        self.entries.get(key)
    }

    /// Whether the key has ops pending.
    pub(crate) fn has_pending(&self, key: &[u8]) -> bool {
        self.entries.contains_key(key)
    }

    /// Every pending key.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.entries.keys()
    }

    /// The smallest first version of any pending op (in flight or not).
    pub(crate) fn oldest_first_version(&self) -> Option<u64> {
        self.entries.values().filter_map(|q| q.front()).map(|p| p.first_version).min()
    }

    /// Makes room for about `keys` more pending keys.
    pub(crate) fn reserve(&mut self, keys: usize) {
        self.entries.reserve(keys);
    }

    /// Writes accepted into this shard since start.
    pub(crate) fn accepted(&self) -> u64 {
        self.accepted
    }

    /// Counts one accepted write.
    pub(crate) fn count_accepted(&mut self) {
        self.accepted += 1;
    }

    /// The smallest first LSN of the pending ops.
    pub(crate) fn lowest_lsn(&self) -> Option<u64> {
        self.lsns.first_key_value().map(|(&lsn, _)| lsn)
    }

    /// Counts one more pending op whose first LSN is `lsn`.
    fn hold_lsn(&mut self, lsn: u64) {
        *self.lsns.entry(lsn).or_default() += 1;
    }

    /// Counts one pending op whose first LSN is `lsn` less.
    fn release_lsn(&mut self, lsn: u64) {
        match self.lsns.entry(lsn) {
            btree_map::Entry::Occupied(mut held) if *held.get() > 1 => *held.get_mut() -= 1,
            btree_map::Entry::Occupied(held) => {
                held.remove();
            }
            btree_map::Entry::Vacant(_) => {
                debug_assert!(false, "an LSN released that was never held")
            }
        }
    }

    /// Since when the oldest op waiting in this shard waits.
    pub(crate) fn oldest(&self) -> Option<Instant> {
        let (&version, &hash) = self.ready.first_key_value()?;
        let since = self.entries.queue_by_front(hash, version)?.front()?.since();
        Some(since)
    }

    /// The smallest first version of any op in this shard that a worker
    /// has not finished; `None` if there is none.
    pub(crate) fn min_pending(&self) -> Option<u64> {
        let grouped = self.grouped.first_key_value().map(|(v, _)| *v);
        let ready = self.ready.first_key_value().map(|(v, _)| *v);
        let direct = self.direct.first().copied();
        ready.into_iter().chain(grouped).chain(direct).min()
    }

    /// A copy of a pending key of its own (see `owned.rs`), or `key` itself
    /// if it has nothing pending.
    pub(crate) fn kept_key(&self, key: &Bytes) -> Bytes {
        self.entries.kept_key(key).unwrap_or_else(|| key.clone())
    }

    /// The load slot for `key`, joining one in progress or starting one.
    pub(crate) fn load_slot(&mut self, key: &Bytes) -> Arc<LoadSlot> {
        self.loading.entry(key.clone()).or_default().clone()
    }

    /// Marks a load of `key` in flight as stale: the store's copy of the key
    /// changed under it (a flush, a direct write, a replayed dead letter).
    pub(crate) fn invalidate_load(&mut self, key: &Bytes) {
        if let Some(slot) = self.loading.remove(key) {
            slot.stale.store(true, Ordering::Release);
        }
    }

    /// Forgets a finished load slot (unless a newer one replaced it).
    pub(crate) fn finish_load(&mut self, key: &Bytes, slot: &Arc<LoadSlot>) {
        if self.loading.get(key).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            self.loading.remove(key);
        }
    }

    /// The key's kept entry moved out for a writer to change in place, if
    /// one is kept; otherwise the view is marked to be weighed afresh when
    /// it is kept again.
    pub(crate) fn take_kept(&mut self, key: &[u8]) -> Option<Option<Entry>> {
        let queue = self.entries.get_mut(key)?;
        let kept = queue.take_kept();
        if kept.is_none() {
            queue.view_rebuilt();
        }
        kept
    }

    /// Keeps `entry` as the key's view, if the key has ops pending.
    pub(crate) fn keep_view(
        &mut self,
        key: &[u8],
        entry: Option<Entry>,
        written: Option<Written>,
    ) -> Option<ViewDelta> {
        Some(self.entries.get_mut(key)?.keep_view(entry, written))
    }

    /// Notes the version of the key's write the store acknowledged, if the
    /// key still has ops pending (see [`Queue::note_stored`]).
    pub(crate) fn note_stored(&mut self, key: &[u8], version: u64) {
        if let Some(queue) = self.entries.get_mut(key) {
            queue.note_stored(version);
        }
    }

    /// Forgets the key's view, if the key has ops pending: its entry, and
    /// the bytes it no longer counts.
    pub(crate) fn drop_view(&mut self, key: &[u8]) -> Option<Dropped> {
        Some(self.entries.get_mut(key)?.drop_view())
    }

    /// Accepts `op` (weighing `own`) into the key's queue: folded into the
    /// newest op (coalescing, and that op is not in flight) or queued
    /// behind it, or the key's first op (then ready for its worker).
    /// `stamp` sees the [`Plan`] first, takes its room in the bound and
    /// versions the op, or refuses it, and nothing changes. One hash lookup
    /// for a pending key, on the hot path.
    ///
    /// An op of a multi-key transaction (`grouped`) never folds into an op of
    /// another transaction: the two groups would have to reach the store as
    /// one; it queues behind instead.
    pub(crate) fn accept<E>(
        &mut self,
        key: &Bytes,
        mode: WriteMode,
        grouped: bool,
        op: Op,
        own: usize,
        stamp: impl FnOnce(&Plan, Op) -> Result<Stamp, E>,
    ) -> Result<Placed, E> {
        let Some(ops) = self.entries.get_mut(key) else {
            let plan =
                Plan { pending: false, fold: false, entries: 1, old_weight: 0, new_weight: own };
            let Stamp { op, version, lsn } = stamp(&plan, op)?;
            let hash = self.entries.hash(key);
            let queue = Queue::new(QueuedOp::new(op, version, own, lsn));
            self.entries.insert(key, queue);
            if let Some(lsn) = lsn {
                self.hold_lsn(lsn);
            }
            self.ready.insert(version, hash);
            return Ok(Placed { plan, view: ViewDelta::default(), readied: true });
        };
        let foldable = |p: &&QueuedOp| {
            mode == WriteMode::Coalesce && !p.in_flight() && !(grouped && p.group.is_some())
        };
        let plan = match ops.back().filter(foldable) {
            Some(p) => {
                let payload = p.weight() - key.len() - OP_OVERHEAD;
                let new_weight = key.len() + OP_OVERHEAD + p.op.folded_weight(payload, &op);
                Plan { pending: true, fold: true, entries: 0, old_weight: p.weight(), new_weight }
            }
            None => Plan { pending: true, fold: false, entries: 1, old_weight: 0, new_weight: own },
        };
        let Stamp { op, version, lsn } = stamp(&plan, op)?;
        let view = match ops.take_kept() {
            Some(kept) => ops.keep_view(op.apply(kept), Some(Written::of(&op))),
            None => ViewDelta::default(),
        };
        match ops.back_mut().filter(|_| plan.fold) {
            Some(p) => {
                p.op.fold(op, version);
                p.version = version;
                p.set_weight(plan.new_weight);
                // The folded op keeps its first LSN: the log must keep every
                // record from there until the folded op is stored.
            }
            None => {
                ops.push_back(QueuedOp::new(op, version, plan.new_weight, lsn));
                if let Some(lsn) = lsn {
                    self.hold_lsn(lsn);
                }
            }
        }
        Ok(Placed { plan, view, readied: false })
    }

    /// Makes the key's newest op part of `group`. If it is also the front op
    /// and waits for the worker, the group's task takes it over: returns
    /// whether it left `ready` (the worker's count goes down by one).
    pub(crate) fn join_group(&mut self, key: &Bytes, group: &Arc<Group>) -> bool {
        let Some(ops) = self.entries.get_mut(key) else { return false };
        let alone = ops.len() == 1;
        let Some(back) = ops.back_mut() else { return false };
        back.group = Some(group.clone());
        if !alone || back.in_flight() {
            return false;
        }
        let first = back.first_version;
        let unreadied = self.ready.remove(&first).is_some();
        let key = self.kept_key(key);
        self.grouped.insert(first, key);
        unreadied
    }

    /// Places an op its writer sends to the store itself (write-through on
    /// a full buffer): queued in flight and unaccounted, so reads see it and
    /// later writes of the key queue behind it, as behind a worker's batch.
    pub(crate) fn place_direct(
        &mut self,
        key: &Bytes,
        op: Op,
        version: u64,
        lsn: Option<u64>,
    ) -> ViewDelta {
        let ops = self.entries.get_or_insert(key);
        let view = match ops.take_kept() {
            Some(kept) => ops.keep_view(op.apply(kept), Some(Written::of(&op))),
            None => ViewDelta::default(),
        };
        let mut queued = QueuedOp::new(op, version, 0, lsn);
        queued.set_in_flight();
        ops.push_back(queued);
        if let Some(lsn) = lsn {
            self.hold_lsn(lsn);
        }
        self.direct.insert(version);
        self.accepted += 1;
        view
    }

    /// Takes the oldest ready key's front op for a worker's batch, marked in
    /// flight: the write as the store receives it, and its first version.
    pub(crate) fn take_ready(&mut self) -> Option<Taken> {
        loop {
            let (version, hash) = self.ready.pop_first()?;
            let Some((key, ops)) = self.entries.by_front(hash, version) else { continue };
            let Some(front) = ops.front_mut() else { continue };
            return Some(Taken {
                write: in_flight(front, key),
                first_version: front.first_version,
            });
        }
    }

    /// Whether the key's front op is an op of `group` not yet in flight.
    pub(crate) fn fronts_group(&self, key: &[u8], group: &Arc<Group>) -> bool {
        let front = self.entries.get(key).and_then(|ops| ops.front());
        front.is_some_and(|p| {
            !p.in_flight() && p.group.as_ref().is_some_and(|g| Arc::ptr_eq(g, group))
        })
    }

    /// Takes the key's front op for its group's batch, marked in flight and
    /// counted as a direct write until [`direct_done`](Shard::direct_done).
    pub(crate) fn take_grouped(&mut self, key: &Bytes) -> Option<Taken> {
        let front = self.entries.get_mut(key).and_then(|ops| ops.front_mut())?;
        self.grouped.remove(&front.first_version);
        let first = front.first_version;
        let write = in_flight(front, key.clone());
        self.direct.insert(first);
        Some(Taken { write, first_version: first })
    }

    /// A direct write (or a group's) whose op's first version is
    /// `first_version` is finished.
    pub(crate) fn direct_done(&mut self, first_version: u64) {
        let was_out = self.direct.remove(&first_version);
        debug_assert!(was_out, "a direct write finished twice, or never out");
    }

    /// Removes the key's front op once written (stored or dead-lettered),
    /// if it is the op in flight at `version`; marks a load of the key in
    /// flight as stale (the store's copy changed).
    pub(crate) fn finish_front(&mut self, key: &Bytes, version: u64) -> Option<QueuedOp> {
        self.invalidate_load(key);
        let ops = self.entries.get_mut(key)?;
        if ops.front().is_none_or(|p| p.version != version || !p.in_flight()) {
            debug_assert!(false, "completed op is not the key's front op in flight");
            return None;
        }
        let done = ops.pop_front()?;
        if let Some(lsn) = done.first_lsn() {
            self.release_lsn(lsn);
        }
        Some(done)
    }

    /// After a whole write of the key was dead-lettered: a field write
    /// queued behind it was built on top of it, so it becomes a reset of
    /// the key with its fields. Returns the op as it now stands, to log.
    pub(crate) fn reset_behind(&mut self, key: &[u8]) -> Option<Reset<'_>> {
        let next = self.entries.get_mut(key)?.front_mut()?;
        let Op::Patch { reset: reset @ None, .. } = &mut next.op else { return None };
        *reset = Some(next.first_version);
        Some(Reset { version: next.version, op: &next.op })
    }

    /// Schedules the key's next op now that its front op is finished.
    pub(crate) fn ready_next(&mut self, key: &Bytes) -> Next {
        let next = self.entries.get(key).and_then(|ops| ops.front());
        match next {
            Some(next) => {
                let first = next.first_version;
                if let Some(group) = &next.group {
                    let group = group.clone();
                    let key = self.kept_key(key);
                    self.grouped.insert(first, key);
                    Next::Grouped(group)
                } else {
                    let hash = self.entries.hash(key);
                    self.ready.insert(first, hash);
                    Next::Ready
                }
            }
            None => {
                // A view taken out and never given back may still count.
                let delta = match self.entries.remove(key) {
                    Some(mut queue) => queue.drop_view().delta,
                    None => ViewDelta::default(),
                };
                Next::Gone(delta)
            }
        }
    }
}

/// Marks an op in flight and gives the write the store receives for it.
fn in_flight(front: &mut QueuedOp, key: Bytes) -> Write {
    front.set_in_flight();
    Write {
        version: front.version,
        change: front.op.to_change(),
        expires_at: front.op.expires_at(),
        key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(v: &'static str) -> Op {
        Op::Put { value: Bytes::from_static(v.as_bytes()), expires_at: None }
    }

    fn accept(shard: &mut Shard, key: &Bytes, op: Op, version: u64, lsn: Option<u64>) -> Plan {
        let own = QueuedOp::weight_of(key, &op);
        let stamp = |_: &Plan, op| Ok::<_, ()>(Stamp { op, version, lsn });
        shard.accept(key, WriteMode::Coalesce, false, op, own, stamp).unwrap().plan
    }

    #[test]
    fn a_write_folds_into_a_waiting_op_but_queues_behind_one_in_flight() {
        let mut shard = Shard::default();
        let key = Bytes::from_static(b"k");
        let first = accept(&mut shard, &key, put("a"), 1, Some(10));
        assert_eq!(first.entries, 1);
        assert_eq!(accept(&mut shard, &key, put("b"), 2, Some(11)).entries, 0, "folded");
        let Taken { write, first_version } = shard.take_ready().unwrap();
        assert_eq!((write.version, first_version), (2, 1));
        assert!(shard.take_ready().is_none(), "one batch per key at a time");
        let behind = accept(&mut shard, &key, put("c"), 3, Some(12));
        assert_eq!(behind.entries, 1, "queued behind the op in flight");
        assert!(shard.take_ready().is_none(), "the next op waits for the front one");
        assert_eq!(shard.lowest_lsn(), Some(10));

        let done = shard.finish_front(&key, 2).unwrap();
        assert_eq!(done.first_lsn(), Some(10));
        assert_eq!(shard.lowest_lsn(), Some(12), "the stored op's LSN is gone");
        assert!(matches!(shard.ready_next(&key), Next::Ready));
        let write = shard.take_ready().unwrap().write;
        assert_eq!(write.version, 3, "in order");
        shard.finish_front(&key, 3).unwrap();
        assert!(matches!(shard.ready_next(&key), Next::Gone(_)));
        assert!(!shard.has_pending(&key) && shard.lowest_lsn().is_none());
        assert_eq!(shard.min_pending(), None);
    }

    /// A transaction's ops share their group record's LSN: the record must
    /// stay until the last of them in the shard is stored.
    #[test]
    fn two_ops_of_one_record_hold_its_lsn_until_both_are_stored() {
        let mut shard = Shard::default();
        let (a, b) = (Bytes::from_static(b"a"), Bytes::from_static(b"b"));
        accept(&mut shard, &a, put("1"), 1, Some(10));
        accept(&mut shard, &b, put("2"), 2, Some(10));
        let first = shard.take_ready().unwrap().write;
        shard.finish_front(&first.key, first.version).unwrap();
        assert_eq!(shard.lowest_lsn(), Some(10), "the other op still needs the record");
        let second = shard.take_ready().unwrap().write;
        shard.finish_front(&second.key, second.version).unwrap();
        assert_eq!(shard.lowest_lsn(), None);
    }

    #[test]
    fn ready_keys_leave_oldest_first_and_only_once() {
        let mut shard = Shard::default();
        for (i, k) in ["c", "a", "b"].iter().enumerate() {
            accept(&mut shard, &Bytes::from_static(k.as_bytes()), put("v"), i as u64 + 1, None);
        }
        assert_eq!(shard.min_pending(), Some(1));
        let order: Vec<u64> =
            std::iter::from_fn(|| shard.take_ready()).map(|t| t.write.version).collect();
        assert_eq!(order, [1, 2, 3]);
    }

    #[test]
    fn a_direct_write_is_in_flight_and_holds_the_barrier() {
        let mut shard = Shard::default();
        let key = Bytes::from_static(b"k");
        let _ = shard.place_direct(&key, put("a"), 5, None);
        assert!(shard.take_ready().is_none(), "a direct write is not the worker's");
        assert_eq!(shard.min_pending(), Some(5));
        accept(&mut shard, &key, put("b"), 6, None);
        assert_eq!(shard.queue(&key).map(|q| q.len()), Some(2), "never folded into");
        shard.finish_front(&key, 5).unwrap();
        shard.direct_done(5);
        assert!(matches!(shard.ready_next(&key), Next::Ready));
        assert_eq!(shard.accepted(), 1);
    }

    #[test]
    fn a_group_takes_its_ops_from_the_worker() {
        let mut shard = Shard::default();
        let key = Bytes::from_static(b"g");
        let group = Arc::new(Group::new(vec![(0, key.clone())]));
        accept(&mut shard, &key, put("a"), 1, None);
        assert!(shard.join_group(&key, &group), "it left the worker's ready keys");
        assert!(shard.take_ready().is_none());
        assert!(shard.fronts_group(&key, &group));
        let write = shard.take_grouped(&key).unwrap().write;
        assert_eq!(write.version, 1);
        assert!(!shard.fronts_group(&key, &group), "in flight");
        assert_eq!(shard.min_pending(), Some(1), "a group's write holds the barrier");
        shard.finish_front(&key, 1).unwrap();
        shard.direct_done(1);
        assert!(matches!(shard.ready_next(&key), Next::Gone(_)));
        assert_eq!(shard.min_pending(), None);
    }
}
