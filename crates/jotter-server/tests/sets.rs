//! Set commands against a real redis-server: random histories of every set
//! command (and of the sorted-set commands that take sets) sent to both,
//! replies equal in RESP2 and RESP3, unordered ones compared as multisets;
//! SRANDMEMBER and SPOP checked for shape and membership; SSCAN to the end;
//! and sets written behind: their rows in SQLite and PostgreSQL, read back
//! after a restart.

mod common;

use std::collections::BTreeSet;

use common::Server;
use common::differential::{Command, Pair, Rng};
use common::pg::Schema;
use common::reply::{Reply, check};
use common::sqlite::db;

const KEYS: &[&str] = &["a", "b", "c", "d"];
const MEMBERS: &[&str] = &["x", "y", "z", "1", "2", "-3", "", "a longer member"];

fn members(rng: &mut Rng, most: u64) -> Vec<String> {
    (0..=rng.below(most)).map(|_| rng.pick(MEMBERS).to_owned()).collect()
}

fn with(head: &[&str], tail: Vec<String>) -> Vec<String> {
    head.iter().map(|s| (*s).to_owned()).chain(tail).collect()
}

/// One random command over the set family and its neighbours.
fn one(rng: &mut Rng) -> Command {
    let (k, k2, k3) = (rng.pick(KEYS), rng.pick(KEYS), rng.pick(KEYS));
    let m = rng.pick(MEMBERS);
    let n = rng.between(-1, 4).to_string();
    let unordered = |args: &[&str]| Command::new(args).unordered();
    match rng.below(38) {
        0..=4 => with(&["SADD", k], members(rng, 4)).into(),
        5 | 6 => with(&["SREM", k], members(rng, 3)).into(),
        7 => Command::new(&["SCARD", k]),
        8 => Command::new(&["SISMEMBER", k, m]),
        9 => with(&["SMISMEMBER", k], members(rng, 3)).into(),
        10 | 11 => unordered(&["SMEMBERS", k]),
        12 => Command::new(&["SMOVE", k, k2, m]),
        13 => unordered(&["SINTER", k, k2]),
        14 => unordered(&["SUNION", k, k2, k3]),
        15 => unordered(&["SDIFF", k, k2, k3]),
        16 => Command::new(&["SINTERSTORE", k, k2, k3]),
        17 => Command::new(&["SUNIONSTORE", k, k2, k3]),
        18 => Command::new(&["SDIFFSTORE", k, k2, k3]),
        19 => Command::new(&["SINTERCARD", "2", k, k2, "LIMIT", &n]),
        20 => Command::new(&["SINTERCARD", &n, k, k2]),
        // Counts that take the whole set, or nothing: the same members in
        // both servers.
        21 => unordered(&["SRANDMEMBER", k, "100"]),
        22 => Command::new(&["SRANDMEMBER", k, rng.pick(&["0", "x", "1 2"])]),
        23 => unordered(&["SPOP", k, "100"]),
        24 => Command::new(&["SPOP", k, rng.pick(&["0", "-1", "x"])]),
        25 => Command::new(&["ZUNION", "2", k, k2, "WITHSCORES"]),
        26 => Command::new(&["ZINTER", "2", k, k2, "WEIGHTS", "2", "3", "WITHSCORES"]),
        27 => Command::new(&["ZDIFF", "2", k, k2, "WITHSCORES"]),
        28 => Command::new(&["ZUNIONSTORE", k3, "2", k, k2, "AGGREGATE", "MAX"]),
        29 => Command::new(&["ZINTERSTORE", k3, "2", k, k2]),
        30 => Command::new(&["ZDIFFSTORE", k3, "2", k, k2]),
        31 => Command::new(&["ZINTERCARD", "2", k, k2]),
        32 => Command::new(&["ZADD", k, &n, m]),
        33 => Command::new(&["TYPE", k]),
        34 => Command::new(&["DEL", k]),
        35 => Command::new(&["COPY", k, k2, "REPLACE"]),
        36 => Command::new(&["RENAME", k, k2]),
        _ => Command::new(rng.pick(&[&["SET", k, "v"][..], &["HSET", k, "f", "v"]])),
    }
}

#[test]
fn set_commands_answer_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.fuzz_both_protocols(11, 3000, one);
}

#[test]
fn errors_and_edges_answer_as_redis_does() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    for resp3 in [false, true] {
        if resp3 {
            pair.resp3();
        }
        pair.same(&["FLUSHALL"]);
        pair.same(&["SADD", "s", "a", "b", "c"]);
        pair.same(&["SET", "str", "x"]);
        for args in [
            &["SINTER", "s", "missing", "str"][..],
            &["SINTER", "missing", "str"],
            &["SUNION", "missing", "str"],
            &["SDIFF", "str", "missing"],
            &["SINTERCARD", "0", "s"],
            &["SINTERCARD", "x", "s"],
            &["SINTERCARD", "3", "s", "missing"],
            &["SINTERCARD", "1", "s", "LIMIT", "-1"],
            &["SINTERCARD", "1", "s", "LIMIT"],
            &["SINTERCARD", "1", "s", "LIMIT", "1", "LIMIT", "0"],
            &["SINTERCARD", "2", "missing", "str"],
            &["SMOVE", "missing", "str", "a"],
            &["SMOVE", "s", "str", "zz"],
            &["SMOVE", "s", "s", "a"],
            &["SMOVE", "s", "s", "zz"],
            &["SPOP", "s", "-1"],
            &["SPOP", "s", "1", "2"],
            &["SPOP", "missing"],
            &["SPOP", "missing", "2"],
            &["SRANDMEMBER", "s", "-9223372036854775808"],
            &["SRANDMEMBER", "s", "1", "2"],
            &["SRANDMEMBER", "missing"],
            &["SRANDMEMBER", "missing", "-3"],
            &["SSCAN", "s", "x"],
            &["SSCAN", "missing", "0", "COUNT", "0"],
            &["SSCAN", "s", "0", "COUNT", "0"],
            &["SSCAN", "s", "0", "MATCH"],
            &["SINTERSTORE", "dst", "missing", "s"],
            &["SADD", "str", "a"],
            &["SREM", "str", "a"],
            &["SCARD", "str"],
            &["SMISMEMBER", "missing", "a", "b"],
            &["TYPE", "s"],
            &["ZUNION", "2", "s", "str"],
            &["ZINTERCARD", "2", "s", "s", "LIMIT", "1"],
            &["SADD", "s"],
            &["SMOVE", "s", "t"],
        ] {
            pair.same(args);
        }
        pair.same_unordered(&["SPOP", "s", "3"]);
        pair.same(&["EXISTS", "s"]);
    }
}

/// Every key SCAN finds on one server (`jotter` or not) with `extra`
/// options, from cursor 0 to the end.
fn scan_keys(pair: &mut Pair, jotter: bool, extra: &[&str]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut cursor = "0".to_owned();
    loop {
        let args: Vec<&str> = [&["SCAN", &cursor][..], extra].concat();
        let (j, r) = pair.both_trees(&args);
        let Reply::List { items: parts, .. } = (if jotter { j } else { r }) else { panic!() };
        cursor = parts[0].render().trim_matches('"').to_owned();
        found.extend(items(&parts[1]));
        if cursor == "0" {
            return found;
        }
    }
}

/// SCAN's TYPE filter names every type as TYPE does.
#[test]
fn scan_type_finds_every_type() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    pair.same(&["SADD", "s1", "a"]);
    pair.same(&["SADD", "s2", "b", "c"]);
    pair.same(&["ZADD", "z", "1", "a"]);
    pair.same(&["HSET", "h", "f", "v"]);
    pair.same(&["SET", "str", "v"]);
    for kind in ["set", "zset", "hash", "string", "SET", "list", "nothing"] {
        for extra in [&["TYPE", kind][..], &["TYPE", kind, "COUNT", "2", "MATCH", "s*"]] {
            let j = scan_keys(&mut pair, true, extra);
            assert_eq!(j, scan_keys(&mut pair, false, extra), "SCAN ... {extra:?}");
        }
    }
}

/// The members of a set reply, or of an array reply.
fn items(reply: &Reply) -> Vec<String> {
    match reply {
        Reply::List { items, .. } => items.iter().map(Reply::render).collect(),
        other => panic!("not an array: {}", other.render()),
    }
}

/// SRANDMEMBER and SPOP pick at random, so their replies are checked for
/// shape (the reply type, the count, repeats or none) and membership, and
/// the servers are brought back level after each SPOP.
#[test]
fn random_picks_have_the_shape_of_redis_picks() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let all: Vec<String> = (0..12).map(|i| format!("m{i}")).collect();
    let all_args: Vec<&str> = all.iter().map(String::as_str).collect();
    for resp3 in [false, true] {
        if resp3 {
            pair.resp3();
        }
        pair.same(&["DEL", "s"]);
        pair.same(&[&["SADD", "s"][..], &all_args].concat());
        let quoted: BTreeSet<String> = all.iter().map(|m| format!("{m:?}")).collect();
        for n in ["-20", "-3", "-1", "1", "5", "11", "12", "40"] {
            let (j, r) = pair.both_trees(&["SRANDMEMBER", "s", n]);
            let (jn, rn) = (items(&j), items(&r));
            assert_eq!(jn.len(), rn.len(), "SRANDMEMBER s {n}: {} / {}", j.render(), r.render());
            assert!(jn.iter().all(|m| quoted.contains(m)), "{}", j.render());
            assert_eq!(j.render().chars().next(), r.render().chars().next(), "reply type");
            if !n.starts_with('-') {
                let distinct: BTreeSet<&String> = jn.iter().collect();
                assert_eq!(distinct.len(), jn.len(), "repeats in {}", j.render());
            }
        }
        let (j, r) = pair.both_trees(&["SRANDMEMBER", "s"]);
        assert!(quoted.contains(&j.render()) && quoted.contains(&r.render()));
        // SPOP: the same shapes; what is left is the set less what it
        // popped; then both servers hold Jotter's remainder.
        for n in ["1", "4", ""] {
            let args: Vec<&str> = ["SPOP", "s", n].into_iter().filter(|a| !a.is_empty()).collect();
            let before = items(&pair.both_trees(&["SMEMBERS", "s"]).0);
            let (j, r) = pair.both_trees(&args);
            let popped = if n.is_empty() { vec![j.render()] } else { items(&j) };
            if !n.is_empty() {
                assert_eq!(popped.len(), items(&r).len(), "SPOP s {n}");
                assert_eq!(j.render().chars().next(), r.render().chars().next(), "reply type");
            }
            let left = items(&pair.both_trees(&["SMEMBERS", "s"]).0);
            let mut expected: BTreeSet<String> = before.into_iter().collect();
            for m in &popped {
                assert!(expected.remove(m), "{m} was not in the set");
            }
            assert_eq!(left.into_iter().collect::<BTreeSet<_>>(), expected);
            let left: Vec<String> =
                expected.iter().map(|m| m.trim_matches('"').to_owned()).collect();
            let left: Vec<&str> = left.iter().map(String::as_str).collect();
            pair.same(&["DEL", "s"]);
            pair.same(&[&["SADD", "s"][..], &left].concat());
        }
    }
}

/// Every member of `key`, by SSCAN from cursor 0 to the end on one server's
/// connection (`jotter` or not), with `extra` options.
fn scan_all(pair: &mut Pair, jotter: bool, key: &str, extra: &[&str]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut cursor = "0".to_owned();
    for _ in 0..10_000 {
        let args: Vec<&str> = [&["SSCAN", key, &cursor][..], extra].concat();
        let (j, r) = pair.both_trees(&args);
        let reply = if jotter { j } else { r };
        let Reply::List { items: parts, .. } = reply else { panic!("{}", reply.render()) };
        cursor = parts[0].render().trim_matches('"').to_owned();
        found.extend(items(&parts[1]));
        if cursor == "0" {
            return found;
        }
    }
    panic!("SSCAN did not end");
}

#[test]
fn sscan_returns_every_member() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    for size in [5, 300] {
        let all: Vec<String> = (0..size).map(|i| format!("member:{i}")).collect();
        let args: Vec<&str> = all.iter().map(String::as_str).collect();
        pair.same(&[&["SADD", "big"][..], &args].concat());
        for extra in [&[][..], &["COUNT", "7"], &["MATCH", "member:1*", "COUNT", "50"]] {
            let j = scan_all(&mut pair, true, "big", extra);
            let r = scan_all(&mut pair, false, "big", extra);
            assert_eq!(j, r, "SSCAN big ... {extra:?}");
        }
        pair.same(&["DEL", "big"]);
    }
}

/// A set's members as rows of `jotter_sets`, sorted.
fn sqlite_members(server: &Server, key: &str) -> Vec<String> {
    let db = db(server);
    let mut stmt = db
        .prepare("SELECT member, version FROM jotter_sets WHERE key = ?1 ORDER BY member")
        .expect("prepare");
    stmt.query_map([key.as_bytes()], |row| {
        let member: Vec<u8> = row.get(0)?;
        assert!(row.get::<_, i64>(1)? > 0, "a row without its version");
        Ok(String::from_utf8(member).expect("utf-8"))
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

/// The writes whose landing the store tests check, and what SMEMBERS
/// answers after them.
fn write_sets(c: &mut common::Raw) {
    check(c, &["SADD", "tags:9", "red", "green", "blue", "red"], ":3");
    check(c, &["SREM", "tags:9", "green"], ":1");
    check(c, &["SADD", "gone", "x"], ":1");
    check(c, &["SMOVE", "gone", "tags:9", "x"], ":1");
    check(c, &["SADD", "other", "blue", "pink"], ":2");
    check(c, &["SINTERSTORE", "both", "tags:9", "other"], ":1");
    check(c, &["JOTTER.FLUSH", "10000"], "+OK");
}

fn read_back(c: &mut common::Raw) {
    check(c, &["SMEMBERS", "tags:9"], "[\"blue\", \"red\", \"x\"]");
    check(c, &["SMEMBERS", "both"], "[\"blue\"]");
    check(c, &["EXISTS", "gone"], ":0");
    check(c, &["TYPE", "other"], "+set");
}

#[test]
fn sets_land_in_sqlite_and_read_back_after_a_restart() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "1h"]);
    write_sets(&mut c);
    assert_eq!(sqlite_members(&server, "tags:9"), ["blue", "red", "x"]);
    assert_eq!(sqlite_members(&server, "both"), ["blue"]);
    assert!(sqlite_members(&server, "gone").is_empty());
    drop(c);
    let server = server.restart(&["--flush-interval", "1h"]);
    let mut c = server.raw();
    read_back(&mut c);
}

#[test]
fn sets_land_in_postgres_and_read_back_after_a_restart() {
    let Some(schema) = Schema::create("sets") else { return };
    let url = schema.url();
    let (server, mut c) = Server::start_raw_with(&["--store", &url, "--flush-interval", "1h"]);
    write_sets(&mut c);
    let rows = schema.query(
        "SELECT string_agg(convert_from(key, 'UTF8') || ':' || convert_from(member, 'UTF8'), ',' \
         ORDER BY key, member) FROM jotter_sets",
    );
    assert_eq!(rows, "both:blue,other:blue,other:pink,tags:9:blue,tags:9:red,tags:9:x");
    drop(c);
    let server = server.restart(&["--store", &url, "--flush-interval", "1h"]);
    let mut c = server.raw();
    read_back(&mut c);
}
