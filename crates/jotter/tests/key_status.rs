//! `Cache::key_status`: where a key's newest write stands, from memory, in
//! each state a write passes through (absent, pending, in flight, retrying,
//! dead-lettered, clean), and the store's own version on demand.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use common::{Recording, cache_with};
use jotter::{FieldValue, KeyState, MemoryStore};

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn a_key_goes_from_absent_to_pending_to_clean() {
    let store = MemoryStore::new();
    let cache = cache_with(&store, |b| b.flush_interval(HOUR)).await;
    let absent = cache.key_status(b"k");
    assert_eq!(absent.state, KeyState::Absent);
    assert_eq!((absent.cache_version, absent.stored_version), (None, None));

    let before = SystemTime::now();
    cache.put("k", "1").await.unwrap();
    cache.put("k", "2").await.unwrap();
    let pending = cache.key_status(b"k");
    assert_eq!(pending.state, KeyState::Pending);
    assert_eq!(pending.pending_writes, 1, "two writes folded into one");
    let since = pending.pending_since.expect("a pending write has an age");
    assert!(since <= SystemTime::now(), "accepted in the past");
    assert!(since + Duration::from_secs(1) >= before, "not long before the writes");
    let version = pending.cache_version.expect("the cache holds the write");
    assert_eq!(pending.stored_version, None, "never stored");

    cache.flush().await.unwrap();
    let clean = cache.key_status(b"k");
    assert_eq!(clean.state, KeyState::Clean);
    assert_eq!(clean.cache_version, Some(version));
    assert_eq!(clean.stored_version, Some(version), "the store acknowledged the newest write");
    assert_eq!((clean.pending_writes, clean.pending_since), (0, None));
    let from_store = cache.key_status_from_store(b"k").await.unwrap();
    assert_eq!(from_store.store_version, Some(version));
    assert_eq!(cache.key_status_from_store(b"other").await.unwrap().store_version, None);
}

#[tokio::test]
async fn a_write_the_store_is_writing_is_in_flight_and_the_next_one_waits_behind() {
    let store = Recording::new();
    let cache = cache_with(&store, |b| b.flush_interval(HOUR)).await;
    cache.put("k", "1").await.unwrap();
    cache.flush().await.unwrap();
    let first = cache.key_status(b"k").stored_version.expect("stored");

    store.pause();
    cache.put("k", "2").await.unwrap();
    let flushing = tokio::spawn({
        let store = store.clone();
        async move {
            // The batch reaches the store and waits there.
            while store.writes_of("k").len() < 2 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    let barrier = cache.flush();
    tokio::pin!(barrier);
    tokio::select! {
        _ = &mut barrier => panic!("the store is paused; the flush cannot end"),
        r = flushing => r.unwrap(),
    }
    let in_flight = cache.key_status(b"k");
    assert_eq!(in_flight.state, KeyState::InFlight);
    assert_eq!(in_flight.pending_writes, 1);
    assert!(in_flight.cache_version > Some(first));
    assert_eq!(in_flight.stored_version, Some(first), "the store still holds the first write");

    cache.put("k", "3").await.unwrap();
    let behind = cache.key_status(b"k");
    assert_eq!(behind.state, KeyState::InFlight, "the oldest write is the one under way");
    assert_eq!(behind.pending_writes, 2, "the newer write waits behind, not folded");

    store.resume();
    barrier.await.unwrap();
    cache.flush().await.unwrap();
    let clean = cache.key_status(b"k");
    assert_eq!(clean.state, KeyState::Clean);
    assert_eq!(clean.stored_version, behind.cache_version);
}

#[tokio::test]
async fn a_failing_store_leaves_the_write_retrying_with_its_error() {
    let store = MemoryStore::new();
    let cache = cache_with(&store, |b| {
        b.flush_interval(Duration::from_millis(1))
            .retry_backoff(Duration::from_secs(600), Duration::from_secs(600))
    })
    .await;
    store.faults().fail_next_writes(1);
    cache.put("k", "1").await.unwrap();
    let status = loop {
        let status = cache.key_status(b"k");
        if status.state == KeyState::Retrying {
            break status;
        }
        assert!(
            matches!(status.state, KeyState::Pending | KeyState::InFlight),
            "{:?} before the first attempt failed",
            status.state
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let error = status.last_error.expect("the store's error");
    assert!(!error.is_empty());
    assert_eq!(status.stored_version, None);
    assert!(status.dead_letter_ids.is_empty());
}

#[tokio::test]
async fn a_refused_write_is_dead_lettered_until_a_newer_one_is_stored() {
    let store = MemoryStore::new();
    let cache = cache_with(&store, |b| {
        b.flush_interval(HOUR)
            .dead_letter_after(1)
            .retry_backoff(Duration::from_millis(1), Duration::from_millis(1))
    })
    .await;
    cache.put("k", "old").await.unwrap();
    cache.flush().await.unwrap();
    let stored = cache.key_status(b"k").stored_version;

    store.faults().reject_key("k");
    cache.put("k", "refused").await.unwrap();
    let refused = cache.key_status(b"k").cache_version.unwrap();
    let _ = cache.flush().await;
    let dead = cache.key_status(b"k");
    assert_eq!(dead.state, KeyState::DeadLettered);
    assert_eq!(dead.dead_letter_ids, vec![refused], "the letter's id is its write's version");
    assert_eq!(dead.cache_version, Some(refused));
    assert!(dead.last_error.is_some_and(|e| !e.is_empty()));
    let from_store = cache.key_status_from_store(b"k").await.unwrap();
    assert_eq!(from_store.store_version, stored, "the store still holds the older write");
    assert_eq!(from_store.state, KeyState::DeadLettered);

    store.faults().accept_key(b"k");
    cache.put("k", "new").await.unwrap();
    assert_eq!(cache.key_status(b"k").state, KeyState::Pending, "a newer write is on its way");
    cache.flush().await.unwrap();
    let clean = cache.key_status(b"k");
    assert_eq!(clean.state, KeyState::Clean, "the newest write is in the store");
    assert_eq!(clean.dead_letter_ids, vec![refused], "the older letter is still listed");
    assert!(clean.stored_version > Some(refused));
}

#[tokio::test]
async fn a_replayed_letter_reads_clean_once_the_store_is_asked() {
    let store = MemoryStore::new();
    let cache = cache_with(&store, |b| b.dead_letter_after(1)).await;
    store.faults().reject_key("k");
    cache.put("k", "refused").await.unwrap();
    let _ = cache.flush().await;
    let id = cache.key_status(b"k").dead_letter_ids[0];
    store.faults().accept_key(b"k");
    assert_eq!(cache.replay_dead_letters().await.removed(), 1);

    // Memory keeps nothing of the key after a replay; the store settles it.
    assert_eq!(cache.key_status(b"k").state, KeyState::Absent);
    let asked = cache.key_status_from_store(b"k").await.unwrap();
    assert_eq!(asked.state, KeyState::Clean);
    assert_eq!((asked.store_version, asked.stored_version), (Some(id), Some(id)));
}

#[tokio::test]
async fn a_store_outage_leaves_the_write_retrying() {
    let store = MemoryStore::new();
    let cache = cache_with(&store, |b| b.flush_interval(HOUR)).await;
    cache.put("k", "1").await.unwrap();
    store.faults().set_unavailable(true);
    let barrier = cache.flush();
    tokio::pin!(barrier);
    let status = loop {
        tokio::select! {
            _ = &mut barrier => panic!("the store is down; the flush cannot end"),
            () = tokio::time::sleep(Duration::from_millis(1)) => {}
        }
        let status = cache.key_status(b"k");
        if status.state == KeyState::Retrying {
            break status;
        }
    };
    assert!(status.last_error.is_some());
    // A write accepted during the outage waits for the store, and says why.
    cache.put("later", "2").await.unwrap();
    let waiting = cache.key_status(b"later");
    assert!(matches!(waiting.state, KeyState::Pending | KeyState::InFlight), "{waiting:?}");
    let error = waiting.last_error.expect("the outage's error");
    assert!(error.starts_with("the store is unavailable: "), "{error}");
    store.faults().set_unavailable(false);
    barrier.await.unwrap();
    assert_eq!(cache.key_status(b"k").state, KeyState::Clean);
    cache.flush().await.unwrap();
    assert_eq!(cache.key_status(b"later").last_error, None);
}

#[tokio::test]
async fn a_map_with_writes_behind_its_stored_one_keeps_the_acknowledged_version() {
    let store = Recording::new();
    let cache = Arc::new(cache_with(&store, |b| b.flush_interval(HOUR)).await);
    let field = |v: &'static str| FieldValue::Bytes(Bytes::from_static(v.as_bytes()));
    cache.set_field("h", "f", field("1")).await.unwrap();
    cache.flush().await.unwrap();

    store.pause();
    cache.set_field("h", "f", field("2")).await.unwrap();
    let second = cache.key_status(b"h").cache_version;
    let barrier = tokio::spawn({
        let cache = cache.clone();
        async move { cache.flush().await }
    });
    while store.writes_of("h").len() < 2 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    cache.set_field("h", "g", field("3")).await.unwrap();
    let third = cache.key_status(b"h").cache_version;
    store.resume();
    barrier.await.unwrap().unwrap();

    let status = cache.key_status(b"h");
    assert_eq!(status.state, KeyState::Pending, "the third write waits for its flush");
    assert_eq!(status.stored_version, second, "the second write was acknowledged");
    assert_eq!(status.cache_version, third);
    cache.flush().await.unwrap();
    let clean = cache.key_status_from_store(b"h").await.unwrap();
    assert_eq!(clean.state, KeyState::Clean);
    assert_eq!((clean.stored_version, clean.store_version), (third, third));
}
