//! Listing keys ([`Cache::keys`](crate::Cache::keys)): the store's keys page
//! by page with the buffer's pending writes laid over them, so that new keys
//! are listed at once and deleted or expired ones are not, and a key that
//! moves from the buffer to the store during a listing is not missed.

use bytes::Bytes;

use crate::clock::unix_millis;
use crate::engine::Inner;
use crate::error::Result;
use crate::store::Store;

/// One page of a listing.
struct Page {
    /// The live keys found, at most the limit.
    live: Vec<Bytes>,
    /// The store page's last key, if the store may hold more past it.
    store_upper: Option<Bytes>,
}

/// Up to `limit` live keys greater than `after`, in ascending byte order;
/// empty when there are no more (see [`Cache::keys`](crate::Cache::keys)).
pub(crate) async fn keys<S: Store>(
    inner: &Inner<S>,
    after: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<Bytes>> {
    let mut after = after.map(Bytes::copy_from_slice);
    loop {
        let Page { live, store_upper } = page(inner, after.as_deref(), limit).await?;
        match store_upper {
            // Every key of a full store page was deleted or expired in
            // the buffer: an empty answer would end the listing early.
            Some(upper) if live.is_empty() => after = Some(upper),
            _ => return Ok(live),
        }
    }
}

/// One page of a listing: up to `limit` live keys, and the store page's
/// last key if the store may hold more.
async fn page<S: Store>(inner: &Inner<S>, after: Option<&[u8]>, limit: usize) -> Result<Page> {
    let limit = limit.max(1);
    let now = unix_millis();
    let departures = inner.buffer.departures();
    let stored = inner.guarded(inner.store.keys(after, limit, now)).await?;
    // The store's page ends at its last key; pending keys past it belong
    // to a later page, unless the store has no more.
    let mut upper = last_of_full(&stored, limit);
    let mut candidates = inner.buffer.keys_in(after, upper.as_deref());
    candidates.extend(stored);
    // A key pending when the store listed, stored and gone from the
    // buffer before the buffer was read, is in neither look: if any key
    // left the buffer meanwhile, list the store again. A key still in
    // the buffer when it was read is a candidate already; one that was
    // not is in the store by then, and stays there while it lives.
    if inner.buffer.departures() != departures {
        let again = inner.store.keys(after, limit, now).await?;
        // Candidates go only as far as both listings are complete.
        if let Some(last) = last_of_full(&again, limit)
            && upper.as_ref().is_none_or(|u| last < *u)
        {
            upper = Some(last);
        }
        candidates.extend(again);
        if let Some(upper) = &upper {
            candidates.retain(|k| k <= upper);
        }
    }
    let mut live = Vec::with_capacity(candidates.len().min(limit));
    for key in candidates {
        if live.len() >= limit {
            break;
        }
        if inner.live_entry(&key).await?.is_some() {
            live.push(key);
        }
    }
    Ok(Page { live, store_upper: upper })
}

/// The last key of a store listing that filled its `limit` (the store may
/// hold more past it), or `None` if the listing reached the end.
fn last_of_full(listed: &[Bytes], limit: usize) -> Option<Bytes> {
    (listed.len() >= limit).then(|| listed.last().cloned()).flatten()
}
