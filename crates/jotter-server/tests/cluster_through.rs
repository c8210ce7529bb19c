//! Write-through on a cluster front end (`jotter serve --cluster`), with a
//! real flush worker writing into PostgreSQL whose CHECK constraint
//! refuses long notes: `JOTTER.THROUGH SET` replies once the row is in
//! PostgreSQL (checked right after the reply); `JOTTER.WRITETHROUGH ON`
//! makes plain writes, multi-key writes and EXEC wait the same way, until
//! `OFF` or `RESET`; a read under `JOTTER.THROUGH` is relayed; a write the
//! store refuses gets the single node's dead-letter error; with no worker
//! running the wait ends in the timeout's error and the write is kept and
//! stored once a worker runs. Skips loudly without redis-server or
//! PostgreSQL.

mod common;

use std::time::Duration;

use common::Raw;
use common::cluster::{Worker, front_end};
use common::pg::Schema;
use common::private_redis::PrivateRedis;
use common::reply::{check, q};

/// A note's body in PostgreSQL, or "" if it has no row.
fn body(schema: &Schema, id: &str) -> String {
    schema.query(&format!("SELECT body FROM notes WHERE id = '{id}'"))
}

/// The client, its reads allowed to outlast a refused write's deliveries.
fn patient(c: Raw) -> Raw {
    c.stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    c
}

#[test]
fn write_through_replies_once_the_store_has_the_write() {
    let Some(redis) = PrivateRedis::start() else { return };
    let Some(schema) = Schema::create("cthrough") else { return };
    let front = front_end(&redis, 4, &["--cluster-through-timeout", "30s"]);
    let worker = Worker::refusing_long_notes(&redis, &schema);
    let mut c = patient(front.raw());

    // One command: the row is there as soon as the reply is.
    check(&mut c, &["JOTTER.THROUGH", "SET", "note:a", "abc"], "+OK");
    assert_eq!(body(&schema, "a"), "abc", "{}", worker.log());
    check(&mut c, &["JOTTER.THROUGH", "APPEND", "note:a", "d"], ":4");
    assert_eq!(body(&schema, "a"), "abcd");
    // Nested, as a single node takes it; a read is relayed.
    check(&mut c, &["JOTTER.THROUGH", "JOTTER.THROUGH", "SET", "note:n", "n"], "+OK");
    assert_eq!(body(&schema, "n"), "n");
    check(&mut c, &["JOTTER.THROUGH", "GET", "note:a"], "\"abcd\"");
    // A write Redis refuses gets Redis's error at once.
    check(
        &mut c,
        &["JOTTER.THROUGH", "LPUSH", "note:a", "x"],
        "-WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    // JOTTER.THROUGH turned it on for its command only.
    check(&mut c, &["SET", "note:late", "z"], "+OK");

    // The connection's mode: every write waits, several keys at once too.
    check(&mut c, &["JOTTER.WRITETHROUGH", "ON"], "+OK");
    check(&mut c, &["SET", "note:w", "w1"], "+OK");
    assert_eq!(body(&schema, "w"), "w1");
    check(&mut c, &["MSET", "note:m1", "1", "note:m2", "2"], "+OK");
    assert_eq!(body(&schema, "m1"), "1");
    assert_eq!(body(&schema, "m2"), "2");
    check(&mut c, &["MULTI"], "+OK");
    check(&mut c, &["SET", "note:x1", "x"], "+QUEUED");
    check(&mut c, &["SET", "note:x2", "y"], "+QUEUED");
    check(&mut c, &["EXEC"], "[+OK, +OK]");
    assert_eq!(body(&schema, "x1"), "x");
    assert_eq!(body(&schema, "x2"), "y");

    // Refused for good: the single node's dead-letter error, with the
    // store's.
    let refused = q(&mut c, &["SET", "note:bad", "far too long"]);
    assert!(
        refused.starts_with("-ERR the store refused the write for good and it was dead-lettered: "),
        "{refused}"
    );
    assert!(refused.contains("check"), "{refused}");
    assert_eq!(body(&schema, "bad"), "");
    let dead = q(&mut c, &["JOTTER.THROUGH", "SET", "note:bad2", "also long"]);
    assert!(dead.contains("dead-lettered"), "{dead}");

    // RESET turns it off, as on a single node.
    check(&mut c, &["JOTTER.THROUGH", "JOTTER.WRITETHROUGH", "OFF"], "+OK");
    check(&mut c, &["JOTTER.WRITETHROUGH", "ON"], "+OK");
    check(&mut c, &["RESET"], "+RESET");
    check(&mut c, &["MULTI"], "+OK");
    assert!(q(&mut c, &["JOTTER.WRITETHROUGH", "ON"]).contains("inside MULTI"));
    assert!(q(&mut c, &["EXEC"]).starts_with("-EXECABORT"));
    drop(worker);
}

#[test]
fn write_through_without_a_worker_times_out_and_keeps_the_write() {
    let Some(redis) = PrivateRedis::start() else { return };
    let Some(schema) = Schema::create("cthroughwait") else { return };
    let front = front_end(&redis, 4, &["--cluster-through-timeout", "300ms"]);
    let mut c = patient(front.raw());

    let late = q(&mut c, &["JOTTER.THROUGH", "SET", "note:t", "tt"]);
    assert!(
        late.starts_with("-ERR write-through timed out after 300 ms with key 'note:t' not yet"),
        "{late}"
    );
    assert!(late.contains("still being flushed"), "{late}");
    // Applied in Redis all the same.
    check(&mut c, &["GET", "note:t"], "\"tt\"");

    // A worker stores it; a write-through now succeeds.
    let worker = Worker::refusing_long_notes(&redis, &schema);
    c.stream.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
    check(&mut c, &["JOTTER.FLUSH", "60000"], "+OK");
    assert_eq!(body(&schema, "t"), "tt", "{}", worker.log());
    drop(front);
    let front = front_end(&redis, 4, &["--cluster-through-timeout", "30s"]);
    let mut c = patient(front.raw());
    check(&mut c, &["JOTTER.THROUGH", "SET", "note:t", "uu"], "+OK");
    assert_eq!(body(&schema, "t"), "uu");
    drop(worker);
}
