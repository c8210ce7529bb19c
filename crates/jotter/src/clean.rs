//! The clean cache: values the store already holds, bounded in bytes and
//! evictable at will (the write buffer, not this cache, holds what is not
//! yet stored). Beside each value, the version of the write that put it
//! there when the engine flushed that write itself: what `JOTTER.KEY`
//! reports as the version the store acknowledged.
//!
//! Every key may be resident here, so an entry is kept small: the key
//! inline in the cache's slot when it is short ([`ShortKey`]), and the
//! version, the expiry and a small value packed together in one allocation
//! ([`Stored`]); each entry counts what it holds in memory ([`CleanWeight`]),
//! so that the byte bound is what the process holds.

use std::sync::Arc;

use bytes::{Buf, Bytes};
use quick_cache::Weighter;

use crate::owned::own;
use crate::short_key::{ShortKey, allocation};
use crate::value::{Entry, Value};

/// A clean entry as the engine reads and writes it: the key's value as the
/// store holds it (`None`: the store is known not to have the key), and
/// the version of the write the store acknowledged for it when a flush put
/// it here (0 when unknown: versions start at 1).
#[derive(Clone, Debug)]
pub(crate) struct Clean {
    pub entry: Option<Entry>,
    stored: u64,
}

impl Clean {
    /// A value a flush of the write at `version` left in the store.
    pub(crate) fn flushed(entry: Option<Entry>, version: u64) -> Self {
        Clean { entry, stored: version }
    }

    /// A value loaded from the store, whose version a load does not tell.
    pub(crate) fn loaded(entry: Option<Entry>) -> Self {
        Clean { entry, stored: 0 }
    }

    /// The version of the write the store acknowledged, if a flush put the
    /// entry here.
    pub(crate) fn stored(&self) -> Option<u64> {
        (self.stored != 0).then_some(self.stored)
    }
}

/// Clean entries by key, bounded by their [`CleanWeight`].
#[derive(Debug)]
pub(crate) struct CleanCache {
    cache: quick_cache::sync::Cache<ShortKey, Stored, CleanWeight>,
}

/// The clean cache, sized in bytes. Half of it is kept for entries seen
/// once (quick_cache's default keeps 3 %): what a write-behind cache holds
/// clean was mostly just written, and is read again soon after (read your
/// writes), so recency matters more here than in a read cache, where the
/// default guards against a scan flushing out the hot set.
pub(crate) fn clean_cache(items: usize, bytes: u64) -> CleanCache {
    let options = quick_cache::OptionsBuilder::new()
        .estimated_items_capacity(items)
        .weight_capacity(bytes)
        .hot_allocation(0.5)
        .build()
        .expect("the clean cache's options are valid");
    let cache = quick_cache::sync::Cache::with_options(
        options,
        CleanWeight,
        Default::default(),
        Default::default(),
    );
    CleanCache { cache }
}

impl CleanCache {
    /// The key's clean entry, counted as a hit for the eviction policy.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Clean> {
        self.cache.get(key).map(Stored::into_clean)
    }

    /// Makes `clean` the key's entry; the key's bytes are copied.
    pub(crate) fn insert(&self, key: &[u8], clean: Clean) {
        self.cache.insert(ShortKey::new(key), Stored::new(clean));
    }

    pub(crate) fn remove(&self, key: &[u8]) {
        self.cache.remove(key);
    }

    /// Bytes the entries account for.
    pub(crate) fn weight(&self) -> u64 {
        self.cache.weight()
    }

    /// Bounds the entries to `bytes`, evicting what is over.
    pub(crate) fn set_capacity(&self, bytes: u64) {
        self.cache.set_capacity(bytes);
    }

    /// Reads the key's clean entry without counting it as a hit.
    pub(crate) fn peek<T>(&self, key: &[u8], read: impl FnOnce(&Clean) -> T) -> Option<T> {
        let mut seen = None;
        // `remove_if` with a predicate that never removes is the cache's one
        // way to look at a value under its lock without cloning it.
        self.cache.remove_if(key, |s| {
            seen = Some(read(&s.to_clean()));
            false
        });
        seen
    }
}

/// The first byte of a packed entry: the value's kind tag (0 for absent)
/// in the low bits, and which of the two versions follow.
const HAS_STORED: u8 = 0x40;
const HAS_EXPIRY: u8 = 0x80;
const TAG: u8 = 0x3f;

/// A clean entry as the cache keeps it. Packed: one allocation holding a
/// flag byte, the acknowledged version and the expiry if there are any
/// (8 bytes each, little-endian), then the value as its kind packs it
/// (`Value::pack`); a 64-byte string takes 73 bytes. A value its kind does
/// not pack (a large one, a scored map) is kept as it is, shared.
#[derive(Clone, Debug)]
pub(crate) enum Stored {
    Packed(Box<[u8]>),
    Shared(Arc<Clean>),
}

impl Stored {
    fn new(clean: Clean) -> Self {
        let mut out = Vec::with_capacity(17 + clean.entry.as_ref().map_or(0, Entry::weight));
        let expiry = clean.entry.as_ref().and_then(|e| e.expires_at);
        out.push(
            if clean.stored != 0 { HAS_STORED } else { 0 }
                | if expiry.is_some() { HAS_EXPIRY } else { 0 },
        );
        if clean.stored != 0 {
            out.extend_from_slice(&clean.stored.to_le_bytes());
        }
        if let Some(at) = expiry {
            out.extend_from_slice(&at.to_le_bytes());
        }
        match &clean.entry {
            None => {}
            Some(e) => match e.value.pack(&mut out) {
                Some(tag) => out[0] |= tag,
                None => return Stored::Shared(Arc::new(Clean::shared(clean))),
            },
        }
        Stored::Packed(out.into_boxed_slice())
    }

    /// The entry, its value's bytes slices of the packed copy that the
    /// cache's `get` handed out.
    fn into_clean(self) -> Clean {
        match self {
            Stored::Packed(b) => unpack(Bytes::from(b)),
            Stored::Shared(c) => Arc::unwrap_or_clone(c),
        }
    }

    /// The entry, copied out of the cache's slot.
    fn to_clean(&self) -> Clean {
        match self {
            Stored::Packed(b) => unpack(Bytes::copy_from_slice(b)),
            Stored::Shared(c) => Clean::clone(c),
        }
    }

    /// Bytes the entry holds beyond the slot.
    fn allocated(&self) -> usize {
        match self {
            Stored::Packed(b) => allocation(b.len()),
            // The `Arc`'s counts and the entry, and what the value counts.
            Stored::Shared(c) => {
                allocation(16 + size_of::<Clean>()) + c.entry.as_ref().map_or(0, Entry::weight)
            }
        }
    }
}

impl Clean {
    /// The entry with a blob in an allocation of its own, as a shared entry
    /// keeps it: a flushed op's bytes were shared with the log record and
    /// the store's batch, and a shared `Bytes` keeps a header allocation
    /// beside its buffer for as long as it lives.
    fn shared(self) -> Self {
        let entry = self.entry.map(|e| match e.value {
            Value::Blob(b) => Entry { value: Value::Blob(own(&b)), ..e },
            _ => e,
        });
        Clean { entry, ..self }
    }
}

/// What [`Stored::new`] packed. A payload that does not read back (it
/// cannot happen: the cache packed it) is an absent entry of unknown
/// version, which only costs a store read.
fn unpack(mut b: Bytes) -> Clean {
    let flags = b.get_u8();
    let mut word = |present: bool| (present && b.len() >= 8).then(|| b.get_u64_le());
    let stored = word(flags & HAS_STORED != 0).unwrap_or(0);
    let expires_at = word(flags & HAS_EXPIRY != 0);
    let entry = match flags & TAG {
        0 => None,
        tag => match Value::unpack(tag, b) {
            Some(value) => Some(Entry { value, expires_at }),
            None => return Clean::loaded(None),
        },
    };
    Clean { entry, stored }
}

/// Bytes an entry costs beyond what it allocates: its slot in the cache
/// (the slab entry holding the key and [`Stored`] with the policy's links
/// and state, the slab grown by doubling, and the index's bucket), measured
/// with every key resident (`docs/BENCHMARKS.md`).
const SLOT: usize = 96;

#[derive(Clone, Copy, Debug)]
pub(crate) struct CleanWeight;

impl Weighter<ShortKey, Stored> for CleanWeight {
    fn weight(&self, key: &ShortKey, value: &Stored) -> u64 {
        (SLOT + key.allocated() + value.allocated()) as u64
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::score_map::ScoreMap;

    fn round_trip(clean: Clean) -> Clean {
        let stored = Stored::new(clean);
        let copied = stored.to_clean();
        let taken = stored.into_clean();
        assert_eq!((copied.entry.clone(), copied.stored), (taken.entry.clone(), taken.stored));
        taken
    }

    #[test]
    fn every_kind_of_entry_reads_back_as_it_was_put() {
        let hash = |n: usize, len: usize| {
            Value::Hash(Arc::new(
                (0..n)
                    .map(|i| (Bytes::from(format!("f{i}")), Bytes::from(vec![b'v'; len])))
                    .collect::<BTreeMap<_, _>>(),
            ))
        };
        let scores = Value::Scores(Arc::new(ScoreMap::default()));
        let set = |n: usize, len: usize| {
            Value::Set(Arc::new((0..n).map(|i| Bytes::from(format!("{i:0len$}"))).collect()))
        };
        let values = [
            Value::from("a"),
            Value::from(""),
            Value::from(vec![7u8; 1024]),
            Value::from(vec![7u8; 1025]),
            hash(10, 16),
            hash(128, 64),
            hash(129, 1),
            hash(2, 65),
            scores,
            set(1, 0),
            set(128, 64),
            set(129, 3),
            set(2, 65),
        ];
        for value in values {
            for (expires_at, stored) in [(None, 0), (Some(17), 0), (None, 5), (Some(u64::MAX), 9)] {
                let entry = Entry { value: value.clone(), expires_at };
                let back = round_trip(Clean { entry: Some(entry.clone()), stored });
                assert_eq!((back.entry, back.stored), (Some(entry), stored));
            }
        }
        let back = round_trip(Clean::flushed(None, 3));
        assert_eq!((back.stored(), back.entry), (Some(3), None));
        assert_eq!(round_trip(Clean::loaded(None)).stored(), None);
    }

    #[test]
    fn a_small_entry_is_one_allocation() {
        let clean = Clean::flushed(Some(Entry::new(Value::from(vec![1u8; 64]))), u64::MAX);
        let Stored::Packed(b) = Stored::new(clean) else { panic!("not packed") };
        assert_eq!(b.len(), 73);
        assert_eq!(size_of::<Stored>(), 16);
    }

    #[test]
    fn the_cache_is_looked_up_by_the_key_bytes() {
        let cache = clean_cache(16, 1 << 20);
        let long = vec![b'k'; 40];
        cache.insert(b"short", Clean::loaded(Some(Entry::new(Value::from("s")))));
        cache.insert(&long, Clean::flushed(Some(Entry::new(Value::from("l"))), 2));
        assert_eq!(cache.get(b"short").unwrap().entry, Some(Entry::new(Value::from("s"))));
        assert_eq!(cache.peek(&long, Clean::stored), Some(Some(2)));
        cache.remove(&long);
        assert!(cache.get(&long).is_none() && cache.get(b"other").is_none());
        assert_eq!(cache.weight(), (SLOT + 8) as u64, "one entry: its slot and 2 bytes");
    }
}
