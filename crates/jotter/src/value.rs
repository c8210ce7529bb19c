//! What the cache holds under a key: a blob of bytes, a map of fields, or a
//! map of scored members.
//!
//! The engine knows these three shapes and nothing more about what they
//! mean: a front end may call a blob a Redis string and a scored map a
//! sorted set, but the engine only coalesces, versions and stores them. A
//! map is changed field by field, so one changed member of a large map costs
//! one row in the store, not a rewrite of the map.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::score_map::ScoreMap;

/// The shape of a map value; each shape is stored in its own table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapKind {
    /// Fields with byte values (a Redis hash; stored in `jotter_hashes`).
    Hash,
    /// Members with `f64` scores (a Redis sorted set; stored in `jotter_zsets`).
    Scores,
}

impl fmt::Display for MapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MapKind::Hash => "hash",
            MapKind::Scores => "scored map",
        })
    }
}

/// The value of one field of a map.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// A field of a [`MapKind::Hash`].
    Bytes(Bytes),
    /// A member's score in a [`MapKind::Scores`] map.
    Score(f64),
}

impl FieldValue {
    /// The kind of map this field value belongs in.
    #[must_use]
    pub fn kind(&self) -> MapKind {
        match self {
            FieldValue::Bytes(_) => MapKind::Hash,
            FieldValue::Score(_) => MapKind::Scores,
        }
    }

    pub(crate) fn weight(&self) -> usize {
        match self {
            FieldValue::Bytes(b) => b.len(),
            FieldValue::Score(_) => 8,
        }
    }
}

/// A value held under a key.
///
/// Maps are behind an [`Arc`], so cloning a value out of the cache is cheap
/// whatever its size.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An opaque byte string (a Redis string, a counter, a blob).
    Blob(Bytes),
    /// A map of fields to byte values.
    Hash(Arc<BTreeMap<Bytes, Bytes>>),
    /// A map of members to scores, also kept in score order.
    Scores(Arc<ScoreMap>),
}

impl Value {
    /// The blob's bytes, or `None` if this is a map.
    #[must_use]
    pub fn as_blob(&self) -> Option<&Bytes> {
        match self {
            Value::Blob(b) => Some(b),
            _ => None,
        }
    }

    /// The map kind, or `None` for a blob.
    #[must_use]
    pub fn map_kind(&self) -> Option<MapKind> {
        match self {
            Value::Blob(_) => None,
            Value::Hash(_) => Some(MapKind::Hash),
            Value::Scores(_) => Some(MapKind::Scores),
        }
    }

    /// One field of a map, or `None` if absent or if this is a blob.
    #[must_use]
    pub fn field(&self, field: &[u8]) -> Option<FieldValue> {
        match self {
            Value::Blob(_) => None,
            Value::Hash(m) => m.get(field).cloned().map(FieldValue::Bytes),
            Value::Scores(m) => m.get(field).map(FieldValue::Score),
        }
    }

    /// An empty map of the given kind.
    pub(crate) fn empty_map(kind: MapKind) -> Value {
        match kind {
            MapKind::Hash => Value::Hash(Arc::default()),
            MapKind::Scores => Value::Scores(Arc::default()),
        }
    }

    /// Sets or removes one field of a map in place (copying the map only if
    /// it is shared). A field whose kind does not match the map is ignored:
    /// the engine checks kinds before it builds a change.
    pub(crate) fn apply_field(&mut self, field: &Bytes, value: Option<&FieldValue>) {
        match (self, value) {
            (Value::Hash(m), Some(FieldValue::Bytes(v))) => {
                Arc::make_mut(m).insert(field.clone(), v.clone());
            }
            (Value::Scores(m), Some(FieldValue::Score(s))) => {
                Arc::make_mut(m).insert(field.clone(), *s);
            }
            (Value::Hash(m), None) => {
                Arc::make_mut(m).remove(field);
            }
            (Value::Scores(m), None) => {
                Arc::make_mut(m).remove(field);
            }
            _ => {}
        }
    }

    /// True for a map with no fields: such a key does not exist, as in Redis.
    pub(crate) fn is_empty_map(&self) -> bool {
        match self {
            Value::Blob(_) => false,
            Value::Hash(m) => m.is_empty(),
            Value::Scores(m) => m.is_empty(),
        }
    }

    /// Bytes this value accounts for in the cache and the write buffer.
    pub(crate) fn weight(&self) -> usize {
        match self {
            Value::Blob(b) => b.len(),
            Value::Hash(m) => m.iter().map(|(k, v)| HASH_FIELD_OVERHEAD + k.len() + v.len()).sum(),
            Value::Scores(m) => m.iter().map(|(k, _)| SCORE_MEMBER_OVERHEAD + k.len()).sum(),
        }
    }
}

/// Bytes an entry accounts for beyond its value (its expiry).
pub(crate) const ENTRY_OVERHEAD: usize = 8;

/// Bytes a hash field accounts for beyond its name and value.
const HASH_FIELD_OVERHEAD: usize = 16;
/// Bytes a scored member accounts for beyond its name (its score, kept twice:
/// by member and by rank).
const SCORE_MEMBER_OVERHEAD: usize = 48;

/// Bytes one field of a map of `kind` accounts for, as [`Value::weight`]
/// counts it; a removed field (`None`) accounts for nothing.
pub(crate) fn map_field_weight(kind: MapKind, field: &[u8], value: Option<&FieldValue>) -> usize {
    match (kind, value) {
        (_, None) => 0,
        (MapKind::Hash, Some(v)) => HASH_FIELD_OVERHEAD + field.len() + v.weight(),
        (MapKind::Scores, Some(_)) => SCORE_MEMBER_OVERHEAD + field.len(),
    }
}

/// A key's value together with when it expires.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// When the key expires, in milliseconds since the Unix epoch; `None`
    /// for never. An expired key reads as absent and is deleted from the
    /// store behind.
    pub expires_at: Option<u64>,
}

impl Entry {
    /// A value that never expires.
    #[must_use]
    pub fn new(value: Value) -> Self {
        Entry { value, expires_at: None }
    }

    /// Whether the key has expired at `now` (Unix milliseconds).
    #[must_use]
    pub fn is_expired(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Bytes this entry accounts for in the cache.
    pub(crate) fn weight(&self) -> usize {
        self.value.weight() + ENTRY_OVERHEAD
    }
}

impl From<Bytes> for Value {
    fn from(b: Bytes) -> Self {
        Value::Blob(b)
    }
}

impl From<&'static str> for Value {
    fn from(s: &'static str) -> Self {
        Value::Blob(Bytes::from_static(s.as_bytes()))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Blob(Bytes::from(s))
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(Bytes::from(v))
    }
}
