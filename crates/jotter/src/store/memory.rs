//! An in-memory [`Store`] that follows the conditional-write rules to the
//! letter: the reference the SQL stores are tested against, and the store
//! for examples and tests, with fault injection through [`Faults`]. Its
//! bookkeeping (resets, field tombstones, expiry records) is collected
//! below a horizon as the SQLite store's rows are ([`Store::collect`]).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use parking_lot::Mutex;

use super::{Change, Faults, Listing, Page, Store, StoreError, Write};
use crate::value::{Entry, FieldValue, Value};

/// An in-memory store. Clones share the same data, so a test can keep one
/// clone to look inside while the cache owns the other.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    keys: Mutex<BTreeMap<Bytes, KeyState>>,
    faults: Faults,
    loads: AtomicU64,
    batches: AtomicU64,
    rows_written: AtomicU64,
}

/// Everything the store keeps for one key, live or deleted.
#[derive(Debug, Default, Clone)]
struct KeyState {
    /// The version at which the key was last replaced or deleted; nothing
    /// older may take effect.
    reset: u64,
    blob: Option<Bytes>,
    fields: BTreeMap<Bytes, (FieldValue, u64)>,
    field_tombstones: BTreeMap<Bytes, u64>,
    /// The key's expiry and the version of the write that set it; `None`
    /// once a reset forgot it.
    expiry: Option<(Option<u64>, u64)>,
}

impl KeyState {
    /// Applies a reset at `v`; false if the key already holds something as
    /// new or newer.
    fn reset_at(&mut self, v: u64) -> bool {
        if v <= self.reset {
            return false;
        }
        self.reset = v;
        self.blob = None;
        self.expiry = self.expiry.filter(|(_, ev)| *ev > v);
        self.fields.retain(|_, (_, fv)| *fv > v);
        self.field_tombstones.retain(|_, tv| *tv > v);
        true
    }

    fn apply(&mut self, w: &Write) {
        match &w.change {
            Change::Put(b) => {
                if self.reset_at(w.version) {
                    self.blob = Some(b.clone());
                    if self.expiry.is_none() {
                        self.expiry = Some((w.expires_at, w.version));
                    }
                }
            }
            Change::Delete => {
                self.reset_at(w.version);
            }
            Change::Patch { reset, fields, .. } => {
                if let Some(r) = reset {
                    self.reset_at(*r);
                }
                if w.version >= self.reset && self.expiry.is_none_or(|(_, ev)| w.version > ev) {
                    self.expiry = Some((w.expires_at, w.version));
                }
                for fc in fields {
                    let tomb = self.field_tombstones.get(&fc.field).copied().unwrap_or(0);
                    let cur = self.fields.get(&fc.field).map_or(0, |(_, v)| *v);
                    if fc.version < self.reset || fc.version <= tomb || fc.version <= cur {
                        continue;
                    }
                    match &fc.value {
                        Some(v) => {
                            self.field_tombstones.remove(&fc.field);
                            self.fields.insert(fc.field.clone(), (v.clone(), fc.version));
                        }
                        None => {
                            self.fields.remove(&fc.field);
                            self.field_tombstones.insert(fc.field.clone(), fc.version);
                        }
                    }
                }
            }
        }
    }

    /// Drops what only keeps the rules below `horizon`, as the SQLite store
    /// does (see [`Store::collect`]): the reset, unless a live blob holds
    /// it as its own version (SQLite keeps that in the blob's row), field
    /// tombstones, and an expiry record that says "never" or belongs to a
    /// map with no fields left. Returns how many records went.
    fn collect(&mut self, horizon: u64) -> u64 {
        let mut dropped = 0;
        if self.blob.is_none() && self.reset != 0 && self.reset < horizon {
            self.reset = 0;
            dropped += 1;
        }
        let tombstones = self.field_tombstones.len();
        self.field_tombstones.retain(|_, v| *v >= horizon);
        dropped += (tombstones - self.field_tombstones.len()) as u64;
        if self.blob.is_none()
            && let Some((at, v)) = self.expiry
            && v < horizon
            && (at.is_none() || self.fields.is_empty())
        {
            self.expiry = None;
            dropped += 1;
        }
        dropped
    }

    /// True if nothing at all is kept for the key.
    fn is_empty(&self) -> bool {
        self.reset == 0
            && self.blob.is_none()
            && self.fields.is_empty()
            && self.field_tombstones.is_empty()
            && self.expiry.is_none()
    }

    fn entry(&self) -> Option<Entry> {
        self.live().map(|value| Entry { value, expires_at: self.expires_at() })
    }

    fn expires_at(&self) -> Option<u64> {
        self.expiry.and_then(|(at, _)| at)
    }

    fn live(&self) -> Option<Value> {
        if let Some(b) = &self.blob {
            return Some(Value::Blob(b.clone()));
        }
        let (_, (first, _)) = self.fields.iter().next()?;
        let mut value = Value::empty_map(first.kind());
        for (f, (v, _)) in &self.fields {
            value.apply_field(f, Some(v));
        }
        Some(value)
    }

    fn max_version(&self) -> u64 {
        let fields = self.fields.values().map(|(_, v)| *v);
        let tombs = self.field_tombstones.values().copied();
        fields.chain(tombs).fold(self.reset, u64::max)
    }
}

impl MemoryStore {
    /// An empty store with no faults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The fault-injection handle of this store.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// Every live key and its value, as a plain `SELECT` would see them.
    #[must_use]
    pub fn snapshot(&self) -> BTreeMap<Bytes, Value> {
        let keys = self.inner.keys.lock();
        keys.iter().filter_map(|(k, s)| s.live().map(|v| (k.clone(), v))).collect()
    }

    /// Every live key's expiry (Unix milliseconds), for keys that have one.
    #[must_use]
    pub fn expiries(&self) -> BTreeMap<Bytes, u64> {
        let keys = self.inner.keys.lock();
        keys.iter()
            .filter(|(_, s)| s.live().is_some())
            .filter_map(|(k, s)| s.expires_at().map(|at| (k.clone(), at)))
            .collect()
    }

    /// How many loads the store has served (failed ones included).
    #[must_use]
    pub fn loads(&self) -> u64 {
        self.inner.loads.load(Ordering::SeqCst)
    }

    /// How many batches the store has applied.
    #[must_use]
    pub fn batches(&self) -> u64 {
        self.inner.batches.load(Ordering::SeqCst)
    }

    /// How many key writes the store has applied (one per key per batch).
    #[must_use]
    pub fn rows_written(&self) -> u64 {
        self.inner.rows_written.load(Ordering::SeqCst)
    }

    fn apply_batch(&self, batch: &[Write]) {
        let mut keys = self.inner.keys.lock();
        for w in batch {
            keys.entry(w.key.clone()).or_default().apply(w);
        }
    }
}

impl Store for MemoryStore {
    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        let latency = self.inner.faults.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        self.inner.faults.check_write(batch)?;
        self.apply_batch(batch);
        self.inner.batches.fetch_add(1, Ordering::SeqCst);
        self.inner.rows_written.fetch_add(batch.len() as u64, Ordering::SeqCst);
        for old in self.inner.faults.redeliveries(batch) {
            self.apply_batch(&old);
        }
        Ok(())
    }

    async fn load(&self, key: &Bytes) -> Result<Option<Entry>, StoreError> {
        self.inner.loads.fetch_add(1, Ordering::SeqCst);
        let latency = self.inner.faults.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        self.inner.faults.check_load()?;
        Ok(self.inner.keys.lock().get(key).and_then(KeyState::entry))
    }

    async fn probe(&self) -> Result<(), StoreError> {
        self.inner.faults.probe()
    }

    async fn version_of(&self, key: &Bytes) -> Result<Option<u64>, StoreError> {
        self.inner.faults.check_load()?;
        Ok(self.inner.keys.lock().get(key).map(KeyState::max_version))
    }

    async fn max_version(&self) -> Result<u64, StoreError> {
        self.inner.faults.check_load()?;
        Ok(self.inner.keys.lock().values().map(KeyState::max_version).max().unwrap_or(0))
    }

    async fn collect(&self, horizon: u64) -> Result<u64, StoreError> {
        self.inner.faults.check_collect()?;
        let mut keys = self.inner.keys.lock();
        let mut dropped = 0;
        keys.retain(|_, state| {
            dropped += state.collect(horizon);
            !state.is_empty()
        });
        Ok(dropped)
    }

    async fn list(&self, page: Page<'_>) -> Result<Vec<Bytes>, StoreError> {
        self.inner.faults.check_load()?;
        let keys = self.inner.keys.lock();
        let start = page.after.map_or(Bound::Unbounded, Bound::Excluded);
        let now = page.now;
        let listed = |s: &KeyState| match page.listing {
            Listing::Live => s.expires_at().is_none_or(|at| at > now),
            Listing::Expired => s.expires_at().is_some_and(|at| at <= now),
        };
        Ok(keys
            .range::<[u8], _>((start, Bound::Unbounded))
            .filter(|(_, s)| s.live().is_some() && listed(s))
            .map(|(k, _)| k.clone())
            .take(page.limit)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FieldChange;
    use crate::value::MapKind;

    fn hset(key: &'static str, fields: &[(&'static str, u64, Option<&'static str>)]) -> Write {
        let fields: Vec<FieldChange> = fields
            .iter()
            .map(|&(f, version, value)| FieldChange {
                field: Bytes::from_static(f.as_bytes()),
                version,
                value: value.map(|v| FieldValue::Bytes(Bytes::from_static(v.as_bytes()))),
            })
            .collect();
        let version = fields.iter().map(|f| f.version).max().unwrap_or(0);
        Write::new(key, version, Change::Patch { kind: MapKind::Hash, reset: None, fields })
    }

    #[tokio::test]
    async fn collect_drops_bookkeeping_below_the_horizon_and_keeps_the_rest() {
        let store = MemoryStore::new();
        let blob = Write::new("blob", 2, Change::Put(Bytes::from_static(b"v")));
        let gone = Write::new("gone", 3, Change::Delete);
        let h = hset("h", &[("a", 4, Some("1")), ("b", 5, Some("2"))]);
        store.write(&[blob, gone, h]).await.unwrap();
        store.write(&[hset("h", &[("a", 6, None), ("b", 20, None)])]).await.unwrap();
        store.write(&[Write::new("late", 30, Change::Delete)]).await.unwrap();
        assert_eq!(store.inner.keys.lock().len(), 4);

        // Below 10: the reset of `gone` and the tombstone of `h.a` go;
        // `blob` keeps its version, and `h.b`'s tombstone, `h`'s expiry
        // record ("never", from the patch at 20) and `late`'s reset are newer.
        assert_eq!(store.collect(10).await.unwrap(), 2);
        {
            let keys = store.inner.keys.lock();
            assert!(!keys.contains_key(&b"gone"[..]), "nothing left of a deleted key");
            let h = &keys[&b"h"[..]];
            assert_eq!(h.field_tombstones.keys().collect::<Vec<_>>(), [&b"b"[..]]);
            assert_eq!(keys[&b"blob"[..]].reset, 2);
        }
        assert_eq!(store.max_version().await.unwrap(), 30);
        assert_eq!(store.snapshot().len(), 1, "only the blob is live");

        // What stays still blocks older writes.
        store.write(&[hset("h", &[("b", 15, Some("old"))])]).await.unwrap();
        store
            .write(&[Write::new("late", 25, Change::Put(Bytes::from_static(b"old")))])
            .await
            .unwrap();
        assert_eq!(store.snapshot().len(), 1);

        // Everything below 100: only the blob is left.
        store.collect(100).await.unwrap();
        assert_eq!(store.inner.keys.lock().keys().collect::<Vec<_>>(), [&b"blob"[..]]);
        assert_eq!(store.max_version().await.unwrap(), 2);

        store.faults().set_unavailable(true);
        assert!(store.collect(200).await.unwrap_err().is_unavailable());
    }
}
