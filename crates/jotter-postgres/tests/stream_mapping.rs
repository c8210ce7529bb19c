//! Streams mapped into the user's own events table ([`Shape::Stream`])
//! against the real PostgreSQL: each entry one row, a large batch through
//! `COPY`, a replayed batch adding nothing, XDEL deleting its row, a trim
//! leaving the table alone while the store's own copy of the stream (which
//! is what reads back) drops the trimmed entries.

mod common;

use std::collections::BTreeMap;

use bytes::Bytes;
use jotter::{
    Change, FieldChange, MapKind, Store, StreamId, StreamMeta, StreamWrite, Value, Write,
};
use jotter_postgres::{ColumnType, MappedStore, Mapping, Shape};

const PAGE_VIEWS: &str = "CREATE TABLE page_views (
    page text NOT NULL, entry_id text NOT NULL, at timestamptz, \"user\" bigint, url text,
    UNIQUE (page, entry_id)
)";

fn clicks_mapping() -> Mapping {
    let columns = BTreeMap::from([
        ("user".to_owned(), ColumnType::Bigint),
        ("url".to_owned(), ColumnType::Text),
    ]);
    let shape = Shape::Stream {
        columns,
        id_column: "entry_id".to_owned(),
        time_column: Some("at".to_owned()),
    };
    Mapping::new("clicks:*", "page_views", "page", shape).expect("mapping")
}

fn id(ms: u64) -> StreamId {
    StreamId { ms, seq: 0 }
}

fn entry(ms: u64, version: u64) -> FieldChange {
    let flat = [
        Bytes::from("user"),
        Bytes::from(ms.to_string()),
        Bytes::from("url"),
        Bytes::from(format!("/p{ms}")),
    ];
    let (field, value) = StreamWrite::entry(id(ms), &flat);
    FieldChange { field, version, value }
}

fn meta(last: u64, trimmed_through: u64, version: u64) -> FieldChange {
    let m = StreamMeta {
        last_id: id(last),
        entries_added: last,
        trimmed_through: id(trimmed_through),
        ..StreamMeta::default()
    };
    let (field, value) = StreamWrite::meta(&m);
    FieldChange { field, version, value }
}

fn patch(version: u64, fields: Vec<FieldChange>) -> Write {
    Write::new(
        Bytes::from_static(b"clicks:home"),
        version,
        Change::Patch { kind: MapKind::Stream, reset: None, fields },
    )
}

async fn count(c: &tokio_postgres::Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).await.expect("count").get(0)
}

#[tokio::test]
async fn a_large_stream_batch_goes_through_copy_and_a_replay_adds_nothing() {
    let Some((store, schema)) = common::store("stream_copy").await else { return };
    let c = common::client_after(&schema, PAGE_VIEWS).await;
    let store = MappedStore::new(store, vec![clicks_mapping()]).await.expect("mapped store");

    // 5,000 entries appended and all but the last 100 trimmed before the
    // flush: every one is a row of the table.
    let mut fields: Vec<FieldChange> = (1..=5_000).map(|ms| entry(ms, ms)).collect();
    fields.push(meta(5_000, 4_900, 5_000));
    let batch = [patch(5_000, fields)];
    store.write(&batch).await.expect("large batch");
    assert_eq!(store.entries_copied(), 5_000, "the large batch went by COPY");
    assert_eq!(count(&c, "SELECT count(*) FROM page_views").await, 5_000);
    store.write(&batch).await.expect("replayed");
    assert_eq!(count(&c, "SELECT count(*) FROM page_views").await, 5_000, "a replay adds nothing");
    assert_eq!(store.entries_copied(), 10_000, "the replay went by COPY too");
    let row: String = c
        .query_one(
            "SELECT page || '|' || entry_id || '|' || \"user\" || '|' || url || '|' || \
             (extract(epoch FROM at) * 1000)::bigint FROM page_views WHERE entry_id = '42-0'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(row, "home|42-0|42|/p42|42");

    // The stream reads back from the store's own tables, trimmed.
    let loaded = store.load(&Bytes::from_static(b"clicks:home")).await.unwrap().expect("loaded");
    let Value::Stream(s) = loaded.value else { panic!("not a stream") };
    assert_eq!(s.entries().len(), 100);
    assert_eq!(s.entries().keys().next(), Some(&id(4_901)));
    assert_eq!(count(&c, "SELECT count(*) FROM jotter_streams").await, 100);

    // A small batch (array parameters): two entries, one trimmed at once,
    // and an XDEL of an older entry, which deletes its row.
    let small = patch(
        5_010,
        vec![
            entry(5_001, 5_010),
            entry(5_002, 5_010),
            meta(5_002, 5_001, 5_010),
            FieldChange {
                field: StreamWrite::remove_entry(id(4_950)).0,
                version: 5_010,
                value: None,
            },
        ],
    );
    store.write(&[small]).await.expect("small batch");
    assert_eq!(store.entries_copied(), 10_000, "a small batch is not copied");
    assert_eq!(count(&c, "SELECT count(*) FROM page_views").await, 5_001);
    assert_eq!(count(&c, "SELECT count(*) FROM page_views WHERE entry_id = '4950-0'").await, 0);
    let loaded = store.load(&Bytes::from_static(b"clicks:home")).await.unwrap().expect("loaded");
    let Value::Stream(s) = loaded.value else { panic!("not a stream") };
    assert_eq!(s.entries().keys().copied().collect::<Vec<_>>(), [id(5_002)]);
    assert_eq!(count(&c, "SELECT count(*) FROM jotter_streams").await, 1);
}

#[tokio::test]
async fn a_stream_mapping_needs_a_unique_id_column() {
    let Some((store, schema)) = common::store("stream_unique").await else { return };
    let _c = common::client_after(
        &schema,
        "CREATE TABLE page_views (page text, entry_id text, at timestamptz, \"user\" bigint, url text)",
    )
    .await;
    let err = MappedStore::new(store, vec![clicks_mapping()]).await.unwrap_err();
    assert!(err.to_string().contains("unique constraint over entry_id"), "{err}");
}
