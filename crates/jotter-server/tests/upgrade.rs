//! Data written by an earlier release opens with this one: a data directory
//! made by the release at commit aa97f9d (SQLite schema 2, a write-ahead
//! log holding writes not yet in the database, left by `kill -9`) is served
//! as it was written (moved into the layout `log/`, `dead-letters/`,
//! `state/`, and marked with `state/FORMAT`); one made at commit e75c982,
//! whose `log/` also held a dead letter, the clock and a format marker, is
//! moved without losing either; and a database with a schema, or a data
//! directory with a format, newer than this code knows is refused at start
//! with a message saying so. The fixtures and how they were made are in
//! `tests/fixtures/README.md`.

mod common;

use std::path::Path;
use std::time::Duration;

use common::reply::{flush, info};
use common::{Server, resp};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/base-aa97f9d/data");
const FIXTURE_E75C982: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/base-e75c982/data");

/// A temporary directory holding a copy of the aa97f9d fixture's data directory.
fn copy_fixture() -> tempfile::TempDir {
    copy_fixture_from(FIXTURE)
}

/// A temporary directory holding a copy of the data directory `fixture`.
fn copy_fixture_from(fixture: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read fixture") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("type").is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
        }
    }
    let dir = tempfile::TempDir::new().expect("temp dir");
    copy(Path::new(fixture), &dir.path().join("data"));
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_of_the_earlier_release_is_served_as_written() {
    let dir = copy_fixture();
    let data = dir.path().join("data");
    assert!(!data.join("log/FORMAT").exists(), "the earlier release wrote no format marker");
    let clock = std::fs::read(data.join("log/CLOCK")).expect("the earlier release's clock");
    let server = Server::start_in(dir, &[]);
    // Upgraded in place: moved into this code's layout, format 3.
    let marker =
        std::fs::read_to_string(data.join("state/FORMAT")).expect("the marker is written at start");
    assert!(marker.starts_with("3\nwritten by jotter "), "{marker}");
    assert!(!data.join("log/CLOCK").exists(), "the clock left the log's folder");
    let moved = std::fs::read(data.join("state/CLOCK")).expect("the clock is in state/");
    assert!(reading(&moved) >= reading(&clock), "the clock is kept (or advanced)");
    assert!(data.join("log/00000000000000000001.log").exists(), "the segments stay in log/");
    let mut con = server.client().await;
    let get = |key: &'static str| {
        let mut cmd = redis::cmd("GET");
        cmd.arg(key);
        cmd
    };
    // Written and flushed by the old release, then overwritten in its log.
    let s1: Option<String> = get("s1").query_async(&mut con).await.unwrap();
    assert_eq!(s1.as_deref(), Some("v2"));
    // Only in the old release's log.
    let pending: Option<String> = get("pending").query_async(&mut con).await.unwrap();
    assert_eq!(pending.as_deref(), Some("p1"));
    let h: Vec<String> = redis::cmd("HGETALL").arg("h").query_async(&mut con).await.unwrap();
    assert_eq!(h, ["f1", "a", "f2", "b", "f3", "c"]);
    let z: Vec<String> =
        redis::cmd("ZRANGE").arg("z").arg(0).arg(-1).query_async(&mut con).await.unwrap();
    assert_eq!(z, ["m1", "m2", "m3"]);
    let gone: i64 = redis::cmd("EXISTS").arg("gone").arg("h2").query_async(&mut con).await.unwrap();
    assert_eq!(gone, 0, "deleted keys stay deleted");
    let ttl: i64 = redis::cmd("TTL").arg("exp").query_async(&mut con).await.unwrap();
    assert!(ttl > 0, "the expiry survives: {ttl}");

    // The log's writes reach the old database, which this code writes on.
    let () = redis::cmd("SET").arg("new").arg("n").query_async(&mut con).await.unwrap();
    let () = redis::cmd("JOTTER.FLUSH").query_async(&mut con).await.unwrap();
    let db = rusqlite::Connection::open(server.db_path()).expect("open");
    let value = |key: &str| -> Option<String> {
        db.query_row(
            "SELECT CAST(value AS TEXT) FROM jotter_strings WHERE key = CAST(?1 AS BLOB)",
            [key],
            |r| r.get(0),
        )
        .ok()
    };
    assert_eq!(value("s1").as_deref(), Some("v2"));
    assert_eq!(value("pending").as_deref(), Some("p1"));
    assert_eq!(value("new").as_deref(), Some("n"));
}

/// A version-clock reading as `CLOCK` holds it.
fn reading(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"))
}

#[test]
fn a_log_folder_with_a_dead_letter_and_the_clock_is_moved_without_losing_either() {
    let dir = copy_fixture_from(FIXTURE_E75C982);
    let data = dir.path().join("data");
    let old = |name: &str| std::fs::read(data.join("log").join(name)).expect("the fixture's file");
    let (letters, clock) = (old("dead-letters"), old("CLOCK"));
    let server = Server::start_in(dir, &[]);

    // Every file of the old `log/` that is not the log's own is moved out of it.
    for name in ["dead-letters", "CLOCK", "FORMAT"] {
        assert!(!data.join("log").join(name).exists(), "{name} left the log's folder");
    }
    let queue = std::fs::read(data.join("dead-letters/queue")).expect("the dead letters moved");
    assert_eq!(queue, letters, "the dead-letter queue is moved as it was");
    let moved = std::fs::read(data.join("state/CLOCK")).expect("the clock is in state/");
    assert!(reading(&moved) >= reading(&clock), "the clock floor is kept (or raised)");
    let marker = std::fs::read_to_string(data.join("state/FORMAT")).expect("the marker");
    assert!(marker.starts_with("3\nwritten by jotter "), "{marker}");

    let mut c = server.raw();
    assert_eq!(info(&mut c, "writebehind", "dead_letters"), 1, "the dead letter survives");
    // Written after the dead letter, only in the old release's log.
    c.roundtrip(&resp(&["GET", "s1"]), b"$2\r\nv2\r\n");
    c.roundtrip(&resp(&["GET", "pending"]), b"$2\r\np1\r\n");
    c.roundtrip(&resp(&["HGET", "h", "f3"]), b"$1\r\nc\r\n");
    // New writes are versioned above what the old release wrote.
    c.roundtrip(&resp(&["SET", "new", "n"]), b"+OK\r\n");
    flush(&mut c);
    let db = rusqlite::Connection::open(server.db_path()).expect("open");
    let version: i64 = db
        .query_row("SELECT version FROM jotter_strings WHERE key = CAST('new' AS BLOB)", [], |r| {
            r.get(0)
        })
        .expect("new is stored");
    let version = u64::try_from(version).expect("versions are positive");
    assert!(version > reading(&clock), "{version} is above the old clock's reading");
    assert_eq!(info(&mut c, "writebehind", "dead_letters"), 1);
}

#[test]
fn a_database_newer_than_this_code_is_refused_with_a_clear_message() {
    let dir = copy_fixture();
    let db = rusqlite::Connection::open(dir.path().join("data/jotter.db")).expect("open");
    db.execute("UPDATE jotter_meta SET value = '99' WHERE name = 'schema_version'", [])
        .expect("update");
    drop(db);
    let stderr = refused_start(&dir);
    assert!(
        stderr.contains("schema version 99, newer than this code knows"),
        "the message says why: {stderr}"
    );
}

#[test]
fn a_log_directory_newer_than_this_code_is_refused_with_a_clear_message() {
    let dir = copy_fixture();
    let log = dir.path().join("data/log");
    std::fs::write(log.join("FORMAT"), "4\nwritten by jotter 7.0.0\n").expect("write marker");
    let segment = std::fs::read(log.join("00000000000000000001.log")).expect("segment");
    let stderr = refused_start(&dir);
    assert!(
        stderr.contains("is in format 4, written by jotter 7.0.0, a newer version of Jotter"),
        "{stderr}"
    );
    assert!(stderr.contains("reads formats up to 3"), "{stderr}");
    assert!(stderr.contains("Start the newer version on it"), "{stderr}");
    // Refused before anything was read or changed.
    assert_eq!(std::fs::read(log.join("00000000000000000001.log")).expect("segment"), segment);
    assert_eq!(
        std::fs::read_to_string(log.join("FORMAT")).expect("marker"),
        "4\nwritten by jotter 7.0.0\n"
    );
    assert!(log.join("CLOCK").exists(), "nothing was moved");
}

/// Starts the server on `dir`, expects it to exit with a failure within
/// 20 s, and returns what it printed on stderr.
fn refused_start(dir: &tempfile::TempDir) -> String {
    let mut child = common::command(dir.path(), &[])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start jotter");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the start was not refused");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    assert!(!status.success(), "{stderr}");
    stderr
}
