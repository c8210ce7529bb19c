//! `JOTTER.DEADLETTERS` and `JOTTER.KEY` on a cluster front end (`jotter
//! serve --cluster`), with a real flush worker writing into PostgreSQL
//! whose CHECK constraint refuses long notes: a key's state before the
//! worker runs (pending), once stored (clean, its stored version the
//! newest) and once refused for good (dead-lettered, with the letter's id
//! and error); the letters counted, listed and paged in RESP2 and RESP3 as
//! a single node lists them; a replay after the fix reaching the store, a
//! replay of a key written since only removing the letter, a purge; the
//! admin port's `GET /keys/{key}`; `JOTTER.STATUS`'s counts; the errors
//! and refusals. Skips loudly without redis-server or PostgreSQL.

mod common;

use std::time::Duration;

use common::cluster::{Worker, front_end};
use common::pg::Schema;
use common::private_redis::PrivateRedis;
use common::reply::{
    KEY_FIELDS, check, check_dead_letter_arguments, check_dead_letter_pages, dead_letter_ids,
    field, jotter_key, q, read_reply, resp3,
};
use common::{Raw, resp};

/// The barrier, long enough for a refused write's three deliveries.
fn flush(c: &mut Raw) {
    c.stream.set_read_timeout(Some(Duration::from_secs(90))).unwrap();
    check(c, &["JOTTER.FLUSH", "60000"], "+OK");
}

/// `entries-added` of a stream: every entry ever appended, trimmed or not.
fn entries_added(r: &mut Raw, stream: &str) -> String {
    let info = q(r, &["XINFO", "STREAM", stream]);
    let at = info.find("\"entries-added\", :").expect("entries-added") + 18;
    info[at..].split(|c: char| !c.is_ascii_digit()).next().unwrap().to_owned()
}

#[test]
fn dead_letters_and_key_states_are_served_by_a_front_end() {
    let Some(redis) = PrivateRedis::start() else { return };
    let Some(schema) = Schema::create("cdead") else { return };
    let front = front_end(&redis, 4, &[]);
    let mut c = front.raw();
    let mut r = Raw::connect(redis.addr);

    // Nothing written yet.
    let absent = jotter_key(&mut c, &["note:ok"]);
    let names: Vec<&str> = absent.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, KEY_FIELDS);
    assert_eq!(field(&absent, "state"), "+absent");
    assert_eq!(field(&absent, "cache-version"), "nil");
    assert_eq!(field(&absent, "pending-writes"), ":0");
    assert_eq!(field(&absent, "dead-letter-ids"), "[]");

    // Written, no worker yet: pending at the newest version.
    check(&mut c, &["SET", "note:ok", "abc"], "+OK");
    for (key, value) in
        [("note:bad", "far too long"), ("note:b2", "also long"), ("note:b3", "long too")]
    {
        check(&mut c, &["SET", key, value], "+OK");
    }
    let pending = jotter_key(&mut c, &["note:ok"]);
    assert_eq!(field(&pending, "state"), "+pending");
    let newest = q(&mut r, &["HGET", "{jotter}:ver", "note:ok"]);
    assert_eq!(field(&pending, "cache-version"), format!(":{}", newest.trim_matches('"')));
    assert_eq!(field(&pending, "stored-version"), "nil");
    assert_eq!(field(&pending, "pending-writes"), "nil", "a front end does not count them");
    // JOTTER.STATUS counts the records not yet acknowledged.
    let status = q(&mut c, &["JOTTER.STATUS"]);
    for expected in ["\"shards\", :4", "\"pending_entries\", :4", "\"dead_letters\", :0"] {
        assert!(status.contains(expected), "{expected} in {status}");
    }

    let worker = Worker::refusing_long_notes(&redis, &schema);
    flush(&mut c);

    let clean = jotter_key(&mut c, &["note:ok"]);
    assert_eq!(field(&clean, "state"), "+clean", "{}", worker.log());
    assert_eq!(field(&clean, "stored-version"), field(&clean, "cache-version"));
    assert_eq!(field(&clean, "pending-writes"), ":0");

    check(&mut c, &["JOTTER.DEADLETTERS", "COUNT"], ":3");
    let status = q(&mut c, &["JOTTER.STATUS"]);
    for expected in ["\"pending_entries\", :0", "\"stream_lag\", :0", "\"dead_letters\", :3"] {
        assert!(status.contains(expected), "{expected} in {status}");
    }
    let dead = jotter_key(&mut c, &["note:bad"]);
    assert_eq!(field(&dead, "state"), "+dead-lettered");
    assert_eq!(field(&dead, "stored-version"), "nil");
    assert!(field(&dead, "last-error").contains("check"), "{dead:?}");

    // RESP2: flat pairs, in id order, the fields a single node lists.
    let list = q(&mut c, &["JOTTER.DEADLETTERS", "LIST"]);
    let all = dead_letter_ids(&list);
    assert_eq!(all.len(), 3, "{list}");
    assert!(all.is_sorted(), "{list}");
    assert_eq!(field(&dead, "dead-letter-ids"), format!("[:{}]", all[0]));
    for expected in [
        "\"key\", \"note:bad\"",
        "\"op\", +set",
        "\"value-size\", :12",
        "\"value-prefix\", \"far too long\"",
        "\"error-kind\", +permanent",
        "\"attempts\", :3",
        "\"first-failure\", :",
        "\"last-failure\", :",
    ] {
        assert!(list.contains(expected), "{expected} in {list}");
    }
    // Paging as on a single node (the cursor is the last id listed), and a
    // map per letter in RESP3, as is JOTTER.KEY's reply.
    check_dead_letter_pages(&front, &mut c, &all, "note:bad");
    let mut c3 = resp3(&front);
    c3.send(&resp(&["JOTTER.KEY", "note:bad"]));
    assert_eq!(c3.read_line().trim_end(), "%7");
    let rest: Vec<String> = (0..14).map(|_| read_reply(&mut c3)).collect();
    assert_eq!(rest[1], "+dead-lettered", "{rest:?}");
    // The admin port's JSON, as a single node's.
    let (status, body) = front.http_get("/keys/note%3Abad");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["state"], "dead-lettered", "{body}");
    assert_eq!(json["dead_letter_ids"], serde_json::json!([all[0]]), "{body}");
    assert_eq!(front.http_get("/keys/note:bad?from-store=1").0, 400);

    // A replay after the fix: the key is queued again and reaches the store.
    schema.query("ALTER TABLE notes DROP CONSTRAINT notes_body_check");
    check(&mut c, &["JOTTER.DEADLETTERS", "REPLAY", &all[0].to_string(), "12345"], ":1");
    check(&mut c, &["JOTTER.DEADLETTERS", "COUNT"], ":2");
    flush(&mut c);
    assert_eq!(
        schema.query("SELECT body FROM notes WHERE id = 'bad'"),
        "far too long",
        "{}",
        worker.log()
    );
    let replayed = jotter_key(&mut c, &["note:bad"]);
    assert_eq!(field(&replayed, "state"), "+clean");
    assert_eq!(field(&replayed, "dead-letter-ids"), "[]");

    // A key written since its letter: the replay only removes the letter.
    check(&mut c, &["SET", "note:b2", "new"], "+OK");
    flush(&mut c);
    let shard = jotter_scaleout::shard_of(b"note:b2", 4);
    let stream = jotter_scaleout::shard_stream(shard);
    let before = entries_added(&mut r, &stream);
    check(&mut c, &["JOTTER.DEADLETTERS", "REPLAY", &all[1].to_string()], ":1");
    assert_eq!(entries_added(&mut r, &stream), before, "no record for a superseded letter");
    assert_eq!(schema.query("SELECT body FROM notes WHERE id = 'b2'"), "new");
    assert_eq!(field(&jotter_key(&mut c, &["note:b2"]), "state"), "+clean");

    // A purge drops the letter and logs its key.
    check(&mut c, &["JOTTER.DEADLETTERS", "PURGE", "x"], "-ERR invalid dead letter id 'x'");
    check(&mut c, &["JOTTER.DEADLETTERS", "PURGE", &all[2].to_string(), "1"], ":1");
    check(&mut c, &["JOTTER.DEADLETTERS", "COUNT"], ":0");
    check(&mut c, &["JOTTER.DEADLETTERS", "PURGE", "ALL"], ":0");
    let log = front.log();
    assert!(log.contains("dead letter purged") && log.contains("note:b3"), "{log}");
    let purged = jotter_key(&mut c, &["note:b3"]);
    assert_eq!(field(&purged, "state"), "+absent", "no write of it is queued or failed");
    assert_eq!(field(&purged, "dead-letter-ids"), "[]");
    drop(worker);
}

#[test]
fn a_front_end_checks_jotters_commands_as_a_single_node_does() {
    let Some(redis) = PrivateRedis::start() else { return };
    let front = front_end(&redis, 4, &[]);
    let mut c = front.raw();
    check_dead_letter_arguments(&mut c);
    check(
        &mut c,
        &["JOTTER.DEADLETTERS"],
        "-ERR wrong number of arguments for 'jotter.deadletters' command",
    );
    check(&mut c, &["JOTTER.KEY"], "-ERR wrong number of arguments for 'jotter.key' command");
    check(
        &mut c,
        &["JOTTER.KEY", "k", "NOW"],
        "-ERR syntax error: JOTTER.KEY takes a key and optionally FROM-STORE",
    );
    assert!(q(&mut c, &["JOTTER.KEY", "k", "FROM-STORE"]).contains("has no store"));
    assert!(q(&mut c, &["JOTTER.KEY", "{jotter}:ver"]).contains("reserved"));
    check(
        &mut c,
        &["JOTTER.THROUGH"],
        "-ERR wrong number of arguments for 'jotter.through' command",
    );
    check(&mut c, &["JOTTER.WRITETHROUGH", "maybe"], "-ERR syntax error");
    check(&mut c, &["MULTI"], "+OK");
    assert!(q(&mut c, &["JOTTER.KEY", "k"]).contains("inside MULTI"));
    assert!(q(&mut c, &["JOTTER.THROUGH", "SET", "k", "v"]).contains("inside MULTI"));
    assert!(q(&mut c, &["EXEC"]).starts_with("-EXECABORT"));
}
