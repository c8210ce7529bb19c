//! CLIENT against the real redis-server: the same requests to a Jotter
//! server and a private Redis, reply for reply — errors, LIST's fields,
//! KILL's filters, REPLY OFF/SKIP, PAUSE WRITE (reads pass, writes wait),
//! UNBLOCK TIMEOUT/ERROR. Scenarios that need several connections run the
//! same function against each server and compare the transcripts.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::differential::Pair;
use common::private_redis::PrivateRedis;
use common::reply::{q, read_reply};
use common::{Raw, Server, resp};

/// Both servers' addresses, or `None` after a loud skip.
fn servers() -> Option<(Server, PrivateRedis)> {
    let redis = PrivateRedis::start()?;
    Some((Server::start(&[]), redis))
}

/// Runs `scenario` against Jotter and Redis; their transcripts must match.
#[track_caller]
fn same_scenario(scenario: impl Fn(SocketAddr) -> Vec<String>) {
    let Some((jotter, redis)) = servers() else { return };
    let j = scenario(jotter.resp);
    let r = scenario(redis.addr);
    assert_eq!(j, r, "jotter (left) and redis (right) differ");
}

/// The value of `field` in a CLIENT LIST / CLIENT INFO line.
fn field<'a>(line: &'a str, field: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(field).and_then(|v| v.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {field} in {line}"))
}

/// CLIENT LIST's line for client `id`, asked on `c`.
fn line_of(c: &mut Raw, id: &str) -> String {
    let list = q(c, &["CLIENT", "LIST", "ID", id]);
    list.trim_matches('"').trim_end_matches("\\n").to_owned()
}

/// Waits until client `id` shows as blocked (`b` in its flags).
fn until_blocked(c: &mut Raw, id: &str) {
    for _ in 0..500 {
        if field(&line_of(c, id), "flags").contains('b') {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("client {id} never blocked");
}

fn id_of(c: &mut Raw) -> String {
    q(c, &["CLIENT", "ID"]).trim_start_matches(':').to_owned()
}

#[test]
fn client_errors_and_simple_replies_match_redis() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let cases: &[&[&str]] = &[
        &["CLIENT", "foo"],
        &["CLIENT", "ID", "x"],
        &["CLIENT", "GETNAME"],
        &["CLIENT", "SETNAME", "worker"],
        &["CLIENT", "GETNAME"],
        &["CLIENT", "SETNAME", "a b"],
        &["CLIENT", "SETNAME", ""],
        &["CLIENT", "GETNAME"],
        &["CLIENT", "GETNAME", "x"],
        &["CLIENT", "PAUSE", "1", "WRITE", "x"],
        &["CLIENT", "PAUSE", "x"],
        &["CLIENT", "PAUSE", "-1"],
        &["CLIENT", "PAUSE", "1", "foo"],
        &["CLIENT", "PAUSE", "0"],
        &["CLIENT", "PAUSE", "0", "WRITE"],
        &["CLIENT", "UNPAUSE"],
        &["CLIENT", "UNPAUSE", "x"],
        &["CLIENT", "UNBLOCK", "x"],
        &["CLIENT", "UNBLOCK", "1", "foo"],
        &["CLIENT", "UNBLOCK", "x", "foo"],
        &["CLIENT", "UNBLOCK", "999"],
        &["CLIENT", "UNBLOCK", "999", "ERROR"],
        &["CLIENT", "UNBLOCK", "1", "TIMEOUT", "x"],
        &["CLIENT", "LIST", "TYPE", "foo"],
        &["CLIENT", "LIST", "TYPE", "master"],
        &["CLIENT", "LIST", "TYPE", "replica"],
        &["CLIENT", "LIST", "TYPE", "slave"],
        &["CLIENT", "LIST", "TYPE", "pubsub"],
        &["CLIENT", "LIST", "TYPE", "normal", "x"],
        &["CLIENT", "LIST", "ID", "x"],
        &["CLIENT", "LIST", "ID", "999", "x"],
        &["CLIENT", "LIST", "ID", "999", "-5"],
        &["CLIENT", "LIST", "foo"],
        &["CLIENT", "REPLY", "foo"],
        &["CLIENT", "REPLY", "ON"],
        &["CLIENT", "NO-EVICT", "foo"],
        &["CLIENT", "NO-EVICT", "on"],
        &["CLIENT", "NO-EVICT", "OFF"],
        &["CLIENT", "KILL"],
        &["CLIENT", "KILL", "1.2.3.4:5"],
        &["CLIENT", "KILL", "ID", "0"],
        &["CLIENT", "KILL", "ID", "x"],
        &["CLIENT", "KILL", "USER", "nobody"],
        &["CLIENT", "KILL", "TYPE", "foo"],
        &["CLIENT", "KILL", "ADDR", "1:2", "LADDR"],
        &["CLIENT", "KILL", "SKIPME", "maybe"],
        &["CLIENT", "KILL", "ADDR", "1.1.1.1:1"],
        &["CLIENT", "KILL", "LADDR", "1.1.1.1:1"],
        &["CLIENT", "KILL", "TYPE", "master"],
        &["CLIENT", "KILL", "TYPE", "normal"],
        &["CLIENT", "KILL", "USER", "default"],
        &["CLIENT", "KILL", "ID", "999", "TYPE", "normal"],
        &["CLIENT", "KILL", "FOO", "bar"],
    ];
    for case in cases {
        pair.same(case);
    }
}

/// Redis's `CLIENT HELP` also describes the tracking subcommands; each of
/// Jotter's lines is there, in the same order.
#[test]
fn client_help_is_redis_help_in_redis_order() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let (j, r) = pair.both(&["CLIENT", "HELP"]);
    let redis: Vec<&str> = r.trim_matches(['[', ']']).split(", ").collect();
    let mut at = 0;
    for line in j.trim_matches(['[', ']']).split(", ") {
        let found = redis[at..].iter().position(|l| *l == line);
        at += found.unwrap_or_else(|| panic!("{line} is not in Redis's help after line {at}")) + 1;
    }
}

#[test]
fn client_list_and_info_show_redis_fields_in_redis_order() {
    same_scenario(|addr| {
        let mut c = Raw::connect(addr);
        let mut other = Raw::connect(addr);
        let other_id = id_of(&mut other);
        q(&mut other, &["CLIENT", "SETNAME", "other"]);
        q(&mut other, &["MULTI"]);
        q(&mut other, &["SET", "k", "v"]);
        q(&mut other, &["GET", "k"]);
        let mut seen = Vec::new();
        let info = q(&mut c, &["CLIENT", "INFO"]);
        let info = info.trim_matches('"');
        let names: Vec<&str> =
            info.split_whitespace().map(|kv| kv.split('=').next().unwrap_or_default()).collect();
        seen.push(names.join(" "));
        for name in ["flags", "db", "multi", "cmd", "user", "resp", "name", "sub", "redir"] {
            seen.push(format!("{name}={}", field(info, name)));
        }
        let line = line_of(&mut c, &other_id);
        for name in ["name", "flags", "multi", "cmd", "oll", "omem"] {
            seen.push(format!("other {name}={}", field(&line, name)));
        }
        let list = q(&mut c, &["CLIENT", "LIST"]);
        seen.push(format!("lines={}", list.matches("id=").count()));
        seen.push(
            q(&mut c, &["CLIENT", "LIST", "TYPE", "normal"]).matches("id=").count().to_string(),
        );
        seen
    });
}

#[test]
fn kill_filters_count_as_redis() {
    same_scenario(|addr| {
        let mut c = Raw::connect(addr);
        let mut seen = Vec::new();
        let mut others: Vec<Raw> = (0..4).map(|_| Raw::connect(addr)).collect();
        let ids: Vec<String> = others.iter_mut().map(id_of).collect();
        let me = id_of(&mut c);
        let laddr = field(&line_of(&mut c, &me), "laddr").to_owned();
        let addr_of_0 = field(&line_of(&mut c, &ids[0]), "addr").to_owned();
        seen.push(q(&mut c, &["CLIENT", "KILL", "ADDR", &addr_of_0]));
        seen.push(q(&mut c, &["CLIENT", "KILL", "ID", &ids[1], "TYPE", "pubsub"]));
        seen.push(q(
            &mut c,
            &["CLIENT", "KILL", "ID", &ids[1], "TYPE", "normal", "USER", "default"],
        ));
        seen.push(q(&mut c, &["CLIENT", "KILL", "ID", &ids[1]]));
        let addr_of_2 = field(&line_of(&mut c, &ids[2]), "addr").to_owned();
        seen.push(q(&mut c, &["CLIENT", "KILL", &addr_of_2]));
        seen.push(q(&mut c, &["CLIENT", "KILL", &addr_of_2]));
        // Only the caller and client 3 are left.
        seen.push(q(&mut c, &["CLIENT", "KILL", "LADDR", &laddr, "SKIPME", "yes"]));
        let mut last = Raw::connect(addr);
        seen.push(q(&mut last, &["PING"]));
        seen.push(q(&mut c, &["CLIENT", "KILL", "USER", "default", "SKIPME", "no"]));
        seen.push(format!("{} bytes after", c.read_to_close().len()));
        seen.push(format!("{} bytes to the other", last.read_to_close().len()));
        seen
    });
}

#[test]
fn reply_off_and_skip_drop_replies_as_redis() {
    let Some(mut pair) = Pair::start(&[]) else { return };
    let mut request = Vec::new();
    for args in [
        &["CLIENT", "REPLY", "SKIP"][..],
        &["PING"],
        &["ECHO", "a"],
        &["CLIENT", "REPLY", "OFF"],
        &["PING"],
        &["CLIENT", "REPLY", "BAD"],
        &["CLIENT", "REPLY", "SKIP"],
        &["SET", "k", "v"],
        &["CLIENT", "REPLY", "ON"],
        &["CLIENT", "REPLY", "SKIP"],
        &["CLIENT", "REPLY", "ON"],
        &["GET", "k"],
    ] {
        request.extend(resp(args));
    }
    pair.j.send(&request);
    pair.r.send(&request);
    let j: Vec<String> = (0..4).map(|_| read_reply(&mut pair.j)).collect();
    let r: Vec<String> = (0..4).map(|_| read_reply(&mut pair.r)).collect();
    assert_eq!(j, r);
    assert_eq!(j, ["\"a\"", "+OK", "+OK", "\"v\""]);
}

#[test]
fn pause_write_lets_reads_through_and_holds_writes_until_unpause() {
    same_scenario(|addr| {
        let mut admin = Raw::connect(addr);
        let mut c = Raw::connect(addr);
        let id = id_of(&mut c);
        let mut seen = vec![q(&mut admin, &["CLIENT", "PAUSE", "100000", "WRITE"])];
        seen.push(q(&mut c, &["GET", "k"]));
        seen.push(q(&mut c, &["PING"]));
        seen.push(q(&mut c, &["MULTI"]));
        seen.push(q(&mut c, &["GET", "k"]));
        seen.push(q(&mut c, &["EXEC"]));
        seen.push(q(&mut c, &["SET", "k"])); // an arity error is not held
        // The replies before a held command are sent while it waits.
        c.send(&[resp(&["PING"]), resp(&["SET", "k", "v"])].concat());
        seen.push(read_reply(&mut c));
        until_blocked(&mut admin, &id);
        seen.push(q(&mut admin, &["GET", "k"]));
        seen.push(q(&mut admin, &["CLIENT", "UNPAUSE"]));
        seen.push(read_reply(&mut c));
        seen.push(q(&mut admin, &["GET", "k"]));
        // An EXEC of writes is held as a write.
        seen.push(q(&mut c, &["MULTI"]));
        seen.push(q(&mut c, &["INCR", "n"]));
        seen.push(q(&mut admin, &["CLIENT", "PAUSE", "100000", "WRITE"]));
        c.send(&resp(&["EXEC"]));
        until_blocked(&mut admin, &id);
        seen.push(q(&mut admin, &["GET", "n"]));
        seen.push(q(&mut admin, &["CLIENT", "UNPAUSE"]));
        seen.push(read_reply(&mut c));
        seen
    });
}

/// A read held by a pause of all commands is served once the pause ends.
#[test]
fn a_read_held_by_pause_all_is_served_when_it_ends() {
    same_scenario(|addr| {
        let mut admin = Raw::connect(addr);
        let mut c = Raw::connect(addr);
        let seen =
            vec![q(&mut admin, &["CLIENT", "PAUSE", "200", "ALL"]), q(&mut c, &["GET", "k"])];
        seen
    });
}

#[test]
fn unblock_ends_a_blocked_command_as_a_timeout_or_an_error() {
    same_scenario(|addr| {
        let mut admin = Raw::connect(addr);
        let mut c = Raw::connect(addr);
        let id = id_of(&mut c);
        let mut seen = Vec::new();
        for (command, how) in [
            (&["BLPOP", "list", "0"][..], "TIMEOUT"),
            (&["BLPOP", "list", "0"], "ERROR"),
            (&["BZPOPMIN", "z", "0"], "TIMEOUT"),
            (&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], "TIMEOUT"),
            (&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], "ERROR"),
            (&["BLMOVE", "a", "b", "LEFT", "LEFT", "0"], "TIMEOUT"),
        ] {
            c.send(&resp(command));
            until_blocked(&mut admin, &id);
            seen.push(field(&line_of(&mut admin, &id), "cmd").to_owned());
            seen.push(q(&mut admin, &["CLIENT", "UNBLOCK", &id, how]));
            seen.push(read_reply(&mut c));
            seen.push(q(&mut admin, &["CLIENT", "UNBLOCK", &id, how]));
        }
        seen.push(q(&mut c, &["PING"]));
        seen
    });
}

/// A client whose replies would take the server past `maxmemory` is
/// closed (`tests/memory.rs`), unless it set CLIENT NO-EVICT ON.
#[test]
fn no_evict_keeps_a_client_whose_replies_pass_maxmemory() {
    let server = Server::start_with_config("maxmemory = \"8mb\"\n", &[]);
    let mut c = server.raw();
    assert_eq!(q(&mut c, &["CLIENT", "NO-EVICT", "ON"]), "+OK");
    assert!(field(&q(&mut c, &["CLIENT", "INFO"]), "flags").contains('e'));
    let value = "x".repeat(1 << 20);
    assert_eq!(q(&mut c, &["SET", "big", &value]), "+OK");
    c.send(&resp(&["GET", "big"]).repeat(30));
    for _ in 0..30 {
        assert_eq!(c.read_bulk().len(), 1 << 20);
    }
    assert!(!server.log().contains("past maxmemory"), "{}", server.log());
}
