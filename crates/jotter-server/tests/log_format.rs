//! `log-format = "json"`: every line the server writes to stderr is one
//! JSON object (start, a refused client, a dead-lettered write, the stop),
//! and a line naming a key shows it as at most 64 bytes and its length,
//! never the value.

mod common;

use std::time::Duration;

use common::pg::Schema;
use common::{Raw, Server, resp};
use serde_json::Value;

/// Every stderr line, parsed; fails on a line that is not a JSON object.
fn events(server: &Server) -> Vec<Value> {
    let log = server.log();
    log.lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}\nlog:\n{log}"));
            assert!(event.is_object(), "{line}");
            for field in ["timestamp", "level", "message", "target"] {
                assert!(event.get(field).is_some(), "no {field} in {line}");
            }
            event
        })
        .collect()
}

fn with_message<'a>(events: &'a [Value], words: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["message"].as_str().is_some_and(|m| m.contains(words)))
        .unwrap_or_else(|| panic!("no event saying {words:?} in {events:#?}"))
}

#[test]
fn every_line_is_one_json_event() {
    let mut server = Server::start_with_config("maxclients = 1\n", &["--log-format", "json"]);
    let mut first = server.raw();
    first.roundtrip(&resp(&["SET", "k", "v"]), b"+OK\r\n");
    // The second client is refused and logged.
    let mut second = Raw::connect(server.resp);
    let refused = second.read_to_close();
    assert!(refused.starts_with(b"-ERR max number of clients reached"), "{refused:?}");
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0));

    let events = events(&server);
    let serving = with_message(&events, "jotter is serving");
    assert_eq!(serving["level"], "INFO");
    assert!(serving["resp"].as_str().is_some_and(|a| a.starts_with("127.0.0.1:")), "{serving}");
    let refusal = with_message(&events, "maxclients reached");
    assert_eq!(refusal["level"], "WARN");
    assert_eq!(refusal["maxclients"], 1);
    let stopped = events.last().expect("a last line");
    assert!(stopped["message"].as_str().is_some_and(|m| m.starts_with("stopped")), "{stopped}");
    assert_eq!(stopped["left_in_log"], 0);
}

#[test]
fn a_dead_lettered_key_is_shown_cut_and_its_value_never() {
    let Some(schema) = Schema::create("logjson") else { return };
    schema.query("CREATE TABLE notes (id text PRIMARY KEY, body text CHECK (length(body) < 5))");
    let config = format!(
        "store = \"{}\"\nlog-format = \"json\"\n\n[[mapping]]\nkeys = \"note:*\"\n\
         table = \"notes\"\nkey-column = \"id\"\nkind = \"string\"\nvalue-column = \"body\"\n",
        schema.url()
    );
    let server = Server::start_with_config(&config, &[]);
    let mut c = server.raw();
    let key = format!("note:{}", "k".repeat(100));
    let value = "value-the-log-must-not-show";
    c.roundtrip(&resp(&["SET", &key, value]), b"+OK\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");

    let events = events(&server);
    let letter = with_message(&events, "dead-lettered");
    let shown = format!("\"{}...\" ({} bytes)", &key[..64], key.len());
    assert_eq!(letter["key"], shown.as_str(), "{letter}");
    assert!(!server.log().contains(value), "a value in the log:\n{}", server.log());
    assert!(!server.log().contains(&key), "a whole long key in the log:\n{}", server.log());
}
