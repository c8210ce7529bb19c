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
//!   (a table of at most [`MAX_CURSORS`](keyspace::MAX_CURSORS) cursors, the oldest dropped; a
//!   cursor is forgotten once used). A cursor the server does not know (it
//!   restarted, or dropped the cursor) restarts the scan from the
//!   beginning, so SCAN's guarantee (every key present throughout the scan
//!   is returned at least once) holds only for a scan that completes within
//!   its cursors' life. When nothing changes, a scan returns each key
//!   exactly once.
//! - RANDOMKEY is not uniform: it returns the first key at or after a
//!   pseudo-random point of the byte order (wrapping), except that a
//!   keyspace of fewer than [`RANDOM_PAGE`](keyspace::RANDOM_PAGE) keys is chosen from uniformly.
//! - DBSIZE counts by listing every key: O(keys), not O(1).
//! - FLUSHDB and FLUSHALL delete every key through the engine, page by
//!   page, so the deletes are written behind to the store like any other
//!   (JOTTER.FLUSH waits for them). ASYNC and SYNC are accepted and mean the
//!   same. A key written during the flush, behind its progress, survives.
//! - COPY accepts only `DB 0` (the server has one database).
//!
//! The bodies are in `named.rs` (commands on the keys they name),
//! `expiry.rs` (the EXPIRE and TTL families) and `keyspace.rs` (the
//! whole-keyspace commands).

mod expiry;
mod keyspace;
mod named;
mod object;

use self::expiry::{
    expire, expireat, expiretime, persist, pexpire, pexpireat, pexpiretime, pttl, ttl,
};
use self::keyspace::{dbsize, flush, keys, randomkey, scan};
use self::named::{copy, del, exists, rename, renamenx, type_of};
use self::object::object;
use super::spec::{Spec, data, flag, waits};
use super::subcommand;

const WRITE_FAST: u16 = flag::WRITE | flag::FAST;
const READ_FAST: u16 = flag::READONLY | flag::FAST;

pub(super) const SPECS: &[Spec] = &[
    Spec::new("del", -2, flag::WRITE, "generic", "Deletes one or more keys.", "1.0.0", data(del))
        .keys(1, -1, 1),
    Spec::new(
        "unlink",
        -2,
        WRITE_FAST,
        "generic",
        "Deletes one or more keys (the same as DEL here: deletes are written behind).",
        "4.0.0",
        data(del),
    )
    .keys(1, -1, 1),
    Spec::new(
        "exists",
        -2,
        READ_FAST,
        "generic",
        "Counts how many of the given keys exist (a key given twice counts twice).",
        "1.0.0",
        data(exists),
    )
    .keys(1, -1, 1),
    Spec::new(
        "type",
        2,
        READ_FAST,
        "generic",
        "Returns the type of the value stored at a key: string, hash, zset or none.",
        "1.0.0",
        data(type_of),
    )
    .keys(1, 1, 1),
    Spec::new(
        "touch",
        -2,
        READ_FAST,
        "generic",
        "Counts how many of the given keys exist (there is no access time to update).",
        "3.2.1",
        data(exists),
    )
    .keys(1, -1, 1),
    Spec::new(
        "rename",
        3,
        flag::WRITE,
        "generic",
        "Renames a key, replacing the destination; the key keeps its time to live.",
        "1.0.0",
        data(rename),
    )
    .keys(1, 2, 1),
    Spec::new(
        "renamenx",
        3,
        WRITE_FAST,
        "generic",
        "Renames a key only when the destination does not exist.",
        "1.0.0",
        data(renamenx),
    )
    .keys(1, 2, 1),
    Spec::new(
        "copy",
        -3,
        flag::WRITE | flag::DENYOOM,
        "generic",
        "Copies a key's value and time to live to another key (only DB 0 exists).",
        "6.2.0",
        data(copy),
    )
    .keys(1, 2, 1),
    Spec::new(
        "object",
        -2,
        0,
        "generic",
        "A container for object introspection commands",
        "2.2.3",
        data(object).keys_by(subcommand::keys),
    )
    .subs(object::SUBS),
    Spec::new(
        "expire",
        -3,
        WRITE_FAST,
        "generic",
        "Sets a key's time to live in seconds (NX, XX, GT, LT).",
        "1.0.0",
        data(expire),
    )
    .keys(1, 1, 1),
    Spec::new(
        "pexpire",
        -3,
        WRITE_FAST,
        "generic",
        "Sets a key's time to live in milliseconds (NX, XX, GT, LT).",
        "2.6.0",
        data(pexpire),
    )
    .keys(1, 1, 1),
    Spec::new(
        "expireat",
        -3,
        WRITE_FAST,
        "generic",
        "Sets a key's expiry as a Unix time in seconds (NX, XX, GT, LT).",
        "1.2.0",
        data(expireat),
    )
    .keys(1, 1, 1),
    Spec::new(
        "pexpireat",
        -3,
        WRITE_FAST,
        "generic",
        "Sets a key's expiry as a Unix time in milliseconds (NX, XX, GT, LT).",
        "2.6.0",
        data(pexpireat),
    )
    .keys(1, 1, 1),
    Spec::new(
        "ttl",
        2,
        READ_FAST,
        "generic",
        "Returns a key's time to live in seconds (-2: no key, -1: no expiry).",
        "1.0.0",
        data(ttl),
    )
    .keys(1, 1, 1),
    Spec::new(
        "pttl",
        2,
        READ_FAST,
        "generic",
        "Returns a key's time to live in milliseconds (-2: no key, -1: no expiry).",
        "2.6.0",
        data(pttl),
    )
    .keys(1, 1, 1),
    Spec::new(
        "persist",
        2,
        WRITE_FAST,
        "generic",
        "Removes a key's expiry.",
        "2.2.0",
        data(persist),
    )
    .keys(1, 1, 1),
    Spec::new(
        "expiretime",
        2,
        READ_FAST,
        "generic",
        "Returns a key's expiry as a Unix time in seconds (-2: no key, -1: no expiry).",
        "7.0.0",
        data(expiretime),
    )
    .keys(1, 1, 1),
    Spec::new(
        "pexpiretime",
        2,
        READ_FAST,
        "generic",
        "Returns a key's expiry as a Unix time in milliseconds (-2: no key, -1: no expiry).",
        "7.0.0",
        data(pexpiretime),
    )
    .keys(1, 1, 1),
    Spec::new(
        "keys",
        2,
        flag::READONLY,
        "generic",
        "Returns every key matching a glob pattern, in byte order (lists the whole keyspace).",
        "1.0.0",
        waits(keys),
    ),
    Spec::new(
        "scan",
        -2,
        flag::READONLY,
        "generic",
        "Iterates over the keys in byte order (MATCH, COUNT, TYPE); a cursor the server no \
         longer knows restarts the scan.",
        "2.8.0",
        waits(scan),
    ),
    Spec::new(
        "randomkey",
        1,
        flag::READONLY,
        "generic",
        "Returns a key chosen pseudo-randomly (not uniformly).",
        "1.0.0",
        waits(randomkey),
    ),
    Spec::new(
        "dbsize",
        1,
        READ_FAST,
        "server",
        "Returns the number of keys, counted by listing them (O(keys)).",
        "1.0.0",
        waits(dbsize),
    ),
    Spec::new(
        "flushdb",
        -1,
        flag::WRITE,
        "server",
        "Deletes every key through the engine; the deletes are written behind to the store \
         (ASYNC and SYNC are accepted).",
        "1.0.0",
        waits(flush),
    ),
    Spec::new(
        "flushall",
        -1,
        flag::WRITE,
        "server",
        "Deletes every key through the engine, as FLUSHDB (the server has one database); the \
         deletes are written behind to the store.",
        "1.0.0",
        waits(flush),
    ),
];
