//! The keys `get` reads, written before it runs: `SET bench:key:N VALUE`
//! (`-d` bytes) for every N below `-r`, pipelined a thousand at a time on
//! one connection; a Jotter target is then drained (JOTTER.FLUSH), so the
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

/// Writes the keys; returns how long it took, the drain included.
pub(crate) async fn preload(target: &Target, args: &BenchArgs) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut conn = Conn::connect(target, args.password.as_deref())
        .await
        .with_context(|| format!("preload {target}"))?;
    let value = vec![b'x'; args.value_size];
    let mut first = 0;
    while first < args.keyspace {
        let last = (first + BATCH).min(args.keyspace);
        for n in first..last {
            let key = string_key(&digits(n));
            let request = [b"SET".as_slice(), key.as_bytes(), &value];
            jotter_resp::encode_request(&request, &mut conn.out);
        }
        conn.send().await?;
        for _ in first..last {
            let reply = conn.reply().await?;
            if reply.error {
                anyhow::bail!("preload {target}: SET refused: {}", conn.last_reply_text(reply));
            }
        }
        first = last;
    }
    if target.kind == Kind::Jotter {
        let mut control = load::control(target, args).await?;
        control.call(&["JOTTER.FLUSH"]).await.context("drain after the preload")?;
    }
    Ok(start.elapsed())
}
