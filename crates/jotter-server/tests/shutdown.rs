//! Stopping while the database cannot take writes: the first SIGTERM
//! starts a drain that cannot finish, a second one exits at once, and what
//! was pending is not lost: it stays in the log and reaches the database
//! at the next start.

mod common;

use std::time::Duration;

use common::sqlite::lock_store;
use common::{Server, resp};

const ARGS: [&str; 4] = ["--flush-interval", "10ms", "--fsync", "always"];

/// Stores `pending` = `kept`, then locks the database and writes `pending`
/// = `newer`, which cannot reach it. Another connection holding the write
/// lock: every flush waits for it and fails as busy (transient), so nothing
/// can drain until the returned connection rolls back.
fn lock_with_a_pending_write(server: &Server) -> rusqlite::Connection {
    let mut c = server.raw();
    c.roundtrip(&resp(&["SET", "pending", "kept"]), b"+OK\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "5000"]), b"+OK\r\n");
    let db = lock_store(server);
    c.roundtrip(&resp(&["SET", "pending", "newer"]), b"+OK\r\n");
    db
}

#[test]
fn a_second_signal_exits_at_once_and_the_next_start_flushes_what_was_pending() {
    let args = ARGS;
    let mut server = Server::start(&args);
    let db = lock_with_a_pending_write(&server);

    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.wait_briefly().is_none(), "the drain cannot finish, so it still runs");
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(5));
    assert_eq!(status.code(), Some(130), "log:\n{}", server.log());
    let last = last_log_line(&server);
    assert!(last.contains("left_in_log=1") && last.contains("second signal"), "{last}");

    db.execute_batch("ROLLBACK").expect("unlock the database");
    drop(db);
    let server = server.restart(&args);
    let mut c = server.raw();
    c.roundtrip(&resp(&["GET", "pending"]), b"$5\r\nnewer\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "10000"]), b"+OK\r\n");
    let db = rusqlite::Connection::open(server.db_path()).expect("open the SQLite file");
    let stored: Vec<u8> = db
        .query_row(
            "SELECT value FROM jotter_strings WHERE key = CAST('pending' AS BLOB)",
            [],
            |r| r.get(0),
        )
        .expect("the row");
    assert_eq!(stored, b"newer");
}

/// The last line of the server's log.
fn last_log_line(server: &Server) -> String {
    server.log().lines().last().unwrap_or_default().to_owned()
}

/// A client blocked in JOTTER.FLUSH (no timeout) while the database is
/// locked: SIGTERM still ends the process within `shutdown-timeout` (plus a
/// generous margin), with the exit code for writes left in the log, and the
/// last log line says so.
#[test]
fn a_client_blocked_in_jotter_flush_does_not_stretch_the_stop() {
    const TIMEOUT: Duration = Duration::from_secs(3);
    let mut server = Server::start_with_config("shutdown-timeout = \"3s\"\n", &ARGS);
    let db = lock_with_a_pending_write(&server);
    let mut blocked = server.raw();
    blocked.send(&resp(&["JOTTER.FLUSH"]));
    std::thread::sleep(Duration::from_millis(300));

    let signalled = std::time::Instant::now();
    server.signal("TERM");
    let status = server.wait(TIMEOUT * 4);
    let took = signalled.elapsed();
    assert!(
        took < TIMEOUT + Duration::from_secs(2),
        "the stop took {took:?}; log:\n{}",
        server.log()
    );
    assert_eq!(status.code(), Some(3), "writes left in the log; log:\n{}", server.log());
    let last = last_log_line(&server);
    assert!(last.contains("left_in_log=1") && last.contains("dead_letters=0"), "{last}");
    eprintln!("last log line: {last}");
    db.execute_batch("ROLLBACK").expect("unlock the database");
}

/// A stop that drains everything exits 0 and says how many writes it
/// stored.
#[test]
fn a_complete_drain_exits_zero_and_counts_what_it_stored() {
    let mut server = Server::start(&["--flush-interval", "1h", "--batch-size", "100000"]);
    let mut c = server.raw();
    c.roundtrip(&resp(&["SET", "a", "1"]), b"+OK\r\n");
    c.roundtrip(&resp(&["SET", "b", "2"]), b"+OK\r\n");
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "log:\n{}", server.log());
    let last = last_log_line(&server);
    assert!(
        last.contains("stored=2")
            && last.contains("left_in_log=0")
            && last.contains("dead_letters=0"),
        "{last}"
    );
}
