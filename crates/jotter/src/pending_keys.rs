//! The keys of a shard that have pending ops, each with its queue.
//!
//! A hash table of boxed nodes (key and queue together) rather than a map
//! of keys to queues: the table itself then holds one pointer per bucket,
//! so its empty buckets (a table is between 44 and 88 % full) cost 9 bytes
//! each instead of a whole key and queue, and a node is one allocation.
//!
//! A node keeps its key as a [`ShortKey`], inline when short (most keys):
//! finding a key is then one cache miss (the node) instead of two (the
//! node, then the key's bytes to compare), which a profile of `INCR` under
//! load measured at 14 % of the server's time. A caller that needs the key
//! as `Bytes` (a batch's write) gets a copy of it
//! ([`PendingKeys::kept_key`]).

use std::hash::BuildHasher;

use bytes::Bytes;
use foldhash::fast::FixedState;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

use crate::queue::Queue;
use crate::short_key::ShortKey;

#[derive(Debug)]
struct Node {
    key: ShortKey,
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
    /// `first_version` (an entry of the `ready` index): a copy of the key,
    /// and its queue.
    pub(crate) fn by_front(
        &mut self,
        hash: u64,
        first_version: u64,
    ) -> Option<(Bytes, &mut Queue)> {
        let node = self.table.find_mut(hash, |n| n.fronts(first_version))?;
        Some((node.key.to_bytes(), &mut node.queue))
    }

    /// The queue of [`by_front`](Self::by_front), to read.
    pub(crate) fn queue_by_front(&self, hash: u64, first_version: u64) -> Option<&Queue> {
        self.table.find(hash, |n| n.fronts(first_version)).map(|n| &n.queue)
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<&Queue> {
        self.node(key).map(|n| &n.queue)
    }

    /// The pending key equal to `key`, copied as `Bytes` of its own.
    pub(crate) fn kept_key(&self, key: &[u8]) -> Option<Bytes> {
        self.node(key).map(|n| n.key.to_bytes())
    }

    fn node(&self, key: &[u8]) -> Option<&Node> {
        self.table.find(self.hash(key), |n| n.key.as_bytes() == key).map(|n| &**n)
    }

    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut Queue> {
        let hash = self.hash(key);
        self.table.find_mut(hash, |n| n.key.as_bytes() == key).map(|n| &mut n.queue)
    }

    pub(crate) fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key`'s queue, returning the one it replaces.
    pub(crate) fn insert(&mut self, key: &[u8], queue: Queue) -> Option<Queue> {
        let hash = self.hash(key);
        let Self { table, hasher } = self;
        match table.entry(hash, |n| n.key.as_bytes() == key, |n| hasher.hash_one(n.key.as_bytes()))
        {
            Entry::Occupied(mut e) => Some(std::mem::replace(&mut e.get_mut().queue, queue)),
            Entry::Vacant(e) => {
                e.insert(Box::new(Node { key: ShortKey::new(key), queue }));
                None
            }
        }
    }

    /// `key`'s queue, made empty if it has none.
    pub(crate) fn get_or_insert(&mut self, key: &[u8]) -> &mut Queue {
        let hash = self.hash(key);
        let Self { table, hasher } = self;
        let entry =
            table.entry(hash, |n| n.key.as_bytes() == key, |n| hasher.hash_one(n.key.as_bytes()));
        let node = match entry {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let key = ShortKey::new(key);
                e.insert(Box::new(Node { key, queue: Queue::default() })).into_mut()
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
        let found = self.table.find_entry(hash, |n| n.key.as_bytes() == key).ok()?;
        let queue = found.remove().0.queue;
        let Self { table, hasher } = self;
        if table.capacity() > 64 && table.len() < table.capacity() / 4 {
            table.shrink_to(table.len() * 2, |n| hasher.hash_one(n.key.as_bytes()));
        }
        Some(queue)
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.table.iter().map(|n| n.key.as_bytes())
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Queue> {
        self.table.iter().map(|n| &n.queue)
    }

    pub(crate) fn reserve(&mut self, additional: usize) {
        let Self { table, hasher } = self;
        table.reserve(additional, |n| hasher.hash_one(n.key.as_bytes()));
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
            assert!(keys.insert(format!("k{i}").as_bytes(), queue(i)).is_none());
        }
        assert_eq!(keys.keys().count(), 1000);
        assert_eq!(keys.get(b"k7").and_then(|q| q.front()).map(|p| p.version), Some(7));
        let old = keys.insert(b"k7", queue(70)).unwrap();
        assert_eq!(old.front().map(|p| p.version), Some(7));
        assert_eq!(keys.get_mut(b"k7").and_then(|q| q.front()).map(|p| p.version), Some(70));
        assert!(keys.get_or_insert(b"k8").front().is_some());
        assert!(keys.get_or_insert(b"new").is_empty());
        assert_eq!(keys.kept_key(b"new").as_deref(), Some(&b"new"[..]));
        assert_eq!(keys.remove(b"k3").and_then(|q| q.front().map(|p| p.version)), Some(3));
        assert!(!keys.contains_key(b"k3") && keys.remove(b"k3").is_none());
        assert_eq!(keys.keys().count(), 1000);
        assert_eq!(keys.values().count(), 1000);
        let h = keys.hash(b"k9");
        assert_eq!(keys.by_front(h, 9).map(|(k, _)| k), Some(Bytes::from_static(b"k9")));
        assert!(keys.by_front(h, 10).is_none(), "the key's front op is not version 10");
        assert!(keys.queue_by_front(keys.hash(b"k10"), 10).is_some());
    }

    #[test]
    fn a_key_is_never_found_by_a_prefix_or_an_extension() {
        let mut keys = PendingKeys::default();
        let short = [b'a'; crate::short_key::INLINE_KEY];
        let long = [b'b'; crate::short_key::INLINE_KEY + 1];
        for (key, version) in [(&short[..], 1), (&long[..], 2), (b"", 3)] {
            keys.insert(key, queue(version));
        }
        assert!(keys.get(&short[..short.len() - 1]).is_none());
        assert!(keys.get(&long[..long.len() - 1]).is_none());
        assert!(keys.get(&[b'a'; crate::short_key::INLINE_KEY + 1]).is_none());
        assert_eq!(keys.kept_key(&long).as_deref(), Some(&long[..]));
        assert_eq!(keys.kept_key(b"").as_deref(), Some(&b""[..]));
        let mut listed: Vec<&[u8]> = keys.keys().collect();
        listed.sort();
        assert_eq!(listed, [&b""[..], &short[..], &long[..]]);
        assert_eq!(size_of::<Node>(), 144, "OP_OVERHEAD counts the node at 144 bytes");
    }
}
