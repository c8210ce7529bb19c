//! A set: members without values (a Redis set; the stores keep it in
//! `jotter_sets`, one row per member).
//!
//! Every rule the engine has for this kind lives here, on the set and its
//! members; `value/mod.rs` only routes a [`Value::Set`] (or a
//! [`MapKind::Set`], a [`FieldValue::Member`]) to them. A member is a field
//! whose value says only "present", so adding or removing one is a field
//! change like a hash's, coalesced per key the same way; its field value
//! has no bytes in the log. The log tags are part of the record format:
//! never change them, or old logs no longer read.
//!
//! In the clean cache a small set (at most [`PACK_MEMBERS`] members, none
//! longer than 64 bytes) is packed, as Redis keeps a small set in a
//! listpack or an intset: each member after a length byte, in order
//! (`packed.rs`).
//!
//! [`Value::Set`]: super::Value::Set
//! [`MapKind::Set`]: super::MapKind::Set
//! [`FieldValue::Member`]: super::FieldValue::Member

use std::sync::Arc;

use bytes::Bytes;

use super::packed;
use crate::member_set::MemberSet;

/// What a set holds.
pub(super) type Members = MemberSet;

/// The kind's name in messages.
pub(super) const NAME: &str = "set";

/// The kind's tag in a patch record.
pub(super) const LOG_TAG: u8 = 3;

/// The tag of a present member in a patch record (nothing follows it).
pub(super) const FIELD_TAG: u8 = 4;

/// The kind's tag in a packed clean entry.
pub(super) const PACK_TAG: u8 = 4;

/// The most members a packed set holds (Redis's `set-max-listpack-entries`).
const PACK_MEMBERS: usize = 128;

/// Bytes a member accounts for beyond its name (its slot and its shared
/// handle).
const MEMBER_OVERHEAD: usize = 16;

/// Bytes a pending member's value accounts for: it has none.
pub(super) const VALUE_WEIGHT: usize = 0;

/// Bytes one member accounts for in the set.
pub(super) fn field_weight(member: &[u8]) -> usize {
    MEMBER_OVERHEAD + member.len()
}

/// Bytes the set accounts for.
pub(super) fn weight(set: &Members) -> usize {
    set.iter().map(|m| field_weight(m)).sum()
}

/// Appends the set to a packed clean entry, unless it is too large to pack.
pub(super) fn pack(set: &Members, out: &mut Vec<u8>) -> bool {
    if set.len() > PACK_MEMBERS || !packed::fits(set.iter()) {
        return false;
    }
    packed::put(set.iter(), out);
    true
}

/// The set [`pack`] wrote, its members slices of `payload`; `None` if
/// `payload` is not one.
pub(super) fn unpack(payload: Bytes) -> Option<Members> {
    Some(packed::items(payload)?.into_iter().collect())
}

/// Adds (`true`) or removes one member, copying the set only if it is
/// shared.
pub(super) fn set(set: &mut Arc<Members>, member: &Bytes, present: bool) {
    if present {
        if !set.contains(member) {
            Arc::make_mut(set).insert(member.clone());
        }
    } else if set.contains(member) {
        Arc::make_mut(set).remove(member);
    }
}

/// Every member, as a write that rewrites the set records them.
pub(super) fn entries(set: &Members) -> impl Iterator<Item = Bytes> + '_ {
    set.iter().cloned()
}
