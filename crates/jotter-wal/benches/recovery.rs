//! Recovery of 1,000,000 pending records, and submit throughput under
//! group commit.
//!
//! Run: `cargo bench --bench recovery`. It measures the open + full replay
//! of 1M records of ~64 bytes, and submits a second under group commit
//! from 1 to 64 threads; docs/BENCHMARKS.md has the results.

use std::hint::black_box;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jotter_wal::{Fsync, Wal, WalOptions};

const RECORDS: u64 = 1_000_000;

fn payload(i: u64) -> [u8; 64] {
    let mut bytes = [b'v'; 64];
    bytes[..8].copy_from_slice(&i.to_le_bytes());
    bytes
}

/// A closed log of `RECORDS` records, written with `Fsync::No`.
fn pending_log() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wal, _) =
        Wal::open(dir.path(), WalOptions::default().with_fsync(Fsync::No)).expect("open");
    let mut pendings = Vec::with_capacity(10_000);
    for i in 0..RECORDS {
        pendings.push(wal.submit(&payload(i)).expect("submit"));
        if pendings.len() == 10_000 {
            for pending in pendings.drain(..) {
                pending.wait().expect("written");
            }
        }
    }
    for pending in pendings {
        pending.wait().expect("written");
    }
    wal.close().expect("close");
    dir
}

fn recovery(c: &mut Criterion) {
    let dir = pending_log();
    let mut group = c.benchmark_group("recovery");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(RECORDS));
    group.bench_function("open_and_replay_1M_x_64B", |b| {
        b.iter(|| {
            let (wal, recovery) =
                Wal::open(dir.path(), WalOptions::default().with_fsync(Fsync::No)).expect("open");
            let mut count = 0_u64;
            for record in recovery {
                let (lsn, payload) = record.expect("record");
                black_box((lsn, payload));
                count += 1;
            }
            assert_eq!(count, RECORDS);
            wal
        })
    });
    group.finish();
}

/// `iters` submits, each waited for, spread over `threads` threads.
fn submit_and_wait(wal: &Arc<Wal>, threads: u64, iters: u64) -> Duration {
    let per_thread = iters.div_ceil(threads);
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let wal = Arc::clone(wal);
            thread::spawn(move || {
                for i in 0..per_thread {
                    wal.submit(&payload(t << 32 | i)).expect("submit").wait().expect("durable");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker");
    }
    start.elapsed()
}

fn submit(c: &mut Criterion) {
    let mut group = c.benchmark_group("submit");
    group.sample_size(10).measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(1));
    for (fsync, label, threads) in [
        (Fsync::Always, "always", 1),
        (Fsync::Always, "always", 8),
        (Fsync::Always, "always", 64),
        (Fsync::EverySec, "everysec", 8),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let (wal, _) =
            Wal::open(dir.path(), WalOptions::default().with_fsync(fsync)).expect("open");
        let wal = Arc::new(wal);
        group.bench_with_input(BenchmarkId::new(label, threads), &threads, |b, &threads| {
            b.iter_custom(|iters| submit_and_wait(&wal, threads, iters))
        });
        let stats = wal.stats();
        println!(
            "  {label} x{threads}: {} records, {} fsyncs ({:.1} records per fsync)",
            stats.records,
            stats.fsyncs,
            stats.records as f64 / stats.fsyncs.max(1) as f64
        );
    }
    group.finish();
}

criterion_group!(benches, recovery, submit);
criterion_main!(benches);
