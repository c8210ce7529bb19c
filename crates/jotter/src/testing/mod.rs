//! The store conformance kit: what every [`Store`] must pass,
//! written once. Behind the `testing` feature.
//!
//! It holds the rules of the store module, case by case ([`rules`]), a
//! differential property test that applies random and engine-like batch
//! histories to a store and to [`MemoryStore`](crate::MemoryStore) and
//! compares every key, listing and the highest version after each batch
//! ([`differential`]), and the small builders of writes both use.
//!
//! # Running it for a new store
//!
//! Add `jotter = { path = "../jotter", features = ["testing"] }` to the
//! store crate's `[dev-dependencies]`, and a test file with a factory that
//! makes a fresh, empty store (with whatever must live as long as it, such
//! as a temporary directory or schema), or `None` to skip when the database
//! is unreachable:
//!
//! ```ignore
//! use jotter::testing::{self, Universe};
//!
//! async fn fresh() -> Option<(MyStore, Guard)> { /* ... */ }
//!
//! #[tokio::test]
//! async fn follows_the_store_rules() {
//!     testing::rules::all(fresh).await;
//! }
//!
//! #[test]
//! fn matches_memory_store() {
//!     testing::differential(&Universe::default(), fresh);
//! }
//! ```
//!
//! A store whose tables can be read directly may call one rule
//! (`testing::rules::a_delete_leaves_a_tombstone(&store)`) and then look
//! at its rows. [`Universe`] picks the keys, fields and scores the property
//! test draws from (long keys for a store that indexes key prefixes, say).

mod differential;
pub mod rules;

use std::sync::Arc;

use bytes::Bytes;

pub use differential::{Universe, differential};

use crate::store::{Change, FieldChange, Store, Write};
use crate::value::{FieldValue, MapKind, Value};

/// The bytes of `s`.
#[must_use]
pub fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// A put of `value` at `version`.
#[must_use]
pub fn put(key: &str, version: u64, value: &str) -> Write {
    Write::new(b(key), version, Change::Put(b(value)))
}

/// A delete at `version`.
#[must_use]
pub fn del(key: &str, version: u64) -> Write {
    Write::new(b(key), version, Change::Delete)
}

/// A hash patch: `(field, version, value or None to remove)`, after a
/// reset at `reset` if given; its version is the newest of them.
#[must_use]
pub fn hset(key: &str, reset: Option<u64>, fields: &[(&str, u64, Option<&str>)]) -> Write {
    let fields = fields
        .iter()
        .map(|(f, v, val)| (*f, *v, val.map(|x| FieldValue::Bytes(b(x)))))
        .collect::<Vec<_>>();
    patch(key, MapKind::Hash, reset, &fields)
}

/// A sorted-set patch: `(member, version, score)`, after a reset at
/// `reset` if given.
#[must_use]
pub fn zadd(key: &str, reset: Option<u64>, members: &[(&str, u64, f64)]) -> Write {
    let fields =
        members.iter().map(|(m, v, s)| (*m, *v, Some(FieldValue::Score(*s)))).collect::<Vec<_>>();
    patch(key, MapKind::Scores, reset, &fields)
}

/// A patch of `kind`: `(field, version, value or None to remove)`.
#[must_use]
pub fn patch(
    key: &str,
    kind: MapKind,
    reset: Option<u64>,
    fields: &[(&str, u64, Option<FieldValue>)],
) -> Write {
    let fields: Vec<FieldChange> = fields
        .iter()
        .map(|(f, version, value)| FieldChange {
            field: b(f),
            version: *version,
            value: value.clone(),
        })
        .collect();
    let version = fields.iter().map(|f| f.version).chain(reset).max().unwrap_or(0);
    Write::new(b(key), version, Change::Patch { kind, reset, fields })
}

/// A hash value of `(field, value)` pairs.
#[must_use]
pub fn hash(pairs: &[(&str, &str)]) -> Value {
    Value::Hash(Arc::new(pairs.iter().map(|(f, v)| (b(f), b(v))).collect()))
}

/// A sorted-set value of `(member, score)` pairs.
#[must_use]
pub fn scores(pairs: &[(&str, f64)]) -> Value {
    Value::Scores(Arc::new(pairs.iter().map(|(m, s)| (b(m), *s)).collect()))
}

/// The value `store` holds for `key`, without its expiry.
///
/// # Panics
///
/// If the load fails.
pub async fn value(store: &impl Store, key: &str) -> Option<Value> {
    store.load(&b(key)).await.expect("load").map(|e| e.value)
}
