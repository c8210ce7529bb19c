//! `SLOWLOG GET [count]`, `LEN`, `RESET` and `HELP` over the slow log
//! (`slowlog.rs`), in Redis's shapes: each entry an array of its id, unix
//! time, microseconds, arguments, client address and client name.

use jotter_resp::Request;

use super::args::parse_i64;
use super::spec::{Ctx, Flow, Spec, Sub, flag, now};
use super::subcommand::{self, replies};

pub(super) const SPECS: &[Spec] = &[Spec::new(
    "slowlog",
    -2,
    0,
    "server",
    "A container for slow log commands.",
    "2.2.12",
    now(slowlog),
)
.subs(SUBS)];

/// Entries `SLOWLOG GET` gives without a count.
const DEFAULT_COUNT: usize = 10;

const ADMIN: u16 = flag::ADMIN | flag::LOADING | flag::STALE;

/// SLOWLOG's subcommands, in `SLOWLOG HELP`'s order.
const SUBS: &[Sub] = &[
    Sub::now(
        "get",
        -2,
        ADMIN,
        "Get the slow log's entries",
        "2.2.12",
        &[
            b"GET [<count>]",
            b"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            b"    Entries are made of:",
            b"    id, timestamp, time in microseconds, arguments array, client IP and port,",
            b"    client name",
        ],
        replies!(get),
    ),
    Sub::now(
        "len",
        2,
        ADMIN,
        "Get the slow log's length",
        "2.2.12",
        &[b"LEN", b"    Return the length of the slowlog."],
        len,
    ),
    Sub::now(
        "reset",
        2,
        ADMIN,
        "Clear all entries from the slow log",
        "2.2.12",
        &[b"RESET", b"    Reset the slowlog."],
        reset,
    ),
    subcommand::help_row("6.2.0"),
];

fn slowlog(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    subcommand::run(SUBS, "SLOWLOG", req, ctx)
}

fn len(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let len = ctx.shared.slowlog.len();
    ctx.reply().integer(i64::try_from(len).unwrap_or(i64::MAX));
    Flow::Continue
}

fn reset(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    ctx.shared.slowlog.reset();
    ctx.reply().ok();
    Flow::Continue
}

fn get(req: &Request, ctx: &mut Ctx<'_>) {
    if req.len() > 3 {
        return subcommand::wrong_form(ctx, req.arg(1).unwrap_or_default(), "SLOWLOG");
    }
    let count = match req.arg(2).map(parse_i64) {
        None => Some(DEFAULT_COUNT),
        Some(Some(-1)) => None,
        Some(Some(c)) if c >= 0 => Some(usize::try_from(c).unwrap_or(usize::MAX)),
        Some(_) => return ctx.reply().error(b"ERR count should be greater than or equal to -1"),
    };
    let entries = ctx.shared.slowlog.latest(count);
    let mut reply = ctx.reply();
    reply.array(entries.len());
    for e in &entries {
        reply.array(6);
        reply.integer(i64::try_from(e.id).unwrap_or(i64::MAX));
        reply.integer(i64::try_from(e.at).unwrap_or(i64::MAX));
        reply.integer(i64::try_from(e.micros).unwrap_or(i64::MAX));
        reply.array(e.args.len());
        e.args.iter().for_each(|a| reply.bulk(a));
        reply.bulk(e.client_addr.as_bytes());
        reply.bulk(&e.client_name);
    }
}
