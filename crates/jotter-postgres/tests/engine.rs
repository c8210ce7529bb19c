//! The engine over the PostgreSQL store, with faults of the real database:
//! connections killed under load lose nothing acknowledged, and a row the
//! database refuses is dead-lettered while the rest of its batch lands.

mod common;

use std::time::Duration;

use jotter::Cache;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_connections_under_load_lose_nothing_and_the_queue_drains() {
    let Some((store, schema)) = common::store("engine_kill").await else { return };
    let cache = Cache::builder(store)
        .batch_size(200)
        .flush_interval(Duration::from_millis(5))
        .retry_backoff(Duration::from_millis(5), Duration::from_millis(100))
        .build()
        .await
        .expect("cache");
    const N: usize = 4_000;
    for i in 0..N {
        cache.put(format!("k:{i}"), format!("v{i}")).await.expect("put");
        if i % 1_000 == 500 {
            // Terminate the pool's backends mid-way, several times.
            common::terminate_backends(&schema).await;
        }
    }
    // Overwrite a few, so the newest value must win.
    for i in 0..100 {
        cache.put(format!("k:{i}"), format!("w{i}")).await.expect("put");
    }
    common::terminate_backends(&schema).await;
    tokio::time::timeout(Duration::from_secs(60), cache.flush())
        .await
        .expect("flush in time")
        .expect("flush");

    let c = common::raw_client(Some(&schema.name)).await.expect("raw");
    let rows = c
        .query(
            "SELECT convert_from(key, 'UTF8'), convert_from(value, 'UTF8') FROM jotter_strings",
            &[],
        )
        .await
        .expect("select");
    assert_eq!(rows.len(), N);
    for row in rows {
        let (k, v): (String, String) = (row.get(0), row.get(1));
        let i: usize = k.trim_start_matches("k:").parse().expect("key");
        let want = if i < 100 { format!("w{i}") } else { format!("v{i}") };
        assert_eq!(v, want, "{k}");
    }
    assert!(cache.dead_letters().is_empty());
    let report = cache.shutdown(Duration::from_secs(10)).await;
    assert_eq!(report.pending_entries, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_the_database_refuses_is_dead_lettered_and_the_rest_lands() {
    let Some((store, schema)) = common::store("engine_refuse").await else { return };
    let c = common::raw_client(Some(&schema.name)).await.expect("raw");
    // A constraint the operator added: no negative balances.
    c.batch_execute(
        "ALTER TABLE jotter_strings ADD CONSTRAINT no_negative
         CHECK (convert_from(value, 'UTF8') NOT LIKE '-%')",
    )
    .await
    .expect("constraint");
    let cache = Cache::builder(store)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(10))
        .build()
        .await
        .expect("cache");
    for i in 0..20 {
        cache.put(format!("balance:{i}"), "10").await.expect("put");
    }
    cache.put("balance:bad", "-5").await.expect("put");
    tokio::time::timeout(Duration::from_secs(60), cache.flush())
        .await
        .expect("flush in time")
        .expect("flush");

    let n: i64 = c.query_one("SELECT count(*) FROM jotter_strings", &[]).await.expect("n").get(0);
    assert_eq!(n, 20);
    let letters = cache.dead_letters();
    assert_eq!(letters.len(), 1);
    assert_eq!(&letters[0].write.key[..], b"balance:bad");
    assert!(letters[0].error.contains("no_negative"), "{}", letters[0].error);

    // The operator drops the constraint and replays.
    c.batch_execute("ALTER TABLE jotter_strings DROP CONSTRAINT no_negative").await.expect("drop");
    let report = cache.replay_dead_letters().await;
    assert_eq!(report.replayed, 1);
    let v: Vec<u8> = c
        .query_one("SELECT value FROM jotter_strings WHERE key = 'balance:bad'::bytea", &[])
        .await
        .expect("row")
        .get(0);
    assert_eq!(v, b"-5");
}
