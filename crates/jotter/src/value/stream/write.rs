//! The field changes a stream command makes: each entry, the metadata,
//! each group header, consumer and pending entry is a field of its own, so
//! a command writes only what it touches.

use bytes::Bytes;

use super::fields::{self, Field};
use super::id::StreamId;
use super::pairs;
use super::state::{Consumer, GroupHeader, Pending, StreamMeta};
use crate::value::FieldValue;

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
