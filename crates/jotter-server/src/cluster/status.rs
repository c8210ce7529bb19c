//! `JOTTER.STATUS` on a front end: the cluster's write-behind counters, read
//! from Redis as `/metrics` reads them (`jotter_scaleout::stream_stats`),
//! in the single node's reply shape (a map of named integers,
//! `command/writebehind.rs`): `shards`; `pending_entries`, the change
//! records not yet acknowledged by a worker (`stream_lag`, not yet
//! delivered, plus `stream_pending`, delivered and not acknowledged; a
//! key written many times counts once per record); `dead_letters`; then
//! per shard `shard_<i>_lag` and `shard_<i>_pending`. A shard's lag is
//! left out when Redis cannot tell it (after entries were deleted by hand),
//! and out of the sums. A single node's other counters (store writes,
//! batches, retries) are each worker's, on its `/metrics`.

use bytes::{Bytes, BytesMut};
use jotter_resp::{Protocol, ReplyWriter};
use jotter_scaleout::stream_stats;

use super::settings::{Front, refused};
use crate::command::{Stat, write_stats};

/// The reply to `JOTTER.STATUS` in `protocol`.
pub(crate) async fn status(front: &Front, protocol: Protocol) -> Bytes {
    let mut out = BytesMut::new();
    let mut reply = ReplyWriter::new(&mut out, protocol);
    match fields(front).await {
        Ok(fields) => write_stats(&mut reply, &fields),
        Err(text) => reply.error(text.as_bytes()),
    }
    out.freeze()
}

async fn fields(front: &Front) -> Result<Vec<(String, Stat)>, String> {
    let mut connection = front.command_connection().await?;
    let (shards, dead) = stream_stats(&mut connection, front.shards)
        .await
        .map_err(|e| refused("JOTTER.STATUS", e))?;
    let count = |n: usize| Stat::Int(u64::try_from(n).unwrap_or(u64::MAX));
    let lag: usize = shards.iter().filter_map(|s| s.lag).sum();
    let pending: usize = shards.iter().map(|s| s.pending).sum();
    let mut fields = vec![
        ("shards".to_owned(), Stat::Int(u64::from(front.shards))),
        ("pending_entries".to_owned(), count(lag + pending)),
        ("stream_lag".to_owned(), count(lag)),
        ("stream_pending".to_owned(), count(pending)),
        ("dead_letters".to_owned(), count(dead)),
    ];
    for s in &shards {
        if let Some(lag) = s.lag {
            fields.push((format!("shard_{}_lag", s.shard), count(lag)));
        }
        fields.push((format!("shard_{}_pending", s.shard), count(s.pending)));
    }
    Ok(fields)
}
