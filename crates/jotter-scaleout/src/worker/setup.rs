//! What a worker makes sure of on every connection before it reads a
//! record: the layout's metadata (created by the first process, with its
//! number of shards; every process uses the number stored), a consumer
//! group on every shard stream, its function library loaded, and the
//! cluster's clock at or above the store's highest version.

use redis::aio::MultiplexedConnection;

use super::SessionError;
use crate::layout::CLOCK;
use crate::prepare::{LayoutError, prepare_layout};

/// The worker's function library (`jotter_worker`).
const LIBRARY: &str = include_str!("../worker.lua");

/// Creates or checks the layout, loads the library; returns the number of
/// shard streams.
pub(crate) async fn prepare(
    connection: &mut MultiplexedConnection,
    shards: u32,
) -> Result<u32, SessionError> {
    prepare_layout(connection, shards, LIBRARY).await.map_err(|e| match e {
        // Redis failing is a reason to connect again; a wrong layout is not.
        LayoutError::Redis { source, .. } => SessionError::Redis(source),
        format @ LayoutError::Format { .. } => SessionError::Layout(format.to_string()),
    })
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
