//! What a worker makes sure of on every connection before it reads a
//! record: the layout's metadata (created by the first process, with its
//! number of shards; every process uses the number stored), a consumer
//! group on every shard stream, its function library loaded, and the
//! cluster's clock at or above the store's highest version.

use redis::aio::MultiplexedConnection;

use super::SessionError;
use crate::layout::{CLOCK, CONSUMER_GROUP, FORMAT, META, shard_stream};

/// The worker's function library (`jotter_worker`).
const LIBRARY: &str = include_str!("../worker.lua");

/// Creates or checks the layout, loads the library; returns the number of
/// shard streams.
pub(crate) async fn prepare(
    connection: &mut MultiplexedConnection,
    shards: u32,
) -> Result<u32, SessionError> {
    let () = redis::pipe()
        .cmd("HSETNX")
        .arg(META)
        .arg("format")
        .arg(FORMAT)
        .ignore()
        .cmd("HSETNX")
        .arg(META)
        .arg("shards")
        .arg(shards)
        .ignore()
        .query_async(connection)
        .await?;
    let (format, stored): (Option<String>, Option<String>) = redis::pipe()
        .cmd("HGET")
        .arg(META)
        .arg("format")
        .cmd("HGET")
        .arg(META)
        .arg("shards")
        .query_async(connection)
        .await?;
    if format.as_deref() != Some(FORMAT.to_string().as_str()) {
        return Err(SessionError::Layout(format!(
            "the cluster's layout is format {}, this worker knows format {FORMAT}: run a jotter \
             of the same release as the front ends",
            format.unwrap_or_else(|| "(none)".into())
        )));
    }
    let stored =
        stored.and_then(|s| s.parse::<u32>().ok()).filter(|&n| n > 0).ok_or_else(|| {
            SessionError::Layout(format!("{META} holds no usable shards field: fix or remove it"))
        })?;
    if stored != shards {
        tracing::info!(
            configured = shards,
            stored,
            "the cluster was created with another number of shards; using the stored one"
        );
    }
    for shard in 0..stored {
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(shard_stream(shard))
            .arg(CONSUMER_GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(connection)
            .await;
        match created {
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            other => other?,
        }
    }
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg("REPLACE")
        .arg(LIBRARY)
        .query_async(connection)
        .await?;
    Ok(stored)
}

/// Raises the cluster's clock to at least `floor`; returns the clock after.
pub(crate) async fn raise_clock(
    connection: &mut MultiplexedConnection,
    floor: u64,
) -> redis::RedisResult<String> {
    redis::cmd("FCALL")
        .arg("jotter_worker_floor")
        .arg(1)
        .arg(CLOCK)
        .arg(floor.to_string())
        .query_async(connection)
        .await
}
