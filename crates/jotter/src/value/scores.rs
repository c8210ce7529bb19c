//! A scored map: members with `f64` scores, kept in score order too (a
//! Redis sorted set; the stores keep it in `jotter_zsets`).
//!
//! Every rule the engine has for this kind lives here, on the map and the
//! scores themselves; `value/mod.rs` only routes a [`Value::Scores`] (or a
//! [`MapKind::Scores`], a [`FieldValue::Score`]) to them. The log tags are
//! part of the record format: never change them, or old logs no longer
//! read.
//!
//! [`Value::Scores`]: super::Value::Scores
//! [`MapKind::Scores`]: super::MapKind::Scores
//! [`FieldValue::Score`]: super::FieldValue::Score

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};

use crate::score_map::ScoreMap;
use crate::wire::{self, RecordError};

/// What a scored map holds.
pub(super) type Map = ScoreMap;

/// The kind's name in messages.
pub(super) const NAME: &str = "scored map";

/// The kind's tag in a patch record.
pub(super) const LOG_TAG: u8 = 1;

/// The tag of one member's score in a patch record.
pub(super) const FIELD_TAG: u8 = 2;

/// Bytes a member accounts for beyond its name (its score, kept twice: by
/// member and by rank).
const MEMBER_OVERHEAD: usize = 48;

/// Bytes a pending member's score accounts for.
pub(super) const VALUE_WEIGHT: usize = 8;

/// Appends a member's score to a record, after its [`FIELD_TAG`].
pub(super) fn encode_field(out: &mut BytesMut, score: f64) {
    out.put_f64_le(score);
}

/// Reads what [`encode_field`] wrote.
pub(super) fn decode_field(buf: &mut Bytes) -> Result<f64, RecordError> {
    wire::get_f64(buf)
}

/// Bytes one member accounts for in the map.
pub(super) fn field_weight(member: &[u8]) -> usize {
    MEMBER_OVERHEAD + member.len()
}

/// Bytes the map accounts for.
pub(super) fn weight(map: &Map) -> usize {
    map.iter().map(|(m, _)| field_weight(m)).sum()
}

/// Sets (`Some`) or removes (`None`) one member, copying the map only if it
/// is shared.
pub(super) fn set(map: &mut Arc<Map>, member: &Bytes, score: Option<f64>) {
    match score {
        Some(s) => {
            Arc::make_mut(map).insert(member.clone(), s);
        }
        None => {
            Arc::make_mut(map).remove(member);
        }
    }
}

/// Every member and its score, as a write that rewrites the map records
/// them.
pub(super) fn entries(map: &Map) -> impl Iterator<Item = (Bytes, f64)> + '_ {
    map.iter().map(|(m, s)| (m.clone(), s))
}
