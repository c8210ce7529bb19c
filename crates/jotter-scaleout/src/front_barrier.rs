//! `JOTTER.FLUSH` across the cluster, and what `/metrics` shows of the
//! shard streams: a barrier notes each shard stream's last entry now, then
//! waits until the consumer group `workers` on each has delivered past it
//! and holds no pending (delivered, not yet acknowledged) entry at or
//! below it. Workers acknowledge an entry only after the store's commit,
//! so every write taken before the barrier is then in the store (or a
//! dead letter).

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamInfoGroupsReply, StreamPendingCountReply, StreamRangeReply};

use crate::layout::{CONSUMER_GROUP, DEAD_LETTERS, shard_stream};

/// How often the barrier looks again.
const POLL: Duration = Duration::from_millis(20);

/// The barrier did not pass.
#[derive(Debug, thiserror::Error)]
pub enum BarrierError {
    /// Redis refused a command or the connection broke.
    #[error("the barrier could not read the shard streams: {0}")]
    Redis(#[from] redis::RedisError),
    /// The timeout passed first.
    #[error(
        "JOTTER.FLUSH timed out with {waiting} shard streams whose workers have not yet \
         acknowledged every change taken before it; they are kept and still being flushed \
         (are workers running?)"
    )]
    Timeout {
        /// Shard streams still behind.
        waiting: usize,
    },
}

/// A stream entry id as (milliseconds, sequence), for ordering.
fn parse_id(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}

/// Waits until every change record appended to the `shards` shard streams
/// before the call is acknowledged by the workers; `None`: no timeout.
///
/// # Errors
///
/// [`BarrierError`] on a Redis error or the timeout.
pub async fn barrier(
    connection: &mut MultiplexedConnection,
    shards: u32,
    timeout: Option<Duration>,
) -> Result<(), BarrierError> {
    let mut targets = Vec::new();
    for shard in 0..shards {
        let stream = shard_stream(shard);
        let last: StreamRangeReply = connection.xrevrange_count(&stream, "+", "-", 1).await?;
        if let Some(entry) = last.ids.into_iter().next() {
            targets.push((stream, entry.id));
        }
    }
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    loop {
        let mut behind = Vec::new();
        for (stream, id) in targets {
            if !passed(connection, &stream, &id).await? {
                behind.push((stream, id));
            }
        }
        if behind.is_empty() {
            return Ok(());
        }
        if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
            return Err(BarrierError::Timeout { waiting: behind.len() });
        }
        targets = behind;
        tokio::time::sleep(POLL).await;
    }
}

/// Whether the group on `stream` has delivered `id` and acknowledged every
/// entry up to it.
async fn passed(
    connection: &mut MultiplexedConnection,
    stream: &str,
    id: &str,
) -> Result<bool, redis::RedisError> {
    let groups: StreamInfoGroupsReply = connection.xinfo_groups(stream).await?;
    let Some(group) = groups.groups.iter().find(|g| g.name == CONSUMER_GROUP) else {
        return Ok(false);
    };
    if parse_id(&group.last_delivered_id) < parse_id(id) {
        return Ok(false);
    }
    let pending: StreamPendingCountReply =
        connection.xpending_count(stream, CONSUMER_GROUP, "-", id, 1).await?;
    Ok(pending.ids.is_empty())
}

/// One shard stream as `/metrics` shows it.
#[derive(Debug, Clone, Default)]
pub struct ShardStats {
    /// The shard's number.
    pub shard: u32,
    /// Entries not yet delivered to the group (`lag`; `None` when Redis
    /// cannot tell, after a deletion).
    pub lag: Option<usize>,
    /// Entries delivered, not yet acknowledged.
    pub pending: usize,
    /// Pending entries per consumer.
    pub consumers: Vec<(String, usize)>,
}

/// Every shard stream's lag and pending entries, and the dead letters'
/// count.
///
/// # Errors
///
/// A Redis error.
pub async fn stream_stats(
    connection: &mut MultiplexedConnection,
    shards: u32,
) -> Result<(Vec<ShardStats>, usize), redis::RedisError> {
    let mut stats = Vec::new();
    for shard in 0..shards {
        let stream = shard_stream(shard);
        let groups: StreamInfoGroupsReply = connection.xinfo_groups(&stream).await?;
        let Some(group) = groups.groups.into_iter().find(|g| g.name == CONSUMER_GROUP) else {
            continue;
        };
        let consumers: redis::streams::StreamInfoConsumersReply =
            connection.xinfo_consumers(&stream, CONSUMER_GROUP).await?;
        stats.push(ShardStats {
            shard,
            lag: group.lag,
            pending: group.pending,
            consumers: consumers.consumers.into_iter().map(|c| (c.name, c.pending)).collect(),
        });
    }
    let dead: usize = connection.xlen(DEAD_LETTERS).await?;
    Ok((stats, dead))
}

#[cfg(test)]
mod tests {
    use super::parse_id;

    #[test]
    fn ids_order_by_time_then_sequence() {
        assert!(parse_id("1-2") < parse_id("1-10"));
        assert!(parse_id("9-0") < parse_id("10-0"));
        assert_eq!(parse_id("5"), (5, 0));
    }
}
