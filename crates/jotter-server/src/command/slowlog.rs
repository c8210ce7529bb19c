//! `SLOWLOG GET [count]`, `LEN`, `RESET` and `HELP` over the slow log
//! (`slowlog.rs`), in Redis's shapes: each entry an array of its id, unix
//! time, microseconds, arguments, client address and client name.

use jotter_resp::Request;

use super::args::parse_i64;
use super::spec::{Ctx, Flow, Spec, flag, now};

pub(super) const SPECS: &[Spec] = &[Spec::new(
    "slowlog",
    -2,
    flag::ADMIN | flag::LOADING | flag::STALE,
    "server",
    "A container for slow log commands.",
    "2.2.12",
    now(slowlog),
)];

/// Entries `SLOWLOG GET` gives without a count.
const DEFAULT_COUNT: usize = 10;

/// SLOWLOG's subcommands and their arities, as Redis 7.0 gives them.
const SUBCOMMANDS: &[(&str, i16)] = &[("get", -2), ("len", 2), ("reset", 2), ("help", 2)];

fn slowlog(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    match ctx.subcommand(req, "slowlog", SUBCOMMANDS) {
        Some("get") if req.len() <= 3 => get(req, ctx),
        Some("get") => ctx.subcommand_syntax_error(req.arg(1).unwrap_or_default(), "SLOWLOG"),
        Some("len") => {
            let len = ctx.shared.slowlog.len();
            ctx.reply().integer(i64::try_from(len).unwrap_or(i64::MAX));
        }
        Some("reset") => {
            ctx.shared.slowlog.reset();
            ctx.reply().ok();
        }
        Some(_) => ctx.help(HELP),
        None => {}
    }
    Flow::Continue
}

fn get(req: &Request, ctx: &mut Ctx<'_>) {
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

/// `SLOWLOG HELP`, in Redis's words.
const HELP: &[&[u8]] = &[
    b"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"GET [<count>]",
    b"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    b"    Entries are made of:",
    b"    id, timestamp, time in microseconds, arguments array, client IP and port,",
    b"    client name",
    b"LEN",
    b"    Return the length of the slowlog.",
    b"RESET",
    b"    Reset the slowlog.",
    b"HELP",
    b"    Prints this help.",
];
