//! The keys of a shard that have pending ops, each with its queue.
//!
//! A hash table of boxed nodes (key and queue together) rather than a map
//! of keys to queues: the table itself then holds one pointer per bucket,
//! so its empty buckets (a table is between 44 and 88 % full) cost 9 bytes
//! each instead of a whole key and queue, and a node is one allocation.

use std::hash::BuildHasher;

use bytes::Bytes;
use foldhash::fast::FixedState;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

use crate::queue::Queue;

#[derive(Debug)]
struct Node {
    key: Bytes,
    queue: Queue,
}

impl Node {
    /// Whether the key's front op's first version is `first_version`.
    fn fronts(&self, first_version: u64) -> bool {
        self.queue.front().is_some_and(|p| p.first_version == first_version)
    }
}

#[derive(Debug, Default)]
pub(crate) struct PendingKeys {
    table: HashTable<Box<Node>>,
    hasher: FixedState,
}

impl PendingKeys {
    /// The hash a key is found by: what the shard's `ready` index keeps
    /// instead of a copy of the key.
    pub(crate) fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The key with hash `hash` whose front op's first version is
    /// `first_version` (an entry of the `ready` index), and its queue.
    pub(crate) fn by_front(
        &mut self,
        hash: u64,
        first_version: u64,
    ) -> Option<(&Bytes, &mut Queue)> {
        let node = self.table.find_mut(hash, |n| n.fronts(first_version))?;
        Some((&node.key, &mut node.queue))
    }

    /// [`by_front`](Self::by_front), to read.
    pub(crate) fn by_front_ref(&self, hash: u64, first_version: u64) -> Option<(&Bytes, &Queue)> {
        let node = self.table.find(hash, |n| n.fronts(first_version))?;
        Some((&node.key, &node.queue))
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<&Queue> {
        self.get_key_value(key).map(|(_, q)| q)
    }

    pub(crate) fn get_key_value(&self, key: &[u8]) -> Option<(&Bytes, &Queue)> {
        let node = self.table.find(self.hash(key), |n| n.key.as_ref() == key)?;
        Some((&node.key, &node.queue))
    }

    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut Queue> {
        let hash = self.hash(key);
        self.table.find_mut(hash, |n| n.key.as_ref() == key).map(|n| &mut n.queue)
    }

    pub(crate) fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key`'s queue, returning the one it replaces.
    pub(crate) fn insert(&mut self, key: Bytes, queue: Queue) -> Option<Queue> {
        let hash = self.hash(&key);
        let Self { table, hasher } = self;
        match table.entry(hash, |n| n.key == key, |n| hasher.hash_one(n.key.as_ref())) {
            Entry::Occupied(mut e) => Some(std::mem::replace(&mut e.get_mut().queue, queue)),
            Entry::Vacant(e) => {
                e.insert(Box::new(Node { key, queue }));
                None
            }
        }
    }

    /// `key`'s queue, made empty under `owned()` (the buffer's own copy of
    /// the key) if it has none.
    pub(crate) fn get_or_insert(
        &mut self,
        key: &[u8],
        owned: impl FnOnce() -> Bytes,
    ) -> &mut Queue {
        let hash = self.hash(key);
        let Self { table, hasher } = self;
        let entry =
            table.entry(hash, |n| n.key.as_ref() == key, |n| hasher.hash_one(n.key.as_ref()));
        let node = match entry {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                e.insert(Box::new(Node { key: owned(), queue: Queue::default() })).into_mut()
            }
        };
        &mut node.queue
    }

    /// Removes `key`'s queue. A table that a burst of writes grew and the
    /// flush then drained is shrunk once it is a quarter full: the table
    /// never gives its buckets back by itself, and after a bulk load they
    /// stayed behind (measured: ~35 bytes per key loaded, for good).
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Queue> {
        let hash = self.hash(key);
        let found = self.table.find_entry(hash, |n| n.key.as_ref() == key).ok()?;
        let queue = found.remove().0.queue;
        let Self { table, hasher } = self;
        if table.capacity() > 64 && table.len() < table.capacity() / 4 {
            table.shrink_to(table.len() * 2, |n| hasher.hash_one(n.key.as_ref()));
        }
        Some(queue)
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &Bytes> {
        self.table.iter().map(|n| &n.key)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Queue> {
        self.table.iter().map(|n| &n.queue)
    }

    pub(crate) fn reserve(&mut self, additional: usize) {
        let Self { table, hasher } = self;
        table.reserve(additional, |n| hasher.hash_one(n.key.as_ref()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::{Op, QueuedOp};

    fn queue(version: u64) -> Queue {
        Queue::new(QueuedOp::new(Op::Delete, version, 0, None))
    }

    #[test]
    fn keys_are_found_replaced_and_removed() {
        let mut keys = PendingKeys::default();
        for i in 0..1000u64 {
            assert!(keys.insert(Bytes::from(format!("k{i}")), queue(i)).is_none());
        }
        assert_eq!(keys.keys().count(), 1000);
        assert_eq!(keys.get(b"k7").and_then(|q| q.front()).map(|p| p.version), Some(7));
        let old = keys.insert(Bytes::from_static(b"k7"), queue(70)).unwrap();
        assert_eq!(old.front().map(|p| p.version), Some(7));
        assert_eq!(keys.get_mut(b"k7").and_then(|q| q.front()).map(|p| p.version), Some(70));
        assert!(keys.get_or_insert(b"k8", || unreachable!("k8 is there")).front().is_some());
        let fresh = keys.get_or_insert(b"new", || Bytes::from_static(b"new"));
        assert!(fresh.is_empty());
        assert_eq!(keys.get_key_value(b"new").map(|(k, _)| k.as_ref()), Some(&b"new"[..]));
        assert_eq!(keys.remove(b"k3").and_then(|q| q.front().map(|p| p.version)), Some(3));
        assert!(!keys.contains_key(b"k3") && keys.remove(b"k3").is_none());
        assert_eq!(keys.keys().count(), 1000);
        assert_eq!(keys.values().count(), 1000);
        let h = keys.hash(b"k9");
        assert_eq!(keys.by_front(h, 9).map(|(k, _)| k.as_ref()), Some(&b"k9"[..]));
        assert!(keys.by_front(h, 10).is_none(), "the key's front op is not version 10");
        assert!(keys.by_front_ref(keys.hash(b"k10"), 10).is_some());
    }
}
