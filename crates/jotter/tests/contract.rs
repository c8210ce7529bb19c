//! The contract of DESIGN.md, line by line, and the traps that broke other
//! write-behind systems, each as a test against a fault-injecting store.
//! Time is tokio's paused clock: flush intervals and back-off run without
//! sleeping.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{Recording, blob, bounded_cache, cache_flushing_every, cache_with};
use jotter::{
    BoundKind, Cache, Change, Edit, Error, FieldValue, FullPolicy, MapKind, MemoryStore, Value,
    WriteMode,
};

fn key(i: usize) -> String {
    format!("k{i}")
}

#[tokio::test(start_paused = true)]
async fn a_hundred_updates_of_one_key_are_one_store_write() {
    let store = MemoryStore::new();
    let cache = Cache::builder(store.clone()).build().await.unwrap();
    for i in 0..100 {
        cache.put("counter", i.to_string()).await.unwrap();
    }
    cache.flush().await.unwrap();
    assert_eq!(store.rows_written(), 1);
    assert_eq!(store.snapshot()[&Bytes::from("counter")], blob("99"));
    let stats = cache.stats();
    assert_eq!((stats.writes_accepted, stats.store_writes), (100, 1));
    assert!((stats.coalescing_ratio - 100.0).abs() < f64::EPSILON);
}

#[tokio::test(start_paused = true)]
async fn a_batch_goes_when_full_or_when_its_oldest_write_is_old_enough() {
    let store = MemoryStore::new();
    let cache = cache_with(&store, |b| {
        b.batch_size(10).flush_interval(Duration::from_secs(1)).flush_workers(1)
    })
    .await;

    for i in 0..10 {
        cache.put(key(i), "v").await.unwrap();
    }
    // A full batch goes without waiting for the interval.
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(store.rows_written(), 10);

    for i in 10..13 {
        cache.put(key(i), "v").await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(store.rows_written(), 10, "a small batch waits for the interval");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(store.rows_written(), 13, "the oldest write reached the interval");
}

#[tokio::test(start_paused = true)]
async fn reads_see_the_newest_write_while_the_store_is_down() {
    let store = MemoryStore::new();
    let cache = cache_flushing_every(&store, Duration::from_millis(10)).await;
    // A counter's current value must be known before it can be
    // incremented: this one is resident (a miss would need the store).
    cache.incr("n", 2).await.unwrap();
    store.faults().fail_next_writes(1_000);
    store.faults().fail_next_loads(1_000);
    cache.put("a", "1").await.unwrap();
    cache.put("a", "2").await.unwrap();
    cache.incr("n", 3).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(cache.get("a").await.unwrap(), Some(blob("2")));
    assert_eq!(cache.get("n").await.unwrap(), Some(blob("5")));
    assert!(cache.stats().retries > 0);
    assert!(!cache.is_stored(b"a"));

    store.faults().fail_next_writes(0);
    cache.flush().await.unwrap();
    assert_eq!(store.snapshot()[&Bytes::from("a")], blob("2"));
    assert!(cache.is_stored(b"a"));
}

#[tokio::test(start_paused = true)]
async fn a_down_store_is_probed_with_growing_back_off_not_hammered() {
    let store = Recording::new();
    let cache = cache_with(&store, |b| {
        b.flush_interval(Duration::from_millis(10))
            .retry_backoff(Duration::from_millis(100), Duration::from_secs(10))
    })
    .await;
    store.inner.faults().fail_next_writes(u64::MAX);
    cache.put("a", "1").await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    // 100 ms doubling to a 10 s cap (each wait in its upper half): about
    // 10 attempts in a minute, not thousands.
    let calls = store.call_sizes().len();
    assert!((6..=16).contains(&calls), "{calls} store calls in 60 s");
    // Writes are still accepted meanwhile.
    cache.put("b", "2").await.unwrap();
    store.inner.faults().fail_next_writes(0);
    cache.flush().await.unwrap();
    assert_eq!(store.inner.snapshot().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn put_then_delete_and_delete_then_put_in_one_window_keep_their_order() {
    let store = MemoryStore::new();
    let cache = Cache::builder(store.clone()).build().await.unwrap();
    cache.put("gone", "x").await.unwrap();
    cache.put("back", "old").await.unwrap();
    cache.flush().await.unwrap();

    cache.put("gone", "y").await.unwrap();
    cache.delete("gone").await.unwrap();
    cache.delete("back").await.unwrap();
    cache.put("back", "new").await.unwrap();
    assert_eq!(cache.get("gone").await.unwrap(), None);
    assert_eq!(cache.get("back").await.unwrap(), Some(blob("new")));
    cache.flush().await.unwrap();
    let snap = store.snapshot();
    assert!(!snap.contains_key(&Bytes::from("gone")));
    assert_eq!(snap[&Bytes::from("back")], blob("new"));
}

#[tokio::test(start_paused = true)]
async fn mixed_puts_and_deletes_travel_in_one_full_batch() {
    // Batches must not be cut at every put/delete switch (docs/DESIGN.md, "shrinking batches").
    let store = Recording::new();
    let cache = cache_with(&store, |b| b.batch_size(100).flush_workers(1)).await;
    for i in 0..100 {
        if i % 2 == 0 {
            cache.put(key(i), "v").await.unwrap();
        } else {
            cache.delete(key(i)).await.unwrap();
        }
    }
    cache.flush().await.unwrap();
    assert_eq!(store.call_sizes(), vec![100]);
}

#[tokio::test(start_paused = true)]
async fn a_write_while_its_key_is_in_flight_is_not_lost() {
    // Lost update in flight (docs/DESIGN.md): the key must not be marked clean when the
    // older in-flight write is acknowledged.
    let store = Recording::new();
    let cache = cache_flushing_every(&store, Duration::from_millis(10)).await;
    store.pause();
    cache.put("k", "v1").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(store.writes_of("k").len(), 1, "v1 is in flight");
    cache.put("k", "v2").await.unwrap();
    store.resume();
    cache.flush().await.unwrap();
    assert_eq!(store.inner.snapshot()[&Bytes::from("k")], blob("v2"));
    let versions: Vec<u64> = store.writes_of("k").iter().map(|w| w.version).collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "one key's writes go in order: {versions:?}");
}

#[tokio::test(start_paused = true)]
async fn a_load_that_returns_after_a_newer_write_is_flushed_is_not_installed() {
    // Stale install (docs/DESIGN.md): a read-through load in flight while a write of the same key
    // lands and is flushed must not install the older value.
    let store = MemoryStore::new();
    store.faults().set_latency(Duration::from_millis(500));
    let seed = Cache::builder(store.clone()).build().await.unwrap();
    seed.put("k", "old").await.unwrap();
    seed.shutdown(Duration::from_secs(5)).await;

    let cache = Arc::new(cache_flushing_every(&store, Duration::from_millis(10)).await);
    let reader = tokio::spawn({
        let cache = cache.clone();
        async move { cache.get("k").await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    cache.put("k", "new").await.unwrap();
    store.faults().set_latency(Duration::ZERO);
    cache.flush().await.unwrap();
    let seen = reader.await.unwrap();
    assert!(seen == Some(blob("old")) || seen == Some(blob("new")), "{seen:?}");
    assert_eq!(
        cache.get("k").await.unwrap(),
        Some(blob("new")),
        "the stale load was not installed"
    );
}

#[tokio::test(start_paused = true)]
async fn a_hundred_readers_of_one_missing_key_cause_one_load() {
    let store = MemoryStore::new();
    store.faults().set_latency(Duration::from_millis(100));
    let cache = Arc::new(Cache::builder(store.clone()).build().await.unwrap());
    let readers: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get("missing").await.unwrap() })
        })
        .collect();
    for r in readers {
        assert_eq!(r.await.unwrap(), None);
    }
    assert_eq!(store.loads(), 1);
    assert_eq!(cache.get("missing").await.unwrap(), None);
    assert_eq!(store.loads(), 1, "absence is cached too");
}

#[tokio::test(start_paused = true)]
async fn one_refused_key_is_dead_lettered_and_the_rest_of_its_batch_lands() {
    let store = Recording::new();
    let cache =
        cache_with(&store, |b| b.flush_workers(1).batch_size(1000).dead_letter_after(3)).await;
    store.inner.faults().reject_key("bad");
    for i in 0..50 {
        cache.put(key(i), "v").await.unwrap();
    }
    let bad = cache.put("bad", "x").await.unwrap();
    for i in 50..100 {
        cache.put(key(i), "v").await.unwrap();
    }
    // The barrier does not hang on the poison record (docs/DESIGN.md, "poison record").
    cache.flush().await.unwrap();
    assert_eq!(store.inner.snapshot().len(), 100);
    assert!(matches!(cache.wait_stored(bad).await, Err(Error::DeadLettered(_))));
    let letters = cache.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].write.key, "bad");
    assert_eq!(letters[0].attempts, 3);
    assert!(letters[0].error.contains("refused"), "{}", letters[0].error);
    assert_eq!(cache.stats().dead_letters, 1);
    assert!(!cache.is_stored(b"bad"));

    // The operator fixes the cause and replays.
    store.inner.faults().accept_key(b"bad");
    let report = cache.replay_dead_letters().await;
    assert_eq!((report.replayed, report.failed), (1, 0));
    assert_eq!(store.inner.snapshot()[&Bytes::from("bad")], blob("x"));
    assert!(cache.dead_letters().is_empty());
}

#[tokio::test(start_paused = true)]
async fn dead_letters_that_fail_again_stay_until_purged() {
    let store = MemoryStore::new();
    let cache = cache_with(&store, |b| b.dead_letter_after(1)).await;
    store.faults().reject_key("bad");
    cache.put("bad", "x").await.unwrap();
    cache.flush().await.unwrap();
    let report = cache.replay_dead_letters().await;
    assert_eq!((report.replayed, report.failed), (0, 1));
    assert_eq!(cache.dead_letters()[0].attempts, 2);
    let unknown = cache.dead_letters()[0].id() + 1;
    assert_eq!(cache.purge_dead_letters_of_ids(&jotter::Selection::Ids(vec![unknown])), 0);
    assert_eq!(cache.purge_dead_letters(), 1);
    assert!(cache.dead_letters().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_entry_bound_is_exact_and_reject_names_it() {
    let store = Recording::new();
    let cache = bounded_cache(&store, 10, FullPolicy::Reject, Duration::from_millis(10)).await;
    store.pause();
    for i in 0..10 {
        cache.put(key(i), "v").await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await; // now in flight: still counted
    let err = cache.put("one-more", "v").await.unwrap_err();
    assert!(matches!(err, Error::Full { bound: BoundKind::Entries, limit: 10 }), "{err}");
    assert!(err.to_string().contains("max_pending_entries"), "{err}");
    // A write to a pending key that is not in flight folds in place; one
    // in flight needs a new entry.
    assert!(cache.put(key(0), "v2").await.is_err());
    assert_eq!(cache.stats().pending_entries, 10);
    store.resume();
    cache.flush().await.unwrap();
    cache.put("one-more", "v").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_byte_bound_is_exact() {
    let store = Recording::new();
    let cache =
        cache_with(&store, |b| b.max_pending_bytes(4096).full_policy(FullPolicy::Reject)).await;
    store.pause();
    let mut accepted = 0u64;
    while cache.put(format!("key-{accepted}"), vec![b'x'; 100]).await.is_ok() {
        accepted += 1;
    }
    let stats = cache.stats();
    // Filled up to the bound: no room was left for one more such write.
    let per_write = stats.pending_bytes / accepted;
    assert!(stats.pending_bytes <= 4096 && stats.pending_bytes + per_write > 4096, "{stats:?}");
    assert_eq!(stats.pending_entries, accepted);
    let too_big = cache.put("huge", vec![0u8; 5000]).await.unwrap_err();
    assert!(matches!(too_big, Error::TooLarge { .. }), "{too_big}");
    store.resume();
}

#[tokio::test(start_paused = true)]
async fn block_waits_for_room_then_times_out() {
    let store = Recording::new();
    let cache = Arc::new(
        bounded_cache(
            &store,
            2,
            FullPolicy::Block { timeout: Duration::from_secs(2) },
            Duration::from_millis(10),
        )
        .await,
    );
    store.pause();
    cache.put("a", "1").await.unwrap();
    cache.put("b", "1").await.unwrap();
    let err = cache.put("c", "1").await.unwrap_err();
    assert!(matches!(err, Error::FullTimeout { bound: BoundKind::Entries, .. }), "{err}");

    // Room given back releases a blocked writer.
    let writer = tokio::spawn({
        let cache = cache.clone();
        async move { cache.put("c", "1").await.map(drop) }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!writer.is_finished());
    store.resume();
    writer.await.unwrap().unwrap();
    cache.flush().await.unwrap();
    assert_eq!(store.inner.snapshot().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn write_through_policy_sends_the_write_itself_when_full() {
    let store = Recording::new();
    let cache = bounded_cache(&store, 1, FullPolicy::WriteThrough, Duration::from_secs(3600)).await;
    cache.put("a", "1").await.unwrap(); // fills the buffer
    let ticket = cache.put("b", "2").await.unwrap(); // goes straight to the store
    assert_eq!(store.inner.snapshot().get(&Bytes::from("b")), Some(&blob("2")));
    assert_eq!(store.writes_of("b").len(), 1);
    let alone = store.calls.lock().iter().any(|call| call.len() == 1 && call[0].key == "b");
    assert!(alone, "the direct write went in a store call of its own");
    cache.wait_stored(ticket).await.unwrap();
    assert_eq!(cache.get("b").await.unwrap(), Some(blob("2")));
    assert!(cache.is_stored(b"b"));
}

#[tokio::test(start_paused = true)]
async fn put_through_returns_once_the_store_has_the_write() {
    let store = MemoryStore::new();
    let cache = cache_flushing_every(&store, Duration::from_secs(3600)).await;
    cache.put("behind", "1").await.unwrap();
    cache.put_through("now", "2").await.unwrap();
    assert_eq!(store.snapshot().get(&Bytes::from("now")), Some(&blob("2")));
    cache.delete_through("now").await.unwrap();
    assert!(!store.snapshot().contains_key(&Bytes::from("now")));
}

#[tokio::test(start_paused = true)]
async fn a_ticket_resolves_when_its_write_is_stored() {
    let store = MemoryStore::new();
    let cache = Arc::new(cache_flushing_every(&store, Duration::from_secs(1)).await);
    let ticket = cache.put("k", "v").await.unwrap();
    let waiter = tokio::spawn({
        let cache = cache.clone();
        async move { cache.wait_stored(ticket).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiter.is_finished(), "a ticket does not hurry the flush");
    waiter.await.unwrap().unwrap();
    assert!(store.snapshot().contains_key(&Bytes::from("k")));
}

#[tokio::test(start_paused = true)]
async fn shutdown_drains_and_then_refuses_writes() {
    let store = MemoryStore::new();
    let cache = cache_flushing_every(&store, Duration::from_secs(3600)).await;
    for i in 0..1000 {
        cache.put(key(i), "v").await.unwrap();
    }
    let report = cache.shutdown(Duration::from_secs(10)).await;
    assert!(report.drained, "{report:?}");
    assert_eq!(report.pending_entries, 0);
    assert_eq!(store.snapshot().len(), 1000);
    assert!(matches!(cache.put("late", "v").await, Err(Error::ShuttingDown)));
}

#[tokio::test(start_paused = true)]
async fn shutdown_with_the_store_down_reports_what_is_left() {
    let store = MemoryStore::new();
    let cache = Cache::builder(store.clone()).build().await.unwrap();
    store.faults().fail_next_writes(u64::MAX);
    for i in 0..10 {
        cache.put(key(i), "v").await.unwrap();
    }
    let report = cache.shutdown(Duration::from_secs(3)).await;
    assert!(!report.drained);
    assert_eq!(report.pending_entries, 10);
}

#[tokio::test(start_paused = true)]
async fn ordered_keyspace_sends_every_write_in_order() {
    let store = Recording::new();
    let cache = cache_with(&store, |b| b.ordered_keyspace("events:")).await;
    for i in 0..5 {
        cache.put("events:sensor-7", i.to_string()).await.unwrap();
        cache.put("counter", i.to_string()).await.unwrap();
    }
    cache.flush().await.unwrap();
    let events: Vec<Change> =
        store.writes_of("events:sensor-7").into_iter().map(|w| w.change).collect();
    let expected: Vec<Change> = (0..5).map(|i| Change::Put(Bytes::from(i.to_string()))).collect();
    assert_eq!(events, expected);
    assert_eq!(store.writes_of("counter").len(), 1, "other keys still coalesce");
    // Every store call holds a key at most once.
    for call in store.calls.lock().iter() {
        let mut keys: Vec<_> = call.iter().map(|w| w.key.clone()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), call.len());
    }
}

#[tokio::test(start_paused = true)]
async fn ordered_mode_applies_to_every_key() {
    let store = Recording::new();
    let cache = cache_with(&store, |b| b.mode(WriteMode::Ordered)).await;
    for i in 0..3 {
        cache.put("k", i.to_string()).await.unwrap();
    }
    cache.flush().await.unwrap();
    assert_eq!(store.writes_of("k").len(), 3);
}

#[tokio::test(start_paused = true)]
async fn one_changed_member_of_a_large_map_is_one_field_in_the_store() {
    let store = Recording::new();
    let cache = Cache::builder(store.clone()).build().await.unwrap();
    let board: std::collections::BTreeMap<Bytes, f64> =
        (0..1000).map(|i| (Bytes::from(format!("player:{i}")), f64::from(i))).collect();
    cache.put("board:weekly", Value::Scores(Arc::new(board.into()))).await.unwrap();
    cache.flush().await.unwrap();

    for _ in 0..100 {
        cache.incr_score("board:weekly", "player:42", 15.0).await.unwrap();
    }
    cache.flush().await.unwrap();
    let writes = store.writes_of("board:weekly");
    let Change::Patch { fields, reset, .. } = &writes.last().unwrap().change else { panic!() };
    assert_eq!(*reset, None);
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].value, Some(FieldValue::Score(42.0 + 1500.0)));
    let stored = store.inner.snapshot()[&Bytes::from("board:weekly")].clone();
    assert_eq!(stored.field(b"player:42"), Some(FieldValue::Score(1542.0)));
    assert_eq!(stored.field(b"player:41"), Some(FieldValue::Score(41.0)));
}

#[tokio::test(start_paused = true)]
async fn field_writes_check_the_shape_and_coalesce_per_field() {
    let store = MemoryStore::new();
    let cache = Cache::builder(store.clone()).build().await.unwrap();
    cache.put("s", "blob").await.unwrap();
    let err = cache.set_field("s", "f", FieldValue::Bytes("v".into())).await.unwrap_err();
    assert!(matches!(err, Error::WrongType { .. }), "{err}");
    assert!(matches!(cache.incr_score("s", "m", 1.0).await, Err(Error::WrongType { .. })));

    cache.set_field("session:ab12", "user", FieldValue::Bytes("42".into())).await.unwrap();
    cache.set_field("session:ab12", "cart", FieldValue::Bytes("3".into())).await.unwrap();
    assert!(cache.remove_field("session:ab12", MapKind::Hash, "cart").await.unwrap());
    assert!(!cache.remove_field("session:ab12", MapKind::Hash, "cart").await.unwrap());
    cache.flush().await.unwrap();
    let stored = store.snapshot()[&Bytes::from("session:ab12")].clone();
    assert_eq!(stored.field(b"user"), Some(FieldValue::Bytes("42".into())));
    assert_eq!(stored.field(b"cart"), None);
    assert!(matches!(cache.incr("session:ab12", 1).await, Err(Error::WrongType { .. })));
}

#[tokio::test(start_paused = true)]
async fn modify_is_an_atomic_read_modify_write() {
    let store = MemoryStore::new();
    let cache = Arc::new(Cache::builder(store.clone()).build().await.unwrap());
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move {
                for _ in 0..100 {
                    cache.incr("n", 1).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(cache.get("n").await.unwrap(), Some(blob("800")));
    // Set-if-absent, as a caller would build SETNX.
    let (set, ticket) = cache
        .modify("n", |v| {
            Ok(if v.is_some() { (Edit::Keep, false) } else { (Edit::Put(blob("0")), true) })
        })
        .await
        .unwrap();
    assert!(!set && ticket.is_none());
    assert!(matches!(cache.incr("n", i64::MAX).await, Err(Error::NotAnInteger)));
    cache.flush().await.unwrap();
    assert_eq!(store.snapshot()[&Bytes::from("n")], blob("800"));
}

#[tokio::test(start_paused = true)]
async fn the_rate_limit_paces_the_backlog() {
    let store = MemoryStore::new();
    let cache =
        cache_with(&store, |b| b.max_store_writes_per_sec(1000).batch_size(100).flush_workers(1))
            .await;
    for i in 0..5000 {
        cache.put(key(i), "v").await.unwrap();
    }
    let start = tokio::time::Instant::now();
    cache.flush().await.unwrap();
    let took = start.elapsed();
    // 5,000 writes at 1,000/s: about 4 s after the first second's budget.
    assert!(took >= Duration::from_secs(3) && took <= Duration::from_secs(6), "{took:?}");
    assert_eq!(store.rows_written(), 5000);
}

#[tokio::test(start_paused = true)]
async fn versions_continue_above_what_the_store_holds_after_a_restart() {
    let store = MemoryStore::new();
    let first = Cache::builder(store.clone()).build().await.unwrap();
    let v1 = first.put("k", "1").await.unwrap().version();
    first.shutdown(Duration::from_secs(5)).await;
    let second = Cache::builder(store.clone()).build().await.unwrap();
    let v2 = second.put("k", "2").await.unwrap().version();
    assert!(v2 > v1);
    second.flush().await.unwrap();
    assert_eq!(store.snapshot()[&Bytes::from("k")], blob("2"));
}

#[tokio::test]
async fn bad_settings_are_refused_with_the_key_named() {
    let err = Cache::builder(MemoryStore::new()).batch_size(0).build().await.unwrap_err();
    assert!(err.to_string().contains("batch_size"), "{err}");
    let err = Cache::builder(MemoryStore::new()).flush_workers(0).build().await.unwrap_err();
    assert!(err.to_string().contains("flush_workers"), "{err}");
    let err = Cache::builder(MemoryStore::new()).max_pending_bytes(10).build().await.unwrap_err();
    assert!(err.to_string().contains("max_pending_bytes"), "{err}");
}
