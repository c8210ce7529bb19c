//! `kill -9` of the real server under load: every write a client saw
//! acknowledged (with `--fsync always`, `everysec` or `no`: each survives a
//! kill of the process) is there after a restart on the same data
//! directory, in the cache and, after `JOTTER.FLUSH`, in SQLite.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    kill_9_rounds("always", 3).await;
}

/// Under `everysec` and `no` the connection that waits writes the log's
/// batch itself (no writer thread): a kill must not lose what it
/// acknowledged either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_with_fsync_everysec() {
    kill_9_rounds("everysec", 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_with_fsync_no() {
    kill_9_rounds("no", 2).await;
}

async fn kill_9_rounds(fsync: &str, rounds: u32) {
    // A flush interval beyond the test: what survives comes from the log.
    let args = ["--fsync", fsync, "--flush-interval", "1h", "--batch-size", "1000000"];
    for round in 0..rounds {
        let server = Server::start(&args);
        let acked = Arc::new(Mutex::new(Vec::<(String, i64)>::new()));
        let mut writers = Vec::new();
        for w in 0..8 {
            let mut con = server.client().await;
            let acked = acked.clone();
            writers.push(tokio::spawn(async move {
                for i in 0.. {
                    let key = format!("r{round}:w{w}:k{}", i % 50);
                    let set: redis::RedisResult<()> =
                        redis::cmd("SET").arg(&key).arg(i).query_async(&mut con).await;
                    let incr: redis::RedisResult<i64> = redis::cmd("INCR")
                        .arg(format!("r{round}:count:{w}"))
                        .query_async(&mut con)
                        .await;
                    match (set, incr) {
                        (Ok(()), Ok(n)) => {
                            let mut acked = acked.lock().unwrap();
                            acked.push((key, i));
                            acked.push((format!("r{round}:count:{w}"), n));
                        }
                        _ => break, // the server is gone
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.signal("KILL");
        for writer in writers {
            writer.await.unwrap();
        }
        let acked = std::mem::take(&mut *acked.lock().unwrap());
        assert!(acked.len() > 100, "the load never got going: {} writes", acked.len());

        let server = server.restart(&args);
        let mut con = server.client().await;
        // The newest acknowledged value of each key, in acknowledgement order.
        let mut newest = std::collections::HashMap::new();
        for (key, value) in acked {
            let slot = newest.entry(key).or_insert(value);
            *slot = (*slot).max(value);
        }
        for (key, value) in &newest {
            let got: Option<i64> = redis::cmd("GET").arg(key).query_async(&mut con).await.unwrap();
            // A write in flight at the kill may have landed after its
            // predecessor's acknowledgement was recorded: at least as new.
            assert!(got.is_some_and(|g| g >= *value), "{key}: acknowledged {value}, found {got:?}");
        }
        let () = redis::cmd("JOTTER.FLUSH").query_async(&mut con).await.unwrap();
        let db = rusqlite::Connection::open(server.db_path()).unwrap();
        for (key, value) in &newest {
            let stored: String = db
                .query_row(
                    "SELECT CAST(value AS TEXT) FROM jotter_strings WHERE key = ?1",
                    [key.as_bytes()],
                    |row| row.get(0),
                )
                .unwrap_or_else(|e| panic!("{key} not in SQLite: {e}"));
            assert!(stored.parse::<i64>().unwrap() >= *value, "{key}: stored {stored}");
        }
    }
}
