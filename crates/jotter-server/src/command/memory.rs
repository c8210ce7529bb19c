//! `MEMORY USAGE key [SAMPLES count]`, `STATS`, `DOCTOR`, `MALLOC-STATS`,
//! `PURGE` and `HELP`. USAGE is the key's weight as the engine counts it
//! against its memory bounds (the key, its value and the engine's
//! per-entry accounting), measured whole: `SAMPLES` is accepted and changes
//! nothing. STATS gives the few figures Jotter has (resident memory, the
//! data held, pending writes), under Redis's names where Redis has them.

use jotter_resp::Request;

use super::args::parse_i64;
use super::spec::{BoxFlow, Ctx, Flow, Spec, Sub, flag, waits};
use super::subcommand;

pub(super) const SPECS: &[Spec] = &[Spec::new(
    "memory",
    -2,
    0,
    "server",
    "A container for memory diagnostics commands.",
    "4.0.0",
    waits(memory),
)
.subs(SUBS)];

/// MEMORY's subcommands, in `MEMORY HELP`'s order.
const SUBS: &[Sub] = &[
    Sub::now(
        "doctor",
        2,
        0,
        "Outputs memory problems report",
        "4.0.0",
        &[b"DOCTOR", b"    Return memory problems reports."],
        doctor,
    ),
    Sub::now(
        "malloc-stats",
        2,
        0,
        "Show allocator internal stats",
        "4.0.0",
        &[b"MALLOC-STATS", b"    Return internal statistics report from the memory allocator."],
        malloc_stats,
    ),
    Sub::now(
        "purge",
        2,
        0,
        "Ask the allocator to release memory",
        "4.0.0",
        &[b"PURGE", b"    Attempt to purge dirty pages for reclamation by the allocator."],
        purge,
    ),
    Sub::now(
        "stats",
        2,
        0,
        "Show memory usage details",
        "4.0.0",
        &[b"STATS", b"    Return information about the memory usage of the server."],
        stats,
    ),
    Sub::waits(
        "usage",
        -3,
        flag::READONLY,
        "Estimate the memory usage of a key",
        "4.0.0",
        &[
            b"USAGE <key> [SAMPLES <count>]",
            b"    Return memory in bytes used by <key> and its value. Nested values are",
            b"    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
        usage,
    )
    .key(2),
    subcommand::help_row("4.0.0"),
];

fn memory<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(subcommand::run_waiting(SUBS, "MEMORY", req, ctx))
}

fn stats(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
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
    Flow::Continue
}

fn doctor(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    ctx.reply().verbatim(
        *b"txt",
        b"Hi Sam, I can't find any memory issue in your instance. I can only account for \
          what occurs on this base.",
    );
    Flow::Continue
}

fn malloc_stats(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    ctx.reply().verbatim(*b"txt", b"Stats not supported for the current allocator");
    Flow::Continue
}

fn purge(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    ctx.reply().ok();
    Flow::Continue
}

fn usage<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        usage_reply(req, ctx).await;
        Flow::Continue
    })
}

async fn usage_reply(req: &Request, ctx: &mut Ctx<'_>) {
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
