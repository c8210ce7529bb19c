//! The operator's commands, run as the real `jotter` binary against a real
//! server: `jotter dead-letters list | replay | purge` and `jotter key`, with
//! redis-cli's flags, as a table and as JSON; a wrong password; and the same
//! queue opened from a stopped server's data directory, which a running
//! server's lock refuses.
//!
//! Dead letters are made by the database itself: a trigger on the server's
//! SQLite table refuses keys that start with `bad:` (a constraint failure,
//! which the store reports as permanent), and dropping it lets a replay
//! through. One test does the same with a PostgreSQL CHECK constraint on a
//! table of the user's (`[[mapping]]`); it skips loudly without PostgreSQL.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::pg::Schema;
use common::{Raw, Server, resp, sqlite};
use serde_json::Value;

const REFUSE: &str = "CREATE TRIGGER refuse_bad BEFORE INSERT ON jotter_strings \
                      WHEN CAST(NEW.key AS TEXT) LIKE 'bad:%' \
                      BEGIN SELECT RAISE(ABORT, 'bad keys are refused'); END";

/// Runs `jotter ARGS`, with no password in the environment.
fn jotter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jotter"))
        .args(args)
        .env_remove("REDISCLI_AUTH")
        .env_remove("JOTTER_LOG")
        .output()
        .expect("run jotter")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `jotter ARGS` and expects success; its stdout.
fn ok(args: &[&str]) -> String {
    let out = jotter(args);
    assert!(out.status.success(), "jotter {args:?}: {}\n{}", stderr(&out), stdout(&out));
    stdout(&out)
}

/// Runs `jotter ARGS --json` and expects success; the document.
fn json(args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let text = ok(&args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Sets `keys` (each to `value-of-KEY`) and waits until each is stored or
/// dead-lettered.
fn write(c: &mut Raw, keys: &[&str]) {
    for key in keys {
        c.roundtrip(&resp(&["SET", key, &format!("value-of-{key}")]), b"+OK\r\n");
    }
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
}

fn ids(list: &Value) -> Vec<u64> {
    list["letters"].as_array().expect("letters").iter().map(|l| l["id"].as_u64().unwrap()).collect()
}

fn keys(list: &Value) -> Vec<String> {
    let letters = list["letters"].as_array().expect("letters");
    letters.iter().map(|l| l["key"].as_str().unwrap().to_owned()).collect()
}

/// Runs `jotter ARGS` with stdout and stderr on a terminal (`script` gives
/// it one), expecting success; what it printed, or `None` (said loudly)
/// without `script` (util-linux).
fn on_a_terminal(args: &[&str]) -> Option<String> {
    let line: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_jotter"))
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect();
    let out = Command::new("script")
        .args(["-qec", &line.join(" "), "/dev/null"])
        .env_remove("REDISCLI_AUTH")
        .output();
    match out {
        Ok(out) => {
            let said = stdout(&out);
            assert!(out.status.success(), "jotter {args:?} on a terminal: {said}");
            Some(said)
        }
        Err(e) => {
            eprintln!(
                "\n!!!!! SKIPPED the terminal's progress bar: `script` cannot run ({e}) !!!!!\n"
            );
            None
        }
    }
}

/// `args` then the server's address.
fn on<'a>(at: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
    [args, at].concat()
}

fn stored(server: &Server, key: &str) -> Option<String> {
    sqlite::stored_string(server, key).map(|(v, _)| String::from_utf8(v).unwrap())
}

#[test]
fn dead_letters_are_listed_replayed_and_purged_on_a_running_server() {
    let (server, mut c) = Server::start_raw();
    let port = server.resp.port().to_string();
    let at = ["-h", "127.0.0.1", "-p", port.as_str()];

    write(&mut c, &["ok:0"]);
    sqlite::db(&server).execute_batch(REFUSE).expect("create the trigger");
    write(&mut c, &["bad:1", "bad:2", "bad:3", "ok:1"]);
    assert_eq!(stored(&server, "ok:1").as_deref(), Some("value-of-ok:1"));

    // The table: a header, one row per letter, and the count.
    let table = ok(&on(&at, &["dead-letters", "list"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("ID") && lines[0].contains("ERROR"), "{table}");
    for key in ["bad:1", "bad:2", "bad:3"] {
        let row = lines.iter().find(|l| l.contains(key)).unwrap_or_else(|| panic!("{table}"));
        assert!(row.contains("set") && row.contains("permanent"), "{row}");
        assert!(row.contains("bad keys are refused"), "{row}");
    }
    assert!(table.contains("3 dead letters in all"), "{table}");

    // JSON: the same letters, in id order, with every field.
    let list = json(&on(&at, &["dead-letters", "list"]));
    assert_eq!(keys(&list), ["bad:1", "bad:2", "bad:3"]);
    assert_eq!((list["count"].as_u64(), list["cursor"].as_str()), (Some(3), Some("0")));
    let first = &list["letters"][0];
    assert_eq!(first["op"], "set");
    assert_eq!(first["value_size"], "value-of-bad:1".len());
    assert_eq!(first["value_prefix"], "value-of-bad:1");
    assert_eq!(first["error_kind"], "permanent");
    let attempts = first["attempts"].as_u64().unwrap();
    assert!(attempts >= 1, "{first}");
    assert!(first["error"].as_str().unwrap().contains("bad keys are refused"), "{first}");
    assert!(first["last_failure_ms"].as_u64() >= first["first_failure_ms"].as_u64());
    let all = ids(&list);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "{all:?}");

    // Pages: two, then the rest, through the cursor printed.
    let page = json(&on(&at, &["dead-letters", "list", "--count", "2"]));
    assert_eq!(ids(&page), all[..2]);
    let cursor = page["cursor"].as_str().unwrap().to_owned();
    assert_ne!(cursor, "0");
    let rest = json(&on(&at, &["dead-letters", "list", "--count", "2", "--cursor", &cursor]));
    assert_eq!((ids(&rest), rest["cursor"].as_str()), (all[2..].to_vec(), Some("0")));
    let every = json(&on(&at, &["dead-letters", "list", "--count", "1", "--all"]));
    assert_eq!(ids(&every), all);

    // Refused again while the trigger stands: the letter stays, the command
    // fails, saying so.
    let one = all[0].to_string();
    let out = jotter(&on(&at, &["dead-letters", "replay", &one]));
    assert!(!out.status.success());
    assert!(stdout(&out).contains("replayed 0 of 1"), "{}", stdout(&out));
    assert!(stderr(&out).contains("refused them again"), "{}", stderr(&out));
    let list = json(&on(&at, &["dead-letters", "list"]));
    assert_eq!(list["letters"][0]["attempts"].as_u64(), Some(attempts + 1));

    // Fixed: one by id, then the rest with --all.
    sqlite::db(&server).execute_batch("DROP TRIGGER refuse_bad").expect("drop the trigger");
    let said = ok(&on(&at, &["dead-letters", "replay", &one]));
    assert!(said.contains("replayed 1 of 1 dead letter; 2 left"), "{said}");
    assert_eq!(stored(&server, "bad:1").as_deref(), Some("value-of-bad:1"));
    assert_eq!(stored(&server, "bad:2"), None);
    // On a terminal, --all shows its progress on stderr.
    let replay_all = on(&at, &["dead-letters", "replay", "--all"]);
    let said = match on_a_terminal(&replay_all) {
        Some(said) => {
            assert!(said.contains("replayed 2/2"), "{said}");
            said
        }
        None => ok(&replay_all),
    };
    assert!(said.contains("replayed 2 of 2 dead letters; 0 left"), "{said}");
    assert_eq!(stored(&server, "bad:3").as_deref(), Some("value-of-bad:3"));

    // Purge: by id (an unknown id is not counted and fails the command),
    // then --all.
    sqlite::db(&server).execute_batch(REFUSE).expect("create the trigger");
    write(&mut c, &["bad:4", "bad:5", "bad:6"]);
    let four = ids(&json(&on(&at, &["dead-letters", "list"])))[0].to_string();
    let said = ok(&on(&at, &["dead-letters", "purge", &four]));
    assert!(said.contains("purged 1 of 1 dead letter; 2 left"), "{said}");
    let out = jotter(&on(&at, &["dead-letters", "purge", &four]));
    assert!(!out.status.success() && stdout(&out).contains("purged 0 of 1"), "{}", stdout(&out));
    let done = json(&on(&at, &["dead-letters", "purge", "--all"]));
    assert_eq!((done["purged"].as_u64(), done["dead_letters"].as_u64()), (Some(2), Some(0)));
    assert_eq!(stored(&server, "bad:5"), None);
    assert!(ok(&on(&at, &["dead-letters", "list"])).contains("0 dead letters in all"));
}

#[test]
fn key_says_where_the_latest_write_is() {
    let (server, mut c) = Server::start_raw_with(&["--flush-interval", "1h"]);
    let port = server.resp.port().to_string();
    c.roundtrip(&resp(&["SET", "k", "v"]), b"+OK\r\n");
    let pending = json(&["key", "k", "-p", &port]);
    assert_eq!(pending["state"], "pending", "{pending}");
    assert!(pending["pending_since"].as_u64().is_some(), "{pending}");
    assert_eq!(pending["stored_version"], Value::Null, "{pending}");

    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
    let clean = json(&["key", "k", "--from-store", "-p", &port]);
    assert_eq!(clean["state"], "clean", "{clean}");
    assert_eq!(clean["cache_version"], clean["stored_version"], "{clean}");
    assert_eq!(clean["store_version"], clean["stored_version"], "{clean}");
    let table = ok(&["key", "k", "-p", &port]);
    assert!(table.lines().any(|l| l.starts_with("state") && l.ends_with("clean")), "{table}");
    assert_eq!(json(&["key", "nothing", "-p", &port])["state"], "absent");
}

#[test]
fn a_password_is_taken_as_redis_cli_takes_it() {
    let server = Server::start(&["--requirepass", "right"]);
    let port = server.resp.port().to_string();
    let out = jotter(&["dead-letters", "list", "-p", &port]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("NOAUTH") && stderr(&out).contains("-a PASSWORD"),
        "{}",
        stderr(&out)
    );
    let out = jotter(&["dead-letters", "list", "-p", &port, "-a", "wrong"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("WRONGPASS"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));

    ok(&["dead-letters", "list", "-p", &port, "-a", "right"]);
    ok(&["dead-letters", "list", "-u", &format!("redis://:right@127.0.0.1:{port}")]);
    let out = Command::new(env!("CARGO_BIN_EXE_jotter"))
        .args(["dead-letters", "list", "-p", &port])
        .env("REDISCLI_AUTH", "right")
        .output()
        .expect("run jotter");
    assert!(out.status.success(), "{}", stderr(&out));

    let out = jotter(&["dead-letters", "list", "-p", "1"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cannot connect to 127.0.0.1:1"), "{}", stderr(&out));
}

#[test]
fn a_stopped_servers_data_directory_is_opened_and_a_running_ones_refused() {
    let (mut server, mut c) = Server::start_raw();
    sqlite::db(&server).execute_batch(REFUSE).expect("create the trigger");
    write(&mut c, &["bad:1", "bad:2"]);
    let data = server.dir.path().join("data");
    let data = data.to_str().unwrap().to_owned();

    // Held: refused, naming the holder, and nothing is opened.
    let out = jotter(&["dead-letters", "list", "--data-dir", &data]);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(
        said.contains(&format!("a running server holds {data} (pid {})", server.pid())),
        "{said}"
    );
    assert!(said.contains("-h HOST -p PORT"), "{said}");

    drop(c);
    server.signal("TERM");
    server.wait(Duration::from_secs(20));
    let list = json(&["dead-letters", "list", "--data-dir", &data]);
    assert_eq!(keys(&list), ["bad:1", "bad:2"]);
    let table = ok(&["dead-letters", "list", "--data-dir", &data]);
    assert!(table.contains("bad:2") && table.contains("2 dead letters in all"), "{table}");

    // Listing reads only the saved queue: a store that cannot be reached
    // does not stop it.
    let down = ["--store", "postgres://postgres@127.0.0.1:1/test"];
    let listed = json(&[&["dead-letters", "list", "--data-dir", &data][..], &down].concat());
    assert_eq!(keys(&listed), ["bad:1", "bad:2"]);

    // Replayed from the data directory once the database takes them.
    sqlite::db(&server).execute_batch("DROP TRIGGER refuse_bad").expect("drop the trigger");
    let first = ids(&list)[0].to_string();
    let said = ok(&["dead-letters", "replay", &first, "--data-dir", &data]);
    assert!(said.contains("replayed 1 of 1 dead letter; 1 left"), "{said}");
    assert_eq!(stored(&server, "bad:1").as_deref(), Some("value-of-bad:1"));
    let done = json(&["dead-letters", "purge", "--all", "--data-dir", &data]);
    assert_eq!((done["purged"].as_u64(), done["dead_letters"].as_u64()), (Some(1), Some(0)));
    assert_eq!(stored(&server, "bad:2"), None);

    // The server starts on it again with an empty queue.
    let server = server.restart(&[]);
    let port = server.resp.port().to_string();
    assert_eq!(json(&["dead-letters", "list", "-p", &port])["count"], 0);

    let out = jotter(&["dead-letters", "list", "--data-dir", "/nonexistent/jotter-data"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("there is no data directory at"), "{}", stderr(&out));
}

#[test]
fn a_postgres_constraints_letter_reaches_the_table_once_the_constraint_is_dropped() {
    let Some(schema) = Schema::create("cli") else { return };
    schema.query(
        "CREATE TABLE users (id bigint PRIMARY KEY, score integer, \
         CONSTRAINT score_not_negative CHECK (score >= 0))",
    );
    let config = format!(
        "store = \"{}\"\n\n[[mapping]]\nkeys = \"user:*\"\ntable = \"users\"\n\
         key-column = \"id\"\n[mapping.columns]\nscore = \"integer\"\n",
        schema.url()
    );
    let server = Server::start_with_config(&config, &[]);
    let port = server.resp.port().to_string();
    let mut c = server.raw();
    c.roundtrip(&resp(&["HSET", "user:7", "score", "-5"]), b":1\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");

    let list = json(&["dead-letters", "list", "-p", &port]);
    assert_eq!(keys(&list), ["user:7"]);
    let letter = &list["letters"][0];
    assert_eq!(letter["error_kind"], "permanent", "{letter}");
    assert!(letter["error"].as_str().unwrap().contains("score_not_negative"), "{letter}");
    assert_eq!(json(&["key", "user:7", "-p", &port])["state"], "dead-lettered");

    schema.query("ALTER TABLE users DROP CONSTRAINT score_not_negative");
    let said = ok(&["dead-letters", "replay", "--all", "-p", &port]);
    assert!(said.contains("replayed 1 of 1 dead letter; 0 left"), "{said}");
    assert_eq!(schema.query("SELECT id || '|' || score FROM users"), "7|-5");
    // The key is no longer dead-lettered.
    let status = json(&["key", "user:7", "-p", &port]);
    assert_eq!(status["dead_letter_ids"], serde_json::json!([]), "{status}");
    assert_ne!(status["state"], "dead-lettered", "{status}");
}
