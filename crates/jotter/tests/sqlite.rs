//! The engine over the embedded SQLite store, end to end: what counters, sessions
//! and leaderboards write lands as plain rows, survives a restart, and a row the
//! database refuses is dead-lettered while the rest of its batch lands.
#![cfg(feature = "sqlite")]

use std::path::Path;
use std::time::Duration;

use jotter::{Cache, FieldValue, SqliteStore, Value};
use rusqlite::Connection;

fn text(db: &Connection, query: &str) -> Vec<String> {
    let mut stmt = db.prepare(query).unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

async fn open(path: &Path) -> Cache<SqliteStore> {
    Cache::builder(SqliteStore::open(path).unwrap()).build().await.unwrap()
}

#[tokio::test]
async fn counters_sessions_and_leaderboards_land_as_plain_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jotter.db");
    let cache = open(&path).await;

    for _ in 0..250 {
        cache.incr("views:article:9123", 1).await.unwrap();
    }
    cache.set_field("session:ab12", "user", FieldValue::Bytes("42".into())).await.unwrap();
    cache.set_field("session:ab12", "cart", FieldValue::Bytes("3".into())).await.unwrap();
    for (player, points) in [("player:42", 15.0), ("player:7", 20.0), ("player:42", 15.0)] {
        cache.incr_score("board:weekly", player, points).await.unwrap();
    }
    cache.put("gone", "x").await.unwrap();
    cache.delete("gone").await.unwrap();
    cache.flush().await.unwrap();

    let db = Connection::open(&path).unwrap();
    assert_eq!(
        text(
            &db,
            "SELECT CAST(value AS TEXT) FROM jotter_strings WHERE key = CAST('views:article:9123' AS BLOB)"
        ),
        ["250"]
    );
    assert_eq!(
        text(
            &db,
            "SELECT CAST(field AS TEXT) || '=' || CAST(value AS TEXT) FROM jotter_hashes ORDER BY field"
        ),
        ["cart=3", "user=42"]
    );
    assert_eq!(
        text(
            &db,
            "SELECT CAST(member AS TEXT) || '=' || score FROM jotter_zsets ORDER BY score DESC"
        ),
        ["player:42=30.0", "player:7=20.0"]
    );
    assert_eq!(text(&db, "SELECT CAST(key AS TEXT) FROM jotter_strings"), ["views:article:9123"]);
    assert_eq!(cache.shutdown(Duration::from_secs(5)).await.pending_entries, 0);
}

#[tokio::test]
async fn a_restart_loads_what_was_stored_and_keeps_versions_rising() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jotter.db");
    let first = open(&path).await;
    let v1 = first.put("user:42", "Ada").await.unwrap().version();
    first.set_field("session:1", "cart", FieldValue::Bytes("3".into())).await.unwrap();
    assert!(first.shutdown(Duration::from_secs(5)).await.drained);
    drop(first);

    let second = open(&path).await;
    assert_eq!(second.get("user:42").await.unwrap(), Some(Value::from("Ada")));
    assert_eq!(
        second.get("session:1").await.unwrap().unwrap().field(b"cart"),
        Some(FieldValue::Bytes("3".into()))
    );
    let v2 = second.put("user:42", "Grace").await.unwrap().version();
    assert!(v2 > v1);
    second.flush().await.unwrap();
    let db = Connection::open(&path).unwrap();
    assert_eq!(text(&db, "SELECT CAST(value AS TEXT) FROM jotter_strings"), ["Grace"]);
}

#[tokio::test]
async fn a_row_the_database_refuses_is_dead_lettered_and_the_rest_lands() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jotter.db");
    let cache = Cache::builder(SqliteStore::open(&path).unwrap())
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(10))
        .build()
        .await
        .unwrap();
    // A constraint the operator added: no negative balances.
    let db = Connection::open(&path).unwrap();
    db.execute_batch(
        "CREATE TRIGGER no_negative BEFORE INSERT ON jotter_strings
         WHEN NEW.key = CAST('balance:bad' AS BLOB) AND CAST(NEW.value AS INTEGER) < 0
         BEGIN SELECT RAISE(ABORT, 'balance must not be negative'); END;",
    )
    .unwrap();
    for i in 0..20 {
        cache.put(format!("balance:{i}"), "10").await.unwrap();
    }
    cache.put("balance:bad", "-5").await.unwrap();
    cache.flush().await.unwrap();

    assert_eq!(text(&db, "SELECT CAST(count(*) AS TEXT) FROM jotter_strings"), ["20"]);
    let letters = cache.dead_letters();
    assert_eq!(letters.len(), 1);
    assert!(letters[0].error.contains("balance must not be negative"), "{}", letters[0].error);

    // The operator fixes the data path and replays.
    db.execute_batch("DROP TRIGGER no_negative").unwrap();
    let report = cache.replay_dead_letters().await;
    assert_eq!(report.replayed, 1);
    assert_eq!(
        text(
            &db,
            "SELECT CAST(value AS TEXT) FROM jotter_strings WHERE key = CAST('balance:bad' AS BLOB)"
        ),
        ["-5"]
    );
}
