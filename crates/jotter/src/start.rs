//! Starting a cache: the log and the dead letters opened, the version
//! clock set above everything the store (or, while it is down, the log)
//! has seen, the log replayed into the buffer, and the background tasks
//! (flush workers, clock, prober, collector) started.

use std::sync::Arc;

use bytes::Bytes;

use crate::cache::Cache;
use crate::clock::{WallClock, system_micros};
use crate::collect;
use crate::config::{CacheBuilder, Config};
use crate::dead_letter::DeadLetters;
use crate::engine::Inner;
use crate::error::{Error, Result};
use crate::flusher;
use crate::known_keys::{KnownKeys, key_hash};
use crate::log::{self, Log};
use crate::store::{Store, StoreError};

impl<S: Store> CacheBuilder<S> {
    /// Checks the settings, reads the store's highest version (so versions
    /// stay monotonic across restarts) and starts the flush workers.
    ///
    /// Must be called inside a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming a bad setting, or [`Error::Store`] if the
    /// store cannot be read.
    pub async fn build(self) -> Result<Cache<S>> {
        self.validate()?;
        start_with_clock(self.store, self.config, system_micros).await
    }
}

/// Starts a cache whose version clock reads `wall`.
pub(crate) async fn start_with_clock<S: Store>(
    store: S,
    config: Config,
    wall: WallClock,
) -> Result<Cache<S>> {
    let (log, recovery, dead) = match &config.log {
        Some(log_config) => {
            let crate::log::Opened { log, recovery } = Log::open(log_config)?;
            // In the data directory, not in the store, which may be the
            // very thing that refused them.
            let path = log_config.data.dead_letter_file();
            let dead =
                DeadLetters::open(&path).map_err(|e| Error::recovery_from(e.to_string(), e))?;
            (Some(log), Some(recovery), dead)
        }
        None => (None, None, DeadLetters::in_memory()),
    };
    let mut down_at_start = None;
    let floor = match store.max_version().await {
        Ok(floor) => floor,
        // With a log, the cache can start while the store is down: the
        // clock's last saved reading (plus a margin) and the
        // replayed versions keep new versions above the old ones.
        Err(e) if e.is_transient() && config.log.is_some() => {
            let saved = config.log.as_ref().and_then(log::read_clock).unwrap_or(0);
            down_at_start = Some(e);
            saved.saturating_add(log::CLOCK_MARGIN)
        }
        Err(e) => return Err(e.into()),
    };
    let workers = config.flush_workers;
    let known = if config.known_keys { Some(list_known_keys(&store).await?) } else { None };
    let inner = Arc::new(Inner::new(store, config, floor, wall, log, dead, known));
    if let Some(e) = down_at_start {
        // Open from the start: no batch is tried until a probe finds
        // the store, and that probe raises the clock above its versions.
        inner.health().trip(&StoreError::unavailable(e.message()), 0);
    }
    if let Some(recovery) = recovery {
        inner.buffer().reserve(usize::try_from(recovery.records()).unwrap_or(0));
        let mut replayed = 0u64;
        for item in recovery {
            for r in log::replayed(item)? {
                // A write that ended in the dead-letter queue before the
                // crash stays there; replaying it would only refuse it again.
                if inner.progress().dead.error_for(&r.key, r.version).is_some() {
                    continue;
                }
                inner.replay(r.key, r.version, r.op, r.lsn);
                replayed += 1;
            }
        }
        if replayed > 0 {
            let crate::bound::Used { entries, bytes } = inner.bound().used();
            tracing::info!(
                replayed,
                entries,
                bytes,
                "replayed the write-ahead log; flushing what the store lacks"
            );
        }
    }
    let mut tasks: Vec<_> =
        (0..workers).map(|w| tokio::spawn(flusher::run(inner.clone(), w))).collect();
    tasks.push(tokio::spawn(crate::group_flush::run(inner.clone())));
    tasks.push(tokio::spawn(inner.clone().tick_clock()));
    tasks.push(tokio::spawn(crate::probe::probe(inner.clone())));
    tasks.push(tokio::spawn(collect::run(inner.clone())));
    Ok(Cache::from_parts(inner, tasks))
}

/// A filter of every key `store` holds, listed once, page by page: the
/// keys' hashes are kept (8 bytes each) until the count sizes the filter.
async fn list_known_keys<S: Store>(store: &S) -> Result<KnownKeys> {
    const PAGE: usize = 10_000;
    let mut hashes = Vec::new();
    let mut after: Option<Bytes> = None;
    loop {
        // Expiry 0: expired keys are listed too; they are still in the store
        // until the sweep deletes them.
        let page = store.keys(after.as_deref(), PAGE, 0).await?;
        hashes.extend(page.iter().map(|k| key_hash(k)));
        if page.len() < PAGE {
            break;
        }
        after = page.last().cloned();
    }
    let known = KnownKeys::with_capacity(hashes.len() as u64);
    for hash in hashes {
        known.insert_hash(hash);
    }
    Ok(known)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::MemoryStore;
    use crate::value::Value;

    /// Versions restarting at zero (docs/DESIGN.md): after a restart whose wall clock went back (and with no log),
    /// new writes must still be versioned above what the store holds, or the
    /// store would refuse them as stale.
    #[tokio::test(start_paused = true)]
    async fn versions_stay_above_the_store_when_the_clock_goes_back() {
        let store = MemoryStore::new();
        let config = Cache::builder(store.clone()).config;
        let first =
            start_with_clock(store.clone(), config.clone(), || 1_000_000_000).await.unwrap();
        first.put("k", "new").await.unwrap();
        first.shutdown(Duration::from_secs(5)).await;

        let behind = start_with_clock(store.clone(), config, || 1).await.unwrap();
        behind.put("k", "newer").await.unwrap();
        behind.flush().await.unwrap();
        assert_eq!(store.snapshot()[&Bytes::from("k")], Value::from("newer"));
    }
}
