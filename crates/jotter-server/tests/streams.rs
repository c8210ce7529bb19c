//! Streams against the real redis-server: a script of every stream command
//! with its options and errors, and random histories with explicit ids
//! (ids made by `*` carry the clock, so the histories name theirs), in
//! RESP2 and RESP3; blocking XREAD and XREADGROUP woken by another client;
//! and streams with their consumer groups read back after a restart from
//! SQLite and from PostgreSQL.

mod common;

use std::time::Duration;

use common::differential::{Command, Pair, Rng};
use common::pg::Schema;
use common::reply::{check, q, read_reply};
use common::{Server, resp};

/// Commands whose replies hold no time (idle times, `*` ids).
const SCRIPT: &[&[&str]] = &[
    &["XADD", "s", "1-1", "a", "1"],
    &["XADD", "s", "1-1", "a", "1"],
    &["XADD", "s", "1-*", "b", "2"],
    &["XADD", "s", "2", "c", "3", "d", "4"],
    &["XADD", "s", "0-0", "a", "1"],
    &["XADD", "s", "1-x", "a", "1"],
    &["XADD", "s", "5-1", "a"],
    &["XADD", "s", "NOMKSTREAM", "9-1", "a", "1"],
    &["XADD", "none", "NOMKSTREAM", "9-1", "a", "1"],
    &["XADD", "s", "MAXLEN", "x", "9-2", "a", "1"],
    &["XADD", "s", "MAXLEN", "-1", "9-2", "a", "1"],
    &["XADD", "s", "MAXLEN", "2", "MINID", "1", "9-2", "a", "1"],
    &["XADD", "s", "LIMIT", "2", "9-2", "a", "1"],
    &["XADD", "s", "MAXLEN", "=", "3", "LIMIT", "2", "9-2", "a", "1"],
    &["XADD", "s", "MAXLEN", "~", "3", "LIMIT", "-1", "9-2", "a", "1"],
    &["XADD", "s", "MAXLEN", "=", "3", "10-1", "e", "5"],
    &["XLEN", "s"],
    &["XRANGE", "s", "-", "+"],
    &["XADD", "s", "MINID", "=", "9", "11-1", "f", "6"],
    &["XRANGE", "s", "-", "+"],
    &["XADD", "s", "12-0", "g", "7"],
    &["XADD", "s", "12-*", "h", "8"],
    &["XADD", "s", "13-5", "i", "9"],
    &["XRANGE", "s", "-", "+", "COUNT", "2"],
    &["XRANGE", "s", "(10-1", "12", "COUNT", "0"],
    &["XRANGE", "s", "(10-1", "12"],
    &["XRANGE", "s", "12", "(13-5"],
    &["XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"],
    &["XRANGE", "s", "-", "(0-0"],
    &["XRANGE", "s", "x", "+"],
    &["XRANGE", "s", "-", "+", "COUNT"],
    &["XRANGE", "s", "-", "+", "LIMIT", "1"],
    &["XRANGE", "s", "+", "-"],
    &["XRANGE", "none", "-", "+"],
    &["XREVRANGE", "s", "+", "-"],
    &["XREVRANGE", "s", "12-1", "-", "COUNT", "1"],
    &["XREVRANGE", "s", "(13-5", "(10-1"],
    &["XDEL", "s", "12-0", "99-1", "12-0"],
    &["XDEL", "s", "x"],
    &["XDEL", "none", "x"],
    &["XLEN", "s"],
    &["XTRIM", "s", "MAXLEN", "2"],
    &["XTRIM", "s", "MINID", "13"],
    &["XTRIM", "s"],
    &["XTRIM", "s", "FOO", "1"],
    &["XTRIM", "s", "MAXLEN", "~"],
    &["XTRIM", "none", "MAXLEN", "0"],
    &["XRANGE", "s", "-", "+"],
    &["TYPE", "s"],
    &["SET", "str", "x"],
    &["XADD", "str", "1-1", "a", "1"],
    &["XRANGE", "str", "-", "+"],
    &["XLEN", "str"],
    &["XSETID", "s", "5-5"],
    &["XSETID", "s", "100-1", "ENTRIESADDED", "1"],
    &["XSETID", "s", "100-1", "ENTRIESADDED", "50", "MAXDELETEDID", "99-0"],
    &["XSETID", "s", "100-1", "MAXDELETEDID", "101-0"],
    &["XSETID", "none", "1-1"],
    &["XADD", "s", "100-1", "x", "y"],
    &["XREAD", "STREAMS", "s", "0"],
    &["XREAD", "COUNT", "1", "STREAMS", "s", "none", "0", "0"],
    &["XREAD", "STREAMS", "s", "$"],
    &["XREAD", "STREAMS", "s"],
    &["XREAD", "STREAMS", "s", "str", "0", "0"],
    &["XREAD", "STREAMS", "s", ">"],
    &["XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"],
    &["XREAD", "COUNT", "x", "STREAMS", "s", "0"],
    &["XREAD", "BLOCK", "-1", "STREAMS", "s", "0"],
    &["XREAD", "s", "0"],
    &["XGROUP", "CREATE", "none", "g", "0"],
    &["XGROUP", "CREATE", "none", "g", "0", "MKSTREAM"],
    &["XGROUP", "CREATE", "none", "g", "0", "MKSTREAM"],
    &["XLEN", "none"],
    &["XGROUP", "CREATE", "s", "g", "0"],
    &["XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "3"],
    &["XGROUP", "CREATE", "s", "g3", "0", "FOO"],
    &["XGROUP", "CREATE", "s", "g3", "0", "ENTRIESREAD", "-2"],
    &["XGROUP", "CREATE", "str", "g3", "0"],
    &["XGROUP", "FOO", "s"],
    &["XGROUP", "CREATE", "s"],
    &["XGROUP", "HELP"],
    &["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
    &["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
    &["XGROUP", "CREATECONSUMER", "s", "nog", "alice"],
    &["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"],
    &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
    &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
    &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
    &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$"],
    &["XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">"],
    &["XREADGROUP", "STREAMS", "s", ">"],
    &["XREADGROUP", "GROUP", "g2", "carol", "NOACK", "STREAMS", "s", ">"],
    &["XPENDING", "s", "g"],
    &["XPENDING", "s", "g2"],
    &["XPENDING", "s", "nog"],
    &["XPENDING", "s", "g", "-", "+"],
    &["XPENDING", "s", "g", "IDLE", "x", "-", "+", "10"],
    &["XPENDING", "s", "g", "-", "+", "0"],
    &["XPENDING", "s", "g", "-", "+", "10", "nobody"],
    &["XINFO", "GROUPS", "s"],
    &["XINFO", "STREAM", "s"],
    &["XINFO", "STREAM", "s", "FULLX"],
    &["XINFO", "STREAM", "none2"],
    &["XINFO", "CONSUMERS", "s", "nog"],
    &["XINFO", "FOO"],
    &["XINFO", "HELP"],
    &["XCLAIM", "s", "g", "carol", "0", "10-1", "13-5", "JUSTID"],
    &["XCLAIM", "s", "g", "carol", "0", "13-5", "RETRYCOUNT", "7"],
    &["XCLAIM", "s", "g", "carol", "x", "13-5"],
    &["XCLAIM", "s", "g", "carol", "0", "13-5", "BOGUS"],
    &["XCLAIM", "s", "nog", "carol", "0", "13-5"],
    &["XCLAIM", "s", "g", "dave", "0", "100-1", "FORCE", "JUSTID", "LASTID", "200-0"],
    &["XINFO", "GROUPS", "s"],
    &["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "1", "JUSTID"],
    &["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "0"],
    &["XAUTOCLAIM", "s", "g", "erin", "0", "x"],
    &["XDEL", "s", "13-5"],
    &["XAUTOCLAIM", "s", "g", "erin", "0", "0"],
    &["XACK", "s", "g", "100-1", "100-1", "1-1"],
    &["XACK", "s", "g", "x"],
    &["XACK", "s", "nog", "1-1"],
    &["XPENDING", "s", "g"],
    &["XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "0"],
    &["XGROUP", "SETID", "s", "nog", "0"],
    &["XINFO", "GROUPS", "s"],
    &["XGROUP", "DELCONSUMER", "s", "g", "erin"],
    &["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
    &["XGROUP", "DESTROY", "s", "g2"],
    &["XGROUP", "DESTROY", "s", "g2"],
    &["XINFO", "GROUPS", "s"],
    &["MULTI"],
    &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"],
    &["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"],
    &["XADD", "s", "300-1", "z", "1"],
    &["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"],
    &["EXEC"],
    &["XTRIM", "s", "MAXLEN", "0"],
    &["XINFO", "STREAM", "s"],
    &["EXISTS", "s"],
    &["DEL", "s"],
    &["XINFO", "GROUPS", "s"],
];

fn script(pair: &mut Pair) {
    for args in SCRIPT {
        pair.same(args);
    }
}

#[test]
fn stream_commands_match_redis() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    script(&mut pair);
    pair.same(&["FLUSHALL"]);
    pair.resp3();
    script(&mut pair);
}

const KEYS: &[&str] = &["s", "t"];
const GROUPS: &[&str] = &["g", "h"];
const CONSUMERS: &[&str] = &["alice", "bob"];

/// An id near the others, so that histories collide on purpose.
fn id(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("{}-*", rng.below(12)),
        1 => rng.below(12).to_string(),
        _ => format!("{}-{}", rng.below(12), rng.below(3)),
    }
}

fn bound(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => "-".into(),
        1 => "+".into(),
        2 => format!("({}-{}", rng.below(12), rng.below(3)),
        _ => id(rng).replace('*', "0"),
    }
}

fn one(rng: &mut Rng) -> Command {
    let key = rng.pick(KEYS).to_owned();
    let group = rng.pick(GROUPS).to_owned();
    let consumer = rng.pick(CONSUMERS).to_owned();
    let (a, b) = (bound(rng), bound(rng));
    let n = rng.below(4).to_string();
    let args: Vec<String> = match rng.below(24) {
        20 => vec![
            "XGROUP".into(),
            rng.pick(&["CREATECONSUMER", "DELCONSUMER"]).to_string(),
            key,
            group,
            consumer,
        ],
        21 => vec!["XSETID".into(), key, id(rng).replace('*', "2")],
        22 => vec!["XADD".into(), key, "NOMKSTREAM".into(), id(rng), "g".into(), n],
        23 => vec![
            "XCLAIM".into(),
            key,
            group,
            consumer,
            "0".into(),
            id(rng).replace('*', "0"),
            "FORCE".into(),
            "JUSTID".into(),
            "RETRYCOUNT".into(),
            n,
        ],
        0..=4 => {
            let mut args = vec!["XADD".to_owned(), key];
            if rng.chance(0.2) {
                args.extend(["MAXLEN".into(), "=".into(), rng.below(5).to_string()]);
            } else if rng.chance(0.1) {
                args.extend(["MINID".into(), bound(rng).replace(['(', '-', '+'], "")]);
            }
            args.extend([id(rng), "f".into(), n]);
            args
        }
        5 => vec!["XDEL".into(), key, id(rng).replace('*', "0"), id(rng).replace('*', "1")],
        6 => vec!["XRANGE".into(), key, a, b, "COUNT".into(), n],
        7 => vec!["XREVRANGE".into(), key, a, b],
        8 => vec!["XLEN".into(), key],
        9 => vec!["XTRIM".into(), key, "MAXLEN".into(), n],
        10 => vec![
            "XREAD".into(),
            "COUNT".into(),
            n,
            "STREAMS".into(),
            "s".into(),
            "t".into(),
            a.replace('(', ""),
            "$".into(),
        ],
        11 => vec![
            "XGROUP".into(),
            "CREATE".into(),
            key,
            group,
            rng.pick(&["0", "$", "3-0"]).to_string(),
            "MKSTREAM".into(),
        ],
        12 => vec![
            "XREADGROUP".into(),
            "GROUP".into(),
            group,
            consumer,
            "COUNT".into(),
            n,
            "STREAMS".into(),
            key,
            rng.pick(&[">", ">", "0"]).to_string(),
        ],
        13 => vec!["XACK".into(), key, group, id(rng).replace('*', "0"), id(rng).replace('*', "1")],
        14 => vec!["XPENDING".into(), key, group],
        15 => vec!["XINFO".into(), "GROUPS".into(), key],
        16 => vec![
            "XCLAIM".into(),
            key,
            group,
            consumer,
            "0".into(),
            id(rng).replace('*', "0"),
            "JUSTID".into(),
        ],
        17 => vec![
            "XAUTOCLAIM".into(),
            key,
            group,
            consumer,
            "0".into(),
            a.replace(['(', '+'], "0"),
            "COUNT".into(),
            "2".into(),
            "JUSTID".into(),
        ],
        18 => vec![
            "XGROUP".into(),
            rng.pick(&["DESTROY", "SETID"]).to_string(),
            key,
            group,
            "0".into(),
        ]
        .into_iter()
        .take(if rng.chance(0.5) { 4 } else { 5 })
        .collect(),
        _ => vec!["XINFO".into(), "STREAM".into(), key],
    };
    Command::from(args)
}

#[test]
fn random_stream_histories_match_redis() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    for seed in 1..=24 {
        pair.same(&["FLUSHALL"]);
        if seed == 13 {
            pair.resp3();
        }
        pair.fuzz(seed, 300, one);
    }
}

#[test]
fn blocked_reads_wake_on_a_write_to_their_stream() {
    let (server, mut c) = Server::start_raw();
    let mut other = server.raw();
    check(&mut c, &["XADD", "s", "1-1", "a", "1"], r#""1-1""#);
    c.send(&resp(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]));
    std::thread::sleep(Duration::from_millis(150));
    check(&mut other, &["XADD", "t", "1-1", "a", "1"], r#""1-1""#);
    check(&mut other, &["XADD", "s", "2-1", "b", "2"], r#""2-1""#);
    assert_eq!(read_reply(&mut c), r#"[["s", [["2-1", ["b", "2"]]]]]"#);
    check(&mut c, &["XREAD", "BLOCK", "50", "STREAMS", "s", "$"], "nilarr");

    check(&mut c, &["XGROUP", "CREATE", "s", "g", "$"], "+OK");
    c.send(&resp(&["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"]));
    std::thread::sleep(Duration::from_millis(150));
    check(&mut other, &["XADD", "s", "3-1", "c", "3"], r#""3-1""#);
    assert_eq!(read_reply(&mut c), r#"[["s", [["3-1", ["c", "3"]]]]]"#);
    assert!(
        q(&mut c, &["XPENDING", "s", "g", "-", "+", "10", "alice"])
            .starts_with(r#"[["3-1", "alice", "#)
    );
}

/// Entries, trims, deletes and a group's state, then what a restart must
/// read back.
fn write_streams(c: &mut common::Raw) -> Vec<(Vec<&'static str>, String)> {
    for (i, ms) in [1, 2, 3, 4, 5].iter().enumerate() {
        q(c, &["XADD", "clicks", &format!("{ms}-0"), "user", &i.to_string(), "url", "/home"]);
    }
    q(c, &["XADD", "clicks", "6-0", "bin", "\u{0}\u{1}"]);
    q(c, &["XDEL", "clicks", "2-0"]);
    q(c, &["XTRIM", "clicks", "MINID", "2"]);
    q(c, &["XGROUP", "CREATE", "clicks", "workers", "0"]);
    q(c, &["XREADGROUP", "GROUP", "workers", "alice", "COUNT", "3", "STREAMS", "clicks", ">"]);
    q(c, &["XACK", "clicks", "workers", "3-0"]);
    q(c, &["XREADGROUP", "GROUP", "workers", "bob", "COUNT", "1", "STREAMS", "clicks", ">"]);
    q(c, &["XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"]);
    let reads: Vec<Vec<&str>> = vec![
        vec!["XRANGE", "clicks", "-", "+"],
        vec!["XLEN", "clicks"],
        vec!["XPENDING", "clicks", "workers"],
        vec!["XINFO", "GROUPS", "clicks"],
        vec!["XINFO", "STREAM", "clicks"],
        vec!["XPENDING", "clicks", "workers", "-", "+", "10", "bob"],
        vec!["XREADGROUP", "GROUP", "workers", "carol", "STREAMS", "clicks", ">"],
        vec!["XINFO", "GROUPS", "empty"],
        vec!["TYPE", "empty"],
    ];
    reads
        .into_iter()
        .map(|args| {
            let reply = q(c, &args);
            (args, reply)
        })
        .collect()
}

/// After a restart, each read gives what it gave before, but for the idle
/// times of XPENDING (each entry's id, consumer and delivery count must
/// stay), and the last XREADGROUP, which delivered everything left before
/// and finds nothing now.
fn read_back(c: &mut common::Raw, before: &[(Vec<&'static str>, String)]) {
    let without_idle = |reply: &str| {
        reply
            .split(", :")
            .enumerate()
            .map(|(i, part)| if i % 2 == 1 { "" } else { part })
            .collect::<String>()
    };
    for (args, reply) in before {
        let now = q(c, args);
        match args[0] {
            "XREADGROUP" => assert_eq!(now, "nilarr", "{args:?}"),
            "XPENDING" if args.len() > 3 => assert_eq!(without_idle(&now), without_idle(reply)),
            _ => assert_eq!(&now, reply, "{args:?}"),
        }
    }
}

#[test]
fn streams_and_groups_read_back_from_sqlite() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "1h"]);
    let before = write_streams(&mut c);
    q(&mut c, &["JOTTER.FLUSH", "10000"]);
    let db = common::sqlite::db(&server);
    let rows: Vec<String> = db
        .prepare("SELECT ms || '-' || seq || ' ' || fields FROM jotter_streams WHERE key = CAST('clicks' AS BLOB) ORDER BY ms, seq")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .filter(|row| !row.starts_with("6-"))
        .collect();
    assert_eq!(
        rows,
        [
            r#"3-0 {"user":"2","url":"/home"}"#,
            r#"4-0 {"user":"3","url":"/home"}"#,
            r#"5-0 {"user":"4","url":"/home"}"#
        ]
    );
    let via_json: String = db
        .query_row(
            "SELECT json_extract(fields, '$.user') FROM jotter_streams WHERE ms = 5",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(via_json, "4");
    // Appending and deleting touch their own rows: the others keep the
    // version they were written at.
    let versions = |db: &rusqlite::Connection| -> Vec<(i64, i64)> {
        db.prepare("SELECT ms, version FROM jotter_streams ORDER BY ms")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let old = versions(&db);
    q(&mut c, &["XADD", "clicks", "7-0", "user", "9"]);
    q(&mut c, &["XDEL", "clicks", "3-0"]);
    q(&mut c, &["JOTTER.FLUSH", "10000"]);
    let new = versions(&db);
    assert_eq!(new.len(), old.len());
    assert_eq!(&new[..new.len() - 1], &old[1..]);
    assert_eq!(new.last().map(|r| r.0), Some(7));
    // What the reads give now is what a restart must give back (the new
    // entry delivered first, so that the reads change nothing).
    q(&mut c, &["XREADGROUP", "GROUP", "workers", "carol", "STREAMS", "clicks", ">"]);
    let before: Vec<_> = before
        .into_iter()
        .map(|(args, _)| {
            let reply = q(&mut c, &args);
            (args, reply)
        })
        .collect();
    drop(db);
    let server = server.restart(&["--flush-interval", "1h"]);
    let mut c = server.raw();
    read_back(&mut c, &before);
}

#[test]
fn streams_and_groups_read_back_from_postgres() {
    let Some(schema) = Schema::create("streams") else { return };
    let url = schema.url();
    let (server, mut c) = Server::start_raw_with(&["--store", &url, "--flush-interval", "1h"]);
    let before = write_streams(&mut c);
    q(&mut c, &["JOTTER.FLUSH", "10000"]);
    let rows = schema.query(
        "SELECT ms || '-' || seq || ' ' || (convert_from(fields, 'UTF8')::json ->> 'user') \
         FROM jotter_streams WHERE key = 'clicks'::bytea AND ms < 6 ORDER BY ms, seq",
    );
    assert_eq!(rows.lines().collect::<Vec<_>>(), ["3-0 2", "4-0 3", "5-0 4"]);
    // The data directory goes too: everything must come from PostgreSQL.
    drop(c);
    drop(server);
    let (_server, mut c) = Server::start_raw_with(&["--store", &url, "--flush-interval", "1h"]);
    read_back(&mut c, &before);
}
