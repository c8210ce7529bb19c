//! The multi-key and popping sorted-set commands through the real server,
//! replies checked in RESP2 and RESP3 against Redis 7.0's: ZUNION, ZINTER,
//! ZDIFF and their STORE forms, ZINTERCARD, ZPOPMIN/ZPOPMAX, ZMPOP,
//! ZRANGESTORE; error texts; the rows in SQLite after JOTTER.FLUSH. The
//! blocking pops are in sorted_set_blocking.rs.

mod common;

use std::collections::BTreeMap;

use common::reply::{
    LEX_RANGE, LIMIT_NEEDS_BY, NOT_INT, SCORE_RANGE, SYNTAX, WRONGTYPE, absent, check, q, resp3,
};
use common::sqlite::stored_zset;
use common::{Raw, Server};

/// a = {x:1, y:2, z:3}, b = {y:5, w:7}, s = a string.
fn seed(c: &mut Raw) {
    check(c, &["DEL", "a", "b", "s"], ":0");
    check(c, &["ZADD", "a", "1", "x", "2", "y", "3", "z"], ":3");
    check(c, &["ZADD", "b", "5", "y", "7", "w"], ":2");
    check(c, &["SET", "s", "v"], "+OK");
}

#[test]
fn zunion_zinter_zdiff_with_weights_aggregate_and_scores() {
    let (_server, mut c) = Server::start_raw();
    seed(&mut c);
    check(&mut c, &["ZUNION", "2", "a", "b"], r#"["x", "z", "w", "y"]"#);
    check(
        &mut c,
        &["ZUNION", "2", "a", "b", "WITHSCORES"],
        r#"["x", "1", "z", "3", "w", "7", "y", "7"]"#,
    );
    check(
        &mut c,
        &["zunion", "2", "a", "b", "weights", "1", "2", "weights", "3", "4", "withscores"],
        r#"["x", "3", "z", "9", "y", "26", "w", "28"]"#,
    );
    check(
        &mut c,
        &["ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"],
        r#"["x", "1", "y", "2", "z", "3", "w", "7"]"#,
    );
    check(
        &mut c,
        &["ZUNION", "2", "a", "b", "AGGREGATE", "max", "WITHSCORES", "WITHSCORES"],
        r#"["x", "1", "z", "3", "y", "5", "w", "7"]"#,
    );
    check(&mut c, &["ZUNION", "2", "a", "nosuch"], r#"["x", "y", "z"]"#);
    check(&mut c, &["ZUNION", "1", "nosuch", "WITHSCORES"], "[]");
    check(&mut c, &["ZINTER", "2", "a", "b", "WITHSCORES"], r#"["y", "7"]"#);
    check(
        &mut c,
        &["ZINTER", "2", "a", "b", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX", "WITHSCORES"],
        r#"["y", "4"]"#,
    );
    check(&mut c, &["ZINTER", "2", "a", "nosuch"], "[]");
    check(&mut c, &["ZINTER", "2", "a", "a", "WITHSCORES"], r#"["x", "2", "y", "4", "z", "6"]"#);
    check(&mut c, &["ZDIFF", "2", "a", "b", "WITHSCORES"], r#"["x", "1", "z", "3"]"#);
    check(&mut c, &["ZDIFF", "1", "a"], r#"["x", "y", "z"]"#);
    check(&mut c, &["ZDIFF", "2", "a", "a"], "[]");
    check(&mut c, &["ZDIFF", "2", "nosuch", "a"], "[]");
    // Infinities: inf * 0 and inf + -inf are 0; MIN ignores a NaN.
    check(&mut c, &["ZADD", "n", "0", "x", "1", "y"], ":2");
    check(
        &mut c,
        &["ZINTER", "2", "n", "n", "WEIGHTS", "inf", "-inf", "AGGREGATE", "MIN", "WITHSCORES"],
        r#"["y", "-inf", "x", "0"]"#,
    );
    check(
        &mut c,
        &["ZUNION", "2", "n", "n", "WEIGHTS", "inf", "-inf", "WITHSCORES"],
        r#"["x", "0", "y", "0"]"#,
    );
    // A computed -0 shows as -0 in a reply, as Redis's does.
    check(
        &mut c,
        &["ZUNION", "1", "n", "WEIGHTS", "-1", "WITHSCORES"],
        r#"["y", "-1", "x", "-0"]"#,
    );
}

#[test]
fn set_operation_errors_in_redis_words_and_order() {
    let (_server, mut c) = Server::start_raw();
    seed(&mut c);
    for (cmd, name) in [("ZUNION", "zunion"), ("ZINTER", "zinter"), ("ZDIFF", "zdiff")] {
        let text = format!("-ERR at least 1 input key is needed for '{name}' command");
        check(&mut c, &[cmd, "0", "a"], &text);
        check(&mut c, &[cmd, "-1", "a"], &text);
        check(&mut c, &[cmd, "x", "a"], NOT_INT);
        check(&mut c, &[cmd, "3", "a", "b"], SYNTAX);
        check(&mut c, &[cmd, "2", "a", "s"], WRONGTYPE);
    }
    for (cmd, name) in [
        ("ZUNIONSTORE", "zunionstore"),
        ("ZINTERSTORE", "zinterstore"),
        ("ZDIFFSTORE", "zdiffstore"),
    ] {
        let text = format!("-ERR at least 1 input key is needed for '{name}' command");
        check(&mut c, &[cmd, "d", "0", "a"], &text);
        check(&mut c, &[cmd, "d", "2", "a"], SYNTAX);
        check(&mut c, &[cmd, "d", "1", "a", "WITHSCORES"], SYNTAX);
        check(&mut c, &[cmd, "d", "2", "s", "a"], WRONGTYPE);
    }
    check(
        &mut c,
        &["ZINTERCARD", "0", "a"],
        "-ERR at least 1 input key is needed for 'zintercard' command",
    );
    // The keys' types are checked before the options.
    check(&mut c, &["ZUNION", "2", "s", "a", "WEIGHTS", "x"], WRONGTYPE);
    check(
        &mut c,
        &["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"],
        "-ERR weight value is not a float",
    );
    check(&mut c, &["ZUNION", "2", "a", "b", "WEIGHTS", "1"], SYNTAX);
    check(&mut c, &["ZUNION", "2", "a", "b", "AGGREGATE", "AVG"], SYNTAX);
    check(&mut c, &["ZUNION", "2", "a", "b", "AGGREGATE"], SYNTAX);
    check(&mut c, &["ZUNION", "2", "a", "b", "LIMIT", "1"], SYNTAX);
    check(&mut c, &["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"], SYNTAX);
    check(&mut c, &["ZDIFF", "2", "a", "b", "AGGREGATE", "MIN"], SYNTAX);
    check(
        &mut c,
        &["ZUNIONSTORE", "d"],
        "-ERR wrong number of arguments for 'zunionstore' command",
    );
    check(&mut c, &["ZUNION", "1"], "-ERR wrong number of arguments for 'zunion' command");
    absent(&mut c, "d");
}

#[test]
fn store_forms_replace_or_delete_the_destination() {
    let (_server, mut c) = Server::start_raw();
    seed(&mut c);
    check(&mut c, &["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "2", "3"], ":4");
    check(
        &mut c,
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        r#"["x", "2", "z", "6", "y", "19", "w", "21"]"#,
    );
    check(&mut c, &["ZINTERSTORE", "d", "2", "a", "b", "AGGREGATE", "MIN"], ":1");
    check(&mut c, &["ZRANGE", "d", "0", "-1", "WITHSCORES"], r#"["y", "2"]"#);
    check(&mut c, &["ZDIFFSTORE", "d", "2", "a", "b"], ":2");
    check(&mut c, &["ZRANGE", "d", "0", "-1", "WITHSCORES"], r#"["x", "1", "z", "3"]"#);
    // An empty result deletes the destination.
    check(&mut c, &["ZINTERSTORE", "d", "2", "a", "nosuch"], ":0");
    absent(&mut c, "d");
    check(&mut c, &["ZDIFFSTORE", "d", "1", "nosuch"], ":0");
    absent(&mut c, "d");
    // A destination of another type is replaced, and deleted by an empty
    // result.
    check(&mut c, &["SET", "d", "text"], "+OK");
    check(&mut c, &["ZUNIONSTORE", "d", "1", "b"], ":2");
    check(&mut c, &["ZSCORE", "d", "w"], r#""7""#);
    check(&mut c, &["SET", "d", "text"], "+OK");
    check(&mut c, &["ZUNIONSTORE", "d", "1", "nosuch"], ":0");
    absent(&mut c, "d");
    // The destination may be an input.
    check(&mut c, &["ZUNIONSTORE", "a", "2", "a", "b"], ":4");
    check(
        &mut c,
        &["ZRANGE", "a", "0", "-1", "WITHSCORES"],
        r#"["x", "1", "z", "3", "w", "7", "y", "7"]"#,
    );
    // A stored -0 reads as 0, as in Redis's small encoding.
    check(&mut c, &["ZADD", "n", "0", "x"], ":1");
    check(&mut c, &["ZUNIONSTORE", "d", "1", "n", "WEIGHTS", "-1"], ":1");
    check(&mut c, &["ZSCORE", "d", "x"], r#""0""#);
}

#[test]
fn a_store_destination_loses_its_ttl() {
    let (_server, mut c) = Server::start_raw();
    seed(&mut c);
    check(&mut c, &["ZADD", "d", "1", "old"], ":1");
    if q(&mut c, &["EXPIRE", "d", "100"]) != ":1" {
        eprintln!("EXPIRE is not in this build; the TTL check is left to the merged server");
        return;
    }
    check(&mut c, &["ZUNIONSTORE", "d", "1", "a"], ":3");
    check(&mut c, &["TTL", "d"], ":-1");
    check(&mut c, &["EXPIRE", "d", "100"], ":1");
    check(&mut c, &["ZRANGESTORE", "d", "a", "0", "0"], ":1");
    check(&mut c, &["TTL", "d"], ":-1");
    // A pop keeps the key's TTL.
    check(&mut c, &["EXPIRE", "a", "100"], ":1");
    check(&mut c, &["ZPOPMIN", "a"], r#"["x", "1"]"#);
    let ttl = q(&mut c, &["TTL", "a"]);
    assert!(ttl.starts_with(":") && ttl != ":-1", "{ttl}");
}

#[test]
fn zintercard_counts_with_a_limit() {
    let (_server, mut c) = Server::start_raw();
    seed(&mut c);
    check(&mut c, &["ZINTERCARD", "2", "a", "b"], ":1");
    check(&mut c, &["ZINTERCARD", "1", "a"], ":3");
    check(&mut c, &["ZINTERCARD", "2", "a", "a", "LIMIT", "2"], ":2");
    check(&mut c, &["ZINTERCARD", "2", "a", "a", "limit", "0"], ":3");
    check(&mut c, &["ZINTERCARD", "2", "a", "a", "LIMIT", "9", "LIMIT", "1"], ":1");
    check(&mut c, &["ZINTERCARD", "2", "a", "nosuch"], ":0");
    check(&mut c, &["ZINTERCARD", "1", "a", "LIMIT", "-1"], "-ERR LIMIT can't be negative");
    check(&mut c, &["ZINTERCARD", "1", "a", "LIMIT", "x"], "-ERR LIMIT can't be negative");
    check(&mut c, &["ZINTERCARD", "1", "a", "LIMIT"], SYNTAX);
    check(&mut c, &["ZINTERCARD", "1", "a", "WITHSCORES"], SYNTAX);
    check(&mut c, &["ZINTERCARD", "1", "a", "WEIGHTS", "1"], SYNTAX);
    check(&mut c, &["ZINTERCARD", "2", "a", "s"], WRONGTYPE);
    check(&mut c, &["ZINTERCARD", "0"], "-ERR wrong number of arguments for 'zintercard' command");
}

#[test]
fn set_operation_replies_in_resp3() {
    let server = Server::start(&[]);
    let mut c = resp3(&server);
    seed(&mut c);
    check(&mut c, &["ZUNION", "2", "a", "b"], r#"["x", "z", "w", "y"]"#);
    check(
        &mut c,
        &["ZUNION", "2", "a", "b", "WEIGHTS", "1", "0.5", "WITHSCORES"],
        r#"[["x", ,1], ["z", ,3], ["w", ,3.5], ["y", ,4.5]]"#,
    );
    check(&mut c, &["ZINTER", "2", "a", "b", "WITHSCORES"], r#"[["y", ,7]]"#);
    check(&mut c, &["ZDIFF", "2", "a", "b", "WITHSCORES"], r#"[["x", ,1], ["z", ,3]]"#);
    check(&mut c, &["ZDIFF", "1", "nosuch", "WITHSCORES"], "[]");
    check(&mut c, &["ZUNIONSTORE", "d", "2", "a", "b"], ":4");
    check(&mut c, &["ZINTERCARD", "2", "a", "b"], ":1");
}

#[test]
fn zpopmin_zpopmax_in_resp2_and_resp3() {
    let (server, mut c) = Server::start_raw();
    check(&mut c, &["ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5");
    check(&mut c, &["ZPOPMIN", "p"], r#"["a", "1"]"#);
    check(&mut c, &["ZPOPMAX", "p"], r#"["e", "5"]"#);
    check(&mut c, &["ZPOPMIN", "p", "2"], r#"["b", "2", "c", "3"]"#);
    check(&mut c, &["ZPOPMIN", "p", "0"], "[]");
    check(&mut c, &["ZPOPMIN", "nosuch"], "[]");
    check(&mut c, &["ZPOPMIN", "nosuch", "0"], "[]");
    check(&mut c, &["ZPOPMIN", "p", "-1"], "-ERR value is out of range, must be positive");
    check(&mut c, &["ZPOPMIN", "p", "x"], "-ERR value is out of range, must be positive");
    check(&mut c, &["ZPOPMIN", "p", "1", "2"], SYNTAX);
    check(&mut c, &["SET", "s", "v"], "+OK");
    check(&mut c, &["ZPOPMAX", "s"], WRONGTYPE);
    check(&mut c, &["ZPOPMAX", "s", "0"], WRONGTYPE);
    // Popping the last member removes the key.
    check(&mut c, &["ZPOPMAX", "p", "10"], r#"["d", "4"]"#);
    absent(&mut c, "p");

    let mut c = resp3(&server);
    check(&mut c, &["ZADD", "p", "1", "a", "2.5", "b", "3", "c"], ":3");
    check(&mut c, &["ZPOPMIN", "p"], r#"["a", ,1]"#);
    check(&mut c, &["ZPOPMIN", "p", "1"], r#"[["b", ,2.5]]"#);
    check(&mut c, &["ZPOPMAX", "p", "5"], r#"[["c", ,3]]"#);
    check(&mut c, &["ZPOPMAX", "p"], "[]");
    check(&mut c, &["ZPOPMAX", "p", "2"], "[]");
}

#[test]
fn zmpop_in_resp2_and_resp3() {
    let (server, mut c) = Server::start_raw();
    check(&mut c, &["ZADD", "p", "1", "a", "2", "b", "3", "c"], ":3");
    check(&mut c, &["SET", "s", "v"], "+OK");
    check(&mut c, &["ZMPOP", "2", "nosuch", "p", "MIN"], r#"["p", [["a", "1"]]]"#);
    check(&mut c, &["ZMPOP", "1", "p", "max", "COUNT", "10"], r#"["p", [["c", "3"], ["b", "2"]]]"#);
    check(&mut c, &["ZMPOP", "2", "nosuch", "p", "MIN"], "nilarr");
    check(&mut c, &["ZMPOP", "2", "nosuch", "s", "MIN"], WRONGTYPE);
    let numkeys = "-ERR numkeys should be greater than 0";
    check(&mut c, &["ZMPOP", "0", "p", "MIN"], numkeys);
    check(&mut c, &["ZMPOP", "-1", "p", "MIN"], numkeys);
    check(&mut c, &["ZMPOP", "x", "p", "MIN"], numkeys);
    check(&mut c, &["ZMPOP", "2", "p", "MIN"], SYNTAX);
    check(&mut c, &["ZMPOP", "1", "p", "MIDDLE"], SYNTAX);
    let count = "-ERR count should be greater than 0";
    check(&mut c, &["ZMPOP", "1", "p", "MIN", "COUNT", "0"], count);
    check(&mut c, &["ZMPOP", "1", "p", "MIN", "COUNT", "x"], count);
    check(&mut c, &["ZMPOP", "1", "p", "MIN", "COUNT"], SYNTAX);
    check(&mut c, &["ZMPOP", "1", "p", "MIN", "COUNT", "1", "COUNT", "1"], SYNTAX);
    check(&mut c, &["ZMPOP", "1", "p"], "-ERR wrong number of arguments for 'zmpop' command");

    let mut c = resp3(&server);
    check(&mut c, &["ZADD", "p", "1", "a", "2.5", "b"], ":2");
    check(&mut c, &["ZMPOP", "1", "p", "MAX", "COUNT", "2"], r#"["p", [["b", ,2.5], ["a", ,1]]]"#);
    check(&mut c, &["ZMPOP", "1", "p", "MAX"], "_");
}

#[test]
fn zrangestore_by_rank_score_and_lex() {
    let (_server, mut c) = Server::start_raw();
    check(&mut c, &["ZADD", "src", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5");
    check(&mut c, &["ZRANGESTORE", "d", "src", "1", "-2"], ":3");
    check(&mut c, &["ZRANGE", "d", "0", "-1", "WITHSCORES"], r#"["b", "2", "c", "3", "d", "4"]"#);
    check(&mut c, &["ZRANGESTORE", "d", "src", "0", "1", "REV"], ":2");
    check(&mut c, &["ZRANGE", "d", "0", "-1"], r#"["d", "e"]"#);
    check(&mut c, &["ZRANGESTORE", "d", "src", "(1", "3", "BYSCORE"], ":2");
    check(&mut c, &["ZRANGE", "d", "0", "-1"], r#"["b", "c"]"#);
    check(
        &mut c,
        &["ZRANGESTORE", "d", "src", "4", "2", "BYSCORE", "REV", "LIMIT", "1", "5"],
        ":2",
    );
    check(&mut c, &["ZRANGE", "d", "0", "-1", "WITHSCORES"], r#"["b", "2", "c", "3"]"#);
    check(&mut c, &["ZRANGESTORE", "d", "src", "[e", "-", "bylex", "rev", "limit", "0", "2"], ":2");
    check(&mut c, &["ZRANGE", "d", "0", "-1"], r#"["d", "e"]"#);
    check(&mut c, &["ZRANGESTORE", "d", "src", "0", "-1", "LIMIT", "0", "-1"], ":5");
    // Empty results delete the destination.
    check(&mut c, &["ZRANGESTORE", "d", "src", "10", "20"], ":0");
    absent(&mut c, "d");
    check(&mut c, &["SET", "d", "text"], "+OK");
    check(&mut c, &["ZRANGESTORE", "d", "nosuch", "0", "-1"], ":0");
    absent(&mut c, "d");
    // The source may be the destination.
    check(&mut c, &["ZRANGESTORE", "src", "src", "0", "0"], ":1");
    check(&mut c, &["ZRANGE", "src", "0", "-1"], r#"["a"]"#);

    check(&mut c, &["ZRANGESTORE", "d", "src", "0", "-1", "WITHSCORES"], SYNTAX);
    check(&mut c, &["ZRANGESTORE", "d", "src", "0", "-1", "LIMIT", "0", "1"], LIMIT_NEEDS_BY);
    check(&mut c, &["ZRANGESTORE", "d", "src", "0", "-1", "LIMIT", "0"], SYNTAX);
    check(&mut c, &["ZRANGESTORE", "d", "src", "0", "-1", "BYSCORE", "BYLEX"], SYNTAX);
    check(&mut c, &["ZRANGESTORE", "d", "src", "0", "-1", "REV", "REV"], SYNTAX);
    check(&mut c, &["ZRANGESTORE", "d", "src", "x", "1"], NOT_INT);
    check(&mut c, &["ZRANGESTORE", "d", "src", "x", "1", "BYSCORE"], SCORE_RANGE);
    check(&mut c, &["ZRANGESTORE", "d", "src", "a", "b", "BYLEX"], LEX_RANGE);
    check(&mut c, &["ZRANGESTORE", "d", "src", "0", "1", "BYSCORE", "LIMIT", "x", "1"], NOT_INT);
    check(&mut c, &["SET", "s", "v"], "+OK");
    check(&mut c, &["ZRANGESTORE", "d", "s", "0", "1"], WRONGTYPE);
    check(&mut c, &["ZRANGESTORE", "d", "s", "x", "1"], NOT_INT);
    check(
        &mut c,
        &["ZRANGESTORE", "d", "src", "0"],
        "-ERR wrong number of arguments for 'zrangestore' command",
    );
}

#[test]
fn stores_and_pops_land_in_sqlite_after_jotter_flush() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "1h"]);
    seed(&mut c);
    check(&mut c, &["ZUNIONSTORE", "u", "2", "a", "b"], ":4");
    check(&mut c, &["ZINTERSTORE", "i", "2", "a", "b", "WEIGHTS", "1", "2"], ":1");
    check(&mut c, &["ZDIFFSTORE", "df", "2", "a", "b"], ":2");
    check(&mut c, &["ZRANGESTORE", "r", "a", "1", "2"], ":2");
    check(&mut c, &["ZPOPMIN", "a"], r#"["x", "1"]"#);
    check(&mut c, &["ZMPOP", "1", "b", "MAX", "COUNT", "2"], r#"["b", [["w", "7"], ["y", "5"]]]"#);
    check(&mut c, &["JOTTER.FLUSH", "5000"], "+OK");
    let map = |pairs: &[(&str, f64)]| -> BTreeMap<String, f64> {
        pairs.iter().map(|&(m, s)| (m.to_owned(), s)).collect()
    };
    assert_eq!(stored_zset(&server, "u"), map(&[("x", 1.0), ("y", 7.0), ("z", 3.0), ("w", 7.0)]));
    assert_eq!(stored_zset(&server, "i"), map(&[("y", 12.0)]));
    assert_eq!(stored_zset(&server, "df"), map(&[("x", 1.0), ("z", 3.0)]));
    assert_eq!(stored_zset(&server, "r"), map(&[("y", 2.0), ("z", 3.0)]));
    assert_eq!(stored_zset(&server, "a"), map(&[("y", 2.0), ("z", 3.0)]));
    assert_eq!(stored_zset(&server, "b"), map(&[]));
    // A store that empties its destination deletes its rows.
    check(&mut c, &["ZINTERSTORE", "u", "1", "nosuch"], ":0");
    check(&mut c, &["JOTTER.FLUSH", "5000"], "+OK");
    assert_eq!(stored_zset(&server, "u"), map(&[]));
}
