//! The write path of one key: the closure computes the write from the
//! key's current value (or blind, without loading it) under the key's
//! shard lock, and the write is accepted, sent through (write-through
//! policy), or waits for room, as the bound and the [`FullPolicy`] say.

use std::sync::Arc;

use bytes::Bytes;

use crate::config::FullPolicy;
use crate::engine::{Attempt, Inner};
use crate::error::{Error, Result};
use crate::log::Durability;
use crate::op::Op;
use crate::room::RoomWait;
use crate::shard::Shard;
use crate::store::Store;
use crate::ticket::Ticket;
use crate::value::Entry;
use crate::view::Written;

/// What a write's closure decided under the key's lock.
pub(crate) struct Decided<R> {
    /// The op to write, if any.
    pub op: Option<Op>,
    /// What the caller gets back.
    pub result: R,
    /// The key's entry after the op, for the buffer to keep as its view
    /// (with a view).
    pub after: Option<Entry>,
}

/// A write accepted (or sent through), before its log record is durable.
pub(crate) struct Accepted<R> {
    pub result: R,
    /// Its ticket, if it wrote anything.
    pub ticket: Option<Ticket>,
    /// Wait on it before acknowledging the write.
    pub durability: Durability,
}

/// Accepts one write computed by `f` from the key's value (or blind, if
/// `needs_view` is false), applying the full policy.
///
/// With a view, `f` owns the key's current entry (taken from where the
/// buffer keeps it) and gives back the entry after its write, which the
/// buffer then keeps: a field write changes a large map in place.
pub(crate) async fn write<R, S: Store>(
    inner: &Arc<Inner<S>>,
    key: Bytes,
    needs_view: bool,
    f: impl FnMut(Option<Entry>) -> Result<Decided<R>>,
) -> Result<(R, Option<Ticket>)> {
    let accepted = write_deferred(inner, key, needs_view, f).await?;
    accepted.durability.wait().await?;
    Ok((accepted.result, accepted.ticket))
}

/// [`write`], handing back the log records' durability
/// instead of waiting for it.
pub(crate) async fn write_deferred<R, S: Store>(
    inner: &Arc<Inner<S>>,
    key: Bytes,
    needs_view: bool,
    mut f: impl FnMut(Option<Entry>) -> Result<Decided<R>>,
) -> Result<Accepted<R>> {
    let mut room = RoomWait::new(inner);
    loop {
        // No check that the cache is open here: a read-only attempt may
        // run while it closes, and `try_accept` checks every write.
        let mut attempt = |shard: &mut Shard, s: usize, entry: Option<Entry>| {
            // The op and the entry after it hold their own bytes already
            // (`Txn` copies what it is given), so the buffer keeps both as
            // they are.
            let Decided { op, result: r, after } = f(entry)?;
            // No op: the entry goes back as it came, and keeps its count.
            let written = Some(op.as_ref().map_or(Written::UNCHANGED, Written::of));
            let gone = needs_view && after.is_none();
            let attempt = match op {
                None => Attempt::Accepted(r, None, None),
                Some(op) => match inner.try_accept(shard, s, &key, op, r, None)? {
                    Attempt::Accepted(r, t, d) => {
                        Attempt::Accepted(r, t.map(|t| t.or_deletes(gone)), d)
                    }
                    other => other,
                },
            };
            if needs_view && matches!(attempt, Attempt::Accepted(..)) {
                inner.put_view(shard, &key, after, written);
            }
            Ok::<_, Error>(attempt)
        };
        let attempt = if needs_view {
            inner.with_view(&key, true, attempt).await??
        } else {
            let s = inner.buffer().shard_of(&key);
            let mut shard = inner.buffer().lock(s);
            attempt(&mut shard, s, None)?
        };
        match attempt {
            Attempt::Accepted(r, ticket, durable) => {
                let mut durability = Durability::default();
                if let Some(durable) = durable {
                    durability.push(durable);
                }
                return Ok(Accepted { result: r, ticket, durability });
            }
            Attempt::Direct(r, write, s, durable) => {
                // Detached, so that a caller who gives up (a timeout)
                // cannot leave the op in flight in the buffer for ever.
                let direct = tokio::spawn(crate::write_through::write_direct(
                    inner.clone(),
                    write,
                    s,
                    durable,
                ));
                let ticket = direct.await.map_err(|_| Error::Stopped)??;
                return Ok(Accepted {
                    result: r,
                    ticket: Some(ticket),
                    durability: Durability::default(),
                });
            }
            Attempt::Full { bound, key_pending } => {
                debug_assert!(
                    key_pending || inner.config().full_policy != FullPolicy::WriteThrough,
                    "write-through goes direct unless the key is pending"
                );
                // Boxed, as the cold path (see `with_view`).
                Box::pin(room.wait(bound)).await?;
            }
        }
    }
}
