//! Two measurements that are counts and percentiles rather than throughput,
//! printed as a report:
//!
//! 1. Coalescing: 1,000,000 updates over 10,000 keys drawn from a zipfian
//!    distribution (s = 0.99, as YCSB), in ten flush windows; per window,
//!    the store writes done against the distinct keys written (equal when
//!    each key reaches the store once a window).
//! 2. Write-behind `put` against write-through `put_through` into SQLite
//!    (a file on disk, `synchronous = FULL`): p50 and p99 latency and their
//!    ratio, measured in one run.
//!
//! Run: `cargo bench -p jotter --bench behind`

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use jotter::{Cache, MemoryStore, SqliteStore};

const KEYS: usize = 10_000;
const UPDATES: usize = 1_000_000;
const WINDOWS: usize = 10;

/// Draws key indexes with probability proportional to 1 / rank^s.
struct Zipf {
    cdf: Vec<f64>,
    rng: fastrand::Rng,
}

impl Zipf {
    fn new(n: usize, s: f64, seed: u64) -> Self {
        let mut cdf: Vec<f64> = (1..=n).map(|k| 1.0 / (k as f64).powf(s)).collect();
        let total: f64 = cdf.iter().sum();
        let mut acc = 0.0;
        for p in &mut cdf {
            acc += *p / total;
            *p = acc;
        }
        Zipf { cdf, rng: fastrand::Rng::with_seed(seed) }
    }

    fn next(&mut self) -> usize {
        let u = self.rng.f64();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

async fn coalescing() {
    let cache = Cache::builder(MemoryStore::new())
        .batch_size(KEYS)
        .flush_interval(Duration::from_secs(3600))
        .build()
        .await
        .unwrap();
    let keys: Vec<Bytes> = (0..KEYS).map(|i| Bytes::from(format!("views:article:{i}"))).collect();
    let mut zipf = Zipf::new(KEYS, 0.99, 7);
    println!("coalescing: {UPDATES} zipfian updates over {KEYS} keys, {WINDOWS} flush windows");
    println!("{:>8} {:>10} {:>14} {:>13}", "window", "updates", "distinct keys", "store writes");
    let (mut distinct_total, mut writes_total) = (0u64, 0u64);
    for w in 0..WINDOWS {
        let before = cache.stats().store_writes;
        let mut distinct = HashSet::new();
        for _ in 0..UPDATES / WINDOWS {
            let k = zipf.next();
            distinct.insert(k);
            cache.incr(keys[k].clone(), 1).await.unwrap();
        }
        cache.flush().await.unwrap();
        let writes = cache.stats().store_writes - before;
        println!("{:>8} {:>10} {:>14} {:>13}", w + 1, UPDATES / WINDOWS, distinct.len(), writes);
        distinct_total += distinct.len() as u64;
        writes_total += writes;
    }
    let stats = cache.stats();
    println!(
        "total: {distinct_total} distinct keys per window, {writes_total} store writes; coalescing ratio {:.1}",
        stats.coalescing_ratio
    );
    cache.shutdown(Duration::from_secs(10)).await;
}

fn percentiles(h: &Histogram<u64>) -> (f64, f64) {
    (h.value_at_quantile(0.5) as f64 / 1000.0, h.value_at_quantile(0.99) as f64 / 1000.0)
}

async fn behind_vs_through() {
    let dir = tempfile::tempdir_in(".").unwrap();
    let store = SqliteStore::open(dir.path().join("bench.db")).unwrap();
    let cache =
        Cache::builder(store).flush_interval(Duration::from_millis(100)).build().await.unwrap();
    let mut through = Histogram::<u64>::new(3).unwrap();
    let mut behind = Histogram::<u64>::new(3).unwrap();
    let value = Bytes::from_static(b"{\"user\":42,\"cart\":3}");
    // Interleaved A B A B so both see the same machine state.
    for round in 0..20u64 {
        for i in 0..100u64 {
            let t = Instant::now();
            cache.put_through(format!("through:{round}:{i}"), value.clone()).await.unwrap();
            through.record(t.elapsed().as_nanos() as u64).unwrap();
        }
        for i in 0..10_000u64 {
            let t = Instant::now();
            cache.put(format!("behind:{round}:{i}"), value.clone()).await.unwrap();
            behind.record(t.elapsed().as_nanos() as u64).unwrap();
        }
    }
    cache.flush().await.unwrap();
    let (tp50, tp99) = percentiles(&through);
    let (bp50, bp99) = percentiles(&behind);
    println!();
    println!("put (write-behind) vs put_through (write-through), SQLite file, synchronous=FULL");
    println!("{:>14} {:>10} {:>12} {:>12}", "", "samples", "p50 (µs)", "p99 (µs)");
    println!("{:>14} {:>10} {:>12.2} {:>12.2}", "put", behind.len(), bp50, bp99);
    println!("{:>14} {:>10} {:>12.2} {:>12.2}", "put_through", through.len(), tp50, tp99);
    println!("ratio through/behind: p50 {:.0}x, p99 {:.0}x", tp50 / bp50, tp99 / bp99);
    cache.shutdown(Duration::from_secs(10)).await;
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this once too.
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        coalescing().await;
        behind_vs_through().await;
    });
}
