//! Which keyspace event a command's write of a key is: its class (the
//! flag that enables it) and its name, as Redis 7.0's
//! `notifyKeyspaceEvent` calls name them.
//!
//! The class follows the command's group; the name is the command's own
//! unless [`RENAMED`] gives Redis's (SETEX is `set`, INCR is `incrby`,
//! BLPOP is `lpop`, ...). Commands of two keys whose events differ by key
//! (RENAME, SMOVE, LMOVE, ...) are in [`by_key`]. A command that only read
//! but found its key expired deleted it: `expired`. A write may publish a
//! second event ([`events`]): `del` when it emptied its key, `expire` when
//! it set an expiry too.

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

/// Commands that store a result: an empty one deletes the destination,
/// and Redis then publishes `del` alone.
const STORES: &[&str] = &[
    "sinterstore",
    "sunionstore",
    "sdiffstore",
    "zunionstore",
    "zinterstore",
    "zdiffstore",
    "zrangestore",
    "sort",
    "georadius",
    "georadiusbymember",
    "geosearchstore",
    "bitop",
];

/// The events of `spec`'s write of `key` in `req` (`deletes`: the write
/// left the key deleted), in Redis's order: the command's own, then `del`
/// when it emptied the key (a pop, a removal), or `expire` when it also set
/// an expiry (SET EX, SETEX). An expiry in the past and an empty stored
/// result publish `del` alone.
pub(super) fn events(
    spec: &Spec,
    req: &Request,
    key: &[u8],
    deletes: bool,
) -> impl Iterator<Item = (u32, &'static str)> {
    let own = event(spec, req, key);
    const DEL: (u32, &str) = (GENERIC, "del");
    let (first, second) = match own.1 {
        "del" | "expired" | "rename_from" => (own, None),
        "expire" | "persist" if deletes => (DEL, None),
        _ if deletes && STORES.contains(&spec.name) => (DEL, None),
        _ if deletes => (own, Some(DEL)),
        "set" if sets_expiry(spec.name, req) => (own, Some((GENERIC, "expire"))),
        "expire" if spec.name == "getex" && has_arg(req, b"persist") => {
            ((GENERIC, "persist"), None)
        }
        _ => (own, None),
    };
    std::iter::once(first).chain(second)
}

/// Whether a command publishing `set` also set an expiry.
fn sets_expiry(name: &str, req: &Request) -> bool {
    match name {
        "setex" | "psetex" => true,
        "set" => ["ex", "px", "exat", "pxat"].iter().any(|o| has_arg(req, o.as_bytes())),
        _ => false,
    }
}

/// Whether an argument after the key is `word`, ignoring case.
fn has_arg(req: &Request, word: &[u8]) -> bool {
    req.args().skip(2).any(|a| a.eq_ignore_ascii_case(word))
}

/// The command's own event of its write of `key`.
fn event(spec: &Spec, req: &Request, key: &[u8]) -> (u32, &'static str) {
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
