//! The rules of [`Store`], case by case, each an async check
//! on a store that starts empty. A rule named `then_...` goes on from the
//! state the rule before it left, so a store may look at its own rows in
//! between. [`all`] runs every one, each chain on a fresh store; the rules
//! that need the store's database set up first (a refused row) are run by
//! each store's own tests.

use std::future::Future;

use bytes::Bytes;

use super::{b, del, hash, hset, put, scores, value, zadd};
use crate::store::{Change, FieldChange, Store, Write};
use crate::value::{MapKind, Value};

/// Runs every rule, each chain on a store `fresh` makes; does nothing if it
/// makes none (the database is unreachable and not required).
///
/// # Panics
///
/// On the first rule the store breaks.
pub async fn all<S: Store, G, Fut: Future<Output = Option<(S, G)>>>(fresh: impl Fn() -> Fut) {
    macro_rules! chain {
        ($($rule:ident),+) => {{
            let Some((store, _guard)) = fresh().await else { return };
            $($rule(&store).await;)+
        }};
    }
    chain!(an_older_put_is_ignored);
    chain!(a_delete_leaves_a_tombstone, then_a_newer_put_brings_it_back);
    chain!(a_field_tombstone_blocks_an_older_set, then_a_newer_set_lands);
    chain!(member_tombstones_block_older_adds);
    chain!(an_equal_version_is_not_newer);
    chain!(a_reset_drops_older_fields_and_keeps_newer_ones, then_a_put_replaces_the_map);
    chain!(expiry_is_versioned_like_the_data_and_listed_in_byte_order);
    chain!(load_many_answers_in_order_as_load_does);
    chain!(a_stream_trim_is_a_watermark_that_replays_cannot_undo);
}

/// An older put is ignored, and an equal version is no newer.
pub async fn an_older_put_is_ignored(store: &impl Store) {
    store.write(&[put("k", 10, "new")]).await.expect("write");
    store.write(&[put("k", 9, "old")]).await.expect("write");
    assert_eq!(value(store, "k").await, Some(Value::from("new")));
    store.write(&[put("k", 10, "same")]).await.expect("write");
    assert_eq!(value(store, "k").await, Some(Value::from("new")));
    assert_eq!(store.max_version().await.expect("max"), 10);
    store.write(&[put("k", 11, "newer")]).await.expect("write");
    assert_eq!(value(store, "k").await, Some(Value::from("newer")));
    assert_eq!(store.max_version().await.expect("max"), 11);
    version_is(store, "k", Some(11)).await;
    version_is(store, "never-written", None).await;
}

/// [`Store::version_of`] of `key` is `want`, or `None` from a store that
/// cannot tell (the trait's default).
async fn version_is(store: &impl Store, key: &str, want: Option<u64>) {
    let got = store.version_of(&b(key)).await.expect("version_of");
    assert!(got == want || got.is_none(), "version of {key}: {got:?}, not {want:?}");
}

/// A delete at 5 of `k` leaves a tombstone that blocks an older put and an
/// older field write; the store holds nothing for `k`.
pub async fn a_delete_leaves_a_tombstone(store: &impl Store) {
    store.write(&[put("k", 3, "v")]).await.expect("write");
    store.write(&[del("k", 5)]).await.expect("write");
    store.write(&[put("k", 4, "late"), hset("h", None, &[("f", 1, Some("x"))])]).await.expect("w");
    store.write(&[hset("k", None, &[("f", 4, Some("late"))])]).await.expect("write");
    assert_eq!(value(store, "k").await, None);
    assert_eq!(store.max_version().await.expect("max"), 5);
    version_is(store, "k", Some(5)).await;
}

/// After [`a_delete_leaves_a_tombstone`]: a newer put brings `k` back.
pub async fn then_a_newer_put_brings_it_back(store: &impl Store) {
    store.write(&[put("k", 6, "back")]).await.expect("write");
    assert_eq!(value(store, "k").await, Some(Value::from("back")));
}

/// Field `f` of `h` removed at 6 stays removed under a set at 5; `g` stays.
pub async fn a_field_tombstone_blocks_an_older_set(store: &impl Store) {
    store.write(&[hset("h", None, &[("f", 2, Some("a")), ("g", 3, Some("b"))])]).await.expect("w");
    store.write(&[hset("h", None, &[("f", 6, None)])]).await.expect("write");
    store.write(&[hset("h", None, &[("f", 5, Some("late"))])]).await.expect("write");
    assert_eq!(value(store, "h").await, Some(hash(&[("g", "b")])));
}

/// After [`a_field_tombstone_blocks_an_older_set`]: a newer set lands (and
/// takes the tombstone away).
pub async fn then_a_newer_set_lands(store: &impl Store) {
    store.write(&[hset("h", None, &[("f", 7, Some("c"))])]).await.expect("write");
    assert_eq!(value(store, "h").await, Some(hash(&[("f", "c"), ("g", "b")])));
    assert_eq!(store.max_version().await.expect("max"), 7);
    version_is(store, "h", Some(7)).await;
}

/// Scored members follow the same rules as hash fields.
pub async fn member_tombstones_block_older_adds(store: &impl Store) {
    store.write(&[zadd("z", None, &[("m", 8, 1.5), ("n", 9, 2.0)])]).await.expect("write");
    store.write(&[remove_member("z", "m", 10)]).await.expect("write");
    store.write(&[zadd("z", None, &[("m", 9, 5.0)])]).await.expect("write");
    assert_eq!(value(store, "z").await, Some(scores(&[("n", 2.0)])));
    assert_eq!(store.max_version().await.expect("max"), 10);
    version_is(store, "z", Some(10)).await;
}

fn remove_member(key: &str, member: &str, version: u64) -> Write {
    let fields = vec![FieldChange { field: b(member), version, value: None }];
    Write::new(b(key), version, Change::Patch { kind: MapKind::Scores, reset: None, fields })
}

/// Versions are unique, so an equal version is a replay of the same write
/// and must change nothing, whatever it carries.
pub async fn an_equal_version_is_not_newer(store: &impl Store) {
    store.write(&[hset("h", None, &[("f", 4, Some("a")), ("g", 5, None)])]).await.expect("write");
    store
        .write(&[hset("h", None, &[("f", 4, Some("b")), ("g", 5, Some("b"))])])
        .await
        .expect("write");
    store.write(&[hset("h", None, &[("f", 4, None)])]).await.expect("write");
    assert_eq!(value(store, "h").await, Some(hash(&[("f", "a")])));

    store.write(&[zadd("z", None, &[("m", 6, 1.0)])]).await.expect("write");
    store.write(&[zadd("z", None, &[("m", 6, 2.0)])]).await.expect("write");
    store.write(&[remove_member("z", "m", 6)]).await.expect("write");
    assert_eq!(value(store, "z").await, Some(scores(&[("m", 1.0)])));

    // A reset at v takes older fields at v with it, and a field of the
    // same patch, at the reset's own version, lands after it; replayed,
    // neither does anything.
    let patch = hset("h", Some(4), &[("e", 4, Some("c"))]);
    store.write(std::slice::from_ref(&patch)).await.expect("write");
    assert_eq!(value(store, "h").await, Some(hash(&[("e", "c")])));
    store.write(&[patch]).await.expect("write");
    assert_eq!(value(store, "h").await, Some(hash(&[("e", "c")])));
    store.write(&[del("d", 7)]).await.expect("write");
    store.write(&[del("d", 7), put("p", 0, "zero")]).await.expect("write");
    assert_eq!(value(store, "p").await, None);
    assert_eq!(store.max_version().await.expect("max"), 7);
}

/// A blob `k` turned into a hash by a reset at 2: a field written after the
/// reset but delivered before it survives it, one older than the reset is
/// refused, one at the reset's own version in the same patch lands.
pub async fn a_reset_drops_older_fields_and_keeps_newer_ones(store: &impl Store) {
    store.write(&[put("k", 1, "blob")]).await.expect("write");
    store.write(&[hset("k", None, &[("late", 5, Some("y"))])]).await.expect("write");
    store.write(&[hset("k", Some(2), &[("f", 3, Some("x"))])]).await.expect("write");
    assert_eq!(value(store, "k").await, Some(hash(&[("f", "x"), ("late", "y")])));
    store.write(&[hset("k", None, &[("old", 1, Some("no"))])]).await.expect("write");
    store.write(&[hset("k", Some(6), &[("e", 6, Some("c"))])]).await.expect("write");
    assert_eq!(value(store, "k").await, Some(hash(&[("e", "c")])));
}

/// After [`a_reset_drops_older_fields_and_keeps_newer_ones`]: a put
/// replaces the map, and a late older field does not come back.
pub async fn then_a_put_replaces_the_map(store: &impl Store) {
    store.write(&[put("k", 7, "blob again")]).await.expect("write");
    store.write(&[hset("k", None, &[("e", 6, Some("late"))])]).await.expect("write");
    assert_eq!(value(store, "k").await, Some(Value::from("blob again")));
    assert_eq!(store.max_version().await.expect("max"), 7);
}

/// Expiry follows the same version rules as the data: a map's expiry is
/// set by its newest patch, forgotten by a reset, and an older patch
/// arriving late cannot bring an old expiry back. Listings page in byte
/// order, as Rust's `[u8]` compares.
pub async fn expiry_is_versioned_like_the_data_and_listed_in_byte_order(store: &impl Store) {
    let mut old = hset("h", None, &[("f", 5, Some("a"))]);
    old.expires_at = Some(100);
    store.write(&[hset("h", None, &[("g", 7, Some("b"))])]).await.expect("write");
    store.write(&[old]).await.expect("late write");
    let entry = store.load(&b("h")).await.expect("load").expect("live");
    assert_eq!(entry.expires_at, None, "the newer patch's expiry wins");

    let mut timed = put("s", 10, "v");
    timed.expires_at = Some(50);
    let mut map = hset("m", None, &[("f", 11, Some("x"))]);
    map.expires_at = Some(60);
    store.write(&[timed, map]).await.expect("write");
    assert_eq!(store.expired(55, None, 10).await.expect("expired"), vec![b("s")]);
    assert_eq!(store.expired(60, None, 10).await.expect("expired"), vec![b("m"), b("s")]);
    assert_eq!(store.expired(60, Some(b"m"), 10).await.expect("expired"), vec![b("s")]);
    assert_eq!(store.keys(None, 10, 55).await.expect("keys"), vec![b("h"), b("m")]);
    assert_eq!(store.keys(Some(b"h"), 10, 0).await.expect("keys"), vec![b("m"), b("s")]);
    assert_eq!(store.keys(None, 1, 0).await.expect("keys"), vec![b("h")]);
    store.write(&[del("m", 12)]).await.expect("delete");
    assert_eq!(store.expired(60, None, 10).await.expect("expired"), vec![b("s")]);

    // The empty key first, 0x00 before 0xff, a prefix before its extensions.
    let keys: [&[u8]; 5] = [b"", b"\x00", b"a", b"a\x00", b"\xff"];
    let batch: Vec<Write> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Write::new(Bytes::from_static(k), 20 + i as u64, Change::Put(b("v"))))
        .collect();
    store.write(&batch).await.expect("write");
    let mut want: Vec<Bytes> = keys.iter().map(|k| Bytes::from_static(k)).collect();
    want.extend([b("h"), b("s")]);
    want.sort();
    assert_eq!(store.keys(None, 100, 0).await.expect("keys"), want);
    assert_eq!(store.keys(Some(b""), 2, 0).await.expect("keys"), want[1..3].to_vec());
}

/// Several keys at once, answered in the order asked, absent ones as
/// `None`, each as a single load would give it.
pub async fn load_many_answers_in_order_as_load_does(store: &impl Store) {
    store
        .write(&[
            put("a", 1, "1"),
            put("c", 2, "3"),
            hset("h", None, &[("f", 3, Some("x")), ("g", 3, Some("y"))]),
            zadd("z", None, &[("m", 4, 1.5)]),
        ])
        .await
        .expect("write");
    let got = store.load_many(&[b("c"), b("b"), b("a")]).await.expect("load_many");
    let values: Vec<_> = got.into_iter().map(|e| e.map(|e| e.value)).collect();
    assert_eq!(values, vec![Some(Value::from("3")), None, Some(Value::from("1"))]);
    let keys = [b("z"), b("missing"), b("h"), b("a")];
    let many = store.load_many(&keys).await.expect("load_many");
    for (key, entry) in keys.iter().zip(many) {
        assert_eq!(entry, store.load(key).await.expect("load"), "{key:?}");
    }
}

/// The writes of the batch [`a_refused_row_fails_its_whole_batch`] sends:
/// `good` and `h` the database takes, then `bad`.
fn batch_with_bad() -> [Write; 3] {
    [put("good", 1, "g"), hset("h", None, &[("f", 2, Some("x"))]), put("bad", 3, "b")]
}

/// On a store whose database refuses the key `bad` (a constraint, a
/// trigger: the caller sets it up), a batch holding it fails as a whole,
/// permanently, with an error that holds each of `words` (the database's
/// own), and leaves nothing behind.
pub async fn a_refused_row_fails_its_whole_batch(store: &impl Store, words: &[&str]) {
    let err = store.write(&batch_with_bad()).await.expect_err("the database refuses `bad`");
    assert!(!err.is_transient(), "{err}");
    for word in words {
        assert!(err.message().contains(word), "{word} missing from: {err}");
    }
    for key in ["good", "h", "bad"] {
        assert_eq!(value(store, key).await, None, "{key}");
    }
    assert_eq!(store.max_version().await.expect("max"), 0);
}

/// After [`a_refused_row_fails_its_whole_batch`]: the batch's other writes
/// go through on their own.
pub async fn then_the_rest_of_the_batch_lands(store: &impl Store) {
    store.write(&batch_with_bad()[..2]).await.expect("write");
    assert_eq!(value(store, "good").await, Some(Value::from("g")));
}

/// A stream's entries and its metadata with a trim watermark in one batch:
/// the entries at or below the watermark do not load back, the highest
/// version stays the batch's, and the same batch delivered again (a
/// replay) brings none of them back.
pub async fn a_stream_trim_is_a_watermark_that_replays_cannot_undo(store: &impl Store) {
    use crate::value::{StreamId, StreamMeta, StreamWrite};
    let id = |ms| StreamId { ms, seq: 0 };
    let field = |(field, value): (Bytes, _), version| FieldChange { field, version, value };
    let mut fields: Vec<FieldChange> =
        (1..=5).map(|ms| field(StreamWrite::entry(id(ms), &[b("n"), b("v")]), ms)).collect();
    let meta = StreamMeta {
        last_id: id(5),
        entries_added: 5,
        trimmed_through: id(3),
        ..StreamMeta::default()
    };
    fields.push(field(StreamWrite::meta(&meta), 6));
    let batch =
        [Write::new(b("s"), 6, Change::Patch { kind: MapKind::Stream, reset: None, fields })];
    for delivery in ["first", "replayed"] {
        store.write(&batch).await.expect("stream write");
        let Some(Value::Stream(s)) = value(store, "s").await else { panic!("no stream") };
        let ids: Vec<StreamId> = s.entries().keys().copied().collect();
        assert_eq!(ids, [id(4), id(5)], "{delivery}");
        assert_eq!(store.max_version().await.expect("max"), 6, "{delivery}");
    }
}
