//! Which keyspace event a command's write of a key is: its class (the
//! flag that enables it) and its name, as Redis 7.0's
//! `notifyKeyspaceEvent` calls name them.
//!
//! The class follows the command's group; the name is the command's own
//! unless [`RENAMED`] gives Redis's (SETEX is `set`, INCR is `incrby`,
//! BLPOP is `lpop`, ...). Commands of two keys whose events differ by key
//! (RENAME, SMOVE, LMOVE, ...) are in [`by_key`]. A command that only read
//! but found its key expired deleted it: `expired`.

use jotter_resp::Request;

use super::notify::{EXPIRED, GENERIC, HASH, LIST, SET, STREAM, STRING, ZSET};
use crate::command::Spec;
use crate::command::spec::flag;

/// Commands whose event is not their own name.
const RENAMED: &[(&str, &str)] = &[
    ("setex", "set"),
    ("psetex", "set"),
    ("setnx", "set"),
    ("getset", "set"),
    ("mset", "set"),
    ("msetnx", "set"),
    ("incr", "incrby"),
    ("decr", "decrby"),
    ("getdel", "del"),
    ("getex", "expire"),
    ("unlink", "del"),
    ("pexpire", "expire"),
    ("expireat", "expire"),
    ("pexpireat", "expire"),
    ("sort", "sortstore"),
    ("lpushx", "lpush"),
    ("rpushx", "rpush"),
    ("blpop", "lpop"),
    ("brpop", "rpop"),
    ("hmset", "hset"),
    ("hsetnx", "hset"),
    ("zincrby", "zincr"),
    ("bzpopmin", "zpopmin"),
    ("bzpopmax", "zpopmax"),
    ("geoadd", "zadd"),
    ("georadius", "georadiusstore"),
    ("georadiusbymember", "georadiusstore"),
    ("bitfield", "setbit"),
    ("bitop", "set"),
    ("pfmerge", "pfadd"),
];

/// The class of events of a command's group.
fn class(spec: &Spec) -> u32 {
    match spec.group {
        "string" | "bitmap" | "hyperloglog" => STRING,
        "list" => LIST,
        "hash" => HASH,
        "set" => SET,
        "sorted-set" | "geo" => ZSET,
        "stream" => STREAM,
        _ => GENERIC,
    }
}

/// The event of `spec`'s write of `key` in `req`.
pub(super) fn event(spec: &Spec, req: &Request, key: &[u8]) -> (u32, &'static str) {
    if !spec.has(flag::WRITE) {
        return (EXPIRED, "expired");
    }
    if let Some(event) = by_key(spec.name, req, key) {
        return event;
    }
    let name = RENAMED.iter().find(|(c, _)| *c == spec.name).map_or(spec.name, |(_, e)| *e);
    let class = match name {
        "del" | "expire" | "persist" | "restore" | "copy_to" => GENERIC,
        _ => class(spec),
    };
    (class, name)
}

/// Whether the command's events come destination first: a list move
/// pushes before it notes the pop, as Redis's `lmoveGenericCommand` does.
pub(super) fn destination_first(spec: &Spec) -> bool {
    matches!(spec.name, "lmove" | "blmove" | "rpoplpush" | "brpoplpush")
}

/// The events of commands whose keys get different events.
fn by_key(name: &str, req: &Request, key: &[u8]) -> Option<(u32, &'static str)> {
    let first = req.arg(1) == Some(key);
    let side = |i: usize| req.arg(i).is_some_and(|w| w.eq_ignore_ascii_case(b"left"));
    let min = |i: usize| req.arg(i).is_some_and(|w| w.eq_ignore_ascii_case(b"min"));
    Some(match name {
        "rename" | "renamenx" => (GENERIC, if first { "rename_from" } else { "rename_to" }),
        "copy" => (GENERIC, "copy_to"),
        "rpoplpush" | "brpoplpush" => (LIST, if first { "rpop" } else { "lpush" }),
        "lmove" | "blmove" => match (first, side(3), side(4)) {
            (true, true, _) => (LIST, "lpop"),
            (true, false, _) => (LIST, "rpop"),
            (false, _, true) => (LIST, "lpush"),
            (false, _, false) => (LIST, "rpush"),
        },
        "lmpop" | "blmpop" => (LIST, if side(mpop_where(name, req)?) { "lpop" } else { "rpop" }),
        "zmpop" | "bzmpop" => {
            (ZSET, if min(mpop_where(name, req)?) { "zpopmin" } else { "zpopmax" })
        }
        "smove" => (SET, if first { "srem" } else { "sadd" }),
        "xgroup" => {
            let sub = req.arg(1)?.to_ascii_lowercase();
            let event = match sub.as_slice() {
                b"create" => "xgroup-create",
                b"setid" => "xgroup-setid",
                b"destroy" => "xgroup-destroy",
                b"createconsumer" => "xgroup-createconsumer",
                b"delconsumer" => "xgroup-delconsumer",
                _ => return None,
            };
            (STREAM, event)
        }
        _ => return None,
    })
}

/// Where an MPOP's `LEFT|RIGHT` or `MIN|MAX` is: after `numkeys` and its
/// keys (after the timeout too for the blocking ones).
fn mpop_where(name: &str, req: &Request) -> Option<usize> {
    let at = if name.starts_with('b') { 2 } else { 1 };
    let numkeys = usize::try_from(req.arg(at).and_then(super::super::args::parse_i64)?).ok()?;
    Some(at + 1 + numkeys)
}
