//! The server writing behind into PostgreSQL (`--store postgres://...`):
//! data of every type lands in the tables plain SQL reads,
//! `jotter migrate` creates the schema ahead of time, and `[[mapping]]`
//! sections write keys into the user's own tables. Each test works in a
//! schema of its own, dropped afterwards. Without a reachable PostgreSQL the
//! tests skip loudly, or fail with `JOTTER_REQUIRE_SERVICES=1`.

mod common;

use std::process::Command;

use common::{Server, resp};

use common::pg::Schema;

#[test]
fn every_type_lands_in_postgres() {
    let Some(schema) = Schema::create("types") else { return };
    let url = schema.url();
    let (server, mut c) = Server::start_raw_with(&["--store", &url, "--flush-interval", "1h"]);
    c.roundtrip(&resp(&["SET", "greeting", "hello", "EX", "3600"]), b"+OK\r\n");
    c.roundtrip(&resp(&["INCR", "views:article:9123"]), b":1\r\n");
    c.roundtrip(&resp(&["HSET", "session:ab12", "user", "42", "cart", "3"]), b":2\r\n");
    c.roundtrip(&resp(&["ZINCRBY", "board:weekly", "15", "player:42"]), b"$2\r\n15\r\n");
    c.roundtrip(&resp(&["MULTI"]), b"+OK\r\n");
    c.roundtrip(&resp(&["SET", "a", "1"]), b"+QUEUED\r\n");
    c.roundtrip(&resp(&["SET", "b", "2"]), b"+QUEUED\r\n");
    c.roundtrip(&resp(&["EXEC"]), b"*2\r\n+OK\r\n+OK\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");

    let strings = schema.query(
        "SELECT convert_from(key, 'UTF8') || '=' || convert_from(value, 'UTF8') || ':' || \
         (expires_at IS NOT NULL) FROM jotter_strings ORDER BY key",
    );
    assert_eq!(
        strings.lines().collect::<Vec<_>>(),
        ["a=1:false", "b=2:false", "greeting=hello:true", "views:article:9123=1:false"]
    );
    let hash = schema.query(
        "SELECT string_agg(convert_from(field, 'UTF8') || '=' || convert_from(value, 'UTF8'), ',' \
         ORDER BY field) FROM jotter_hashes WHERE key = 'session:ab12'::bytea",
    );
    assert_eq!(hash, "cart=3,user=42");
    let board =
        schema.query("SELECT convert_from(member, 'UTF8') || '=' || score FROM jotter_zsets");
    assert_eq!(board, "player:42=15");
    // Read back after a restart: loaded from PostgreSQL.
    let server = server.restart(&["--store", &url]);
    let mut c = server.raw();
    c.roundtrip(&resp(&["HGET", "session:ab12", "cart"]), b"$1\r\n3\r\n");
    c.roundtrip(&resp(&["ZSCORE", "board:weekly", "player:42"]), b"$2\r\n15\r\n");
}

#[test]
fn migrate_creates_the_schema_ahead_of_time() {
    let Some(schema) = Schema::create("migrate") else { return };
    let dir = tempfile::TempDir::new().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jotter"))
        .args(["migrate", "--store", &schema.url(), "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run jotter migrate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("PostgreSQL schema at version"), "{said}");
    let tables = schema.query(
        "SELECT count(*) FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name LIKE 'jotter_%'",
    );
    assert!(tables.parse::<u32>().unwrap() >= 6, "{tables} tables");
}

/// The config of the mapping tests: `user:*` into `users`.
fn mapping_config(schema: &Schema, columns: &str) -> String {
    format!(
        "store = \"{}\"\nflush-interval = \"1h\"\n\n[[mapping]]\nkeys = \"user:*\"\n\
         table = \"users\"\nkey-column = \"id\"\n[mapping.columns]\n{columns}\n",
        schema.url()
    )
}

const USERS: &str = "CREATE TABLE users (id bigint PRIMARY KEY, name text, score integer, \
                     created timestamptz DEFAULT now())";

#[test]
fn hashes_land_in_the_users_own_table() {
    let Some(schema) = Schema::create("mapping") else { return };
    schema.query(USERS);
    let config = mapping_config(&schema, "name = \"text\"\nscore = \"integer\"");
    let server = Server::start_with_config(&config, &[]);
    let mut c = server.raw();
    c.roundtrip(&resp(&["HSET", "user:42", "name", "Ada", "score", "10"]), b":2\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
    let row = "SELECT id || '|' || name || '|' || score FROM users";
    assert_eq!(schema.query(row), "42|Ada|10");
    c.roundtrip(&resp(&["HSET", "user:42", "score", "11"]), b":0\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
    assert_eq!(schema.query(row), "42|Ada|11");
    c.roundtrip(&resp(&["DEL", "user:42"]), b":1\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
    assert_eq!(schema.query("SELECT count(*) FROM users"), "0");

    // A value the column cannot take is refused at once, naming the column.
    c.send(&resp(&["HSET", "user:7", "score", "ten"]));
    let refused = c.read_line();
    assert!(refused.starts_with("-ERR the store would refuse this write"), "{refused}");
    assert!(refused.contains("users.score") && refused.contains("not an integer"), "{refused}");
    // So is a set, which a hash mapping has no place for.
    c.send(&resp(&["SADD", "user:7", "a"]));
    let refused = c.read_line();
    assert!(refused.contains("a set cannot be written into table users"), "{refused}");
    // One only the database can judge (a constraint) is dead-lettered,
    // naming the key and the constraint, never the row's values; the other
    // write of its batch lands.
    schema.query("ALTER TABLE users ADD CONSTRAINT score_not_negative CHECK (score >= 0)");
    c.roundtrip(&resp(&["HSET", "user:7", "score", "-12345"]), b":1\r\n");
    c.roundtrip(&resp(&["HSET", "user:8", "score", "5"]), b":1\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
    assert_eq!(schema.query("SELECT id || '|' || score FROM users"), "8|5");
    let log = server.log();
    let letter =
        log.lines().find(|l| l.contains("dead-lettered")).unwrap_or_else(|| panic!("{log}"));
    for part in ["user:7", "users", "score_not_negative"] {
        assert!(letter.contains(part), "{part} missing from: {letter}");
    }
    assert!(!log.contains("-12345"), "a value in the log: {log}");

    // Read-through: a row written by SQL reads back as a hash after a restart.
    schema.query("INSERT INTO users (id, name, score) VALUES (99, 'Grace', 7)");
    let path = server.dir.path().join("jotter.toml");
    let server = server.restart(&["--config", path.to_str().unwrap()]);
    let mut c = server.raw();
    c.roundtrip(
        &resp(&["HGETALL", "user:99"]),
        b"*4\r\n$4\r\nname\r\n$5\r\nGrace\r\n$5\r\nscore\r\n$1\r\n7\r\n",
    );
    c.roundtrip(&resp(&["HGET", "user:98", "name"]), b"$-1\r\n");
}

#[test]
fn a_mapping_that_does_not_fit_stops_the_start() {
    let Some(schema) = Schema::create("mapping_check") else { return };
    schema.query(USERS);
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("jotter.toml");
    let refused = |columns: &str| {
        std::fs::write(&path, mapping_config(&schema, columns)).unwrap();
        let out = common::command(dir.path(), &["--config", path.to_str().unwrap()])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run jotter");
        assert!(!out.status.success(), "jotter started with {columns}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refused("name = \"text\"\nemail = \"text\"");
    assert!(err.contains("table users has no column email"), "{err}");
    let err = refused("name = \"integer\"");
    assert!(err.contains("users.name is text") && err.contains("declares integer"), "{err}");
}
