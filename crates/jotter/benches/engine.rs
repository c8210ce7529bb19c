//! `put` throughput of the engine on 1 and 2 threads, against a plain
//! insert into the same kind of map the write buffer is built on (sharded
//! `parking_lot::Mutex<HashMap>` with foldhash), in one run. The ratio is
//! the engine's overhead: versioning, bounds, coalescing, the flush index.
//!
//! Run: `cargo bench -p jotter --bench engine`

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use foldhash::fast::FixedState;
use jotter::{Cache, MemoryStore};
use parking_lot::Mutex;

/// Puts per measured iteration (split over the threads).
const OPS: u64 = 100_000;
const KEYS: usize = 100_000;

fn keys() -> Arc<Vec<Bytes>> {
    Arc::new((0..KEYS).map(|i| Bytes::from(format!("views:article:{i}"))).collect())
}

/// The baseline: the write buffer's map without the engine around it.
struct ShardedMap {
    shards: Vec<Mutex<HashMap<Bytes, Bytes, FixedState>>>,
    hasher: FixedState,
}

impl ShardedMap {
    fn new() -> Self {
        ShardedMap {
            shards: (0..32).map(|_| Mutex::new(HashMap::default())).collect(),
            hasher: FixedState::with_seed(1),
        }
    }

    fn insert(&self, key: Bytes, value: Bytes) {
        let h = self.hasher.hash_one(&key);
        let shard = ((u128::from(h) * self.shards.len() as u128) >> 64) as usize;
        self.shards[shard].lock().insert(key, value);
    }
}

fn put_throughput(c: &mut Criterion) {
    let keys = keys();
    let value = Bytes::from_static(b"1732262400");
    let mut group = c.benchmark_group("put");
    group.throughput(Throughput::Elements(OPS));
    group.measurement_time(Duration::from_secs(5));
    for threads in [1u64, 2] {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads as usize)
            .enable_all()
            .build()
            .unwrap();
        // "put-path": no flush falls inside the measurement (the interval is
        // an hour and a batch holds every key), so this is the write path
        // alone. "sustained": flushing into a MemoryStore every 100 ms on the
        // same cores, so each put also pays its share of the flush.
        for (name, interval, batch) in [
            ("jotter-put-path", Duration::from_secs(3600), 1_000_000),
            ("jotter-sustained", Duration::from_millis(100), 1000),
        ] {
            let cache = Arc::new(
                rt.block_on(
                    Cache::builder(MemoryStore::new())
                        .max_pending_entries(10_000_000)
                        .max_pending_bytes(4 << 30)
                        .flush_interval(interval)
                        .batch_size(batch)
                        .build(),
                )
                .unwrap(),
            );
            group.bench_function(BenchmarkId::new(name, threads), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        let tasks: Vec<_> = (0..threads)
                            .map(|t| {
                                let (cache, keys, value) =
                                    (cache.clone(), keys.clone(), value.clone());
                                tokio::spawn(async move {
                                    for i in 0..iters * OPS / threads {
                                        let k = keys[((i * threads + t) as usize) % KEYS].clone();
                                        cache.put(k, value.clone()).await.unwrap();
                                    }
                                })
                            })
                            .collect();
                        for task in tasks {
                            task.await.unwrap();
                        }
                        start.elapsed()
                    })
                });
            });
            rt.block_on(cache.shutdown(Duration::from_secs(30)));
        }

        let map = Arc::new(ShardedMap::new());
        group.bench_function(BenchmarkId::new("sharded-map", threads), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let (map, keys, value) = (map.clone(), keys.clone(), value.clone());
                        std::thread::spawn(move || {
                            for i in 0..iters * OPS / threads {
                                map.insert(
                                    keys[((i * threads + t) as usize) % KEYS].clone(),
                                    value.clone(),
                                );
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.join().unwrap();
                }
                start.elapsed()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, put_throughput);
criterion_main!(benches);
