//! [`Cache`], the handle a program holds: reads, writes, barriers,
//! shutdown, statistics and the dead-letter queue.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::task::JoinHandle;

use crate::clock::unix_millis;
use crate::config::CacheBuilder;
use crate::dead_letter::{DeadLetter, ReplayReport, Selection};
use crate::engine::Inner;
use crate::error::{Error, Result, Shape};
use crate::key_status::KeyStatus;
use crate::listing;
use crate::log::Durability;
use crate::op::Op;
use crate::shutdown::{self, ShutdownReport};
use crate::stats::Stats;
use crate::store::Store;
use crate::ticket::Ticket;
use crate::transaction::{self, Committed};
use crate::txn::{Slot, Txn, whole_op};
use crate::value::{Entry, FieldValue, MapKind, Value};
use crate::write::{self, Decided};

/// A write-behind cache in front of a [`Store`].
///
/// Writes return as soon as they are in memory; flush workers write them to
/// the store in batches. Reads see every accepted write at once. Dropping
/// the cache stops its workers without draining; call
/// [`shutdown`](Cache::shutdown) to drain first.
#[derive(Debug)]
pub struct Cache<S: Store> {
    inner: Arc<Inner<S>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// What [`Cache::modify`] does to a key, decided from its current value.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Write nothing.
    Keep,
    /// Replace the whole key. An empty map deletes it.
    Put(Value),
    /// Remove the key.
    Delete,
    /// Set (`Some`) or remove (`None`) single fields of a map of `kind`,
    /// creating the map if the key is absent.
    Fields {
        /// The map's kind; the key must hold this kind or nothing.
        kind: MapKind,
        /// The fields to change, each at most once.
        changes: Vec<(Bytes, Option<FieldValue>)>,
    },
}

impl<S: Store> Cache<S> {
    /// The handle of a started cache (see `start.rs`).
    pub(crate) fn from_parts(inner: Arc<Inner<S>>, tasks: Vec<JoinHandle<()>>) -> Self {
        Cache { inner, tasks: Mutex::new(tasks) }
    }

    /// A builder for a cache in front of `store`.
    pub fn builder(store: S) -> CacheBuilder<S> {
        CacheBuilder::new(store)
    }

    /// The key's value: the newest accepted write, whether or not it is in
    /// the store yet; loaded from the store on a miss.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] if the key is not resident and the store cannot be read.
    pub async fn get(&self, key: impl Into<Bytes>) -> Result<Option<Value>> {
        Ok(self.get_entry(key).await?.map(|e| e.value))
    }

    /// The key's value with its expiry, as [`get`](Cache::get) finds it; an
    /// expired key is absent.
    ///
    /// # Errors
    ///
    /// As [`get`](Cache::get).
    pub async fn get_entry(&self, key: impl Into<Bytes>) -> Result<Option<Entry>> {
        self.inner.live_entry(&key.into()).await
    }

    /// Reads and writes several keys as one atomic step: `f` runs with every
    /// key in `keys` locked and loaded, sees their current values through
    /// the [`Txn`], and its writes are accepted together (all or none) or
    /// not at all if it returns an error. A key's writes within one
    /// transaction fold into one write with one version.
    ///
    /// The writes of a transaction over several keys reach the store
    /// together, in one batch, once the older writes of those keys are
    /// stored (the workers leave them to the transaction's own flush).
    /// With a log, the writes of a transaction over several keys are one
    /// record, so a crash keeps all of them or none (replayed, they are
    /// then flushed key by key); a log that refuses the record refuses the
    /// whole transaction.
    ///
    /// `f` must be quick (it runs under the keys' locks) and may run more
    /// than once if the buffer has to make room first. Keys that expired
    /// read as absent and are deleted from the store behind.
    ///
    /// Returns `f`'s result and a ticket for each key written.
    ///
    /// # Errors
    ///
    /// What `f` returns; as [`get`](Cache::get) for the loads; when the
    /// buffer is full, as the [`FullPolicy`] says (a transaction over more
    /// than one key waits for room under the write-through policy rather
    /// than writing through); [`Error::TooLarge`] if its writes together
    /// exceed the byte bound.
    ///
    /// # Panics
    ///
    /// If `f` uses a key it did not declare.
    pub async fn transact<R>(
        &self,
        keys: &[Bytes],
        f: impl FnMut(&mut Txn<'_>) -> Result<R>,
    ) -> Result<(R, Vec<Ticket>)> {
        transaction::transact(&self.inner, keys, f).await
    }

    /// [`transact`](Cache::transact) for a front end: the closure has its
    /// own error type (a command's error reply, say), into which engine
    /// errors convert, and the writes' durability is handed back rather than
    /// waited for. The caller must wait on the [`Durability`] before it
    /// acknowledges the writes; a server running a pipeline waits once for
    /// all of its commands.
    ///
    /// # Errors
    ///
    /// As [`transact`](Cache::transact).
    ///
    /// # Panics
    ///
    /// As [`transact`](Cache::transact).
    pub async fn transact_deferred<R, E: From<Error>>(
        &self,
        keys: &[Bytes],
        mut f: impl FnMut(&mut Txn<'_>) -> std::result::Result<R, E>,
    ) -> std::result::Result<(R, Vec<Ticket>, Durability), E> {
        let mut failed = None;
        let result = transaction::transact_deferred(&self.inner, keys, |txn| {
            f(txn).map_err(|e| transaction::stand_in(&mut failed, e))
        })
        .await;
        let committed = transaction::carried(result, failed)?;
        Ok((committed.result, committed.tickets, committed.durability))
    }

    /// [`transact_deferred`](Cache::transact_deferred) for one key that `f`
    /// overwrites without reading it first (a plain `SET`): the key is not
    /// loaded from the store, so a write to a cold key costs no read.
    ///
    /// # Errors
    ///
    /// As [`transact`](Cache::transact).
    ///
    /// # Panics
    ///
    /// If `f` reads the key, or changes it field by field, before it
    /// replaces or deletes it.
    pub async fn write_blind_deferred<R, E: From<Error>>(
        &self,
        key: &Bytes,
        mut f: impl FnMut(&mut Txn<'_>) -> std::result::Result<R, E>,
    ) -> std::result::Result<(R, Vec<Ticket>, Durability), E> {
        let mut failed = None;
        let result = write::write_deferred(&self.inner, key.clone(), false, |_| {
            let mut slots = [Slot::blind(key.clone())];
            let r = f(&mut Txn::new(&mut slots, unix_millis()))
                .map_err(|e| transaction::stand_in(&mut failed, e))?;
            let [slot] = slots;
            Ok(Decided { op: slot.op, result: r, after: None })
        })
        .await;
        let committed = Committed::from(transaction::carried(result, failed)?);
        Ok((committed.result, committed.tickets, committed.durability))
    }

    /// Calls `hook` with each key whose write reaches the store, or that
    /// the expiry sweep deletes, from now on ([`KeyHook`](crate::KeyHook));
    /// false if a hook was already set, which stays.
    pub fn on_key_event(&self, hook: crate::KeyHook) -> bool {
        self.inner.on_key_event.set(hook)
    }

    /// Up to `limit` live keys greater than `after` (from the first if
    /// `None`), in ascending byte order: what the store holds, with the
    /// buffer's writes on top (new keys in, deleted and expired keys out).
    /// An empty result means there are no more keys.
    ///
    /// A key that exists throughout the call is listed, even if its pending
    /// write reaches the store meanwhile; so is every key of a listing page
    /// by page, if it exists throughout that listing.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] if the store cannot be read or cannot list keys.
    pub async fn keys(&self, after: Option<&[u8]>, limit: usize) -> Result<Vec<Bytes>> {
        listing::keys(&self.inner, after, limit).await
    }

    /// Deletes up to `limit` keys whose expiry has passed, as the store
    /// lists them ([`Store::expired`]); returns how many. A transaction that
    /// touches an expired key deletes it by itself; this is the active
    /// sweep for keys nobody touches, and the owner of the cache calls it
    /// periodically (the server does, ten times a second).
    ///
    /// # Errors
    ///
    /// As [`transact`](Cache::transact).
    pub async fn delete_expired(&self, limit: usize) -> Result<usize> {
        crate::sweep::delete_expired(&self.inner, limit).await
    }

    /// Replaces the key's value. Returns once the write is in memory.
    ///
    /// # Errors
    ///
    /// When the buffer is full, as the [`FullPolicy`] says; [`Error::ShuttingDown`].
    pub async fn put(&self, key: impl Into<Bytes>, value: impl Into<Value>) -> Result<Ticket> {
        // Copied once, here: the caller's bytes may be a slice of more.
        let op = whole_op(value.into(), None).into_owned();
        let (_, ticket) = write::write(&self.inner, key.into(), false, |_| {
            Ok(Decided { op: Some(op.clone()), result: (), after: None })
        })
        .await?;
        Ok(ticket.expect("a put always writes"))
    }

    /// Removes the key (the store keeps a versioned tombstone).
    ///
    /// # Errors
    ///
    /// As [`put`](Cache::put).
    pub async fn delete(&self, key: impl Into<Bytes>) -> Result<Ticket> {
        let (_, ticket) = write::write(&self.inner, key.into(), false, |_| {
            Ok(Decided { op: Some(Op::Delete), result: (), after: None })
        })
        .await?;
        Ok(ticket.expect("a delete always writes"))
    }

    /// Adds `delta` to the integer stored as decimal text under the key
    /// (absent counts as 0) and returns the new total. The store receives
    /// the total, never the delta, so a retried write cannot count twice.
    ///
    /// # Errors
    ///
    /// [`Error::NotAnInteger`] if the value is not a decimal `i64` or the sum
    /// overflows; [`Error::WrongType`] for a map; as [`put`](Cache::put).
    pub async fn incr(&self, key: impl Into<Bytes>, delta: i64) -> Result<(i64, Ticket)> {
        let key = key.into();
        let (total, mut tickets) = self
            .transact(std::slice::from_ref(&key), |txn| {
                let current = match txn.get(&key) {
                    None => 0,
                    Some(Value::Blob(b)) => parse_i64(b)?,
                    Some(_) => return Err(Error::WrongType { expected: Shape::Blob }),
                };
                let total = current.checked_add(delta).ok_or(Error::NotAnInteger)?;
                // Like Redis, an increment keeps the key's expiry.
                let expires_at = txn.expires_at(&key);
                txn.put(&key, Value::Blob(Bytes::from(total.to_string())), expires_at);
                Ok(total)
            })
            .await?;
        Ok((total, tickets.pop().expect("an increment always writes")))
    }

    /// Sets one field of a map (creating the map), leaving the other fields.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] if the key holds a blob or the other kind of map;
    /// as [`put`](Cache::put).
    pub async fn set_field(
        &self,
        key: impl Into<Bytes>,
        field: impl Into<Bytes>,
        value: FieldValue,
    ) -> Result<Ticket> {
        let kind = value.kind();
        let changes = vec![(field.into(), Some(value))];
        let (_, ticket) =
            self.modify(key, |_| Ok((Edit::Fields { kind, changes: changes.clone() }, ()))).await?;
        Ok(ticket.expect("a field write always writes"))
    }

    /// Removes one field of a map; returns whether it was there. Removing
    /// the last field removes the key.
    ///
    /// # Errors
    ///
    /// As [`set_field`](Cache::set_field).
    pub async fn remove_field(
        &self,
        key: impl Into<Bytes>,
        kind: MapKind,
        field: impl Into<Bytes>,
    ) -> Result<bool> {
        let field = field.into();
        let (existed, _) = self
            .modify(key, |value| {
                if value.is_some_and(|v| v.field(&field).is_some()) {
                    Ok((Edit::Fields { kind, changes: vec![(field.clone(), None)] }, true))
                } else {
                    check_kind(value, kind)?;
                    Ok((Edit::Keep, false))
                }
            })
            .await?;
        Ok(existed)
    }

    /// Adds `delta` to a member's score in a scored map (absent counts as 0)
    /// and returns the new score.
    ///
    /// # Errors
    ///
    /// [`Error::NotAFloat`] if the result is not a number; as [`set_field`](Cache::set_field).
    pub async fn incr_score(
        &self,
        key: impl Into<Bytes>,
        member: impl Into<Bytes>,
        delta: f64,
    ) -> Result<(f64, Ticket)> {
        let member = member.into();
        let (score, ticket) = self
            .modify(key, |value| {
                let current = match value.and_then(|v| v.field(&member)) {
                    Some(FieldValue::Score(s)) => s,
                    _ => 0.0,
                };
                let score = current + delta;
                if score.is_nan() {
                    return Err(Error::NotAFloat);
                }
                let changes = vec![(member.clone(), Some(FieldValue::Score(score)))];
                Ok((Edit::Fields { kind: MapKind::Scores, changes }, score))
            })
            .await?;
        Ok((score, ticket.expect("a score increment always writes")))
    }

    /// The general read-modify-write: `f` sees the key's current value and
    /// decides what to write, atomically with respect to every other write
    /// of the key. `f` runs under a lock, so it must be quick; it may run
    /// more than once if the write has to wait for room.
    ///
    /// Returns `f`'s result and a ticket if anything was written.
    ///
    /// # Errors
    ///
    /// What `f` returns; [`Error::WrongType`] for a field edit on a key of
    /// another shape; as [`get`](Cache::get) and [`put`](Cache::put).
    pub async fn modify<R>(
        &self,
        key: impl Into<Bytes>,
        mut f: impl FnMut(Option<&Value>) -> Result<(Edit, R)>,
    ) -> Result<(R, Option<Ticket>)> {
        let key = key.into();
        let (r, mut tickets) = self
            .transact(std::slice::from_ref(&key), |txn| {
                let (edit, r) = f(txn.get(&key))?;
                apply_edit(txn, &key, edit)?;
                Ok(r)
            })
            .await?;
        Ok((r, tickets.pop()))
    }

    /// Replaces the key's value and returns once the store has committed it
    /// (write-through for this one write).
    ///
    /// # Errors
    ///
    /// As [`put`](Cache::put); [`Error::DeadLettered`] if the store refused
    /// it; it waits as long as the store is unreachable.
    pub async fn put_through(&self, key: impl Into<Bytes>, value: impl Into<Value>) -> Result<()> {
        let ticket = self.put(key, value).await?;
        self.inner.progress().wait_ticket(ticket, true).await
    }

    /// Removes the key and returns once the store has committed it.
    ///
    /// # Errors
    ///
    /// As [`put_through`](Cache::put_through).
    pub async fn delete_through(&self, key: impl Into<Bytes>) -> Result<()> {
        let ticket = self.delete(key).await?;
        self.inner.progress().wait_ticket(ticket, true).await
    }

    /// Waits until a ticket's write (or a newer write of its key) is in the
    /// store, flushing it now rather than when its batch is due: makes one
    /// accepted write write-through.
    ///
    /// # Errors
    ///
    /// As [`wait_stored`](Cache::wait_stored).
    pub async fn stored(&self, ticket: Ticket) -> Result<()> {
        self.inner.progress().wait_ticket(ticket, true).await
    }

    /// Waits, without hurrying the flush, until a ticket's write (or a newer
    /// write of its key that replaced it) is in the store.
    ///
    /// # Errors
    ///
    /// [`Error::DeadLettered`] if the store refused it for good;
    /// [`Error::Stopped`] if the cache stopped first.
    pub async fn wait_stored(&self, ticket: Ticket) -> Result<()> {
        self.inner.progress().wait_ticket(ticket, false).await
    }

    /// A barrier: returns once every write accepted before the call is in
    /// the store (or in the dead-letter queue). Flushes at once rather than
    /// waiting for full batches.
    ///
    /// # Errors
    ///
    /// [`Error::Stopped`] if the cache stopped first.
    pub fn flush(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        // Holds what it waits on, so another task may await it (BGSAVE).
        let (inner, upto) = (self.inner.clone(), self.inner.clock().last());
        async move { inner.progress().wait_all(upto).await }
    }

    /// Stops accepting writes, drains the buffer to the store for up to
    /// `timeout`, stops the workers and reports what is left.
    pub async fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        shutdown::shutdown(&self.inner, &self.tasks, timeout).await
    }

    /// Whether the store answers: up, or unavailable since when, with its
    /// last error and whether a probe is in flight. While it is unavailable
    /// no batches are sent, and reads that need the store are refused with
    /// an unavailable [`StoreError`](crate::StoreError); writes go on.
    #[must_use]
    pub fn store_state(&self) -> crate::outage::StoreState {
        self.inner.health().state()
    }

    /// Counters and gauges as of now.
    #[must_use]
    pub fn stats(&self) -> Stats {
        let inner = &self.inner;
        inner.counters().stats(&inner.snapshot())
    }

    /// Bytes the cache holds for keys now, as its bounds count them: pending
    /// writes (with their kept views) and clean entries together; what
    /// `max_memory` bounds.
    #[must_use]
    pub fn memory_used(&self) -> u64 {
        self.inner.memory_used()
    }

    /// Whether the store holds the newest write of `key`: nothing of it is
    /// pending and none of it was dead-lettered.
    #[must_use]
    pub fn is_stored(&self, key: &[u8]) -> bool {
        let key = Bytes::copy_from_slice(key);
        let shard = self.inner.buffer().lock(self.inner.buffer().shard_of(&key));
        !shard.has_pending(&key) && !self.inner.progress().dead.has_key(&key)
    }

    /// Where the newest write of `key` stands (absent, clean, pending,
    /// in flight, retrying, dead-lettered), from memory alone: no store
    /// call. See [`KeyStatus`].
    #[must_use]
    pub fn key_status(&self, key: &[u8]) -> KeyStatus {
        self.inner.key_status(key)
    }

    /// [`key_status`](Cache::key_status), with
    /// [`store_version`](KeyStatus::store_version) read from the store now.
    ///
    /// # Errors
    ///
    /// The store's error, or an unavailable one while it is in an outage.
    pub async fn key_status_from_store(&self, key: &[u8]) -> Result<KeyStatus> {
        self.inner.key_status_from_store(key).await
    }

    /// The writes the store refused for good, with its errors, in id order.
    #[must_use]
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        self.inner.progress().dead.list()
    }

    /// The dead letters of `key`, in id order (a key can have several: each
    /// write the store refused).
    #[must_use]
    pub fn dead_letters_of(&self, key: &[u8]) -> Vec<DeadLetter> {
        self.inner.progress().dead.of_key(key)
    }

    /// How many dead letters there are.
    #[must_use]
    pub fn dead_letter_count(&self) -> u64 {
        self.inner.progress().dead.len()
    }

    /// Up to `limit` dead letters with ids above `after` (0 starts at the
    /// first), in id order, and the cursor of the next page: the last id
    /// listed if more follow, `None` when this page ends the queue.
    #[must_use]
    pub fn dead_letters_page(&self, after: u64, limit: usize) -> (Vec<DeadLetter>, Option<u64>) {
        self.inner.progress().dead.page(after, limit)
    }

    /// Writes every dead letter to the store again; see
    /// [`replay_dead_letters_of`](Cache::replay_dead_letters_of).
    pub async fn replay_dead_letters(&self) -> ReplayReport {
        self.replay_dead_letters_of(&Selection::All).await
    }

    /// Writes the dead letters `selection` picks to the store again, each
    /// with its original version. A letter whose key was written since (a
    /// write of it pending, or a newer dead letter) is superseded: the newer
    /// write wins and the letter is only removed. Those the store accepts
    /// leave the queue; the others stay, with the new error and one more
    /// attempt. A letter leaves only once the store has it, so a crash in
    /// the middle of a replay loses none.
    pub async fn replay_dead_letters_of(&self, selection: &Selection) -> ReplayReport {
        self.inner.replay_dead_letters(selection).await
    }

    /// Drops every dead letter, logging each one's key; returns how many.
    pub fn purge_dead_letters(&self) -> usize {
        self.purge_dead_letters_of_ids(&Selection::All)
    }

    /// Drops the dead letters `selection` picks, logging each one's key
    /// (never its value); returns how many (unknown ids are skipped).
    pub fn purge_dead_letters_of_ids(&self, selection: &Selection) -> usize {
        self.inner.progress().dead.purge(selection)
    }
}

impl<S: Store> Drop for Cache<S> {
    fn drop(&mut self) {
        self.inner.stop();
        let pending = self.inner.bound().used().entries;
        if pending > 0 && !self.inner.is_closing() {
            tracing::warn!(
                pending,
                "cache dropped without shutdown; pending writes were not drained"
            );
        }
    }
}

fn check_kind(value: Option<&Value>, kind: MapKind) -> Result<()> {
    match value {
        Some(v) if v.map_kind() != Some(kind) => {
            Err(Error::WrongType { expected: Shape::Map(kind) })
        }
        _ => Ok(()),
    }
}

/// Makes an [`Edit`] of `key` in a transaction.
fn apply_edit(txn: &mut Txn<'_>, key: &[u8], edit: Edit) -> Result<()> {
    match edit {
        Edit::Keep => {}
        Edit::Put(v) => txn.put(key, v, None),
        Edit::Delete => {
            txn.delete(key);
        }
        Edit::Fields { kind, changes } => txn.set_fields(key, kind, changes)?,
    }
    Ok(())
}

fn parse_i64(b: &[u8]) -> Result<i64> {
    std::str::from_utf8(b).ok().and_then(|s| s.parse().ok()).ok_or(Error::NotAnInteger)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Attempt;
    use crate::store::MemoryStore;

    fn put_op(v: &'static str) -> Op {
        Op::Put { value: Bytes::from_static(v.as_bytes()), expires_at: None }
    }

    fn accepted_durable(a: Attempt<()>) -> jotter_wal::Pending {
        match a {
            Attempt::Accepted(_, _, Some(d)) => d,
            _ => panic!("not accepted with a log record"),
        }
    }

    /// The checkpoint reads `next_lsn` first, then scans the shards one by
    /// one; a write landing in an already-scanned shard gets an LSN at or
    /// above it, while a later write in a shard not yet scanned becomes the
    /// smallest pending one: the mark must stop at `next_lsn`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_checkpoint_never_passes_a_write_that_entered_a_scanned_shard() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::new();
        store.faults().fail_next_writes(u64::MAX); // nothing reaches the store
        let cache = Cache::builder(store.clone())
            .data_dir(dir.path(), crate::Fsync::Always)
            .build()
            .await
            .unwrap();
        let inner = cache.inner.clone();
        let last = inner.buffer().shard_count() - 1;
        let key_of = |shard: usize| {
            (0..)
                .map(|i| Bytes::from(format!("k{i}")))
                .find(|k| inner.buffer().shard_of(k) == shard)
                .unwrap()
        };
        let (early, late) = (key_of(0), key_of(last));
        let (first, second) = {
            // A writer is inside the last shard (e.g. a `modify` closure).
            let mut held = inner.buffer().lock(last);
            let checkpoint = {
                let inner = inner.clone();
                std::thread::spawn(move || inner.checkpoint_log())
            };
            std::thread::sleep(Duration::from_millis(100)); // read next_lsn, scanned 0..last, waits
            let first = {
                let mut s0 = inner.buffer().lock(0);
                accepted_durable(
                    inner.try_accept(&mut s0, 0, &early, put_op("acked"), (), None).unwrap(),
                )
            };
            let second = accepted_durable(
                inner.try_accept(&mut held, last, &late, put_op("later"), (), None).unwrap(),
            );
            drop(held);
            checkpoint.join().unwrap();
            (first, second)
        };
        let lsn = first.await.expect("the write to `early` is acknowledged: fsynced");
        second.await.unwrap();
        assert!(lsn > 0);

        // Crash (no shutdown), restart with the store healthy.
        drop(inner);
        drop(cache);
        tokio::time::sleep(Duration::from_millis(300)).await;
        store.faults().fail_next_writes(0);
        let cache = Cache::builder(store.clone())
            .data_dir(dir.path(), crate::Fsync::Always)
            .build()
            .await
            .unwrap();
        cache.flush().await.unwrap();
        let snapshot = store.snapshot();
        assert_eq!(snapshot.get(&late), Some(&Value::from("later")));
        assert_eq!(snapshot.get(&early), Some(&Value::from("acked")), "acknowledged write lost");
    }

    /// A transaction's ops share their group record's LSN. Two of them in
    /// one shard, replayed after a crash (each then flushed on its own):
    /// once one is stored and a checkpoint runs, the record must still be
    /// kept for the other, which a second crash must not lose.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_checkpoint_keeps_a_transaction_record_until_its_last_op_in_a_shard_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::new();
        let build = |store: &MemoryStore| {
            Cache::builder(store.clone())
                .data_dir(dir.path(), crate::Fsync::Always)
                .flush_interval(Duration::from_millis(5))
                .batch_size(1)
                .dead_letter_after(1000)
                .retry_backoff(Duration::from_secs(600), Duration::from_secs(600))
        };
        let crash = |cache: Cache<MemoryStore>| async move {
            cache.shutdown(Duration::ZERO).await;
            drop(cache);
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        store.faults().fail_next_writes(u64::MAX);
        let cache = build(&store).build().await.unwrap();
        let inner = cache.inner.clone();
        let mut same: Vec<Bytes> = (0..)
            .map(|i| Bytes::from(format!("k{i}")))
            .filter(|k| inner.buffer().shard_of(k) == 0)
            .take(2)
            .collect();
        same.sort();
        let (stored, held) = (same[0].clone(), same[1].clone());
        cache
            .transact(&same, |txn| {
                txn.put(&stored, Value::from("a"), None);
                txn.put(&held, Value::from("b"), None);
                Ok(())
            })
            .await
            .unwrap();
        let lsn = inner.buffer().lock(0).lowest_lsn().expect("both pending");
        drop(inner);
        crash(cache).await;

        // Replayed: `stored` goes first and lands, `held` is refused and
        // waits for its retry.
        store.faults().fail_next_writes(0);
        store.faults().reject_key(held.clone());
        let cache = build(&store).build().await.unwrap();
        let inner = cache.inner.clone();
        for _ in 0..1000 {
            if store.snapshot().contains_key(&stored)
                && inner.buffer().lock(0).queue(&stored).is_none()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let landed = store.snapshot().contains_key(&stored);
        assert!(landed && inner.buffer().lock(0).queue(&stored).is_none(), "`stored` never landed");
        inner.checkpoint_log();
        assert_eq!(inner.buffer().lock(0).lowest_lsn(), Some(lsn), "`held` still needs the record");
        drop(inner);
        crash(cache).await;

        store.faults().accept_key(&held);
        let cache = build(&store).build().await.unwrap();
        cache.flush().await.unwrap();
        assert_eq!(store.snapshot().get(&held), Some(&Value::from("b")), "acknowledged write lost");
    }

    /// A direct write (write-through on a full buffer) is logged, so a
    /// replay after a crash folds it over an older, already-stored record
    /// of its key that the checkpoint had not passed, instead of showing
    /// the older value.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_direct_write_is_logged_so_a_replay_does_not_hide_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::new();
        let build = |store: &MemoryStore| {
            Cache::builder(store.clone())
                .data_dir(dir.path(), crate::Fsync::Always)
                .flush_workers(2)
                .flush_interval(Duration::from_millis(5))
                .max_pending_entries(2)
                .full_policy(crate::FullPolicy::WriteThrough)
                .dead_letter_after(1000)
                .retry_backoff(Duration::from_secs(1), Duration::from_secs(1))
        };
        let cache = build(&store).build().await.unwrap();
        let inner = cache.inner.clone();
        let on = |w: usize, skip: usize| {
            (0..)
                .map(|i| Bytes::from(format!("key{i}")))
                .filter(|k| inner.buffer().worker_of(inner.buffer().shard_of(k)) == w)
                .nth(skip)
                .unwrap()
        };
        let (k, poison, filler) = (on(0, 0), on(1, 0), on(1, 1));
        store.faults().reject_key(poison.clone());
        store.faults().reject_key(filler.clone());
        cache.put(poison.clone(), "p").await.unwrap(); // holds the low-water mark
        let t = cache.put(k.clone(), "old").await.unwrap();
        cache.wait_stored(t).await.unwrap(); // "old" is in the store
        cache.put(filler.clone(), "f").await.unwrap(); // the buffer is full now
        cache.put(k.clone(), "new").await.unwrap(); // goes direct: in the store, acknowledged
        assert_eq!(cache.get(k.clone()).await.unwrap(), Some(Value::from("new")));
        assert_eq!(store.snapshot().get(&k), Some(&Value::from("new")));
        drop(inner);
        drop(cache); // crash
        tokio::time::sleep(Duration::from_millis(300)).await;
        store.faults().accept_key(&poison);
        store.faults().accept_key(&filler);
        let cache = build(&store).build().await.unwrap();
        let before_flush = cache.get(k.clone()).await.unwrap();
        cache.flush().await.unwrap();
        let after_flush = cache.get(k.clone()).await.unwrap();
        assert_eq!(store.snapshot().get(&k), Some(&Value::from("new")), "store kept the newer");
        assert_eq!(
            (before_flush, after_flush),
            (Some(Value::from("new")), Some(Value::from("new"))),
            "read your writes after a restart"
        );
    }

    /// A field write to a pending map changes the map the buffer keeps in
    /// place: a leaderboard's `ZINCRBY` must not copy the whole board.
    #[tokio::test]
    async fn a_field_write_changes_the_kept_map_in_place() {
        let cache = Cache::builder(MemoryStore::new())
            .flush_interval(Duration::from_secs(3600))
            .build()
            .await
            .unwrap();
        for i in 0..1000 {
            cache.incr_score("board", format!("p{i}"), 1.0).await.unwrap();
        }
        let key = Bytes::from("board");
        let kept = |cache: &Cache<MemoryStore>| {
            let shard = cache.inner.buffer().lock(cache.inner.buffer().shard_of(&key));
            match shard.queue(&key).and_then(crate::queue::Queue::kept) {
                Some(Some(Entry { value: Value::Scores(m), .. })) => Arc::as_ptr(m) as usize,
                other => panic!("no kept map: {other:?}"),
            }
        };
        let before = kept(&cache);
        cache.incr_score("board", "p1", 5.0).await.unwrap();
        cache
            .transact(std::slice::from_ref(&key), |txn| Ok(txn.get(&key).is_some()))
            .await
            .unwrap();
        assert_eq!(kept(&cache), before, "the map was copied");
        let board = cache.get("board").await.unwrap().unwrap();
        assert_eq!(board.field(b"p1"), Some(FieldValue::Score(6.0)));
    }

    #[tokio::test(start_paused = true)]
    async fn stats_show_the_age_of_the_oldest_pending_write() {
        let store = MemoryStore::new();
        let cache = Cache::builder(store.clone())
            .flush_interval(Duration::from_secs(60))
            .build()
            .await
            .unwrap();
        assert_eq!(cache.stats().oldest_pending_age, None);
        cache.put("a", "1").await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        cache.put("b", "1").await.unwrap();
        let stats = cache.stats();
        assert_eq!(stats.oldest_pending_age, Some(Duration::from_secs(10)));
        assert_eq!(stats.pending_entries, 2);
        cache.flush().await.unwrap();
        assert_eq!(cache.stats().oldest_pending_age, None);
    }
}
