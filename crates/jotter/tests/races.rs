//! Races and corner cases found by reading the engine against the contract:
//! a caller cancelling a write-through, a barrier during a direct write,
//! shutdown racing a read-through, writes queued behind a dead letter, folds
//! outgrowing the byte bound, and back-pressure that must push the flush.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{bounded_cache, cache_flushing_every, cache_with};
use jotter::{Cache, FieldValue, FullPolicy, MemoryStore, Store, StoreError, Value, Write};

/// A MemoryStore whose writes of key "slow" take one second.
#[derive(Clone, Default)]
struct SlowKey(MemoryStore);

impl Store for SlowKey {
    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        if batch.iter().any(|w| w.key == "slow") {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        self.0.write(batch).await
    }
    async fn load(&self, key: &Bytes) -> Result<Option<jotter::Entry>, StoreError> {
        self.0.load(key).await
    }
    async fn max_version(&self) -> Result<u64, StoreError> {
        self.0.max_version().await
    }
}

async fn write_through_cache(store: SlowKey) -> Arc<Cache<SlowKey>> {
    Arc::new(
        Cache::builder(store)
            .flush_workers(1)
            .max_pending_entries(1)
            .full_policy(FullPolicy::WriteThrough)
            .flush_interval(Duration::from_secs(3600))
            .build()
            .await
            .unwrap(),
    )
}

/// A barrier issued while a direct (write-through) write is in flight hangs:
/// the direct write's completion never wakes the worker to re-publish.
#[tokio::test(start_paused = true)]
async fn flush_during_a_direct_write_returns() {
    let store = SlowKey::default();
    let cache = write_through_cache(store.clone()).await;
    cache.put("a", "1").await.unwrap(); // fills the buffer
    let direct = tokio::spawn({
        let cache = cache.clone();
        async move { cache.put("slow", "2").await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await; // direct write in flight
    let flushed = tokio::time::timeout(Duration::from_secs(60), cache.flush()).await;
    direct.await.unwrap().unwrap();
    assert!(store.0.snapshot().contains_key(&Bytes::from("slow")));
    assert!(flushed.is_ok(), "flush() still waiting 59 s after every write was stored");
}

/// Cancelling a write-through put (e.g. a caller's timeout) leaves its op in
/// the buffer in flight forever: reads show a value the store never gets,
/// and every later barrier hangs.
#[tokio::test(start_paused = true)]
async fn a_cancelled_direct_write_does_not_wedge_the_key() {
    let store = SlowKey::default();
    let cache = write_through_cache(store.clone()).await;
    cache.put("a", "1").await.unwrap(); // fills the buffer
    let r = tokio::time::timeout(Duration::from_millis(100), cache.put("slow", "x")).await;
    assert!(r.is_err(), "the caller gave up on the write");
    let flushed = tokio::time::timeout(Duration::from_secs(60), cache.flush()).await;
    let read = cache.get("slow").await.unwrap();
    let stored = store.0.snapshot().get(&Bytes::from("slow")).cloned();
    assert!(flushed.is_ok(), "flush() hangs forever (read {read:?}, store {stored:?})");
    assert_eq!(read, stored, "the cache and the store disagree for good");
}

/// A write that passed the open check before shutdown, then waited on a
/// read-through load, is accepted after the drain; shutdown says drained.
#[tokio::test(start_paused = true)]
async fn no_write_is_acknowledged_after_shutdown_drained() {
    let store = MemoryStore::new();
    store.faults().set_latency(Duration::from_millis(100));
    let cache = Arc::new(Cache::builder(store.clone()).build().await.unwrap());
    let writer = tokio::spawn({
        let cache = cache.clone();
        async move { cache.incr("k", 1).await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await; // load in flight
    let report = cache.shutdown(Duration::from_secs(5)).await;
    let result = writer.await.unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let in_store = store.snapshot().contains_key(&Bytes::from("k"));
    assert!(report.drained, "{report:?}");
    assert!(
        matches!(result, Err(jotter::Error::ShuttingDown)),
        "incr acknowledged ({result:?}) after shutdown drained; in store: {in_store}"
    );
    assert!(!in_store);
}

/// Refuses for good every write that sets a map field named `a`.
#[derive(Clone, Default)]
struct RefuseFieldA(MemoryStore);

impl Store for RefuseFieldA {
    async fn write(&self, batch: &[Write]) -> Result<(), StoreError> {
        let sets_a = |w: &Write| match &w.change {
            jotter::Change::Patch { fields, .. } => fields.iter().any(|f| f.field == "a"),
            _ => false,
        };
        if batch.iter().any(sets_a) {
            return Err(StoreError::permanent("constraint"));
        }
        self.0.write(batch).await
    }
    async fn load(&self, key: &Bytes) -> Result<Option<jotter::Entry>, StoreError> {
        self.0.load(key).await
    }
    async fn max_version(&self) -> Result<u64, StoreError> {
        self.0.max_version().await
    }
}

/// A field write queued behind a whole-map write that ends in the dead-letter
/// queue: acknowledged, stored, yet invisible (the old blob wins).
#[tokio::test(start_paused = true)]
async fn a_field_write_behind_a_dead_lettered_put_stays_visible() {
    let store = RefuseFieldA::default();
    let cache = cache_flushing_every(&store, Duration::from_millis(10)).await;
    cache.put("k", "old").await.unwrap();
    cache.flush().await.unwrap();
    let map: BTreeMap<Bytes, Bytes> = [(Bytes::from("a"), Bytes::from("1"))].into();
    cache.put("k", Value::Hash(Arc::new(map))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await; // in flight, being retried
    let t = cache.set_field("k", "b", FieldValue::Bytes(Bytes::from("2"))).await.unwrap();
    let before = cache.get("k").await.unwrap();
    cache.flush().await.unwrap();
    cache.wait_stored(t).await.unwrap(); // the field write is reported stored
    assert_eq!(cache.dead_letters().len(), 1);
    let after = cache.get("k").await.unwrap();
    assert_eq!(
        after.as_ref(),
        store.0.snapshot().get(&Bytes::from("k")),
        "the cache and the store agree"
    );
    assert_eq!(
        after.as_ref().and_then(|v| v.field(b"b")),
        before.as_ref().and_then(|v| v.field(b"b")),
        "acknowledged field b vanished: before {before:?}, after {after:?}, store {:?}",
        store.0.snapshot()
    );
}

/// A full buffer does not hurry the workers: with a healthy store, blocked
/// writers time out because the flush waits for its interval.
#[tokio::test(start_paused = true)]
async fn block_policy_writers_are_not_starved_by_the_interval() {
    let store = MemoryStore::new();
    let cache = bounded_cache(
        &store,
        2,
        FullPolicy::Block { timeout: Duration::from_secs(5) },
        Duration::from_secs(60),
    )
    .await;
    cache.put("a", "1").await.unwrap();
    cache.put("b", "1").await.unwrap();
    let r = cache.put("c", "1").await;
    assert!(r.is_ok(), "{r:?}");
}

/// Small field writes to one pending map: the folded op outgrows
/// max_pending_bytes and a 20-byte write is refused as TooLarge, bypassing
/// the full policy.
#[tokio::test(start_paused = true)]
async fn a_small_field_write_is_not_too_large() {
    let store = MemoryStore::new();
    let cache = cache_with(&store, |b| {
        b.max_pending_bytes(1024)
            .full_policy(FullPolicy::Block { timeout: Duration::from_secs(5) })
            .flush_interval(Duration::from_millis(100))
    })
    .await;
    for i in 0..40 {
        let r = cache
            .set_field("m", format!("field-{i:03}"), FieldValue::Bytes(Bytes::from("v")))
            .await;
        assert!(r.is_ok(), "write {i}: {r:?}");
    }
}

/// Writers blocked on a full byte bound: a writer whose attempt fails on
/// bytes gives back the entry it took for a moment; that must not wake the
/// other waiters (and itself) into another failing attempt, in a loop that
/// never yields and starves the flush that would make room. One runtime
/// thread, so such a loop would hang the writes; they run on a thread of
/// their own and the test fails if they do not end.
#[test]
fn writers_blocked_on_the_byte_bound_let_the_flush_run() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let store = MemoryStore::new();
            let cache = cache_with(&store, |b| {
                b.max_pending_bytes(2_000)
                    .full_policy(FullPolicy::Block { timeout: Duration::from_secs(20) })
                    .flush_interval(Duration::from_millis(5))
            })
            .await;
            let cache = Arc::new(cache);
            let writers: Vec<_> = (0..8)
                .map(|w| {
                    let cache = cache.clone();
                    tokio::spawn(async move {
                        for i in 0..50 {
                            cache.put(format!("w{w}-{i}"), vec![b'x'; 100]).await.unwrap();
                        }
                    })
                })
                .collect();
            for writer in writers {
                writer.await.unwrap();
            }
            cache.flush().await.unwrap();
            assert_eq!(store.snapshot().len(), 400);
        });
        done.send(()).unwrap();
    });
    assert!(
        finished.recv_timeout(Duration::from_secs(60)).is_ok(),
        "the writers never finished: blocked writers kept waking each other and the flush never ran"
    );
}
