//! A list: elements under order keys, the map's byte order being the
//! list's order (a Redis list; the stores keep it in `jotter_lists`, one
//! row per element).
//!
//! Every rule the engine has for this kind lives here; `value/mod.rs` only
//! routes a [`Value::List`] (or a [`MapKind::List`], a
//! [`FieldValue::Element`]) to them. A list's map has the shape of a
//! hash's, its fields order keys (see `list_order.rs` for how they are
//! chosen), so `value/mod.rs` gives it the hash's copy-on-write edits,
//! owned copies and field encoding; what differs is here. The log
//! tags are part of the record format: never change them, or old logs no
//! longer read.
//!
//! [`Value::List`]: super::Value::List
//! [`MapKind::List`]: super::MapKind::List
//! [`FieldValue::Element`]: super::FieldValue::Element

use std::collections::BTreeMap;

use bytes::Bytes;

/// What a list holds: each element under its order key.
pub(super) type Map = BTreeMap<Bytes, Bytes>;

/// The kind's name in messages.
pub(super) const NAME: &str = "list";

/// The kind's tag in a patch record.
pub(super) const LOG_TAG: u8 = 4;

/// The tag of one element in a patch record.
pub(super) const FIELD_TAG: u8 = 5;

/// Bytes an element accounts for beyond its order key and its value.
const ELEMENT_OVERHEAD: usize = 16;

/// Bytes one element accounts for in the list, given its value's weight.
pub(super) fn field_weight(order_key: &[u8], value_weight: usize) -> usize {
    ELEMENT_OVERHEAD + order_key.len() + value_weight
}

/// Bytes the list accounts for.
pub(super) fn weight(map: &Map) -> usize {
    map.iter().map(|(k, v)| field_weight(k, v.len())).sum()
}
