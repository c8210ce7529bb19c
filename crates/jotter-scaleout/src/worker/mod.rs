//! The flush workers: a pool of stateless processes that move the writes
//! front ends recorded in Redis into the store.
//!
//! Each worker reads every shard stream in the consumer group
//! [`CONSUMER_GROUP`](crate::CONSUMER_GROUP) under a consumer name of its
//! own, coalesces the records of a batch per key, reads each key's current
//! value with its version in one atomic step (`jotter_read`, in
//! `worker.lua`), writes them into the store as whole-value versioned
//! writes, and acknowledges the records only after the store's commit.
//! What it guarantees:
//!
//! - **Nothing acknowledged before it is stored.** A worker that dies
//!   leaves its records pending; another claims them after `claim-idle`
//!   (`XAUTOCLAIM`) and writes them again.
//! - **No regression.** The version written is the one read with the
//!   value, never the record's own, and the store applies a write only if
//!   it is newer: a late batch of a paused worker, or a record written
//!   twice, cannot put an older value over a newer one.
//! - **Poison isolated.** A batch the store refuses for good is split
//!   until the refused writes are alone; the rest is stored. A refused
//!   record stays pending and is delivered again through claims; once
//!   delivered `max-deliveries` times it goes to
//!   [`DEAD_LETTERS`](crate::DEAD_LETTERS) with the store's error and is
//!   acknowledged.
//! - **Versions never go back.** On start and on every reconnect the
//!   cluster's clock is raised to at least the store's highest version (or
//!   what this worker committed).
//!
//! # Layout
//!
//! - `mod.rs` (this file): the loop around a connection, reconnecting.
//! - `settings.rs`, `error.rs`: what a worker is told, reports and fails with.
//! - `setup.rs`: the layout in Redis, the function library, the clock floor.
//! - `records.rs`: change records as the streams hand them out, by key.
//! - `read.rs`: keys' values and versions from Redis, as store writes.
//! - `load.rs`: `--load-store`, the store's keys into a Redis without them.
//! - `flush.rs`: one batch into the store, then acknowledged or dead-lettered.
//! - `streams.rs`: reading, claiming, acknowledging and trimming the streams.

mod error;
mod flush;
mod load;
mod read;
pub(crate) mod records;
mod settings;
mod setup;
mod streams;

use std::time::Duration;

use jotter::Store;
use tokio::sync::watch;
use tokio::time::Instant;

pub(crate) use self::error::SessionError;
pub use self::error::WorkerError;
pub use self::settings::{WorkerReport, WorkerSettings};
use crate::connect::connect;
use crate::url::ClusterUrl;

/// The longest wait between two attempts to reach the cluster again.
const MAX_RECONNECT_WAIT: Duration = Duration::from_secs(5);

/// Runs a worker until `stop` turns true: the batch in hand is finished and
/// acknowledged first. Reconnects (to the new primary after a failover)
/// whenever Redis fails.
///
/// # Errors
///
/// [`WorkerError::Connect`] when the cluster cannot be reached at start,
/// [`WorkerError::Layout`] when its layout is not format 1,
/// [`WorkerError::Load`] when `load_store` is set and the store cannot be
/// read.
pub async fn run<S: Store>(
    url: &ClusterUrl,
    store: S,
    settings: WorkerSettings,
    stop: watch::Receiver<bool>,
) -> Result<WorkerReport, WorkerError> {
    let mut worker = flush::Worker::new(store, settings, stop);
    let mut connection = connect(url).await?;
    let mut wait = Duration::from_millis(100);
    loop {
        let started = Instant::now();
        match worker.session(&mut connection).await {
            Ok(()) => return Ok(worker.report()),
            Err(SessionError::Layout(e)) => return Err(WorkerError::Layout(e)),
            Err(SessionError::Load(e)) => return Err(WorkerError::Load(e)),
            Err(SessionError::Redis(e)) => {
                tracing::warn!(error = %e, "lost the cluster's primary; connecting again");
            }
        }
        if started.elapsed() > MAX_RECONNECT_WAIT {
            wait = Duration::from_millis(100);
        }
        loop {
            if worker.stopping() {
                return Ok(worker.report());
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(MAX_RECONNECT_WAIT);
            match connect(url).await {
                Ok(c) => {
                    connection = c;
                    break;
                }
                Err(e) => tracing::warn!(error = %e, "cannot reach the cluster; trying again"),
            }
        }
    }
}
