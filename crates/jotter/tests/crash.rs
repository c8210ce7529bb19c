//! `kill -9` of a real process under load: the child (this same test binary,
//! started with `JOTTER_CRASH_CHILD` set) writes under concurrency through a
//! cache with a write-ahead log into SQLite and prints every acknowledgement;
//! the parent kills it with SIGKILL at a random moment, restarts the cache
//! on the same directory, flushes, and checks that the store holds, for every
//! key, the last acknowledged value or a newer one (durability, docs/DESIGN.md).
//!
//! 20 rounds per fsync policy here; `scripts/crash-soak.sh` runs hundreds.
#![cfg(all(unix, feature = "sqlite"))]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use jotter::{Cache, Fsync, SqliteStore};

const CHILD_DIR: &str = "JOTTER_CRASH_CHILD";
const CHILD_FSYNC: &str = "JOTTER_CRASH_FSYNC";
const WRITERS: u64 = 8;
const KEYS_PER_WRITER: u64 = 16;

fn fsync_named(name: &str) -> Fsync {
    match name {
        "always" => Fsync::Always,
        "everysec" => Fsync::EverySec,
        _ => Fsync::No,
    }
}

async fn open(dir: &Path, fsync: Fsync) -> Cache<SqliteStore> {
    Cache::builder(SqliteStore::open(dir.join("store.db")).unwrap())
        .data_dir(dir.join("log"), fsync)
        .flush_interval(Duration::from_millis(20))
        .batch_size(64)
        .build()
        .await
        .unwrap()
}

/// The child: writes until it is killed. Not a test on its own (it returns
/// at once unless started by a crash test).
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else { return };
    let fsync = fsync_named(&std::env::var(CHILD_FSYNC).unwrap_or_default());
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async move {
        let cache = std::sync::Arc::new(open(Path::new(&dir), fsync).await);
        println!("ready");
        let writers: Vec<_> = (0..WRITERS)
            .map(|t| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    for n in 1u64.. {
                        let key = format!("w{t}:k{}", n % KEYS_PER_WRITER);
                        cache.put(key.clone(), n.to_string()).await.unwrap();
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "ack {key} {n}").unwrap();
                        out.flush().unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
    });
}

fn stored_values(dir: &Path) -> HashMap<String, u64> {
    let db = rusqlite::Connection::open(dir.join("store.db")).unwrap();
    let mut stmt =
        db.prepare("SELECT CAST(key AS TEXT), CAST(value AS TEXT) FROM jotter_strings").unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|row| {
            let (k, v) = row.unwrap();
            (k, v.parse().unwrap())
        })
        .collect()
}

/// The crash tests run one at a time. A child is started by fork and exec;
/// between the two, the forked copy holds every open file of this process,
/// the other test's log lock included (a `flock` belongs to the open file,
/// which the copy shares), so on a loaded machine that test's next child
/// could find its directory still locked after the parent let go of it.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn crash_rounds(fsync: &str, default_rounds: u64) {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let rounds: u64 = std::env::var("JOTTER_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(default_rounds);
    let seed: u64 = std::env::var("JOTTER_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    println!("crash rounds: {rounds}, fsync {fsync}, seed {seed} (JOTTER_CRASH_SEED to replay)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let dir = tempfile::tempdir().unwrap();
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for round in 0..rounds {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_FSYNC, fsync)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait until the child has had its first write acknowledged (on a
        // loaded machine that can take longer than the random while below),
        // then let it write a random while.
        let started = std::time::Instant::now();
        let mut early = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(1)) {
                Ok(line) if line.starts_with("ack ") => {
                    early.push(line);
                    break;
                }
                Ok(_) => {}
                Err(_) if started.elapsed() < Duration::from_secs(60) => {}
                Err(e) => {
                    let _ = child.kill();
                    panic!("round {round}: the child acknowledged no write within a minute: {e}");
                }
            }
        }
        std::thread::sleep(Duration::from_millis(rng.u64(50..400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let mut acked: HashMap<String, u64> = HashMap::new();
        for line in early.into_iter().chain(rx.try_iter()) {
            let mut parts = line.split(' ');
            if parts.next() != Some("ack") {
                continue;
            }
            let (Some(key), Some(n)) = (parts.next(), parts.next()) else { continue };
            let Ok(n) = n.parse::<u64>() else { continue }; // a line cut by the kill
            let entry = acked.entry(key.to_owned()).or_default();
            *entry = (*entry).max(n);
        }
        assert!(!acked.is_empty(), "round {round}: no write was acknowledged before the kill");

        // Restart on the same directory: replay, flush, stop.
        rt.block_on(async {
            let cache = open(dir.path(), fsync_named(fsync)).await;
            cache.flush().await.unwrap();
            assert!(cache.shutdown(Duration::from_secs(10)).await.drained);
        });
        let stored = stored_values(dir.path());
        for (key, n) in &acked {
            let got = stored.get(key).copied();
            assert!(
                got.is_some_and(|v| v >= *n),
                "round {round} (seed {seed}): {key} acknowledged as {n}, store has {got:?}"
            );
        }
        // The next round's child counts from 1 again: clear the store's
        // values so "newer" stays comparable (versions keep rising anyway).
        let db = rusqlite::Connection::open(dir.path().join("store.db")).unwrap();
        db.execute("DELETE FROM jotter_strings", []).unwrap();
    }
}

#[test]
fn acknowledged_writes_survive_kill_9_with_fsync_always() {
    crash_rounds("always", 20);
}

#[test]
fn acknowledged_writes_survive_kill_9_with_fsync_everysec() {
    crash_rounds("everysec", 20);
}
