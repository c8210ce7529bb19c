//! Jotter's own commands, about the write-behind itself:
//!
//! - `JOTTER.FLUSH [timeout-ms]`: a barrier; returns `OK` once every write
//!   accepted before it is in the store (or dead-lettered).
//! - `JOTTER.STATUS`: the engine's counters (also INFO's `writebehind`).
//! - `JOTTER.THROUGH <command> [arg ...]`: runs one command write-through:
//!   its reply comes once its writes are in the store.
//! - `JOTTER.WRITETHROUGH ON|OFF`: write-through for every later command
//!   of this connection (`RESET` turns it off).

use std::time::Duration;

use jotter::Stats;
use jotter_resp::{ReplyWriter, Request};

use super::args::parse_i64;
use super::spec::{BoxFlow, Ctx, Flow, Spec, flag, now, waits};

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "jotter.flush",
        -1,
        flag::WRITE | flag::NOSCRIPT,
        "server",
        "Waits until every write accepted before the call is in the store, or the timeout (ms).",
        "7.0.0",
        waits(flush),
    ),
    Spec::new(
        "jotter.status",
        1,
        flag::READONLY | flag::FAST | flag::LOADING | flag::STALE,
        "server",
        "Returns the write-behind counters: pending writes, store writes, batches, failures.",
        "7.0.0",
        now(status),
    ),
    Spec::new(
        "jotter.through",
        -2,
        flag::WRITE,
        "server",
        "Runs one command write-through: replies once its writes are in the store.",
        "7.0.0",
        waits(through),
    ),
    Spec::new(
        "jotter.writethrough",
        2,
        flag::FAST,
        "server",
        "Turns write-through on or off for every later command of this connection.",
        "7.0.0",
        now(write_through),
    ),
];

fn write_through(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    match write_through_mode(req) {
        Some(on) => ctx.session.write_through = on,
        None => {
            ctx.syntax_error();
            return Flow::Continue;
        }
    }
    ctx.reply().ok();
    Flow::Continue
}

/// The mode `JOTTER.WRITETHROUGH ON|OFF` asks for; `None`: a syntax
/// error. A cluster front end parses it here too.
pub(crate) fn write_through_mode(req: &Request) -> Option<bool> {
    match req.arg(1).map(<[u8]>::to_ascii_lowercase).as_deref() {
        Some(b"on") => Some(true),
        Some(b"off") => Some(false),
        _ => None,
    }
}

/// The command `JOTTER.THROUGH` runs (the request's tail); `None`: it
/// names none (an arity error). A cluster front end parses it here too.
pub(crate) fn through_command(req: &Request) -> Option<Request> {
    let args: Vec<&[u8]> = req.args().skip(1).collect();
    Request::from_args(&args)
}

/// Whether `inner`, run under `JOTTER.THROUGH`, sets the connection's
/// write-through mode itself (and so keeps what it set).
pub(crate) fn sets_write_through(inner: &Request) -> bool {
    inner.name().eq_ignore_ascii_case(b"reset")
        || inner.name().eq_ignore_ascii_case(b"jotter.writethrough")
}

fn status(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let fields = stat_fields(&ctx.shared.cache.stats());
    write_stats(&mut ctx.reply(), &fields);
    Flow::Continue
}

/// `JOTTER.STATUS`'s reply: a map (RESP3) or flat pairs (RESP2) of named
/// counters; a cluster front end's too, with its own counters.
pub(crate) fn write_stats<N: AsRef<str>>(reply: &mut ReplyWriter<'_>, fields: &[(N, Stat)]) {
    reply.map(fields.len());
    for (name, value) in fields {
        reply.bulk(name.as_ref().as_bytes());
        match *value {
            Stat::Int(n) => reply.integer(i64::try_from(n).unwrap_or(i64::MAX)),
            Stat::Float(x) => reply.double(x),
        }
    }
}

/// Runs the request's tail as a command with write-through on.
fn through<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(through_inner(req, ctx))
}

async fn through_inner(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let Some(inner) = through_command(req) else {
        ctx.arity_error("jotter.through");
        return Flow::Continue;
    };
    let was = std::mem::replace(&mut ctx.session.write_through, true);
    // The table's `execute` is boxed: the inner command could itself be
    // JOTTER.THROUGH.
    let flow = (ctx.commands.execute)(&inner, ctx).await;
    if !sets_write_through(&inner) {
        ctx.session.write_through = was;
    }
    flow
}

fn flush<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(flush_inner(req, ctx))
}

async fn flush_inner(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
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
        Some(Err(e)) => ctx.engine_error(&e),
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
pub(crate) enum Stat {
    Int(u64),
    Float(f64),
}

/// The engine's counters under their INFO/STATUS names.
pub(super) fn stat_fields(s: &Stats) -> [(&'static str, Stat); 14] {
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
        ("store_up", Stat::Int(u64::from(s.store_up))),
        (
            "store_unavailable_seconds",
            Stat::Int(s.store_unavailable_for.map_or(0, |d| d.as_secs())),
        ),
    ]
}
