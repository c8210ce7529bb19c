//! The dead-letter queue seen from the cache: ids, paging, replay by id or
//! all (never regressing a key written since), purge, and ids that survive
//! a restart. The store is a [`MemoryStore`] with injected faults.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use common::{Recording, blob, cache_with};
use jotter::{Cache, ErrorClass, Fsync, MemoryStore, Selection, Value};
use proptest::prelude::*;

async fn cache(store: &MemoryStore) -> Cache<MemoryStore> {
    cache_with(store, |b| b.dead_letter_after(1)).await
}

async fn cache_in(store: &MemoryStore, dir: &std::path::Path) -> Cache<MemoryStore> {
    cache_with(store, |b| b.dead_letter_after(1).data_dir(dir, Fsync::Always)).await
}

/// Makes each of `keys` a dead letter (the store refuses them while they
/// are written), then lets the store take them again.
async fn dead_letters_of(cache: &Cache<MemoryStore>, store: &MemoryStore, keys: &[&'static str]) {
    for key in keys {
        store.faults().reject_key(*key);
        cache.put(*key, format!("{key}-old")).await.unwrap();
    }
    cache.flush().await.unwrap();
    for key in keys {
        store.faults().accept_key(key.as_bytes());
    }
}

fn stored(store: &MemoryStore, key: &str) -> Option<Value> {
    store.snapshot().get(&Bytes::copy_from_slice(key.as_bytes())).cloned()
}

#[tokio::test]
async fn a_letter_is_listed_with_its_id_op_error_and_failure_times() {
    let store = MemoryStore::new();
    let cache = cache(&store).await;
    store.faults().reject_key("bad");
    cache.put("bad", "value").await.unwrap();
    cache.flush().await.unwrap();
    let letters = cache.dead_letters();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.id(), letter.write.version);
    assert_eq!(letter.op(), "set");
    assert_eq!(letter.value_size(), 5);
    assert_eq!(letter.value_prefix(3), "val");
    assert_eq!(letter.error_kind, ErrorClass::Permanent);
    assert!(!letter.error.is_empty());
    assert!(letter.first_failure <= letter.last_failure);
    assert_eq!(cache.dead_letter_count(), 1);
}

#[tokio::test]
async fn a_letter_refused_several_times_keeps_its_first_failure() {
    let store = MemoryStore::new();
    let backoff = Duration::from_millis(30);
    let cache =
        cache_with(&store, |b| b.dead_letter_after(3).retry_backoff(backoff, backoff)).await;
    store.faults().reject_key("bad");
    cache.put("bad", "value").await.unwrap();
    cache.flush().await.unwrap();
    let letter = &cache.dead_letters()[0];
    assert_eq!(letter.attempts, 3);
    // Two back-offs, each at least half of `backoff` (jitter), lie between
    // the first refusal and the last (times are kept to the millisecond).
    let between = letter.last_failure.duration_since(letter.first_failure).unwrap();
    assert!(between >= backoff - Duration::from_millis(1), "{between:?}");
}

#[tokio::test]
async fn pages_walk_the_queue_in_id_order_with_a_cursor() {
    let store = MemoryStore::new();
    let cache = cache(&store).await;
    dead_letters_of(&cache, &store, &["a", "b", "c", "d", "e"]).await;
    let all: Vec<u64> = cache.dead_letters().iter().map(|d| d.id()).collect();
    assert_eq!(all.len(), 5);
    assert!(all.is_sorted());

    let mut seen = Vec::new();
    let mut cursor = 0;
    loop {
        let (page, next) = cache.dead_letters_page(cursor, 2);
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|d| d.id()));
        match next {
            Some(next) => cursor = next,
            None => break,
        }
    }
    assert_eq!(seen, all);
    assert_eq!(cache.dead_letters_page(all[4], 10), (Vec::new(), None));
}

#[tokio::test]
async fn replay_by_ids_touches_only_those() {
    let store = MemoryStore::new();
    let cache = cache(&store).await;
    dead_letters_of(&cache, &store, &["a", "b", "c"]).await;
    let letters = cache.dead_letters();
    let (a, c) = (letters[0].id(), letters[2].id());
    let report = cache.replay_dead_letters_of(&Selection::Ids(vec![a, c, 1])).await;
    assert_eq!((report.replayed, report.superseded, report.failed), (2, 0, 0));
    assert_eq!(stored(&store, "a"), Some(blob("a-old")));
    assert_eq!(stored(&store, "b"), None, "not picked, not written");
    assert_eq!(stored(&store, "c"), Some(blob("c-old")));
    let left = cache.dead_letters();
    assert_eq!(left, vec![letters[1].clone()], "b untouched: same attempts, error, times");
}

#[tokio::test]
async fn a_refused_replay_keeps_the_letter_with_one_more_attempt_and_the_new_error() {
    let store = MemoryStore::new();
    let cache = cache(&store).await;
    dead_letters_of(&cache, &store, &["bad", "good"]).await;
    store.faults().reject_key("bad");
    let before = cache.dead_letters();

    // The batch is refused; isolated one by one, "good" still lands.
    let report = cache.replay_dead_letters().await;
    assert_eq!((report.replayed, report.failed), (1, 1));
    assert_eq!(stored(&store, "good"), Some(blob("good-old")));
    let after = cache.dead_letters();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].id(), before[0].id());
    assert_eq!(after[0].attempts, before[0].attempts + 1);
    assert_eq!(after[0].error_kind, ErrorClass::Permanent);
    assert!(after[0].last_failure >= before[0].last_failure);

    // A transient failure is recorded as such.
    store.faults().accept_key(b"bad");
    store.faults().fail_next_writes(1);
    let report = cache.replay_dead_letters().await;
    assert_eq!((report.replayed, report.failed), (0, 1));
    assert_eq!(cache.dead_letters()[0].error_kind, ErrorClass::Transient);
    assert_eq!(cache.dead_letters()[0].attempts, before[0].attempts + 2);

    assert_eq!(cache.replay_dead_letters().await.replayed, 1);
    assert_eq!(cache.dead_letter_count(), 0);
}

#[tokio::test]
async fn replaying_a_key_with_a_pending_write_removes_the_letter_and_keeps_the_new_value() {
    let store = Recording::new();
    let cache = cache_with(&store, |b| b.dead_letter_after(1)).await;
    store.inner.faults().reject_key("k");
    cache.put("k", "old").await.unwrap();
    cache.flush().await.unwrap();
    store.inner.faults().accept_key(b"k");
    store.pause();
    cache.put("k", "new").await.unwrap();
    let writes_before = store.calls.lock().len();

    let report = cache.replay_dead_letters().await;
    assert_eq!((report.replayed, report.superseded, report.failed), (0, 1, 0));
    assert_eq!(cache.dead_letter_count(), 0);
    assert_eq!(store.calls.lock().len(), writes_before, "nothing sent for a superseded letter");
    assert_eq!(cache.get("k").await.unwrap(), Some(blob("new")));

    store.resume();
    cache.flush().await.unwrap();
    assert_eq!(store.inner.snapshot().get(&Bytes::from("k")), Some(&blob("new")));
}

#[tokio::test]
async fn an_older_letter_of_a_key_with_a_newer_letter_is_superseded() {
    let store = MemoryStore::new();
    let cache = cache(&store).await;
    store.faults().reject_key("k");
    cache.put("k", "first").await.unwrap();
    cache.flush().await.unwrap();
    cache.put("k", "second").await.unwrap();
    cache.flush().await.unwrap();
    store.faults().accept_key(b"k");
    let letters = cache.dead_letters();
    assert_eq!(letters.len(), 2);

    let report = cache.replay_dead_letters_of(&Selection::Ids(vec![letters[0].id()])).await;
    assert_eq!((report.replayed, report.superseded), (0, 1));
    assert_eq!(stored(&store, "k"), None);
    let report = cache.replay_dead_letters().await;
    assert_eq!((report.replayed, report.superseded), (1, 0));
    assert_eq!(stored(&store, "k"), Some(blob("second")));
}

#[tokio::test]
async fn purge_by_ids_or_all() {
    let store = MemoryStore::new();
    let cache = cache(&store).await;
    dead_letters_of(&cache, &store, &["a", "b", "c"]).await;
    let ids: Vec<u64> = cache.dead_letters().iter().map(|d| d.id()).collect();
    assert_eq!(cache.purge_dead_letters_of_ids(&Selection::Ids(vec![ids[1], 1])), 1);
    let left: Vec<u64> = cache.dead_letters().iter().map(|d| d.id()).collect();
    assert_eq!(left, [ids[0], ids[2]]);
    assert_eq!(cache.purge_dead_letters_of_ids(&Selection::All), 2);
    assert_eq!(cache.dead_letter_count(), 0);
    assert!(store.snapshot().is_empty(), "a purge writes nothing");
}

#[tokio::test]
async fn ids_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    let cache = cache_in(&store, dir.path()).await;
    dead_letters_of(&cache, &store, &["a", "b"]).await;
    store.faults().reject_key("a");
    store.faults().reject_key("b");
    let before = cache.dead_letters();
    cache.shutdown(Duration::from_secs(5)).await;
    drop(cache);

    let cache = cache_in(&store, dir.path()).await;
    assert_eq!(cache.dead_letters(), before);
    store.faults().accept_key(b"b");
    let b = before[1].id();
    assert_eq!(cache.replay_dead_letters_of(&Selection::Ids(vec![b])).await.replayed, 1);
    assert_eq!(stored(&store, "b"), Some(blob("b-old")));
    // New letters after the restart get new ids, above the old ones.
    store.faults().reject_key("c");
    cache.put("c", "x").await.unwrap();
    cache.flush().await.unwrap();
    let ids: Vec<u64> = cache.dead_letters().iter().map(|d| d.id()).collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], before[0].id());
    assert!(ids[1] > b);
}

#[tokio::test]
async fn a_replay_cut_short_by_a_crash_loses_no_letter() {
    let dir = tempfile::tempdir().unwrap();
    let store = Recording::new();
    let open =
        || cache_with(&store, |b| b.dead_letter_after(1).data_dir(dir.path(), Fsync::Always));
    let cache = open().await;
    store.inner.faults().reject_key("k");
    cache.put("k", "v").await.unwrap();
    cache.flush().await.unwrap();
    assert_eq!(cache.dead_letters_of(b"k").len(), 1);
    store.inner.faults().accept_key(b"k");
    // The store takes the replayed write and does not answer; the process
    // ends there.
    store.pause();
    let calls = store.calls.lock().len();
    let replay = cache.replay_dead_letters();
    tokio::select! {
        _ = replay => panic!("the paused store answered"),
        () = async {
            while store.calls.lock().len() == calls {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        } => {}
    }
    drop(cache);
    store.resume();
    // The stopped cache's tasks let go of the log.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let cache = open().await;
    assert_eq!(cache.dead_letter_count(), 1, "the letter is still there");
    assert_eq!(cache.replay_dead_letters().await.removed(), 1);
    assert_eq!(store.inner.snapshot().get(&Bytes::from("k")), Some(&blob("v")));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever was dead-lettered and whatever was written since, replaying
    /// every letter leaves each key with its newest write: a replay never
    /// puts an older value over a newer one.
    #[test]
    fn a_replay_never_regresses_a_key(
        refused in proptest::collection::vec(0u8..4, 1..8),
        since in proptest::collection::vec(0u8..4, 0..6),
        pick_all in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let store = MemoryStore::new();
            let cache = cache(&store).await;
            let mut newest: BTreeMap<String, String> = BTreeMap::new();
            for (i, k) in refused.iter().enumerate() {
                let key = format!("k{k}");
                store.faults().reject_key(key.clone());
                let value = format!("refused-{i}");
                cache.put(key.clone(), value.clone()).await.unwrap();
                newest.insert(key, value);
            }
            cache.flush().await.unwrap();
            for k in 0..4u8 {
                store.faults().accept_key(format!("k{k}").as_bytes());
            }
            for (i, k) in since.iter().enumerate() {
                let key = format!("k{k}");
                let value = format!("since-{i}");
                cache.put(key.clone(), value.clone()).await.unwrap();
                newest.insert(key, value);
            }
            cache.flush().await.unwrap();
            let selection = if pick_all {
                Selection::All
            } else {
                Selection::Ids(cache.dead_letters().iter().map(|d| d.id()).collect())
            };
            let report = cache.replay_dead_letters_of(&selection).await;
            prop_assert_eq!(report.failed, 0);
            prop_assert_eq!(cache.dead_letter_count(), 0);
            for (key, value) in &newest {
                prop_assert_eq!(stored(&store, key), Some(blob(value)), "{}", key);
                prop_assert_eq!(cache.get(key.clone()).await.unwrap(), Some(blob(value)));
            }
            Ok(())
        })?;
    }
}
