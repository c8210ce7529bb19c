//! `JOTTER.KEY key [FROM-STORE]` and `GET /keys/{key}` against a real
//! server: each state a write passes through (absent, pending, retrying,
//! clean, dead-lettered), the store's own version on SQLite and PostgreSQL,
//! and the reply's shape in RESP2, RESP3 and JSON.

mod common;

use std::time::{Duration, Instant};

use common::pg::Schema;
use common::reply::{KEY_FIELDS, field, flush, jotter_key as key, q, resp3};
use common::sqlite::lock_store;
use common::{Raw, Server, resp};

/// Asks `JOTTER.KEY key` until its state is `state` (at most 20 s).
#[track_caller]
fn until_state(c: &mut Raw, key_name: &str, state: &str) -> Vec<(String, String)> {
    let start = Instant::now();
    loop {
        let fields = key(c, &[key_name]);
        if field(&fields, "state") == format!("+{state}") {
            return fields;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "never {state}: {fields:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_write_is_pending_then_clean_with_the_store_holding_its_version() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "1h"]);
    let absent = key(&mut c, &["k"]);
    let names: Vec<&str> = absent.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, KEY_FIELDS, "RESP2: flat pairs, in order");
    assert_eq!(field(&absent, "state"), "+absent");
    for name in ["cache-version", "stored-version", "pending-since", "last-error"] {
        assert_eq!(field(&absent, name), "nil", "{name}");
    }
    assert_eq!(field(&absent, "pending-writes"), ":0");
    assert_eq!(field(&absent, "dead-letter-ids"), "[]");

    assert_eq!(q(&mut c, &["SET", "k", "1"]), "+OK");
    assert_eq!(q(&mut c, &["SET", "k", "2"]), "+OK");
    let pending = key(&mut c, &["k"]);
    assert_eq!(field(&pending, "state"), "+pending");
    assert_eq!(field(&pending, "pending-writes"), ":1", "two SETs folded into one write");
    assert_eq!(field(&pending, "stored-version"), "nil");
    let since = field(&pending, "pending-since");
    assert!(since.strip_prefix(':').is_some_and(|n| n.parse::<u64>().is_ok()), "{since}");
    let version = field(&pending, "cache-version").to_owned();
    assert!(version.starts_with(':'), "{version}");

    flush(&mut c);
    let clean = key(&mut c, &["k", "FROM-STORE"]);
    let names: Vec<&str> = clean.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[..7], KEY_FIELDS);
    assert_eq!(names[7], "store-version", "only with FROM-STORE");
    assert_eq!(field(&clean, "state"), "+clean");
    assert_eq!(field(&clean, "cache-version"), version);
    assert_eq!(field(&clean, "stored-version"), version, "acknowledged by the store");
    assert_eq!(field(&clean, "store-version"), version, "read from the SQLite file");
    assert_eq!(field(&clean, "pending-since"), "nil");
    let never = key(&mut c, &["never-written", "from-store"]);
    assert_eq!(field(&never, "store-version"), "nil");

    // RESP3: a map, with RESP3 nulls.
    let mut c3 = resp3(&server);
    let fields = key(&mut c3, &["k"]);
    assert_eq!(field(&fields, "stored-version"), version);
    assert_eq!(field(&fields, "last-error"), "_");
    c3.send(&resp(&["JOTTER.KEY", "k"]));
    assert_eq!(c3.read_line().trim_end(), "%7");
}

#[test]
fn bad_arguments_are_refused_with_a_clear_error() {
    let (_server, mut c) = Server::start_raw();
    let arity = q(&mut c, &["JOTTER.KEY"]);
    assert!(arity.starts_with("-ERR wrong number of arguments"), "{arity}");
    let syntax = q(&mut c, &["JOTTER.KEY", "k", "FROM-DISK"]);
    assert!(syntax.starts_with("-ERR syntax error") && syntax.contains("FROM-STORE"), "{syntax}");
    let extra = q(&mut c, &["JOTTER.KEY", "k", "FROM-STORE", "x"]);
    assert!(extra.starts_with("-ERR syntax error"), "{extra}");
}

#[test]
fn a_write_the_store_refuses_for_now_is_retrying_with_the_error() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "10ms"]);
    let lock = lock_store(&server);
    assert_eq!(q(&mut c, &["SET", "k", "v"]), "+OK");
    let retrying = until_state(&mut c, "k", "retrying");
    let error = field(&retrying, "last-error");
    assert!(error.contains("lock"), "the store's own error: {error}");
    assert_eq!(field(&retrying, "pending-writes"), ":1");
    drop(lock);
    flush(&mut c);
    let clean = key(&mut c, &["k"]);
    assert_eq!(field(&clean, "state"), "+clean");
    assert_eq!(field(&clean, "last-error"), "nil");
}

#[test]
fn the_admin_port_answers_with_the_same_fields_as_json() {
    let (server, mut c) = Server::start_raw();
    assert_eq!(q(&mut c, &["SET", "a/b", "v"]), "+OK");
    flush(&mut c);
    let version: u64 = field(&key(&mut c, &["a/b"]), "cache-version")[1..].parse().unwrap();

    let (status, body) = server.http_get("/keys/a%2Fb?from-store=1");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect(&body);
    let names: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want: Vec<String> = KEY_FIELDS.iter().map(|n| n.replace('-', "_")).collect();
    want.push("store_version".to_owned());
    let mut names_sorted = names.clone();
    names_sorted.sort_unstable();
    want.sort_unstable();
    assert_eq!(names_sorted, want);
    assert_eq!(json["state"], "clean");
    assert_eq!(json["cache_version"], version);
    assert_eq!(json["stored_version"], version);
    assert_eq!(json["store_version"], version);
    assert_eq!(json["last_error"], serde_json::Value::Null);
    assert_eq!(json["dead_letter_ids"], serde_json::json!([]));

    let (status, body) = server.http_get("/keys/a/b");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect(&body);
    assert!(json.get("store_version").is_none(), "only with from-store: {body}");
    assert_eq!(json["state"], "clean", "the rest of the path is the key");

    let (status, body) = server.http_get("/keys/nope");
    assert_eq!(status, 200);
    assert!(body.contains("\"state\":\"absent\""), "{body}");
    let (status, body) = server.http_get("/keys/a?bogus=1");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("from-store"), "{body}");
}

#[test]
fn on_postgresql_the_store_version_and_dead_letters_are_reported() {
    let Some(schema) = Schema::create("key_status") else { return };
    let url = schema.url();
    let (_server, mut c) = Server::start_raw_with(&["--store", &url, "--flush-interval", "20ms"]);
    assert_eq!(q(&mut c, &["SET", "k", "fine"]), "+OK");
    assert_eq!(q(&mut c, &["HSET", "h", "f", "1", "g", "2"]), ":2");
    flush(&mut c);
    let clean = key(&mut c, &["k", "FROM-STORE"]);
    assert_eq!(field(&clean, "state"), "+clean");
    let stored = field(&clean, "stored-version").to_owned();
    assert!(stored.starts_with(':'), "{clean:?}");
    assert_eq!(field(&clean, "store-version"), stored, "read from PostgreSQL");
    let hash = key(&mut c, &["h", "FROM-STORE"]);
    assert_eq!(field(&hash, "store-version"), field(&hash, "stored-version"), "{hash:?}");

    // A value only the database refuses: dead-lettered, with its error.
    schema.query(
        "ALTER TABLE jotter_strings ADD CONSTRAINT no_poison CHECK (value <> 'poison'::bytea)",
    );
    assert_eq!(q(&mut c, &["SET", "k", "poison"]), "+OK");
    let refused = field(&key(&mut c, &["k"]), "cache-version").to_owned();
    let dead = until_state(&mut c, "k", "dead-lettered");
    assert_eq!(field(&dead, "cache-version"), refused);
    assert_eq!(field(&dead, "dead-letter-ids"), format!("[{refused}]"));
    assert!(field(&dead, "last-error").contains("no_poison"), "{dead:?}");
    let from_store = key(&mut c, &["k", "FROM-STORE"]);
    assert_eq!(field(&from_store, "store-version"), stored, "the store kept the older value");

    // A newer write that the store takes makes the key clean again.
    assert_eq!(q(&mut c, &["SET", "k", "cured"]), "+OK");
    flush(&mut c);
    let clean = key(&mut c, &["k", "FROM-STORE"]);
    assert_eq!(field(&clean, "state"), "+clean");
    assert_eq!(field(&clean, "dead-letter-ids"), format!("[{refused}]"));
    assert_eq!(field(&clean, "store-version"), field(&clean, "stored-version"));
}

#[test]
fn after_a_restart_only_the_store_knows_a_stored_version_and_pending_writes_are_pending_again() {
    let args = ["--flush-interval", "1h"];
    let (server, mut c) = Server::start_raw_with(&args);
    assert_eq!(q(&mut c, &["SET", "stored", "v"]), "+OK");
    flush(&mut c);
    let version = field(&key(&mut c, &["stored"]), "stored-version").to_owned();
    assert_eq!(q(&mut c, &["SET", "waiting", "v"]), "+OK");
    let waiting = field(&key(&mut c, &["waiting"]), "cache-version").to_owned();

    let server = server.restart(&args);
    let mut c = server.raw();
    let stored = key(&mut c, &["stored", "FROM-STORE"]);
    // The cache starts empty; a write the log's checkpoint had not passed
    // yet is replayed and pending again (sent again, its version makes it
    // harmless), with the same version.
    match field(&stored, "state") {
        "+absent" => assert_eq!(field(&stored, "cache-version"), "nil"),
        "+pending" => assert_eq!(field(&stored, "cache-version"), version),
        other => panic!("{other} after a restart: {stored:?}"),
    }
    assert_eq!(field(&stored, "stored-version"), "nil");
    assert_eq!(field(&stored, "store-version"), version, "the store has it");
    let replayed = key(&mut c, &["waiting"]);
    assert_eq!(field(&replayed, "state"), "+pending", "replayed from the log");
    assert_eq!(field(&replayed, "cache-version"), waiting, "with its version");
}
