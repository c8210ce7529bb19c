//! One worker's loop on one connection, and one batch of records into the
//! store: coalesced per key, read from Redis with their versions, written
//! with the store's versioned rules, and only then acknowledged.
//!
//! Store failures are sorted as the engine sorts them (`flusher.rs` in
//! `jotter`): an unavailable store or a transient failure is retried with
//! back-off for as long as it takes (nothing acknowledged, nothing lost;
//! a stop during the wait leaves the batch pending for another worker); a
//! permanent one splits the batch in halves until the refused writes are
//! alone, and the rest is stored. A refused key's records stay pending and
//! come back through claims; once one was delivered `max-deliveries` times,
//! the key's write goes to the dead-letter stream and its records are
//! acknowledged.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use jotter::{Change, DeadLetter, Store, Write};
use redis::aio::MultiplexedConnection;
use tokio::sync::watch;
use tokio::time::Instant;

use super::records::{self, KeyRecords, Record};
use super::{SessionError, WorkerReport, WorkerSettings, load, read, setup, streams};

/// Time a reply may take beyond a blocking read's own wait.
const RESPONSE_SLACK: Duration = Duration::from_secs(30);
/// The first and the longest wait between two tries of a failed store write.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(10);
/// A consumer with nothing pending, idle for this many `claim-idle`s, is
/// a worker gone: it is removed from the group.
const STALE_CONSUMER_CLAIMS: u32 = 10;

pub(crate) struct Worker<S> {
    store: S,
    settings: WorkerSettings,
    stop: watch::Receiver<bool>,
    /// The highest version this worker has seen committed.
    committed: u64,
    report: WorkerReport,
    rng: fastrand::Rng,
    /// Per shard, the consumers last seen with records pending (for the
    /// gauges).
    consumers: BTreeMap<u32, Vec<String>>,
    /// Whether the clock was raised to the store's highest version in this
    /// session (false while the store could not say).
    store_floor_raised: bool,
}

/// A key the store (or the reading of its value) refused: its records and
/// the write, if one could be built, with the error.
struct Refused<'a> {
    key: &'a Bytes,
    records: &'a KeyRecords,
    write: Option<Write>,
    error: String,
}

impl<S: Store> Worker<S> {
    pub(crate) fn new(store: S, settings: WorkerSettings, stop: watch::Receiver<bool>) -> Self {
        Worker {
            store,
            settings,
            stop,
            committed: 0,
            report: WorkerReport::default(),
            rng: fastrand::Rng::new(),
            consumers: BTreeMap::new(),
            store_floor_raised: false,
        }
    }

    pub(crate) fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    pub(crate) fn report(&self) -> WorkerReport {
        self.report
    }

    /// Sets up the layout, raises the clock, then reads, claims and flushes
    /// until told to stop (`Ok`) or Redis fails.
    pub(crate) async fn session(
        &mut self,
        connection: &mut MultiplexedConnection,
    ) -> Result<(), SessionError> {
        connection.set_response_timeout(self.settings.max_age + RESPONSE_SLACK);
        let shards = setup::prepare(connection, self.settings.shards).await?;
        self.store_floor_raised = false;
        self.raise_clock(connection).await?;
        if self.settings.load_store {
            // Again after a reconnect until it ran to its end: keys loaded
            // before are kept, so a second run only adds the rest.
            load::load(connection, &self.store).await?;
            self.settings.load_store = false;
        }
        tracing::info!(consumer = %self.settings.consumer, shards, "flushing the cluster's writes");
        let claim_every = (self.settings.claim_idle / 2).max(Duration::from_millis(100));
        let mut last_claim: Option<Instant> = None;
        loop {
            if self.stopping() {
                return Ok(());
            }
            if last_claim.is_none_or(|at| at.elapsed() >= claim_every) {
                last_claim = Some(Instant::now());
                self.claim_and_trim(connection, shards).await?;
            }
            let records = streams::read_new(
                connection,
                &self.settings.consumer,
                shards,
                self.settings.batch_size,
                self.settings.max_age,
            )
            .await?;
            if !records.is_empty() {
                self.flush(connection, records).await?;
            }
        }
    }

    /// Raises the cluster's clock to the store's highest version, or to
    /// what this worker committed if the store cannot say now (then it is
    /// asked again at every claim round until it answers).
    async fn raise_clock(
        &mut self,
        connection: &mut MultiplexedConnection,
    ) -> Result<(), SessionError> {
        let floor = match self.store.max_version().await {
            Ok(max) => {
                self.store_floor_raised = true;
                max.max(self.committed)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the store cannot tell its highest version; raising the clock to what this worker committed, and asking again later");
                self.committed
            }
        };
        if floor > 0 {
            let clock = setup::raise_clock(connection, floor).await?;
            tracing::info!(floor, clock, "the cluster's clock is at or above the store's versions");
        }
        Ok(())
    }

    /// Claims every shard's idle records and flushes them, trims what is
    /// acknowledged, and updates the streams' gauges.
    async fn claim_and_trim(
        &mut self,
        connection: &mut MultiplexedConnection,
        shards: u32,
    ) -> Result<(), SessionError> {
        if !self.store_floor_raised {
            self.raise_clock(connection).await?;
        }
        let dead: u64 =
            redis::cmd("XLEN").arg(crate::layout::DEAD_LETTERS).query_async(connection).await?;
        metrics::gauge!("jotter_worker_dead_letters").set(dead as f64);
        for shard in 0..shards {
            let claimed = streams::claim(
                connection,
                &self.settings.consumer,
                shard,
                self.settings.claim_idle,
                self.settings.batch_size,
            )
            .await?;
            if !claimed.is_empty() {
                tracing::info!(shard, records = claimed.len(), "claimed idle records");
                self.report.claimed += claimed.len() as u64;
                metrics::counter!("jotter_worker_claimed_total").increment(claimed.len() as u64);
                self.flush(connection, claimed).await?;
            }
            let stale = self.settings.claim_idle * STALE_CONSUMER_CLAIMS;
            let state = streams::trim(connection, shard, stale).await?;
            let stream = crate::layout::shard_stream(shard);
            metrics::counter!("jotter_worker_trimmed_total").increment(state.trimmed);
            metrics::gauge!("jotter_worker_stream_lag", "stream" => stream.clone())
                .set(state.lag as f64);
            metrics::gauge!("jotter_worker_stream_pending", "stream" => stream.clone())
                .set(state.pending as f64);
            // XPENDING names only consumers with records pending: one it
            // named last time and not now has none left.
            let now = streams::pending_by_consumer(connection, shard).await?;
            let before = self.consumers.insert(shard, now.iter().map(|(c, _)| c.clone()).collect());
            let gone: Vec<(String, u64)> = before
                .unwrap_or_default()
                .into_iter()
                .filter(|c| !now.iter().any(|(n, _)| n == c))
                .map(|c| (c, 0))
                .collect();
            for (consumer, count) in gone.into_iter().chain(now) {
                metrics::gauge!(
                    "jotter_worker_consumer_pending",
                    "stream" => stream.clone(),
                    "consumer" => consumer
                )
                .set(count as f64);
            }
        }
        Ok(())
    }

    /// Stores the keys `records` name as Redis holds them now, then
    /// acknowledges their records (or dead-letters what the store refuses
    /// for good).
    async fn flush(
        &mut self,
        connection: &mut MultiplexedConnection,
        records: Vec<Record>,
    ) -> Result<(), SessionError> {
        let (keys, stray) = records::by_key(records);
        if !stray.is_empty() {
            tracing::warn!(
                records = stray.len(),
                "acknowledging entries that are not change records"
            );
            streams::ack(connection, &stray.iter().collect::<Vec<_>>()).await?;
        }
        let keys: Vec<(Bytes, KeyRecords)> = keys.into_iter().collect();
        for chunk in keys.chunks(self.settings.batch_size) {
            let names: Vec<Bytes> = chunk.iter().map(|(k, _)| k.clone()).collect();
            let fallback: Vec<u64> = chunk.iter().map(|(_, r)| r.version).collect();
            let mut writes = Vec::with_capacity(chunk.len());
            let mut of_write = Vec::with_capacity(chunk.len());
            let mut refused = Vec::new();
            for ((key, records), read) in
                chunk.iter().zip(read::writes(connection, &names, &fallback).await?)
            {
                match read {
                    Ok(write) => {
                        writes.push(write);
                        of_write.push((key, records));
                    }
                    Err(error) => refused.push(Refused { key, records, write: None, error }),
                }
            }
            let Some(outcomes) = self.store_isolating(&writes).await else {
                // Stopped while the store was failing: the records stay
                // pending, and another worker claims them.
                return Ok(());
            };
            let mut stored = Vec::new();
            let mut versions: Vec<(&[u8], u64)> = Vec::new();
            for ((write, (key, records)), outcome) in writes.into_iter().zip(of_write).zip(outcomes)
            {
                match outcome {
                    None => {
                        self.committed = self.committed.max(write.version);
                        stored.extend(records.records.iter());
                        versions.push((key.as_ref(), write.version));
                    }
                    Some(error) => {
                        refused.push(Refused { key, records, write: Some(write), error })
                    }
                }
            }
            let count = stored.len();
            streams::ack_stored(connection, &stored, &versions).await?;
            self.report.stored += (chunk.len() - refused.len()) as u64;
            metrics::counter!("jotter_worker_batches_total").increment(1);
            metrics::counter!("jotter_worker_stored_total")
                .increment((chunk.len() - refused.len()) as u64);
            tracing::debug!(keys = chunk.len(), records = count, "batch stored");
            for refused in refused {
                self.refused(connection, refused).await?;
            }
        }
        Ok(())
    }

    /// A key the store refused for good: its records stay pending (to be
    /// delivered again through claims) until one was delivered
    /// `max-deliveries` times; then its write goes to the dead letters.
    async fn refused(
        &mut self,
        connection: &mut MultiplexedConnection,
        refused: Refused<'_>,
    ) -> Result<(), SessionError> {
        let mut deliveries = 0;
        for record in &refused.records.records {
            deliveries =
                deliveries.max(streams::deliveries(connection, record.shard, &record.id).await?);
        }
        let key = jotter::LogKey(refused.key);
        if deliveries < self.settings.max_deliveries {
            tracing::warn!(key = %key, deliveries, error = %jotter::LogText(&refused.error), "the store refused a write; it will be delivered again");
            return Ok(());
        }
        let write = refused.write.unwrap_or_else(|| {
            Write::new(refused.key.clone(), refused.records.version, Change::Put(Bytes::new()))
        });
        let attempts = u32::try_from(deliveries).unwrap_or(u32::MAX);
        let letter = DeadLetter::refused(write, refused.error, attempts, SystemTime::now());
        let last = refused.records.records.last().expect("a key has a record");
        streams::dead_letter(connection, &letter, last).await?;
        streams::ack(connection, &refused.records.records.iter().collect::<Vec<_>>()).await?;
        self.report.dead_lettered += 1;
        metrics::counter!("jotter_worker_dead_letters_total").increment(1);
        tracing::error!(key = %key, deliveries, error = %jotter::LogText(&letter.error), "dead-lettered a write the store refuses");
        Ok(())
    }

    /// Writes `writes`, retrying unavailable and transient failures with
    /// back-off and splitting on permanent ones until each refused write is
    /// alone. Per write, `None` (stored) or the store's error; `None` for
    /// the whole when told to stop while the store was failing.
    async fn store_isolating(&mut self, writes: &[Write]) -> Option<Vec<Option<String>>> {
        let mut outcomes = vec![None; writes.len()];
        // A work list of ranges still to write, the first half on top.
        let mut todo: Vec<Range<usize>> = Vec::new();
        todo.push(0..writes.len());
        let mut attempt = 0u32;
        while let Some(range) = todo.pop() {
            if range.is_empty() {
                continue;
            }
            match self.store.write(&writes[range.clone()]).await {
                Ok(()) => attempt = 0,
                Err(e) if e.is_transient() => {
                    metrics::counter!("jotter_worker_store_failures_total").increment(1);
                    tracing::warn!(error = %jotter::LogText(e.message()), writes = range.len(), attempt, "store write failed; retrying");
                    if !self.pause(attempt).await {
                        return None;
                    }
                    attempt = attempt.saturating_add(1);
                    todo.push(range);
                }
                Err(_) if range.len() > 1 => {
                    metrics::counter!("jotter_worker_store_failures_total").increment(1);
                    let mid = range.start + range.len() / 2;
                    // Pushed in reverse so the first half goes first.
                    todo.push(mid..range.end);
                    todo.push(range.start..mid);
                }
                Err(e) => outcomes[range.start] = Some(e.message().to_owned()),
            }
        }
        Some(outcomes)
    }

    /// Waits before retry `attempt` (doubling, capped, drawn from the upper
    /// half so that workers do not retry in step); false if told to stop.
    async fn pause(&mut self, attempt: u32) -> bool {
        let ceiling = RETRY_FIRST.saturating_mul(1u32 << attempt.min(16)).min(RETRY_MAX);
        let half = ceiling / 2;
        let jitter = u64::try_from(half.as_millis()).unwrap_or(0);
        let wait = half + Duration::from_millis(self.rng.u64(0..=jitter));
        let mut stop = self.stop.clone();
        tokio::select! {
            () = tokio::time::sleep(wait) => !self.stopping(),
            _ = stop.wait_for(|stop| *stop) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jotter::MemoryStore;

    fn worker(store: MemoryStore) -> (Worker<MemoryStore>, watch::Sender<bool>) {
        let settings = WorkerSettings {
            consumer: "test".into(),
            batch_size: 100,
            max_age: Duration::from_millis(10),
            claim_idle: Duration::from_secs(1),
            max_deliveries: 3,
            shards: 1,
            load_store: false,
        };
        let (stop, stopped) = watch::channel(false);
        (Worker::new(store, settings, stopped), stop)
    }

    fn writes(n: u64) -> Vec<Write> {
        (0..n).map(|i| Write::new(format!("k{i}"), 10 + i, Change::Put(Bytes::from("v")))).collect()
    }

    #[tokio::test]
    async fn a_refused_write_is_isolated_and_the_rest_stored() {
        let store = MemoryStore::new();
        store.faults().reject_key("k6");
        let (mut worker, _stop) = worker(store.clone());
        let outcomes = worker.store_isolating(&writes(10)).await.expect("not stopped");
        let refused: Vec<usize> =
            outcomes.iter().enumerate().filter(|(_, o)| o.is_some()).map(|(i, _)| i).collect();
        assert_eq!(refused, vec![6]);
        assert_eq!(store.snapshot().len(), 9);
    }

    #[tokio::test]
    async fn transient_failures_are_retried_until_the_batch_is_stored() {
        let store = MemoryStore::new();
        store.faults().fail_next_writes(2);
        let (mut worker, _stop) = worker(store.clone());
        let outcomes = worker.store_isolating(&writes(5)).await.expect("not stopped");
        assert!(outcomes.iter().all(Option::is_none));
        assert_eq!(store.snapshot().len(), 5);
    }

    #[tokio::test]
    async fn a_stop_while_the_store_is_down_leaves_the_batch_unwritten() {
        let store = MemoryStore::new();
        store.faults().set_unavailable(true);
        let (mut worker, stop) = worker(store.clone());
        let write = tokio::spawn(async move { worker.store_isolating(&writes(3)).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.send(true).unwrap();
        assert_eq!(write.await.unwrap(), None);
        assert!(store.snapshot().is_empty());
    }
}
