//! Jotter's own commands, about the write-behind itself: `JOTTER.FLUSH`
//! (a barrier: wait until every write accepted before it is in the store)
//! and `JOTTER.STATUS` (the engine's counters, also in INFO's `writebehind`
//! section).

use std::time::Duration;

use jotter::Stats;
use jotter_resp::Request;

use super::{Command, Ctx, Flow, Spec, flag, parse_i64, reply_engine_error};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmd {
    Flush,
    Status,
}

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "jotter.flush",
        -1,
        flag::WRITE | flag::NOSCRIPT,
        "server",
        "Waits until every write accepted before the call is in the store, or the timeout (ms).",
        "7.0.0",
        Command::WriteBehind(Cmd::Flush),
    ),
    Spec::new(
        "jotter.status",
        1,
        flag::READONLY | flag::FAST | flag::LOADING | flag::STALE,
        "server",
        "Returns the write-behind counters: pending writes, store writes, batches, failures.",
        "7.0.0",
        Command::WriteBehind(Cmd::Status),
    ),
];

pub(super) async fn execute(cmd: Cmd, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    match cmd {
        Cmd::Flush => return flush(req, ctx).await,
        Cmd::Status => {
            let fields = stat_fields(&ctx.shared.cache.stats());
            let mut reply = ctx.reply();
            reply.map(fields.len());
            for (name, value) in fields {
                reply.bulk(name.as_bytes());
                match value {
                    Stat::Int(n) => reply.integer(i64::try_from(n).unwrap_or(i64::MAX)),
                    Stat::Float(x) => reply.double(x),
                }
            }
        }
    }
    Flow::Continue
}

async fn flush(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let timeout = match req.len() {
        1 => None,
        2 => match req.arg(1).and_then(parse_i64) {
            Some(ms) if ms > 0 => Some(Duration::from_millis(ms.unsigned_abs())),
            Some(0) => None,
            _ => {
                ctx.reply().error(b"ERR timeout is not an integer or out of range");
                return Flow::Continue;
            }
        },
        _ => {
            ctx.syntax_error();
            return Flow::Continue;
        }
    };
    let flushed = match timeout {
        None => Some(ctx.shared.cache.flush().await),
        Some(t) => tokio::time::timeout(t, ctx.shared.cache.flush()).await.ok(),
    };
    match flushed {
        Some(Ok(())) => ctx.reply().ok(),
        Some(Err(e)) => reply_engine_error(ctx, &e),
        None => {
            let pending = ctx.shared.cache.stats().pending_entries;
            let text = format!(
                "ERR JOTTER.FLUSH timed out with {pending} writes not yet in the store; \
                 they are kept and still being flushed"
            );
            ctx.reply().error(text.as_bytes());
        }
    }
    Flow::Continue
}

/// One counter's value.
#[derive(Clone, Copy, Debug)]
pub(super) enum Stat {
    Int(u64),
    Float(f64),
}

/// The engine's counters under their INFO/STATUS names.
pub(super) fn stat_fields(s: &Stats) -> [(&'static str, Stat); 12] {
    let age_ms =
        s.oldest_pending_age.map_or(0, |a| u64::try_from(a.as_millis()).unwrap_or(u64::MAX));
    [
        ("pending_entries", Stat::Int(s.pending_entries)),
        ("pending_bytes", Stat::Int(s.pending_bytes)),
        ("oldest_pending_age_ms", Stat::Int(age_ms)),
        ("writes_accepted", Stat::Int(s.writes_accepted)),
        ("store_writes", Stat::Int(s.store_writes)),
        ("coalescing_ratio", Stat::Float(s.coalescing_ratio)),
        ("batches", Stat::Int(s.batches)),
        ("retries", Stat::Int(s.retries)),
        ("failures", Stat::Int(s.failures)),
        ("dead_letters", Stat::Int(s.dead_letters)),
        ("loads", Stat::Int(s.loads)),
        ("flush_rate", Stat::Float(s.flush_rate)),
    ]
}
