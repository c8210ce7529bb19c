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
mod id;
mod pairs;
mod state;
mod write;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

pub(crate) use self::fields::ENTRY_KEY_LEN;
use self::fields::Field;
pub use self::id::StreamId;
pub use self::state::{Consumer, GroupHeader, Pending, StreamMeta};
#[cfg(any(test, feature = "testing"))]
pub(crate) use self::write::sample_change;
pub use self::write::{StreamChange, StreamWrite};
use crate::wire::{self, RecordError};

/// The kind's name in messages.
pub(super) const NAME: &str = "stream";

/// The kind's tag in a patch record.
pub(super) const LOG_TAG: u8 = 5;

/// The tag of one field's value in a patch record.
pub(super) const FIELD_TAG: u8 = 6;

/// Bytes an entry or a state field accounts for beyond its bytes.
const FIELD_OVERHEAD: usize = 48;

/// An entry's field/value pairs, flat: field, value, field, value, ...
pub type StreamEntry = Arc<[Bytes]>;

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
            let pending: usize =
                g.pending.values().map(|p| field_weight(name, 32 + p.consumer.len())).sum();
            let consumers: usize =
                g.consumers.keys().map(|c| field_weight(name, 8 + c.len())).sum();
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
        Field::Consumer(g, c) => s.groups.get(&g)?.consumers.get(&c).map(fields::consumer_value),
        Field::Pending(g, id) => s.groups.get(&g)?.pending.get(&id).map(fields::pending_value),
    }
}

/// Every field and its value, as a write that rewrites the stream records
/// them.
pub(super) fn entries(s: &Map) -> Vec<(Bytes, Bytes)> {
    let mut out: Vec<(Bytes, Bytes)> =
        s.entries.iter().map(|(id, e)| (Field::Entry(*id).key(), pairs::encode(e))).collect();
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
