//! What the write-ahead log costs and what it buys, printed as a report:
//!
//! 1. Recovery: 1,000,000 pending writes (the store refuses every write, so
//!    nothing is flushed) are in the log when the cache stops without
//!    draining; the time for the next `build` to replay them into the write
//!    buffer, in seconds and records per second.
//! 2. `put` with a log, `Fsync::Always` and `Fsync::EverySec`, from 1, 8 and
//!    64 concurrent writer tasks on a 2-worker tokio runtime, each putting
//!    distinct keys for a fixed time: writes per second, p50 and p99 latency.
//! 3. In the same run, interleaved with 2 (Jotter, Redis, Jotter, Redis for
//!    each configuration): `redis-server` with `appendfsync always` /
//!    `everysec`, driven by `redis-benchmark -t set` over 1, 8 and 64
//!    connections; the mean of the two runs of each and the ratio of their
//!    writes per second. Skipped, loudly, if either binary is missing.
//!
//! Run: `cargo bench -p jotter --bench durability`

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use jotter::{Cache, CacheBuilder, Fsync, MemoryStore};
use tempfile::TempDir;

const RECOVERY_WRITES: u64 = 1_000_000;
const RECOVERY_TASKS: u64 = 4;
const WRITERS: [usize; 3] = [1, 8, 64];
/// How long one measured run lasts (Jotter: exactly; Redis: the request
/// count is calibrated from a warm-up run to take about this long).
const RUN: Duration = Duration::from_secs(3);
const WARM_UP: Duration = Duration::from_millis(500);
/// 16 bytes, the value of every write (Redis: `-d 16`).
const VALUE: &[u8; 16] = b"t=21.5C;rh=40%ok";

fn recovery_builder(store: &MemoryStore, dir: &Path) -> CacheBuilder<MemoryStore> {
    Cache::builder(store.clone())
        .data_dir(dir, Fsync::No)
        .max_pending_entries(2_000_000)
        .max_pending_bytes(1 << 30)
}

/// Total size of the files under `dir`.
fn disk_use(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let meta = entry.metadata().unwrap();
        total += if meta.is_dir() { disk_use(&entry.path()) } else { meta.len() };
    }
    total
}

async fn recovery() {
    let dir = tempfile::tempdir_in(".").unwrap();
    let store = MemoryStore::new();
    store.faults().fail_next_writes(u64::MAX); // nothing reaches the store
    let cache = Arc::new(recovery_builder(&store, dir.path()).build().await.unwrap());
    let start = Instant::now();
    let tasks: Vec<_> = (0..RECOVERY_TASKS)
        .map(|w| {
            let cache = cache.clone();
            tokio::spawn(async move {
                let mut i = w;
                while i < RECOVERY_WRITES {
                    cache.put(format!("sensor:{i}"), Bytes::from_static(VALUE)).await.unwrap();
                    i += RECOVERY_TASKS;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let load = start.elapsed();
    assert_eq!(cache.stats().pending_entries, RECOVERY_WRITES);
    let report = cache.shutdown(Duration::ZERO).await;
    assert!(!report.drained, "the store refuses writes: nothing can drain");
    drop(Arc::into_inner(cache).expect("every writer task has ended"));
    let log_bytes = disk_use(dir.path());

    let start = Instant::now();
    let cache = recovery_builder(&store, dir.path()).build().await.unwrap();
    let took = start.elapsed();
    let pending = cache.stats().pending_entries;

    println!(
        "recovery: replay of {RECOVERY_WRITES} pending writes (distinct keys, 16-byte values)"
    );
    println!(
        "  loaded by {RECOVERY_TASKS} tasks in {:.2} s ({:.0} puts/s, Fsync::No, store refusing); log on disk: {:.1} MiB",
        load.as_secs_f64(),
        RECOVERY_WRITES as f64 / load.as_secs_f64(),
        log_bytes as f64 / f64::from(1 << 20),
    );
    println!(
        "  build() with replay: {:.3} s, {:.0} records/s; pending after: {pending} (aim: under 2 s)",
        took.as_secs_f64(),
        RECOVERY_WRITES as f64 / took.as_secs_f64(),
    );
    assert_eq!(pending, RECOVERY_WRITES, "every pending write came back");
    cache.shutdown(Duration::ZERO).await;
    drop(cache);
}

/// One measured run: writes per second and latency percentiles in µs
/// (`None` when the tool does not report them).
#[derive(Clone, Copy, Debug)]
struct Sample {
    rate: f64,
    p50_us: Option<f64>,
    p99_us: Option<f64>,
}

async fn jotter_run(fsync: Fsync, writers: usize, run: Duration) -> Sample {
    let dir = tempfile::tempdir_in(".").unwrap();
    let cache = Arc::new(
        Cache::builder(MemoryStore::new()).data_dir(dir.path(), fsync).build().await.unwrap(),
    );
    let start = Instant::now();
    let deadline = start + run;
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let cache = cache.clone();
            tokio::spawn(async move {
                let mut latency = Histogram::<u64>::new(3).unwrap();
                for i in 0u64.. {
                    let key = format!("sensor:{w}:{i}");
                    let t = Instant::now();
                    if t >= deadline {
                        break;
                    }
                    cache.put(key, Bytes::from_static(VALUE)).await.unwrap();
                    latency.record(t.elapsed().as_nanos() as u64).unwrap();
                }
                latency
            })
        })
        .collect();
    let mut latency = Histogram::<u64>::new(3).unwrap();
    for task in tasks {
        latency.add(task.await.unwrap()).unwrap();
    }
    let elapsed = start.elapsed();
    assert!(cache.shutdown(Duration::from_secs(60)).await.drained);
    drop(Arc::into_inner(cache).expect("every writer task has ended"));
    drop(dir);
    Sample {
        rate: latency.len() as f64 / elapsed.as_secs_f64(),
        p50_us: Some(latency.value_at_quantile(0.5) as f64 / 1000.0),
        p99_us: Some(latency.value_at_quantile(0.99) as f64 / 1000.0),
    }
}

/// `/usr/bin/<name>`, else `<name>` on the PATH, if it runs.
fn tool(name: &str) -> Option<PathBuf> {
    let fixed = Path::new("/usr/bin").join(name);
    let path = if fixed.exists() { fixed } else { PathBuf::from(name) };
    let out = Command::new(&path).arg("--version").stdin(Stdio::null()).output().ok()?;
    out.status.success().then_some(path)
}

/// A port nothing listened on a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `redis-server` child process, killed (and its directory removed) when
/// dropped, panic or not.
struct Redis {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Redis {
    fn start(server: &Path, appendfsync: &str) -> Redis {
        let dir = tempfile::tempdir_in(".").unwrap();
        let path = std::fs::canonicalize(dir.path()).unwrap();
        let port = free_port();
        let child = Command::new(server)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--appendonly", "yes", "--appendfsync", appendfsync, "--save", ""])
            .arg("--dir")
            .arg(&path)
            .arg("--logfile")
            .arg(path.join("redis.log"))
            .args(["--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut redis = Redis { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = redis.child.try_wait().unwrap().is_some();
            if exited || Instant::now() > deadline {
                let log = std::fs::read_to_string(redis.dir.path().join("redis.log"));
                panic!("redis-server did not start on port {port}: {log:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        redis
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Splits one line of redis-benchmark's CSV (every field quoted).
fn csv_fields(line: &str) -> Vec<String> {
    line.split(',').map(|f| f.trim().trim_matches('"').to_string()).collect()
}

/// The SET row of `redis-benchmark --csv`: Redis 7 prints a header (`test,
/// rps, ..., p50_latency_ms, ..., p99_latency_ms, ...`); older versions print
/// only `"SET","<rps>"`.
fn parse_csv(out: &str) -> Sample {
    let lines: Vec<Vec<String>> =
        out.lines().filter(|l| !l.trim().is_empty()).map(csv_fields).collect();
    let row = lines.iter().find(|f| f[0] == "SET").unwrap_or_else(|| panic!("no SET row: {out}"));
    let header = lines.iter().find(|f| f[0] == "test");
    let column = |name: &str| -> Option<f64> {
        let i = header?.iter().position(|h| h == name)?;
        row.get(i)?.parse().ok()
    };
    let rate = column("rps").or_else(|| row.get(1)?.parse().ok()).expect("an rps column");
    Sample {
        rate,
        p50_us: column("p50_latency_ms").map(|ms| ms * 1000.0),
        p99_us: column("p99_latency_ms").map(|ms| ms * 1000.0),
    }
}

fn redis_run(bench: &Path, port: u16, connections: usize, requests: u64) -> Sample {
    let out = Command::new(bench)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(["-c", &connections.to_string(), "-n", &requests.to_string()])
        .args(["-t", "set", "-r", "1000000", "-d", "16", "-q", "--csv"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "redis-benchmark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_csv(&String::from_utf8_lossy(&out.stdout))
}

fn mean(a: Sample, b: Sample) -> Sample {
    let avg = |x: Option<f64>, y: Option<f64>| Some((x? + y?) / 2.0);
    Sample {
        rate: (a.rate + b.rate) / 2.0,
        p50_us: avg(a.p50_us, b.p50_us),
        p99_us: avg(a.p99_us, b.p99_us),
    }
}

fn us(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_string(), |v| format!("{v:.0}"))
}

struct Row {
    fsync: &'static str,
    writers: usize,
    jotter: Sample,
    redis: Option<Sample>,
}

fn put_with_log(rt: &tokio::runtime::Runtime, redis_tools: Option<(PathBuf, PathBuf)>) -> Vec<Row> {
    let mut rows = Vec::new();
    for (fsync, name) in [(Fsync::Always, "always"), (Fsync::EverySec, "everysec")] {
        let server = redis_tools.as_ref().map(|(server, _)| Redis::start(server, name));
        for writers in WRITERS {
            rt.block_on(jotter_run(fsync, writers, WARM_UP)); // warm-up, not reported
            let redis = server.as_ref().zip(redis_tools.as_ref()).map(|(server, (_, bench))| {
                // Warm-up, and a calibration of the count to take about RUN.
                let probe = redis_run(bench, server.port, writers, 1000 * writers.min(16) as u64);
                let requests =
                    ((probe.rate * RUN.as_secs_f64()) as u64 / 1000 * 1000).clamp(1000, 3_000_000);
                (bench, server.port, requests)
            });
            let mut jotter = Vec::new();
            let mut theirs = Vec::new();
            for _ in 0..2 {
                jotter.push(rt.block_on(jotter_run(fsync, writers, RUN)));
                if let Some((bench, port, requests)) = redis {
                    theirs.push(redis_run(bench, port, writers, requests));
                }
            }
            let mut runs = Vec::new();
            for (i, j) in jotter.iter().enumerate() {
                runs.push(format!("jotter {:.0}", j.rate));
                if let Some(r) = theirs.get(i) {
                    runs.push(format!("redis {:.0}", r.rate));
                }
            }
            let count = redis.map_or(String::new(), |(_, _, n)| format!(" (redis -n {n})"));
            println!(
                "  {name:>8} x{writers:<2} runs, writes/s in order: {}{count}",
                runs.join(", ")
            );
            rows.push(Row {
                fsync: name,
                writers,
                jotter: mean(jotter[0], jotter[1]),
                redis: (theirs.len() == 2).then(|| mean(theirs[0], theirs[1])),
            });
        }
    }
    rows
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this once too.
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(recovery());
    if std::env::var("JOTTER_BENCH_ONLY").as_deref() == Ok("recovery") {
        return;
    }

    println!();
    let redis_tools = tool("redis-server").zip(tool("redis-benchmark"));
    match &redis_tools {
        Some((server, bench)) => {
            let version = Command::new(bench).arg("--version").output().unwrap();
            println!(
                "put with a log, {} s per run, Jotter and Redis alternately (A B A B); {}",
                RUN.as_secs(),
                String::from_utf8_lossy(&version.stdout).trim()
            );
            println!("  redis-server: {}", server.display());
        }
        None => {
            println!(
                "!!!!!!!! redis-server or redis-benchmark NOT FOUND: SKIPPING the Redis comparison !!!!!!!!"
            );
            println!("put with a log, {} s per run, Jotter only", RUN.as_secs());
        }
    }
    let rows = put_with_log(&rt, redis_tools);

    println!();
    println!(
        "{:>8} {:>7} | {:>14} {:>8} {:>8} | {:>14} {:>8} {:>8} | {:>12}",
        "fsync",
        "writers",
        "jotter puts/s",
        "p50 µs",
        "p99 µs",
        "redis SETs/s",
        "p50 µs",
        "p99 µs",
        "jotter/redis"
    );
    for row in &rows {
        let (rate, p50, p99, ratio) = match row.redis {
            Some(r) => (
                format!("{:.0}", r.rate),
                us(r.p50_us),
                us(r.p99_us),
                format!("{:.2}x", row.jotter.rate / r.rate),
            ),
            None => ("skipped".into(), "-".into(), "-".into(), "-".into()),
        };
        println!(
            "{:>8} {:>7} | {:>14.0} {:>8} {:>8} | {:>14} {:>8} {:>8} | {:>12}",
            row.fsync,
            row.writers,
            row.jotter.rate,
            us(row.jotter.p50_us),
            us(row.jotter.p99_us),
            rate,
            p50,
            p99,
            ratio
        );
    }
    println!(
        "note: Jotter's figures are in-process library calls (Cache::put awaited by N tokio tasks \
         on a 2-worker runtime, over a MemoryStore; no network, no protocol); Redis's are SETs over \
         loopback TCP from redis-benchmark's client with N connections, server and client being \
         separate processes on the same 2 cores. The ratio compares a library with a server."
    );
    println!(
        "note: both logs on the same disk; 16-byte values; Jotter's keys are all distinct, Redis's \
         random in 0..1,000,000 (-r), so some SETs overwrite. Figures are the mean of two runs; \
         latency is per write as the caller sees it (Jotter: until the log holds it as fsync says; \
         Redis: redis-benchmark's request round trip)."
    );
}
