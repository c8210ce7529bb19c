//! The worker's side of the shard streams: reading new records
//! (`XREADGROUP`), claiming the records other consumers left idle
//! (`XAUTOCLAIM`), how often a record was delivered (`XPENDING`),
//! acknowledging (`XACK`, with the stored versions of what the store
//! committed: `jotter_stored`), dead-lettering (`XADD` to
//! [`DEAD_LETTERS`](crate::DEAD_LETTERS)) and trimming what every consumer
//! has acknowledged (`jotter_trim`: `XTRIM MINID` below the oldest entry
//! still pending or undelivered, and the consumers of workers long gone
//! dropped), which also reports each stream's lag and pending records for
//! the metrics.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jotter::DeadLetter;
use redis::Value;
use redis::aio::MultiplexedConnection;

use super::records::{self, Record, bytes};
use crate::layout::{CONSUMER_GROUP, DEAD_LETTERS, shard_stream};

/// Bytes of a dead letter's value kept in its `value_prefix` field, as a
/// single node's listings show it.
const PREFIX_BYTES: usize = 64;

/// New records on any of `shards` streams, at most `count` per stream,
/// waiting up to `block` for the first.
pub(crate) async fn read_new(
    connection: &mut MultiplexedConnection,
    consumer: &str,
    shards: u32,
    count: usize,
    block: Duration,
) -> redis::RedisResult<Vec<Record>> {
    let mut read = redis::cmd("XREADGROUP");
    read.arg("GROUP").arg(CONSUMER_GROUP).arg(consumer).arg("COUNT").arg(count);
    read.arg("BLOCK").arg(u64::try_from(block.as_millis()).unwrap_or(u64::MAX).max(1));
    read.arg("STREAMS");
    for shard in 0..shards {
        read.arg(shard_stream(shard));
    }
    for _ in 0..shards {
        read.arg(">");
    }
    let reply: Value = read.query_async(connection).await?;
    Ok(records::read_reply(&reply))
}

/// Records idle longer than `idle` on shard `shard`, taken over by
/// `consumer` (at most `count`; their delivery counts go up by one).
pub(crate) async fn claim(
    connection: &mut MultiplexedConnection,
    consumer: &str,
    shard: u32,
    idle: Duration,
    count: usize,
) -> redis::RedisResult<Vec<Record>> {
    let reply: Value = redis::cmd("XAUTOCLAIM")
        .arg(shard_stream(shard))
        .arg(CONSUMER_GROUP)
        .arg(consumer)
        .arg(u64::try_from(idle.as_millis()).unwrap_or(u64::MAX))
        .arg("0-0")
        .arg("COUNT")
        .arg(count)
        .query_async(connection)
        .await?;
    let Value::Array(parts) = reply else { return Ok(Vec::new()) };
    Ok(parts.get(1).map(|entries| records::entries(shard, entries)).unwrap_or_default())
}

/// How many times the pending record `id` of shard `shard` was delivered
/// (0 if it is no longer pending).
pub(crate) async fn deliveries(
    connection: &mut MultiplexedConnection,
    shard: u32,
    id: &str,
) -> redis::RedisResult<u64> {
    let reply: Value = redis::cmd("XPENDING")
        .arg(shard_stream(shard))
        .arg(CONSUMER_GROUP)
        .arg(id)
        .arg(id)
        .arg(1)
        .query_async(connection)
        .await?;
    // [[id, consumer, idle, deliveries]]
    let Value::Array(rows) = reply else { return Ok(0) };
    Ok(match rows.first() {
        Some(Value::Array(row)) => match row.get(3) {
            Some(Value::Int(n)) => u64::try_from(*n).unwrap_or(0),
            _ => 0,
        },
        _ => 0,
    })
}

/// Acknowledges `records`, one `XACK` per stream, all in one round trip.
pub(crate) async fn ack(
    connection: &mut MultiplexedConnection,
    records: &[&Record],
) -> redis::RedisResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    acks(records).query_async(connection).await
}

/// Acknowledges the records of writes the store committed, and raises
/// each key's stored version to the version committed (`jotter_stored`),
/// in one MULTI/EXEC: a key is never acknowledged without its stored
/// version, which `JOTTER.KEY` on a front end compares with its newest.
pub(crate) async fn ack_stored(
    connection: &mut MultiplexedConnection,
    records: &[&Record],
    stored: &[(&[u8], u64)],
) -> redis::RedisResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    let mut pipe = acks(records);
    pipe.atomic();
    if !stored.is_empty() {
        let call = pipe.cmd("FCALL").arg("jotter_stored").arg(0);
        for (key, version) in stored {
            call.arg(*key).arg(version.to_string());
        }
        call.ignore();
    }
    pipe.query_async(connection).await
}

/// One `XACK` per stream of `records`.
fn acks(records: &[&Record]) -> redis::Pipeline {
    let mut by_shard: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for record in records {
        by_shard.entry(record.shard).or_default().push(&record.id);
    }
    let mut pipe = redis::pipe();
    for (shard, ids) in by_shard {
        pipe.cmd("XACK").arg(shard_stream(shard)).arg(CONSUMER_GROUP).arg(ids).ignore();
    }
    pipe
}

/// Appends `letter` to the dead-letter stream, with the fields a single
/// node's `JOTTER.DEADLETTERS LIST` shows, and the record it came from.
pub(crate) async fn dead_letter(
    connection: &mut MultiplexedConnection,
    letter: &DeadLetter,
    record: &Record,
) -> redis::RedisResult<()> {
    let ms = |at: SystemTime| {
        at.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0))
    };
    let _: String = redis::cmd("XADD")
        .arg(DEAD_LETTERS)
        .arg("*")
        .arg("id")
        .arg(letter.id())
        .arg("key")
        .arg(letter.write.key.as_ref())
        .arg("op")
        .arg(letter.op())
        .arg("value_size")
        .arg(letter.value_size())
        .arg("value_prefix")
        .arg(letter.value_prefix(PREFIX_BYTES).as_ref())
        .arg("error_kind")
        .arg(letter.error_kind.as_str())
        .arg("error")
        .arg(&letter.error)
        .arg("attempts")
        .arg(letter.attempts)
        .arg("first_failure_ms")
        .arg(ms(letter.first_failure))
        .arg("last_failure_ms")
        .arg(ms(letter.last_failure))
        .arg("stream")
        .arg(shard_stream(record.shard))
        .arg("entry")
        .arg(&record.id)
        .query_async(connection)
        .await?;
    Ok(())
}

/// What `jotter_trim` found on one shard stream.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StreamState {
    /// Entries trimmed now.
    pub trimmed: u64,
    /// Records delivered and not yet acknowledged.
    pub pending: u64,
    /// Entries not yet delivered to the group.
    pub lag: u64,
}

/// Trims shard `shard`'s acknowledged entries and drops the consumers
/// with nothing pending idle longer than `stale`; returns its state.
pub(crate) async fn trim(
    connection: &mut MultiplexedConnection,
    shard: u32,
    stale: Duration,
) -> redis::RedisResult<StreamState> {
    let reply: Value = redis::cmd("FCALL")
        .arg("jotter_trim")
        .arg(1)
        .arg(shard_stream(shard))
        .arg(CONSUMER_GROUP)
        .arg(u64::try_from(stale.as_millis()).unwrap_or(u64::MAX))
        .query_async(connection)
        .await?;
    let number = |v: Option<&Value>| {
        v.and_then(bytes)
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| t.parse().ok())
            .unwrap_or(0)
    };
    let Value::Array(parts) = reply else { return Ok(StreamState::default()) };
    Ok(StreamState {
        trimmed: number(parts.first()),
        pending: number(parts.get(1)),
        lag: number(parts.get(2)),
    })
}

/// Records pending with each consumer of shard `shard`'s group.
pub(crate) async fn pending_by_consumer(
    connection: &mut MultiplexedConnection,
    shard: u32,
) -> redis::RedisResult<Vec<(String, u64)>> {
    let reply: Value = redis::cmd("XPENDING")
        .arg(shard_stream(shard))
        .arg(CONSUMER_GROUP)
        .query_async(connection)
        .await?;
    // [count, min, max, [[consumer, count], ...]]
    let Value::Array(parts) = reply else { return Ok(Vec::new()) };
    let Some(Value::Array(consumers)) = parts.get(3) else { return Ok(Vec::new()) };
    Ok(consumers
        .iter()
        .filter_map(|c| {
            let Value::Array(pair) = c else { return None };
            let name = records::text(pair.first()?)?;
            let count = records::text(pair.get(1)?)?.parse().ok()?;
            Some((name, count))
        })
        .collect())
}
