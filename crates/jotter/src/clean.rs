//! The clean cache: values the store already holds, bounded in bytes and
//! evictable at will (the write buffer, not this cache, holds what is not
//! yet stored).

use bytes::Bytes;
use quick_cache::Weighter;

use crate::value::Entry;

/// Clean entries: values the store already holds, or `None` for a key the
/// store is known not to have. Evictable at will; the write buffer, not
/// this cache, holds what is not yet stored.
pub(crate) type CleanCache = quick_cache::sync::Cache<Bytes, Option<Entry>, CleanWeight>;

/// Bytes a clean entry accounts for beyond its key and value: what the
/// process holds for it, measured (RSS of the server after 190,000 misses
/// cached as absent, 16-byte keys: 149 bytes each, 133 beyond the key: the
/// cache's slot and index, the key's copy and its shared header), plus
/// for a value its allocation's header and rounding and its shared header.
const CLEAN_OVERHEAD: u64 = 176;

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

impl Weighter<Bytes, Option<Entry>> for CleanWeight {
    fn weight(&self, key: &Bytes, value: &Option<Entry>) -> u64 {
        (key.len() + value.as_ref().map_or(0, Entry::weight)) as u64 + CLEAN_OVERHEAD
    }
}
