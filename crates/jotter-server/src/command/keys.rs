//! The keyspace ("generic") commands of Redis 7.0: DEL, UNLINK, EXISTS,
//! TYPE, TOUCH, RENAME, RENAMENX, COPY, the EXPIRE family, TTL, PTTL,
//! PERSIST, EXPIRETIME, PEXPIRETIME, and the commands over the whole
//! keyspace: KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB and FLUSHALL.
//!
//! The commands naming keys are data commands (one engine transaction over
//! their keys, usable inside MULTI/EXEC). The whole-keyspace commands list
//! keys page by page through [`Cache::keys`](jotter::Cache::keys) (the
//! store's keys with the pending writes on top, in byte order), so they are
//! not atomic: a key written while they run may or may not be seen, but a
//! key that exists throughout is always seen, even if its write is stored
//! meanwhile.
//!
//! Differences from Redis, all forced by the write-behind design:
//!
//! - Keys come in byte order, not hash-table order.
//! - SCAN's cursor is a number the server maps to the last key it returned
//!   (a table of at most [`MAX_CURSORS`] cursors, the oldest dropped; a
//!   cursor is forgotten once used). A cursor the server does not know (it
//!   restarted, or dropped the cursor) restarts the scan from the
//!   beginning, so SCAN's guarantee (every key present throughout the scan
//!   is returned at least once) holds only for a scan that completes within
//!   its cursors' life. When nothing changes, a scan returns each key
//!   exactly once.
//! - RANDOMKEY is not uniform: it returns the first key at or after a
//!   pseudo-random point of the byte order (wrapping), except that a
//!   keyspace of fewer than [`RANDOM_PAGE`] keys is chosen from uniformly.
//! - DBSIZE counts by listing every key: O(keys), not O(1).
//! - FLUSHDB and FLUSHALL delete every key through the engine, page by
//!   page, so the deletes are written behind to the store like any other
//!   (JOTTER.FLUSH waits for them). ASYNC and SYNC are accepted and mean the
//!   same. A key written during the flush, behind its progress, survives.
//! - COPY accepts only `DB 0` (the server has one database).

use std::collections::{HashMap, VecDeque};
use std::sync::LazyLock;

use bytes::Bytes;
use jotter::{Txn, Value};
use jotter_resp::{ReplyWriter, Request};
use parking_lot::Mutex;

use super::data::{self, Outcome};
use super::glob::glob_match;
use super::{Command, Ctx, Flow, Spec, flag, parse_i64, reply_engine_error};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmd {
    Del,
    Unlink,
    Exists,
    Type,
    Touch,
    Rename,
    RenameNx,
    Copy,
    Expire,
    PExpire,
    ExpireAt,
    PExpireAt,
    Ttl,
    PTtl,
    Persist,
    ExpireTime,
    PExpireTime,
    Keys,
    Scan,
    RandomKey,
    DbSize,
    FlushDb,
    FlushAll,
}

const fn spec(
    name: &'static str,
    arity: i16,
    flags: u16,
    summary: &'static str,
    since: &'static str,
    cmd: Cmd,
) -> Spec {
    Spec::new(name, arity, flags, "generic", summary, since, Command::Keys(cmd))
}

/// DBSIZE, FLUSHDB and FLUSHALL are in Redis's "server" group.
const fn server_spec(
    name: &'static str,
    arity: i16,
    flags: u16,
    summary: &'static str,
    since: &'static str,
    cmd: Cmd,
) -> Spec {
    Spec::new(name, arity, flags, "server", summary, since, Command::Keys(cmd))
}

const WRITE_FAST: u16 = flag::WRITE | flag::FAST;
const READ_FAST: u16 = flag::READONLY | flag::FAST;

pub(super) const SPECS: &[Spec] = &[
    spec("del", -2, flag::WRITE, "Deletes one or more keys.", "1.0.0", Cmd::Del).keys(1, -1, 1),
    spec(
        "unlink",
        -2,
        WRITE_FAST,
        "Deletes one or more keys (the same as DEL here: deletes are written behind).",
        "4.0.0",
        Cmd::Unlink,
    )
    .keys(1, -1, 1),
    spec(
        "exists",
        -2,
        READ_FAST,
        "Counts how many of the given keys exist (a key given twice counts twice).",
        "1.0.0",
        Cmd::Exists,
    )
    .keys(1, -1, 1),
    spec(
        "type",
        2,
        READ_FAST,
        "Returns the type of the value stored at a key: string, hash, zset or none.",
        "1.0.0",
        Cmd::Type,
    )
    .keys(1, 1, 1),
    spec(
        "touch",
        -2,
        READ_FAST,
        "Counts how many of the given keys exist (there is no access time to update).",
        "3.2.1",
        Cmd::Touch,
    )
    .keys(1, -1, 1),
    spec(
        "rename",
        3,
        flag::WRITE,
        "Renames a key, replacing the destination; the key keeps its time to live.",
        "1.0.0",
        Cmd::Rename,
    )
    .keys(1, 2, 1),
    spec(
        "renamenx",
        3,
        WRITE_FAST,
        "Renames a key only when the destination does not exist.",
        "1.0.0",
        Cmd::RenameNx,
    )
    .keys(1, 2, 1),
    spec(
        "copy",
        -3,
        flag::WRITE | flag::DENYOOM,
        "Copies a key's value and time to live to another key (only DB 0 exists).",
        "6.2.0",
        Cmd::Copy,
    )
    .keys(1, 2, 1),
    spec(
        "expire",
        -3,
        WRITE_FAST,
        "Sets a key's time to live in seconds (NX, XX, GT, LT).",
        "1.0.0",
        Cmd::Expire,
    )
    .keys(1, 1, 1),
    spec(
        "pexpire",
        -3,
        WRITE_FAST,
        "Sets a key's time to live in milliseconds (NX, XX, GT, LT).",
        "2.6.0",
        Cmd::PExpire,
    )
    .keys(1, 1, 1),
    spec(
        "expireat",
        -3,
        WRITE_FAST,
        "Sets a key's expiry as a Unix time in seconds (NX, XX, GT, LT).",
        "1.2.0",
        Cmd::ExpireAt,
    )
    .keys(1, 1, 1),
    spec(
        "pexpireat",
        -3,
        WRITE_FAST,
        "Sets a key's expiry as a Unix time in milliseconds (NX, XX, GT, LT).",
        "2.6.0",
        Cmd::PExpireAt,
    )
    .keys(1, 1, 1),
    spec(
        "ttl",
        2,
        READ_FAST,
        "Returns a key's time to live in seconds (-2: no key, -1: no expiry).",
        "1.0.0",
        Cmd::Ttl,
    )
    .keys(1, 1, 1),
    spec(
        "pttl",
        2,
        READ_FAST,
        "Returns a key's time to live in milliseconds (-2: no key, -1: no expiry).",
        "2.6.0",
        Cmd::PTtl,
    )
    .keys(1, 1, 1),
    spec("persist", 2, WRITE_FAST, "Removes a key's expiry.", "2.2.0", Cmd::Persist).keys(1, 1, 1),
    spec(
        "expiretime",
        2,
        READ_FAST,
        "Returns a key's expiry as a Unix time in seconds (-2: no key, -1: no expiry).",
        "7.0.0",
        Cmd::ExpireTime,
    )
    .keys(1, 1, 1),
    spec(
        "pexpiretime",
        2,
        READ_FAST,
        "Returns a key's expiry as a Unix time in milliseconds (-2: no key, -1: no expiry).",
        "7.0.0",
        Cmd::PExpireTime,
    )
    .keys(1, 1, 1),
    spec(
        "keys",
        2,
        flag::READONLY,
        "Returns every key matching a glob pattern, in byte order (lists the whole keyspace).",
        "1.0.0",
        Cmd::Keys,
    ),
    spec(
        "scan",
        -2,
        flag::READONLY,
        "Iterates over the keys in byte order (MATCH, COUNT, TYPE); a cursor the server no \
         longer knows restarts the scan.",
        "2.8.0",
        Cmd::Scan,
    ),
    spec(
        "randomkey",
        1,
        flag::READONLY,
        "Returns a key chosen pseudo-randomly (not uniformly).",
        "1.0.0",
        Cmd::RandomKey,
    ),
    server_spec(
        "dbsize",
        1,
        READ_FAST,
        "Returns the number of keys, counted by listing them (O(keys)).",
        "1.0.0",
        Cmd::DbSize,
    ),
    server_spec(
        "flushdb",
        -1,
        flag::WRITE,
        "Deletes every key through the engine; the deletes are written behind to the store \
         (ASYNC and SYNC are accepted).",
        "1.0.0",
        Cmd::FlushDb,
    ),
    server_spec(
        "flushall",
        -1,
        flag::WRITE,
        "Deletes every key through the engine, as FLUSHDB (the server has one database); the \
         deletes are written behind to the store.",
        "1.0.0",
        Cmd::FlushAll,
    ),
];

/// The keys of a data command; the whole-keyspace commands are not data
/// commands.
pub(super) fn keys(cmd: Cmd, spec: &Spec, req: &Request) -> Option<Vec<Bytes>> {
    match cmd {
        Cmd::Keys | Cmd::Scan | Cmd::RandomKey | Cmd::DbSize | Cmd::FlushDb | Cmd::FlushAll => None,
        _ => Some(data::spec_keys(spec, req)),
    }
}

/// The body of each data command, run under the locks of its keys.
pub(super) fn apply(
    cmd: Cmd,
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    match cmd {
        Cmd::Del | Cmd::Unlink => {
            let mut deleted = 0i64;
            for key in req.args().skip(1) {
                deleted += i64::from(txn.delete(key));
            }
            w.integer(deleted);
        }
        Cmd::Exists | Cmd::Touch => {
            let found = req.args().skip(1).filter(|k| txn.get(k).is_some()).count();
            w.integer(i64::try_from(found).unwrap_or(i64::MAX));
        }
        Cmd::Type => w.simple(match txn.get(key) {
            None => b"none",
            Some(Value::Blob(_)) => b"string",
            Some(Value::Hash(_)) => b"hash",
            Some(Value::Scores(_)) => b"zset",
        }),
        Cmd::Rename | Cmd::RenameNx => rename(req, txn, w, cmd == Cmd::RenameNx)?,
        Cmd::Copy => copy(req, txn, w)?,
        Cmd::Expire | Cmd::PExpire | Cmd::ExpireAt | Cmd::PExpireAt => expire(cmd, req, txn, w)?,
        Cmd::Ttl | Cmd::PTtl | Cmd::ExpireTime | Cmd::PExpireTime => {
            let Some(entry) = txn.entry(key) else {
                w.integer(-2);
                return Ok(());
            };
            let Some(at) = entry.expires_at else {
                w.integer(-1);
                return Ok(());
            };
            let at = i64::try_from(at).unwrap_or(i64::MAX);
            let ms = match cmd {
                Cmd::Ttl | Cmd::PTtl => at.saturating_sub(now_i64(txn)).max(0),
                _ => at,
            };
            w.integer(match cmd {
                Cmd::PTtl | Cmd::PExpireTime => ms,
                // Redis rounds to the nearest second.
                _ => ms.saturating_add(500) / 1000,
            });
        }
        Cmd::Persist => {
            let cleared = txn.expires_at(key).is_some() && txn.set_expiry(key, None);
            w.integer(i64::from(cleared));
        }
        Cmd::Keys | Cmd::Scan | Cmd::RandomKey | Cmd::DbSize | Cmd::FlushDb | Cmd::FlushAll => {
            unreachable!("{cmd:?} is not a data command")
        }
    }
    Ok(())
}

fn now_i64(txn: &Txn<'_>) -> i64 {
    i64::try_from(txn.now()).unwrap_or(i64::MAX)
}

/// RENAME and RENAMENX: the value and its expiry move to the new name.
fn rename(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, nx: bool) -> Outcome {
    let (src, dst) = (req.arg(1).unwrap_or_default(), req.arg(2).unwrap_or_default());
    let Some(entry) = txn.entry(src).cloned() else {
        return Err(data::error("ERR no such key"));
    };
    if src == dst {
        if nx {
            w.integer(0)
        } else {
            w.ok()
        }
        return Ok(());
    }
    if nx && txn.get(dst).is_some() {
        w.integer(0);
        return Ok(());
    }
    txn.put(dst, entry.value, entry.expires_at);
    txn.delete(src);
    if nx {
        w.integer(1)
    } else {
        w.ok()
    }
    Ok(())
}

/// COPY source destination [DB destination-db] [REPLACE].
fn copy(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let mut replace = false;
    let mut i = 3;
    while let Some(opt) = req.arg(i) {
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"db") && i + 1 < req.len() {
            let db = req.arg(i + 1).and_then(parse_i64).ok_or_else(data::not_integer)?;
            let db = i32::try_from(db).map_err(|_| data::not_integer())?;
            if db != 0 {
                return Err(data::error("ERR DB index is out of range"));
            }
            i += 1;
        } else {
            return Err(data::syntax());
        }
        i += 1;
    }
    let (src, dst) = (req.arg(1).unwrap_or_default(), req.arg(2).unwrap_or_default());
    if src == dst {
        return Err(data::error("ERR source and destination objects are the same"));
    }
    let Some(entry) = txn.entry(src).cloned() else {
        w.integer(0);
        return Ok(());
    };
    if txn.get(dst).is_some() && !replace {
        w.integer(0);
        return Ok(());
    }
    txn.put(dst, entry.value, entry.expires_at);
    w.integer(1);
    Ok(())
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT key time [NX|XX|GT|LT], checked in
/// Redis's order: the options, then the time.
fn expire(cmd: Cmd, req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in req.args().skip(3) {
        let flag = match opt.to_ascii_lowercase().as_slice() {
            b"nx" => &mut nx,
            b"xx" => &mut xx,
            b"gt" => &mut gt,
            b"lt" => &mut lt,
            _ => {
                return Err(data::error(format!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(opt)
                )));
            }
        };
        *flag = true;
    }
    if nx && (xx || gt || lt) {
        return Err(data::error(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(data::error("ERR GT and LT options at the same time are not compatible"));
    }
    let mut when = req.arg(2).and_then(parse_i64).ok_or_else(data::not_integer)?;
    let name = match cmd {
        Cmd::Expire => "expire",
        Cmd::PExpire => "pexpire",
        Cmd::ExpireAt => "expireat",
        _ => "pexpireat",
    };
    let invalid = || data::error(format!("ERR invalid expire time in '{name}' command"));
    if matches!(cmd, Cmd::Expire | Cmd::ExpireAt) {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let base = if matches!(cmd, Cmd::Expire | Cmd::PExpire) { now_i64(txn) } else { 0 };
    // Redis refuses only an overflow past the top (a time far in the past
    // simply deletes the key).
    if when > i64::MAX - base {
        return Err(invalid());
    }
    when += base;
    let key = req.arg(1).unwrap_or_default();
    if txn.get(key).is_none() {
        w.integer(0);
        return Ok(());
    }
    let current = txn.expires_at(key).map(|at| i64::try_from(at).unwrap_or(i64::MAX));
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|c| when <= c))
        || (lt && current.is_some_and(|c| when >= c));
    if refused {
        w.integer(0);
        return Ok(());
    }
    if when <= now_i64(txn) {
        txn.delete(key);
    } else {
        txn.set_expiry(key, Some(u64::try_from(when).unwrap_or(u64::MAX)));
    }
    w.integer(1);
    Ok(())
}

/// The whole-keyspace commands.
pub(super) async fn execute(cmd: Cmd, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let result = match cmd {
        Cmd::Keys => keys_command(req, ctx).await,
        Cmd::Scan => scan(req, ctx).await,
        Cmd::RandomKey => random_key(ctx).await,
        Cmd::DbSize => db_size(ctx).await,
        Cmd::FlushDb | Cmd::FlushAll => flush(req, ctx).await,
        _ => unreachable!("{cmd:?} is a data command"),
    };
    if let Err(e) = result {
        reply_engine_error(ctx, &e);
    }
    Flow::Continue
}

/// Keys listed per call to the engine by KEYS, DBSIZE and FLUSHDB.
const PAGE: usize = 1024;

/// Keys deleted per engine transaction by FLUSHDB.
const FLUSH_PAGE: usize = 256;

/// KEYS pattern.
async fn keys_command(req: &Request, ctx: &mut Ctx<'_>) -> jotter::Result<()> {
    let pattern = req.arg(1).unwrap_or_default();
    // As Redis: `*` is every key, the empty one included.
    let all = pattern == b"*";
    let mut found = Vec::new();
    let mut after: Option<Bytes> = None;
    loop {
        let page = ctx.shared.cache.keys(after.as_deref(), PAGE).await?;
        let Some(last) = page.last().cloned() else { break };
        found.extend(page.into_iter().filter(|k| all || glob_match(pattern, k, false)));
        after = Some(last);
    }
    let mut w = ctx.reply();
    w.array(found.len());
    for key in &found {
        w.bulk(key);
    }
    Ok(())
}

/// DBSIZE: counts every live key.
async fn db_size(ctx: &mut Ctx<'_>) -> jotter::Result<()> {
    let mut count = 0usize;
    let mut after: Option<Bytes> = None;
    loop {
        let page = ctx.shared.cache.keys(after.as_deref(), PAGE).await?;
        let Some(last) = page.last().cloned() else { break };
        count += page.len();
        after = Some(last);
    }
    ctx.reply().integer(i64::try_from(count).unwrap_or(i64::MAX));
    Ok(())
}

/// FLUSHDB / FLUSHALL [ASYNC|SYNC]: deletes every key, a page of keys per
/// engine transaction, moving forward in byte order.
async fn flush(req: &Request, ctx: &mut Ctx<'_>) -> jotter::Result<()> {
    let mode_ok = match req.len() {
        1 => true,
        2 => {
            let mode = req.arg(1).unwrap_or_default();
            mode.eq_ignore_ascii_case(b"async") || mode.eq_ignore_ascii_case(b"sync")
        }
        _ => false,
    };
    if !mode_ok {
        ctx.syntax_error();
        return Ok(());
    }
    let cache = &ctx.shared.cache;
    let mut after: Option<Bytes> = None;
    loop {
        let page = cache.keys(after.as_deref(), FLUSH_PAGE).await?;
        let Some(last) = page.last().cloned() else { break };
        cache
            .transact(&page, |txn| {
                for key in &page {
                    txn.delete(key);
                }
                Ok(())
            })
            .await?;
        after = Some(last);
    }
    if ctx.client.write_through {
        // Write-through: the reply says the deletes are in the store.
        cache.flush().await?;
    }
    ctx.reply().ok();
    Ok(())
}

/// Keys RANDOMKEY chooses among uniformly when the keyspace is this small.
pub(crate) const RANDOM_PAGE: usize = 256;

/// RANDOMKEY: uniform over a small keyspace; otherwise the first key after
/// a random point of the byte order, wrapping to the first key.
async fn random_key(ctx: &mut Ctx<'_>) -> jotter::Result<()> {
    let cache = &ctx.shared.cache;
    let first = cache.keys(None, RANDOM_PAGE).await?;
    let chosen = if first.len() < RANDOM_PAGE {
        let n = u64::try_from(first.len()).unwrap_or(1).max(1);
        first.get(usize::try_from(fastrand::u64(..) % n).unwrap_or(0)).cloned()
    } else {
        let point = fastrand::u64(..).to_be_bytes();
        match cache.keys(Some(&point), 1).await?.into_iter().next() {
            Some(key) => Some(key),
            None => first.into_iter().next(),
        }
    };
    match chosen {
        Some(key) => ctx.reply().bulk(&key),
        None => ctx.reply().null(),
    }
    Ok(())
}

/// How many SCAN cursors the server remembers; the oldest is dropped first.
pub(crate) const MAX_CURSORS: usize = 10_000;

/// SCAN cursors: number → the last key returned. A cursor is removed when
/// used; numbers start at a random point so a restarted server does not
/// take an old cursor for one of its own.
struct Cursors {
    next: u64,
    positions: HashMap<u64, Bytes>,
    order: VecDeque<u64>,
}

impl Cursors {
    /// A new cursor resuming after `key`.
    fn insert(&mut self, key: Bytes) -> u64 {
        while self.positions.len() >= MAX_CURSORS {
            let Some(oldest) = self.order.pop_front() else { break };
            self.positions.remove(&oldest);
        }
        let id = self.next;
        // Kept below 2^53 so every client (JavaScript included) reads it
        // exactly; never 0, which means "start" and "done".
        self.next = if id >= (1 << 53) { 1 } else { id + 1 };
        self.positions.insert(id, key);
        self.order.push_back(id);
        // Ids of cursors already used linger in `order`; drop them.
        if self.order.len() > 2 * MAX_CURSORS {
            let positions = &self.positions;
            self.order.retain(|id| positions.contains_key(id));
        }
        id
    }

    fn take(&mut self, id: u64) -> Option<Bytes> {
        self.positions.remove(&id)
    }
}

static CURSORS: LazyLock<Mutex<Cursors>> = LazyLock::new(|| {
    Mutex::new(Cursors {
        next: (fastrand::u64(..) & ((1 << 40) - 1)) + 1,
        positions: HashMap::new(),
        order: VecDeque::new(),
    })
});

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
async fn scan(req: &Request, ctx: &mut Ctx<'_>) -> jotter::Result<()> {
    let Some(cursor) = req.arg(1).and_then(super::args::parse_scan_cursor) else {
        ctx.reply().error(b"ERR invalid cursor");
        return Ok(());
    };
    let mut count: usize = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while let Some(opt) = req.arg(i) {
        let value = req.arg(i + 1);
        match value {
            Some(v) if opt.eq_ignore_ascii_case(b"count") => {
                let Some(n) = parse_i64(v) else {
                    ctx.reply().error(b"ERR value is not an integer or out of range");
                    return Ok(());
                };
                if n < 1 {
                    ctx.syntax_error();
                    return Ok(());
                }
                count = usize::try_from(n).unwrap_or(usize::MAX);
            }
            Some(v) if opt.eq_ignore_ascii_case(b"match") => {
                // `*` matches everything, the empty key included (as Redis).
                pattern = (v != b"*").then_some(v);
            }
            Some(v) if opt.eq_ignore_ascii_case(b"type") => type_name = Some(v),
            _ => {
                ctx.syntax_error();
                return Ok(());
            }
        }
        i += 2;
    }
    let mut after = if cursor == 0 { None } else { CURSORS.lock().take(cursor) };
    let cache = &ctx.shared.cache;
    let mut found = Vec::new();
    let mut examined = 0usize;
    let mut done = false;
    while examined < count {
        // COUNT bounds the keys examined, as in Redis; a page is at most
        // PAGE keys, so a huge COUNT does not list the keyspace at once.
        let page = cache.keys(after.as_deref(), (count - examined).min(PAGE)).await?;
        let Some(last) = page.last().cloned() else {
            done = true;
            break;
        };
        examined += page.len();
        for key in page {
            if pattern.is_some_and(|p| !glob_match(p, &key, false)) {
                continue;
            }
            if let Some(wanted) = type_name {
                let Some(entry) = cache.get_entry(key.clone()).await? else { continue };
                let name: &[u8] = match entry.value {
                    Value::Blob(_) => b"string",
                    Value::Hash(_) => b"hash",
                    Value::Scores(_) => b"zset",
                };
                if !name.eq_ignore_ascii_case(wanted) {
                    continue;
                }
            }
            found.push(key);
        }
        after = Some(last);
    }
    let next = match after {
        Some(key) if !done => CURSORS.lock().insert(key),
        _ => 0,
    };
    let mut w = ctx.reply();
    w.array(2);
    w.bulk(itoa::Buffer::new().format(next).as_bytes());
    w.array(found.len());
    for key in &found {
        w.bulk(key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_table_is_bounded_and_forgets_used_cursors() {
        let mut table = Cursors { next: 1, positions: HashMap::new(), order: VecDeque::new() };
        let first = table.insert(Bytes::from_static(b"a"));
        for _ in 0..MAX_CURSORS {
            table.insert(Bytes::from_static(b"b"));
        }
        assert_eq!(table.positions.len(), MAX_CURSORS);
        assert_eq!(table.take(first), None, "the oldest was dropped");
        let id = table.insert(Bytes::from_static(b"c"));
        assert_eq!(table.take(id).as_deref(), Some(&b"c"[..]));
        assert_eq!(table.take(id), None);
        assert!(table.order.len() <= 2 * MAX_CURSORS + 1);
    }
}
