//! A stream: entries by id, each its own field, beside the stream's state
//! (its metadata and its consumer groups), each also a field of its own.
//! The stores keep the entries in `jotter_streams` and the state in
//! `jotter_stream_state`.
//!
//! Every rule the engine has for this kind lives here and in its two
//! helpers (`fields.rs`: what a field key names and how state is spelled;
//! `pairs.rs`: an entry's field/value pairs as bytes); `value/mod.rs` only
//! routes a [`Value::Stream`] (a [`MapKind::Stream`], a
//! [`FieldValue::Stream`]) here. Because each entry, each group, each
//! consumer and each pending entry is a field, XADD writes one entry row
//! and the metadata row, XDEL and trimming remove rows, XACK removes a
//! pending row: never a rewrite of the stream. A field value is the
//! field's bytes as the stores hold them; the stream decodes it when the
//! field is applied, and ignores a field it cannot read.
//!
//! The log tags are part of the record format: never change them.
//!
//! [`Value::Stream`]: super::Value::Stream
//! [`MapKind::Stream`]: super::MapKind::Stream
//! [`FieldValue::Stream`]: super::FieldValue::Stream

mod fields;
mod pairs;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use self::fields::Field;
pub(crate) use self::fields::ENTRY_KEY_LEN;
use super::FieldValue;
use crate::wire::{self, RecordError};

/// The kind's name in messages.
pub(super) const NAME: &str = "stream";

/// The kind's tag in a patch record.
pub(super) const LOG_TAG: u8 = 5;

/// The tag of one field's value in a patch record.
pub(super) const FIELD_TAG: u8 = 6;

/// Bytes an entry or a state field accounts for beyond its bytes.
const FIELD_OVERHEAD: usize = 48;

/// A stream entry's id: milliseconds, then a sequence number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    /// The milliseconds part.
    pub ms: u64,
    /// The sequence part.
    pub seq: u64,
}

impl StreamId {
    /// `0-0`.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The greatest id.
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    /// The next id, or `None` after [`StreamId::MAX`].
    #[must_use]
    pub fn next(self) -> Option<StreamId> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => Some(StreamId { ms: self.ms.checked_add(1)?, seq: 0 }),
        }
    }

    /// The previous id, or `None` before [`StreamId::MIN`].
    #[must_use]
    pub fn prev(self) -> Option<StreamId> {
        match self.seq.checked_sub(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => Some(StreamId { ms: self.ms.checked_sub(1)?, seq: u64::MAX }),
        }
    }

    /// The 16 bytes of an entry's field key (big-endian, so in id order).
    #[must_use]
    pub fn to_bytes(self) -> [u8; 16] {
        let mut out = [0; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }

    /// The id [`to_bytes`](Self::to_bytes) wrote.
    #[must_use]
    pub fn from_bytes(b: &[u8]) -> Option<StreamId> {
        let b: &[u8; 16] = b.try_into().ok()?;
        let (ms, seq) = b.split_at(8);
        Some(StreamId {
            ms: u64::from_be_bytes(ms.try_into().ok()?),
            seq: u64::from_be_bytes(seq.try_into().ok()?),
        })
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// An entry's field/value pairs, flat: field, value, field, value, ...
pub type StreamEntry = Arc<[Bytes]>;

/// What a stream keeps besides its entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamMeta {
    /// The greatest id ever added (or set by XSETID).
    pub last_id: StreamId,
    /// How many entries were ever added.
    pub entries_added: u64,
    /// The greatest id ever deleted.
    pub max_deleted_id: StreamId,
}

/// A consumer group's own state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupHeader {
    /// The last id delivered to the group.
    pub last_id: StreamId,
    /// How many entries the group has read, if known.
    pub entries_read: Option<u64>,
}

/// A group's consumer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// When it last read or claimed (Unix milliseconds).
    pub seen: u64,
}

/// An entry delivered to a group and not yet acknowledged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    /// The consumer it was last delivered to.
    pub consumer: Bytes,
    /// When it was last delivered (Unix milliseconds).
    pub delivered_at: u64,
    /// How many times it was delivered.
    pub deliveries: u64,
}

/// A consumer group: its header, its consumers, its pending entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamGroup {
    header: GroupHeader,
    consumers: BTreeMap<Bytes, Consumer>,
    pending: BTreeMap<StreamId, Pending>,
}

impl StreamGroup {
    /// The group's last delivered id and entries read.
    #[must_use]
    pub fn header(&self) -> GroupHeader {
        self.header
    }

    /// Its consumers by name.
    #[must_use]
    pub fn consumers(&self) -> &BTreeMap<Bytes, Consumer> {
        &self.consumers
    }

    /// Its pending entries by id.
    #[must_use]
    pub fn pending(&self) -> &BTreeMap<StreamId, Pending> {
        &self.pending
    }

    fn field_count(&self) -> usize {
        1 + self.consumers.len() + self.pending.len()
    }
}

/// A stream's entries, metadata and groups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stream {
    entries: BTreeMap<StreamId, StreamEntry>,
    meta: Option<StreamMeta>,
    groups: BTreeMap<Bytes, StreamGroup>,
}

impl Stream {
    /// The entries in id order.
    #[must_use]
    pub fn entries(&self) -> &BTreeMap<StreamId, StreamEntry> {
        &self.entries
    }

    /// The stream's metadata.
    #[must_use]
    pub fn meta(&self) -> StreamMeta {
        self.meta.unwrap_or_default()
    }

    /// The consumer groups by name.
    #[must_use]
    pub fn groups(&self) -> &BTreeMap<Bytes, StreamGroup> {
        &self.groups
    }
}

/// The field changes a stream command makes, each `(field, value)` as
/// [`Txn::set_fields`](crate::Txn::set_fields) takes them for
/// [`MapKind::Stream`](super::MapKind::Stream).
pub struct StreamWrite;

/// One field change.
pub type StreamChange = (Bytes, Option<FieldValue>);

fn set(field: &Field, value: Bytes) -> StreamChange {
    (field.key(), Some(FieldValue::Stream(value)))
}

impl StreamWrite {
    /// Adds the entry `id` holding `flat` (field, value, ...).
    #[must_use]
    pub fn entry(id: StreamId, flat: &[Bytes]) -> StreamChange {
        set(&Field::Entry(id), pairs::encode(flat))
    }

    /// Removes the entry `id`.
    #[must_use]
    pub fn remove_entry(id: StreamId) -> StreamChange {
        (Field::Entry(id).key(), None)
    }

    /// Sets the metadata (every stream has it: the stream exists while it does).
    #[must_use]
    pub fn meta(meta: &StreamMeta) -> StreamChange {
        set(&Field::Meta, fields::meta_value(meta))
    }

    /// Sets a group's header, creating the group.
    #[must_use]
    pub fn group(group: &Bytes, header: &GroupHeader) -> StreamChange {
        set(&Field::Group(group.clone()), fields::group_value(header))
    }

    /// Removes a group's header; its consumers and pending entries must be
    /// removed in the same change.
    #[must_use]
    pub fn remove_group(group: &Bytes) -> StreamChange {
        (Field::Group(group.clone()).key(), None)
    }

    /// Sets a consumer of `group`.
    #[must_use]
    pub fn consumer(group: &Bytes, name: &Bytes, c: &Consumer) -> StreamChange {
        set(&Field::Consumer(group.clone(), name.clone()), fields::consumer_value(c))
    }

    /// Removes a consumer of `group`.
    #[must_use]
    pub fn remove_consumer(group: &Bytes, name: &Bytes) -> StreamChange {
        (Field::Consumer(group.clone(), name.clone()).key(), None)
    }

    /// Sets a pending entry of `group`.
    #[must_use]
    pub fn pending(group: &Bytes, id: StreamId, p: &Pending) -> StreamChange {
        set(&Field::Pending(group.clone(), id), fields::pending_value(p))
    }

    /// Removes a pending entry of `group`.
    #[must_use]
    pub fn remove_pending(group: &Bytes, id: StreamId) -> StreamChange {
        (Field::Pending(group.clone(), id).key(), None)
    }
}

/// What a stream holds.
pub(super) type Map = Stream;

/// Appends a field's value to a record, after its [`FIELD_TAG`].
pub(super) fn encode_field(out: &mut BytesMut, value: &Bytes) {
    wire::put_bytes(out, value);
}

/// Reads what [`encode_field`] wrote.
pub(super) fn decode_field(buf: &mut Bytes) -> Result<Bytes, RecordError> {
    wire::get_bytes(buf)
}

/// Bytes one field accounts for.
pub(super) fn field_weight(field: &[u8], value_weight: usize) -> usize {
    FIELD_OVERHEAD + field.len() + value_weight
}

/// Bytes the stream accounts for (approximately: an entry counts its
/// pairs, state its names).
pub(super) fn weight(s: &Map) -> usize {
    let entries: usize = s
        .entries
        .values()
        .map(|e| field_weight(&[0; ENTRY_KEY_LEN], e.iter().map(|b| b.len() + 4).sum()))
        .sum();
    let groups: usize = s
        .groups
        .iter()
        .map(|(name, g)| {
            let pending: usize = g.pending.values().map(|p| field_weight(name, 32 + p.consumer.len())).sum();
            let consumers: usize = g.consumers.keys().map(|c| field_weight(name, 8 + c.len())).sum();
            field_weight(name, 24) + pending + consumers
        })
        .sum();
    field_weight(b"m", 40) + entries + groups
}

/// How many fields the stream has.
pub(super) fn len(s: &Map) -> usize {
    s.entries.len()
        + usize::from(s.meta.is_some())
        + s.groups.values().map(StreamGroup::field_count).sum::<usize>()
}

/// Sets (`Some`) or removes (`None`) one field, copying the stream only if
/// it is shared. A field the stream cannot read is ignored.
pub(super) fn set_field(s: &mut Arc<Map>, key: &[u8], value: Option<&Bytes>) {
    let Some(field) = Field::parse(key) else { return };
    let s = Arc::make_mut(s);
    let v = value.map(|b| &b[..]);
    match field {
        Field::Entry(id) => match v.map(pairs::decode) {
            Some(Ok(flat)) => {
                s.entries.insert(id, flat.into());
            }
            Some(Err(_)) => {}
            None => {
                s.entries.remove(&id);
            }
        },
        Field::Meta => s.meta = v.and_then(fields::parse_meta),
        Field::Group(g) => match v {
            Some(v) => {
                if let Some(h) = fields::parse_group(v) {
                    s.groups.entry(g).or_default().header = h;
                }
            }
            None => {
                s.groups.remove(&g);
            }
        },
        Field::Consumer(g, c) => match v {
            Some(v) => {
                if let Some(consumer) = fields::parse_consumer(v) {
                    s.groups.entry(g).or_default().consumers.insert(c, consumer);
                }
            }
            None => {
                if let Some(group) = s.groups.get_mut(&g) {
                    group.consumers.remove(&c);
                }
            }
        },
        Field::Pending(g, id) => match v {
            Some(v) => {
                if let Some(p) = fields::parse_pending(v) {
                    s.groups.entry(g).or_default().pending.insert(id, p);
                }
            }
            None => {
                if let Some(group) = s.groups.get_mut(&g) {
                    group.pending.remove(&id);
                }
            }
        },
    }
}

/// One field's value as the stores hold it, if the stream has it.
pub(super) fn field(s: &Map, key: &[u8]) -> Option<Bytes> {
    match Field::parse(key)? {
        Field::Entry(id) => s.entries.get(&id).map(|e| pairs::encode(e)),
        Field::Meta => s.meta.as_ref().map(fields::meta_value),
        Field::Group(g) => s.groups.get(&g).map(|g| fields::group_value(&g.header)),
        Field::Consumer(g, c) => {
            s.groups.get(&g)?.consumers.get(&c).map(fields::consumer_value)
        }
        Field::Pending(g, id) => s.groups.get(&g)?.pending.get(&id).map(fields::pending_value),
    }
}

/// Every field and its value, as a write that rewrites the stream records
/// them.
pub(super) fn entries(s: &Map) -> Vec<(Bytes, Bytes)> {
    let mut out: Vec<(Bytes, Bytes)> = s
        .entries
        .iter()
        .map(|(id, e)| (Field::Entry(*id).key(), pairs::encode(e)))
        .collect();
    if let Some(m) = &s.meta {
        out.push((Field::Meta.key(), fields::meta_value(m)));
    }
    for (name, g) in &s.groups {
        out.push((Field::Group(name.clone()).key(), fields::group_value(&g.header)));
        for (c, consumer) in &g.consumers {
            out.push((
                Field::Consumer(name.clone(), c.clone()).key(),
                fields::consumer_value(consumer),
            ));
        }
        for (id, p) in &g.pending {
            out.push((Field::Pending(name.clone(), *id).key(), fields::pending_value(p)));
        }
    }
    out
}

/// A field change of a stream for the property tests, distinct for each
/// `pick`: the metadata, an entry, a group or a pending entry, set (to
/// something made of `bytes`) or removed.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn sample_change(pick: u64, bytes: Bytes, set: bool) -> StreamChange {
    let id = StreamId { ms: pick, seq: pick % 3 };
    let group = Bytes::from(format!("g{pick}"));
    let change = match pick % 3 {
        _ if pick == 0 => StreamWrite::meta(&StreamMeta {
            last_id: id,
            entries_added: bytes.len() as u64,
            max_deleted_id: id,
        }),
        1 => StreamWrite::entry(id, &[bytes.clone(), bytes]),
        2 => StreamWrite::pending(
            &Bytes::from_static(b"g2"),
            id,
            &Pending { consumer: bytes, delivered_at: pick, deliveries: 1 },
        ),
        _ => StreamWrite::group(&group, &GroupHeader { last_id: id, entries_read: Some(pick) }),
    };
    if set { change } else { (change.0, None) }
}
