//! Memory bounds: what the engine holds for a key is counted where the
//! bounds can see it (a kept view in the pending bytes), and `max_memory`
//! bounds pending and clean together: clean entries make room first, and
//! the full policy answers once pending writes alone reach it.

use std::time::Duration;

use jotter::{BoundKind, Cache, Error, FullPolicy, MemoryStore};

/// A store whose writes all fail (transiently): everything stays pending.
fn unreachable_store() -> MemoryStore {
    let store = MemoryStore::new();
    store.faults().fail_next_writes(u64::MAX);
    store
}

#[tokio::test]
async fn a_kept_view_of_a_large_map_counts_in_the_pending_bytes() {
    let cache = Cache::builder(unreachable_store())
        .flush_interval(Duration::from_millis(10))
        .build()
        .await
        .unwrap();
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
    let cache = Cache::builder(store.clone())
        .max_memory(max_memory)
        .cache_bytes(1 << 30)
        .full_policy(FullPolicy::Reject)
        .flush_interval(Duration::from_millis(10))
        .build()
        .await
        .unwrap();
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
