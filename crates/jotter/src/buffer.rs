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

use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use foldhash::fast::FixedState;
use parking_lot::{Mutex, MutexGuard};

use crate::shard::Shard;

/// Shards per flush worker: enough that writers rarely meet on one lock.
const SHARDS_PER_WORKER: usize = 16;

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
            shard.0.lock().reserve(per_shard);
        }
    }

    pub(crate) fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Every key with pending ops in (`after`, `upper`] (unbounded where
    /// `None`), in byte order: what a listing lays over the store's keys.
    pub(crate) fn keys_in(&self, after: Option<&[u8]>, upper: Option<&[u8]>) -> BTreeSet<Bytes> {
        let in_range = |k: &&[u8]| after.is_none_or(|a| *k > a) && upper.is_none_or(|u| *k <= u);
        let mut keys = BTreeSet::new();
        for shard in &self.shards {
            keys.extend(shard.0.lock().keys().filter(in_range).map(Bytes::copy_from_slice));
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
