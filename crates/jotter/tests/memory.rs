//! Memory bounds: what the engine holds for a key is counted where the
//! bounds can see it (a kept view in the pending bytes), and `max_memory`
//! bounds pending and clean together: clean entries make room first, and
//! the full policy answers once pending writes alone reach it.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::cache_with;
use jotter::{BoundKind, Cache, Error, FieldValue, FullPolicy, MapKind, MemoryStore, Value};

/// A store whose writes all fail (transiently): everything stays pending.
fn unreachable_store() -> MemoryStore {
    let store = MemoryStore::new();
    store.faults().fail_next_writes(u64::MAX);
    store
}

/// A cache in front of [`unreachable_store`].
async fn pending_only() -> Cache<MemoryStore> {
    Cache::builder(unreachable_store())
        .flush_interval(Duration::from_millis(10))
        .build()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_kept_view_of_a_large_map_counts_in_the_pending_bytes() {
    let cache = pending_only().await;
    let members = 2_000;
    for i in 0..members {
        cache.incr_score("board", format!("player:{i:06}"), 1.0).await.unwrap();
    }
    // The map's one pending op and its kept view each hold every member:
    // the count must cover both, not the op alone.
    // A member weighs its name and 24 bytes in an op, its name and 48 in a
    // map (its score is kept twice there: by member and by rank).
    let name = "player:000000".len();
    let (in_op, in_map) = (name + 24, name + 48);
    let stats = cache.stats();
    assert_eq!(stats.pending_entries, 1);
    assert!(
        stats.pending_bytes >= (members * (in_op + in_map)) as u64,
        "pending_bytes {} for an op and a view of {members} members",
        stats.pending_bytes
    );
}

#[tokio::test]
async fn max_memory_evicts_clean_entries_first_then_the_full_policy_answers() {
    let store = MemoryStore::new();
    let max_memory = 256 * 1024;
    let cache = cache_with(&store, |b| {
        b.max_memory(max_memory)
            .cache_bytes(1 << 30)
            .full_policy(FullPolicy::Reject)
            .flush_interval(Duration::from_millis(10))
    })
    .await;
    // Clean entries: stored, and read from memory afterwards.
    let clean = 100;
    for i in 0..clean {
        cache.put(format!("clean:{i:04}"), vec![b'c'; 200]).await.unwrap();
    }
    cache.flush().await.unwrap();
    for i in 0..clean {
        cache.get(format!("clean:{i:04}")).await.unwrap().unwrap();
    }
    let loads = cache.stats().loads;

    // The store goes away; pending writes grow until max_memory is reached.
    store.faults().fail_next_writes(u64::MAX);
    let mut accepted = 0u64;
    let refused = loop {
        match cache.put(format!("pending:{accepted:08}"), vec![b'p'; 64]).await {
            Ok(_) => accepted += 1,
            Err(e) => break e,
        }
        assert!(accepted < 1_000_000, "max_memory never answered");
    };
    assert!(
        matches!(refused, Error::Full { bound: BoundKind::Memory, limit } if limit == max_memory),
        "{refused}"
    );
    assert!(refused.to_string().contains("max_memory"), "{refused}");
    let stats = cache.stats();
    assert!(stats.pending_bytes <= max_memory, "{stats:?}");
    assert!(stats.pending_bytes > max_memory * 9 / 10, "pending writes may take it all: {stats:?}");
    // Nothing pending was dropped to make room: every accepted write reads back.
    for i in (0..accepted).step_by(97) {
        assert!(cache.get(format!("pending:{i:08}")).await.unwrap().is_some(), "pending:{i}");
    }
    // The clean entries were evicted to make that room: reading them now
    // goes to the store.
    for i in 0..clean {
        cache.get(format!("clean:{i:04}")).await.unwrap().unwrap();
    }
    assert!(cache.stats().loads >= loads + clean as u64 / 2, "clean entries were not evicted");
}

/// Keys, values and fields the cache keeps are its own copies: a write
/// whose bytes are slices of a larger buffer (a server's read buffer) does
/// not keep that buffer alive, through a plain write, a field write (with
/// its kept view) or a transaction of two keys (with its group).
#[tokio::test]
async fn kept_keys_and_values_do_not_keep_the_buffer_they_were_sliced_from() {
    let cache = pending_only().await;
    // Every 16-byte slice of it differs from the others.
    let buffer: Bytes = (0..16 * 1024).map(|i| (i % 251) as u8).collect();
    let at = |i: usize| buffer.slice(i * 16..(i + 1) * 16);

    cache.put(at(0), Value::Blob(at(1))).await.unwrap();
    cache.set_field(at(2), at(3), FieldValue::Bytes(at(4))).await.unwrap();
    cache.set_field(at(2), at(5), FieldValue::Bytes(at(6))).await.unwrap();
    cache.incr_score(at(7), at(8), 1.0).await.unwrap();
    let keys = [at(9), at(10)];
    cache
        .transact(&keys, |txn| {
            txn.put(&keys[0], Value::Blob(at(11)), None);
            txn.set_fields(&keys[1], MapKind::Hash, vec![(at(12), Some(FieldValue::Bytes(at(13))))])
        })
        .await
        .unwrap();
    drop(keys);

    // Everything is still pending and reads back...
    assert_eq!(cache.stats().pending_entries, 5);
    assert_eq!(cache.get(at(0)).await.unwrap(), Some(Value::Blob(at(1))));
    // ...yet nothing of the cache's refers to the buffer any more.
    assert!(buffer.is_unique(), "the cache keeps a slice of the buffer");
}
