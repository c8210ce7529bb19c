//! Data written by an earlier release opens with this one: a data directory
//! made by the release at commit aa97f9d (SQLite schema 2, a write-ahead
//! log holding writes not yet in the database, left by `kill -9`) is served
//! as it was written (its log directory gains the `FORMAT` marker), and a
//! database with a schema, or a log directory with a format, newer than
//! this code knows is refused at start with a message saying so. The
//! fixture and how it was made are in `tests/fixtures/README.md`.

mod common;

use std::path::Path;
use std::time::Duration;

use common::Server;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/base-aa97f9d/data");

/// A temporary directory holding a copy of the fixture's data directory.
fn copy_fixture() -> tempfile::TempDir {
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
    copy(Path::new(FIXTURE), &dir.path().join("data"));
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_of_the_earlier_release_is_served_as_written() {
    let dir = copy_fixture();
    let marker = dir.path().join("data/log/FORMAT");
    assert!(!marker.exists(), "the earlier release wrote no format marker");
    let server = Server::start_in(dir, &[]);
    // Upgraded in place: the log directory is marked as this code's format 1.
    let marker = std::fs::read_to_string(&marker).expect("the marker is written at start");
    assert!(marker.starts_with("1\nwritten by jotter "), "{marker}");
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
    std::fs::write(log.join("FORMAT"), "2\nwritten by jotter 7.0.0\n").expect("write marker");
    let segment = std::fs::read(log.join("00000000000000000001.log")).expect("segment");
    let stderr = refused_start(&dir);
    assert!(
        stderr.contains("is in format 2, written by jotter 7.0.0, a newer version of Jotter"),
        "{stderr}"
    );
    assert!(stderr.contains("reads formats up to 1"), "{stderr}");
    assert!(stderr.contains("Start the newer version on it"), "{stderr}");
    // Refused before anything was read or changed.
    assert_eq!(std::fs::read(log.join("00000000000000000001.log")).expect("segment"), segment);
    assert_eq!(
        std::fs::read_to_string(log.join("FORMAT")).expect("marker"),
        "2\nwritten by jotter 7.0.0\n"
    );
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
