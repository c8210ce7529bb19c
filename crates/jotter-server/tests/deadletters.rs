//! Dead letters an operator can see and fix, end to end: a real PostgreSQL
//! CHECK constraint refuses writes, `JOTTER.DEADLETTERS` lists them (RESP2
//! and RESP3), a replay while the constraint stands keeps them (one more
//! attempt), a replay after it is dropped puts the row in the table, a
//! replay never regresses a key written since, purge by id and ALL; the
//! same over HTTP on the admin port (`/dead-letters`); the gauge in
//! `/metrics` is there as soon as the count is; and the last log line of a
//! stop names the dead letters that remain. Without a reachable PostgreSQL
//! the PostgreSQL tests skip loudly, or fail with
//! `JOTTER_REQUIRE_SERVICES=1`.

mod common;

use std::time::{Duration, Instant};

use common::pg::Schema;
use common::reply::{
    check, check_dead_letter_arguments, check_dead_letter_pages, dead_letter_ids as ids, q,
};
use common::{Raw, Server};

const CONSTRAINT: &str = "ALTER TABLE jotter_strings ADD CONSTRAINT short_values \
                          CHECK (length(value) < 10) NOT VALID";
const DROP_CONSTRAINT: &str = "ALTER TABLE jotter_strings DROP CONSTRAINT short_values";

/// A server writing into `schema`, its tables created (one write flushed)
/// and the constraint added.
fn constrained(schema: &Schema, extra: &[&str]) -> (Server, Raw) {
    let url = schema.url();
    let mut args = vec!["--store", url.as_str()];
    args.extend_from_slice(extra);
    let (server, mut c) = Server::start_raw_with(&args);
    check(&mut c, &["SET", "seed", "1"], "+OK");
    check(&mut c, &["JOTTER.FLUSH", "10000"], "+OK");
    schema.query(CONSTRAINT);
    (server, c)
}

/// Polls `JOTTER.DEADLETTERS COUNT` until it says `n`.
fn wait_count(c: &mut Raw, n: u64) {
    let start = Instant::now();
    loop {
        let got = q(c, &["JOTTER.DEADLETTERS", "COUNT"]);
        if got == format!(":{n}") {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "count stays {got}, not {n}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The rendered entry of the letter of `key` in a `LIST` reply.
fn entry_of<'a>(list: &'a str, key: &str) -> &'a str {
    let at = list.find(&format!("\"{key}\"")).unwrap_or_else(|| panic!("{key} in {list}"));
    let end = list[at..].find(']').or_else(|| list[at..].find('}')).unwrap();
    &list[at..at + end]
}

fn row(schema: &Schema, key: &str) -> String {
    schema.query(&format!(
        "SELECT convert_from(value, 'UTF8') FROM jotter_strings WHERE key = '{key}'::bytea"
    ))
}

#[test]
fn dead_letters_of_a_check_constraint_are_listed_replayed_after_the_fix_and_purged() {
    let Some(schema) = Schema::create("dl_resp") else { return };
    let (mut server, mut c) = constrained(&schema, &[]);
    for (key, value) in [
        ("long:1", "first long value"),
        ("long:2", "second long"),
        ("long:3", "x".repeat(100).as_str()),
    ] {
        check(&mut c, &["SET", key, value], "+OK");
    }
    wait_count(&mut c, 3);
    // The gauge is set where the queue changes: there by the time the count is.
    let (status, metrics) = server.http_get("/metrics");
    assert_eq!(status, 200);
    assert!(metrics.lines().any(|l| l == "jotter_dead_letters 3"), "{metrics}");

    // RESP2: flat pairs, in id order.
    let list = q(&mut c, &["JOTTER.DEADLETTERS", "LIST"]);
    assert!(list.starts_with("[\"0\", [["), "{list}");
    let all = ids(&list);
    assert_eq!(all.len(), 3, "{list}");
    assert!(all.is_sorted(), "{list}");
    let first = entry_of(&list, "long:1");
    for field in [
        "\"op\", +set",
        "\"value-size\", :16",
        "\"value-prefix\", \"first long value\"",
        "\"error-kind\", +permanent",
        "\"attempts\", :3",
        "short_values",
        "\"first-failure\", :",
        "\"last-failure\", :",
    ] {
        assert!(first.contains(field), "{field} in {first}");
    }
    let third = entry_of(&list, "long:3");
    assert!(third.contains("\"value-size\", :100"), "{third}");
    assert!(third.contains(&format!("\"value-prefix\", \"{}\"", "x".repeat(64))), "{third}");

    // Paging: COUNT 2, then the cursor it gave; RESP3: a map per letter.
    check_dead_letter_pages(&server, &mut c, &all, "long:1");

    // A replay while the constraint stands: every letter stays, one more attempt.
    check(&mut c, &["JOTTER.DEADLETTERS", "REPLAY", "ALL"], ":0");
    let list = q(&mut c, &["JOTTER.DEADLETTERS", "LIST"]);
    assert_eq!(ids(&list), all);
    assert!(entry_of(&list, "long:1").contains("\"attempts\", :4"), "{list}");

    // The schema is fixed: a replay by id puts that row, and only it, in the table.
    schema.query(DROP_CONSTRAINT);
    check(&mut c, &["JOTTER.DEADLETTERS", "REPLAY", &all[0].to_string(), "12345"], ":1");
    assert_eq!(row(&schema, "long:1"), "first long value");
    assert_eq!(row(&schema, "long:2"), "");
    check(&mut c, &["JOTTER.DEADLETTERS", "COUNT"], ":2");

    // long:2 is written again since: its replay leaves the newer value.
    check(&mut c, &["SET", "long:2", "newer"], "+OK");
    check(&mut c, &["JOTTER.FLUSH", "10000"], "+OK");
    check(&mut c, &["JOTTER.DEADLETTERS", "REPLAY", &all[1].to_string()], ":1");
    assert_eq!(row(&schema, "long:2"), "newer");
    check(&mut c, &["GET", "long:2"], "\"newer\"");

    // Purge: a bad id is refused, an unknown one skipped, a known one logged.
    check(&mut c, &["JOTTER.DEADLETTERS", "PURGE", "x"], "-ERR invalid dead letter id 'x'");
    check(&mut c, &["JOTTER.DEADLETTERS", "PURGE", &all[2].to_string(), "1"], ":1");
    check(&mut c, &["JOTTER.DEADLETTERS", "COUNT"], ":0");
    let log = server.log();
    assert!(log.contains("dead letter purged") && log.contains("long:3"), "{log}");
    assert!(!log.contains(&"x".repeat(100)), "a purge never logs the value");
    assert_eq!(row(&schema, "long:3"), "");

    // PURGE ALL.
    schema.query(CONSTRAINT);
    check(&mut c, &["SET", "long:4", "fourth long value"], "+OK");
    check(&mut c, &["SET", "long:5", "fifth long value"], "+OK");
    wait_count(&mut c, 2);
    check(&mut c, &["JOTTER.DEADLETTERS", "PURGE", "ALL"], ":2");
    check(&mut c, &["JOTTER.DEADLETTERS", "COUNT"], ":0");

    // A stop with a dead letter left says so, and where to see it.
    check(&mut c, &["SET", "long:6", "sixth long value"], "+OK");
    wait_count(&mut c, 1);
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(30));
    assert_eq!(status.code(), Some(4));
    let log = server.log();
    assert!(log.contains("1 dead letter remaining"), "{log}");
    assert!(log.contains("JOTTER.DEADLETTERS LIST"), "{log}");
}

#[test]
fn a_replay_of_a_key_with_a_write_pending_removes_the_letter_without_writing_it() {
    let Some(schema) = Schema::create("dl_pending") else { return };
    let (_server, mut c) = constrained(&schema, &[]);
    check(&mut c, &["SET", "k", "a long old value"], "+OK");
    wait_count(&mut c, 1);
    schema.query(DROP_CONSTRAINT);
    // PostgreSQL holds the table locked for a while, so the next write of
    // the key stays pending while the replay runs.
    let holder = std::thread::spawn({
        let schema_name = schema.0.clone();
        move || {
            common::pg::psql(&format!(
                "SET search_path TO {schema_name}; BEGIN; \
                 LOCK TABLE jotter_strings IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT"
            ))
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    check(&mut c, &["SET", "k", "new"], "+OK");
    check(&mut c, &["JOTTER.DEADLETTERS", "REPLAY", "ALL"], ":1");
    check(&mut c, &["JOTTER.DEADLETTERS", "COUNT"], ":0");
    holder.join().unwrap().unwrap();
    check(&mut c, &["JOTTER.FLUSH", "10000"], "+OK");
    assert_eq!(row(&schema, "k"), "new");
    check(&mut c, &["GET", "k"], "\"new\"");
}

#[test]
fn the_subcommands_check_their_arguments() {
    let (_server, mut c) = Server::start_raw();
    check_dead_letter_arguments(&mut c);
}

/// One HTTP/1.1 request to the admin port: (status, body).
fn http(server: &Server, method: &str, path: &str, body: &str, headers: &str) -> (u16, String) {
    server.http(&format!("{method} {path}"), headers, body)
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn the_admin_port_lists_replays_and_purges_dead_letters_behind_its_token() {
    let Some(schema) = Schema::create("dl_http") else { return };
    let (server, mut c) = constrained(&schema, &["--admin-token", "s3cret"]);
    let auth = "Authorization: Bearer s3cret\r\n";
    check(&mut c, &["SET", "long:1", "first long value"], "+OK");
    check(&mut c, &["SET", "long:2", "second long value"], "+OK");
    check(&mut c, &["SET", "long:3", "third long value"], "+OK");
    wait_count(&mut c, 3);

    assert_eq!(http(&server, "GET", "/dead-letters", "", "").0, 401, "the token is asked for");
    let (status, body) = http(&server, "GET", "/dead-letters?count=2", "", auth);
    assert_eq!(status, 200, "{body}");
    let page = json(&body);
    assert_eq!(page["count"], 3);
    let letters = page["letters"].as_array().unwrap();
    assert_eq!(letters.len(), 2);
    let first = &letters[0];
    assert_eq!(first["key"], "long:1");
    assert_eq!(first["op"], "set");
    assert_eq!(first["value_size"], 16);
    assert_eq!(first["value_prefix"], "first long value");
    assert_eq!(first["error_kind"], "permanent");
    assert_eq!(first["attempts"], 3);
    assert!(first["error"].as_str().unwrap().contains("short_values"), "{first}");
    assert!(first["first_failure_ms"].as_u64().unwrap() > 0);
    assert!(
        first["last_failure_ms"].as_u64().unwrap() >= first["first_failure_ms"].as_u64().unwrap()
    );
    let ids: Vec<u64> = letters.iter().map(|l| l["id"].as_u64().unwrap()).collect();
    let cursor = page["cursor"].as_str().unwrap();
    assert_eq!(cursor, ids[1].to_string());
    let (_, body) = http(&server, "GET", &format!("/dead-letters?cursor={cursor}"), "", auth);
    let rest = json(&body);
    assert_eq!(rest["cursor"], "0");
    assert_eq!(rest["letters"][0]["key"], "long:3");
    let third = rest["letters"][0]["id"].as_u64().unwrap();

    let (status, _) = http(&server, "GET", "/dead-letters?count=0", "", auth);
    assert_eq!(status, 400);
    let (status, _) = http(&server, "POST", "/dead-letters/replay", "{\"ids\":[]}", auth);
    assert_eq!(status, 400);

    // Refused again while the constraint stands.
    let (status, body) = http(&server, "POST", "/dead-letters/replay", "{\"all\":true}", auth);
    assert_eq!((status, json(&body)["replayed"].as_u64()), (200, Some(0)), "{body}");
    schema.query(DROP_CONSTRAINT);
    let (_, body) =
        http(&server, "POST", "/dead-letters/replay", &format!("{{\"ids\":[{}]}}", ids[0]), auth);
    assert_eq!(json(&body)["replayed"], 1, "{body}");
    assert_eq!(row(&schema, "long:1"), "first long value");

    let (_, body) =
        http(&server, "POST", "/dead-letters/purge", &format!("{{\"ids\":[{third}, 1]}}"), auth);
    assert_eq!(json(&body)["purged"], 1, "{body}");
    let (_, body) = http(&server, "POST", "/dead-letters/purge", "{\"all\":true}", auth);
    assert_eq!(json(&body)["purged"], 1, "{body}");
    check(&mut c, &["JOTTER.DEADLETTERS", "COUNT"], ":0");
    assert_eq!(row(&schema, "long:2"), "");
}
