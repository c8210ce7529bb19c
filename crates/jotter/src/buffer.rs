//! The write buffer (the "dirty table"): every write accepted but not yet
//! in the store, sharded by key hash.
//!
//! Each key has a short queue of pending ops. In coalescing mode a new write
//! folds into the newest op unless a flush worker is writing that op, in
//! which case it queues behind it; so a key has at most two ops, and a
//! worker that finishes a write can tell whether a newer one arrived (trap
//! 2). In ordered mode every write queues. Only the front op of a key is
//! ever handed to a worker, so one key's ops reach the store one at a time,
//! in order (docs/DESIGN.md, "reordered put and delete"), and a key appears at most once per batch.
//!
//! Each shard belongs to one flush worker and keeps a `ready` index of its
//! keys whose front op waits to be flushed, ordered by version (which is
//! the order writes were accepted): the oldest pending write is its first
//! entry, which is what the flush interval and barriers look at.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use foldhash::fast::FixedState;
use parking_lot::{Mutex, MutexGuard};
use tokio::sync::OnceCell;

use crate::pending_keys::PendingKeys;
use crate::value::Entry;

/// Shards per flush worker: enough that writers rarely meet on one lock.
const SHARDS_PER_WORKER: usize = 16;

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

#[derive(Debug, Default)]
pub(crate) struct Shard {
    pub entries: PendingKeys,
    /// Keys whose front op waits for a worker, by the op's first version:
    /// the key's hash (see [`PendingKeys::by_front`]) rather than a copy of
    /// the key, so that the index holds 16 bytes per key instead of 40 and
    /// the key's bytes are not shared (a shared `Bytes` takes a header
    /// allocation of its own).
    pub ready: BTreeMap<u64, u64>,
    /// Keys whose front op belongs to a multi-key transaction and waits for
    /// its group's task (not for the worker), by the op's first version.
    pub grouped: BTreeMap<u64, Bytes>,
    pub loading: HashMap<Bytes, Arc<LoadSlot>, FixedState>,
    /// Ops written to the store by their callers (write-through on a full
    /// buffer) rather than by the worker; while any is out, the ops queued
    /// behind them are not in `ready` and barriers must look for them.
    pub direct_writes: usize,
    /// The first log sequence numbers of the pending ops that have one, for
    /// the log's low-water mark.
    pub lsns: BTreeSet<u64>,
    /// Writes accepted into this shard; counted here, under the lock the
    /// write holds anyway, rather than in a shared atomic.
    pub accepted: u64,
}

impl Shard {
    /// The oldest op waiting in this shard: its first version and age origin.
    pub(crate) fn oldest(&self) -> Option<(u64, tokio::time::Instant)> {
        let (&version, &hash) = self.ready.first_key_value()?;
        let since = self.entries.by_front_ref(hash, version)?.1.front()?.since();
        Some((version, since))
    }

    /// The smallest first version of any op in this shard that a worker
    /// has not finished; `None` if there is none.
    pub(crate) fn min_pending(&self) -> Option<u64> {
        let grouped = self.grouped.first_key_value().map(|(v, _)| *v);
        let ready = self.ready.first_key_value().map(|(v, _)| *v);
        let ready = ready.into_iter().chain(grouped).min();
        if self.direct_writes == 0 {
            return ready;
        }
        let queued = self.entries.values().flat_map(|q| q.iter()).map(|p| p.first_version).min();
        ready.into_iter().chain(queued).min()
    }

    /// The buffer's own copy of a pending key (see `owned.rs`), or `key`
    /// itself if it has nothing pending.
    pub(crate) fn kept_key(&self, key: &Bytes) -> Bytes {
        self.entries.get_key_value(key).map_or_else(|| key.clone(), |(k, _)| k.clone())
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
}

/// A shard on cache lines of its own, so that writers on different cores
/// locking neighbouring shards do not fight over one line (false sharing).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded(Mutex<Shard>);

#[derive(Debug)]
pub(crate) struct Buffer {
    shards: Box<[Padded]>,
    hasher: FixedState,
    workers: usize,
    /// See [`Buffer::departures`].
    departures: AtomicU64,
}

impl Buffer {
    pub(crate) fn new(workers: usize) -> Self {
        let shards = (0..workers * SHARDS_PER_WORKER).map(|_| Padded::default()).collect();
        Buffer {
            shards,
            hasher: FixedState::with_seed(0x6a6f_7474_6572),
            workers,
            departures: AtomicU64::new(0),
        }
    }

    /// The shard a key lives in.
    pub(crate) fn shard_of(&self, key: &[u8]) -> usize {
        // The hash's high bits pick the shard: low bits of a multiplicative
        // hash are the weak ones.
        let h = self.hasher.hash_one(key);
        usize::try_from((u128::from(h) * self.shards.len() as u128) >> 64).unwrap_or(0)
    }

    /// The worker that owns a shard.
    pub(crate) fn worker_of(&self, shard: usize) -> usize {
        shard % self.workers
    }

    /// The shards a worker owns.
    pub(crate) fn shards_of(&self, worker: usize) -> impl Iterator<Item = usize> + '_ {
        (worker..self.shards.len()).step_by(self.workers)
    }

    pub(crate) fn lock(&self, shard: usize) -> MutexGuard<'_, Shard> {
        self.shards[shard].0.lock()
    }

    /// Makes room for about `keys` keys in all, spread over the shards (a
    /// recovery knows how many records it will replay).
    pub(crate) fn reserve(&self, keys: usize) {
        let per_shard = keys.div_ceil(self.shards.len());
        for shard in &self.shards {
            shard.0.lock().entries.reserve(per_shard);
        }
    }

    pub(crate) fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Every key with pending ops in (`after`, `upper`] (unbounded where
    /// `None`), in byte order: what a listing lays over the store's keys.
    pub(crate) fn keys_in(&self, after: Option<&[u8]>, upper: Option<&[u8]>) -> BTreeSet<Bytes> {
        let in_range = |k: &Bytes| {
            after.is_none_or(|a| k.as_ref() > a) && upper.is_none_or(|u| k.as_ref() <= u)
        };
        let mut keys = BTreeSet::new();
        for shard in &self.shards {
            keys.extend(shard.0.lock().entries.keys().filter(|k| in_range(k)).cloned());
        }
        keys
    }

    /// Counts a key leaving the buffer (its last op stored or
    /// dead-lettered). Called under the key's shard lock.
    pub(crate) fn departed(&self) {
        self.departures.fetch_add(1, Ordering::AcqRel);
    }

    /// Keys that have left the buffer since start: a listing that reads the
    /// store, then the buffer, compares it before and after to learn
    /// whether a key may have moved from one to the other in between.
    pub(crate) fn departures(&self) -> u64 {
        self.departures.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shard_belongs_to_exactly_one_worker() {
        let buffer = Buffer::new(3);
        let mut owned: Vec<usize> =
            (0..3).flat_map(|w| buffer.shards_of(w).collect::<Vec<_>>()).collect();
        owned.sort_unstable();
        assert_eq!(owned, (0..buffer.shard_count()).collect::<Vec<_>>());
        for w in 0..3 {
            assert!(buffer.shards_of(w).all(|s| buffer.worker_of(s) == w));
        }
    }

    #[test]
    fn keys_spread_over_shards() {
        let buffer = Buffer::new(2);
        let mut hits = vec![0u32; buffer.shard_count()];
        for i in 0..10_000 {
            hits[buffer.shard_of(format!("key:{i}").as_bytes())] += 1;
        }
        assert!(hits.iter().all(|&n| n > 200), "{hits:?}");
    }
}
