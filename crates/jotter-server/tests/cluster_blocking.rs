//! Blocking writes on `jotter serve --cluster` (BLPOP, BRPOP, BLMOVE,
//! BRPOPLPUSH, BLMPOP, BZPOPMIN, BZMPOP, XREADGROUP ... BLOCK): the real
//! binary as two front ends of one private redis-server, real clients.
//! A client blocked on one front end is woken by a write through the
//! other, and gets the very bytes redis-server answers the same command on
//! the same data (a second database of the same Redis, used directly, is
//! the reference), in RESP2 and RESP3; timeouts, bad timeouts and
//! blocking inside MULTI answer as Redis does; waiters on one key are
//! served in the order they came; a client that closes stops waiting and
//! takes nothing; a wait outlives Redis closing the front end's
//! connections and follows a Sentinel failover to the new primary; under `fsync = always` only a try that took something
//! waits for a replica; what the pops left reaches PostgreSQL through a
//! worker.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::cluster::{Worker, front_end};
use common::pg::Schema;
use common::private_redis::PrivateRedis;
use common::reply::q;
use common::sentinel::Sentinels;
use common::{Raw, Server, resp};

const SHARDS: u32 = 4;
const LIMIT: Duration = Duration::from_secs(30);

/// A private Redis and two front ends of it; `None` after a loud skip when
/// redis-server cannot run.
fn services() -> Option<(PrivateRedis, Server, Server)> {
    let redis = PrivateRedis::start()?;
    let one = front_end(&redis, SHARDS, &[]);
    let two = front_end(&redis, SHARDS, &[]);
    Some((redis, one, two))
}

/// A direct client of `redis`'s database 1, with `proto`: the reference.
fn reference(redis: &PrivateRedis, proto: &str) -> Raw {
    let mut c = Raw::connect(redis.addr);
    assert_eq!(call(&mut c, &["SELECT", "1"]), b"+OK\r\n");
    hello(&mut c, proto);
    c
}

fn hello(c: &mut Raw, proto: &str) {
    let reply = call(c, &["HELLO", proto]);
    assert!(reply.starts_with(if proto == "3" { b"%" } else { b"*" }), "{reply:?}");
}

/// One whole reply, as its bytes (read a byte at a time, so that the
/// next reply stays unread).
fn reply(c: &mut Raw) -> Vec<u8> {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !matches!(jotter_resp::Frame::measure(&got), Ok(Some(_))) {
        c.stream
            .read_exact(&mut byte)
            .unwrap_or_else(|e| panic!("{e} after {:?}", String::from_utf8_lossy(&got)));
        got.push(byte[0]);
    }
    got
}

fn call(c: &mut Raw, args: &[&str]) -> Vec<u8> {
    c.send(&resp(args));
    reply(c)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `key`'s newest version in `{jotter}:ver` (a blocking write's every try
/// that reaches Redis gives it one).
fn version(r: &mut Raw, key: &str) -> String {
    q(r, &["HGET", "{jotter}:ver", key])
}

/// Waits until `key`'s version is no longer `before`: a blocked command's
/// first try ran (and found nothing), so it now waits.
fn await_try(r: &mut Raw, key: &str, before: &str) {
    let start = Instant::now();
    while version(r, key) == before {
        assert!(start.elapsed() < LIMIT, "no try of a blocking command on {key}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn connected_clients(r: &mut Raw) -> u64 {
    let info = text(&call(r, &["INFO", "clients"]));
    let field = info.split("\r\n").find_map(|l| l.strip_prefix("connected_clients:"));
    field.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{info}"))
}

/// A blocking command, the key it waits on, what prepares both databases
/// before it, the write that serves it and a read of what it left.
struct Case {
    setup: &'static [&'static str],
    block: &'static [&'static str],
    key: &'static str,
    push: &'static [&'static str],
    left: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        setup: &[],
        block: &["BLPOP", "l", "l2", "0"],
        key: "l",
        push: &["RPUSH", "l", "x", "y"],
        left: &["LRANGE", "l", "0", "-1"],
    },
    Case {
        setup: &[],
        block: &["BRPOP", "r", "0"],
        key: "r",
        push: &["RPUSH", "r", "x", "y"],
        left: &["LRANGE", "r", "0", "-1"],
    },
    Case {
        setup: &[],
        block: &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"],
        key: "src",
        push: &["RPUSH", "src", "e"],
        left: &["LRANGE", "dst", "0", "-1"],
    },
    Case {
        setup: &[],
        block: &["BRPOPLPUSH", "rs", "rd", "0"],
        key: "rs",
        push: &["RPUSH", "rs", "e", "f"],
        left: &["LRANGE", "rd", "0", "-1"],
    },
    Case {
        setup: &[],
        block: &["BLMPOP", "0", "2", "m1", "m2", "RIGHT", "COUNT", "2"],
        key: "m2",
        push: &["RPUSH", "m2", "a", "b", "c"],
        left: &["LRANGE", "m2", "0", "-1"],
    },
    Case {
        setup: &[],
        block: &["BZPOPMIN", "z", "0"],
        key: "z",
        push: &["ZADD", "z", "1.5", "m"],
        left: &["EXISTS", "z"],
    },
    Case {
        setup: &[],
        block: &["BZMPOP", "0", "1", "zm", "MAX", "COUNT", "1"],
        key: "zm",
        push: &["ZADD", "zm", "1", "a", "2", "b"],
        left: &["ZRANGE", "zm", "0", "-1", "WITHSCORES"],
    },
    Case {
        setup: &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
        block: &["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"],
        key: "s",
        push: &["XADD", "s", "1-1", "f", "v"],
        left: &["XPENDING", "s", "g"],
    },
];

#[test]
fn a_blocked_client_is_woken_by_a_write_through_another_front_end() {
    let Some((redis, one, two)) = services() else { return };
    let mut r = Raw::connect(redis.addr);
    for proto in ["2", "3"] {
        let (mut a, mut b) = (one.raw(), two.raw());
        hello(&mut a, proto);
        let mut reference = reference(&redis, proto);
        for case in CASES {
            if !case.setup.is_empty() {
                assert_eq!(call(&mut a, case.setup), call(&mut reference, case.setup));
            }
            let before = version(&mut r, case.key);
            a.send(&resp(case.block));
            await_try(&mut r, case.key, &before);
            call(&mut b, case.push);
            let woken = reply(&mut a);
            call(&mut reference, case.push);
            let expected = call(&mut reference, case.block);
            assert_eq!(text(&woken), text(&expected), "{:?} in RESP{proto}", case.block);
            // What is left is what Redis left.
            let left = (call(&mut a, case.left), call(&mut reference, case.left));
            assert_eq!(text(&left.0), text(&left.1), "{:?}", case.block);
            for key in [case.key, "dst", "rd"] {
                call(&mut a, &["DEL", key]);
                call(&mut reference, &["DEL", key]);
            }
        }
    }
}

#[test]
fn timeouts_bad_timeouts_and_multi_answer_as_redis() {
    let Some((redis, one, _two)) = services() else { return };
    for proto in ["2", "3"] {
        let mut a = one.raw();
        hello(&mut a, proto);
        let mut reference = reference(&redis, proto);
        let group = ["XGROUP", "CREATE", "ts", "g", "$", "MKSTREAM"];
        assert_eq!(call(&mut a, &group), call(&mut reference, &group));
        let requests: &[&[&str]] = &[
            &["BLPOP", "t", "0.05"],
            &["BRPOP", "t", "u", "0.05"],
            &["BLMOVE", "t", "d", "LEFT", "LEFT", "0.05"],
            &["BRPOPLPUSH", "t", "d", "0.05"],
            &["BLMPOP", "0.05", "1", "t", "LEFT"],
            &["BZPOPMAX", "t", "0.05"],
            &["BZMPOP", "0.05", "1", "t", "MIN"],
            &["XREADGROUP", "GROUP", "g", "c", "BLOCK", "50", "STREAMS", "ts", ">"],
            // Refused for their arguments, as Redis refuses them.
            &["BLPOP", "t", "-1"],
            &["BLPOP", "t", "soon"],
            &["BLMPOP", "0", "0", "t", "LEFT"],
            &["BLMOVE", "t", "d", "UP", "LEFT", "0"],
            &["XREADGROUP", "GROUP", "g", "c", "BLOCK", "-5", "STREAMS", "ts", ">"],
            &["XREADGROUP", "GROUP", "nogroup", "c", "BLOCK", "0", "STREAMS", "ts", ">"],
            &["BLPOP", "t"],
        ];
        for args in requests {
            let front = call(&mut a, args);
            assert_eq!(text(&front), text(&call(&mut reference, args)), "{args:?} in RESP{proto}");
        }
        // A key of another type answers at once.
        assert_eq!(call(&mut a, &["SET", "str", "v"]), call(&mut reference, &["SET", "str", "v"]));
        let wrong = ["BLPOP", "str", "0"];
        assert_eq!(text(&call(&mut a, &wrong)), text(&call(&mut reference, &wrong)));
        // Inside MULTI a blocking write does not block, in Redis as here.
        for args in
            [&["MULTI"][..], &["BLPOP", "t", "0"], &["BLMOVE", "t", "d", "LEFT", "LEFT", "0"]]
        {
            assert_eq!(call(&mut a, args), call(&mut reference, args), "{args:?}");
        }
        assert_eq!(text(&call(&mut a, &["EXEC"])), text(&call(&mut reference, &["EXEC"])));
        for key in ["ts", "str"] {
            call(&mut a, &["DEL", key]);
            call(&mut reference, &["DEL", key]);
        }
    }
}

#[test]
fn waiters_are_served_in_the_order_they_came_and_a_client_that_leaves_takes_nothing() {
    let Some((redis, one, two)) = services() else { return };
    let mut r = Raw::connect(redis.addr);
    let mut b = two.raw();
    let mut waiters = Vec::new();
    for _ in 0..3 {
        let mut c = one.raw();
        let before = version(&mut r, "q");
        c.send(&resp(&["BLPOP", "q", "0"]));
        await_try(&mut r, "q", &before);
        waiters.push(c);
    }
    for (i, c) in waiters.iter_mut().enumerate() {
        let element = i.to_string();
        call(&mut b, &["RPUSH", "q", &element]);
        assert_eq!(text(&reply(c)), text(&resp(&["q", &element])), "waiter {i}");
    }
    // A client that closes while it waits stops waiting: a push after it
    // has gone (its connection to Redis closed with it) stays in the list.
    let before = connected_clients(&mut r);
    let mut leaving = one.raw();
    let version_before = version(&mut r, "q");
    leaving.send(&resp(&["BLPOP", "q", "0"]));
    await_try(&mut r, "q", &version_before);
    drop(leaving);
    let start = Instant::now();
    while connected_clients(&mut r) > before {
        assert!(start.elapsed() < LIMIT, "the front end kept the closed client's connection");
        std::thread::sleep(Duration::from_millis(10));
    }
    call(&mut b, &["RPUSH", "q", "kept"]);
    assert_eq!(q(&mut b, &["LRANGE", "q", "0", "-1"]), "[\"kept\"]");
    // Requests sent behind a blocking one are answered after it.
    let mut c = one.raw();
    let before = version(&mut r, "p");
    c.send(&resp(&["BLPOP", "p", "0"]));
    await_try(&mut r, "p", &before);
    c.send(&resp(&["PING"]));
    call(&mut b, &["RPUSH", "p", "v"]);
    assert_eq!(text(&reply(&mut c)), text(&resp(&["p", "v"])));
    assert_eq!(reply(&mut c), b"+PONG\r\n");
}

#[test]
fn what_the_pops_left_reaches_the_store() {
    let Some((redis, one, two)) = services() else { return };
    let Some(schema) = Schema::create("fblock") else { return };
    let mut worker = Worker::start(&redis, Some(&schema.url()), &["--consumer", "w1"]);
    let mut r = Raw::connect(redis.addr);
    let (mut a, mut b) = (one.raw(), two.raw());
    assert_eq!(q(&mut a, &["RPUSH", "jobs", "a", "b", "c"]), ":3");
    assert_eq!(q(&mut a, &["BLPOP", "jobs", "0"]), "[\"jobs\", \"a\"]");
    assert_eq!(q(&mut a, &["BLMOVE", "jobs", "done", "LEFT", "RIGHT", "0"]), "\"b\"");
    assert_eq!(q(&mut a, &["ZADD", "z", "1", "x", "2", "y"]), ":2");
    assert_eq!(q(&mut a, &["BZPOPMIN", "z", "0"]), "[\"z\", \"x\", \"1\"]");
    // Woken through the other front end.
    let before = version(&mut r, "w");
    a.send(&resp(&["BLPOP", "w", "0"]));
    await_try(&mut r, "w", &before);
    assert_eq!(q(&mut b, &["RPUSH", "w", "x", "y"]), ":2");
    assert_eq!(text(&reply(&mut a)), text(&resp(&["w", "x"])));
    // The last element of a list: its key is deleted, in the store too.
    assert_eq!(q(&mut a, &["RPUSH", "once", "v"]), ":1");
    assert_eq!(q(&mut a, &["BRPOP", "once", "0"]), "[\"once\", \"v\"]");
    assert_eq!(q(&mut a, &["JOTTER.FLUSH"]), "+OK");
    worker.signal("TERM");
    assert!(worker.wait(LIMIT).success(), "{}", worker.log());

    let reader = Server::start(&["--store", &schema.url()]);
    let mut c = reader.raw();
    assert_eq!(q(&mut c, &["LRANGE", "jobs", "0", "-1"]), "[\"c\"]");
    assert_eq!(q(&mut c, &["LRANGE", "done", "0", "-1"]), "[\"b\"]");
    assert_eq!(q(&mut c, &["ZRANGE", "z", "0", "-1"]), "[\"y\"]");
    assert_eq!(q(&mut c, &["LRANGE", "w", "0", "-1"]), "[\"y\"]");
    assert_eq!(q(&mut c, &["EXISTS", "once"]), ":0");
}

#[test]
fn a_wait_outlives_its_connections_to_redis_being_closed() {
    let Some((redis, one, _two)) = services() else { return };
    let mut r = Raw::connect(redis.addr);
    let mut a = one.raw();
    let before = version(&mut r, "f");
    a.send(&resp(&["BLPOP", "f", "0"]));
    await_try(&mut r, "f", &before);
    // Every connection of the front end (the client's and the one that
    // wakes it) closed, as a failover closes them.
    let killed = text(&call(&mut r, &["CLIENT", "KILL", "TYPE", "normal"]));
    assert!(killed != ":0\r\n", "{killed}");
    assert_eq!(q(&mut r, &["RPUSH", "f", "after"]), ":1");
    assert_eq!(text(&reply(&mut a)), text(&resp(&["f", "after"])));
}

#[test]
fn under_fsync_always_only_a_served_try_waits_for_a_replica() {
    // No replica: a write answers NOREPLICAS, a try that found nothing
    // (it changed nothing) waits on.
    let Some(redis) = PrivateRedis::start() else { return };
    let front = front_end(&redis, SHARDS, &["--fsync", "always", "--cluster-wait-timeout", "50ms"]);
    let mut r = Raw::connect(redis.addr);
    let mut a = front.raw();
    assert_eq!(q(&mut a, &["BLPOP", "e", "0.05"]), "nilarr");
    let before = version(&mut r, "e");
    a.send(&resp(&["BLPOP", "e", "0"]));
    await_try(&mut r, "e", &before);
    assert_eq!(q(&mut r, &["RPUSH", "e", "x"]), ":1");
    let served = text(&reply(&mut a));
    assert!(served.starts_with("-NOREPLICAS the write is applied"), "{served}");
    assert_eq!(q(&mut r, &["EXISTS", "e"]), ":0", "the element was taken");
}

#[test]
fn a_wait_follows_a_sentinel_failover_to_the_new_primary() {
    let Some(cluster) = Sentinels::start() else { return };
    let front = Server::start(&["--cluster", &cluster.url(), "--cluster-shards", "4"]);
    let mut a = front.raw();
    a.stream.set_read_timeout(Some(LIMIT)).unwrap();
    let mut old = Raw::connect(cluster.primary.addr);
    let before = version(&mut old, "fq");
    a.send(&resp(&["BLPOP", "fq", "0"]));
    await_try(&mut old, "fq", &before);
    cluster.fail_over();
    // Pushed on the new primary: the waiter, still blocked, takes it there
    // with its record.
    let mut new = Raw::connect(cluster.replica.addr);
    let version_before = version(&mut new, "fq");
    assert_eq!(q(&mut new, &["RPUSH", "fq", "x"]), ":1");
    assert_eq!(text(&reply(&mut a)), text(&resp(&["fq", "x"])));
    assert_eq!(q(&mut new, &["EXISTS", "fq"]), ":0");
    assert_ne!(version(&mut new, "fq"), version_before, "the pop's record is on the new primary");
}
