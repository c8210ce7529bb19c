//! What the consumer-group commands share: finding a group, Redis's
//! NOGROUP errors, a group's read counter and lag (`streamRangeHasTombstones`,
//! `streamEstimateDistanceFromFirstEverEntry`, `streamReplyWithCGLag`),
//! and the field changes that move an entry into or out of a group's
//! pending entries and refresh a consumer.

use bytes::Bytes;
use jotter::{Consumer, GroupHeader, MapKind, Stream, StreamGroup, StreamId, StreamWrite, Txn};

use super::reply::stream;
use crate::command::fail::{self, Fail};

/// The group `name` of `s`.
pub(super) fn find<'s>(s: &'s Stream, name: &[u8]) -> Option<&'s StreamGroup> {
    s.groups().get(name)
}

/// `-NOGROUP No such key '<key>' or consumer group '<group>'<suffix>`.
pub(super) fn no_group(key: &[u8], group: &[u8], suffix: &str) -> Fail {
    fail::error(format!(
        "NOGROUP No such key '{}' or consumer group '{}'{suffix}",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ))
}

/// The group `name` of the stream at `key` (a clone: the command changes
/// it through the transaction), or the NOGROUP error with `suffix`.
pub(super) fn existing(
    txn: &Txn<'_>,
    key: &[u8],
    name: &[u8],
    suffix: &str,
) -> Result<StreamGroup, Fail> {
    stream(txn, key)?
        .and_then(|s| find(s, name).cloned())
        .ok_or_else(|| no_group(key, name, suffix))
}

/// Whether a deleted entry lies at or after `start` among the stream's
/// entries (an XDEL since, which makes a read counter unknowable).
fn has_tombstones(s: &Stream, start: StreamId) -> bool {
    let deleted = s.meta().max_deleted_id;
    let Some((&first, _)) = s.entries().first_key_value() else { return false };
    deleted != StreamId::MIN && first <= deleted && start <= deleted
}

/// How many entries the stream has had up to `id`, if that can be known.
pub(super) fn estimate_read(s: &Stream, id: StreamId) -> Option<u64> {
    let meta = s.meta();
    if meta.entries_added == 0 {
        return Some(0);
    }
    let len = s.entries().len() as u64;
    if len == 0 && id <= meta.last_id {
        return Some(meta.entries_added);
    }
    if id == meta.last_id {
        return Some(meta.entries_added);
    }
    if id > meta.last_id {
        return None;
    }
    let first = s.entries().first_key_value().map_or(StreamId::MIN, |(id, _)| *id);
    if meta.max_deleted_id == StreamId::MIN || meta.max_deleted_id < first {
        if id < first {
            return Some(meta.entries_added - len);
        }
        if id == first {
            return Some(meta.entries_added - len + 1);
        }
    }
    None
}

/// The group's lag: entries added it has not read, if that can be known.
pub(super) fn lag(s: &Stream, h: &GroupHeader) -> Option<u64> {
    let added = s.meta().entries_added;
    if added == 0 {
        return Some(0);
    }
    match h.entries_read {
        Some(read) if !has_tombstones(s, h.last_id) => Some(added.saturating_sub(read)),
        _ => estimate_read(s, h.last_id).map(|read| added.saturating_sub(read)),
    }
}

/// The group's header after it delivers `id` (moving its last id forward
/// and counting the read, as `streamReplyWithRange` does).
pub(super) fn delivered(s: &Stream, h: GroupHeader, id: StreamId) -> GroupHeader {
    if id <= h.last_id {
        return h;
    }
    let entries_read = match h.entries_read {
        Some(read) if !has_tombstones(s, id) => Some(read + 1),
        _ if s.meta().entries_added > 0 => estimate_read(s, id),
        other => other,
    };
    GroupHeader { last_id: id, entries_read }
}

/// Writes the consumer `name` of `group` as seen at `now`, creating it if
/// needed; whether it was created.
pub(super) fn touch_consumer(
    txn: &mut Txn<'_>,
    key: &[u8],
    group: &Bytes,
    name: &Bytes,
    now: u64,
) -> Result<bool, Fail> {
    let created = !existing(txn, key, group, "")?.consumers().contains_key(name);
    set(txn, key, [StreamWrite::consumer(group, name, &Consumer { seen: now })])?;
    Ok(created)
}

/// Writes field changes of the stream at `key`.
pub(super) fn set(
    txn: &mut Txn<'_>,
    key: &[u8],
    changes: impl IntoIterator<Item = jotter::StreamChange>,
) -> Result<(), Fail> {
    txn.set_fields(key, MapKind::Stream, changes)?;
    Ok(())
}
