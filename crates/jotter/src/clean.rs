//! The clean cache: values the store already holds, bounded in bytes and
//! evictable at will (the write buffer, not this cache, holds what is not
//! yet stored). Beside each value, the version of the write that put it
//! there when the engine flushed that write itself: what `JOTTER.KEY`
//! reports as the version the store acknowledged.

use bytes::Bytes;
use quick_cache::Weighter;

use crate::owned::own;
use crate::value::{Entry, Value};

/// Clean entries: values the store already holds, or `None` for a key the
/// store is known not to have. Evictable at will; the write buffer, not
/// this cache, holds what is not yet stored.
pub(crate) type CleanCache = quick_cache::sync::Cache<Bytes, Clean, CleanWeight>;

/// A clean entry: the key's value as the store holds it, and the version
/// of the write the store acknowledged for it when a flush put it here.
/// Inline, and 0 rather than an `Option` (versions start at 1): knowing the
/// version costs 8 bytes per clean entry and no allocation.
#[derive(Clone, Debug)]
pub(crate) struct Clean {
    pub entry: Option<Entry>,
    stored: u64,
}

impl Clean {
    /// A value a flush of the write at `version` left in the store. A
    /// blob is copied into an allocation of its own: the flushed op's bytes
    /// were shared with the log record and the store's batch, and a shared
    /// `Bytes` keeps a header allocation beside its buffer for as long as it
    /// lives (32 bytes a clean entry, measured, for a copy of 64 bytes).
    pub(crate) fn flushed(entry: Option<Entry>, version: u64) -> Self {
        let entry = entry.map(|e| match e.value {
            Value::Blob(b) => Entry { value: Value::Blob(own(&b)), ..e },
            _ => e,
        });
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

/// Reads the key's clean entry in place: `read` sees it without the copy
/// that `get` makes (a whole map, for a large sorted set).
pub(crate) fn peek_clean<T>(
    clean: &CleanCache,
    key: &Bytes,
    read: impl FnOnce(&Clean) -> T,
) -> Option<T> {
    let mut seen = None;
    // `remove_if` with a predicate that never removes is the cache's one way
    // to look at a value under its lock without cloning it.
    clean.remove_if(key, |c| {
        seen = Some(read(c));
        false
    });
    seen
}

/// Bytes a clean entry accounts for beyond its key and value: what the
/// process holds for it, measured (RSS of the server after 190,000 misses
/// cached as absent, 16-byte keys: 149 bytes each, 133 beyond the key: the
/// cache's slot and index, the key's copy and its shared header), plus
/// for a value its allocation's header and rounding and its shared header,
/// plus 8 for the acknowledged version kept inline.
const CLEAN_OVERHEAD: u64 = 184;

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
    CleanCache::with_options(options, CleanWeight, Default::default(), Default::default())
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct CleanWeight;

impl Weighter<Bytes, Clean> for CleanWeight {
    fn weight(&self, key: &Bytes, value: &Clean) -> u64 {
        (key.len() + value.entry.as_ref().map_or(0, Entry::weight)) as u64 + CLEAN_OVERHEAD
    }
}
