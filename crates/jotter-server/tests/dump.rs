//! DUMP and RESTORE against a private redis-server: a value DUMPed by
//! Jotter RESTOREs into Redis, a value DUMPed by Redis (in its compact
//! encodings: listpacks, integer and LZF-compressed strings) RESTOREs into
//! Jotter, and both hold the same value afterwards; RESTORE's errors and
//! options answer as Redis's do.

mod common;

use common::Raw;
use common::differential::Pair;
use common::reply::{q, read_reply};
use common::resp_bytes;

/// Builds the same values on both servers: every type Jotter holds, in
/// the small and the large encodings Redis picks for them.
fn fill(pair: &mut Pair) {
    pair.same(&["SET", "str", "hello"]);
    pair.same(&["SET", "int", "-12345"]);
    pair.same(&["SET", "big-int", "9223372036854775807"]);
    pair.same(&["SET", "long", &"abc".repeat(100)]);
    pair.same(&["SET", "empty", ""]);
    pair.same(&["SET", "ttl", "x", "PX", "500000"]);
    pair.same(&["HSET", "hash", "f", "1", "g", "two", "h", ""]);
    pair.same(&["ZADD", "zset", "1.5", "a", "-inf", "b", "3", "c"]);
    pair.same(&["SADD", "set", "a", "b", ""]);
    pair.same(&["SADD", "int-set", "1", "-20", "300000"]);
    pair.same(&["RPUSH", "list", "a", "", "-7", "a"]);
    for i in 0..200 {
        let (n, field) = (i.to_string(), format!("field-{i}"));
        pair.same(&["HSET", "big-hash", &field, &n]);
        pair.same(&["ZADD", "big-zset", &n, &field]);
        pair.same(&["SADD", "big-set", &field]);
        pair.same(&["LPUSH", "big-list", &field]);
    }
}

const KEYS: &[&str] = &[
    "str", "int", "big-int", "long", "empty", "ttl", "hash", "zset", "big-hash", "big-zset", "set",
    "int-set", "big-set", "list", "big-list",
];

/// The value at `key`, rendered with its type, in an order of its own.
fn contents(c: &mut Raw, key: &str) -> String {
    let kind = q(c, &["TYPE", key]);
    let value = match kind.as_str() {
        "+string" => q(c, &["GET", key]),
        "+hash" => {
            let mut pairs: Vec<String> = q(c, &["HGETALL", key])
                .trim_matches(|ch| ch == '[' || ch == ']')
                .split(", ")
                .map(str::to_owned)
                .collect::<Vec<_>>()
                .chunks(2)
                .map(|p| p.join("="))
                .collect();
            pairs.sort();
            pairs.join(" ")
        }
        "+zset" => q(c, &["ZRANGE", key, "0", "-1", "WITHSCORES"]),
        "+set" => q(c, &["SORT", key, "ALPHA"]),
        "+list" => q(c, &["LRANGE", key, "0", "-1"]),
        other => panic!("{key} is a {other}"),
    };
    format!("{kind} {value}")
}

fn dump(c: &mut Raw, key: &str) -> Vec<u8> {
    c.send(&resp_bytes(&[b"DUMP", key.as_bytes()]));
    c.read_bulk_bytes().unwrap_or_else(|| panic!("DUMP {key} is nil"))
}

fn restore(c: &mut Raw, key: &str, payload: &[u8]) {
    c.send(&resp_bytes(&[b"RESTORE", key.as_bytes(), b"0", payload]));
    assert_eq!(read_reply(c), "+OK", "RESTORE {key}");
}

#[test]
fn values_move_both_ways_between_jotter_and_redis() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    fill(&mut pair);
    for key in KEYS {
        let ours = dump(&mut pair.j, key);
        let theirs = dump(&mut pair.r, key);
        let copy = format!("{key}:copy");
        restore(&mut pair.r, &copy, &ours);
        restore(&mut pair.j, &copy, &theirs);
        let original = contents(&mut pair.j, key);
        assert_eq!(original, contents(&mut pair.r, key), "{key} differs before DUMP");
        assert_eq!(contents(&mut pair.r, &copy), original, "Jotter's DUMP of {key} in Redis");
        assert_eq!(contents(&mut pair.j, &copy), original, "Redis's DUMP of {key} in Jotter");
        // RESTORE without a ttl leaves the copy without one.
        pair.same(&["TTL", &copy]);
    }
    // The restored copies are written behind and read back after a restart.
    let mut c = pair.j;
    q(&mut c, &["JOTTER.FLUSH", "5000"]);
    let server = pair.jotter.restart(&[]);
    let mut c = server.raw();
    for key in KEYS {
        assert_eq!(contents(&mut c, &format!("{key}:copy")), contents(&mut c, key), "{key}");
    }
}

#[test]
fn restore_checks_and_options_answer_as_redis() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.same(&["SET", "source", "value"]);
    let payload = dump(&mut pair.r, "source");
    assert_eq!(dump(&mut pair.j, "source"), payload, "a short string's payload is Redis's");
    let mut flipped = payload.clone();
    flipped[1] ^= 0x20;
    let p: &[u8] = &payload;
    let cases: &[&[&[u8]]] = &[
        &[b"DUMP", b"missing"],
        &[b"RESTORE", b"k", b"0", p],
        &[b"RESTORE", b"k", b"0", p],
        &[b"RESTORE", b"k", b"abc", p],
        &[b"RESTORE", b"k", b"0", p, b"REPLACE"],
        &[b"RESTORE", b"k", b"-1", p, b"REPLACE"],
        &[b"RESTORE", b"k", b"abc", p, b"REPLACE"],
        &[b"RESTORE", b"k", b"0", p, b"REPLACE", b"IDLETIME", b"-1"],
        &[b"RESTORE", b"k", b"0", p, b"REPLACE", b"IDLETIME", b"x"],
        &[b"RESTORE", b"k", b"0", p, b"REPLACE", b"FREQ", b"256"],
        &[b"RESTORE", b"k", b"0", p, b"REPLACE", b"IDLETIME", b"5", b"FREQ", b"5"],
        &[b"RESTORE", b"k", b"0", p, b"REPLACE", b"IDLETIME"],
        &[b"RESTORE", b"k", b"0", p, b"REPLACE", b"BOGUS"],
        &[b"RESTORE", b"k", b"0", p, b"REPLACE", b"IDLETIME", b"5", b"FREQ", b"0", b"ABSTTL"],
        &[b"RESTORE", b"k", b"0", p, b"REPLACE", b"FREQ", b"7", b"ABSTTL"],
        &[b"RESTORE", b"k2", b"0", b"garbage"],
        &[b"RESTORE", b"k2", b"0", &flipped],
        &[b"RESTORE", b"k2", b"0", b""],
        &[b"GET", b"k"],
        // An absolute expiry in the past: REPLACE deletes, nothing is made.
        &[b"RESTORE", b"k", b"1", p, b"REPLACE", b"ABSTTL"],
        &[b"EXISTS", b"k"],
        &[b"RESTORE", b"k", b"1", p, b"ABSTTL"],
        &[b"EXISTS", b"k"],
        &[b"RESTORE", b"k", b"100000", p],
        &[b"TTL", b"k"],
        &[b"RESTORE", b"k", b"99999999999999", p, b"REPLACE", b"ABSTTL"],
        &[b"EXPIRETIME", b"k"],
    ];
    for args in cases {
        pair.same_bytes(args);
    }
}

#[test]
fn object_answers_as_redis_where_it_can() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.same(&["SET", "int", "12"]);
    pair.same(&["SET", "zeros", "012"]);
    pair.same(&["SET", "short", "hello"]);
    pair.same(&["SET", "long", &"x".repeat(45)]);
    pair.same(&["HSET", "small-hash", "f", "v"]);
    pair.same(&["HSET", "wide-hash", "f", &"v".repeat(65)]);
    pair.same(&["ZADD", "small-zset", "1", "m"]);
    for i in 0..513 {
        pair.same(&["HSET", "big-hash", &i.to_string(), "v"]);
    }
    for i in 0..129 {
        pair.same(&["ZADD", "big-zset", "1", &i.to_string()]);
    }
    pair.same(&["SADD", "int-set", "1", "-2", "300"]);
    pair.same(&["SADD", "word-set", "1", "a"]);
    for i in 0..513 {
        pair.same(&["SADD", "big-int-set", &i.to_string()]);
    }
    for key in [
        "int",
        "zeros",
        "short",
        "long",
        "small-hash",
        "wide-hash",
        "small-zset",
        "big-hash",
        "int-set",
        "word-set",
        "big-int-set",
    ] {
        pair.same(&["OBJECT", "ENCODING", key]);
    }
    pair.same(&["OBJECT", "ENCODING", "big-zset"]);
    pair.same(&["OBJECT", "ENCODING", "missing"]);
    pair.same(&["OBJECT", "FREQ", "missing"]);
    pair.same(&["OBJECT", "REFCOUNT", "short"]);
    pair.same(&["OBJECT", "HELP"]);
    pair.same(&["OBJECT", "ENCODING"]);
    pair.same(&["OBJECT", "HELP", "x"]);
    pair.same(&["OBJECT", "NOPE", "x"]);
    let (ours, _) = pair.both(&["OBJECT", "IDLETIME", "short"]);
    assert!(ours.starts_with("-ERR"), "{ours}");
    let (ours, _) = pair.both(&["OBJECT", "FREQ", "short"]);
    assert!(ours.starts_with("-ERR An LFU maxmemory policy is not selected"), "{ours}");
}

/// A stream DUMPs in Jotter's own form: RESTORE here gives back its entries
/// and its groups' state whole (also after a restart); Redis refuses it as
/// a bad format, as it refuses a payload it cannot read.
#[test]
fn a_stream_moves_whole_between_jotter_keys_and_redis_refuses_it() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let c = &mut pair.j;
    for i in 1..=5 {
        q(c, &["XADD", "s", &format!("{i}-1"), "n", &i.to_string(), "f", "v"]);
    }
    q(c, &["XTRIM", "s", "MAXLEN", "4"]);
    q(c, &["XDEL", "s", "3-1"]);
    q(c, &["XGROUP", "CREATE", "s", "g", "0"]);
    q(c, &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"]);
    q(c, &["XACK", "s", "g", "2-1"]);
    let payload = dump(c, "s");
    restore(c, "copy", &payload);
    let views: &[&[&str]] = &[
        &["XRANGE", "KEY", "-", "+"],
        &["XLEN", "KEY"],
        &["XPENDING", "KEY", "g"],
        &["XINFO", "GROUPS", "KEY"],
        &["XINFO", "STREAM", "KEY"],
    ];
    let view = |c: &mut Raw, key: &str| -> Vec<String> {
        views
            .iter()
            .map(|v| {
                let args: Vec<&str> = v.iter().map(|a| if *a == "KEY" { key } else { a }).collect();
                q(c, &args)
            })
            .collect()
    };
    let original = view(c, "s");
    assert_eq!(view(c, "copy"), original);
    assert!(original[2].contains("alice"), "{original:?}");
    pair.r.send(&resp_bytes(&[b"RESTORE", b"s", b"0", &payload]));
    assert_eq!(read_reply(&mut pair.r), "-ERR Bad data format");
    let mut c = pair.j;
    q(&mut c, &["JOTTER.FLUSH", "5000"]);
    let server = pair.jotter.restart(&[]);
    let mut c = server.raw();
    assert_eq!(view(&mut c, "copy"), original);
}
