//! Key specs: where a command's keys are and what it does to them, as
//! Redis 7.0's `COMMAND INFO` and `COMMAND GETKEYSANDFLAGS` show them.
//!
//! A command's one spec is derived from its row's first/last/step (flags
//! `RO access`, a readonly command's usual); [`FLAGS`] names other flags
//! for a spec that otherwise follows the row, and [`EXPLICIT`] lists the
//! specs of the commands whose keys the row cannot describe (after a count,
//! after a keyword, several kinds of key). Both follow Redis 7.0's
//! command table; `tests/command.rs` compares every command with it.

use jotter_resp::{ReplyWriter, Request};

use crate::command::spec::Spec;

/// Where the search for a spec's first key begins.
#[derive(Clone, Copy, Debug)]
pub(super) enum Begin {
    /// At this argument.
    Index(i16),
    /// After this keyword, searched from this argument (backwards when
    /// negative).
    Keyword(&'static str, i16),
    /// Only the command knows (SORT's BY and STORE).
    Unknown,
}

/// How a spec's keys follow its first.
#[derive(Clone, Copy, Debug)]
pub(super) enum Find {
    /// Up to `lastkey` (relative to the first; negative: from the end),
    /// every `keystep`; `limit` > 1 takes the first 1/limit of the rest.
    Range(i16, i16, i16),
    /// A count at `keynumidx` (after the first), the keys from
    /// `firstkey` after it, every `keystep`.
    Keynum(i16, i16, i16),
    Unknown,
}

/// One key spec.
#[derive(Clone, Copy, Debug)]
pub(super) struct KeySpec {
    pub flags: &'static [&'static str],
    pub begin: Begin,
    pub find: Find,
    pub notes: Option<&'static str>,
}

impl KeySpec {
    const fn new(flags: &'static [&'static str], begin: Begin, find: Find) -> KeySpec {
        KeySpec { flags, begin, find, notes: None }
    }

    const fn notes(mut self, notes: &'static str) -> KeySpec {
        self.notes = Some(notes);
        self
    }
}

use Begin::{Index, Keyword};
use Find::{Keynum, Range};

/// A command's key specs.
pub(super) fn key_specs(spec: &Spec) -> Vec<KeySpec> {
    if let Some((_, specs)) = EXPLICIT.iter().find(|(name, _)| *name == spec.name) {
        return specs.to_vec();
    }
    positioned(spec.name, spec.first_key, spec.last_key, spec.step)
}

/// A subcommand's key spec (`full`: `container|sub`): its one key, if any.
pub(super) fn sub_key_specs(full: &str, key: i16) -> Vec<KeySpec> {
    positioned(full, key, key, 1)
}

/// The one spec of keys from `first` to `last` every `step` (none when
/// `first` is 0), flagged as [`FLAGS`] names it.
fn positioned(name: &str, first: i16, last: i16, step: i16) -> Vec<KeySpec> {
    if first <= 0 {
        return Vec::new();
    }
    let flags = FLAGS.iter().find(|(n, _)| *n == name).map_or(RO_ACCESS, |(_, f)| *f);
    let last = if last < 0 { last } else { last - first };
    vec![KeySpec::new(flags, Index(first), Range(last, step, 0))]
}

const RO_ACCESS: &[&str] = &["RO", "access"];

/// The keys a script or function is given (`numkeys key...`), as Redis
/// describes them: it cannot tell what the script does with them.
const SCRIPT_KEYS_RW: KeySpec =
    KeySpec::new(&["RW", "access", "update"], Index(2), Keynum(0, 1, 1));
const SCRIPT_KEYS_RO: KeySpec = KeySpec::new(RO_ACCESS, Index(2), Keynum(0, 1, 1));
const RW_NOTES: &str =
    "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE";
const RO_NOTES: &str =
    "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS";

/// Whether the keys depend on the arguments (`movablekeys`): a spec that
/// is not a fixed index and range, as Redis derives it.
pub(super) fn movable(specs: &[KeySpec]) -> bool {
    specs.iter().any(|s| !matches!((s.begin, s.find), (Index(_), Range(..))))
}

/// The keys of `req` (argument positions) and each one's flags, by the
/// specs; `None` when a spec cannot be followed (an unknown one, a count
/// that is not a number), as Redis then falls back to the command's own.
pub(super) fn keys_of(
    specs: &[KeySpec],
    req: &Request,
) -> Option<Vec<(usize, &'static [&'static str])>> {
    let argc = i64::try_from(req.len()).ok()?;
    let mut keys = Vec::new();
    for spec in specs {
        let first = match spec.begin {
            Index(i) => i64::from(i),
            Keyword(word, from) => {
                let (start, step) =
                    if from > 0 { (i64::from(from), 1) } else { (argc + i64::from(from), -1) };
                let mut at = start;
                let mut found = None;
                while at >= 1 && at < argc {
                    let arg = req.arg(usize::try_from(at).ok()?).unwrap_or_default();
                    if arg.eq_ignore_ascii_case(word.as_bytes()) {
                        found = Some(at + 1);
                        break;
                    }
                    at += step;
                }
                match found {
                    Some(first) => first,
                    None => continue,
                }
            }
            Begin::Unknown => return None,
        };
        let (first, last, step) = match spec.find {
            Range(lastkey, keystep, limit) => {
                let last = if lastkey >= 0 {
                    first + i64::from(lastkey)
                } else if limit <= 1 {
                    argc + i64::from(lastkey)
                } else {
                    first + (argc - first) / i64::from(limit) + i64::from(lastkey)
                };
                (first, last, i64::from(keystep))
            }
            Keynum(idx, firstkey, keystep) => {
                let at = usize::try_from(first + i64::from(idx)).ok()?;
                let n: i64 = std::str::from_utf8(req.arg(at)?).ok()?.parse().ok()?;
                if n < 0 {
                    return None;
                }
                let first = first + i64::from(firstkey);
                (first, first + (n - 1) * i64::from(keystep), i64::from(keystep))
            }
            Find::Unknown => return None,
        };
        let mut at = first;
        while at <= last && step > 0 {
            // Past the arguments: the command itself reports the error.
            if at >= argc {
                break;
            }
            keys.push((usize::try_from(at).ok()?, spec.flags));
            at += step;
        }
    }
    Some(keys)
}

/// Writes the specs as `COMMAND INFO`'s ninth field.
pub(super) fn write(reply: &mut ReplyWriter<'_>, specs: &[KeySpec]) {
    reply.set(specs.len());
    for spec in specs {
        reply.map(3 + usize::from(spec.notes.is_some()));
        if let Some(notes) = spec.notes {
            reply.bulk(b"notes");
            reply.bulk(notes.as_bytes());
        }
        reply.bulk(b"flags");
        reply.set(spec.flags.len());
        spec.flags.iter().for_each(|f| reply.simple(f.as_bytes()));
        reply.bulk(b"begin_search");
        reply.map(2);
        reply.bulk(b"type");
        match spec.begin {
            Index(index) => {
                reply.bulk(b"index");
                fields(reply, &[("index", index)]);
            }
            Keyword(keyword, from) => {
                reply.bulk(b"keyword");
                reply.bulk(b"spec");
                reply.map(2);
                reply.bulk(b"keyword");
                reply.bulk(keyword.as_bytes());
                reply.bulk(b"startfrom");
                reply.integer(from.into());
            }
            Begin::Unknown => {
                reply.bulk(b"unknown");
                fields(reply, &[]);
            }
        }
        reply.bulk(b"find_keys");
        reply.map(2);
        reply.bulk(b"type");
        match spec.find {
            Range(last, step, limit) => {
                reply.bulk(b"range");
                fields(reply, &[("lastkey", last), ("keystep", step), ("limit", limit)]);
            }
            Keynum(idx, first, step) => {
                reply.bulk(b"keynum");
                fields(reply, &[("keynumidx", idx), ("firstkey", first), ("keystep", step)]);
            }
            Find::Unknown => {
                reply.bulk(b"unknown");
                fields(reply, &[]);
            }
        }
    }
}

/// `spec` and a map of integer fields.
fn fields(reply: &mut ReplyWriter<'_>, fields: &[(&str, i16)]) {
    reply.bulk(b"spec");
    reply.map(fields.len());
    for (name, value) in fields {
        reply.bulk(name.as_bytes());
        reply.integer((*value).into());
    }
}

/// The flags of a spec that follows the row's first/last/step, where they
/// are not `RO access`.
const FLAGS: &[(&str, &[&str])] = &[
    ("watch", &["RO"]),
    ("move", &["RW", "access", "update"]),
    ("memory|usage", &["RO"]),
    ("object|encoding", &["RO"]),
    ("object|freq", &["RO"]),
    ("object|idletime", &["RO"]),
    ("object|refcount", &["RO"]),
    ("xgroup|create", &["RW", "insert"]),
    ("xgroup|createconsumer", &["RW", "insert"]),
    ("xgroup|setid", &["RW", "update"]),
    ("xgroup|destroy", &["RW", "delete"]),
    ("xgroup|delconsumer", &["RW", "delete"]),
    // Shard channels sit where keys do, and are not keys.
    ("ssubscribe", &["not_key"]),
    ("sunsubscribe", &["not_key"]),
    ("spublish", &["not_key"]),
    ("setnx", &["OW", "insert"]),
    ("setex", &["OW", "update"]),
    ("psetex", &["OW", "update"]),
    ("getset", &["RW", "access", "update"]),
    ("getdel", &["RW", "access", "delete"]),
    ("mset", &["OW", "update"]),
    ("msetnx", &["OW", "insert"]),
    ("append", &["RW", "insert"]),
    ("strlen", &["RO"]),
    ("setrange", &["RW", "update"]),
    ("incr", &["RW", "access", "update"]),
    ("decr", &["RW", "access", "update"]),
    ("incrby", &["RW", "access", "update"]),
    ("decrby", &["RW", "access", "update"]),
    ("incrbyfloat", &["RW", "access", "update"]),
    ("hset", &["RW", "update"]),
    ("hsetnx", &["RW", "insert"]),
    ("hmset", &["RW", "update"]),
    ("hdel", &["RW", "delete"]),
    ("hlen", &["RO"]),
    ("hstrlen", &["RO"]),
    ("hexists", &["RO"]),
    ("hincrby", &["RW", "access", "update"]),
    ("hincrbyfloat", &["RW", "access", "update"]),
    ("lpush", &["RW", "insert"]),
    ("rpush", &["RW", "insert"]),
    ("lpushx", &["RW", "insert"]),
    ("rpushx", &["RW", "insert"]),
    ("lpop", &["RW", "access", "delete"]),
    ("rpop", &["RW", "access", "delete"]),
    ("llen", &["RO"]),
    ("lset", &["RW", "update"]),
    ("linsert", &["RW", "insert"]),
    ("lrem", &["RW", "delete"]),
    ("ltrim", &["RW", "delete"]),
    ("blpop", &["RW", "access", "delete"]),
    ("brpop", &["RW", "access", "delete"]),
    ("del", &["RM", "delete"]),
    ("unlink", &["RM", "delete"]),
    ("exists", &["RO"]),
    ("type", &["RO"]),
    ("touch", &["RO"]),
    ("expire", &["RW", "update"]),
    ("pexpire", &["RW", "update"]),
    ("expireat", &["RW", "update"]),
    ("pexpireat", &["RW", "update"]),
    ("persist", &["RW", "update"]),
    ("restore", &["OW", "update"]),
    ("zadd", &["RW", "update"]),
    ("zincrby", &["RW", "access", "update"]),
    ("zcard", &["RO"]),
    ("zrem", &["RW", "delete"]),
    ("zremrangebyrank", &["RW", "delete"]),
    ("zremrangebyscore", &["RW", "delete"]),
    ("zremrangebylex", &["RW", "delete"]),
    ("zpopmin", &["RW", "access", "delete"]),
    ("zpopmax", &["RW", "access", "delete"]),
    ("bzpopmin", &["RW", "access", "delete"]),
    ("bzpopmax", &["RW", "access", "delete"]),
    ("sadd", &["RW", "insert"]),
    ("srem", &["RW", "delete"]),
    ("scard", &["RO"]),
    ("sismember", &["RO"]),
    ("spop", &["RW", "access", "delete"]),
    ("setbit", &["RW", "access", "update"]),
    ("pfadd", &["RW", "insert"]),
    ("geoadd", &["RW", "update"]),
    ("xlen", &["RO"]),
    ("xdel", &["RW", "delete"]),
    ("xtrim", &["RW", "delete"]),
    ("xsetid", &["RW", "update"]),
    ("xack", &["RW", "update"]),
    ("xclaim", &["RW", "update"]),
    ("xautoclaim", &["RW", "delete"]),
];

/// The specs of the commands whose keys their row does not describe.
const EXPLICIT: &[(&str, &[KeySpec])] = &[
    ("eval", &[SCRIPT_KEYS_RW.notes(RW_NOTES)]),
    ("evalsha", &[SCRIPT_KEYS_RW]),
    ("eval_ro", &[SCRIPT_KEYS_RO.notes(RO_NOTES)]),
    ("evalsha_ro", &[SCRIPT_KEYS_RO]),
    ("fcall", &[SCRIPT_KEYS_RW.notes(RW_NOTES)]),
    ("fcall_ro", &[SCRIPT_KEYS_RO.notes(RO_NOTES)]),
    ("set", &[KeySpec::new(&["RW", "access", "update", "variable_flags"], Index(1), Range(0, 1, 0)).notes("RW and ACCESS due to the optional `GET` argument")]),
    ("getex", &[KeySpec::new(&["RW", "access", "update"], Index(1), Range(0, 1, 0)).notes("RW and UPDATE because it changes the TTL")]),
    ("lmove", &[KeySpec::new(&["RW", "access", "delete"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RW", "insert"], Index(2), Range(0, 1, 0))]),
    ("rpoplpush", &[KeySpec::new(&["RW", "access", "delete"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RW", "insert"], Index(2), Range(0, 1, 0))]),
    ("lmpop", &[KeySpec::new(&["RW", "access", "delete"], Index(1), Keynum(0, 1, 1))]),
    ("blmove", &[KeySpec::new(&["RW", "access", "delete"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RW", "insert"], Index(2), Range(0, 1, 0))]),
    ("brpoplpush", &[KeySpec::new(&["RW", "access", "delete"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RW", "insert"], Index(2), Range(0, 1, 0))]),
    ("blmpop", &[KeySpec::new(&["RW", "access", "delete"], Index(2), Keynum(0, 1, 1))]),
    ("rename", &[KeySpec::new(&["RW", "access", "delete"], Index(1), Range(0, 1, 0)), KeySpec::new(&["OW", "update"], Index(2), Range(0, 1, 0))]),
    ("renamenx", &[KeySpec::new(&["RW", "access", "delete"], Index(1), Range(0, 1, 0)), KeySpec::new(&["OW", "insert"], Index(2), Range(0, 1, 0))]),
    ("copy", &[KeySpec::new(&["RO", "access"], Index(1), Range(0, 1, 0)), KeySpec::new(&["OW", "update"], Index(2), Range(0, 1, 0))]),
    ("zunion", &[KeySpec::new(&["RO", "access"], Index(1), Keynum(0, 1, 1))]),
    ("zinter", &[KeySpec::new(&["RO", "access"], Index(1), Keynum(0, 1, 1))]),
    ("zdiff", &[KeySpec::new(&["RO", "access"], Index(1), Keynum(0, 1, 1))]),
    ("zunionstore", &[KeySpec::new(&["OW", "update"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Index(2), Keynum(0, 1, 1))]),
    ("zinterstore", &[KeySpec::new(&["OW", "update"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Index(2), Keynum(0, 1, 1))]),
    ("zdiffstore", &[KeySpec::new(&["OW", "update"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Index(2), Keynum(0, 1, 1))]),
    ("zintercard", &[KeySpec::new(&["RO", "access"], Index(1), Keynum(0, 1, 1))]),
    ("zmpop", &[KeySpec::new(&["RW", "access", "delete"], Index(1), Keynum(0, 1, 1))]),
    ("bzmpop", &[KeySpec::new(&["RW", "access", "delete"], Index(2), Keynum(0, 1, 1))]),
    ("zrangestore", &[KeySpec::new(&["OW", "update"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Index(2), Range(0, 1, 0))]),
    ("smove", &[KeySpec::new(&["RW", "access", "delete"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RW", "insert"], Index(2), Range(0, 1, 0))]),
    ("sintercard", &[KeySpec::new(&["RO", "access"], Index(1), Keynum(0, 1, 1))]),
    ("sinterstore", &[KeySpec::new(&["RW", "update"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Index(2), Range(-1, 1, 0))]),
    ("sunionstore", &[KeySpec::new(&["OW", "update"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Index(2), Range(-1, 1, 0))]),
    ("sdiffstore", &[KeySpec::new(&["OW", "update"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Index(2), Range(-1, 1, 0))]),
    ("sort", &[KeySpec::new(&["RO", "access"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Begin::Unknown, Find::Unknown).notes("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort"), KeySpec::new(&["OW", "update"], Begin::Unknown, Find::Unknown).notes("For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array")]),
    ("sort_ro", &[KeySpec::new(&["RO", "access"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Begin::Unknown, Find::Unknown).notes("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort")]),
    ("bitop", &[KeySpec::new(&["OW", "update"], Index(2), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Index(3), Range(-1, 1, 0))]),
    ("bitfield", &[KeySpec::new(&["RW", "access", "update", "variable_flags"], Index(1), Range(0, 1, 0)).notes("This command allows both access and modification of the key")]),
    ("pfcount", &[KeySpec::new(&["RW", "access"], Index(1), Range(-1, 1, 0)).notes("RW because it may change the internal representation of the key, and propagate to replicas")]),
    ("pfmerge", &[KeySpec::new(&["RW", "access", "insert"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Index(2), Range(-1, 1, 0))]),
    ("georadius", &[KeySpec::new(&["RO", "access"], Index(1), Range(0, 1, 0)), KeySpec::new(&["OW", "update"], Keyword("STORE", 6), Range(0, 1, 0)), KeySpec::new(&["OW", "update"], Keyword("STOREDIST", 6), Range(0, 1, 0))]),
    ("georadiusbymember", &[KeySpec::new(&["RO", "access"], Index(1), Range(0, 1, 0)), KeySpec::new(&["OW", "update"], Keyword("STORE", 5), Range(0, 1, 0)), KeySpec::new(&["OW", "update"], Keyword("STOREDIST", 5), Range(0, 1, 0))]),
    ("geosearchstore", &[KeySpec::new(&["OW", "update"], Index(1), Range(0, 1, 0)), KeySpec::new(&["RO", "access"], Index(2), Range(0, 1, 0))]),
    ("xadd", &[KeySpec::new(&["RW", "update"], Index(1), Range(0, 1, 0)).notes("UPDATE instead of INSERT because of the optional trimming feature")]),
    ("xreadgroup", &[KeySpec::new(&["RO", "access"], Keyword("STREAMS", 4), Range(-1, 1, 2))]),
    ("xread", &[KeySpec::new(&["RO", "access"], Keyword("STREAMS", 1), Range(-1, 1, 2))]),
];
