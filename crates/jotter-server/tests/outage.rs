//! The server on PostgreSQL through a proxy the test cuts and restores:
//! it starts while the database cannot be reached, keeps taking writes
//! through an outage (also across a `kill -9`), and lands every one of them
//! once the database answers, the first batch within 2 s of the restore.

mod common;

use std::net::SocketAddr;
use std::ops::Range;
use std::time::{Duration, Instant};

use common::Server;
use common::pg::{Schema, psql};
use common::proxy::Proxy;

fn postgres() -> SocketAddr {
    "127.0.0.1:5432".parse().unwrap()
}

/// Rows in the schema's `jotter_strings` (0 before the migrations made it).
fn rows(schema: &Schema) -> u64 {
    psql(&format!("SET search_path TO {}; SELECT count(*) FROM jotter_strings", schema.0))
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Waits up to `limit` for `want` rows; how long it took.
fn until_rows(schema: &Schema, want: u64, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let n = rows(schema);
        if n >= want {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{n} of {want} rows after {limit:?}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// SETs `prefix:i` = `i` for every `i` of `range`, pipelined 1,000 at a time.
fn write_keys(server: &Server, prefix: &str, range: Range<u32>) {
    let client = redis::Client::open(server.url()).expect("client");
    let mut con = client.get_connection().expect("connect");
    let keys: Vec<u32> = range.collect();
    for chunk in keys.chunks(1000) {
        let mut pipe = redis::pipe();
        for i in chunk {
            pipe.cmd("SET").arg(format!("{prefix}:{i}")).arg(i).ignore();
        }
        pipe.query::<()>(&mut con).expect("every write is taken during the outage");
    }
}

/// A fresh schema; a proxy to the database (cut from the start if `cut`);
/// and a server storing into the schema through the proxy that has taken
/// the writes `k:i` = `i` for every `i` below `writes`.
fn loaded_behind_a_proxy(test: &str, cut: bool, writes: u32) -> Option<(Schema, Proxy, Server)> {
    let schema = Schema::create(test)?;
    let proxy = Proxy::start(postgres(), cut);
    let server = Server::start(&["--store", &schema.url_via(proxy.port)]);
    write_keys(&server, "k", 0..writes);
    Some((schema, proxy, server))
}

/// Lines of the server log that contain `text`.
fn log_lines(server: &Server, text: &str) -> usize {
    server.log().lines().filter(|l| l.contains(text)).count()
}

#[test]
fn a_server_started_without_its_database_takes_writes_and_lands_them_once_it_answers() {
    let Some((schema, proxy, server)) = loaded_behind_a_proxy("outage_start", true, 100_000) else {
        return;
    };
    assert_eq!(server.http_get("/ready").0, 200, "not ready while taking writes");
    let (status, body) = server.http_get("/health/store");
    assert_eq!(status, 503, "{body}");
    assert_eq!(rows(&schema), 0);

    proxy.restore();
    let first = until_rows(&schema, 1, Duration::from_secs(10));
    assert!(first < Duration::from_secs(2), "the first batch landed {first:?} after the restore");
    until_rows(&schema, 100_000, Duration::from_secs(60));
    let (status, body) = server.http_get("/health/store");
    assert_eq!(status, 200, "{body}");
    // The outage was logged once when it began and once when it ended.
    assert_eq!(log_lines(&server, "cannot be reached at start"), 1, "{}", server.log());
    assert_eq!(log_lines(&server, "the store is unavailable"), 1, "{}", server.log());
    assert_eq!(log_lines(&server, "the store answers again"), 1, "{}", server.log());
    assert_eq!(log_lines(&server, "retrying"), 0, "a line per batch: {}", server.log());
}

#[test]
fn an_outage_in_the_middle_of_a_load_loses_nothing() {
    let Some((schema, proxy, server)) = loaded_behind_a_proxy("outage_mid", false, 30_000) else {
        return;
    };
    until_rows(&schema, 1, Duration::from_secs(10));
    proxy.cut();
    write_keys(&server, "k", 30_000..70_000);
    std::thread::sleep(Duration::from_millis(1500));
    let (status, body) = server.http_get("/health/store");
    assert_eq!(status, 503, "{body}");
    proxy.restore();
    write_keys(&server, "k", 70_000..100_000);
    until_rows(&schema, 100_000, Duration::from_secs(60));
    assert_eq!(log_lines(&server, "dead-lettered"), 0, "{}", server.log());
}

#[test]
fn a_kill_9_during_an_outage_loses_nothing() {
    let Some((schema, proxy, server)) = loaded_behind_a_proxy("outage_kill", true, 50_000) else {
        return;
    };
    let url = schema.url_via(proxy.port);
    // SIGKILL, and a new server on the same data directory, the database
    // still unreachable: it starts from its log.
    let server = server.restart(&["--store", &url]);
    write_keys(&server, "k", 50_000..60_000);
    proxy.restore();
    until_rows(&schema, 60_000, Duration::from_secs(60));
    let sample = psql(&format!(
        "SET search_path TO {}; SELECT convert_from(value, 'UTF8') FROM jotter_strings \
         WHERE key = 'k:49999'::bytea",
        schema.0
    ))
    .unwrap();
    assert_eq!(sample, "49999");
}

#[test]
fn a_mapping_found_wrong_when_the_database_answers_stops_flushing_and_loses_nothing() {
    let Some(schema) = Schema::create("outage_mapping") else { return };
    let proxy = Proxy::start(postgres(), true);
    // `users` does not exist yet: the mapping does not fit.
    let config = format!(
        "store = \"{}\"\n\n[[mapping]]\nkeys = \"user:*\"\ntable = \"users\"\n\
         key-column = \"id\"\nkind = \"string\"\nvalue-column = \"name\"\n",
        schema.url_via(proxy.port)
    );
    let server = Server::start_with_config(&config, &[]);
    let mut c = server.raw();
    // Blind writes, taken while the database is unreachable.
    c.roundtrip(&common::resp(&["SET", "user:1", "Ada"]), b"+OK\r\n");
    c.roundtrip(&common::resp(&["SET", "plain", "v"]), b"+OK\r\n");
    proxy.restore();
    std::thread::sleep(Duration::from_millis(2500));
    let (status, body) = server.http_get("/health/store");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("cannot be set up") && body.contains("users"), "{body}");
    assert!(server.http_get("/metrics").1.contains("jotter_store_setup_failed 1"));
    // Loud once, not once a probe; still serving; nothing flushed.
    assert_eq!(log_lines(&server, "cannot be set up"), 1, "{}", server.log());
    c.roundtrip(&common::resp(&["GET", "user:1"]), b"$3\r\nAda\r\n");
    assert_eq!(rows(&schema), 0);

    schema.query("CREATE TABLE users (id bigint PRIMARY KEY, name text)");
    until_rows(&schema, 1, Duration::from_secs(10));
    let start = Instant::now();
    while schema.query("SELECT count(*) FROM users") != "1" {
        assert!(start.elapsed() < Duration::from_secs(10), "user:1 never landed");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.http_get("/health/store").0, 200);
}

#[test]
fn max_store_writes_per_sec_paces_the_catch_up() {
    let server = Server::start(&["--max-store-writes-per-sec", "200", "--batch-size", "100"]);
    write_keys(&server, "k", 0..600);
    std::thread::sleep(Duration::from_millis(1000));
    let db = rusqlite::Connection::open(server.db_path()).expect("open the SQLite file");
    let count = || -> i64 {
        db.query_row("SELECT count(*) FROM jotter_strings", [], |row| row.get(0)).unwrap_or(0)
    };
    // 200 a second, from the first batch on: at most three batches of 100
    // in the first second, not all six.
    let early = count();
    assert!(early <= 300, "{early} rows after a second at 200 writes a second");
    let mut c = server.raw();
    c.roundtrip(&common::resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
    assert_eq!(count(), 600);
}
