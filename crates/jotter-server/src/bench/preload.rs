//! The keys `get` reads, written before it runs: `SET bench:key:N VALUE`
//! (`-d` bytes) for every N below `-r`, pipelined a thousand at a time on
//! each of a few connections (under `fsync always`, each batch waits on
//! a disk sync: the connections share them); a Jotter target is then drained (JOTTER.FLUSH), so the
//! reads find the keys resident and no flush running behind them. Once per
//! server and level: the servers keep their keys across cells.

use std::time::Duration;

use anyhow::Context;
use tokio::time::Instant;

use super::conn::Conn;
use super::load;
use super::target::{Kind, Target};
use super::template::digits;
use super::workload::string_key;
use crate::cli::BenchArgs;

/// Requests a batch.
const BATCH: u64 = 1000;

/// Connections writing at once.
const CONNECTIONS: u64 = 8;

/// Writes the keys; returns how long it took, the drain included.
pub(crate) async fn preload(target: &Target, args: &BenchArgs) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let share = args.keyspace.div_ceil(CONNECTIONS);
    let mut writers = tokio::task::JoinSet::new();
    for i in 0..CONNECTIONS {
        let conn = Conn::connect(target, args.password.as_deref())
            .await
            .with_context(|| format!("preload {target}"))?;
        let keys = (i * share).min(args.keyspace)..((i + 1) * share).min(args.keyspace);
        writers.spawn(write_keys(conn, keys, args.value_size));
    }
    while let Some(written) = writers.join_next().await {
        written?.with_context(|| format!("preload {target}"))?;
    }
    if target.kind == Kind::Jotter {
        let mut control = load::control(target, args).await?;
        control.call(&["JOTTER.FLUSH"]).await.context("drain after the preload")?;
    }
    Ok(start.elapsed())
}

/// `SET bench:key:N` for every N of `keys`, a batch at a time.
async fn write_keys(
    mut conn: Conn,
    keys: std::ops::Range<u64>,
    value_size: usize,
) -> anyhow::Result<()> {
    let value = vec![b'x'; value_size];
    let mut first = keys.start;
    while first < keys.end {
        let last = (first + BATCH).min(keys.end);
        for n in first..last {
            let key = string_key(&digits(n));
            let request = [b"SET".as_slice(), key.as_bytes(), &value];
            jotter_resp::encode_request(&request, &mut conn.out);
        }
        conn.send().await?;
        for _ in first..last {
            let reply = conn.reply().await?;
            if reply.error {
                anyhow::bail!("SET refused: {}", conn.last_reply_text(reply));
            }
        }
        first = last;
    }
    Ok(())
}
