//! The PostgreSQL store against the real database: the version rules case
//! by case, a differential property test against `MemoryStore` (with keys
//! and fields around and beyond what the indexes keep whole), keys of any
//! length, the upgrade of a database of the earlier release, collection of
//! bookkeeping, and the sorting of errors.

mod common;

use common::long;

use std::sync::LazyLock;

use bytes::Bytes;
use jotter::testing::{self, Universe, b, del, hash, hset, put, rules, value};
use jotter::{Change, FieldChange, FieldValue, MapKind, Store, Value, Write};

async fn count(schema: &common::Schema, sql: &str) -> i64 {
    let c = common::raw_client(Some(&schema.name)).await.expect("raw");
    c.query_one(sql, &[]).await.expect("count").get(0)
}

// ---- The rules, case by case ---------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_the_store_rules() {
    rules::all(|| common::store("rules")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_leaves_a_tombstone_row() {
    let Some((store, schema)) = common::store("tombstone").await else { return };
    rules::a_delete_leaves_a_tombstone(&store).await;
    assert_eq!(count(&schema, "SELECT count(*) FROM jotter_strings WHERE key = 'k'").await, 0);
    assert_eq!(
        count(&schema, "SELECT version FROM jotter_key_resets WHERE key = 'k'::bytea").await,
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_tombstone_is_a_row_until_a_newer_set() {
    let Some((store, schema)) = common::store("field_tomb").await else { return };
    let tombstones = || count(&schema, "SELECT count(*) FROM jotter_field_tombstones");
    rules::a_field_tombstone_blocks_an_older_set(&store).await;
    assert_eq!(tombstones().await, 1);
    rules::then_a_newer_set_lands(&store).await;
    assert_eq!(tombstones().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_leaves_live_rows_only() {
    let Some((store, schema)) = common::store("reset").await else { return };
    rules::a_reset_drops_older_fields_and_keeps_newer_ones(&store).await;
    assert_eq!(count(&schema, "SELECT count(*) FROM jotter_strings").await, 0);
    rules::then_a_put_replaces_the_map(&store).await;
    assert_eq!(count(&schema, "SELECT count(*) FROM jotter_hashes").await, 0);
}

// ---- Errors ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_unavailable() {
    // A port nobody listens on: the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/test");
    let err = jotter_postgres::PostgresStore::connect(&url).await.expect_err("nobody listens");
    assert!(err.is_unavailable(), "{err}");
    assert!(err.to_string().starts_with("store unavailable: "), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_row_is_permanent_with_the_database_message_and_rolls_back_the_batch() {
    let Some((store, schema)) = common::store("refused").await else { return };
    common::client_after(
        &schema,
        "ALTER TABLE jotter_strings ADD CONSTRAINT no_bad CHECK (key <> 'bad'::bytea)",
    )
    .await;
    rules::a_refused_row_fails_its_whole_batch(&store, &["no_bad", "23514"]).await;
    rules::then_the_rest_of_the_batch_lands(&store).await;

    // Data the store can never hold is refused before it is sent.
    let err = store.write(&[put("k", u64::MAX, "v")]).await.expect_err("too new");
    assert!(!err.is_transient(), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_connections_are_unavailable_and_the_next_write_succeeds() {
    let Some((store, schema)) = common::store("terminated").await else { return };
    store.write(&[put("k", 1, "v")]).await.expect("write");
    // A write in flight: it waits on a lock another session holds, while
    // its connection is terminated under it.
    let locker = common::raw_client(Some(&schema.name)).await.expect("raw");
    locker.batch_execute("BEGIN; LOCK TABLE jotter_strings IN EXCLUSIVE MODE").await.expect("lock");
    let writer = {
        let store = store.clone();
        tokio::spawn(async move { store.write(&[put("k", 2, "w")]).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(common::terminate_backends(&schema).await >= 1);
    let err = writer.await.expect("join").expect_err("the connection is gone");
    assert!(err.is_unavailable(), "a terminated connection is unavailable: {err}");
    locker.batch_execute("COMMIT").await.expect("unlock");
    // Any idle connection of the pool is killed too; the pool replaces it.
    common::terminate_backends(&schema).await;
    store.write(&[put("k", 2, "w")]).await.expect("the next write gets a new connection");
    assert_eq!(value(&store, "k").await, Some(Value::from("w")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_and_tls_without_the_feature_is_refused() {
    let Some((store, schema)) = common::store("schema_version").await else { return };
    let again = store.migrate().await.expect("migrate twice");
    let v = jotter_postgres::SCHEMA_VERSION;
    assert_eq!((again.from, again.to), (v, v));
    let c = common::raw_client(Some(&schema.name)).await.expect("raw");
    c.batch_execute("UPDATE jotter_meta SET value = '99' WHERE name = 'schema_version'")
        .await
        .expect("update");
    let options = jotter_postgres::PostgresOptions::default().with_schema(schema.name.clone());
    let err = jotter_postgres::PostgresStore::connect_with(&common::url(), options)
        .await
        .expect_err("schema 99 is unknown");
    assert!(!err.is_transient(), "{err}");
    assert!(err.message().contains("newer"), "{err}");

    #[cfg(not(feature = "tls"))]
    {
        let err =
            jotter_postgres::PostgresStore::connect(&format!("{}?sslmode=require", common::url()))
                .await
                .expect_err("tls");
        assert!(err.message().contains("sslmode=require"), "{err}");
    }
}

/// With the `tls` feature, `sslmode=require` connects over TLS (the local
/// server has `ssl = on` with a self-signed certificate, which `require`
/// does not check, as libpq).
#[cfg(feature = "tls")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_require_connects_over_tls() {
    let Some((_plain, schema)) = common::store("tls").await else { return };
    let options = jotter_postgres::PostgresOptions::default().with_schema(schema.name.clone());
    let url = format!("{}?sslmode=require", common::url());
    let store = jotter_postgres::PostgresStore::connect_with(&url, options)
        .await
        .expect("a TLS connection");
    store.write(&[put("k", 1, "over tls")]).await.expect("write");
    assert_eq!(value(&store, "k").await, Some(Value::from("over tls")));
    assert!(common::is_encrypted(&store).await, "the connection is not encrypted");
}

// ---- The differential property test --------------------------------------

/// Short keys, and long ones around the 512 bytes the indexes keep as
/// they are: one of exactly 512, and two beyond it that share those 512
/// bytes and differ after them (the shorter one the greater); fields as
/// long; listings paged after the long keys too.
static UNIVERSE: LazyLock<Universe> = LazyLock::new(|| {
    let x = |n: usize, tail: &[u8]| {
        let mut k = b"b".to_vec();
        k.resize(n, b'x');
        k.extend_from_slice(tail);
        Bytes::from(k)
    };
    let keys = vec![
        b("a"),
        Bytes::from_static(b"b\x00\xff"),
        b("c"),
        b(""),
        x(512, b""),
        x(3_000, b"\x01"),
        x(600, b"\x02"),
    ];
    Universe {
        cursors: vec![keys[1].clone(), keys[4].clone(), keys[6].clone()],
        keys,
        fields: vec![
            b("f"),
            Bytes::from_static(b"g\x00\xfe"),
            b(""),
            Bytes::from(vec![b'f'; 2_999]),
            Bytes::from([vec![b'f'; 600], b"g".to_vec()].concat()),
        ],
        scores: vec![f64::INFINITY, f64::NEG_INFINITY],
        cases: 24,
        batches: 24,
    }
});

#[test]
fn matches_memory_store() {
    testing::differential(&UNIVERSE, || common::store("prop"));
}

/// A batch with thousands of puts goes through COPY into a staging table;
/// it must follow the same rules as the small-batch path, checked against
/// MemoryStore: older puts ignored, newer ones applied, a delete and field
/// writes in the same batch, twice on one connection (the staging table is
/// reused and emptied at each commit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_batch_goes_through_copy_with_the_same_rules() {
    let Some((store, _schema)) = common::store("copy_path").await else { return };
    let memory = jotter::MemoryStore::new();
    let first: Vec<Write> = (0..5_000).map(|i| put(&format!("k{i}"), 10, "first")).collect();
    let mut second: Vec<Write> = (0..5_000)
        .map(|i| {
            let version = if i % 2 == 0 { 5 } else { 20 };
            put(&format!("k{i}"), version, "second")
        })
        .collect();
    second.push(Write::new(b("k-gone"), 30, Change::Delete));
    second.push(hset("h", None, &[("f", 31, Some("x"))]));
    for batch in [&first, &second] {
        store.write(batch).await.expect("postgres write");
        memory.write(batch).await.expect("memory write");
    }
    let keys: Vec<Bytes> =
        (0..5_000).map(|i| b(&format!("k{i}"))).chain([b("k-gone"), b("h")]).collect();
    let got = store.load_many(&keys).await.expect("load");
    let want = memory.load_many(&keys).await.expect("load");
    assert_eq!(got, want);
    assert_eq!(store.max_version().await.expect("max"), 31);
}

// ---- Keys, fields and members of any length --------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_fields_and_members_of_any_length_round_trip() {
    let Some((store, schema)) = common::store("long_keys").await else { return };
    let (k3, k1m, hk, zk) = (long(1, 3_000), long(2, 1 << 20), long(3, 3_000), long(4, 3_000));
    let (field, member) = (long(5, 4_000), long(6, 1 << 20));
    let value = long(7, 1 << 20);
    let patch = |key: &Bytes, kind, field: &Bytes, v: u64, value| Write {
        key: key.clone(),
        version: v,
        change: Change::Patch {
            kind,
            reset: None,
            fields: vec![FieldChange { field: field.clone(), version: v, value }],
        },
        expires_at: None,
    };
    store
        .write(&[
            Write::new(k3.clone(), 1, Change::Put(b("three"))),
            Write { expires_at: Some(5), ..Write::new(k1m.clone(), 2, Change::Put(value.clone())) },
            patch(&hk, MapKind::Hash, &field, 3, Some(FieldValue::Bytes(b("fv")))),
            patch(&zk, MapKind::Scores, &member, 4, Some(FieldValue::Score(1.5))),
        ])
        .await
        .expect("long keys are stored");
    assert_eq!(store.load(&k3).await.expect("load").map(|e| e.value), Some(Value::from("three")));
    let e = store.load(&k1m).await.expect("load").expect("1 MB key");
    assert_eq!((e.value, e.expires_at), (Value::Blob(value.clone()), Some(5)));
    let h = store.load(&hk).await.expect("load").expect("hash").value;
    assert_eq!(h.field(&field), Some(FieldValue::Bytes(b("fv"))));
    let z = store.load(&zk).await.expect("load").expect("zset").value;
    assert_eq!(z.field(&member), Some(FieldValue::Score(1.5)));

    // Listings see them in byte order, and page past them.
    let mut want = vec![k3.clone(), k1m.clone(), hk.clone(), zk.clone()];
    want.sort();
    assert_eq!(store.keys(None, 10, 0).await.expect("keys"), want);
    assert_eq!(store.keys(Some(&want[1]), 10, 0).await.expect("keys"), want[2..].to_vec());
    assert_eq!(store.expired(10, None, 10).await.expect("expired"), vec![k1m.clone()]);

    // Tombstones of long keys and fields block older writes.
    store
        .write(&[
            Write::new(k3.clone(), 10, Change::Delete),
            patch(&hk, MapKind::Hash, &field, 11, None),
            patch(&zk, MapKind::Scores, &member, 12, None),
        ])
        .await
        .expect("removals");
    store
        .write(&[
            Write::new(k3.clone(), 9, Change::Put(b("late"))),
            patch(&hk, MapKind::Hash, &field, 8, Some(FieldValue::Bytes(b("late")))),
            patch(&zk, MapKind::Scores, &member, 7, Some(FieldValue::Score(9.0))),
        ])
        .await
        .expect("late writes are ignored, not refused");
    for key in [&k3, &hk, &zk] {
        assert_eq!(store.load(key).await.expect("load"), None);
    }

    // Plain SQL still reads the full key and value.
    let c = common::raw_client(Some(&schema.name)).await.expect("raw");
    let key: &[u8] = &k1m;
    let row = c
        .query_one("SELECT length(key), value FROM jotter_strings WHERE key = $1", &[&key])
        .await
        .expect("plain SQL");
    assert_eq!(row.get::<_, i32>(0), 1 << 20);
    assert_eq!(row.get::<_, Vec<u8>>(1), value.to_vec());
}

/// Two keys that share their first 512 bytes (what the index keeps as it
/// is) and differ beyond are two keys, through the COPY path too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_keys_with_a_common_prefix_stay_apart_through_copy() {
    let Some((store, _schema)) = common::store("long_prefix").await else { return };
    let base = long(9, 2_000);
    let key = |i: usize| {
        let mut k = base.to_vec();
        k.extend_from_slice(format!("{i:05}").as_bytes());
        Bytes::from(k)
    };
    let batch: Vec<Write> = (0..5_000)
        .map(|i| Write::new(key(i), 1, Change::Put(Bytes::from(format!("v{i}")))))
        .collect();
    store.write(&batch).await.expect("copy path");
    let keys: Vec<Bytes> = (0..5_000).map(key).collect();
    let got = store.load_many(&keys).await.expect("load");
    for (i, e) in got.into_iter().enumerate() {
        assert_eq!(e.map(|e| e.value), Some(Value::from(format!("v{i}"))), "key {i}");
    }
    let mut listed = Vec::new();
    let mut after: Option<Bytes> = None;
    loop {
        let page = store.keys(after.as_deref(), 999, 0).await.expect("keys");
        let Some(last) = page.last().cloned() else { break };
        listed.extend(page);
        after = Some(last);
    }
    assert_eq!(listed, keys, "every key, once, in byte order");
}

/// A database written by the release at commit aa97f9d (schema version 2,
/// dumped by `pg_dump --inserts` into `tests/fixtures/postgres-schema-2.sql`
/// after `SET s1 v1`, `HSET h f1 a f2 b`, `ZADD z 1.5 m1 2 m2`, `SET gone
/// x`, `DEL gone`, `HSET h2 f x`, `HDEL h2 f`, `SET exp v EX 31536000`,
/// `SET s1 v2`, `HSET h f3 c`, `ZADD z 3 m3`, `SET pending p1`) is upgraded
/// in place: its rows read as they were written, its tombstones still
/// block older writes, listings still page in byte order, and a long key
/// can be stored after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_earlier_release_is_upgraded_in_place() {
    let Some((_store, schema)) = common::store("upgrade_2").await else { return };
    let old = format!("{}_v2", schema.name);
    let _old_schema = common::Schema { name: old.clone() };
    let dump = include_str!("fixtures/postgres-schema-2.sql").replace("jotter_base_fixture", &old);
    // A connection of its own: the dump empties its search_path.
    let c = common::raw_client(None).await.expect("raw");
    c.batch_execute(&dump).await.expect("load the dump");
    let options = jotter_postgres::PostgresOptions::default().with_schema(old.clone());
    let store =
        jotter_postgres::PostgresStore::connect_with(&common::url(), options).await.expect("up");
    assert_eq!(value(&store, "s1").await, Some(Value::from("v2")));
    assert_eq!(value(&store, "pending").await, Some(Value::from("p1")));
    assert_eq!(value(&store, "h").await, Some(hash(&[("f1", "a"), ("f2", "b"), ("f3", "c")])));
    let z = value(&store, "z").await.expect("z");
    assert_eq!(z.field(b"m3"), Some(FieldValue::Score(3.0)));
    let exp = store.load(&b("exp")).await.expect("load").expect("exp");
    assert!(exp.expires_at.is_some());
    assert_eq!(value(&store, "gone").await, None);
    assert_eq!(value(&store, "h2").await, None);
    let keys = store.keys(None, 100, 0).await.expect("keys");
    assert_eq!(keys, ["exp", "h", "pending", "s1", "z"].map(b).to_vec());
    assert_eq!(store.keys(Some(b"h"), 2, 0).await.expect("page"), ["pending", "s1"].map(b));

    // The tombstone of `gone` still blocks an older write; newer ones land.
    let sql = format!("SELECT version FROM {old}.jotter_key_resets WHERE key = '\\x676f6e65'");
    let reset: i64 = c.query_one(&sql, &[]).await.expect("reset").get(0);
    let reset = u64::try_from(reset).expect("version");
    store.write(&[put("gone", reset - 1, "late")]).await.expect("late");
    assert_eq!(value(&store, "gone").await, None);
    let now = store.max_version().await.expect("max") + 1;
    store.write(&[put("s1", now, "v3")]).await.expect("newer");
    assert_eq!(value(&store, "s1").await, Some(Value::from("v3")));
    let k = long(1, 3_000);
    store.write(&[Write::new(k.clone(), now + 1, Change::Put(b("x")))]).await.expect("long key");
    assert_eq!(store.load(&k).await.expect("load").map(|e| e.value), Some(Value::from("x")));
    let again = store.migrate().await.expect("migrate");
    let v = jotter_postgres::SCHEMA_VERSION;
    assert_eq!((again.from, again.to), (v, v));
}

// ---- Collecting bookkeeping ------------------------------------------------

/// Bookkeeping rows at or above the horizon stay and keep blocking older
/// writes; below it they go, mapped versions included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collection_keeps_tombstones_above_the_horizon_and_drops_those_below() {
    let Some((store, schema)) = common::store("collect").await else { return };
    let long_key = long(3, 3_000);
    store
        .write(&[
            put("k", 10, "x"),
            hset("h", None, &[("f", 10, Some("a")), ("g", 10, Some("b"))]),
            Write::new(long_key.clone(), 10, Change::Put(b("x"))),
        ])
        .await
        .expect("write");
    store
        .write(&[
            del("k", 20),
            hset("h", None, &[("f", 20, None)]),
            Write::new(long_key.clone(), 20, Change::Delete),
        ])
        .await
        .expect("removals");
    let c = common::raw_client(Some(&schema.name)).await.expect("raw");
    c.batch_execute(
        "INSERT INTO jotter_mapped_versions VALUES ('t', '\\x31', '', 5), ('t', '\\x32', '', 30)",
    )
    .await
    .expect("mapped versions");
    let rows = "SELECT (SELECT count(*) FROM jotter_key_resets)
                     + (SELECT count(*) FROM jotter_field_tombstones)
                     + (SELECT count(*) FROM jotter_expiry)
                     + (SELECT count(*) FROM jotter_mapped_versions)";
    // Resets of k and the long key, h's tombstone and expiry row, 2 versions.
    assert_eq!(count(&schema, rows).await, 6);
    assert_eq!(store.collect(15).await.expect("collect"), 1, "only the mapped version at 5");
    store
        .write(&[put("k", 12, "late"), hset("h", None, &[("f", 12, Some("late"))])])
        .await
        .expect("late writes");
    store.write(&[Write::new(long_key.clone(), 12, Change::Put(b("late")))]).await.expect("late");
    assert_eq!(value(&store, "k").await, None, "the delete still wins");
    assert_eq!(value(&store, "h").await, Some(hash(&[("g", "b")])), "the removal still wins");
    assert_eq!(store.load(&long_key).await.expect("load"), None);
    assert_eq!(store.collect(25).await.expect("collect"), 4);
    assert_eq!(count(&schema, rows).await, 1, "the mapped version at 30 stays");
    assert_eq!(value(&store, "h").await, Some(hash(&[("g", "b")])), "live data stays");
}
