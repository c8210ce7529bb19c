//! The active half of expiry: deleting keys whose time has passed that no
//! command touches, a round at a time ([`Cache::delete_expired`](crate::Cache::delete_expired)),
//! and telling the key hook of each (`key_hook.rs`).

use std::sync::Arc;

use crate::clock::unix_millis;
use crate::engine::Inner;
use crate::error::Result;
use crate::key_hook::KeyEvent;
use crate::store::Store;
use crate::transaction;

/// Deletes up to `limit` expired keys, as the store lists them; returns
/// how many.
pub(crate) async fn delete_expired<S: Store>(inner: &Arc<Inner<S>>, limit: usize) -> Result<usize> {
    let after = inner.sweep_after();
    let expired =
        inner.guarded(inner.store().expired(unix_millis(), after.as_deref(), limit)).await?;
    // The next round carries on after this one, so keys that cannot go
    // yet (a newer write is pending) do not hide the rest; a short round
    // means the end was reached, and the next starts over.
    inner.set_sweep_after(if expired.len() < limit { None } else { expired.last().cloned() });
    let mut deleted = 0;
    for key in expired {
        // Through a transaction: it deletes only if the key is still
        // expired (a newer write may have given it a new life).
        let (_, tickets) =
            transaction::transact(inner, std::slice::from_ref(&key), |_| Ok(())).await?;
        if !tickets.is_empty() {
            deleted += 1;
            inner.on_key_event.call(KeyEvent::Expired, &key);
        }
    }
    Ok(deleted)
}
