//! Collecting the store's bookkeeping: the rows that exist only to keep the
//! contract (a deleted key's reset, a removed field's tombstone, the expiry
//! left behind by a map whose fields are gone, a mapped row's versions)
//! are dropped once no write can still need them, so that a workload of
//! deletes and expiries does not grow the store forever.
//!
//! # The horizon
//!
//! A tombstone at version `t` matters only to a write older than `t` that
//! reaches the store after it. Every write this engine can still send is
//! pending (queued or in flight) or dead-lettered (a replay sends it again
//! with its own version), so none is older than the oldest of those. The
//! *horizon* is that oldest version, or the newest version handed out if
//! nothing is held, less the configured retention of version time
//! (versions are wall-clock microseconds shifted by
//! [`LOGICAL_BITS`](crate::clock::LOGICAL_BITS)): the retention covers a
//! writer the engine cannot see, another instance sharing the store or a
//! batch the network delivers twice. Every `interval`, [`run`] hands the
//! horizon to [`Store::collect`], which drops bookkeeping rows older than
//! it; a write older than the horizon would be the only one to tell.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::LOGICAL_BITS;
use crate::engine::Inner;
use crate::loggable::LogText;
use crate::store::Store;

/// The horizon: below the oldest version held, by `retention`.
pub(crate) fn horizon(held: Option<u64>, newest: u64, retention: Duration) -> u64 {
    let back = u64::try_from(retention.as_micros()).unwrap_or(u64::MAX) << LOGICAL_BITS;
    held.unwrap_or(newest).min(newest).saturating_sub(back)
}

impl<S: Store> Inner<S> {
    /// The oldest version of a write this engine may still send the store.
    pub(crate) fn oldest_held(&self) -> Option<u64> {
        let pending = (0..self.buffer.shard_count())
            .filter_map(|s| {
                let shard = self.buffer.lock(s);
                shard.oldest_first_version()
            })
            .min();
        pending.into_iter().chain(self.progress.dead.oldest_version()).min()
    }

    /// Asks the store to drop what is older than the horizon now.
    pub(crate) async fn collect_once(&self) -> Result<u64, crate::StoreError> {
        // The newest version is read before the scan: a write accepted
        // after it is newer than anything the scan could miss.
        let newest = self.clock.last();
        let h = horizon(self.oldest_held(), newest, self.config.retention);
        self.store.collect(h).await
    }
}

/// Collects every `collect_interval` until the cache stops.
pub(crate) async fn run<S: Store>(inner: Arc<Inner<S>>) {
    let interval = inner.config.collect_interval;
    if interval.is_zero() {
        return;
    }
    loop {
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = inner.cancel.cancelled() => return,
        }
        match inner.collect_once().await {
            Ok(0) => {}
            Ok(rows) => tracing::debug!(rows, "collected bookkeeping rows below the horizon"),
            Err(e) => {
                tracing::debug!(error = %LogText(e.message()), "bookkeeping collection skipped a round");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_horizon_is_the_oldest_held_version_less_the_retention() {
        let second = 1_000_000 << LOGICAL_BITS;
        let newest = 100 * second;
        let r = Duration::from_secs(10);
        assert_eq!(horizon(None, newest, r), 90 * second);
        assert_eq!(horizon(Some(50 * second), newest, r), 40 * second);
        assert_eq!(horizon(Some(5 * second), newest, r), 0);
        assert_eq!(horizon(Some(200 * second), newest, Duration::ZERO), newest);
    }
}
