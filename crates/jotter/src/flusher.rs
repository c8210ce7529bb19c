//! The flush workers: each owns a set of shards, takes batches out of them
//! and writes them to the store, retrying, isolating and dead-lettering as
//! the store's errors demand.
//!
//! A worker flushes when its shards hold `batch_size` ready keys, when the
//! oldest pending write reaches `flush_interval`, or when a barrier asks.
//! It has one batch in flight at a time, so one key's writes are never in
//! flight twice. A failed batch is retried as it was, never merged with the
//! writes that came after it (docs/DESIGN.md, "multiplying retries"); writes of its keys that arrive
//! meanwhile wait behind it in the buffer and go in the next batch.
//!
//! While the store is unavailable (`outage.rs`) the workers take no batch
//! and send nothing; a batch that meets the outage waits, whole, for the
//! store to answer, without back-off and without counting toward
//! dead-lettering.
//!
//! A permanent error splits the batch in halves until the refused writes
//! are alone; the rest of the batch goes through (docs/DESIGN.md, "poison record": one poison record
//! must not block the queue). A write refused alone `dead_letter_after`
//! times goes to the dead-letter queue.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use tokio::time::Instant;

use crate::batch::Batch;
use crate::dead_letter::{DeadLetter, ErrorClass};
use crate::engine::Inner;
use crate::loggable::LogText;
use crate::refusals::Refusals;
use crate::retrying::ForgetOnDrop;
use crate::shard::Taken;
use crate::store::{Store, StoreError, Write};
use crate::ticket::WorkerState;

/// What became of one write of a batch.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Stored,
    /// Refused for good, `attempts` times, the first at `first_failure`.
    Dead {
        error: String,
        attempts: u32,
        first_failure: SystemTime,
    },
}

/// A worker's view of its shards between batches.
struct Scan {
    /// Every write at or below this version is done.
    watermark: u64,
    /// When the oldest waiting write was accepted.
    oldest: Option<Instant>,
}

/// Runs worker `w` until the cache is cancelled.
pub(crate) async fn run<S: Store>(inner: Arc<Inner<S>>, w: usize) {
    let state = &inner.progress().workers[w];
    // However the worker ends (cancelled, or a panic in a store), its
    // waiters must learn it rather than wait forever.
    let _stopped = StopOnDrop(state);
    let mut rng = fastrand::Rng::new();
    loop {
        let scan = scan(&inner, w);
        state.progress.send_if_modified(|p| {
            let changed = p.0 != scan.watermark;
            p.0 = scan.watermark;
            changed
        });
        let ready = state.ready.load(Ordering::Acquire);
        let urgent =
            state.target.load(Ordering::Acquire) > scan.watermark || inner.bound().pressed();
        let deadline = scan.oldest.map(|since| since + inner.config().flush_interval);
        let due = ready > 0
            && (urgent
                || ready >= inner.config().batch_size
                || deadline.is_some_and(|d| d <= Instant::now()));
        if due && !inner.health().is_up() {
            // An outage: no batch is taken (its writes could no longer
            // fold) until the prober finds the store back.
            tokio::select! {
                () = inner.health().wait_up() => {}
                () = inner.stopped() => break,
            }
            continue;
        }
        if !due {
            tokio::select! {
                () = state.wake.notified() => {}
                () = sleep_until(deadline) => {}
                () = inner.stopped() => break,
            }
            continue;
        }
        let batch = take_batch(&inner, w);
        tokio::select! {
            outcomes = flush(&inner, batch.writes(), &mut rng) => complete(&inner, batch, outcomes),
            () = inner.stopped() => break,
        }
    }
}

struct StopOnDrop<'a>(&'a WorkerState);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.progress.send_modify(|p| p.1 = true);
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// The watermark and oldest write of worker `w`'s shards. The clock is
/// read first: a write versioned before that read is already in its shard
/// (versioning and queueing happen under one lock), so if no shard holds
/// anything older, everything up to the reading is done.
fn scan<S: Store>(inner: &Inner<S>, w: usize) -> Scan {
    let now = inner.clock().last();
    let mut watermark = now;
    let mut oldest: Option<Instant> = None;
    for s in inner.buffer().shards_of(w) {
        let shard = inner.buffer().lock(s);
        if let Some(min) = shard.min_pending() {
            watermark = watermark.min(min - 1);
        }
        if let Some(since) = shard.oldest() {
            oldest = Some(oldest.map_or(since, |o| o.min(since)));
        }
    }
    Scan { watermark, oldest }
}

/// Takes up to `batch_size` ready keys from worker `w`'s shards, oldest
/// first within each shard and a fair share from each, and marks their
/// front ops in flight.
fn take_batch<S: Store>(inner: &Inner<S>, w: usize) -> Batch {
    let limit = inner.config().batch_size;
    let shards: Vec<usize> = inner.buffer().shards_of(w).collect();
    let share = limit.div_ceil(shards.len());
    let expected = limit.min(inner.progress().workers[w].ready.load(Ordering::Acquire));
    let mut batch = Batch::with_capacity(expected);
    for pass_share in [share, limit] {
        for &s in &shards {
            if batch.len() >= limit {
                break;
            }
            let mut shard = inner.buffer().lock(s);
            let want = pass_share.min(limit - batch.len());
            for _ in 0..want {
                let Some(Taken { write, first_version }) = shard.take_ready() else { break };
                batch.push(write, s, first_version);
            }
        }
    }
    inner.unready(w, batch.len());
    batch
}

/// Writes a batch to the store and says what became of each write.
pub(crate) async fn flush<S: Store>(
    inner: &Inner<S>,
    writes: &[Write],
    rng: &mut fastrand::Rng,
) -> Vec<Outcome> {
    let mut outcomes = vec![Outcome::Stored; writes.len()];
    // Without a deadline only permanent failures end the loop, and those
    // are recorded in `outcomes`.
    let _ = write_isolating(inner, writes, &mut outcomes, rng, None).await;
    outcomes
}

/// Writes `writes`, retrying transient failures for as long as it takes and
/// splitting on permanent ones until each refused write is alone; records
/// dead letters in `outcomes`. With a `deadline` (a caller waiting on a
/// direct write), transient failures are retried only until it passes, and
/// the last error is returned; an attempt is never cut off half-way.
pub(crate) async fn write_isolating<S: Store>(
    inner: &Inner<S>,
    writes: &[Write],
    outcomes: &mut [Outcome],
    rng: &mut fastrand::Rng,
    deadline: Option<Instant>,
) -> Result<(), StoreError> {
    let policy = inner.config().retry;
    // Work list of ranges still to write, how often each single write has
    // been refused (only counted once it is alone), and when the store
    // first failed them (a dead letter's first failure).
    let mut todo: Vec<(Range<usize>, u32, Option<SystemTime>)> = vec![(0..writes.len(), 0, None)];
    let mut transient_attempt = 0u32;
    let mut refusals = Refusals::default();
    let mut retrying = ForgetOnDrop { retrying: inner.retrying(), writes, failed: false };
    while let Some((range, refused, first_failure)) = todo.pop() {
        if range.is_empty() {
            continue;
        }
        let part = &writes[range.clone()];
        if !inner.health().is_up() {
            if deadline.is_some()
                && let Some(refused) = inner.health().refusal()
            {
                return Err(refused);
            }
            inner.health().wait_up().await;
        }
        if let Some(rate) = inner.rate() {
            rate.acquire(part.len()).await;
        }
        let result = inner.store().write(part).await;
        let first_failure = match &result {
            Ok(()) => first_failure,
            Err(_) => Some(first_failure.unwrap_or_else(SystemTime::now)),
        };
        if let Err(e) = &result {
            // `JOTTER.KEY` reports these writes as retrying, with this error.
            inner.retrying().failed(part, e.message());
            retrying.failed = true;
        }
        match result {
            Ok(()) => {
                transient_attempt = 0;
                inner.counters().batch_done(part.len());
                if retrying.failed {
                    inner.retrying().done(part);
                }
            }
            Err(e) if e.is_unavailable() => {
                // Not a retry count: the circuit opens, and this range is
                // sent again once a probe finds the store back.
                inner.counters().failed(deadline.is_none());
                inner.health().trip(&e, inner.bound().used().entries);
                if deadline.is_some() {
                    return Err(e);
                }
                todo.push((range, refused, first_failure));
            }
            Err(e) if e.is_transient() => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    inner.counters().failed(false);
                    return Err(e);
                }
                inner.counters().failed(true);
                tracing::warn!(error = %LogText(e.message()), writes = part.len(), attempt = transient_attempt, "store write failed; retrying");
                tokio::time::sleep(policy.delay(transient_attempt, rng)).await;
                transient_attempt = transient_attempt.saturating_add(1);
                todo.push((range, refused, first_failure));
            }
            Err(e) if range.len() > 1 => {
                inner.counters().failed(false);
                let mid = range.start + range.len() / 2;
                // Pushed in reverse so the first half goes first.
                todo.push((mid..range.end, 0, first_failure));
                todo.push((range.start..mid, 0, first_failure));
                refusals.split(range.len(), e.message());
            }
            Err(e) => {
                let refused = refused + 1;
                let retrying = refused < policy.dead_letter_after;
                inner.counters().failed(retrying);
                if retrying {
                    tokio::time::sleep(policy.delay(refused - 1, rng)).await;
                    todo.push((range, refused, first_failure));
                } else {
                    refusals.dead_lettered(&part[0].key, e.message());
                    outcomes[range.start] = Outcome::Dead {
                        error: e.message().to_owned(),
                        attempts: refused,
                        first_failure: first_failure.unwrap_or_else(SystemTime::now),
                    };
                }
            }
        }
    }
    Ok(())
}

/// Finishes a batch in the buffer: removes what was stored or
/// dead-lettered, gives back its room, readies the keys' next ops.
fn complete<S: Store>(inner: &Inner<S>, batch: Batch, outcomes: Vec<Outcome>) {
    complete_inner(inner, batch, outcomes, false);
}

/// [`complete`] for a batch written by someone other than the shards'
/// worker (transactions' groups, `group_flush.rs`), whose ops were counted
/// as direct writes.
pub(crate) fn complete_direct<S: Store>(inner: &Inner<S>, batch: Batch, outcomes: Vec<Outcome>) {
    complete_inner(inner, batch, outcomes, true);
}

/// [`complete`]; `direct` for [`complete_direct`].
fn complete_inner<S: Store>(inner: &Inner<S>, batch: Batch, outcomes: Vec<Outcome>, direct: bool) {
    // One lock per shard: the writes grouped by the shard they came from.
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by_key(|&i| batch.origin(i).shard);
    let mut released = 0usize;
    let mut at = 0;
    while at < order.len() {
        let s = batch.origin(order[at]).shard;
        let mut shard = inner.buffer().lock(s);
        while at < order.len() && batch.origin(order[at]).shard == s {
            let i = order[at];
            let write = &batch.writes()[i];
            let stored = matches!(outcomes[i], Outcome::Stored);
            if direct {
                shard.direct_done(batch.origin(i).first_version);
            }
            let done = inner.complete_one(&mut shard, s, &write.key, write.version, stored);
            if let Outcome::Dead { error, attempts, first_failure } = &outcomes[i] {
                let letter = DeadLetter {
                    write: write.clone(),
                    error: error.clone(),
                    // Only a permanent refusal is dead-lettered; a transient
                    // one is retried for as long as it takes.
                    error_kind: ErrorClass::Permanent,
                    attempts: *attempts,
                    first_failure: *first_failure,
                    last_failure: SystemTime::now(),
                    first_version: batch.origin(i).first_version,
                };
                inner.progress().dead.push(letter, done.lsn);
            }
            released += done.weight;
            at += 1;
        }
    }
    inner.bound().release(order.len() as u64, released as u64);
}
