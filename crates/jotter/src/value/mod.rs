//! What the cache holds under a key: a blob of bytes, a map of fields, a
//! map of scored members, a set of members, a list (elements under order
//! keys), or a stream.
//!
//! The engine knows these shapes and nothing more about what they mean: a
//! front end may call a blob a Redis string and a scored map a sorted set,
//! but the engine only coalesces, versions and stores them. A map is
//! changed field by field, so one changed member of a large map costs one
//! row in the store, not a rewrite of the map; a set is a map whose fields
//! carry no value.
//!
//! This module is the one place that knows the kinds: each has a file of
//! its own (`blob.rs`, `hash.rs`, `scores.rs`, `set.rs`, `list.rs`, `stream/`) holding its rules (its log
//! tags and field encoding, its owned copy, its weight, how its map turns
//! into a patch and back, its name), and the enums here route to them. The
//! rest of the engine (the record format, the owned copies, transactions)
//! calls these methods and never matches on a kind. A new map kind is a
//! variant in [`MapKind`], [`FieldValue`] and [`Value`], a file beside the
//! others, and one arm per method below: the compiler lists them, except
//! the two that read a log tag ([`MapKind::from_log_tag`],
//! [`FieldValue::decode`]), which the record's round-trip test checks once
//! its generator makes the new kind.

mod blob;
mod hash;
mod list;
mod packed;
mod scores;
mod set;
pub(crate) mod stream;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};

pub use self::stream::{
    Consumer, GroupHeader, Pending, Stream, StreamChange, StreamEntry, StreamGroup, StreamId,
    StreamMeta, StreamWrite, TRIM_WATERMARK_AT, stream_entry,
};
use crate::member_set::MemberSet;
use crate::score_map::ScoreMap;
use crate::wire::RecordError;

/// The fields of a patch: each field's version and its value (`None`:
/// removed).
pub(crate) type PatchFields = BTreeMap<Bytes, (u64, Option<FieldValue>)>;

/// The shape of a map value; each shape is stored in its own table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapKind {
    /// Fields with byte values (a Redis hash; stored in `jotter_hashes`).
    Hash,
    /// Members with `f64` scores (a Redis sorted set; stored in `jotter_zsets`).
    Scores,
    /// A stream's entries and state (stored in `jotter_streams` and
    /// `jotter_stream_state`).
    Stream,
    /// Members without values (a Redis set; stored in `jotter_sets`).
    Set,
    /// Elements under order keys, in the keys' byte order (a Redis list;
    /// stored in `jotter_lists`).
    List,
}

impl fmt::Display for MapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MapKind::Hash => hash::NAME,
            MapKind::Scores => scores::NAME,
            MapKind::Stream => stream::NAME,
            MapKind::Set => set::NAME,
            MapKind::List => list::NAME,
        })
    }
}

impl MapKind {
    /// Every kind, for the generators of the property tests.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) const ALL: [MapKind; 5] =
        [MapKind::Hash, MapKind::Scores, MapKind::Set, MapKind::List, MapKind::Stream];

    /// The kind's tag in a patch record.
    pub(crate) fn log_tag(self) -> u8 {
        match self {
            MapKind::Hash => hash::LOG_TAG,
            MapKind::Scores => scores::LOG_TAG,
            MapKind::Stream => stream::LOG_TAG,
            MapKind::Set => set::LOG_TAG,
            MapKind::List => list::LOG_TAG,
        }
    }

    /// The kind a patch record's tag names.
    pub(crate) fn from_log_tag(tag: u8) -> Result<MapKind, RecordError> {
        match tag {
            hash::LOG_TAG => Ok(MapKind::Hash),
            scores::LOG_TAG => Ok(MapKind::Scores),
            stream::LOG_TAG => Ok(MapKind::Stream),
            set::LOG_TAG => Ok(MapKind::Set),
            list::LOG_TAG => Ok(MapKind::List),
            _ => Err(RecordError("unknown map kind")),
        }
    }
}

/// The value of one field of a map.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// A field of a [`MapKind::Hash`].
    Bytes(Bytes),
    /// A member's score in a [`MapKind::Scores`] map.
    Score(f64),
    /// A field of a [`MapKind::Stream`], as its stores hold it (see
    /// [`StreamWrite`]).
    Stream(Bytes),
    /// A member of a [`MapKind::Set`], which has no value.
    Member,
    /// An element of a [`MapKind::List`] (its field is its order key).
    Element(Bytes),
}

impl FieldValue {
    /// The kind of map this field value belongs in.
    #[must_use]
    pub fn kind(&self) -> MapKind {
        match self {
            FieldValue::Bytes(_) => MapKind::Hash,
            FieldValue::Score(_) => MapKind::Scores,
            FieldValue::Stream(_) => MapKind::Stream,
            FieldValue::Member => MapKind::Set,
            FieldValue::Element(_) => MapKind::List,
        }
    }

    /// A hash field's bytes; `None` for a field of any other kind.
    #[must_use]
    pub fn hash_bytes(&self) -> Option<&Bytes> {
        match self {
            FieldValue::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub(crate) fn weight(&self) -> usize {
        match self {
            FieldValue::Bytes(b) | FieldValue::Element(b) => hash::value_weight(b),
            FieldValue::Score(_) => scores::VALUE_WEIGHT,
            FieldValue::Stream(b) => b.len(),
            FieldValue::Member => set::VALUE_WEIGHT,
        }
    }

    /// Appends the value to a patch record: its tag, then its bytes. (Tag 0
    /// is a removed field, which the record writes itself.)
    pub(crate) fn encode(&self, out: &mut BytesMut) {
        match self {
            FieldValue::Bytes(b) => {
                out.put_u8(hash::FIELD_TAG);
                hash::encode_field(out, b);
            }
            FieldValue::Score(s) => {
                out.put_u8(scores::FIELD_TAG);
                scores::encode_field(out, *s);
            }
            FieldValue::Stream(b) => {
                out.put_u8(stream::FIELD_TAG);
                stream::encode_field(out, b);
            }
            FieldValue::Member => out.put_u8(set::FIELD_TAG),
            FieldValue::Element(b) => {
                out.put_u8(list::FIELD_TAG);
                hash::encode_field(out, b);
            }
        }
    }

    /// Reads the value [`encode`](Self::encode) wrote, whose tag was `tag`.
    pub(crate) fn decode(tag: u8, buf: &mut Bytes) -> Result<FieldValue, RecordError> {
        match tag {
            hash::FIELD_TAG => Ok(FieldValue::Bytes(hash::decode_field(buf)?)),
            scores::FIELD_TAG => Ok(FieldValue::Score(scores::decode_field(buf)?)),
            stream::FIELD_TAG => Ok(FieldValue::Stream(stream::decode_field(buf)?)),
            set::FIELD_TAG => Ok(FieldValue::Member),
            list::FIELD_TAG => Ok(FieldValue::Element(hash::decode_field(buf)?)),
            _ => Err(RecordError("unknown field value tag")),
        }
    }

    /// The value with the bytes it holds copied into allocations of its own
    /// (see `owned.rs`).
    pub(crate) fn into_owned(self) -> FieldValue {
        match self {
            FieldValue::Bytes(b) => FieldValue::Bytes(hash::own_field(&b)),
            FieldValue::Stream(b) => FieldValue::Stream(hash::own_field(&b)),
            FieldValue::Element(b) => FieldValue::Element(hash::own_field(&b)),
            other @ (FieldValue::Score(_) | FieldValue::Member) => other,
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
    /// A stream: entries by id, its metadata and its consumer groups.
    Stream(Arc<Stream>),
    /// A set of members, reachable by position too (for random picks).
    Set(Arc<MemberSet>),
    /// A list: each element under its order key, the keys' byte order
    /// being the list's (see [`list_order`](crate::list_order)).
    List(Arc<BTreeMap<Bytes, Bytes>>),
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
            Value::Stream(_) => Some(MapKind::Stream),
            Value::Set(_) => Some(MapKind::Set),
            Value::List(_) => Some(MapKind::List),
        }
    }

    /// One field of a map, or `None` if absent or if this is a blob.
    #[must_use]
    pub fn field(&self, field: &[u8]) -> Option<FieldValue> {
        match self {
            Value::Blob(_) => None,
            Value::Hash(m) => m.get(field).cloned().map(FieldValue::Bytes),
            Value::Scores(m) => m.get(field).map(FieldValue::Score),
            Value::Stream(s) => stream::field(s, field).map(FieldValue::Stream),
            Value::Set(m) => m.contains(field).then_some(FieldValue::Member),
            Value::List(m) => m.get(field).cloned().map(FieldValue::Element),
        }
    }

    /// A map of `kind` holding `fields` (of two entries for one field the
    /// later wins; a value of another kind is left out), or `None` if it
    /// holds none: a map with no fields is no key. How a store builds a map
    /// it loads, whatever its kind.
    #[must_use]
    pub fn map_of(
        kind: MapKind,
        fields: impl IntoIterator<Item = (Bytes, FieldValue)>,
    ) -> Option<Value> {
        let mut map = Value::empty_map(kind);
        for (field, value) in fields {
            map.apply_field(&field, Some(&value));
        }
        (!map.is_empty_map()).then_some(map)
    }

    /// An empty map of the given kind.
    pub(crate) fn empty_map(kind: MapKind) -> Value {
        match kind {
            MapKind::Hash => Value::Hash(Arc::default()),
            MapKind::Scores => Value::Scores(Arc::default()),
            MapKind::Stream => Value::Stream(Arc::default()),
            MapKind::Set => Value::Set(Arc::default()),
            MapKind::List => Value::List(Arc::default()),
        }
    }

    /// Sets or removes one field of a map in place (copying the map only if
    /// it is shared). A field whose kind does not match the map is ignored:
    /// the engine checks kinds before it builds a change.
    pub(crate) fn apply_field(&mut self, field: &Bytes, value: Option<&FieldValue>) {
        // By the value first, so that a new kind is an arm the compiler asks
        // for.
        match self {
            Value::Blob(_) => {}
            Value::Hash(m) => match value {
                Some(FieldValue::Bytes(v)) => hash::set(m, field, Some(v)),
                None => hash::set(m, field, None),
                Some(_) => {}
            },
            Value::Scores(m) => match value {
                Some(FieldValue::Score(s)) => scores::set(m, field, Some(*s)),
                None => scores::set(m, field, None),
                Some(_) => {}
            },
            Value::Stream(s) => match value {
                Some(FieldValue::Stream(v)) => stream::set_field(s, field, Some(v)),
                None => stream::set_field(s, field, None),
                Some(_) => {}
            },
            Value::Set(m) => match value {
                Some(FieldValue::Member) => set::set(m, field, true),
                None => set::set(m, field, false),
                Some(_) => {}
            },
            Value::List(m) => match value {
                Some(FieldValue::Element(v)) => hash::set(m, field, Some(v)),
                None => hash::set(m, field, None),
                Some(_) => {}
            },
        }
    }

    /// True for a map with no fields: such a key does not exist, as in Redis.
    pub(crate) fn is_empty_map(&self) -> bool {
        self.map_len() == Some(0)
    }

    /// The number of fields of a map, or `None` for a blob.
    pub(crate) fn map_len(&self) -> Option<usize> {
        match self {
            Value::Blob(_) => None,
            Value::Hash(m) => Some(m.len()),
            Value::Scores(m) => Some(m.len()),
            Value::Stream(s) => Some(stream::len(s)),
            Value::Set(m) => Some(m.len()),
            Value::List(m) => Some(m.len()),
        }
    }

    /// Appends the value to a packed clean entry (`clean.rs`) and returns
    /// its kind's tag there (never 0), or `None`, with nothing appended, for
    /// a value its kind keeps unpacked (too large, or a scored map).
    pub(crate) fn pack(&self, out: &mut Vec<u8>) -> Option<u8> {
        match self {
            Value::Blob(b) => blob::pack(b, out).then_some(blob::PACK_TAG),
            Value::Hash(m) => hash::pack(m, out).then_some(hash::PACK_TAG),
            Value::Set(m) => set::pack(m, out).then_some(set::PACK_TAG),
            Value::Scores(_) | Value::Stream(_) | Value::List(_) => None,
        }
    }

    /// The value [`pack`](Value::pack) wrote under `tag`, its bytes slices
    /// of `payload`; `None` if `payload` is not one.
    pub(crate) fn unpack(tag: u8, payload: Bytes) -> Option<Value> {
        match tag {
            blob::PACK_TAG => Some(Value::Blob(blob::unpack(payload))),
            hash::PACK_TAG => hash::unpack(payload).map(|m| Value::Hash(Arc::new(m))),
            set::PACK_TAG => set::unpack(payload).map(|m| Value::Set(Arc::new(m))),
            _ => None,
        }
    }

    /// Bytes this value accounts for in the cache and the write buffer
    /// (what the memory bounds count; `MEMORY USAGE`).
    #[must_use]
    pub fn weight(&self) -> usize {
        match self {
            Value::Blob(b) => blob::weight(b),
            Value::Hash(m) => hash::weight(m),
            Value::Scores(m) => scores::weight(m),
            Value::Stream(s) => stream::weight(s),
            Value::Set(m) => set::weight(m),
            Value::List(m) => list::weight(m),
        }
    }

    /// A map's fields with their values, as its stores hold them (for a
    /// stream, its entries and its state alike); `None` for a blob.
    /// [`Value::map_of`] builds the value back from them, so a value of any
    /// kind can be copied field by field.
    #[must_use]
    pub fn fields(&self) -> Option<Vec<(Bytes, FieldValue)>> {
        let (_, fields) = self.to_patch()?;
        Some(fields.into_iter().filter_map(|(f, (_, v))| Some((f, v?))).collect())
    }

    /// A map's kind and every field at version 0 with its value, as a write
    /// that rewrites the map whole records them; `None` for a blob.
    pub(crate) fn to_patch(&self) -> Option<(MapKind, PatchFields)> {
        let fields = match self {
            Value::Blob(_) => return None,
            Value::Hash(m) => {
                hash::entries(m).map(|(f, v)| (f, (0, Some(FieldValue::Bytes(v))))).collect()
            }
            Value::Scores(m) => {
                scores::entries(m).map(|(f, s)| (f, (0, Some(FieldValue::Score(s))))).collect()
            }
            Value::Stream(s) => stream::entries(s)
                .into_iter()
                .map(|(f, v)| (f, (0, Some(FieldValue::Stream(v)))))
                .collect(),
            Value::Set(m) => set::entries(m).map(|f| (f, (0, Some(FieldValue::Member)))).collect(),
            Value::List(m) => {
                hash::entries(m).map(|(f, v)| (f, (0, Some(FieldValue::Element(v))))).collect()
            }
        };
        Some((self.map_kind()?, fields))
    }
}

/// Bytes an entry accounts for beyond its value (its expiry).
pub(crate) const ENTRY_OVERHEAD: usize = 8;

/// Bytes one field of a map of `kind` accounts for, as [`Value::weight`]
/// counts it; a removed field (`None`) accounts for nothing.
pub(crate) fn map_field_weight(kind: MapKind, field: &[u8], value: Option<&FieldValue>) -> usize {
    match (kind, value) {
        (_, None) => 0,
        (MapKind::Hash, Some(v)) => hash::field_weight(field, v.weight()),
        (MapKind::Scores, Some(_)) => scores::field_weight(field),
        (MapKind::Stream, Some(v)) => stream::field_weight(field, v.weight()),
        (MapKind::Set, Some(_)) => set::field_weight(field),
        (MapKind::List, Some(v)) => list::field_weight(field, v.weight()),
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
