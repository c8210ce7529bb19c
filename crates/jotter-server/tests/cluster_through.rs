//! Write-through on a cluster front end (`jotter serve --cluster`), with a
//! real flush worker writing into PostgreSQL whose CHECK constraint
//! refuses long notes: `JOTTER.THROUGH SET` replies once the row is in
//! PostgreSQL (checked right after the reply), and not while its table is
//! locked; `JOTTER.WRITETHROUGH ON` makes plain writes, multi-key writes,
//! deletes, a blocking pop and EXEC wait the same way, until `OFF` or
//! `RESET`; a read under `JOTTER.THROUGH` is relayed; a write the store
//! refuses gets the single node's dead-letter error; with no worker
//! running the wait ends in the timeout's error and the write is kept and
//! stored once a worker runs. Skips loudly without redis-server or
//! PostgreSQL.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::cluster::{Worker, front_end};
use common::pg::{BASE, Schema};
use common::private_redis::PrivateRedis;
use common::reply::{check, q, read_reply};
use common::{Raw, resp};

/// A note's body in PostgreSQL, or "" if it has no row.
fn body(schema: &Schema, id: &str) -> String {
    schema.query(&format!("SELECT body FROM notes WHERE id = '{id}'"))
}

/// A PostgreSQL session holding `table` locked until dropped: the
/// workers' writes into it wait meanwhile.
struct Locked(Child);

impl Locked {
    fn new(schema: &Schema, table: &str) -> Locked {
        let mut child = Command::new("psql")
            .args(["-X", "-q", "-A", "-t", BASE])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run psql");
        let sql = format!(
            "SET search_path TO {}; BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE; \
             SELECT 'locked';\n",
            schema.0
        );
        child.stdin.as_mut().expect("stdin").write_all(sql.as_bytes()).expect("send");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout")).read_line(&mut line).expect("read");
        assert_eq!(line.trim(), "locked");
        Locked(child)
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.0.stdin.take() {
            let _ = stdin.write_all(b"COMMIT;\n");
        }
        let _ = self.0.wait();
    }
}

/// Sends `args`, a write-through into `table`, while the table is locked:
/// no reply may come before the lock is released (the store cannot have
/// the write), and `expected` comes after.
#[track_caller]
fn waits_for_the_store(c: &mut Raw, schema: &Schema, table: &str, args: &[&str], expected: &str) {
    let lock = Locked::new(schema, table);
    c.send(&resp(args));
    c.stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let early = c.stream.peek(&mut [0u8; 1]);
    assert!(early.is_err(), "{args:?} replied while its table was locked");
    drop(lock);
    c.stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    assert_eq!(read_reply(c), expected, "{args:?}");
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

    // One command: the row is there as soon as the reply is, which waits
    // while the store cannot take it.
    let through = ["JOTTER.THROUGH", "SET", "note:a", "abc"];
    waits_for_the_store(&mut c, &schema, "notes", &through, "+OK");
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
    waits_for_the_store(&mut c, &schema, "notes", &["SET", "note:w", "w1"], "+OK");
    assert_eq!(body(&schema, "w"), "w1");
    check(&mut c, &["MSET", "note:m1", "1", "note:m2", "2"], "+OK");
    assert_eq!(body(&schema, "m1"), "1");
    assert_eq!(body(&schema, "m2"), "2");
    check(&mut c, &["MULTI"], "+OK");
    check(&mut c, &["SET", "note:x1", "x"], "+QUEUED");
    check(&mut c, &["SET", "note:x2", "y"], "+QUEUED");
    waits_for_the_store(&mut c, &schema, "notes", &["EXEC"], "[+OK, +OK]");
    assert_eq!(body(&schema, "x1"), "x");
    assert_eq!(body(&schema, "x2"), "y");
    // A delete waits for the row's delete.
    check(&mut c, &["DEL", "note:x1"], ":1");
    assert_eq!(body(&schema, "x1"), "");
    // A blocking pop waits for the store once it took something.
    let items = |schema: &Schema| {
        schema.query("SELECT count(*) FROM jotter_lists WHERE key = convert_to('queue', 'UTF8')")
    };
    check(&mut c, &["RPUSH", "queue", "job"], ":1");
    assert_eq!(items(&schema), "1");
    let pop = ["BLPOP", "queue", "1"];
    waits_for_the_store(&mut c, &schema, "jotter_lists", &pop, "[\"queue\", \"job\"]");
    assert_eq!(items(&schema), "0");

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
