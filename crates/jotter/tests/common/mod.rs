//! Test stores shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different part")]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use jotter::{Cache, CacheBuilder, FullPolicy, MemoryStore, Store, StoreError, Value, Write};
use parking_lot::Mutex;
use tokio::sync::Semaphore;

/// A [`MemoryStore`] that records every batch it was asked to write (failed
/// ones included) and can be paused: while paused, writes wait.
#[derive(Clone, Default)]
pub struct Recording {
    pub inner: MemoryStore,
    pub calls: Arc<Mutex<Vec<Vec<Write>>>>,
    /// The sizes of `load_many` calls.
    pub many_loads: Arc<Mutex<Vec<usize>>>,
    gate: Arc<Gate>,
}

#[derive(Default)]
struct Gate {
    paused: Mutex<Option<Arc<Semaphore>>>,
}

impl Recording {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every write wait until [`Recording::resume`].
    pub fn pause(&self) {
        *self.gate.paused.lock() = Some(Arc::new(Semaphore::new(0)));
    }

    pub fn resume(&self) {
        if let Some(s) = self.gate.paused.lock().take() {
            s.add_permits(Semaphore::MAX_PERMITS / 2);
        }
    }

    /// Every write of `key` the store was asked to apply, in order.
    pub fn writes_of(&self, key: &str) -> Vec<Write> {
        self.calls.lock().iter().flatten().filter(|w| w.key == key.as_bytes()).cloned().collect()
    }

    pub fn call_sizes(&self) -> Vec<usize> {
        self.calls.lock().iter().map(Vec::len).collect()
    }
}

impl Store for Recording {
    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        self.calls.lock().push(batch.to_vec());
        let gate = self.gate.paused.lock().clone();
        if let Some(sem) = gate {
            let _permit = sem.acquire().await;
        }
        self.inner.write(batch).await
    }

    async fn load(&self, key: &Bytes) -> Result<Option<jotter::Entry>, StoreError> {
        self.inner.load(key).await
    }

    async fn max_version(&self) -> Result<u64, StoreError> {
        self.inner.max_version().await
    }

    async fn version_of(&self, key: &Bytes) -> Result<Option<u64>, StoreError> {
        self.inner.version_of(key).await
    }

    async fn load_many(&self, keys: &[Bytes]) -> Result<Vec<Option<jotter::Entry>>, StoreError> {
        self.many_loads.lock().push(keys.len());
        self.inner.load_many(keys).await
    }
}

pub fn blob(s: &str) -> Value {
    Value::Blob(Bytes::copy_from_slice(s.as_bytes()))
}

/// A cache over a clone of `store` with every setting at its default but the
/// flush interval (an hour keeps writes pending for the whole test).
pub async fn cache_flushing_every<S: Store + Clone>(store: &S, interval: Duration) -> Cache<S> {
    cache_with(store, |b| b.flush_interval(interval)).await
}

/// A cache over a clone of `store` that holds at most `entries` pending
/// writes, answers a full buffer with `policy`, and flushes every
/// `interval`.
pub async fn bounded_cache<S: Store + Clone>(
    store: &S,
    entries: u64,
    policy: FullPolicy,
    interval: Duration,
) -> Cache<S> {
    cache_with(store, |b| {
        b.max_pending_entries(entries).full_policy(policy).flush_interval(interval)
    })
    .await
}

/// A cache over a clone of `store`, built with the settings `settings` makes.
pub async fn cache_with<S: Store + Clone>(
    store: &S,
    settings: impl FnOnce(CacheBuilder<S>) -> CacheBuilder<S>,
) -> Cache<S> {
    settings(Cache::builder(store.clone())).build().await.unwrap()
}
