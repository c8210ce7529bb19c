//! `MEMORY USAGE key [SAMPLES count]`, `STATS`, `DOCTOR`, `MALLOC-STATS`,
//! `PURGE` and `HELP`. USAGE is the key's weight as the engine counts it
//! against its memory bounds (the key, its value and the engine's
//! per-entry accounting), measured whole: `SAMPLES` is accepted and changes
//! nothing. STATS gives the few figures Jotter has (resident memory, the
//! data held, pending writes), under Redis's names where Redis has them.

use jotter_resp::Request;

use super::args::parse_i64;
use super::spec::{BoxFlow, Ctx, Flow, Spec, waits};

pub(super) const SPECS: &[Spec] = &[Spec::new(
    "memory",
    -2,
    0,
    "server",
    "A container for memory diagnostics commands.",
    "4.0.0",
    waits(memory),
)];

fn memory<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        memory_reply(req, ctx).await;
        Flow::Continue
    })
}

/// MEMORY's subcommands and their arities, as Redis 7.0 gives them.
const SUBCOMMANDS: &[(&str, i16)] =
    &[("usage", -3), ("stats", 2), ("doctor", 2), ("malloc-stats", 2), ("purge", 2), ("help", 2)];

async fn memory_reply(req: &Request, ctx: &mut Ctx<'_>) {
    match ctx.subcommand(req, "memory", SUBCOMMANDS) {
        Some("usage") => usage(req, ctx).await,
        Some("stats") => {
            let stats = ctx.shared.cache.stats();
            let fields: [(&str, u64); 5] = [
                ("total.allocated", super::info::resident_bytes()),
                ("dataset.bytes", ctx.shared.cache.memory_used()),
                ("pending.bytes", stats.pending_bytes),
                ("pending.entries", stats.pending_entries),
                ("clients.normal", ctx.shared.client_memory.total()),
            ];
            let mut reply = ctx.reply();
            reply.map(fields.len());
            for (name, value) in fields {
                reply.bulk(name.as_bytes());
                reply.integer(i64::try_from(value).unwrap_or(i64::MAX));
            }
        }
        Some("doctor") => ctx.reply().verbatim(
            *b"txt",
            b"Hi Sam, I can't find any memory issue in your instance. I can only account for \
              what occurs on this base.",
        ),
        Some("malloc-stats") => {
            ctx.reply().verbatim(*b"txt", b"Stats not supported for the current allocator");
        }
        Some("purge") => ctx.reply().ok(),
        Some(_) => ctx.help(HELP),
        None => {}
    }
}

async fn usage(req: &Request, ctx: &mut Ctx<'_>) {
    let mut j = 3;
    while j < req.len() {
        let option = req.arg(j).unwrap_or_default();
        if option.eq_ignore_ascii_case(b"samples") && j + 1 < req.len() {
            if req.arg(j + 1).and_then(parse_i64).is_none_or(|c| c < 0) {
                return ctx.reply().error(b"ERR value is not an integer or out of range");
            }
            j += 2;
        } else {
            return ctx.syntax_error();
        }
    }
    let key = req.arg_bytes(2).unwrap_or_default();
    match ctx.shared.cache.get(key.clone()).await {
        Ok(Some(value)) => {
            let bytes = key.len() + value.weight();
            ctx.reply().integer(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
        Ok(None) => ctx.reply().null(),
        Err(e) => ctx.engine_error(&e),
    }
}

/// `MEMORY HELP`, in Redis's words.
const HELP: &[&[u8]] = &[
    b"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"DOCTOR",
    b"    Return memory problems reports.",
    b"MALLOC-STATS",
    b"    Return internal statistics report from the memory allocator.",
    b"PURGE",
    b"    Attempt to purge dirty pages for reclamation by the allocator.",
    b"STATS",
    b"    Return information about the memory usage of the server.",
    b"USAGE <key> [SAMPLES <count>]",
    b"    Return memory in bytes used by <key> and its value. Nested values are",
    b"    sampled up to <count> times (default: 5, 0 means sample all).",
    b"HELP",
    b"    Prints this help.",
];
