//! Stopping while the database cannot take writes: the first SIGTERM
//! starts a drain that cannot finish, a second one exits at once, and what
//! was pending is not lost: it stays in the log and reaches the database
//! at the next start.

mod common;

use std::time::Duration;

use common::{Server, resp};

#[test]
fn a_second_signal_exits_at_once_and_the_next_start_flushes_what_was_pending() {
    let args = ["--flush-interval", "10ms", "--fsync", "always"];
    let mut server = Server::start(&args);
    let mut c = server.raw();
    c.roundtrip(&resp(&["SET", "pending", "kept"]), b"+OK\r\n");
    c.roundtrip(&resp(&["JOTTER.FLUSH", "5000"]), b"+OK\r\n");

    // Another connection holds the database's write lock: every flush now
    // waits for it and fails as busy (transient), so nothing can drain.
    let db = rusqlite::Connection::open(server.db_path()).expect("open the SQLite file");
    db.execute_batch("BEGIN EXCLUSIVE").expect("lock the database");
    c.roundtrip(&resp(&["SET", "pending", "newer"]), b"+OK\r\n");

    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.wait_briefly().is_none(), "the drain cannot finish, so it still runs");
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(5));
    assert_eq!(status.code(), Some(130), "log:\n{}", server.log());

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
