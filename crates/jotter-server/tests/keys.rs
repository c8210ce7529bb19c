//! The keyspace commands end to end: DEL, UNLINK, EXISTS, TYPE, TOUCH,
//! RENAME, RENAMENX, COPY, the EXPIRE family, TTL, PTTL, PERSIST,
//! EXPIRETIME, PEXPIRETIME, KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB and
//! FLUSHALL, with Redis 7.0's replies and error texts, inside MULTI/EXEC,
//! and what reaches SQLite after JOTTER.FLUSH.
//!
//! Hashes and sorted sets are seeded straight into the SQLite file (rows at
//! version 1, below every version the server writes) for keys the server has
//! not touched yet: it loads them on first use.

mod common;

/// These tests also write rows straight into SQLite, behind the server's
/// back: the server must not assume it is the database's only writer.
const KNOWN_KEYS_OFF: &[&str] = &["--known-keys", "no"];

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::reply::{flush, hello3};
use common::sqlite::{db, stored_hash, stored_string};
use common::{Server, resp};
use redis::aio::MultiplexedConnection;
use redis::{FromRedisValue, RedisResult};

fn seed_hash(server: &Server, key: &str, fields: &[(&str, &str)]) {
    let db = db(server);
    for (field, value) in fields {
        db.execute(
            "INSERT INTO jotter_hashes (key, field, value, version) VALUES (?1, ?2, ?3, 1)",
            (key.as_bytes(), field.as_bytes(), value.as_bytes()),
        )
        .expect("seed a hash field");
    }
}

fn seed_zset(server: &Server, key: &str, members: &[(&str, f64)]) {
    let db = db(server);
    for (member, score) in members {
        db.execute(
            "INSERT INTO jotter_zsets (key, member, score, version) VALUES (?1, ?2, ?3, 1)",
            (key.as_bytes(), member.as_bytes(), score),
        )
        .expect("seed a member");
    }
}

/// A server (not trusting the store's listing) whose store holds the hash
/// `hash` and the sorted set `zset`, one field or member each; and a
/// connection that has set each (key, value) of `strings`.
async fn one_of_each_type(
    hash: &str,
    zset: &str,
    strings: &[(&str, &str)],
) -> (Server, MultiplexedConnection) {
    let server = Server::start(KNOWN_KEYS_OFF);
    seed_hash(&server, hash, &[("f", "v")]);
    seed_zset(&server, zset, &[("m", 1.5)]);
    let mut con = server.client().await;
    for &(key, value) in strings {
        let () = q(&mut con, &["SET", key, value]).await;
    }
    (server, con)
}

fn stored_map_expiry(server: &Server, key: &str) -> Option<i64> {
    db(server)
        .query_row("SELECT expires_at FROM jotter_expiry WHERE key = ?1", [key.as_bytes()], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .ok()
        .flatten()
}

fn count_rows(server: &Server, table: &str) -> i64 {
    db(server).query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

fn now_ms() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

async fn q<T: FromRedisValue>(con: &mut MultiplexedConnection, args: &[&str]) -> T {
    try_q(con, args).await.unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

async fn try_q<T: FromRedisValue>(
    con: &mut MultiplexedConnection,
    args: &[&str],
) -> RedisResult<T> {
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query_async(con).await
}

#[tokio::test]
async fn del_unlink_exists_touch_and_type() {
    let (server, mut con) = one_of_each_type("h", "z", &[("a", "1"), ("b", "2")]).await;
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "a", "a", "b", "nope"]).await, 3);
    assert_eq!(q::<i64>(&mut con, &["TOUCH", "a", "a", "nope", "h"]).await, 3);
    let mut c = server.raw();
    c.roundtrip(&resp(&["TYPE", "a"]), b"+string\r\n");
    c.roundtrip(&resp(&["TYPE", "h"]), b"+hash\r\n");
    c.roundtrip(&resp(&["TYPE", "z"]), b"+zset\r\n");
    c.roundtrip(&resp(&["TYPE", "nope"]), b"+none\r\n");
    c.roundtrip(&resp(&["TYPE"]), b"-ERR wrong number of arguments for 'type' command\r\n");
    c.roundtrip(&resp(&["DEL"]), b"-ERR wrong number of arguments for 'del' command\r\n");
    c.roundtrip(&resp(&["EXISTS"]), b"-ERR wrong number of arguments for 'exists' command\r\n");
    hello3(&mut c);
    c.roundtrip(&resp(&["TYPE", "z"]), b"+zset\r\n");
    c.roundtrip(&resp(&["EXISTS", "z", "h"]), b":2\r\n");
    assert_eq!(q::<i64>(&mut con, &["DEL", "a", "a", "nope", "h"]).await, 2);
    assert_eq!(q::<i64>(&mut con, &["UNLINK", "b", "z", "b"]).await, 2);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "a", "b", "h", "z"]).await, 0);
    flush(&mut c);
    assert_eq!(count_rows(&server, "jotter_strings"), 0);
    assert_eq!(count_rows(&server, "jotter_hashes"), 0);
    assert_eq!(count_rows(&server, "jotter_zsets"), 0);
}

#[tokio::test]
async fn rename_and_renamenx_move_the_value_and_its_ttl() {
    let server = Server::start(KNOWN_KEYS_OFF);
    seed_hash(&server, "h1", &[("a", "1"), ("b", "2")]);
    let mut con = server.client().await;
    let mut c = server.raw();
    c.roundtrip(&resp(&["RENAME", "nope", "x"]), b"-ERR no such key\r\n");
    c.roundtrip(&resp(&["RENAMENX", "nope", "x"]), b"-ERR no such key\r\n");
    c.roundtrip(&resp(&["RENAME", "nope", "nope"]), b"-ERR no such key\r\n");
    let () = q(&mut con, &["SET", "src", "v"]).await;
    assert_eq!(q::<i64>(&mut con, &["EXPIRE", "src", "100"]).await, 1);
    let () = q(&mut con, &["RENAME", "src", "dst"]).await;
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "dst"]).await.as_deref(), Some("v"));
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "src"]).await, 0);
    let ttl: i64 = q(&mut con, &["TTL", "dst"]).await;
    assert!((99..=100).contains(&ttl), "{ttl}");
    // The same name: OK for RENAME, 0 for RENAMENX; nothing changes.
    c.roundtrip(&resp(&["RENAME", "dst", "dst"]), b"+OK\r\n");
    c.roundtrip(&resp(&["RENAMENX", "dst", "dst"]), b":0\r\n");
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "dst"]).await.as_deref(), Some("v"));
    // RENAMENX refuses an existing destination, RENAME replaces it.
    let () = q(&mut con, &["SET", "other", "o"]).await;
    c.roundtrip(&resp(&["RENAMENX", "dst", "other"]), b":0\r\n");
    c.roundtrip(&resp(&["RENAMENX", "dst", "fresh"]), b":1\r\n");
    c.roundtrip(&resp(&["RENAME", "fresh", "other"]), b"+OK\r\n");
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "other"]).await.as_deref(), Some("v"));
    let ttl: i64 = q(&mut con, &["PTTL", "other"]).await;
    assert!((98_000..=100_000).contains(&ttl), "the TTL travels: {ttl}");
    // A key without expiry renamed over one with: the result has none.
    let () = q(&mut con, &["SET", "plain", "p"]).await;
    c.roundtrip(&resp(&["RENAME", "plain", "other"]), b"+OK\r\n");
    c.roundtrip(&resp(&["TTL", "other"]), b":-1\r\n");
    // Across hash keys, over a string key.
    c.roundtrip(&resp(&["RENAME", "h1", "h2"]), b"+OK\r\n");
    c.roundtrip(&resp(&["TYPE", "h1"]), b"+none\r\n");
    c.roundtrip(&resp(&["TYPE", "h2"]), b"+hash\r\n");
    c.roundtrip(&resp(&["RENAME", "h2", "other"]), b"+OK\r\n");
    c.roundtrip(&resp(&["TYPE", "other"]), b"+hash\r\n");
    c.roundtrip(&resp(&["RENAME", "other", "h3"]), b"+OK\r\n");
    flush(&mut c);
    assert_eq!(stored_hash(&server, "h1"), []);
    assert_eq!(stored_hash(&server, "h2"), []);
    assert_eq!(stored_hash(&server, "other"), []);
    let want = [("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2".to_owned())];
    assert_eq!(stored_hash(&server, "h3"), want);
    assert_eq!(stored_string(&server, "other"), None);
    assert_eq!(stored_string(&server, "src"), None);
    assert_eq!(stored_string(&server, "dst"), None);
}

#[tokio::test]
async fn copy_with_replace_and_db() {
    let server = Server::start(KNOWN_KEYS_OFF);
    seed_hash(&server, "hsrc", &[("f", "v")]);
    let mut con = server.client().await;
    let mut c = server.raw();
    c.roundtrip(
        &resp(&["COPY", "a", "a"]),
        b"-ERR source and destination objects are the same\r\n",
    );
    c.roundtrip(&resp(&["COPY", "a", "b", "DB", "1"]), b"-ERR DB index is out of range\r\n");
    c.roundtrip(&resp(&["COPY", "a", "b", "db", "-1"]), b"-ERR DB index is out of range\r\n");
    c.roundtrip(
        &resp(&["COPY", "a", "b", "DB", "x"]),
        b"-ERR value is not an integer or out of range\r\n",
    );
    c.roundtrip(
        &resp(&["COPY", "a", "b", "DB", "4294967296"]),
        b"-ERR value is not an integer or out of range\r\n",
    );
    c.roundtrip(&resp(&["COPY", "a", "b", "DB"]), b"-ERR syntax error\r\n");
    c.roundtrip(&resp(&["COPY", "a", "b", "FOO"]), b"-ERR syntax error\r\n");
    c.roundtrip(&resp(&["COPY", "a"]), b"-ERR wrong number of arguments for 'copy' command\r\n");
    c.roundtrip(&resp(&["COPY", "nope", "b"]), b":0\r\n");
    let () = q(&mut con, &["SET", "a", "1"]).await;
    assert_eq!(q::<i64>(&mut con, &["PEXPIRE", "a", "50000"]).await, 1);
    c.roundtrip(&resp(&["COPY", "a", "b", "DB", "0"]), b":1\r\n");
    let pttl: i64 = q(&mut con, &["PTTL", "b"]).await;
    assert!((48_000..=50_000).contains(&pttl), "the TTL is copied: {pttl}");
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "a"]).await.as_deref(), Some("1"));
    let () = q(&mut con, &["SET", "a", "2"]).await;
    c.roundtrip(&resp(&["COPY", "a", "b"]), b":0\r\n");
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "b"]).await.as_deref(), Some("1"));
    c.roundtrip(&resp(&["COPY", "a", "b", "replace"]), b":1\r\n");
    assert_eq!(q::<Option<String>>(&mut con, &["GET", "b"]).await.as_deref(), Some("2"));
    c.roundtrip(&resp(&["TTL", "b"]), b":-1\r\n");
    c.roundtrip(&resp(&["COPY", "hsrc", "b", "REPLACE", "DB", "0"]), b":1\r\n");
    c.roundtrip(&resp(&["TYPE", "b"]), b"+hash\r\n");
    c.roundtrip(&resp(&["TYPE", "hsrc"]), b"+hash\r\n");
    flush(&mut c);
    assert_eq!(stored_hash(&server, "b"), [("f".to_owned(), "v".to_owned())]);
    assert_eq!(stored_hash(&server, "hsrc"), [("f".to_owned(), "v".to_owned())]);
    assert_eq!(stored_string(&server, "b"), None);
}

#[test]
fn expire_options_and_error_texts() {
    let server = Server::start(KNOWN_KEYS_OFF);
    let mut c = server.raw();
    for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
        for opts in [["NX", "XX"], ["nx", "gt"], ["LT", "NX"]] {
            c.roundtrip(
                &resp(&[cmd, "k", "10", opts[0], opts[1]]),
                b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
            );
        }
        c.roundtrip(
            &resp(&[cmd, "k", "10", "GT", "lt"]),
            b"-ERR GT and LT options at the same time are not compatible\r\n",
        );
        c.roundtrip(&resp(&[cmd, "k", "10", "foo"]), b"-ERR Unsupported option foo\r\n");
        // Options are checked before the time.
        c.roundtrip(&resp(&[cmd, "k", "abc", "foo"]), b"-ERR Unsupported option foo\r\n");
        c.roundtrip(&resp(&[cmd, "k", "abc"]), b"-ERR value is not an integer or out of range\r\n");
        c.roundtrip(&resp(&[cmd, "k", "1.5"]), b"-ERR value is not an integer or out of range\r\n");
        c.roundtrip(&resp(&[cmd, "k", "10", "XX", "GT"]), b":0\r\n");
        c.roundtrip(&resp(&[cmd, "absent", "10"]), b":0\r\n");
    }
    c.roundtrip(
        &resp(&["EXPIRE", "k", "99999999999999999"]),
        b"-ERR invalid expire time in 'expire' command\r\n",
    );
    c.roundtrip(
        &resp(&["EXPIREAT", "k", "-9223372036854775808"]),
        b"-ERR invalid expire time in 'expireat' command\r\n",
    );
    c.roundtrip(
        &resp(&["PEXPIRE", "k", "9223372036854775807"]),
        b"-ERR invalid expire time in 'pexpire' command\r\n",
    );
    c.roundtrip(&resp(&["PEXPIREAT", "k", "9223372036854775807"]), b":0\r\n");
    c.roundtrip(
        &resp(&["EXPIRE", "k"]),
        b"-ERR wrong number of arguments for 'expire' command\r\n",
    );

    // TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 absent, -1 no expiry.
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        c.roundtrip(&resp(&[cmd, "k"]), b":-2\r\n");
    }
    c.roundtrip(&resp(&["SET", "k", "v"]), b"+OK\r\n");
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        c.roundtrip(&resp(&[cmd, "k"]), b":-1\r\n");
    }
    // NX: only without an expiry. XX: only with one.
    c.roundtrip(&resp(&["EXPIRE", "k", "100", "XX"]), b":0\r\n");
    c.roundtrip(&resp(&["EXPIRE", "k", "100", "GT"]), b":0\r\n"); // no expiry is infinite
    c.roundtrip(&resp(&["EXPIRE", "k", "100", "NX"]), b":1\r\n");
    c.roundtrip(&resp(&["EXPIRE", "k", "200", "NX"]), b":0\r\n");
    c.roundtrip(&resp(&["TTL", "k"]), b":100\r\n");
    c.roundtrip(&resp(&["EXPIRE", "k", "50", "GT"]), b":0\r\n");
    c.roundtrip(&resp(&["EXPIRE", "k", "200", "GT"]), b":1\r\n");
    c.roundtrip(&resp(&["EXPIRE", "k", "300", "LT"]), b":0\r\n");
    c.roundtrip(&resp(&["EXPIRE", "k", "150", "lt"]), b":1\r\n");
    c.roundtrip(&resp(&["EXPIRE", "k", "120", "XX", "LT"]), b":1\r\n");
    c.roundtrip(&resp(&["TTL", "k"]), b":120\r\n");
    // LT on a key without expiry sets one.
    c.roundtrip(&resp(&["SET", "k2", "v"]), b"+OK\r\n");
    c.roundtrip(&resp(&["PEXPIRE", "k2", "100000", "LT"]), b":1\r\n");
    c.send(&resp(&["PTTL", "k2"]));
    let pttl: i64 = c.read_line()[1..].trim().parse().unwrap();
    assert!((99_000..=100_000).contains(&pttl), "{pttl}");

    // EXPIREAT / PEXPIREAT and EXPIRETIME / PEXPIRETIME.
    let at_s = now_ms() / 1000 + 1000;
    c.roundtrip(&resp(&["EXPIREAT", "k", &at_s.to_string()]), b":1\r\n");
    c.roundtrip(&resp(&["EXPIRETIME", "k"]), format!(":{at_s}\r\n").as_bytes());
    c.roundtrip(&resp(&["PEXPIRETIME", "k"]), format!(":{}\r\n", at_s * 1000).as_bytes());
    let at_ms = now_ms() + 2_000_123;
    c.roundtrip(&resp(&["PEXPIREAT", "k", &at_ms.to_string()]), b":1\r\n");
    c.roundtrip(&resp(&["PEXPIRETIME", "k"]), format!(":{at_ms}\r\n").as_bytes());
    // EXPIRETIME rounds to the nearest second, as Redis.
    c.roundtrip(&resp(&["EXPIRETIME", "k"]), format!(":{}\r\n", (at_ms + 500) / 1000).as_bytes());

    // A time in the past deletes the key and answers 1.
    c.roundtrip(&resp(&["EXPIRE", "k", "-1"]), b":1\r\n");
    c.roundtrip(&resp(&["EXISTS", "k"]), b":0\r\n");
    c.roundtrip(&resp(&["SET", "k", "v"]), b"+OK\r\n");
    c.roundtrip(&resp(&["PEXPIREAT", "k", "1"]), b":1\r\n");
    c.roundtrip(&resp(&["TTL", "k"]), b":-2\r\n");
    c.roundtrip(&resp(&["SET", "k", "v"]), b"+OK\r\n");
    c.roundtrip(&resp(&["EXPIREAT", "k", "0", "NX"]), b":1\r\n");
    c.roundtrip(&resp(&["GET", "k"]), b"$-1\r\n");
}

#[tokio::test]
async fn an_expired_key_is_gone_and_leaves_sqlite() {
    let server = Server::start(KNOWN_KEYS_OFF);
    seed_hash(&server, "h", &[("f", "v")]);
    let mut c = server.raw();
    c.roundtrip(&resp(&["SET", "k", "v"]), b"+OK\r\n");
    flush(&mut c);
    assert_eq!(stored_string(&server, "k"), Some((b"v".to_vec(), None)));
    c.roundtrip(&resp(&["PEXPIRE", "k", "300"]), b":1\r\n");
    c.roundtrip(&resp(&["PEXPIRE", "h", "300"]), b":1\r\n");
    flush(&mut c);
    let (_, at) = stored_string(&server, "k").expect("still stored");
    assert!(at.is_some_and(|at| at > now_ms()), "{at:?}");
    assert!(stored_map_expiry(&server, "h").is_some());
    tokio::time::sleep(Duration::from_millis(600)).await;
    c.roundtrip(&resp(&["EXISTS", "k"]), b":0\r\n");
    c.roundtrip(&resp(&["TTL", "h"]), b":-2\r\n");
    c.roundtrip(&resp(&["GET", "k"]), b"$-1\r\n");
    flush(&mut c);
    assert_eq!(stored_string(&server, "k"), None);
    assert_eq!(stored_hash(&server, "h"), []);
    assert_eq!(stored_map_expiry(&server, "h"), None);
}

#[tokio::test]
async fn persist_clears_the_stored_expiry() {
    let server = Server::start(KNOWN_KEYS_OFF);
    seed_hash(&server, "h", &[("f", "v")]);
    let mut c = server.raw();
    c.roundtrip(&resp(&["PERSIST", "absent"]), b":0\r\n");
    c.roundtrip(&resp(&["SET", "k", "v"]), b"+OK\r\n");
    c.roundtrip(&resp(&["PERSIST", "k"]), b":0\r\n");
    c.roundtrip(&resp(&["EXPIRE", "k", "1000"]), b":1\r\n");
    c.roundtrip(&resp(&["EXPIRE", "h", "1000"]), b":1\r\n");
    flush(&mut c);
    assert!(stored_string(&server, "k").unwrap().1.is_some());
    assert!(stored_map_expiry(&server, "h").is_some());
    c.roundtrip(&resp(&["PERSIST", "k"]), b":1\r\n");
    c.roundtrip(&resp(&["PERSIST", "k"]), b":0\r\n");
    c.roundtrip(&resp(&["PERSIST", "h"]), b":1\r\n");
    c.roundtrip(&resp(&["TTL", "k"]), b":-1\r\n");
    c.roundtrip(&resp(&["PTTL", "h"]), b":-1\r\n");
    flush(&mut c);
    assert_eq!(stored_string(&server, "k"), Some((b"v".to_vec(), None)));
    assert_eq!(stored_map_expiry(&server, "h"), None);
    assert_eq!(stored_hash(&server, "h"), [("f".to_owned(), "v".to_owned())]);
}

#[tokio::test]
async fn keys_matches_glob_patterns() {
    let server = Server::start(KNOWN_KEYS_OFF);
    let mut con = server.client().await;
    let none: Vec<String> = q(&mut con, &["KEYS", "*"]).await;
    assert!(none.is_empty());
    seed_hash(&server, "user:9", &[("f", "v")]);
    for k in ["user:1", "user:2", "user:10", "other", "u"] {
        let () = q(&mut con, &["SET", k, "v"]).await;
    }
    let all: Vec<String> = q(&mut con, &["KEYS", "*"]).await;
    assert_eq!(all, ["other", "u", "user:1", "user:10", "user:2", "user:9"]);
    let users: Vec<String> = q(&mut con, &["KEYS", "user:?"]).await;
    assert_eq!(users, ["user:1", "user:2", "user:9"]);
    let users: Vec<String> = q(&mut con, &["KEYS", "user:[12]*"]).await;
    assert_eq!(users, ["user:1", "user:10", "user:2"]);
    let exact: Vec<String> = q(&mut con, &["KEYS", "USER:1"]).await;
    assert!(exact.is_empty(), "case-sensitive");
    let mut c = server.raw();
    c.roundtrip(&resp(&["KEYS", "o*"]), b"*1\r\n$5\r\nother\r\n");
    c.roundtrip(&resp(&["KEYS"]), b"-ERR wrong number of arguments for 'keys' command\r\n");
    // The empty key: `*` lists it (as Redis), no other pattern matches it.
    c.roundtrip(&resp(&["SET", "", "e"]), b"+OK\r\n");
    let all: Vec<String> = q(&mut con, &["KEYS", "*"]).await;
    assert_eq!(all.first().map(String::as_str), Some(""));
    c.roundtrip(&resp(&["KEYS", "*o*"]), b"*1\r\n$5\r\nother\r\n");
    c.roundtrip(&resp(&["SCAN", "0", "MATCH", "*", "COUNT", "1"]), b"*2\r\n");
    let _cursor = c.read_line();
    let _cursor = c.read_line();
    c.expect(b"*1\r\n$0\r\n\r\n");
}

#[tokio::test]
async fn scan_returns_every_key_exactly_once() {
    let server = Server::start(KNOWN_KEYS_OFF);
    let mut con = server.client().await;
    // Half the keys reach the store, half are still pending: the scan sees both.
    let mut expected_all = BTreeSet::new();
    for i in 0..500 {
        let key = if i % 2 == 0 { format!("even:{i}") } else { format!("odd:{i}") };
        let () = q(&mut con, &["SET", &key, "v"]).await;
        expected_all.insert(key);
        if i == 250 {
            let () = q(&mut con, &["JOTTER.FLUSH", "5000"]).await;
        }
    }
    for (pattern, count) in [(None, 10), (Some("odd:*"), 7), (Some("even:1*"), 33), (None, 1000)] {
        let mut cursor = 0u64;
        let mut seen = Vec::new();
        let mut calls = 0;
        loop {
            let mut cmd = redis::cmd("SCAN");
            cmd.arg(cursor);
            if let Some(p) = pattern {
                cmd.arg("MATCH").arg(p);
            }
            cmd.arg("COUNT").arg(count);
            let (next, keys): (u64, Vec<String>) = cmd.query_async(&mut con).await.unwrap();
            assert!(keys.len() <= count, "COUNT bounds a call: {}", keys.len());
            seen.extend(keys);
            calls += 1;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        let want: Vec<&String> = expected_all
            .iter()
            .filter(|k| pattern.is_none_or(|p| k.starts_with(p.trim_end_matches('*'))))
            .collect();
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no key twice ({pattern:?}, {count})");
        assert_eq!(unique.into_iter().collect::<Vec<_>>(), want, "({pattern:?}, {count})");
        assert!(calls >= 500 / count.min(500), "COUNT is honoured: {calls} calls");
    }
    // The default COUNT is 10.
    let (next, keys): (u64, Vec<String>) =
        redis::cmd("SCAN").arg(0).query_async(&mut con).await.unwrap();
    assert_ne!(next, 0);
    assert_eq!(keys.len(), 10);
}

#[tokio::test]
async fn scan_options_errors_and_type() {
    let (server, mut con) = one_of_each_type("h1", "z1", &[("s1", "v")]).await;
    let mut c = server.raw();
    c.roundtrip(&resp(&["SCAN", "abc"]), b"-ERR invalid cursor\r\n");
    c.roundtrip(&resp(&["SCAN", " 1"]), b"-ERR invalid cursor\r\n");
    c.roundtrip(&resp(&["SCAN", "18446744073709551616"]), b"-ERR invalid cursor\r\n");
    c.roundtrip(&resp(&["SCAN", "0", "COUNT", "0"]), b"-ERR syntax error\r\n");
    c.roundtrip(
        &resp(&["SCAN", "0", "COUNT", "x"]),
        b"-ERR value is not an integer or out of range\r\n",
    );
    c.roundtrip(&resp(&["SCAN", "0", "MATCH"]), b"-ERR syntax error\r\n");
    c.roundtrip(&resp(&["SCAN", "0", "FOO", "bar"]), b"-ERR syntax error\r\n");
    c.roundtrip(&resp(&["SCAN"]), b"-ERR wrong number of arguments for 'scan' command\r\n");
    // TYPE filters by shape, case-insensitively; an unknown type matches nothing.
    c.roundtrip(&resp(&["SCAN", "0", "TYPE", "hash"]), b"*2\r\n$1\r\n0\r\n*1\r\n$2\r\nh1\r\n");
    c.roundtrip(&resp(&["SCAN", "0", "type", "ZSET"]), b"*2\r\n$1\r\n0\r\n*1\r\n$2\r\nz1\r\n");
    c.roundtrip(&resp(&["SCAN", "0", "TYPE", "string"]), b"*2\r\n$1\r\n0\r\n*1\r\n$2\r\ns1\r\n");
    c.roundtrip(&resp(&["SCAN", "0", "TYPE", "list"]), b"*2\r\n$1\r\n0\r\n*0\r\n");
    c.roundtrip(
        &resp(&["SCAN", "0", "MATCH", "*1", "TYPE", "zset", "COUNT", "100"]),
        b"*2\r\n$1\r\n0\r\n*1\r\n$2\r\nz1\r\n",
    );
    c.roundtrip(&resp(&["SCAN", "0", "MATCH", "nothing*"]), b"*2\r\n$1\r\n0\r\n*0\r\n");
    // A cursor the server does not know restarts from the beginning.
    c.roundtrip(
        &resp(&["SCAN", "7", "COUNT", "100"]),
        b"*2\r\n$1\r\n0\r\n*3\r\n$2\r\nh1\r\n$2\r\ns1\r\n$2\r\nz1\r\n",
    );
    // A cursor, once used, is forgotten: reusing it restarts the scan.
    let (cursor, first): (u64, Vec<String>) =
        redis::cmd("SCAN").arg(0).arg("COUNT").arg(1).query_async(&mut con).await.unwrap();
    assert_ne!(cursor, 0);
    assert_eq!(first, ["h1"]);
    let (_, second): (u64, Vec<String>) =
        redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(1).query_async(&mut con).await.unwrap();
    assert_eq!(second, ["s1"]);
    let (_, again): (u64, Vec<String>) =
        redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(1).query_async(&mut con).await.unwrap();
    assert_eq!(again, ["h1"]);
    // RESP3: the same array of [cursor, keys].
    hello3(&mut c);
    c.roundtrip(&resp(&["SCAN", "0", "TYPE", "hash"]), b"*2\r\n$1\r\n0\r\n*1\r\n$2\r\nh1\r\n");
}

#[tokio::test]
async fn randomkey_dbsize_flushdb_flushall() {
    let server = Server::start(&["--flush-interval", "1h", "--known-keys", "no"]);
    let mut con = server.client().await;
    let mut c = server.raw();
    c.roundtrip(&resp(&["RANDOMKEY"]), b"$-1\r\n");
    c.roundtrip(&resp(&["DBSIZE"]), b":0\r\n");
    seed_hash(&server, "h", &[("f", "v"), ("g", "w")]);
    seed_zset(&server, "z", &[("m", 2.0)]);
    let mut all = BTreeSet::from(["h".to_owned(), "z".to_owned()]);
    for i in 0..600 {
        let key = format!("k{i}");
        let () = q(&mut con, &["SET", &key, "v"]).await;
        all.insert(key);
        if i == 300 {
            flush(&mut c);
        }
    }
    c.roundtrip(&resp(&["DBSIZE"]), b":602\r\n");
    // Over 256 keys, RANDOMKEY starts at a random point (not uniform).
    for _ in 0..20 {
        let key: String = q(&mut con, &["RANDOMKEY"]).await;
        assert!(all.contains(&key), "{key}");
    }
    c.roundtrip(&resp(&["FLUSHDB", "foo"]), b"-ERR syntax error\r\n");
    c.roundtrip(&resp(&["FLUSHDB", "ASYNC", "SYNC"]), b"-ERR syntax error\r\n");
    c.roundtrip(&resp(&["FLUSHALL", "now"]), b"-ERR syntax error\r\n");
    c.roundtrip(
        &resp(&["DBSIZE", "x"]),
        b"-ERR wrong number of arguments for 'dbsize' command\r\n",
    );
    c.roundtrip(&resp(&["FLUSHDB", "async"]), b"+OK\r\n");
    c.roundtrip(&resp(&["DBSIZE"]), b":0\r\n");
    c.roundtrip(&resp(&["KEYS", "*"]), b"*0\r\n");
    c.roundtrip(&resp(&["RANDOMKEY"]), b"$-1\r\n");
    flush(&mut c);
    assert_eq!(count_rows(&server, "jotter_strings"), 0);
    assert_eq!(count_rows(&server, "jotter_hashes"), 0);
    assert_eq!(count_rows(&server, "jotter_zsets"), 0);
    // FLUSHALL, SYNC or not.
    c.roundtrip(&resp(&["SET", "a", "1"]), b"+OK\r\n");
    c.roundtrip(&resp(&["SET", "b", "2"]), b"+OK\r\n");
    flush(&mut c);
    assert_eq!(count_rows(&server, "jotter_strings"), 2);
    // A small keyspace is chosen from uniformly.
    let mut picked = BTreeSet::new();
    for _ in 0..40 {
        picked.insert(q::<String>(&mut con, &["RANDOMKEY"]).await);
    }
    assert_eq!(picked, BTreeSet::from(["a".to_owned(), "b".to_owned()]));
    c.roundtrip(&resp(&["FLUSHALL", "SYNC"]), b"+OK\r\n");
    c.roundtrip(&resp(&["DBSIZE"]), b":0\r\n");
    c.roundtrip(&resp(&["FLUSHALL"]), b"+OK\r\n");
    flush(&mut c);
    assert_eq!(count_rows(&server, "jotter_strings"), 0);
    // RESP3: RANDOMKEY on an empty keyspace is a null.
    hello3(&mut c);
    c.roundtrip(&resp(&["RANDOMKEY"]), b"_\r\n");
}

#[test]
fn multi_exec_runs_rename_and_expire_in_one_transaction() {
    let server = Server::start(KNOWN_KEYS_OFF);
    let mut c = server.raw();
    c.roundtrip(&resp(&["SET", "x", "1"]), b"+OK\r\n");
    c.roundtrip(&resp(&["MULTI"]), b"+OK\r\n");
    c.roundtrip(&resp(&["SET", "a", "v"]), b"+QUEUED\r\n");
    c.roundtrip(&resp(&["RENAME", "a", "b"]), b"+QUEUED\r\n");
    c.roundtrip(&resp(&["EXPIRE", "b", "100"]), b"+QUEUED\r\n");
    c.roundtrip(&resp(&["TTL", "b"]), b"+QUEUED\r\n");
    c.roundtrip(&resp(&["RENAME", "nope", "c"]), b"+QUEUED\r\n");
    c.roundtrip(&resp(&["EXPIRE", "b", "1", "NX", "XX"]), b"+QUEUED\r\n");
    c.roundtrip(&resp(&["EXISTS", "a", "b", "x"]), b"+QUEUED\r\n");
    c.roundtrip(&resp(&["DBSIZE"]), b"+QUEUED\r\n");
    c.roundtrip(
        &resp(&["EXEC"]),
        b"*8\r\n+OK\r\n+OK\r\n:1\r\n:100\r\n-ERR no such key\r\n\
          -ERR NX and XX, GT or LT options at the same time are not compatible\r\n:2\r\n:2\r\n",
    );
    c.roundtrip(&resp(&["TTL", "b"]), b":100\r\n");
    c.roundtrip(&resp(&["GET", "b"]), b"$1\r\nv\r\n");
    // FLUSHDB cannot keep its place inside MULTI (it is not one engine
    // transaction): refused, and the transaction with it.
    c.roundtrip(&resp(&["MULTI"]), b"+OK\r\n");
    c.roundtrip(&resp(&["DEL", "x"]), b"+QUEUED\r\n");
    c.roundtrip(&resp(&["FLUSHDB"]), b"-ERR 'flushdb' cannot run inside MULTI\r\n");
    c.roundtrip(
        &resp(&["EXEC"]),
        b"-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    c.roundtrip(&resp(&["FLUSHDB"]), b"+OK\r\n");
    c.roundtrip(&resp(&["DBSIZE"]), b":0\r\n");
    flush(&mut c);
    assert_eq!(count_rows(&server, "jotter_strings"), 0);
}
