//! The blocking sorted-set pops through the real server: BZPOPMIN,
//! BZPOPMAX and BZMPOP at once when a member is there, their timeout errors
//! and null replies, woken by another connection, inside MULTI/EXEC in
//! queue order, a client leaving while blocked, requests pipelined behind a
//! blocked one, and JOTTER.THROUGH around a blocking pop.

mod common;

use std::time::{Duration, Instant};

use common::reply::{SYNTAX, WRONGTYPE, absent, check, q, read_reply, resp3};
use common::{Raw, Server, resp};

/// Sends a blocking command on `c` and gives the server time to park it.
fn block(c: &mut Raw, args: &[&str]) {
    c.send(&resp(args));
    std::thread::sleep(Duration::from_millis(150));
}

#[test]
fn blocking_pops_at_once_when_a_member_is_there() {
    let (server, mut c) = Server::start_raw();
    check(&mut c, &["ZADD", "p", "1", "a", "2", "b", "3", "c"], ":3");
    check(&mut c, &["BZPOPMIN", "nosuch", "p", "0"], r#"["p", "a", "1"]"#);
    check(&mut c, &["BZPOPMAX", "p", "1"], r#"["p", "c", "3"]"#);
    check(
        &mut c,
        &["BZMPOP", "0", "2", "nosuch", "p", "MIN", "COUNT", "5"],
        r#"["p", [["b", "2"]]]"#,
    );
    absent(&mut c, "p");
    // The first key of another type is an error, even if a later key has
    // members.
    check(&mut c, &["SET", "s", "v"], "+OK");
    check(&mut c, &["ZADD", "p", "1", "a"], ":1");
    check(&mut c, &["BZPOPMIN", "nosuch", "s", "p", "0.01"], WRONGTYPE);
    check(&mut c, &["BZPOPMIN", "p", "s", "0.01"], r#"["p", "a", "1"]"#);
    check(&mut c, &["BZMPOP", "0.01", "2", "s", "p", "MIN"], WRONGTYPE);

    let mut c = resp3(&server);
    check(&mut c, &["ZADD", "p", "1", "a", "2.5", "b", "3", "c"], ":3");
    check(&mut c, &["BZPOPMAX", "p", "0"], r#"["p", "c", ,3]"#);
    check(&mut c, &["BZMPOP", "0", "1", "p", "MAX", "COUNT", "1"], r#"["p", [["b", ,2.5]]]"#);
}

#[test]
fn blocking_pop_timeout_errors() {
    let (_server, mut c) = Server::start_raw();
    check(&mut c, &["ZADD", "p", "1", "a"], ":1");
    let not_float = "-ERR timeout is not a float or out of range";
    let negative = "-ERR timeout is negative";
    for bad in ["x", "nan", " 1", "1 ", ""] {
        check(&mut c, &["BZPOPMIN", "p", bad], not_float);
        check(&mut c, &["BZMPOP", bad, "1", "p", "MIN"], not_float);
    }
    for bad in ["-1", "-inf", "inf", "1e30", "9223372036854776"] {
        check(&mut c, &["BZPOPMAX", "p", bad], negative);
    }
    check(&mut c, &["BZMPOP", "-1", "1", "nosuch", "MIN"], negative);
    // BZMPOP reads its timeout after the rest.
    check(&mut c, &["BZMPOP", "x", "0", "p", "MIN"], "-ERR numkeys should be greater than 0");
    check(&mut c, &["BZMPOP", "x", "1", "p", "FOO"], SYNTAX);
    check(
        &mut c,
        &["BZMPOP", "x", "1", "p", "MIN", "COUNT", "0"],
        "-ERR count should be greater than 0",
    );
    // The timeout before the keys' types.
    check(&mut c, &["SET", "s", "v"], "+OK");
    check(&mut c, &["BZPOPMIN", "s", "bad"], not_float);
    check(&mut c, &["BZMPOP", "bad", "1", "s", "MIN"], not_float);
    check(&mut c, &["BZPOPMIN", "p"], "-ERR wrong number of arguments for 'bzpopmin' command");
    check(
        &mut c,
        &["BZMPOP", "0", "1", "p"],
        "-ERR wrong number of arguments for 'bzmpop' command",
    );
    // Hex is a float to strtold.
    check(&mut c, &["BZPOPMIN", "p", "0x10"], r#"["p", "a", "1"]"#);
}

#[test]
fn blocking_pops_time_out_with_a_null_array() {
    let (server, mut c) = Server::start_raw();
    let start = Instant::now();
    check(&mut c, &["BZPOPMIN", "nosuch", "0.2"], "nilarr");
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(190), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    check(&mut c, &["BZMPOP", "0.05", "1", "nosuch", "MAX"], "nilarr");
    // The connection goes on.
    check(&mut c, &["PING"], "+PONG");
    let mut c = resp3(&server);
    check(&mut c, &["BZPOPMAX", "nosuch", "0.05"], "_");
    check(&mut c, &["BZMPOP", "0.05", "1", "nosuch", "MIN"], "_");
}

#[test]
fn a_blocked_pop_is_woken_by_zadd_from_another_connection() {
    let server = Server::start(&[]);
    let (mut blocked, mut other) = (server.raw(), server.raw());
    block(&mut blocked, &["BZPOPMIN", "q1", "q2", "5"]);
    let start = Instant::now();
    check(&mut other, &["ZADD", "q2", "2", "m", "1", "n"], ":2");
    assert_eq!(read_reply(&mut blocked), r#"["q2", "n", "1"]"#);
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    check(&mut other, &["ZRANGE", "q2", "0", "-1"], r#"["m"]"#);

    // Timeout 0 waits as long as it takes; BZMPOP with COUNT.
    block(&mut blocked, &["BZMPOP", "0", "1", "q3", "MAX", "COUNT", "2"]);
    check(&mut other, &["ZADD", "q3", "1", "a", "2", "b", "3", "c"], ":3");
    assert_eq!(read_reply(&mut blocked), r#"["q3", [["c", "3"], ["b", "2"]]]"#);

    // A key that becomes another type leaves the client blocked, as in
    // Redis 7.0; a sorted set then wakes it.
    blocked.send(&resp(&["BZPOPMAX", "q4", "5"]));
    std::thread::sleep(Duration::from_millis(100));
    check(&mut other, &["SET", "q4", "text"], "+OK");
    std::thread::sleep(Duration::from_millis(100));
    check(&mut other, &["DEL", "q4"], ":1");
    check(&mut other, &["ZADD", "q4", "9", "z"], ":1");
    assert_eq!(read_reply(&mut blocked), r#"["q4", "z", "9"]"#);
    check(&mut blocked, &["PING"], "+PONG");
}

#[test]
fn blocking_pops_do_not_block_inside_multi() {
    let (_server, mut c) = Server::start_raw();
    check(&mut c, &["ZADD", "p", "1", "a", "2", "b"], ":2");
    check(&mut c, &["ZADD", "o", "1", "m"], ":1");
    check(&mut c, &["MULTI"], "+OK");
    check(&mut c, &["BZPOPMIN", "nosuch", "0"], "+QUEUED");
    check(&mut c, &["BZMPOP", "0", "1", "nosuch", "MIN"], "+QUEUED");
    check(&mut c, &["BZPOPMAX", "p", "0"], "+QUEUED");
    check(&mut c, &["ZUNIONSTORE", "d", "1", "o"], "+QUEUED");
    check(&mut c, &["ZPOPMIN", "d"], "+QUEUED");
    let start = Instant::now();
    check(&mut c, &["EXEC"], r#"[nilarr, nilarr, ["p", "b", "2"], :1, ["m", "1"]]"#);
    assert!(start.elapsed() < Duration::from_secs(2));
    absent(&mut c, "d");
}

#[test]
fn blocking_pops_run_in_queue_order_inside_exec() {
    let (_server, mut c) = Server::start_raw();
    check(&mut c, &["MULTI"], "+OK");
    check(&mut c, &["ZADD", "k", "1", "a"], "+QUEUED");
    check(&mut c, &["BZPOPMIN", "k", "0"], "+QUEUED");
    check(&mut c, &["ZCARD", "k"], "+QUEUED");
    check(&mut c, &["BZMPOP", "0", "1", "k", "MIN"], "+QUEUED");
    check(&mut c, &["ZADD", "k", "2", "b", "3", "c"], "+QUEUED");
    check(&mut c, &["BZMPOP", "0", "1", "k", "MAX", "COUNT", "5"], "+QUEUED");
    check(
        &mut c,
        &["EXEC"],
        r#"[:1, ["k", "a", "1"], :0, nilarr, :2, ["k", [["c", "3"], ["b", "2"]]]]"#,
    );
    // JOTTER.THROUGH cannot keep its place inside MULTI: refused.
    check(&mut c, &["MULTI"], "+OK");
    check(
        &mut c,
        &["JOTTER.THROUGH", "BZPOPMIN", "nosuch", "0"],
        "-ERR 'jotter.through' cannot run inside MULTI",
    );
    check(&mut c, &["DISCARD"], "+OK");
}

#[test]
fn a_client_that_leaves_while_blocked_pops_nothing() {
    let server = Server::start(&[]);
    let mut other = server.raw();
    for request in [
        vec!["BZPOPMIN", "k", "0"],
        vec!["BZMPOP", "0", "1", "k", "MAX"],
        vec!["JOTTER.THROUGH", "BZPOPMAX", "k", "0"],
    ] {
        let mut blocked = server.raw();
        blocked.send(&resp(&request));
        std::thread::sleep(Duration::from_millis(100));
        blocked.stream.shutdown(std::net::Shutdown::Both).expect("shutdown");
        drop(blocked);
        std::thread::sleep(Duration::from_millis(100));
        check(&mut other, &["ZADD", "k", "1", "a"], ":1");
        std::thread::sleep(Duration::from_millis(200));
        check(&mut other, &["ZCARD", "k"], ":1");
        check(&mut other, &["DEL", "k"], ":1");
    }
    // The server let the blocked clients go: only `other` is left.
    let info = q(&mut other, &["INFO", "clients"]);
    assert!(info.contains(r"connected_clients:1\r\n"), "{info}");
}

#[test]
fn requests_behind_a_blocked_pop_wait_for_it() {
    let server = Server::start(&[]);
    let (mut blocked, mut other) = (server.raw(), server.raw());
    // One write: the reply before the pop comes at once, the one after it
    // once the pop is done.
    let mut pipeline = resp(&["ZADD", "o", "1", "x"]);
    pipeline.extend(resp(&["BZPOPMIN", "k", "0"]));
    pipeline.extend(resp(&["PING"]));
    blocked.send(&pipeline);
    assert_eq!(read_reply(&mut blocked), ":1");
    std::thread::sleep(Duration::from_millis(100));
    // Sent while blocked: read, kept, run after the pop.
    blocked.send(&resp(&["ECHO", "later"]));
    std::thread::sleep(Duration::from_millis(100));
    check(&mut other, &["ZADD", "k", "1", "a"], ":1");
    assert_eq!(read_reply(&mut blocked), r#"["k", "a", "1"]"#);
    assert_eq!(read_reply(&mut blocked), "+PONG");
    assert_eq!(read_reply(&mut blocked), r#""later""#);
    // A pipeline that ends while the pop times out.
    let mut pipeline = resp(&["BZPOPMIN", "k", "0.1"]);
    pipeline.extend(resp(&["PING"]));
    blocked.send(&pipeline);
    assert_eq!(read_reply(&mut blocked), "nilarr");
    assert_eq!(read_reply(&mut blocked), "+PONG");
}

#[test]
fn jotter_through_a_blocking_pop_blocks_and_is_woken() {
    let server = Server::start(&[]);
    let (mut blocked, mut other) = (server.raw(), server.raw());
    block(&mut blocked, &["JOTTER.THROUGH", "BZPOPMAX", "t", "5"]);
    check(&mut other, &["ZADD", "t", "1", "a", "2", "b"], ":2");
    assert_eq!(read_reply(&mut blocked), r#"["t", "b", "2"]"#);
    check(&mut other, &["ZCARD", "t"], ":1");
}
