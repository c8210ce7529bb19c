//! A hash: fields with byte values (a Redis hash; the stores keep it in
//! `jotter_hashes`).
//!
//! Every rule the engine has for this kind lives here, on the map and the
//! field values themselves; `value/mod.rs` only routes a [`Value::Hash`]
//! (or a [`MapKind::Hash`], a [`FieldValue::Bytes`]) to them. The log tags
//! are part of the record format: never change them, or old logs no longer
//! read.
//!
//! In the clean cache a small hash (at most [`PACK_FIELDS`] fields, none
//! longer than 64 bytes, nor any value) is packed, as Redis keeps a small
//! hash in a listpack: each field and value after a length byte, in field
//! order, in the clean entry's one allocation (`packed.rs`), rather than a
//! tree node and two shared handles a field.
//!
//! [`Value::Hash`]: super::Value::Hash
//! [`MapKind::Hash`]: super::MapKind::Hash
//! [`FieldValue::Bytes`]: super::FieldValue::Bytes

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::packed;
use crate::owned::own;
use crate::wire::{self, RecordError};

/// What a hash holds.
pub(super) type Map = BTreeMap<Bytes, Bytes>;

/// The kind's name in messages.
pub(super) const NAME: &str = "hash";

/// The kind's tag in a patch record.
pub(super) const LOG_TAG: u8 = 0;

/// The tag of one field's value in a patch record.
pub(super) const FIELD_TAG: u8 = 1;

/// The kind's tag in a packed clean entry.
pub(super) const PACK_TAG: u8 = 2;

/// The most fields a packed hash holds (Redis's `hash-max-listpack-entries`).
/// Packing and unpacking take time in the number of fields, on every flush
/// and every read of the clean entry, so a large hash stays a map.
const PACK_FIELDS: usize = 128;

/// Bytes a field accounts for beyond its name and value.
const FIELD_OVERHEAD: usize = 16;

/// Appends a field's value to a record, after its [`FIELD_TAG`].
pub(super) fn encode_field(out: &mut BytesMut, value: &Bytes) {
    wire::put_bytes(out, value);
}

/// Reads what [`encode_field`] wrote.
pub(super) fn decode_field(buf: &mut Bytes) -> Result<Bytes, RecordError> {
    wire::get_bytes(buf)
}

/// A field's value in an allocation of its own.
pub(super) fn own_field(value: &Bytes) -> Bytes {
    own(value)
}

/// Bytes a pending field's value accounts for.
pub(super) fn value_weight(value: &Bytes) -> usize {
    value.len()
}

/// Bytes one field accounts for in the map, given its value's weight.
pub(super) fn field_weight(field: &[u8], value_weight: usize) -> usize {
    FIELD_OVERHEAD + field.len() + value_weight
}

/// Bytes the map accounts for.
pub(super) fn weight(map: &Map) -> usize {
    map.iter().map(|(f, v)| field_weight(f, value_weight(v))).sum()
}

/// Appends the map to a packed clean entry, unless it is too large to pack.
pub(super) fn pack(map: &Map, out: &mut Vec<u8>) -> bool {
    let flat = || map.iter().flat_map(|(f, v)| [f, v]);
    if map.len() > PACK_FIELDS || !packed::fits(flat()) {
        return false;
    }
    packed::put(flat(), out);
    true
}

/// The map [`pack`] wrote, its fields and values slices of `payload`; `None`
/// if `payload` is not one.
pub(super) fn unpack(payload: Bytes) -> Option<Map> {
    let items = packed::items(payload)?;
    if !items.len().is_multiple_of(2) {
        return None;
    }
    let mut items = items.into_iter();
    Some(std::iter::from_fn(|| Some((items.next()?, items.next()?))).collect())
}

/// Sets (`Some`) or removes (`None`) one field, copying the map only if it
/// is shared.
pub(super) fn set(map: &mut Arc<Map>, field: &Bytes, value: Option<&Bytes>) {
    match value {
        Some(v) => {
            Arc::make_mut(map).insert(field.clone(), v.clone());
        }
        None => {
            Arc::make_mut(map).remove(field);
        }
    }
}

/// Every field and its value, as a write that rewrites the map records them.
pub(super) fn entries(map: &Map) -> impl Iterator<Item = (Bytes, Bytes)> + '_ {
    map.iter().map(|(f, v)| (f.clone(), v.clone()))
}
