//! Write-behind into the user's own tables ([`MappedStore`]) against the
//! real PostgreSQL: the version rules with redelivered and late writes, a
//! value that does not convert dead-lettered alone through the engine, the
//! start-up check, and string mappings. Each test works in a schema of its
//! own, dropped afterwards.

mod common;

use std::collections::BTreeMap;

use bytes::Bytes;
use jotter::{Cache, Change, FieldChange, FieldValue, MapKind, Store, Value, Write};
use jotter_postgres::{ColumnType, MappedStore, Mapping, Shape};

const USERS: &str = "CREATE TABLE users (
    id bigint PRIMARY KEY, name text, score integer, active boolean, seen timestamptz
)";

fn users_mapping() -> Mapping {
    let columns = BTreeMap::from([
        ("name".to_owned(), ColumnType::Text),
        ("score".to_owned(), ColumnType::Integer),
        ("active".to_owned(), ColumnType::Boolean),
        ("seen".to_owned(), ColumnType::Timestamp),
    ]);
    Mapping::new("user:*", "users", "id", Shape::Hash(columns)).expect("mapping")
}

/// A store in a fresh schema holding `users`, mapped; and a plain client.
async fn mapped(test: &str) -> Option<(MappedStore, common::Schema, tokio_postgres::Client)> {
    mapped_with(test, USERS, users_mapping()).await
}

/// A store in a fresh schema where `create` has made the table that
/// `mapping` maps; and a plain client.
async fn mapped_with(
    test: &str,
    create: &str,
    mapping: Mapping,
) -> Option<(MappedStore, common::Schema, tokio_postgres::Client)> {
    let (store, schema) = common::store(test).await?;
    let c = common::client_after(&schema, create).await;
    let store = MappedStore::new(store, vec![mapping]).await.expect("mapped store");
    Some((store, schema, c))
}

fn field(name: &str, version: u64, value: Option<&str>) -> FieldChange {
    FieldChange { field: Bytes::copy_from_slice(name.as_bytes()), version, value: value.map(text) }
}

fn patch(key: &str, version: u64, reset: Option<u64>, fields: Vec<FieldChange>) -> Write {
    Write::new(
        Bytes::copy_from_slice(key.as_bytes()),
        version,
        Change::Patch { kind: MapKind::Hash, reset, fields },
    )
}

fn text(s: &str) -> FieldValue {
    FieldValue::Bytes(Bytes::copy_from_slice(s.as_bytes()))
}

/// Sets each (key, field, text) of `fields` and a plain string through a
/// quickly retrying cache over `store`, and flushes: the error of the one
/// write dead-lettered, which must be `dead_key`'s.
async fn flush_with_one_dead_letter(
    store: MappedStore,
    fields: &[(&str, &str, &str)],
    dead_key: &str,
) -> String {
    let cache = common::quick_retry_cache(store).await;
    for &(key, name, value) in fields {
        cache.set_field(key.to_owned(), name.to_owned(), text(value)).await.unwrap();
    }
    cache.put("plain", "x").await.unwrap();
    common::flush(&cache).await;
    let letters = cache.dead_letters();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(&letters[0].write.key[..], dead_key.as_bytes());
    letters[0].error.to_string()
}

/// The row of `id` as `name|score`, or `None`.
async fn row(c: &tokio_postgres::Client, id: i64) -> Option<String> {
    c.query_opt(
        "SELECT coalesce(name, '-') || '|' || coalesce(score::text, '-') FROM users WHERE id = $1",
        &[&id],
    )
    .await
    .expect("select")
    .map(|r| r.get(0))
}

#[tokio::test]
async fn older_writes_never_override_newer_ones() {
    let Some((store, _schema, c)) = mapped("map_versions").await else { return };
    let first = patch(
        "user:42",
        10,
        Some(10),
        vec![field("name", 10, Some("Ada")), field("score", 10, Some("10"))],
    );
    store.write(std::slice::from_ref(&first)).await.expect("first");
    assert_eq!(row(&c, 42).await.as_deref(), Some("Ada|10"));

    store.write(&[patch("user:42", 12, None, vec![field("score", 12, Some("11"))])]).await.unwrap();
    assert_eq!(row(&c, 42).await.as_deref(), Some("Ada|11"));

    // Redelivered and late writes change nothing.
    store.write(std::slice::from_ref(&first)).await.expect("redelivered");
    store.write(&[patch("user:42", 11, None, vec![field("score", 11, Some("9"))])]).await.unwrap();
    assert_eq!(row(&c, 42).await.as_deref(), Some("Ada|11"));

    // A field removal is a tombstone: NULL, and an older set stays out.
    store.write(&[patch("user:42", 14, None, vec![field("name", 14, None)])]).await.unwrap();
    store.write(&[patch("user:42", 13, None, vec![field("name", 13, Some("Old"))])]).await.unwrap();
    assert_eq!(row(&c, 42).await.as_deref(), Some("-|11"));

    // A delete leaves a tombstone: the row is gone and an older write does
    // not bring it back.
    store.write(&[Write::new("user:42", 20, Change::Delete)]).await.expect("delete");
    assert_eq!(row(&c, 42).await, None);
    store.write(&[patch("user:42", 15, None, vec![field("score", 15, Some("1"))])]).await.unwrap();
    assert_eq!(row(&c, 42).await, None);
    assert_eq!(store.load(&Bytes::from_static(b"user:42")).await.unwrap(), None);

    // A newer write makes a row again, the other columns NULL, and reads
    // back as a hash of its non-NULL columns.
    store
        .write(&[patch("user:42", 30, Some(30), vec![field("name", 30, Some("Grace"))])])
        .await
        .unwrap();
    assert_eq!(row(&c, 42).await.as_deref(), Some("Grace|-"));
    let loaded = store.load(&Bytes::from_static(b"user:42")).await.unwrap().expect("row");
    let Value::Hash(h) = loaded.value else { panic!("not a hash: {loaded:?}") };
    assert_eq!(h.len(), 1);
    assert_eq!(&h[&Bytes::from_static(b"name")][..], b"Grace");

    // The side table's versions count for the version clock; keys list
    // mapped rows beside the inner store's keys.
    store.write(&[Write::new("plain", 31, Change::Put(Bytes::from_static(b"x")))]).await.unwrap();
    assert!(store.max_version().await.unwrap() >= 31);
    let keys = store.keys(None, 10, 0).await.unwrap();
    assert_eq!(keys, [Bytes::from_static(b"plain"), Bytes::from_static(b"user:42")]);
    let keys = store.keys(Some(b"plain"), 10, 0).await.unwrap();
    assert_eq!(keys, [Bytes::from_static(b"user:42")]);

    // A key whose suffix is no id has no row.
    assert_eq!(store.load(&Bytes::from_static(b"user:abc")).await.unwrap(), None);
    // The user's table was not altered.
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'users'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 5);
}

#[tokio::test]
async fn an_older_reset_keeps_newer_columns() {
    let Some((store, _schema, c)) = mapped("map_reset").await else { return };
    store
        .write(&[patch(
            "user:1",
            10,
            None,
            vec![field("name", 5, Some("Ada")), field("score", 10, Some("3"))],
        )])
        .await
        .unwrap();
    // A reset at 7, arriving late: the name (5) goes, the score (10) stays.
    store.write(&[Write::new("user:1", 7, Change::Delete)]).await.unwrap();
    assert_eq!(row(&c, 1).await.as_deref(), Some("-|3"));
}

#[tokio::test]
async fn bad_fields_are_permanent_errors_naming_key_field_column_and_value() {
    let Some((store, _schema, _c)) = mapped("map_errors").await else { return };
    let err = store
        .write(&[patch("user:7", 1, None, vec![field("score", 1, Some("ten"))])])
        .await
        .unwrap_err();
    assert!(!err.is_transient(), "{err}");
    for part in ["user:7", "score", "users.score", "3 bytes"] {
        assert!(err.message().contains(part), "{part} missing from: {err}");
    }
    assert!(!err.message().contains("\"ten\""), "the value is not shown: {err}");
    let err = store
        .write(&[patch("user:7", 2, None, vec![field("nickname", 2, Some("x"))])])
        .await
        .unwrap_err();
    assert!(!err.is_transient() && err.message().contains("nickname"), "{err}");
    let err = store.write(&[Write::new("user:7", 3, Change::Put(Bytes::from_static(b"v")))]).await;
    assert!(err.unwrap_err().message().contains("hash keys"));
    let err = store
        .write(&[patch("user:x", 4, None, vec![field("score", 4, Some("1"))])])
        .await
        .unwrap_err();
    assert!(err.message().contains("key column users.id"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_that_does_not_convert_is_dead_lettered_and_the_rest_lands() {
    let Some((store, _schema, c)) = mapped("map_dead").await else { return };
    // A timestamp's spelling only the database can judge: accepted, then
    // refused by the database when flushed.
    let fields =
        [("user:7", "seen", "not a time"), ("user:8", "score", "5"), ("user:8", "name", "Bob")];
    let error = flush_with_one_dead_letter(store, &fields, "user:7").await;

    assert_eq!(row(&c, 8).await.as_deref(), Some("Bob|5"));
    assert_eq!(row(&c, 7).await, None);
    let n: i64 = c.query_one("SELECT count(*) FROM jotter_strings", &[]).await.unwrap().get(0);
    assert_eq!(n, 1);
    for part in ["user:7", "seen", "users.seen", "10 bytes"] {
        assert!(error.contains(part), "{part} missing from: {error}");
    }
    assert!(!error.contains("not a time"), "no value: {error}");
}

/// What the column facts read at start say cannot fit is refused when the
/// engine accepts it, with an error naming the column: nothing is
/// acknowledged, dead-lettered or written, and a transaction with one such
/// write accepts none of its writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_cannot_fit_is_refused_at_the_door_naming_the_column() {
    let columns = BTreeMap::from([
        ("nick".to_owned(), ColumnType::Text),
        ("age".to_owned(), ColumnType::Integer),
    ]);
    let m = Mapping::new("p:*", "people", "id", Shape::Hash(columns)).expect("mapping");
    let create = "CREATE TABLE people (id integer PRIMARY KEY, nick varchar(5), age smallint)";
    let Some((store, _schema, c)) = mapped_with("map_door", create, m).await else { return };
    let cache = Cache::builder(store).build().await.expect("cache");
    let refused = |r: jotter::Result<jotter::Ticket>, parts: &[&str]| {
        let err = r.expect_err("refused at the door");
        assert!(matches!(err, jotter::Error::Refused(_)), "{err}");
        for part in parts {
            assert!(err.to_string().contains(part), "{part} missing from: {err}");
        }
    };
    refused(cache.set_field("p:1", "nick", text("sixsix")).await, &["people.nick", "over 5"]);
    refused(cache.set_field("p:1", "age", text("40000")).await, &["people.age", "range"]);
    refused(cache.set_field("p:1", "age", text("old")).await, &["people.age", "not an integer"]);
    refused(cache.set_field("p:x", "nick", text("a")).await, &["key column people.id"]);
    refused(cache.set_field("p:1", "height", text("2")).await, &["height", "no column"]);
    refused(cache.put("p:1", "blob").await, &["hash keys"]);

    let keys = [Bytes::from_static(b"p:2"), Bytes::from_static(b"p:3")];
    let err = cache
        .transact(&keys, |txn| {
            txn.set_fields(b"p:2", MapKind::Hash, [(Bytes::from("nick"), Some(text("ok")))])?;
            txn.set_fields(b"p:3", MapKind::Hash, [(Bytes::from("nick"), Some(text("too long")))])
        })
        .await
        .expect_err("one write does not fit");
    assert!(err.to_string().contains("people.nick"), "{err}");
    assert_eq!(cache.get("p:2").await.expect("get"), None, "nothing of the transaction");

    cache.set_field("p:4", "nick", text("fits ")).await.expect("five characters fit");
    cache.set_field("p:4", "age", text(" 42")).await.expect("an integer");
    common::flush(&cache).await;
    assert!(cache.dead_letters().is_empty());
    let n: i64 = c.query_one("SELECT count(*) FROM people", &[]).await.unwrap().get(0);
    assert_eq!(n, 1);
    assert_eq!(cache.stats().pending_entries, 0);
}

#[tokio::test]
async fn the_start_up_check_says_what_to_fix() {
    let Some((store, _schema, c)) = mapped("map_check").await else { return };
    let inner = store.inner().clone();
    let cols = |pairs: &[(&str, ColumnType)]| {
        Shape::Hash(pairs.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect())
    };
    let check = |m: Mapping| {
        let inner = inner.clone();
        async move { MappedStore::new(inner, vec![m]).await.unwrap_err().to_string() }
    };
    // Each mapping of one column `u:*` → (table, key column, column, type),
    // and what the refusal says.
    let cases: [(&str, &str, &str, ColumnType, &[&str]); 4] = [
        ("people", "id", "name", ColumnType::Text, &["table people does not exist"]),
        ("users", "id", "email", ColumnType::Text, &["no column email"]),
        ("users", "uid", "name", ColumnType::Text, &["no column uid"]),
        ("users", "id", "name", ColumnType::Integer, &["users.name is text", "declares integer"]),
    ];
    for (table, key, column, ty, parts) in cases {
        let err = check(Mapping::new("u:*", table, key, cols(&[(column, ty)])).unwrap()).await;
        for part in parts {
            assert!(err.contains(part), "{part} missing from: {err}");
        }
    }
    let both = vec![
        Mapping::new("u:*", "users", "id", cols(&[("name", ColumnType::Text)])).unwrap(),
        Mapping::new("u:x*", "users", "id", cols(&[("name", ColumnType::Text)])).unwrap(),
    ];
    let err = MappedStore::new(inner.clone(), both).await.unwrap_err().to_string();
    assert!(err.contains("overlap"), "{err}");
    drop(c);
}

#[tokio::test]
async fn string_keys_map_to_a_value_column() {
    let doc = Shape::String { column: "doc".into(), ty: ColumnType::Jsonb };
    let m = Mapping::new("setting:*", "settings", "name", doc).unwrap();
    let create = "CREATE TABLE settings (name text PRIMARY KEY, doc jsonb NOT NULL)";
    let Some((store, _schema, c)) = mapped_with("map_strings", create, m).await else { return };
    let put = |v: u64, value: &'static str| {
        Write::new("setting:theme", v, Change::Put(Bytes::from_static(value.as_bytes())))
    };
    store.write(&[put(2, r#"{"dark": true}"#)]).await.unwrap();
    store.write(&[put(1, r#"{"dark": false}"#)]).await.unwrap();
    let doc: String = c
        .query_one("SELECT doc::text FROM settings WHERE name = 'theme'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(doc, r#"{"dark": true}"#);
    let loaded = store.load(&Bytes::from_static(b"setting:theme")).await.unwrap().unwrap();
    assert_eq!(loaded.value, Value::Blob(Bytes::from_static(br#"{"dark": true}"#)));
    let err = store.write(&[put(3, "not json")]).await.unwrap_err();
    assert!(err.message().contains("settings.doc") && !err.message().contains("not json"), "{err}");
    store.write(&[Write::new("setting:theme", 4, Change::Delete)]).await.unwrap();
    assert_eq!(store.load(&Bytes::from_static(b"setting:theme")).await.unwrap(), None);
}

/// A constraint of the user's table refuses one mapped row: that write alone
/// is dead-lettered with the database's words, the rest of the batch lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_constraint_violation_on_a_mapped_row_dead_letters_it_alone() {
    let Some((store, _schema, c)) = mapped("map_check").await else { return };
    c.batch_execute("ALTER TABLE users ADD CONSTRAINT score_not_negative CHECK (score >= 0)")
        .await
        .expect("add the constraint");
    let fields = [("user:5", "score", "-1"), ("user:6", "score", "3")];
    let error = flush_with_one_dead_letter(store, &fields, "user:5").await;

    assert_eq!(row(&c, 6).await.as_deref(), Some("-|3"));
    assert_eq!(row(&c, 5).await, None);
    assert!(error.contains("score_not_negative"), "{error}");
}

/// A store in a fresh schema holding `users`, mapped, for the conformance
/// kit, whose keys no mapping covers.
async fn mapped_for_the_kit() -> Option<(MappedStore, common::Schema)> {
    mapped("kit").await.map(|(store, schema, _client)| (store, schema))
}

/// Keys no mapping covers follow the store rules in a `MappedStore` as in
/// the plain store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmapped_keys_follow_the_store_rules() {
    jotter::testing::rules::all(mapped_for_the_kit).await;
}

#[test]
fn unmapped_keys_match_memory_store() {
    let universe = jotter::testing::Universe { cases: 8, ..jotter::testing::Universe::default() };
    jotter::testing::differential(&universe, mapped_for_the_kit);
}
