//! `JOTTER.DEADLETTERS`: the dead-letter queue over RESP, so redis-cli and
//! any client can see and fix writes the store refused.
//!
//! - `COUNT`: how many letters there are.
//! - `LIST [cursor] [COUNT n]`: `[next-cursor, [entry, ...]]`, letters in id
//!   order; cursor `0` starts, a next cursor of `0` ends. Each entry is a map
//!   (RESP3) or flat field/value pairs (RESP2): id, key, op, value-size,
//!   value-prefix (64 bytes at most), error-kind, error, attempts,
//!   first-failure, last-failure (ms since the Unix epoch).
//! - `REPLAY id [id ...] | ALL`: writes the letters to the store again;
//!   replies how many left the queue (stored, or superseded by a newer write
//!   of their key, which the replay never regresses).
//! - `PURGE id [id ...] | ALL`: drops letters, logging each one's key;
//!   replies how many. A subcommand of its own, so command permissions can
//!   refuse `jotter.deadletters|purge` alone.
//! - `HELP`.
//!
//! Unknown ids are skipped (not counted); an id that is not a positive
//! integer is refused before anything is done.
//!
//! A cluster front end serves the same command over the cluster's
//! dead-letter stream (`cluster/dead_letters.rs`) with this file's
//! parsing and replies: [`subcommand_of`], [`list_args`],
//! [`selection_of`], [`write_page`], [`write_help`].

use jotter::Selection;
use jotter_resp::{ReplyWriter, Request};

use super::args::parse_i64;
use super::spec::{BoxFlow, Ctx, Flow, Spec, Sub, flag, waits};
use super::subcommand;
use crate::dead_letter_fields::{LetterFields, parse_id};

const NAME: &str = "JOTTER.DEADLETTERS";

pub(super) const SPECS: &[Spec] = &[Spec::new(
    "jotter.deadletters",
    -2,
    PLAIN,
    "server",
    "Lists, counts, replays or purges the writes the store refused for good (dead letters).",
    "7.0.0",
    waits(deadletters),
)
.subs(SUBS)];

const PLAIN: u16 = flag::NOSCRIPT | flag::LOADING | flag::STALE;

/// The subcommands, in `HELP`'s order. Their flags give their ACL
/// categories: PURGE is `@admin @dangerous`, so a rule can refuse it
/// alone.
const SUBS: &[Sub] = &[
    Sub::now(
        "count",
        2,
        PLAIN | flag::READONLY,
        "Returns the number of dead letters",
        "7.0.0",
        &[b"COUNT", b"    Return the number of dead letters."],
        count,
    ),
    Sub::now(
        "list",
        -2,
        PLAIN | flag::READONLY,
        "Lists dead letters in id order, from a cursor",
        "7.0.0",
        &[
            b"LIST [<cursor>] [COUNT <count>]",
            b"    Return the next cursor (0 when done) and up to <count> (default 10) dead letters",
            b"    in id order: id, key, op, value-size, value-prefix, error-kind, error, attempts,",
            b"    first-failure, last-failure (ms since the Unix epoch).",
        ],
        subcommand::replies!(list),
    ),
    Sub::waits(
        "replay",
        -3,
        PLAIN | flag::WRITE,
        "Writes dead letters to the store again",
        "7.0.0",
        &[
            b"REPLAY <id> [<id> ...] | ALL",
            b"    Write the dead letters to the store again; return how many left the queue.",
            b"    A letter whose key was written since is only removed: the newer write wins.",
        ],
        replay,
    ),
    Sub::now(
        "purge",
        -3,
        PLAIN | flag::WRITE | flag::ADMIN,
        "Drops dead letters, logging each one's key",
        "7.0.0",
        &[
            b"PURGE <id> [<id> ...] | ALL",
            b"    Drop the dead letters (each is logged with its key); return how many.",
        ],
        purge,
    ),
    Sub::now(
        "help",
        2,
        PLAIN,
        "Show helpful text about the different subcommands",
        "7.0.0",
        &[b"HELP", b"    Print this help."],
        help,
    ),
];

/// Letters listed when `COUNT` is not given.
const DEFAULT_COUNT: usize = 10;

fn deadletters<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(subcommand::run_waiting(SUBS, NAME, req, ctx))
}

fn help(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    write_help(&mut ctx.reply());
    Flow::Continue
}

fn count(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let count = ctx.shared.cache.dead_letter_count();
    ctx.reply().integer(i64::try_from(count).unwrap_or(i64::MAX));
    Flow::Continue
}

fn replay<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        if let Some(selection) = selection(req, ctx) {
            let report = ctx.shared.cache.replay_dead_letters_of(&selection).await;
            // What reached the store may be what a blocked client waits
            // for (a key it loads from there).
            super::wake::wrote_anywhere();
            ctx.reply().integer(i64::try_from(report.removed()).unwrap_or(i64::MAX));
        }
        Flow::Continue
    })
}

fn purge(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    if let Some(selection) = selection(req, ctx) {
        let purged = ctx.shared.cache.purge_dead_letters_of_ids(&selection);
        ctx.reply().integer(i64::try_from(purged).unwrap_or(i64::MAX));
    }
    Flow::Continue
}

/// `LIST [cursor] [COUNT n]`.
fn list(req: &Request, ctx: &mut Ctx<'_>) {
    match list_args(req) {
        Ok((cursor, count)) => {
            let (letters, next) = ctx.shared.cache.dead_letters_page(cursor, count);
            let letters: Vec<LetterFields> = letters.iter().map(LetterFields::from).collect();
            write_page(&mut ctx.reply(), &letters, next);
        }
        Err(text) => ctx.reply().error(text.as_bytes()),
    }
}

/// The subcommand `req` names (lowercase), once its arity is checked; else
/// Redis's error. For a front end, which runs the subcommands itself.
pub(crate) fn subcommand_of(req: &Request) -> Result<&'static str, String> {
    subcommand::row_of(SUBS, NAME, req).map(|sub| sub.name)
}

/// `HELP`'s reply.
pub(crate) fn write_help(reply: &mut ReplyWriter<'_>) {
    subcommand::write_lines(
        &[b"JOTTER.DEADLETTERS <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"],
        SUBS,
        reply,
    );
}

/// `LIST [cursor] [COUNT n]`'s cursor and count, or the error to reply.
pub(crate) fn list_args(req: &Request) -> Result<(u64, usize), &'static str> {
    let mut at = 2;
    let mut cursor = 0u64;
    if let Some(arg) = req.arg(at)
        && !arg.eq_ignore_ascii_case(b"count")
    {
        cursor = std::str::from_utf8(arg)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or("ERR invalid cursor")?;
        at += 1;
    }
    let mut count = DEFAULT_COUNT;
    while let Some(arg) = req.arg(at) {
        if !arg.eq_ignore_ascii_case(b"count") || req.arg(at + 1).is_none() {
            return Err("ERR syntax error");
        }
        match req.arg(at + 1).and_then(parse_i64) {
            None => return Err("ERR value is not an integer or out of range"),
            Some(c) if c < 1 => return Err("ERR value is out of range, must be positive"),
            Some(c) => count = usize::try_from(c).unwrap_or(usize::MAX),
        }
        at += 2;
    }
    Ok((cursor, count))
}

/// A `LIST` page: the next cursor (0 when done), then the letters.
pub(crate) fn write_page(reply: &mut ReplyWriter<'_>, letters: &[LetterFields], next: Option<u64>) {
    reply.array(2);
    reply.bulk(next.unwrap_or(0).to_string().as_bytes());
    reply.array(letters.len());
    for letter in letters {
        write_entry(reply, letter);
    }
}

/// One letter as a map (RESP3) or flat pairs (RESP2).
fn write_entry(reply: &mut ReplyWriter<'_>, f: &LetterFields) {
    let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    reply.map(10);
    reply.bulk(b"id");
    reply.integer(int(f.id));
    reply.bulk(b"key");
    reply.bulk(&f.key);
    reply.bulk(b"op");
    reply.simple(f.op.as_bytes());
    reply.bulk(b"value-size");
    reply.integer(int(f.value_size));
    reply.bulk(b"value-prefix");
    reply.bulk(&f.value_prefix);
    reply.bulk(b"error-kind");
    reply.simple(f.error_kind.as_bytes());
    reply.bulk(b"error");
    reply.bulk(f.error.as_bytes());
    reply.bulk(b"attempts");
    reply.integer(int(f.attempts));
    reply.bulk(b"first-failure");
    reply.integer(int(f.first_failure_ms));
    reply.bulk(b"last-failure");
    reply.integer(int(f.last_failure_ms));
}

/// The ids (or `ALL`) from the third argument on; replies the error and
/// returns `None` if one is not a valid id.
fn selection(req: &Request, ctx: &mut Ctx<'_>) -> Option<Selection> {
    selection_of(req).map_err(|text| ctx.reply().error(text.as_bytes())).ok()
}

/// The ids (or `ALL`) from the third argument on, or the error to reply
/// when one is not a valid id.
pub(crate) fn selection_of(req: &Request) -> Result<Selection, String> {
    if req.len() == 3 && req.arg(2).is_some_and(|a| a.eq_ignore_ascii_case(b"all")) {
        return Ok(Selection::All);
    }
    let mut ids = Vec::with_capacity(req.len().saturating_sub(2));
    for arg in req.args().skip(2) {
        ids.push(parse_id(arg).map_err(|text| format!("ERR {text}"))?);
    }
    Ok(Selection::Ids(ids))
}
