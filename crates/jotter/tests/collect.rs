//! Collecting bookkeeping rows: a session-store workload (keys written with
//! an expiry, expired, deleted by the sweep, new keys written) leaves the
//! SQLite store's reset, tombstone and expiry tables bounded; a tombstone
//! newer than the horizon still blocks an older replayed write; and the
//! engine's horizon never passes a write it still holds.
#![cfg(feature = "sqlite")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::cache_with;
use jotter::{
    Cache, Change, Entry, FieldChange, FieldValue, MapKind, MemoryStore, SqliteStore, Store,
    StoreError, Value, Write,
};
use rusqlite::Connection;

fn bookkeeping(db: &Connection) -> i64 {
    db.query_row(
        "SELECT (SELECT count(*) FROM jotter_key_resets)
              + (SELECT count(*) FROM jotter_field_tombstones)
              + (SELECT count(*) FROM jotter_expiry)",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// Rounds of `n` new session keys (with an expiry, and a hash field set and
/// removed for one key in ten), expired and swept, against SQLite; the
/// bookkeeping never holds more than one round's worth and ends empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_workload_leaves_the_bookkeeping_bounded() {
    const N: usize = 10_000;
    const ROUNDS: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jotter.db");
    let cache = Cache::builder(SqliteStore::open(&path).unwrap())
        .batch_size(5_000)
        .collect_bookkeeping(Duration::ZERO, Duration::from_millis(20))
        .build()
        .await
        .unwrap();
    let db = Connection::open(&path).unwrap();
    let mut most = 0;
    for round in 0..ROUNDS {
        let expires = millis() + 1;
        for i in 0..N {
            let key = Bytes::from(format!("session:{round}:{i}"));
            cache
                .transact(std::slice::from_ref(&key), |txn| {
                    txn.put(&key, Value::from("user=42"), Some(expires));
                    Ok(())
                })
                .await
                .unwrap();
            if i % 10 == 0 {
                let h = format!("cart:{round}:{i}");
                cache.set_field(h.clone(), "item", FieldValue::Bytes("1".into())).await.unwrap();
                cache.set_field(h.clone(), "other", FieldValue::Bytes("2".into())).await.unwrap();
                cache.remove_field(h, MapKind::Hash, "item").await.unwrap();
            }
        }
        cache.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        while cache.delete_expired(10_000).await.unwrap() > 0 {}
        cache.flush().await.unwrap();
        most = most.max(bookkeeping(&db));
    }
    let written = (ROUNDS * N * 11 / 10) as i64;
    assert!(most <= (N * 2) as i64, "{most} bookkeeping rows after {written} keys");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while bookkeeping(&db) > 0 {
        assert!(tokio::time::Instant::now() < deadline, "{} rows left", bookkeeping(&db));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let live: i64 =
        db.query_row("SELECT count(DISTINCT key) FROM jotter_hashes", [], |r| r.get(0)).unwrap();
    assert_eq!(live, (ROUNDS * N / 10) as i64, "the live hashes stay");
    cache.shutdown(Duration::from_secs(10)).await;
}

fn put(key: &str, v: u64) -> Write {
    Write::new(Bytes::copy_from_slice(key.as_bytes()), v, Change::Put(Bytes::from("x")))
}

fn field(key: &str, v: u64, value: Option<&str>) -> Write {
    let fields = vec![FieldChange {
        field: Bytes::from("f"),
        version: v,
        value: value.map(|x| FieldValue::Bytes(Bytes::copy_from_slice(x.as_bytes()))),
    }];
    Write::new(
        Bytes::copy_from_slice(key.as_bytes()),
        v,
        Change::Patch { kind: MapKind::Hash, reset: None, fields },
    )
}

#[tokio::test]
async fn a_tombstone_above_the_horizon_still_blocks_an_older_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jotter.db");
    let store = SqliteStore::open(&path).unwrap();
    let db = Connection::open(&path).unwrap();
    store.write(&[put("k", 10), field("h", 10, Some("a"))]).await.unwrap();
    store.write(&[field("h", 11, Some("b"))]).await.unwrap();
    store
        .write(&[Write::new(Bytes::from("k"), 20, Change::Delete), field("h", 20, None)])
        .await
        .unwrap();
    assert_eq!(store.collect(15).await.unwrap(), 0, "both tombstones are above 15");
    store.write(&[put("k", 12), field("h", 12, Some("late"))]).await.unwrap();
    assert_eq!(store.load(&Bytes::from("k")).await.unwrap(), None, "the delete still wins");
    assert_eq!(store.load(&Bytes::from("h")).await.unwrap(), None, "the removal still wins");
    // The reset of k, the tombstone of h's field, h's leftover expiry row.
    assert_eq!(bookkeeping(&db), 3);
    assert_eq!(store.collect(21).await.unwrap(), 3, "below 21 they go");
    assert_eq!(bookkeeping(&db), 0);
    store.write(&[put("k", 22)]).await.unwrap();
    assert!(store.load(&Bytes::from("k")).await.unwrap().is_some(), "newer writes apply");
}

/// A store that is down for writes until told otherwise, and records the
/// horizons the engine hands it.
#[derive(Clone, Default)]
struct Down {
    memory: MemoryStore,
    up: Arc<Mutex<bool>>,
    horizons: Arc<Mutex<Vec<u64>>>,
}

impl Store for Down {
    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        if !*self.up.lock().unwrap() {
            return Err(StoreError::transient("down"));
        }
        self.memory.write(batch).await
    }

    async fn load(&self, key: &Bytes) -> Result<Option<Entry>, StoreError> {
        self.memory.load(key).await
    }

    async fn max_version(&self) -> Result<u64, StoreError> {
        self.memory.max_version().await
    }

    async fn collect(&self, horizon: u64) -> Result<u64, StoreError> {
        self.horizons.lock().unwrap().push(horizon);
        Ok(0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_horizon_never_passes_a_write_the_engine_still_holds() {
    let store = Down::default();
    let cache = cache_with(&store, |b| {
        b.retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
            .collect_bookkeeping(Duration::ZERO, Duration::from_millis(10))
    })
    .await;
    cache.put("held", "v").await.unwrap();
    // Versions are wall-clock microseconds above 12 bits of counter.
    let after_put = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as u64;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held: Vec<u64> = store.horizons.lock().unwrap().clone();
    assert!(held.len() >= 2, "{} collections", held.len());
    for h in &held {
        assert!(*h >> 12 <= after_put, "the horizon passed the pending write");
    }
    *store.up.lock().unwrap() = true;
    cache.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let last = *store.horizons.lock().unwrap().last().unwrap();
    assert!(last >> 12 > after_put, "once stored, the horizon moves on");
    cache.shutdown(Duration::from_secs(5)).await;
}
