//! `jotter serve --cluster`: the real binary as a front end of a private
//! redis-server, driven by a raw client, with Redis itself inspected
//! directly: every write leaves its change record (key, version) in the
//! key's shard stream, versions increase and `{jotter}:ver` follows them;
//! Jotter's keys are hidden and refused; MULTI/EXEC records its writes;
//! `fsync = always` waits for a replica; JOTTER.FLUSH waits for the
//! workers' acknowledgements; a broken connection to Redis is reopened.

mod common;

use std::time::{Duration, Instant};

use common::cluster::front_end;
use common::private_redis::PrivateRedis;
use common::reply::{Reply, q, read_tree};
use common::sentinel::Sentinels;
use common::{Raw, Server, resp};

const SHARDS: u32 = 4;

/// A private Redis and a front end of it (extra flags `extra`); `None`
/// after a loud skip when redis-server cannot run.
fn cluster(extra: &[&str]) -> Option<(PrivateRedis, Server)> {
    let redis = PrivateRedis::start()?;
    let front = front_end(&redis, SHARDS, extra);
    Some((redis, front))
}

/// One change record: (shard, key, version).
fn records(redis: &mut Raw) -> Vec<(u32, String, u64)> {
    let mut all = Vec::new();
    for shard in 0..SHARDS {
        redis.send(&resp(&["XRANGE", &format!("{{jotter}}:s:{shard}"), "-", "+"]));
        let Reply::List { items, .. } = read_tree(redis) else { panic!("XRANGE is an array") };
        for entry in items {
            let Reply::List { items: parts, .. } = entry else { panic!("an entry") };
            let Reply::List { items: fields, .. } = &parts[1] else { panic!("fields") };
            let text: Vec<String> =
                fields.iter().map(|f| f.render().trim_matches('"').to_owned()).collect();
            assert_eq!((text[0].as_str(), text[2].as_str()), ("k", "v"), "{text:?}");
            all.push((shard, text[1].clone(), text[3].parse().expect("a decimal version")));
        }
    }
    all
}

#[test]
fn every_write_leaves_its_change_record_in_its_shard_stream() {
    let Some((redis, front)) = cluster(&[]) else { return };
    let mut c = front.raw();
    let mut r = Raw::connect(redis.addr);
    let writes: &[(&[&str], &str)] = &[
        (&["SET", "s", "1"], "+OK"),
        (&["INCR", "n"], ":1"),
        (&["HSET", "h", "f", "v"], ":1"),
        (&["ZADD", "z", "1", "m"], ":1"),
        (&["LPUSH", "l", "x"], ":1"),
        (&["SADD", "set", "m"], ":1"),
        (&["EXPIRE", "n", "100"], ":1"),
        (&["DEL", "s"], ":1"),
    ];
    let mut last = 0;
    for (i, (args, expected)) in writes.iter().enumerate() {
        assert_eq!(q(&mut c, args), *expected, "{args:?}");
        let all = records(&mut r);
        assert_eq!(all.len(), i + 1, "one record per write: {all:?}");
        let newest = all.iter().max_by_key(|(_, _, v)| *v).unwrap().clone();
        let key = args[1];
        assert_eq!(newest.1, key);
        assert_eq!(newest.0, jotter_scaleout::shard_of(key.as_bytes(), SHARDS), "{key}");
        assert!(newest.2 > last, "versions increase: {} after {last}", newest.2);
        // On a single node's scale: wall-clock microseconds << 12.
        assert!(newest.2 > 1_577_836_800_000_000u64 << 12, "{}", newest.2);
        last = newest.2;
        assert_eq!(q(&mut r, &["HGET", "{jotter}:ver", key]), format!("{:?}", last.to_string()));
    }
    // Reads leave no record and answer as Redis does.
    assert_eq!(q(&mut c, &["HGET", "h", "f"]), "\"v\"");
    assert_eq!(q(&mut c, &["GET", "s"]), "nil");
    assert_eq!(records(&mut r).len(), writes.len());
    // A write refused before it runs leaves none either.
    assert!(q(&mut c, &["SET", "s"]).starts_with("-ERR wrong number"));
    assert_eq!(records(&mut r).len(), writes.len());
}

#[test]
fn jotters_keys_are_hidden_and_refused() {
    let Some((redis, front)) = cluster(&[]) else { return };
    let mut c = front.raw();
    let mut r = Raw::connect(redis.addr);
    for key in ["a", "b", "c"] {
        assert_eq!(q(&mut c, &["SET", key, "v"]), "+OK");
    }
    assert!(q(&mut r, &["DBSIZE"]).trim_start_matches(':').parse::<u32>().unwrap() > 3);
    assert_eq!(q(&mut c, &["DBSIZE"]), ":3");
    c.send(&resp(&["KEYS", "*"]));
    assert_eq!(read_tree(&mut c).sorted().render(), "[\"a\", \"b\", \"c\"]");
    // A whole SCAN sees the user keys only.
    let mut seen = Vec::new();
    let mut cursor = "0".to_owned();
    loop {
        c.send(&resp(&["SCAN", &cursor, "COUNT", "2"]));
        let Reply::List { items, .. } = read_tree(&mut c) else { panic!("SCAN is an array") };
        cursor = items[0].render().trim_matches('"').to_owned();
        let Reply::List { items: keys, .. } = &items[1] else { panic!("a page") };
        seen.extend(keys.iter().map(Reply::render));
        if cursor == "0" {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, ["\"a\"", "\"b\"", "\"c\""]);
    for _ in 0..20 {
        let key = q(&mut c, &["RANDOMKEY"]);
        assert!(["\"a\"", "\"b\"", "\"c\""].contains(&key.as_str()), "{key}");
    }
    for args in [
        &["SET", "{jotter}:clock", "1"][..],
        &["GET", "{jotter}:clock"],
        &["DEL", "a", "{jotter}:ver"],
        &["XRANGE", "{jotter}:s:0", "-", "+"],
        &["OBJECT", "ENCODING", "{jotter}:meta"],
    ] {
        let reply = q(&mut c, args);
        assert!(reply.starts_with("-ERR key '{jotter}:") && reply.contains("reserved"), "{reply}");
    }
    assert!(q(&mut c, &["FCALL", "jotter_record", "0", "1"]).starts_with("-ERR functions"));
    assert!(q(&mut c, &["FUNCTION", "FLUSH"]).starts_with("-ERR FUNCTION FLUSH is refused"));
    // FLUSHDB deletes the user keys, each with a delete record.
    let before = records(&mut r).len();
    assert_eq!(q(&mut c, &["FLUSHDB"]), "+OK");
    assert_eq!(q(&mut c, &["DBSIZE"]), ":0");
    assert_eq!(q(&mut c, &["RANDOMKEY"]), "nil");
    assert_eq!(q(&mut r, &["HGET", "{jotter}:meta", "shards"]), "\"4\"");
    let after = records(&mut r);
    assert_eq!(after.len(), before + 3, "{after:?}");
    assert_eq!(q(&mut r, &["EXISTS", "a", "b", "c"]), ":0");
}

#[test]
fn multi_exec_records_the_writes_it_queued() {
    let Some((redis, front)) = cluster(&[]) else { return };
    let mut c = front.raw();
    let mut r = Raw::connect(redis.addr);
    assert_eq!(q(&mut c, &["MULTI"]), "+OK");
    assert_eq!(q(&mut c, &["SET", "a", "1"]), "+QUEUED");
    assert_eq!(q(&mut c, &["INCR", "b"]), "+QUEUED");
    assert_eq!(q(&mut c, &["GET", "a"]), "+QUEUED");
    assert_eq!(q(&mut c, &["EXEC"]), "[+OK, :1, \"1\"]");
    let mut keys: Vec<String> = records(&mut r).into_iter().map(|(_, k, _)| k).collect();
    keys.sort();
    assert_eq!(keys, ["a", "b"]);
    // A command the front end refuses aborts the transaction, as Redis does
    // for a command refused when queued.
    assert_eq!(q(&mut c, &["MULTI"]), "+OK");
    assert_eq!(q(&mut c, &["SET", "a", "2"]), "+QUEUED");
    assert!(q(&mut c, &["SET", "{jotter}:x", "1"]).starts_with("-ERR key"));
    assert!(q(&mut c, &["EXEC"]).starts_with("-EXECABORT"));
    assert_eq!(q(&mut c, &["GET", "a"]), "\"1\"");
    // RESP3 after HELLO 3: replies reach the client in its protocol.
    c.send(&resp(&["HELLO", "3"]));
    assert!(matches!(read_tree(&mut c), Reply::Map(_)));
    assert_eq!(q(&mut c, &["HSET", "h", "f", "v"]), ":1");
    assert_eq!(q(&mut c, &["HGETALL", "h"]), "{\"f\": \"v\"}");
}

#[test]
fn fsync_always_answers_a_write_once_a_replica_has_it() {
    let Some((redis, front)) = cluster(&["--fsync", "always", "--cluster-wait-timeout", "200ms"])
    else {
        return;
    };
    let mut c = front.raw();
    let reply = q(&mut c, &["SET", "k", "1"]);
    assert!(
        reply.starts_with("-NOREPLICAS the write is applied") && reply.contains("two nodes"),
        "{reply}"
    );
    // Applied all the same, as the error says.
    assert_eq!(q(&mut c, &["GET", "k"]), "\"1\"");
    let port = redis.addr.port().to_string();
    let Some(_replica) = PrivateRedis::start_with(&["--replicaof", "127.0.0.1", &port]) else {
        return;
    };
    let mut r = Raw::connect(redis.addr);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !q(&mut r, &["INFO", "replication"]).contains("connected_slaves:1") {
        assert!(Instant::now() < deadline, "the replica never connected");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The replica's first sync may still be under way: the write is then
    // answered once it is done, within the wait.
    let mut reply = String::new();
    for _ in 0..100 {
        reply = q(&mut c, &["SET", "k", "2"]);
        if reply == "+OK" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(reply, "+OK");
}

#[test]
fn jotter_flush_waits_until_the_workers_acknowledged_every_record() {
    let Some((redis, front)) = cluster(&[]) else { return };
    let mut c = front.raw();
    let mut r = Raw::connect(redis.addr);
    // Nothing written: nothing to wait for.
    assert_eq!(q(&mut c, &["JOTTER.FLUSH", "100"]), "+OK");
    for key in ["a", "b", "c", "d"] {
        assert_eq!(q(&mut c, &["SET", key, "v"]), "+OK");
    }
    let reply = q(&mut c, &["JOTTER.FLUSH", "100"]);
    assert!(reply.starts_with("-ERR JOTTER.FLUSH timed out"), "{reply}");
    // A barrier without a timeout, released by a "worker" (this test)
    // reading and acknowledging every record.
    c.send(&resp(&["JOTTER.FLUSH"]));
    for shard in 0..SHARDS {
        let stream = format!("{{jotter}}:s:{shard}");
        r.send(&resp(&["XREADGROUP", "GROUP", "workers", "w1", "STREAMS", &stream, ">"]));
        let Reply::List { items, .. } = read_tree(&mut r) else { continue };
        let Reply::List { items: stream_and_entries, .. } = &items[0] else { panic!() };
        let Reply::List { items: entries, .. } = &stream_and_entries[1] else { panic!() };
        for entry in entries {
            let Reply::List { items: parts, .. } = entry else { panic!() };
            let id = parts[0].render().trim_matches('"').to_owned();
            assert_eq!(q(&mut r, &["XACK", &stream, "workers", &id]), ":1");
        }
    }
    c.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(common::reply::read_reply(&mut c), "+OK");
}

#[test]
fn the_front_end_opens_a_new_connection_when_redis_drops_it() {
    let Some((redis, front)) = cluster(&[]) else { return };
    let mut c = front.raw();
    let mut r = Raw::connect(redis.addr);
    assert_eq!(q(&mut c, &["SET", "k", "1"]), "+OK");
    // Every client but this one, the front end's connections among them.
    assert!(q(&mut r, &["CLIENT", "KILL", "TYPE", "normal"]).starts_with(':'));
    // The request in flight may learn of it; the next one works again.
    let first = q(&mut c, &["INCR", "k"]);
    assert!(first == ":2" || first.starts_with("-TRYAGAIN"), "{first}");
    let second = q(&mut c, &["INCR", "k"]);
    assert!(second == ":2" || second == ":3", "{second}");
    let (status, metrics) = front.http_get("/metrics");
    assert_eq!(status, 200, "{metrics}");
    assert!(metrics.contains("jotter_cluster_stream_pending{shard=\"0\"}"), "{metrics}");
}

#[test]
fn a_primary_that_lost_jotters_layout_gets_it_again_before_a_write() {
    let Some((redis, front)) = cluster(&[]) else { return };
    let mut c = front.raw();
    let mut r = Raw::connect(redis.addr);
    assert_eq!(q(&mut c, &["SET", "k", "1"]), "+OK");
    // As a replica promoted before its first sync ended: nothing of Jotter's.
    assert_eq!(q(&mut r, &["FUNCTION", "FLUSH"]), "+OK");
    assert_eq!(q(&mut r, &["FLUSHALL"]), "+OK");
    assert!(q(&mut r, &["CLIENT", "KILL", "TYPE", "normal"]).starts_with(':'));
    let mut reply = q(&mut c, &["SET", "k", "2"]);
    if reply.starts_with("-TRYAGAIN") {
        reply = q(&mut c, &["SET", "k", "2"]);
    }
    assert_eq!(reply, "+OK");
    assert_eq!(q(&mut r, &["HGET", "{jotter}:meta", "shards"]), "\"4\"");
    let all = records(&mut r);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].1, "k");
}

/// Asks `c` until `done` holds for its reply, for up to 30 s.
#[track_caller]
fn until(c: &mut Raw, args: &[&str], done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = q(c, args);
        if done(&reply) {
            return reply;
        }
        assert!(Instant::now() < deadline, "{args:?} still answers {reply}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the node at `addr` says it is a `role` (`master`,
/// `slave`), on a new connection each time: a node closes its clients'
/// connections when its role changes.
fn until_role(addr: std::net::SocketAddr, role: &str) {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(30);
    let wanted = format!("${}\r\n{role}\r\n", role.len());
    loop {
        let mut said = [0u8; 256];
        let answer = std::net::TcpStream::connect(addr).ok().and_then(|mut stream| {
            stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
            stream.write_all(b"*1\r\n$4\r\nROLE\r\n").ok()?;
            let n = stream.read(&mut said).ok()?;
            Some(String::from_utf8_lossy(&said[..n]).into_owned())
        });
        if answer.as_deref().is_some_and(|a| a.contains(&wanted)) {
            return;
        }
        assert!(Instant::now() < deadline, "{addr} never became a {role}: {answer:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn writes_follow_a_sentinel_failover_to_the_new_primary() {
    let Some(cluster) = Sentinels::start() else { return };
    let front = Server::start(&["--cluster", &cluster.url(), "--cluster-shards", "4"]);
    let mut c = front.raw();
    assert_eq!(q(&mut c, &["SET", "k", "1"]), "+OK");
    // On the replica before the failover: under everysec a write the
    // replica has not received yet may be lost with the primary, as
    // documented.
    let mut p = Raw::connect(cluster.primary.addr);
    until(&mut p, &["WAIT", "1", "1000"], |r| r == ":1");
    cluster.fail_over();
    // Until the old primary is told it is a replica, it still takes writes
    // (Sentinel's window, which fsync = always reports as NOREPLICAS).
    until_role(cluster.primary.addr, "slave");
    let mut r = Raw::connect(cluster.replica.addr);
    // Writes through the front end land on the new primary, with records.
    until(&mut c, &["INCR", "k"], |reply| reply.starts_with(':'));
    let value = q(&mut r, &["GET", "k"]);
    assert!(value == "\"2\"" || value == "\"3\"", "{value}");
    let version = q(&mut r, &["HGET", "{jotter}:ver", "k"]);
    let newest = records(&mut r).into_iter().map(|(_, _, v)| v).max().unwrap();
    assert_eq!(version, format!("{:?}", newest.to_string()));
    assert!(records(&mut r).len() >= 2);
}

#[test]
fn maxclients_and_timeout_apply_to_a_front_end() {
    let Some(redis) = PrivateRedis::start() else { return };
    let url = format!("redis://{}", redis.addr);
    let front = Server::start_with_config("maxclients = 1\ntimeout = 1\n", &["--cluster", &url]);
    let mut first = front.raw();
    assert_eq!(q(&mut first, &["PING"]), "+PONG");
    let mut second = front.raw();
    assert_eq!(common::reply::read_reply(&mut second), "-ERR max number of clients reached");
    // Idle past `timeout`: closed by the front end.
    first.stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    assert!(first.read_to_close().is_empty());
    // Its place is free again (once its task has ended, just after).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut third = front.raw();
        third.send(&resp(&["PING"]));
        let reply = common::reply::read_reply(&mut third);
        if reply == "+PONG" {
            break;
        }
        assert!(Instant::now() < deadline, "{reply}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_subscriber_gets_its_messages_and_comes_back_to_commands() {
    let Some((redis, front)) = cluster(&[]) else { return };
    let mut sub = front.raw();
    let mut c = front.raw();
    assert_eq!(q(&mut sub, &["SUBSCRIBE", "news"]), "[\"subscribe\", \"news\", :1]");
    assert_eq!(q(&mut c, &["PUBLISH", "news", "hi"]), ":1");
    assert_eq!(common::reply::read_reply(&mut sub), "[\"message\", \"news\", \"hi\"]");
    assert!(q(&mut sub, &["GET", "k"]).starts_with("-ERR Can't execute 'get'"));
    assert_eq!(q(&mut sub, &["PING"]), "[\"pong\", \"\"]");
    assert_eq!(q(&mut sub, &["UNSUBSCRIBE"]), "[\"unsubscribe\", \"news\", :0]");
    // Back to commands, writes recorded as ever.
    assert_eq!(q(&mut sub, &["SET", "k", "v"]), "+OK");
    let mut r = Raw::connect(redis.addr);
    assert_eq!(records(&mut r).len(), 1);
}

#[test]
fn the_admin_port_asks_for_the_admin_token() {
    let Some((_redis, front)) = cluster(&["--admin-token", "s3cret"]) else { return };
    assert_eq!(front.http_get("/health").0, 200, "/health stays open");
    assert_eq!(front.http_get("/metrics").0, 401);
    let (status, body) = front.http_get_with("/metrics", "Authorization: Bearer s3cret\r\n");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("jotter_"), "{body}");
}
