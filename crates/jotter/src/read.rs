//! The read path: a key's current value from the write buffer (its kept
//! view, or the clean copy with its pending ops applied), else the clean
//! cache, else one load from the store, however many readers miss at once
//! (single flight); and reads of the store run through the outage circuit.
//!
//! Every read runs under the key's shard lock, so it sees every write
//! accepted before it (read your writes). Nothing here awaits while
//! holding a lock.

use bytes::Bytes;

use crate::clean::Clean;
use crate::clock::unix_millis;
use crate::engine::Inner;
use crate::error::Result;
use crate::queue::Queue;
use crate::shard::Shard;
use crate::store::{Store, StoreError};
use crate::value::Entry;
use crate::view::Written;

impl<S: Store> Inner<S> {
    /// The key's current value as the buffer and the clean cache know it,
    /// or `None` if the store must be asked. `loaded` stands in for the
    /// clean cache with a value just loaded.
    pub(crate) fn view(
        &self,
        shard: &Shard,
        key: &Bytes,
        loaded: Option<Option<Entry>>,
    ) -> Option<Option<Entry>> {
        let ops = shard.queue(key);
        if let Some(kept) = ops.and_then(Queue::kept) {
            return Some(kept.clone());
        }
        // Ops before the last whole one do not matter to the value.
        let start = ops.and_then(|ops| {
            ops.iter().enumerate().filter(|(_, p)| p.op.is_whole()).last().map(|(i, _)| i)
        });
        let mut value = match (start, loaded) {
            (Some(_), _) => None,
            (None, Some(base)) => base,
            (None, None) => self.clean().get(key)?.entry,
        };
        for pending in ops.into_iter().flat_map(|q| q.iter()).skip(start.unwrap_or(0)) {
            value = pending.op.apply(value);
        }
        Some(value)
    }

    /// The key's current entry, as [`view`](Inner::view), but moved out of
    /// the key's queue where it is kept: the caller changes it in place (no
    /// copy of a large map) and gives it back with [`put_view`](Inner::put_view).
    pub(crate) fn take_view(
        &self,
        shard: &mut Shard,
        key: &Bytes,
        loaded: Option<Option<Entry>>,
    ) -> Option<Option<Entry>> {
        if let Some(kept) = shard.take_kept(key) {
            return Some(kept);
        }
        self.view(shard, key, loaded)
    }

    /// Keeps `entry` as the key's current entry, if the key has ops pending
    /// (otherwise the clean cache is where it belongs, and has it), counting
    /// it in the pending bound. `written`: the field write that produced it
    /// from the kept entry, if that is how it came about.
    pub(crate) fn put_view(
        &self,
        shard: &mut Shard,
        key: &Bytes,
        entry: Option<Entry>,
        written: Option<Written>,
    ) {
        if let Some(delta) = shard.keep_view(key, entry, written) {
            self.settle_view(delta);
        }
    }

    /// Forgets the key's kept entry, and gives back what it counted.
    pub(crate) fn forget_view(&self, shard: &mut Shard, key: &Bytes) {
        if let Some(dropped) = shard.drop_view(key) {
            self.settle_view(dropped.delta);
        }
    }

    /// Runs `f` on the key's current value under its shard lock, loading
    /// the value from the store first if it is not resident. However many
    /// callers miss on one key at once, the store sees one load. With
    /// `take`, the kept entry is moved to `f` (see [`take_view`](Inner::take_view)).
    pub(crate) async fn with_view<R>(
        &self,
        key: &Bytes,
        take: bool,
        mut f: impl FnMut(&mut Shard, usize, Option<Entry>) -> R,
    ) -> Result<R> {
        let s = self.buffer().shard_of(key);
        let view = |shard: &mut Shard, loaded| {
            if take { self.take_view(shard, key, loaded) } else { self.view(shard, key, loaded) }
        };
        loop {
            let slot = {
                let mut shard = self.buffer().lock(s);
                match view(&mut shard, None) {
                    Some(value) => return Ok(f(&mut shard, s, value)),
                    // What a load would find, without the load's slot and
                    // boxed await.
                    None if self.never_stored(key) => {
                        self.clean().insert(key, Clean::loaded(None));
                        let value = view(&mut shard, Some(None));
                        return Ok(f(&mut shard, s, value.flatten()));
                    }
                    None => shard.load_slot(key),
                }
            };
            // Boxed: the load is the cold path, and a future holding it in
            // place would be as large as the store's read, moved whole at
            // every await of every write that finds its key resident.
            let loaded = Box::pin(slot.cell.get_or_try_init(|| self.load_from_store(key))).await;
            let mut shard = self.buffer().lock(s);
            shard.finish_load(key, &slot);
            let loaded = loaded?.clone();
            // A flush of this key since the load began may have stored
            // something newer than what was loaded: then load again.
            if !slot.is_stale() {
                self.clean().insert(key, Clean::loaded(loaded.clone()));
                let value = view(&mut shard, Some(loaded));
                return Ok(f(&mut shard, s, value.flatten()));
            }
        }
    }

    /// The key's entry, as a read finds it: the newest accepted write,
    /// loaded from the store on a miss; an expired key is absent.
    pub(crate) async fn live_entry(&self, key: &Bytes) -> Result<Option<Entry>> {
        let entry = self.with_view(key, false, |_, _, entry| entry).await?;
        Ok(entry.filter(|e| e.expires_at.is_none() || !e.is_expired(unix_millis())))
    }

    /// Runs a read of the store through the circuit: refused at once while
    /// the store is unavailable, and opening the circuit if it finds the
    /// store unavailable.
    pub(crate) async fn guarded<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        if let Some(refused) = self.health().refusal() {
            return Err(refused);
        }
        let result = call.await;
        if let Err(e) = &result
            && e.is_unavailable()
        {
            self.health().trip(e, self.bound().used().entries);
        }
        result
    }

    /// Whether the known-keys filter says the store cannot hold `key`.
    /// Every accepted write marks the filter under its key's shard lock, so
    /// a caller holding that lock may take the answer as the key's stored
    /// value (none) without a load.
    pub(crate) fn never_stored(&self, key: &[u8]) -> bool {
        self.known().is_some_and(|k| !k.may_contain(key))
    }

    /// Reads a key from the store, unless the known-keys filter says the
    /// store cannot hold it.
    pub(crate) async fn load_from_store(
        &self,
        key: &Bytes,
    ) -> std::result::Result<Option<Entry>, crate::store::StoreError> {
        if self.never_stored(key) {
            return Ok(None);
        }
        self.counters().loaded();
        self.guarded(self.store().load(key)).await
    }

    /// [`load_from_store`](Inner::load_from_store) for several keys, in one
    /// store call for those the known-keys filter cannot rule out.
    pub(crate) async fn load_many_from_store(
        &self,
        keys: &[Bytes],
    ) -> std::result::Result<Vec<Option<Entry>>, crate::store::StoreError> {
        let ask: Vec<usize> = (0..keys.len()).filter(|&i| !self.never_stored(&keys[i])).collect();
        let mut entries = vec![None; keys.len()];
        if ask.is_empty() {
            return Ok(entries);
        }
        let asked: Vec<Bytes> = ask.iter().map(|&i| keys[i].clone()).collect();
        for _ in &asked {
            self.counters().loaded();
        }
        let found = self.guarded(self.store().load_many(&asked)).await?;
        for (i, entry) in ask.into_iter().zip(found) {
            entries[i] = entry;
        }
        Ok(entries)
    }
}
