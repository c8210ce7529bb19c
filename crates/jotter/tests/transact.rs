//! Transactions over several keys, key expiry and key listing: what the
//! server's multi-key commands, `MULTI`/`EXEC`, `EXPIRE` and `SCAN` stand on.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::{cache_flushing_every, cache_with};
use jotter::{Cache, Error, FieldValue, FullPolicy, MapKind, MemoryStore, Store, Txn, Value};

mod common;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn now_ms() -> u64 {
    u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

/// Runs `f` as one transaction over `keys`: its result (the tickets
/// dropped), or why it failed.
async fn transact<R>(
    cache: &Cache<impl Store>,
    keys: &[&str],
    f: impl FnMut(&mut Txn<'_>) -> Result<R, Error>,
) -> Result<R, Error> {
    let keys: Vec<Bytes> = keys.iter().map(|k| b(k)).collect();
    cache.transact(&keys, f).await.map(|(r, _tickets)| r)
}

/// Runs a transaction over `keys` that must fail, and checks that it wrote
/// none of them; its error.
async fn refused(
    cache: &Cache<impl Store>,
    keys: &[&str],
    f: impl FnMut(&mut Txn<'_>) -> Result<(), Error>,
) -> Error {
    let err = transact(cache, keys, f).await.unwrap_err();
    for key in keys {
        assert_eq!(cache.get(b(key)).await.unwrap(), None, "{key} was written");
    }
    err
}

fn int(v: Option<&Value>) -> i64 {
    v.and_then(Value::as_blob).map_or(0, |b| std::str::from_utf8(b).unwrap().parse().unwrap())
}

/// Transfers between two counters, racing on several threads, never let a
/// reader (itself a transaction) see the money in neither or both places,
/// and the store converges to the same total.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_transaction_over_two_keys_is_one_atomic_step() {
    let store = MemoryStore::new();
    let cache = Arc::new(cache_flushing_every(&store, Duration::from_millis(2)).await);
    let keys = [b("account:a"), b("account:b")];
    cache.put(keys[0].clone(), "1000").await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..4 {
        let cache = cache.clone();
        let keys = keys.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..300 {
                let (from, to) = if (i + t) % 2 == 0 { (0, 1) } else { (1, 0) };
                cache
                    .transact(&keys, |txn| {
                        let have = int(txn.get(&keys[from]));
                        let amount = have.min(7);
                        txn.put(&keys[from], Value::from((have - amount).to_string()), None);
                        let there = int(txn.get(&keys[to]));
                        txn.put(&keys[to], Value::from((there + amount).to_string()), None);
                        Ok(())
                    })
                    .await
                    .unwrap();
                let (sum, _) = cache
                    .transact(&keys, |txn| Ok(int(txn.get(&keys[0])) + int(txn.get(&keys[1]))))
                    .await
                    .unwrap();
                assert_eq!(sum, 1000, "a reader saw half a transfer");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    cache.flush().await.unwrap();
    let snapshot = store.snapshot();
    let stored: i64 = keys.iter().map(|k| int(snapshot.get(k))).sum();
    assert_eq!(stored, 1000);
}

/// A transaction whose closure fails writes nothing, even for the keys it
/// changed before failing.
#[tokio::test]
async fn a_failed_transaction_writes_nothing() {
    let store = MemoryStore::new();
    let cache = Cache::builder(store.clone()).build().await.unwrap();
    let err = refused(&cache, &["x", "y"], |txn| {
        txn.put(b"x", Value::from("changed"), None);
        txn.set_fields(b"y", MapKind::Hash, [(b("f"), Some(FieldValue::Score(1.0)))])
    })
    .await;
    assert!(matches!(err, Error::WrongType { .. }), "{err}");
    assert_eq!(cache.stats().writes_accepted, 0);
}

/// With the reject policy, a transaction that does not fit is refused as a
/// whole: none of its keys is written.
#[tokio::test]
async fn a_transaction_that_does_not_fit_is_refused_whole() {
    let store = MemoryStore::new();
    store.faults().fail_next_writes(u64::MAX);
    let cache =
        cache_with(&store, |b| b.max_pending_entries(3).full_policy(FullPolicy::Reject)).await;
    cache.put("filler", "1").await.unwrap();
    cache.put("filler2", "1").await.unwrap();
    let err = refused(&cache, &["p", "q"], |txn| {
        txn.put(b"p", Value::from("1"), None);
        txn.put(b"q", Value::from("1"), None);
        Ok(())
    })
    .await;
    assert!(matches!(err, Error::Full { .. }), "{err}");
    assert_eq!(cache.stats().pending_entries, 2);
}

/// An expired key reads as absent, the store loses it behind, and its
/// expiry travels to the store with the value.
#[tokio::test]
async fn an_expired_key_is_gone_from_the_cache_and_then_the_store() {
    let store = MemoryStore::new();
    let cache = Cache::builder(store.clone()).build().await.unwrap();
    let at = now_ms() + 150;
    transact(&cache, &["session"], |txn| {
        txn.set_fields(b"session", MapKind::Hash, [(b("user"), Some(FieldValue::Bytes(b("42"))))])?;
        assert!(txn.set_expiry(b"session", Some(at)));
        Ok(())
    })
    .await
    .unwrap();
    cache.flush().await.unwrap();
    assert_eq!(store.expiries().get(&b("session")), Some(&at), "the expiry is stored");
    let entry = cache.get_entry("session").await.unwrap().unwrap();
    assert_eq!(entry.expires_at, Some(at));

    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(cache.get("session").await.unwrap(), None, "expired reads as absent");
    // Reading does not write; the sweep (or any transaction) deletes it.
    assert_eq!(cache.delete_expired(100).await.unwrap(), 1);
    cache.flush().await.unwrap();
    assert!(!store.snapshot().contains_key(&b("session")), "deleted behind");
}

/// An expired key that is not resident (a new process, say) is found by
/// the sweep through the store and deleted, never loaded back as live.
#[tokio::test]
async fn the_sweep_finds_expired_keys_nobody_reads() {
    let store = MemoryStore::new();
    {
        let cache = Cache::builder(store.clone()).build().await.unwrap();
        let at = now_ms() + 50;
        transact(&cache, &["k"], |txn| {
            txn.put(b"k", Value::from("v"), Some(at));
            Ok(())
        })
        .await
        .unwrap();
        cache.shutdown(Duration::from_secs(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let cache = Cache::builder(store.clone()).build().await.unwrap();
    assert_eq!(cache.get("k").await.unwrap(), None, "an expired row is not loaded back as live");
    assert_eq!(cache.delete_expired(100).await.unwrap(), 1);
    cache.flush().await.unwrap();
    assert!(store.snapshot().is_empty());
    assert_eq!(cache.delete_expired(100).await.unwrap(), 0);
}

/// Keys come from the store with the buffer's writes on top, in byte
/// order, page by page.
#[tokio::test]
async fn keys_merge_the_store_with_pending_writes() {
    let store = MemoryStore::new();
    let cache = cache_flushing_every(&store, Duration::from_secs(3600)).await;
    for k in ["a", "b", "c", "e"] {
        cache.put(k, "1").await.unwrap();
    }
    cache.flush().await.unwrap();
    cache.delete("b").await.unwrap(); // pending: gone from the listing
    cache.put("d", "1").await.unwrap(); // pending: in it
    transact(&cache, &["e"], |txn| {
        txn.set_expiry(b"e", Some(1)); // long past: deleted
        Ok(())
    })
    .await
    .unwrap();
    let all = cache.keys(None, 100).await.unwrap();
    assert_eq!(all, vec![b("a"), b("c"), b("d")]);

    let mut paged = Vec::new();
    let mut after: Option<Bytes> = None;
    loop {
        let page = cache.keys(after.as_deref(), 2).await.unwrap();
        let Some(last) = page.last().cloned() else { break };
        paged.extend(page);
        after = Some(last);
    }
    assert_eq!(paged, all);
}

/// An increment keeps the key's expiry, as in Redis; a put clears it.
#[tokio::test]
async fn an_increment_keeps_the_expiry_and_a_put_clears_it() {
    let cache = Cache::builder(MemoryStore::new()).build().await.unwrap();
    let at = now_ms() + 60_000;
    transact(&cache, &["n"], |txn| {
        txn.put(b"n", Value::from("1"), Some(at));
        Ok(())
    })
    .await
    .unwrap();
    cache.incr("n", 5).await.unwrap();
    let entry = cache.get_entry("n").await.unwrap().unwrap();
    assert_eq!((entry.value, entry.expires_at), (Value::from("6"), Some(at)));
    cache.put("n", "0").await.unwrap();
    assert_eq!(cache.get_entry("n").await.unwrap().unwrap().expires_at, None);
}

/// A page whose every stored key is deleted in the buffer does not end the
/// listing: the keys after it still come.
#[tokio::test]
async fn a_page_of_deleted_keys_does_not_end_the_listing() {
    let store = MemoryStore::new();
    let cache = cache_flushing_every(&store, Duration::from_secs(3600)).await;
    for k in ["a", "b", "c"] {
        cache.put(k, "1").await.unwrap();
    }
    cache.flush().await.unwrap();
    cache.delete("a").await.unwrap();
    cache.delete("b").await.unwrap();
    assert_eq!(cache.keys(None, 2).await.unwrap(), vec![b("c")]);
}

/// A multi-key transaction over a key too large for the clean cache to
/// keep still runs: the loaded value is used directly.
#[tokio::test]
async fn a_transaction_over_a_key_too_large_to_cache_completes() {
    let store = MemoryStore::new();
    {
        let cache = Cache::builder(store.clone()).build().await.unwrap();
        let board: jotter::ScoreMap =
            (0..20_000).map(|i| (b(&format!("p{i}")), f64::from(i))).collect();
        cache.put("board", Value::Scores(Arc::new(board))).await.unwrap();
        cache.shutdown(Duration::from_secs(10)).await;
    }
    let cache = cache_with(&store, |b| b.cache_bytes(64 * 1024)).await;
    let keys = [b("board"), b("other")];
    let (members, _) = tokio::time::timeout(
        Duration::from_secs(10),
        cache.transact(&keys, |txn| {
            txn.put(b"other", Value::from("1"), None);
            Ok(txn.get(b"board").map(|v| match v {
                Value::Scores(m) => m.len(),
                _ => 0,
            }))
        }),
    )
    .await
    .expect("the transaction never finished")
    .unwrap();
    assert_eq!(members, Some(20_000));
}

/// A transaction's writes reach the store in one batch (one store
/// transaction), even when one of its keys still had an older write in
/// flight: the group waits for it, then goes whole. A barrier waits for the
/// group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transactions_writes_reach_the_store_together() {
    let store = common::Recording::new();
    let cache =
        cache_with(&store, |b| b.flush_workers(2).flush_interval(Duration::from_millis(5))).await;
    store.pause();
    cache.put("a", "old").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await; // "a" is in flight, held
    transact(&cache, &["a", "b", "c"], |txn| {
        txn.put(b"a", Value::from("new"), None);
        txn.put(b"b", Value::from("new"), None);
        txn.put(b"c", Value::from("new"), None);
        Ok(())
    })
    .await
    .unwrap();
    cache.put("c", "newer").await.unwrap(); // folds into the group's write
    store.resume();
    cache.flush().await.unwrap();
    let calls = store.calls.lock().clone();
    let together: Vec<_> =
        calls.iter().filter(|batch| batch.iter().any(|w| w.key == "b")).collect();
    assert_eq!(together.len(), 1, "b went out once: {calls:?}");
    let mut keys: Vec<_> = together[0].iter().map(|w| w.key.clone()).collect();
    keys.sort();
    assert_eq!(keys, [b("a"), b("b"), b("c")], "the group's batch");
    let snapshot = store.inner.snapshot();
    assert_eq!(snapshot.get(&b("a")), Some(&Value::from("new")));
    assert_eq!(snapshot.get(&b("c")), Some(&Value::from("newer")));
}

/// Transactions that are ready while a group is in the store wait for it
/// and then go out together, in one store batch, each group whole: a
/// stream of transactions costs a store commit per round, not one each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_ready_together_share_a_store_batch() {
    let store = common::Recording::new();
    let cache = cache_with(&store, |b| b.flush_interval(Duration::from_millis(5))).await;
    let pair = |i: usize| [format!("g{i}:a"), format!("g{i}:b")];
    let write_pair = |i: usize| {
        let keys = pair(i);
        let cache = &cache;
        async move {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            transact(cache, &keys, |txn| {
                txn.put(keys[0].as_bytes(), Value::from("1"), None);
                txn.put(keys[1].as_bytes(), Value::from("1"), None);
                Ok(())
            })
            .await
            .unwrap();
        }
    };
    store.pause();
    write_pair(0).await;
    tokio::time::sleep(Duration::from_millis(50)).await; // group 0 is in the store, held
    for i in 1..=40 {
        write_pair(i).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    store.resume();
    cache.flush().await.unwrap();
    let calls = store.calls.lock().clone();
    let batches: Vec<Vec<Bytes>> = calls
        .iter()
        .map(|batch| batch.iter().map(|w| w.key.clone()).filter(|k| k.starts_with(b"g")).collect())
        .filter(|keys: &Vec<Bytes>| !keys.is_empty())
        .collect();
    assert_eq!(batches.len(), 2, "group 0, then the forty others together: {batches:?}");
    assert_eq!(batches[0].len(), 2);
    assert_eq!(batches[1].len(), 80);
    for i in 1..=40 {
        for key in pair(i) {
            assert!(batches[1].contains(&b(&key)), "{key} in the second batch");
        }
    }
}

/// Two transactions over the same key keep their order, each group whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_over_one_key_stay_in_order() {
    let store = common::Recording::new();
    let cache = cache_flushing_every(&store, Duration::from_millis(5)).await;
    for round in 0..20 {
        let keys = [b("x"), b(&format!("y{round}"))];
        cache
            .transact(&keys, |txn| {
                txn.put(b"x", Value::from(round.to_string()), None);
                txn.put(&keys[1], Value::from(round.to_string()), None);
                Ok(())
            })
            .await
            .unwrap();
    }
    cache.flush().await.unwrap();
    assert_eq!(store.inner.snapshot().get(&b("x")), Some(&Value::from("19")));
    for batch in store.calls.lock().iter() {
        for w in batch.iter().filter(|w| w.key.starts_with(b"y")) {
            let round = &w.key[1..];
            let x = batch.iter().find(|w| w.key == "x").expect("x beside its y");
            assert_eq!(x.change, jotter::Change::Put(Bytes::copy_from_slice(round)));
        }
    }
}

/// Reading an expired key deletes it behind when it can, but a read is never
/// refused because that delete does not fit (full buffer, reject policy).
#[tokio::test]
async fn reading_an_expired_key_never_fails_for_its_delete() {
    let store = MemoryStore::new();
    store.faults().fail_next_writes(u64::MAX); // nothing drains
    let cache =
        cache_with(&store, |b| b.max_pending_entries(2).full_policy(FullPolicy::Reject)).await;
    transact(&cache, &["session"], |txn| {
        txn.put(b"session", Value::from("v"), Some(now_ms() + 50));
        Ok(())
    })
    .await
    .unwrap();
    cache.put("filler", "1").await.unwrap(); // the buffer is full now
    tokio::time::sleep(Duration::from_millis(100)).await;
    for pair in [&[b("session")][..], &[b("session"), b("other")][..]] {
        let (seen, tickets) =
            cache.transact(pair, |txn| Ok(txn.get(b"session").cloned())).await.unwrap();
        assert_eq!((seen, tickets.len()), (None, 0));
    }
    assert!(matches!(cache.put("more", "1").await, Err(Error::Full { .. })), "still full");
}

/// With known keys, a miss on a key the store never held costs no store
/// read, while keys the store holds (expired ones included) still load.
#[tokio::test]
async fn known_keys_skip_the_store_read_for_new_keys_only() {
    let store = MemoryStore::new();
    {
        let cache = Cache::builder(store.clone()).build().await.unwrap();
        cache.put("stored", "1").await.unwrap();
        transact(&cache, &["old-session"], |txn| {
            txn.set_fields(
                b"old-session",
                MapKind::Hash,
                [(b("user"), Some(FieldValue::Bytes(b("7"))))],
            )?;
            txn.set_expiry(b"old-session", Some(now_ms() + 30));
            Ok(())
        })
        .await
        .unwrap();
        cache.shutdown(Duration::from_secs(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(60)).await;
    let cache = cache_with(&store, |b| b.known_keys(true)).await;
    let loads = store.loads();
    for i in 0..100 {
        cache.incr(format!("counter:{i}"), 1).await.unwrap();
    }
    assert_eq!(store.loads(), loads, "new counters need no store read");
    assert_eq!(cache.get("stored").await.unwrap(), Some(Value::from("1")));
    // The expired hash is known, so it is loaded, found expired and reset:
    // its old field does not come back under the new one.
    cache.set_field("old-session", "cart", FieldValue::Bytes(b("3"))).await.unwrap();
    cache.flush().await.unwrap();
    let session = store.snapshot().get(&b("old-session")).cloned().unwrap();
    assert_eq!(session.field(b"user"), None, "an expired field came back");
    assert_eq!(store.snapshot().get(&b("counter:7")), Some(&Value::from("1")));
}

/// A transaction over many keys that are not resident loads them in one
/// store call, not one per key.
#[tokio::test]
async fn cold_keys_of_a_transaction_load_in_one_call() {
    let store = common::Recording::new();
    {
        let cache = Cache::builder(store.clone()).build().await.unwrap();
        for i in 0..10 {
            cache.put(format!("k{i}"), i.to_string()).await.unwrap();
        }
        cache.shutdown(Duration::from_secs(5)).await;
    }
    let cache = Cache::builder(store.clone()).build().await.unwrap();
    let keys: Vec<Bytes> = (0..10).map(|i| b(&format!("k{i}"))).collect();
    let (sum, _) = cache
        .transact(&keys, |txn| Ok(keys.iter().map(|k| int(txn.get(k))).sum::<i64>()))
        .await
        .unwrap();
    assert_eq!(sum, 45);
    assert_eq!(*store.many_loads.lock(), vec![10], "one call for the ten keys");
}
