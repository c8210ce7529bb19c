//! The write-ahead log seen from the cache: what was acknowledged but not
//! yet stored comes back after a restart, dead letters survive one, a
//! drained shutdown leaves nothing to replay, and one process owns a log.
//! (`crash.rs` does the same with `kill -9` of a real process.)

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::cache_with;
use jotter::{Cache, Fsync, MemoryStore, Value};

async fn open(store: &MemoryStore, dir: &std::path::Path) -> Cache<MemoryStore> {
    cache_with(store, |b| {
        b.data_dir(dir, Fsync::Always)
            .flush_interval(Duration::from_millis(10))
            .retry_backoff(Duration::from_millis(5), Duration::from_millis(50))
            .dead_letter_after(1)
    })
    .await
}

/// The error of an open of `dir`'s log that must fail, as text.
async fn refused_open(store: &MemoryStore, dir: &std::path::Path) -> String {
    let builder = Cache::builder(store.clone()).data_dir(dir, Fsync::Always);
    builder.build().await.unwrap_err().to_string()
}

/// A log directory, and a store that refuses the key `bad` for good.
fn refusing_bad() -> (tempfile::TempDir, MemoryStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    store.faults().reject_key("bad");
    (dir, store)
}

/// Writes `bad` and flushes: the store refuses it, and it becomes the one
/// dead letter.
async fn dead_letter_bad(cache: &Cache<MemoryStore>) {
    cache.put("bad", "x").await.unwrap();
    cache.flush().await.unwrap();
    assert_eq!(cache.dead_letters().len(), 1);
}

#[tokio::test]
async fn acknowledged_writes_the_store_never_got_come_back_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    store.faults().fail_next_writes(u64::MAX); // the database is down
    let cache = open(&store, dir.path()).await;
    for i in 0..100 {
        cache.put(format!("k{}", i % 10), i.to_string()).await.unwrap();
    }
    cache.set_field("session:1", "cart", jotter::FieldValue::Bytes("3".into())).await.unwrap();
    cache.delete("k0").await.unwrap();
    let report = cache.shutdown(Duration::from_millis(100)).await;
    assert!(!report.drained);
    drop(cache);
    assert!(store.snapshot().is_empty());

    store.faults().fail_next_writes(0); // the database is back
    let cache = open(&store, dir.path()).await;
    assert_eq!(
        cache.get("k9").await.unwrap(),
        Some(Value::from("99")),
        "read your writes after a restart"
    );
    cache.flush().await.unwrap();
    let snapshot = store.snapshot();
    assert_eq!(snapshot.get(&Bytes::from("k9")), Some(&Value::from("99")));
    assert!(!snapshot.contains_key(&Bytes::from("k0")));
    assert!(snapshot.contains_key(&Bytes::from("session:1")));
    assert_eq!(snapshot.len(), 10);
    // New writes are versioned above the replayed ones.
    cache.put("k9", "new").await.unwrap();
    cache.flush().await.unwrap();
    assert_eq!(store.snapshot().get(&Bytes::from("k9")), Some(&Value::from("new")));
}

#[tokio::test]
async fn a_drained_shutdown_leaves_nothing_to_replay() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    let cache = open(&store, dir.path()).await;
    for i in 0..100 {
        cache.put(format!("k{i}"), "v").await.unwrap();
    }
    assert!(cache.shutdown(Duration::from_secs(5)).await.drained);
    drop(cache);
    let cache = open(&store, dir.path()).await;
    assert_eq!(cache.stats().pending_entries, 0);
    let segments: u64 = std::fs::read_dir(dir.path().join("log"))
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    assert!(segments < 64 << 10, "the log holds only what is pending: {segments} bytes");
}

#[tokio::test]
async fn dead_letters_survive_a_restart_and_can_still_be_replayed() {
    let (dir, store) = refusing_bad();
    let cache = open(&store, dir.path()).await;
    cache.put("bad", "x").await.unwrap();
    cache.put("good", "y").await.unwrap();
    cache.flush().await.unwrap();
    assert_eq!(cache.dead_letters().len(), 1);
    cache.shutdown(Duration::from_secs(5)).await;
    drop(cache);

    let cache = open(&store, dir.path()).await;
    let letters = cache.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].write.key, "bad");
    store.faults().accept_key(b"bad");
    assert_eq!(cache.replay_dead_letters().await.replayed, 1);
    assert_eq!(store.snapshot().get(&Bytes::from("bad")), Some(&Value::from("x")));
    cache.shutdown(Duration::from_secs(5)).await;
    drop(cache);
    let cache = open(&store, dir.path()).await;
    assert!(cache.dead_letters().is_empty(), "the replay was saved too");
}

#[tokio::test]
async fn a_second_process_cannot_open_the_same_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    let _first = open(&store, dir.path()).await;
    let message = refused_open(&store, dir.path()).await;
    assert!(message.contains(&std::process::id().to_string()), "{message}");
}

/// Writes `n` puts with the store down and stops without draining, leaving
/// them all in the log; returns the log's segment files.
async fn leave_in_log(
    store: &MemoryStore,
    dir: &std::path::Path,
    n: usize,
) -> Vec<std::path::PathBuf> {
    store.faults().fail_next_writes(u64::MAX);
    let cache = open(store, dir).await;
    for i in 0..n {
        cache.put(format!("k{i}"), "v").await.unwrap();
    }
    cache.shutdown(Duration::ZERO).await;
    drop(cache);
    store.faults().fail_next_writes(0);
    segments(dir)
}

#[tokio::test]
async fn a_torn_last_record_is_cut_off_and_the_rest_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    let segments = leave_in_log(&store, dir.path(), 50).await;
    let last = segments.last().unwrap();
    let len = std::fs::metadata(last).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(last).unwrap().set_len(len - 3).unwrap(); // a crash mid-write
    let cache = open(&store, dir.path()).await;
    cache.flush().await.unwrap();
    assert_eq!(store.snapshot().len(), 49, "every whole record was replayed");
}

/// Copies the directory tree `from` into `to`.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// A transaction's writes are one log record: a crash that tears it, at any
/// byte, loses all of them and keeps every earlier record; a whole one
/// brings all of them back.
#[tokio::test]
async fn a_torn_transaction_comes_back_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    store.faults().fail_next_writes(u64::MAX);
    let cache = open(&store, dir.path()).await;
    for i in 0..3 {
        cache.put(format!("single{i}"), "v").await.unwrap();
    }
    let segment = segments(dir.path()).pop().unwrap();
    let before = std::fs::metadata(&segment).unwrap().len();
    let keys: Vec<Bytes> = ["t:a", "t:b", "t:c"].into_iter().map(Bytes::from).collect();
    cache
        .transact(&keys, |txn| {
            for key in ["t:a", "t:b", "t:c"] {
                txn.put(key.as_bytes(), Value::from("x"), None);
            }
            Ok(())
        })
        .await
        .unwrap();
    let after = std::fs::metadata(&segment).unwrap().len();
    assert!(after > before);
    cache.shutdown(Duration::ZERO).await;
    drop(cache);
    assert_eq!(segments(dir.path()).len(), 1, "one segment");

    for cut in before..=after {
        let copy = tempfile::tempdir().unwrap();
        copy_tree(dir.path(), copy.path());
        let torn = copy.path().join("log").join(segment.file_name().unwrap());
        std::fs::OpenOptions::new().write(true).open(&torn).unwrap().set_len(cut).unwrap();
        let store = MemoryStore::new();
        let cache = open(&store, copy.path()).await;
        cache.flush().await.unwrap();
        let stored = store.snapshot();
        for i in 0..3 {
            assert!(stored.contains_key(&Bytes::from(format!("single{i}"))), "cut at {cut}");
        }
        let kept: Vec<bool> = keys.iter().map(|k| stored.contains_key(k)).collect();
        let whole = cut == after;
        assert_eq!(kept, [whole; 3], "cut at {cut} of {before}..{after}");
        cache.shutdown(Duration::from_secs(5)).await;
    }
}

/// The log's segment files in `dir`, in order.
fn segments(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut segments: Vec<_> = std::fs::read_dir(dir.join("log"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    segments.sort();
    segments
}

#[tokio::test]
async fn damage_in_the_middle_stops_the_start_unless_salvaged() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    let segments = leave_in_log(&store, dir.path(), 50).await;
    let first = &segments[0];
    let mut bytes = std::fs::read(first).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(first, &bytes).unwrap();

    let message = refused_open(&store, dir.path()).await;
    let name = first.file_name().unwrap().to_string_lossy().into_owned();
    assert!(message.contains(&name), "names the file: {message}");
    assert!(message.contains("salvage"), "says how to proceed: {message}");

    let cache =
        cache_with(&store, |b| b.data_dir(dir.path(), Fsync::Always).log_salvage(true)).await;
    cache.flush().await.unwrap();
    let kept = store.snapshot().len();
    assert!(kept > 0 && kept < 50, "kept what precedes the damage: {kept}");
    let salvaged = std::fs::read_dir(dir.path().join("log"))
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("salvaged-"));
    assert!(salvaged, "the damaged part was moved aside, not deleted");
}

/// A dead letter the file could not take holds the log's low-water mark:
/// after a crash the acknowledged write is still somewhere (here, replayed
/// and dead-lettered again).
#[tokio::test]
async fn a_dead_letter_the_file_could_not_take_is_kept_by_the_log() {
    let (dir, store) = refusing_bad();
    std::fs::create_dir_all(dir.path().join("dead-letters/queue.tmp")).unwrap(); // the rewrite fails
    let cache = open(&store, dir.path()).await;
    dead_letter_bad(&cache).await; // acknowledged, fsynced
    tokio::time::sleep(Duration::from_millis(300)).await; // a checkpoint passes
    drop(cache); // crash
    tokio::time::sleep(Duration::from_millis(100)).await;
    std::fs::remove_dir(dir.path().join("dead-letters/queue.tmp")).unwrap(); // disk fixed
    let cache = open(&store, dir.path()).await;
    cache.flush().await.unwrap();
    assert!(
        !cache.dead_letters().is_empty() || store.snapshot().contains_key(&Bytes::from("bad")),
        "acknowledged write gone: not in the store, not a dead letter"
    );
}

/// A dead letter whose record the checkpoint has not yet passed is not
/// replayed after a crash (it would only be refused again).
#[tokio::test]
async fn a_crash_does_not_duplicate_a_dead_letter() {
    let (dir, store) = refusing_bad();
    let cache = open(&store, dir.path()).await;
    dead_letter_bad(&cache).await;
    drop(cache); // crash before the next checkpoint tick
    tokio::time::sleep(Duration::from_millis(100)).await;
    let cache = open(&store, dir.path()).await;
    cache.flush().await.unwrap();
    let letters = cache.dead_letters();
    assert_eq!(letters.len(), 1, "one refused write, one letter");
}

/// A store that refuses for good, after 100 ms, any write setting the map
/// field `a`, and that can hold every other write back (paused) to keep it
/// pending.
#[derive(Clone, Default)]
struct RefuseFieldA {
    inner: MemoryStore,
    gate: std::sync::Arc<tokio::sync::RwLock<()>>,
}

impl jotter::Store for RefuseFieldA {
    async fn write(&self, batch: &[jotter::Write]) -> Result<(), jotter::StoreError> {
        let sets_a = |w: &jotter::Write| match &w.change {
            jotter::Change::Patch { fields, .. } => fields.iter().any(|f| f.field == "a"),
            _ => false,
        };
        if batch.iter().any(sets_a) {
            // Refused after a while, so that writes can queue behind it.
            tokio::time::sleep(Duration::from_millis(100)).await;
            return Err(jotter::StoreError::permanent("constraint"));
        }
        let _open = self.gate.read().await;
        self.inner.write(batch).await
    }

    async fn load(&self, key: &Bytes) -> Result<Option<jotter::Entry>, jotter::StoreError> {
        self.inner.load(key).await
    }

    async fn max_version(&self) -> Result<u64, jotter::StoreError> {
        self.inner.max_version().await
    }
}

/// A field write queued behind a whole write that was dead-lettered is sent
/// with a reset of the key (see `dead_letter/mod.rs`); that reset must survive a
/// crash too, or after a restart the field would land under the old value
/// and vanish.
#[tokio::test]
async fn the_reset_given_after_a_dead_letter_survives_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let store = RefuseFieldA::default();
    let build = |store: &RefuseFieldA| {
        Cache::builder(store.clone())
            .data_dir(dir.path(), Fsync::Always)
            .flush_interval(Duration::from_millis(10))
            .dead_letter_after(1)
            .build()
    };
    let cache = build(&store).await.unwrap();
    cache.put("k", "old").await.unwrap();
    cache.flush().await.unwrap();

    // Every write but the refused one waits: the field write stays pending.
    let paused = store.gate.write().await;
    let map: std::collections::BTreeMap<Bytes, Bytes> =
        [(Bytes::from("a"), Bytes::from("1"))].into();
    cache.put("k", Value::Hash(std::sync::Arc::new(map))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await; // in flight now
    cache.set_field("k", "b", jotter::FieldValue::Bytes("2".into())).await.unwrap();
    while cache.dead_letters().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await; // the field write is sent, and waits
    let before = cache.get("k").await.unwrap();
    drop(cache); // crash: the workers stop with the field write unsent
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(paused);

    let cache = build(&store).await.unwrap();
    cache.flush().await.unwrap();
    let after = cache.get("k").await.unwrap();
    let stored = store.inner.snapshot().get(&Bytes::from("k")).cloned();
    assert_eq!(after, before, "the cache shows what it showed before the crash");
    assert_eq!(stored, before, "and so does the store");
    assert_eq!(before.and_then(|v| v.field(b"b")), Some(jotter::FieldValue::Bytes("2".into())));
}

/// With a log, a restart while the store is unreachable still starts (the
/// backlog is in the log), reads see the replayed writes, and new writes are
/// versioned above the old ones, so they win once the store is back.
#[tokio::test]
async fn the_cache_starts_from_its_log_while_the_store_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    store.faults().fail_next_writes(u64::MAX);
    let cache = open(&store, dir.path()).await;
    let old = cache.put("k", "before").await.unwrap().version();
    cache.shutdown(Duration::ZERO).await;
    drop(cache);

    store.faults().fail_next_loads(u64::MAX); // the store cannot even be read
    let cache = open(&store, dir.path()).await;
    assert_eq!(cache.get("k").await.unwrap(), Some(Value::from("before")));
    let new = cache.put("k", "after").await.unwrap().version();
    assert!(new > old);
    store.faults().fail_next_loads(0);
    store.faults().fail_next_writes(0);
    cache.flush().await.unwrap();
    assert_eq!(store.snapshot().get(&Bytes::from("k")), Some(&Value::from("after")));
}
