//! The transaction path: reads and writes of several keys as one atomic
//! step. A transaction over one key is a write of that key (`write.rs`);
//! over several, their shards are locked together in one order, the keys
//! that are not resident are loaded first, and room for all the writes is
//! reserved at once, so they are accepted together or not at all and reach
//! the store in one batch (`group_flush.rs`).

use std::sync::Arc;

use bytes::Bytes;

use crate::clock::unix_millis;
use crate::engine::{Ahead, Attempt, Inner, Multi, Prepaid};
use crate::error::{BoundKind, Error, Result};
use crate::group_flush;
use crate::log::Durability;
use crate::op::{Group, Op, QueuedOp};
use crate::room::RoomWait;
use crate::shard::LoadSlot;
use crate::store::Store;
use crate::ticket::Ticket;
use crate::txn::{Slot, Txn};
use crate::value::Entry;
use crate::view::Written;
use crate::write::{Accepted, Decided, write_deferred};

/// A transaction over `keys`, acknowledged once its log records are
/// durable: what [`Cache::transact`](crate::Cache::transact) does.
pub(crate) async fn transact<R, S: Store>(
    inner: &Arc<Inner<S>>,
    keys: &[Bytes],
    f: impl FnMut(&mut Txn<'_>) -> Result<R>,
) -> Result<(R, Vec<Ticket>)> {
    let committed = transact_deferred(inner, keys, f).await?;
    committed.durability.wait().await?;
    Ok((committed.result, committed.tickets))
}

/// [`transact`], handing back the log records' durability instead of
/// waiting for it.
pub(crate) async fn transact_deferred<R, S: Store>(
    inner: &Arc<Inner<S>>,
    keys: &[Bytes],
    mut f: impl FnMut(&mut Txn<'_>) -> Result<R>,
) -> Result<Committed<R>> {
    match keys {
        [key] => {
            let accepted = write_deferred(inner, key.clone(), true, |entry| {
                let now = unix_millis();
                let mut slots = [Slot::new(key.clone(), entry, now)];
                let r = f(&mut Txn::new(&mut slots, now))?;
                inner.drop_lazy_without_room(&mut slots);
                let [slot] = slots;
                Ok(Decided { op: slot.op, result: r, after: slot.now })
            })
            .await?;
            Ok(Committed::from(accepted))
        }
        // Boxed: the one-key future, the common case, stays as small as
        // its own path needs (see `with_view`).
        _ => Box::pin(transact_many(inner, keys, f)).await,
    }
}

/// [`transact`] over several keys: their shards are
/// locked in ascending order (one order for every caller, so two
/// transactions cannot deadlock), and room for all their writes is
/// reserved at once, so they are accepted together or not at all.
async fn transact_many<R, S: Store>(
    inner: &Arc<Inner<S>>,
    keys: &[Bytes],
    mut f: impl FnMut(&mut Txn<'_>) -> Result<R>,
) -> Result<Committed<R>> {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    let mut shards: Vec<usize> = keys.iter().map(|k| inner.buffer().shard_of(k)).collect();
    shards.sort_unstable();
    shards.dedup();
    let mut room = RoomWait::new(inner);
    // Keys loaded because they were not resident, each with its load
    // slot. The value is used directly (the clean cache may refuse a
    // large one, and retrying until it keeps it would never end); the
    // slot stays registered, so a flush of the key meanwhile marks it
    // stale and the key is loaded again.
    let mut loaded: Vec<Preloaded> = Vec::new();
    let result = loop {
        match try_transact(inner, &keys, &shards, &loaded, &mut f) {
            Ok(Step::Done(committed)) => break Ok(committed),
            Ok(Step::Load(missing)) => match preload(inner, missing).await {
                Ok(fresh) => {
                    loaded.retain(|p| fresh.iter().all(|f| f.key != p.key));
                    loaded.extend(fresh);
                }
                Err(e) => break Err(e),
            },
            Ok(Step::Full(bound)) => {
                if let Err(e) = room.wait(bound).await {
                    break Err(e);
                }
            }
            Err(e) => break Err(e),
        }
    };
    for p in &loaded {
        inner.buffer().lock(inner.buffer().shard_of(&p.key)).finish_load(&p.key, &p.slot);
    }
    result
}

/// Loads the keys a multi-key transaction misses, each under a load
/// slot registered before the read (so a flush meanwhile marks it
/// stale), those no other reader is loading in one store call.
async fn preload<S: Store>(inner: &Inner<S>, keys: Vec<Bytes>) -> Result<Vec<Preloaded>> {
    let slots: Vec<_> =
        keys.iter().map(|k| inner.buffer().lock(inner.buffer().shard_of(k)).load_slot(k)).collect();
    let idle: Vec<usize> = (0..keys.len()).filter(|&i| !slots[i].cell.initialized()).collect();
    if idle.len() > 1 {
        let asked: Vec<Bytes> = idle.iter().map(|&i| keys[i].clone()).collect();
        let found = inner.load_many_from_store(&asked).await?;
        for (i, value) in idle.into_iter().zip(found) {
            // Another reader may have started on this slot meanwhile;
            // then its value (read no earlier than ours) stands.
            let _ = slots[i].cell.set(value);
        }
    }
    let mut fresh = Vec::with_capacity(keys.len());
    for (key, slot) in keys.into_iter().zip(slots) {
        let value = slot.cell.get_or_try_init(|| inner.load_from_store(&key)).await?.clone();
        fresh.push(Preloaded { key, slot, value });
    }
    Ok(fresh)
}

/// One attempt of [`transact_many`], with every
/// shard of `keys` locked; nothing here awaits.
fn try_transact<R, S: Store>(
    inner: &Arc<Inner<S>>,
    keys: &[Bytes],
    shards: &[usize],
    loaded: &[Preloaded],
    f: &mut impl FnMut(&mut Txn<'_>) -> Result<R>,
) -> Result<Step<R>> {
    let guard_of = |s: usize| shards.binary_search(&s).unwrap_or_default();
    let mut guards: Vec<_> = shards.iter().map(|&s| inner.buffer().lock(s)).collect();
    let mut views = Vec::with_capacity(keys.len());
    let mut missing = Vec::new();
    for key in keys {
        let shard = &mut guards[guard_of(inner.buffer().shard_of(key))];
        let preloaded = loaded
            .iter()
            .find(|p| p.key == *key && !p.slot.is_stale())
            .map(|p| p.value.clone())
            .or_else(|| inner.never_stored(key).then_some(None));
        match inner.take_view(shard, key, preloaded) {
            Some(entry) => views.push((key, entry)),
            None => missing.push(key.clone()),
        }
    }
    if !missing.is_empty() {
        for (key, entry) in views {
            inner.put_view(
                &mut guards[guard_of(inner.buffer().shard_of(key))],
                key,
                entry,
                Some(Written::UNCHANGED),
            );
        }
        return Ok(Step::Load(missing));
    }
    let views = views.into_iter().map(|(_, entry)| entry);
    let now = unix_millis();
    let mut slots: Vec<Slot> =
        keys.iter().zip(views).map(|(k, v)| Slot::new(k.clone(), v, now)).collect();
    let r = f(&mut Txn::new(&mut slots, now))?;
    inner.drop_lazy_without_room(&mut slots);

    let mut prepaid = Prepaid::default();
    for (key, op) in slots.iter().filter_map(|s| Some((&s.key, s.op.as_ref()?))) {
        let own = QueuedOp::weight_of(key, op) as u64;
        inner.check_weight(own)?;
        inner.check_store(key, op)?;
        prepaid.entries += 1;
        prepaid.bytes += own;
    }
    if prepaid.entries == 0 {
        for slot in slots {
            inner.put_view(
                &mut guards[guard_of(inner.buffer().shard_of(&slot.key))],
                &slot.key,
                slot.now,
                Some(Written::UNCHANGED),
            );
        }
        let committed =
            Committed { result: r, tickets: Vec::new(), durability: Durability::default() };
        return Ok(Step::Done(committed));
    }
    // Under every lock: shutdown takes them all after closing, so a
    // transaction that writes after this check is wholly before the
    // drain's mark.
    inner.check_open()?;
    if let Err(bound) = inner.prepay(&prepaid)? {
        return Ok(Step::Full(bound));
    }
    // The ops and the views hold their own bytes (`Txn` copied them).
    let mut writes: Vec<(Bytes, Op, u64)> = Vec::with_capacity(slots.len());
    let mut views = Vec::with_capacity(slots.len());
    for slot in slots {
        let Some(op) = slot.op else {
            let shard = &mut guards[guard_of(inner.buffer().shard_of(&slot.key))];
            inner.put_view(shard, &slot.key, slot.now, Some(Written::UNCHANGED));
            continue;
        };
        views.push((slot.now, Written::of(&op)));
        writes.push((slot.key, op, 0));
    }
    // Two or more keys written: one log record holds them all (a crash
    // keeps all or none), logged before any is accepted, and they reach
    // the store together.
    let mut durability = Durability::default();
    let (group, lsn) = if writes.len() > 1 {
        let durable = match stamp_and_log_group(inner, &mut writes) {
            Ok(durable) => durable,
            Err(e) => {
                inner.refund(prepaid);
                return Err(e);
            }
        };
        let lsn = durable.as_ref().map(jotter_wal::Pending::lsn);
        if let Some(durable) = durable {
            durability.push(durable);
        }
        let keys = writes
            .iter()
            .map(|(key, _, _)| (inner.buffer().shard_of(key), crate::owned::own(key)))
            .collect();
        (Some(Arc::new(Group::new(keys))), lsn)
    } else {
        (None, None)
    };
    let mut tickets = Vec::with_capacity(writes.len());
    let mut failed = None;
    for ((key, op, version), (now, written)) in writes.into_iter().zip(views) {
        let s = inner.buffer().shard_of(&key);
        let shard = &mut guards[guard_of(s)];
        let gone = now.is_none();
        let ahead = group.is_some().then_some(Ahead { version, lsn });
        let multi = Multi { prepaid: &mut prepaid, group: group.as_ref(), ahead };
        match inner.try_accept(shard, s, &key, op, (), Some(multi)) {
            Ok(Attempt::Accepted((), ticket, durable)) => {
                inner.put_view(shard, &key, now, Some(written));
                tickets.extend(ticket.map(|t| t.or_deletes(gone)));
                if let Some(durable) = durable {
                    durability.push(durable);
                }
            }
            Ok(_) => unreachable!("a prepaid write always finds room"),
            // Only the log can refuse now (`Error::Log`), and only the
            // record of a single write: a group's record is logged above.
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    inner.refund(prepaid);
    if let Some(group) = group {
        tokio::spawn(group_flush::flush_group(inner.clone(), group));
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(Step::Done(Committed { result: r, tickets, durability })),
    }
}

/// Versions a multi-key transaction's ops (`(key, op, version)`, the
/// version filled in here, in order) and submits them to the log as one
/// group record, so that a crash keeps all of them or none; returns the
/// record's durability, with a log. Called under every shard lock of the
/// transaction, before any of its ops is accepted: if the log refuses the
/// record, nothing of the transaction is accepted.
fn stamp_and_log_group<S: Store>(
    inner: &Inner<S>,
    writes: &mut [(Bytes, Op, u64)],
) -> Result<Option<jotter_wal::Pending>> {
    for (key, op, version) in writes.iter_mut() {
        *version = inner.clock().next();
        op.stamp(*version);
        // Before the write can reach the store.
        if let Some(known) = inner.known() {
            known.insert(key);
        }
    }
    match inner.log() {
        None => Ok(None),
        Some(log) => log.submit_group(writes.iter().map(|(k, op, v)| (&k[..], *v, op))).map(Some),
    }
}

/// A key a multi-key transaction loaded, with the load's slot (whose stale
/// flag says whether the store changed since).
struct Preloaded {
    key: Bytes,
    slot: Arc<LoadSlot>,
    value: Option<Entry>,
}

/// How one attempt of a multi-key transaction ended.
enum Step<R> {
    /// Accepted; acknowledge once the log records are durable.
    Done(Committed<R>),
    /// Keys that are not resident: load them, then try again.
    Load(Vec<Bytes>),
    /// No room for the writes: wait for it, then try again.
    Full(BoundKind),
}

/// A transaction accepted, before its log records are durable.
pub(crate) struct Committed<R> {
    pub result: R,
    /// One ticket per key it wrote.
    pub tickets: Vec<Ticket>,
    /// Wait on it before acknowledging the writes.
    pub durability: Durability,
}

impl<R> From<Accepted<R>> for Committed<R> {
    fn from(a: Accepted<R>) -> Self {
        Committed {
            result: a.result,
            tickets: a.ticket.into_iter().collect(),
            durability: a.durability,
        }
    }
}

/// Keeps a caller's own error from an engine closure and returns a
/// stand-in engine error, which ends the write at once (nothing written);
/// [`carried`] gives the caller's error back.
pub(crate) fn stand_in<E>(failed: &mut Option<E>, e: E) -> Error {
    *failed = Some(e);
    Error::Stopped
}

/// The result of a write whose closure may have failed with its own error.
pub(crate) fn carried<T, E: From<Error>>(
    result: Result<T>,
    failed: Option<E>,
) -> std::result::Result<T, E> {
    match (result, failed) {
        (Ok(done), _) => Ok(done),
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(e.into()),
    }
}
