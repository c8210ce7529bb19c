//! Store outages as a state (`outage.rs`): while the store is unavailable
//! no batches are sent and one probe a second asks whether it is back;
//! flushing resumes soon after it answers; reads that need the store are
//! refused at once; other transient errors keep their back-off; nothing is
//! dead-lettered because the store was down.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::cache_with;
use jotter::{Cache, Change, Error, Fsync, MemoryStore, Store, StoreState, Value, Write};

fn blob(s: &str) -> Value {
    Value::Blob(Bytes::copy_from_slice(s.as_bytes()))
}

fn is_unavailable(e: &Error) -> bool {
    matches!(e, Error::Store(s) if s.is_unavailable())
}

/// Waits up to `limit` for the store to hold `rows` writes; how long it took.
async fn until_rows(store: &MemoryStore, rows: u64, limit: Duration) -> Duration {
    let start = Instant::now();
    while store.rows_written() < rows {
        assert!(start.elapsed() < limit, "{} of {rows} rows after {limit:?}", store.rows_written());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_sends_no_batches_probes_once_a_second_and_resumes_at_once() {
    let store = MemoryStore::new();
    let faults = store.faults().clone();
    let cache = Cache::builder(store.clone())
        .flush_workers(2)
        .flush_interval(Duration::from_millis(10))
        // A per-batch back-off this short would retry dozens of times a
        // second; an open circuit sends nothing.
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(20))
        .dead_letter_after(1)
        .build()
        .await
        .unwrap();
    assert_eq!(cache.store_state(), StoreState::Up);

    faults.set_unavailable(true);
    for i in 0..200 {
        cache.put(format!("k{i}"), blob("v")).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(3500)).await;
    // At most one failed batch per worker found the outage; then nothing.
    let attempts = faults.write_attempts();
    assert!((1..=2).contains(&attempts), "{attempts} batches sent during the outage");
    let probes = faults.probes();
    assert!((2..=4).contains(&probes), "{probes} probes in 3.5 s");
    match cache.store_state() {
        StoreState::Unavailable { error, lasted, .. } => {
            assert!(error.contains("connection refused"), "{error}");
            assert!(lasted >= Duration::from_secs(3), "{lasted:?}");
        }
        other => panic!("expected an outage, got {other:?}"),
    }
    let stats = cache.stats();
    assert!(!stats.store_up);
    assert_eq!(stats.pending_entries, 200);

    faults.set_unavailable(false);
    let resumed = until_rows(&store, 200, Duration::from_secs(5)).await;
    assert!(
        resumed < Duration::from_secs(2),
        "flushing resumed {resumed:?} after the store came back"
    );
    assert_eq!(cache.store_state(), StoreState::Up);
    assert!(cache.dead_letters().is_empty(), "an outage dead-lettered writes");
    assert_eq!(store.snapshot().len(), 200);
    cache.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_that_need_the_store_are_refused_at_once_and_writes_go_on() {
    let store = MemoryStore::new();
    store
        .write(&[Write::new("cold", 1, Change::Put(Bytes::from_static(b"stored")))])
        .await
        .unwrap();
    let faults = store.faults().clone();
    let cache = Cache::builder(store.clone()).build().await.unwrap();
    cache.put("hot", blob("pending")).await.unwrap();

    faults.set_unavailable(true);
    // The first miss finds the outage...
    let first = cache.get("cold").await.unwrap_err();
    assert!(is_unavailable(&first), "{first}");
    let loads = store.loads();
    // ...after which a miss is refused without asking the store.
    let second = cache.get("cold").await.unwrap_err();
    assert!(is_unavailable(&second), "{second}");
    assert!(second.to_string().starts_with("store unavailable: "), "{second}");
    let counter = cache.incr("never-seen", 1).await.unwrap_err();
    assert!(is_unavailable(&counter), "{counter}");
    assert_eq!(store.loads(), loads, "a read asked the store while it was down");
    assert!(is_unavailable(&cache.keys(None, 10).await.unwrap_err()));

    // A read of what memory holds, and a blind write, go on.
    assert_eq!(cache.get("hot").await.unwrap(), Some(blob("pending")));
    cache.put("cold", blob("new")).await.unwrap();
    assert_eq!(cache.get("cold").await.unwrap(), Some(blob("new")));

    faults.set_unavailable(false);
    tokio::time::timeout(Duration::from_secs(3), cache.flush()).await.unwrap().unwrap();
    assert_eq!(cache.incr("never-seen", 1).await.unwrap().0, 1);
    cache.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_errors_keep_their_back_off_and_leave_the_circuit_closed() {
    let store = MemoryStore::new();
    let faults = store.faults().clone();
    let cache = cache_with(&store, |b| {
        b.flush_workers(1)
            .flush_interval(Duration::from_millis(5))
            .retry_backoff(Duration::from_millis(40), Duration::from_secs(1))
            .dead_letter_after(1)
    })
    .await;
    faults.fail_next_writes(3);
    let start = Instant::now();
    cache.put("k", blob("v")).await.unwrap();
    cache.flush().await.unwrap();
    // Three back-offs, each at least half of 40, 80 and 160 ms.
    assert!(start.elapsed() >= Duration::from_millis(140), "{:?}", start.elapsed());
    assert_eq!(faults.write_attempts(), 4);
    assert_eq!(faults.probes(), 0, "a transient error opened the circuit");
    assert_eq!(cache.store_state(), StoreState::Up);
    assert!(cache.stats().retries >= 3);
    assert!(cache.dead_letters().is_empty());
    cache.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_without_the_store_versions_later_writes_above_what_it_holds() {
    // The store holds a key written by a clock an hour ahead (another
    // writer, or this machine's clock set back since).
    let ahead = (SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as u64
        + 3_600_000_000)
        << 12;
    let store = MemoryStore::new();
    store.write(&[Write::new("k", ahead, Change::Put(Bytes::from_static(b"old")))]).await.unwrap();
    let faults = store.faults().clone();
    faults.set_unavailable(true);
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::builder(store.clone())
        .flush_interval(Duration::from_millis(10))
        .data_dir(dir.path(), Fsync::No)
        .build()
        .await
        .expect("starts with the store down");
    assert!(matches!(cache.store_state(), StoreState::Unavailable { .. }));
    cache.put("during", blob("outage")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // One attempt: the test's own write above.
    assert_eq!(faults.write_attempts(), 1, "a batch was sent while the store was down at start");

    faults.set_unavailable(false);
    until_rows(&store, 2, Duration::from_secs(3)).await;
    // The probe raised the clock above the store's versions before any
    // batch went: a new write of `k` is newer than what the store holds.
    cache.put("k", blob("new")).await.unwrap();
    cache.flush().await.unwrap();
    let stored = store.snapshot();
    assert_eq!(stored.get(b"k".as_slice()), Some(&blob("new")));
    assert_eq!(stored.get(b"during".as_slice()), Some(&blob("outage")));
    cache.shutdown(Duration::from_secs(1)).await;
}
