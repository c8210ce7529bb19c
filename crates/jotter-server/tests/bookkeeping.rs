//! The bookkeeping settings reach the engine: with `bookkeeping-retention`
//! of zero, a removed hash field's tombstone and a deleted key's reset
//! leave the SQLite file once flushed; with an hour's retention (the
//! default) they stay, although collection runs just as often.

mod common;

use std::time::{Duration, Instant};

use common::Server;

/// Rows in the two tables of tombstones.
fn tombstones(server: &Server) -> i64 {
    let db = rusqlite::Connection::open(server.db_path()).expect("open the SQLite file");
    db.query_row(
        "SELECT (SELECT count(*) FROM jotter_field_tombstones)
              + (SELECT count(*) FROM jotter_key_resets)",
        [],
        |row| row.get(0),
    )
    .expect("count")
}

/// Writes a field tombstone and a key reset, flushes them, then returns the
/// number of tombstones left after `wait` (collection runs every 100 ms).
async fn tombstones_left(retention: &str, wait: Duration) -> i64 {
    let server =
        Server::start(&["--bookkeeping-retention", retention, "--bookkeeping-interval", "100ms"]);
    let mut con = server.client().await;
    let _: i64 = redis::cmd("HSET")
        .arg("h")
        .arg("f1")
        .arg("a")
        .arg("f2")
        .arg("b")
        .query_async(&mut con)
        .await
        .unwrap();
    let () = redis::cmd("SET").arg("gone").arg("x").query_async(&mut con).await.unwrap();
    let () = redis::cmd("JOTTER.FLUSH").query_async(&mut con).await.unwrap();
    let _: i64 = redis::cmd("HDEL").arg("h").arg("f1").query_async(&mut con).await.unwrap();
    let _: i64 = redis::cmd("DEL").arg("gone").query_async(&mut con).await.unwrap();
    // A later write, so that the tombstones are below the newest version.
    let () = redis::cmd("SET").arg("later").arg("y").query_async(&mut con).await.unwrap();
    let () = redis::cmd("JOTTER.FLUSH").query_async(&mut con).await.unwrap();
    let start = Instant::now();
    loop {
        let left = tombstones(&server);
        if left == 0 || start.elapsed() > wait {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_retention_collects_tombstones_and_an_hour_keeps_them() {
    assert_eq!(tombstones_left("0s", Duration::from_secs(10)).await, 0, "collected");
    assert!(tombstones_left("1h", Duration::from_secs(1)).await >= 2, "kept for an hour");
}
