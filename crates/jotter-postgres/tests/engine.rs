//! The engine over the PostgreSQL store, with faults of the real database:
//! connections killed under load lose nothing acknowledged, a row the
//! database refuses is dead-lettered while the rest of its batch lands,
//! keys, fields and members of any length land, and expiring keys leave
//! the bookkeeping bounded.

mod common;

use common::long;

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
    common::flush(&cache).await;

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
    // A constraint the operator added: no negative balances.
    let c = common::client_after(
        &schema,
        "ALTER TABLE jotter_strings ADD CONSTRAINT no_negative
         CHECK (convert_from(value, 'UTF8') NOT LIKE '-%')",
    )
    .await;
    let cache = common::quick_retry_cache(store).await;
    for i in 0..20 {
        cache.put(format!("balance:{i}"), "10").await.expect("put");
    }
    cache.put("balance:bad", "-5").await.expect("put");
    common::flush(&cache).await;

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

/// What the engine acknowledges, PostgreSQL stores: a 3 KB and a 1 MB key,
/// a long hash field and a long sorted-set member land, none is
/// dead-lettered, and a new cache over the same tables reads them back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_keys_fields_and_members_acknowledged_by_the_engine_land() {
    use jotter::FieldValue;
    let Some((store, _schema)) = common::store("engine_long").await else { return };
    let (k3, k1m, hk, zk) = (long(1, 3_000), long(2, 1 << 20), long(3, 3_000), long(4, 3_000));
    let (field, member) = (long(5, 3_000), long(6, 3_000));
    let cache = common::quick_retry_cache(store.clone()).await;
    cache.put(k3.clone(), "three").await.expect("put");
    cache.put(k1m.clone(), long(7, 1 << 20)).await.expect("put");
    cache.set_field(hk.clone(), field.clone(), FieldValue::Bytes("fv".into())).await.expect("h");
    cache.set_field(zk.clone(), member.clone(), FieldValue::Score(2.5)).await.expect("z");
    common::flush(&cache).await;
    assert!(cache.dead_letters().is_empty(), "{:?}", cache.dead_letters().len());
    let report = cache.shutdown(Duration::from_secs(10)).await;
    assert_eq!(report.pending_entries, 0);

    let cache = Cache::builder(store).build().await.expect("cache");
    assert_eq!(cache.get(k3).await.expect("get"), Some("three".into()));
    assert_eq!(cache.get(k1m).await.expect("get"), Some(long(7, 1 << 20).into()));
    let h = cache.get(hk).await.expect("get").expect("hash");
    assert_eq!(h.field(&field), Some(FieldValue::Bytes("fv".into())));
    let z = cache.get(zk).await.expect("get").expect("zset");
    assert_eq!(z.field(&member), Some(FieldValue::Score(2.5)));
}

/// Rounds of new keys written with an expiry, expired and swept, and of
/// hash fields set and removed: with collection on, the PostgreSQL
/// bookkeeping holds at most about one round's rows and ends empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiring_keys_leave_the_bookkeeping_bounded() {
    use jotter::{FieldValue, MapKind, Value};
    let Some((store, schema)) = common::store("engine_collect").await else { return };
    const N: usize = 5_000;
    const ROUNDS: usize = 4;
    let cache = Cache::builder(store)
        .batch_size(2_000)
        .collect_bookkeeping(Duration::ZERO, Duration::from_millis(20))
        .build()
        .await
        .expect("cache");
    let c = common::raw_client(Some(&schema.name)).await.expect("raw");
    let bookkeeping = || async {
        let sql = "SELECT (SELECT count(*) FROM jotter_key_resets)
                        + (SELECT count(*) FROM jotter_field_tombstones)
                        + (SELECT count(*) FROM jotter_expiry)";
        c.query_one(sql, &[]).await.expect("count").get::<_, i64>(0)
    };
    let mut most = 0;
    for round in 0..ROUNDS {
        let soon = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_millis() as u64
            + 1;
        for i in 0..N {
            let key = bytes::Bytes::from(format!("token:{round}:{i}"));
            cache
                .transact(std::slice::from_ref(&key), |txn| {
                    txn.put(&key, Value::from("t"), Some(soon));
                    Ok(())
                })
                .await
                .expect("put");
            if i % 10 == 0 {
                let h = format!("prefs:{round}:{i}");
                cache.set_field(h.clone(), "a", FieldValue::Bytes("1".into())).await.expect("h");
                cache.set_field(h.clone(), "b", FieldValue::Bytes("2".into())).await.expect("h");
                cache.remove_field(h, MapKind::Hash, "a").await.expect("h");
            }
        }
        cache.flush().await.expect("flush");
        tokio::time::sleep(Duration::from_millis(5)).await;
        while cache.delete_expired(5_000).await.expect("sweep") > 0 {}
        cache.flush().await.expect("flush");
        most = most.max(bookkeeping().await);
    }
    assert!(most <= (2 * N) as i64, "{most} bookkeeping rows");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while bookkeeping().await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "{} rows left", bookkeeping().await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let live: i64 =
        c.query_one("SELECT count(*) FROM jotter_hashes", &[]).await.expect("count").get(0);
    assert_eq!(live, (ROUNDS * N / 10) as i64, "the live hash fields stay");
    cache.shutdown(Duration::from_secs(10)).await;
}
