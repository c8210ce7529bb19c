//! Many writers on a multi-threaded runtime, racing on a few keys against a
//! store that fails and re-delivers old batches: once the writers stop and
//! a barrier passes, the store must hold exactly what the cache shows for
//! every key (convergence), with nothing lost or regressed.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::cache_with;
use jotter::{FieldValue, MapKind, MemoryStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_writers_converge() {
    let store = MemoryStore::new();
    store.faults().redeliver(42, 0.2);
    let cache = Arc::new(
        cache_with(&store, |b| {
            b.batch_size(16)
                .flush_workers(3)
                .flush_interval(Duration::from_millis(2))
                .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
                .max_pending_entries(64)
        })
        .await,
    );
    let writers: Vec<_> = (0..8u64)
        .map(|t| {
            let cache = cache.clone();
            let store = store.clone();
            tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(t);
                for i in 0..2_000u64 {
                    let k = rng.u8(0..12);
                    let key = Bytes::from(format!("k{k}"));
                    if i % 500 == 0 {
                        store.faults().fail_next_writes(3);
                    }
                    // Keys 0-3 are counters, 4-7 hashes, 8-11 blobs.
                    match (k / 4, rng.u8(0..4)) {
                        (0, 0) => drop(cache.delete(key).await.unwrap()),
                        (0, _) => drop(cache.incr(key, 1).await.unwrap()),
                        (1, 0) => drop(cache.remove_field(key, MapKind::Hash, "f0").await.unwrap()),
                        (1, _) => {
                            let field = format!("f{}", rng.u8(0..3));
                            let value = FieldValue::Bytes(Bytes::from(format!("{t}:{i}")));
                            drop(cache.set_field(key, field, value).await.unwrap());
                        }
                        (_, 0) => drop(cache.delete(key).await.unwrap()),
                        _ => drop(cache.put(key, format!("{t}:{i}")).await.unwrap()),
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(60), cache.flush())
        .await
        .expect("barrier finished")
        .unwrap();
    let snapshot = store.snapshot();
    for k in 0..12 {
        let key = Bytes::from(format!("k{k}"));
        assert_eq!(
            cache.get(key.clone()).await.unwrap().as_ref(),
            snapshot.get(&key),
            "key {key:?}"
        );
    }
    let stats = cache.stats();
    // Removals of absent fields write nothing; every other step is one write.
    assert!((12_000..=16_000).contains(&stats.writes_accepted), "{stats:?}");
    assert_eq!((stats.pending_entries, stats.pending_bytes), (0, 0));
    assert!(cache.dead_letters().is_empty());
}
