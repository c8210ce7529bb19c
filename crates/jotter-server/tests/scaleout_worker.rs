//! The scale-out mode's flush workers (`jotter worker`), against a private
//! redis-server written by hand as front ends write it (`common::cluster`)
//! and PostgreSQL (a schema of the test's own): every type reaches the same
//! tables a single node writes (a single node on the same database reads
//! them back), deletes and expiries included; a worker killed with
//! `kill -9` under load has its records claimed by another and every key
//! ends with its last value; a write the store refuses lands in the
//! dead-letter stream after its deliveries and the rest flows; a worker
//! paused with a batch in flight, resumed after another stored a newer
//! value, does not regress the key; the clock is raised to the store's
//! versions; `--load-store` writes a single node's database into a fresh
//! Redis without overwriting a key Redis holds. Each test skips loudly
//! without redis-server or PostgreSQL.

mod common;

use std::time::Duration;

use common::Server;
use common::cluster::{Cluster, Worker};
use common::pg::Schema;
use common::private_redis::PrivateRedis;
use common::proxy::Proxy;
use common::reply::q;

const SHARDS: u32 = 4;
const LIMIT: Duration = Duration::from_secs(60);

fn services(test: &str) -> Option<(PrivateRedis, Schema, Cluster)> {
    let redis = PrivateRedis::start()?;
    let schema = Schema::create(test)?;
    let cluster = Cluster::new(&redis, SHARDS);
    Some((redis, schema, cluster))
}

/// A single node on the same database, to read what the workers wrote.
fn reader(schema: &Schema) -> Server {
    Server::start(&["--store", &schema.url()])
}

#[test]
fn every_type_reaches_the_tables_a_single_node_reads() {
    let Some((redis, schema, mut cluster)) = services("wtypes") else { return };
    cluster.write("s", &["SET", "s", "hello"]);
    cluster.write("n", &["SET", "n", "1"]);
    cluster.write("n", &["INCRBY", "n", "41"]);
    cluster.write("h", &["HSET", "h", "a", "1", "b", "2"]);
    cluster.write("h", &["HDEL", "h", "b"]);
    cluster.write("set", &["SADD", "set", "x", "y"]);
    cluster.write("z", &["ZADD", "z", "1.5", "m", "2", "n"]);
    cluster.write("l", &["RPUSH", "l", "a", "b", "c"]);
    cluster.write("l", &["LPOP", "l"]);
    cluster.write("ttl", &["SET", "ttl", "v", "PX", "3600000"]);
    cluster.write("gone", &["SET", "gone", "x"]);
    cluster.write("st", &["XADD", "st", "1-1", "f", "v"]);
    let mut worker = Worker::start(&redis, Some(&schema.url()), &["--consumer", "w1"]);
    cluster.wait_drained(LIMIT);
    // A delete after the key was stored removes it from the store.
    cluster.write("gone", &["DEL", "gone"]);
    cluster.wait_drained(LIMIT);
    let metrics = worker.metrics();
    assert!(metrics.contains("jotter_worker_stored_total"), "{metrics}");
    worker.signal("TERM");
    assert!(worker.wait(LIMIT).success(), "{}", worker.log());

    let server = reader(&schema);
    let mut c = server.raw();
    assert_eq!(q(&mut c, &["GET", "s"]), "\"hello\"");
    assert_eq!(q(&mut c, &["GET", "n"]), "\"42\"");
    assert_eq!(q(&mut c, &["HGETALL", "h"]), "[\"a\", \"1\"]");
    assert_eq!(q(&mut c, &["SMEMBERS", "set"]).len(), "[\"x\", \"y\"]".len());
    assert_eq!(
        q(&mut c, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        "[\"m\", \"1.5\", \"n\", \"2\"]"
    );
    assert_eq!(q(&mut c, &["LRANGE", "l", "0", "-1"]), "[\"b\", \"c\"]");
    assert_eq!(q(&mut c, &["GET", "gone"]), "nil");
    let ttl: i64 = q(&mut c, &["PTTL", "ttl"]).trim_start_matches(':').parse().unwrap();
    assert!(ttl > 0 && ttl <= 3_600_000, "PTTL {ttl}");
    assert_eq!(q(&mut c, &["XRANGE", "st", "-", "+"]), "[[\"1-1\", [\"f\", \"v\"]]]");
}

#[test]
fn a_killed_workers_records_are_claimed_and_every_key_ends_at_its_last_value() {
    let Some((redis, schema, mut cluster)) = services("wkill") else { return };
    let url = schema.url();
    // The first worker reaches the database through a proxy that can hold
    // its writes, so that it surely dies with records in hand.
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap(), false);
    let claim = ["--claim-idle", "1s"];
    let first_store = schema.url_via(proxy.port);
    let mut first = Worker::start(
        &redis,
        Some(&first_store),
        &[&["--consumer", "w1"][..], &claim[..]].concat(),
    );
    let second =
        Worker::start(&redis, Some(&url), &[&["--consumer", "w2"][..], &claim[..]].concat());
    let keys = 200;
    for round in 0..10 {
        if round == 4 {
            proxy.hold();
        }
        for k in 0..keys {
            let key = format!("key:{k}");
            cluster.write(&key, &["SET", &key, &format!("{round}")]);
        }
        if round == 4 {
            let start = std::time::Instant::now();
            while !proxy.holding() {
                assert!(start.elapsed() < LIMIT, "the worker sent nothing:\n{}", first.log());
                std::thread::sleep(Duration::from_millis(10));
            }
            first.signal("KILL");
            let _ = first.wait(LIMIT);
        }
    }
    cluster.wait_drained(LIMIT);
    let claimed = second.metrics();
    let claimed = claimed
        .lines()
        .find_map(|l| l.strip_prefix("jotter_worker_claimed_total "))
        .and_then(|n| n.trim().parse::<u64>().ok());
    assert!(claimed.is_some_and(|n| n > 0), "{claimed:?}\n{}", second.log());
    // The killed worker's consumer, with nothing pending, is dropped from
    // the group once idle for 10 claim-idles.
    let start = std::time::Instant::now();
    while (0..SHARDS).any(|shard| {
        let stream = jotter_scaleout::shard_stream(shard);
        format!("{:?}", cluster.query(&["XINFO", "CONSUMERS", &stream, "workers"])).contains("w1")
    }) {
        assert!(start.elapsed() < LIMIT, "the dead worker's consumer is still there");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Acknowledged records are trimmed: at most the last delivered entry
    // of each shard stream is left.
    let start = std::time::Instant::now();
    loop {
        let left: i64 = (0..SHARDS)
            .map(|shard| {
                let stream = jotter_scaleout::shard_stream(shard);
                common::cluster::text(&cluster.query(&["XLEN", &stream])).parse::<i64>().unwrap()
            })
            .sum();
        if left <= i64::from(SHARDS) {
            break;
        }
        assert!(start.elapsed() < LIMIT, "{left} entries left in the shard streams");
        std::thread::sleep(Duration::from_millis(50));
    }
    let server = reader(&schema);
    let mut c = server.raw();
    for k in 0..keys {
        assert_eq!(q(&mut c, &["GET", &format!("key:{k}")]), "\"9\"", "key:{k}");
    }
    // Whatever the killed worker held was claimed by the other.
    assert_eq!(cluster.pending(), 0);
    drop(second);
}

#[test]
fn a_refused_write_is_dead_lettered_after_its_deliveries_and_the_rest_flows() {
    let Some((redis, schema, mut cluster)) = services("wdead") else { return };
    let mut worker = Worker::refusing_long_notes(&redis, &schema);
    cluster.write("note:ok", &["SET", "note:ok", "abc"]);
    let poison = cluster.write("note:bad", &["SET", "note:bad", "far too long"]);
    cluster.write("plain", &["SET", "plain", "flows"]);
    cluster.wait_drained(LIMIT);
    let letters = cluster.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}\n{}", worker.log());
    let letter = &letters[0];
    let get = |name: &str| letter.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(get("key").as_deref(), Some("note:bad"));
    assert_eq!(get("id"), Some(poison.to_string()));
    assert_eq!(get("op").as_deref(), Some("set"));
    assert_eq!(get("attempts").as_deref(), Some("3"));
    assert!(get("error").is_some_and(|e| e.contains("check")), "{letter:?}");
    let start = std::time::Instant::now();
    while !worker.metrics().contains("jotter_worker_dead_letters 1") {
        assert!(start.elapsed() < LIMIT, "{}", worker.metrics());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(schema.query("SELECT id || '=' || body FROM notes"), "ok=abc");
    worker.signal("TERM");
    assert!(worker.wait(LIMIT).success());
    let server = reader(&schema);
    assert_eq!(q(&mut server.raw(), &["GET", "plain"]), "\"flows\"");
}

#[test]
fn a_paused_worker_resumed_late_does_not_regress_a_key() {
    let Some((redis, schema, mut cluster)) = services("wpause") else { return };
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap(), false);
    // The first worker reaches the database through a proxy that can hold
    // its writes; the second directly.
    let mut late =
        Worker::start(&redis, Some(&schema.url_via(proxy.port)), &["--consumer", "late"]);
    cluster.write("k", &["SET", "k", "v0"]);
    cluster.wait_drained(LIMIT);

    proxy.hold();
    cluster.write("k", &["SET", "k", "v1"]);
    // Its batch (v1 at its version) is on its way to the database, held.
    let start = std::time::Instant::now();
    while !proxy.holding() {
        assert!(start.elapsed() < LIMIT, "the worker sent nothing:\n{}", late.log());
        std::thread::sleep(Duration::from_millis(10));
    }
    late.signal("STOP");
    cluster.write("k", &["SET", "k", "v2"]);
    let other =
        Worker::start(&redis, Some(&schema.url()), &["--consumer", "other", "--claim-idle", "1s"]);
    // The other stores v2 and claims the paused worker's record.
    cluster.wait_drained(LIMIT);
    let stored =
        || schema.query("SELECT encode(value, 'escape') FROM jotter_strings WHERE key = 'k'");
    assert_eq!(stored(), "v2");

    // Resumed, the paused worker's late write of v1 reaches the database,
    // and changes nothing; asked to stop, it finishes that batch first.
    late.signal("TERM");
    proxy.release();
    late.signal("CONT");
    assert!(late.wait(LIMIT).success(), "{}", late.log());
    assert_eq!(late.log().matches("batch stored").count(), 2, "{}", late.log());
    assert_eq!(stored(), "v2");
    drop(other);
}

#[test]
fn the_clock_is_raised_to_the_stores_highest_version() {
    let Some((redis, schema, mut cluster)) = services("wclock") else { return };
    let version = cluster.write("k", &["SET", "k", "v"]);
    let worker = Worker::start(&redis, Some(&schema.url()), &[]);
    cluster.wait_drained(LIMIT);
    drop(worker);
    // A cluster whose clock went back (a failover lost its last INCRs).
    cluster.query(&["SET", "{jotter}:clock", "5"]);
    let _worker = Worker::start(&redis, Some(&schema.url()), &[]);
    let start = std::time::Instant::now();
    loop {
        let clock: u64 =
            common::cluster::text(&cluster.query(&["GET", "{jotter}:clock"])).parse().unwrap();
        if clock >= version {
            break;
        }
        assert!(start.elapsed() < LIMIT, "clock {clock} below {version}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_store_outage_leaves_records_pending_and_they_flow_when_it_is_back() {
    let Some((redis, schema, mut cluster)) = services("woutage") else { return };
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap(), false);
    let worker = Worker::start(&redis, Some(&schema.url_via(proxy.port)), &[]);
    cluster.write("before", &["SET", "before", "1"]);
    cluster.wait_drained(LIMIT);
    proxy.cut();
    for k in 0..20 {
        let key = format!("k{k}");
        cluster.write(&key, &["SET", &key, "during"]);
    }
    // Delivered, not acknowledged while the store cannot commit them (the
    // batch in hand is retried; the rest waits in the streams).
    let start = std::time::Instant::now();
    while cluster.pending() == 0 {
        assert!(start.elapsed() < LIMIT, "records not delivered:\n{}", worker.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(cluster.pending() > 0 && !cluster.drained(), "{}", worker.log());
    proxy.restore();
    cluster.wait_drained(LIMIT);
    let server = reader(&schema);
    let mut c = server.raw();
    for k in 0..20 {
        assert_eq!(q(&mut c, &["GET", &format!("k{k}")]), "\"during\"");
    }
    assert!(worker.log().contains("retrying"), "{}", worker.log());
}

#[test]
fn a_worker_whose_connection_is_killed_connects_again() {
    let Some((redis, schema, mut cluster)) = services("wreconnect") else { return };
    let worker = Worker::start(&redis, Some(&schema.url()), &[]);
    cluster.write("a", &["SET", "a", "1"]);
    cluster.wait_drained(LIMIT);
    cluster.query(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
    cluster.write("b", &["SET", "b", "2"]);
    cluster.wait_drained(LIMIT);
    let server = reader(&schema);
    assert_eq!(q(&mut server.raw(), &["GET", "b"]), "\"2\"");
    assert!(worker.log().contains("connecting again"), "{}", worker.log());
}

#[test]
fn a_worker_follows_a_sentinel_failover_to_the_new_primary() {
    let Some(sentinels) = common::sentinel::Sentinels::start() else { return };
    let Some(schema) = Schema::create("wfailover") else { return };
    let mut cluster = Cluster::new(&sentinels.primary, SHARDS);
    let worker = Worker::start_on(&sentinels.url(), Some(&schema.url()), &[]);
    cluster.write("k", &["SET", "k", "before"]);
    cluster.wait_drained(LIMIT);
    cluster.query(&["WAIT", "1", "5000"]);
    sentinels.fail_over();
    let mut cluster = Cluster::attach(&sentinels.replica, SHARDS);
    cluster.write("k", &["SET", "k", "after"]);
    cluster.wait_drained(LIMIT);
    let server = reader(&schema);
    assert_eq!(q(&mut server.raw(), &["GET", "k"]), "\"after\"");
    assert!(worker.log().contains("connecting again"), "{}", worker.log());
}

#[test]
fn the_clock_is_raised_once_a_store_down_at_start_answers() {
    let Some((redis, schema, mut cluster)) = services("wclockdown") else { return };
    let version = cluster.write("k", &["SET", "k", "v"]);
    let worker = Worker::start(&redis, Some(&schema.url()), &[]);
    cluster.wait_drained(LIMIT);
    drop(worker);
    cluster.query(&["SET", "{jotter}:clock", "5"]);
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap(), true);
    let worker =
        Worker::start(&redis, Some(&schema.url_via(proxy.port)), &["--claim-idle", "200ms"]);
    let start = std::time::Instant::now();
    while !worker.log().contains("asking again later") {
        assert!(start.elapsed() < LIMIT, "{}", worker.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    proxy.restore();
    loop {
        let clock: u64 =
            common::cluster::text(&cluster.query(&["GET", "{jotter}:clock"])).parse().unwrap();
        if clock >= version {
            break;
        }
        assert!(start.elapsed() < LIMIT, "clock {clock} below {version}:\n{}", worker.log());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_workers_admin_port_asks_for_the_admin_token() {
    let Some((redis, schema, _cluster)) = services("wtoken") else { return };
    let worker = Worker::start(
        &redis,
        Some(&schema.url()),
        &["--consumer", "w1", "--admin-token", "s3cret"],
    );
    assert!(worker.metrics_with("").starts_with("HTTP/1.1 401"), "without the token");
    let answer = worker.metrics_with("Authorization: Bearer s3cret\r\n");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn a_worker_with_load_store_makes_a_single_nodes_database_served_by_front_ends() {
    let Some((redis, schema, mut cluster)) = services("wload") else { return };
    // A single node writes keys of every type into the database.
    let mut single = reader(&schema);
    let mut c = single.raw();
    for command in [
        &["SET", "s", "hello"][..],
        &["HSET", "h", "a", "1", "b", "2"],
        &["SADD", "set", "x", "y", "z"],
        &["ZADD", "z", "1.5", "m", "-inf", "n", "0.1", "o"],
        &["RPUSH", "l", "a", "b", "c"],
        &["SET", "ttl", "v", "PX", "3600000"],
        &["XADD", "st", "1-1", "f", "v"],
        &["SET", "mine", "from the store"],
    ] {
        let reply = q(&mut c, command);
        assert!(!reply.starts_with('-'), "{command:?}: {reply}");
    }
    // A hash larger than one slice of jotter_load's arguments.
    let fields: Vec<String> = (0..2_500).flat_map(|i| [format!("f{i}"), format!("{i}")]).collect();
    let mut hset = vec!["HSET", "big"];
    hset.extend(fields.iter().map(String::as_str));
    assert_eq!(q(&mut c, &hset), ":2500");
    assert_eq!(q(&mut c, &["JOTTER.FLUSH"]), "+OK");
    let reads: [&[&str]; 8] = [
        &["GET", "s"],
        &["HGETALL", "h"],
        &["SORT", "set", "ALPHA"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &["LRANGE", "l", "0", "-1"],
        &["XRANGE", "st", "-", "+"],
        &["HLEN", "big"],
        &["HGET", "big", "f2499"],
    ];
    let expected: Vec<String> = reads.iter().map(|r| q(&mut c, r)).collect();
    drop(c);
    single.signal("TERM");
    assert!(single.wait(LIMIT).success(), "{}", single.log());

    // A client wrote one of the keys in Redis before the load.
    cluster.write("mine", &["SET", "mine", "from redis"]);
    let worker = Worker::start(&redis, Some(&schema.url()), &["--consumer", "w1", "--load-store"]);
    let start = std::time::Instant::now();
    while !worker.log().contains("loaded the store's keys") {
        assert!(start.elapsed() < LIMIT, "no load:\n{}", worker.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = worker.log();
    assert!(log.contains("listed=9") && log.contains("loaded=8"), "{log}");
    cluster.wait_drained(LIMIT);

    let addr = format!("redis://{}", redis.addr);
    let front = Server::start(&["--cluster", &addr, "--cluster-shards", "4"]);
    let mut f = front.raw();
    for (read, expected) in reads.iter().zip(&expected) {
        assert_eq!(&q(&mut f, read), expected, "{read:?}");
    }
    assert_eq!(q(&mut f, &["GET", "mine"]), "\"from redis\"");
    let ttl: i64 = q(&mut f, &["PTTL", "ttl"]).trim_start_matches(':').parse().unwrap();
    assert!(ttl > 0 && ttl <= 3_600_000, "PTTL {ttl}");
    // Loaded keys carry the store's versions and left no change record;
    // a new write gets a higher version.
    let version = |cluster: &mut Cluster, key: &str| -> u64 {
        common::cluster::text(&cluster.query(&["HGET", "{jotter}:ver", key])).parse().unwrap()
    };
    let loaded = version(&mut cluster, "s");
    assert!(loaded > 0);
    // The store holds it: a front end's JOTTER.KEY says clean.
    let stored = common::cluster::text(&cluster.query(&["HGET", "{jotter}:stored", "s"]));
    assert_eq!(stored, loaded.to_string());
    assert!(q(&mut f, &["JOTTER.KEY", "s"]).starts_with("[\"state\", +clean"));
    assert_eq!(q(&mut f, &["SET", "s", "again"]), "+OK");
    assert!(version(&mut cluster, "s") > loaded);
}
