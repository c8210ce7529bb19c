//! A pending write as the write buffer holds it, and the rules for folding
//! a newer write into an older one (coalescing).
//!
//! Folding never reorders: the folded op has the same effect on the store
//! as the two writes applied one after the other. Field writes keep their
//! own versions, so coalescing a map's fields never claims a field is newer
//! than it is.

use std::sync::Arc;

use bytes::Bytes;
use tokio::time::Instant;

use crate::tick::Tick;

use crate::owned::own;
use crate::store::{Change, FieldChange};
use crate::value::{Entry, FieldValue, MapKind, PatchFields, Value};

/// Bytes a pending write accounts for beyond its key and value: what the
/// process holds for it, measured (RSS with 16-byte keys and 64-byte
/// values, `scripts/memory-per-key.sh`: 393 bytes per pending key at a
/// million keys, 401 at 200,000, of which 80 are the key and the value)
/// and bounded from above piece by piece: the key's node in its shard's
/// table (the key, inline if short, and its queue with its op inline, 144
/// bytes, 160 with the allocator's rounding; `pending_keys.rs`), its bucket
/// in that table (a pointer and a control byte, 20 bytes when the table is
/// 44 % full), its entry in the ready index and in the log's LSN set
/// (B-tree nodes half full at worst: 38 and 20), the allocator's rounding
/// of the key's and the value's copies (16 each) and the shared headers of
/// both once cloned into a batch (2 x 32): 334 bytes, rounded up to 352 to cover what the
/// RSS shows beyond those pieces (100,000 keys of 1 KB values: 1,387 bytes
/// per key for 1,040 of key and value). Fixed, so the bound is exact; an op
/// queued behind another of its key (ordered keys) counts it again, an
/// upper bound.
pub(crate) const OP_OVERHEAD: usize = 352;

/// What a write does, before it is versioned.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Op {
    /// The key becomes this blob, expiring at `expires_at` (Unix ms).
    Put {
        value: Bytes,
        expires_at: Option<u64>,
    },
    Delete,
    /// Field changes; `reset` as in [`Change::Patch`]. Versions inside are
    /// set by [`Op::stamp`] when the write is accepted. `expires_at` is the
    /// key's expiry after the write (a field write keeps the key's expiry,
    /// so the op carries it whole rather than as a change).
    Patch {
        kind: MapKind,
        reset: Option<u64>,
        fields: PatchFields,
        expires_at: Option<u64>,
    },
}

impl Op {
    /// The op with every key and value it holds copied into allocations of
    /// their own (see `owned.rs`).
    pub(crate) fn into_owned(self) -> Op {
        match self {
            Op::Put { value, expires_at } => Op::Put { value: own(&value), expires_at },
            Op::Delete => Op::Delete,
            Op::Patch { kind, reset, fields, expires_at } => Op::Patch {
                kind,
                reset,
                fields: fields
                    .into_iter()
                    .map(|(f, (v, value))| (own(&f), (v, value.map(FieldValue::into_owned))))
                    .collect(),
                expires_at,
            },
        }
    }

    /// Sets every version inside the op to `version`.
    pub(crate) fn stamp(&mut self, version: u64) {
        if let Op::Patch { reset, fields, .. } = self {
            if let Some(r) = reset {
                *r = version;
            }
            for (v, _) in fields.values_mut() {
                *v = version;
            }
        }
    }

    /// Bytes the op's payload accounts for.
    pub(crate) fn weight(&self) -> usize {
        match self {
            Op::Put { value, .. } => value.len(),
            Op::Delete => 0,
            Op::Patch { fields, .. } => {
                fields.iter().map(|(f, (_, v))| field_weight(f, v.as_ref())).sum()
            }
        }
    }

    /// Fields the op writes (0 for a whole blob or a delete).
    pub(crate) fn field_count(&self) -> usize {
        match self {
            Op::Patch { fields, .. } => fields.len(),
            _ => 0,
        }
    }

    /// What the fields this op writes weigh in a map (see
    /// [`Value::weight`](crate::value::Value)), counting none as replaced.
    pub(crate) fn view_weight(&self) -> usize {
        match self {
            Op::Patch { kind, fields, .. } => fields
                .iter()
                .map(|(f, (_, v))| crate::value::map_field_weight(*kind, f, v.as_ref()))
                .sum(),
            _ => 0,
        }
    }

    /// The payload weight after folding `newer` into this op, whose payload
    /// weight is `weight`; computed without folding, so a large pending map
    /// is not copied to price one more field.
    pub(crate) fn folded_weight(&self, weight: usize, newer: &Op) -> usize {
        match (self, newer) {
            (
                Op::Patch { kind: k, fields: mine, .. },
                Op::Patch { kind, reset: None, fields, .. },
            ) if k == kind => {
                let added: usize =
                    fields.iter().map(|(f, (_, v))| field_weight(f, v.as_ref())).sum();
                let replaced: usize = fields
                    .keys()
                    .filter_map(|f| mine.get(f).map(|(_, v)| field_weight(f, v.as_ref())))
                    .sum();
                weight + added - replaced
            }
            _ => newer.weight(),
        }
    }

    /// Whether the op determines the key's value without knowing what was
    /// there before it.
    pub(crate) fn is_whole(&self) -> bool {
        !matches!(self, Op::Patch { reset: None, .. })
    }

    /// Folds `newer` (already stamped with `version`) into `self`.
    pub(crate) fn fold(&mut self, newer: Op, version: u64) {
        match newer {
            Op::Patch { kind, reset: None, fields, expires_at } => match self {
                Op::Patch { kind: k, fields: mine, expires_at: mine_expiry, .. } if *k == kind => {
                    mine.extend(fields);
                    *mine_expiry = expires_at;
                }
                // Whatever was pending (a delete, a blob, the other kind of
                // map) is replaced: the folded op must reset the key first.
                _ => *self = Op::Patch { kind, reset: Some(version), fields, expires_at },
            },
            whole => *self = whole,
        }
    }

    /// The entry after this op, given the entry before it.
    pub(crate) fn apply(&self, before: Option<Entry>) -> Option<Entry> {
        match self {
            Op::Put { value, expires_at } => {
                Some(Entry { value: Value::Blob(value.clone()), expires_at: *expires_at })
            }
            Op::Delete => None,
            Op::Patch { kind, reset, fields, expires_at } => {
                let mut value = match before {
                    Some(e) if reset.is_none() && e.value.map_kind() == Some(*kind) => e.value,
                    _ => Value::empty_map(*kind),
                };
                for (field, (_, v)) in fields {
                    value.apply_field(field, v.as_ref());
                }
                (!value.is_empty_map()).then_some(Entry { value, expires_at: *expires_at })
            }
        }
    }

    /// The key's expiry after this op.
    pub(crate) fn expires_at(&self) -> Option<u64> {
        match self {
            Op::Put { expires_at, .. } | Op::Patch { expires_at, .. } => *expires_at,
            Op::Delete => None,
        }
    }

    /// The change a store receives for this op.
    pub(crate) fn to_change(&self) -> Change {
        match self {
            Op::Put { value, .. } => Change::Put(value.clone()),
            Op::Delete => Change::Delete,
            Op::Patch { kind, reset, fields, .. } => Change::Patch {
                kind: *kind,
                reset: *reset,
                fields: fields
                    .iter()
                    .map(|(f, (version, value))| FieldChange {
                        field: f.clone(),
                        version: *version,
                        value: value.clone(),
                    })
                    .collect(),
            },
        }
    }
}

fn field_weight(field: &[u8], value: Option<&FieldValue>) -> usize {
    field.len() + 16 + value.map_or(0, FieldValue::weight)
}

/// The LSN of an op that was not logged: the log never hands it out (it
/// would be its last record ever).
const NO_LSN: u64 = u64::MAX;

/// The bits of [`QueuedOp::weight_and_flight`] that hold the weight.
const WEIGHT: usize = usize::MAX >> 1;

/// One pending write in the buffer: an op and its bookkeeping.
#[derive(Debug)]
pub(crate) struct QueuedOp {
    pub op: Op,
    /// The version of the first write folded into this op: nothing at or
    /// after it is in the store yet, which is what barriers wait on.
    pub first_version: u64,
    /// The version of the newest write folded in; the store write's version.
    pub version: u64,
    /// When the first write folded in was accepted; drives `flush_interval`.
    since: Tick,
    /// Bytes reserved against `max_pending_bytes` for this op (the low 63
    /// bits), and whether a flush worker is writing this op now (the top
    /// bit): one word for both, 8 bytes less per op. An op in flight is
    /// never changed, so the worker can tell afterwards whether a newer
    /// write arrived (docs/DESIGN.md, "lost update in flight").
    weight_and_flight: usize,
    /// The log sequence number of the first write folded into this op, or
    /// [`NO_LSN`] (without a log, or for a direct write, which is not
    /// logged): the log may forget everything below the smallest pending
    /// one. A plain `u64` rather than an `Option`: 8 bytes less per op.
    lsn: u64,
    /// The multi-key transaction this op belongs to, whose ops go to the
    /// store together, in one batch, written by the group's own task rather
    /// than by the key's worker.
    pub group: Option<Arc<Group>>,
}

/// The keys a multi-key transaction wrote, each with its shard: their ops
/// reach the store in one batch, once each is the front op of its key.
#[derive(Debug)]
pub(crate) struct Group {
    pub keys: Vec<(usize, Bytes)>,
    /// Woken when one of its ops becomes its key's front op, so the group's
    /// task tries again without polling.
    pub fronted: tokio::sync::Notify,
}

impl Group {
    pub(crate) fn new(keys: Vec<(usize, Bytes)>) -> Self {
        Group { keys, fronted: tokio::sync::Notify::new() }
    }
}

impl QueuedOp {
    /// A new op accepted now at `version`.
    pub(crate) fn new(op: Op, version: u64, weight: usize, lsn: Option<u64>) -> Self {
        QueuedOp {
            op,
            first_version: version,
            version,
            since: Tick::now(),
            weight_and_flight: weight.min(WEIGHT),
            lsn: lsn.unwrap_or(NO_LSN),
            group: None,
        }
    }

    /// Bytes reserved against `max_pending_bytes` for this op.
    pub(crate) fn weight(&self) -> usize {
        self.weight_and_flight & WEIGHT
    }

    pub(crate) fn set_weight(&mut self, weight: usize) {
        self.weight_and_flight = (self.weight_and_flight & !WEIGHT) | weight.min(WEIGHT);
    }

    /// Whether a flush worker (or a direct write's caller) is writing this
    /// op now.
    pub(crate) fn in_flight(&self) -> bool {
        self.weight_and_flight & !WEIGHT != 0
    }

    /// Marks the op as being written now; it stays so until it leaves.
    pub(crate) fn set_in_flight(&mut self) {
        self.weight_and_flight |= !WEIGHT;
    }

    /// When the first write folded into this op was accepted.
    pub(crate) fn since(&self) -> Instant {
        self.since.instant()
    }

    /// The log sequence number of the first write folded into this op, if
    /// it was logged.
    pub(crate) fn first_lsn(&self) -> Option<u64> {
        (self.lsn != NO_LSN).then_some(self.lsn)
    }

    /// The accounted size of an op under `key`.
    pub(crate) fn weight_of(key: &[u8], op: &Op) -> usize {
        key.len() + op.weight() + OP_OVERHEAD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(fields: &[(&'static str, u64, Option<&'static str>)]) -> Op {
        Op::Patch {
            kind: MapKind::Hash,
            reset: None,
            fields: fields
                .iter()
                .map(|(f, v, x)| {
                    (
                        Bytes::from_static(f.as_bytes()),
                        (*v, x.map(|x| FieldValue::Bytes(Bytes::from_static(x.as_bytes())))),
                    )
                })
                .collect(),
            expires_at: None,
        }
    }

    fn put(v: &'static str) -> Op {
        Op::Put { value: Bytes::from_static(v.as_bytes()), expires_at: None }
    }

    fn hash(fields: &[(&'static str, &'static str)]) -> Entry {
        Entry::new(Value::Hash(std::sync::Arc::new(
            fields
                .iter()
                .map(|(f, v)| (Bytes::from_static(f.as_bytes()), Bytes::from_static(v.as_bytes())))
                .collect(),
        )))
    }

    #[test]
    fn a_patch_folded_onto_a_delete_resets_the_key_first() {
        let mut op = Op::Delete;
        op.fold(patch(&[("a", 7, Some("1"))]), 7);
        let Op::Patch { reset, .. } = &op else { panic!("{op:?}") };
        assert_eq!(*reset, Some(7));
        let after = op.apply(Some(hash(&[("old", "x")]))).unwrap().value;
        assert_eq!(after.field(b"old"), None, "the delete still takes effect");
        assert!(after.field(b"a").is_some());
    }

    #[test]
    fn patches_fold_per_field_keeping_each_fields_version() {
        let mut op = patch(&[("a", 1, Some("1")), ("b", 1, Some("1"))]);
        op.fold(patch(&[("a", 2, None)]), 2);
        let Op::Patch { fields, reset, .. } = &op else { panic!() };
        assert_eq!(*reset, None);
        assert_eq!(fields[&Bytes::from_static(b"a")], (2, None));
        assert_eq!(fields[&Bytes::from_static(b"b")].0, 1);
    }

    #[test]
    fn a_whole_write_replaces_what_was_pending() {
        let mut op = patch(&[("a", 1, Some("1"))]);
        op.fold(put("v"), 2);
        assert_eq!(op, put("v"));
        op.fold(Op::Delete, 3);
        assert_eq!(op.apply(Some(Entry::new(Value::from("x")))), None);
    }

    #[test]
    fn the_weight_and_the_in_flight_mark_share_a_word_without_mixing() {
        let mut p = QueuedOp::new(Op::Delete, 1, 1234, Some(7));
        assert_eq!((p.weight(), p.in_flight(), p.first_lsn()), (1234, false, Some(7)));
        p.set_in_flight();
        assert_eq!((p.weight(), p.in_flight()), (1234, true));
        p.set_weight(usize::MAX >> 1);
        assert_eq!((p.weight(), p.in_flight()), (usize::MAX >> 1, true));
        p.set_weight(5);
        assert_eq!((p.weight(), p.in_flight()), (5, true));
        assert_eq!(QueuedOp::new(Op::Delete, 1, 0, None).first_lsn(), None);
    }

    #[test]
    fn removing_the_last_field_removes_the_key() {
        let op = patch(&[("a", 1, None)]);
        assert_eq!(op.apply(Some(hash(&[("a", "x")]))), None);
    }
}
