//! The bytes of one accepted write, as the write-ahead log and the
//! dead-letter file keep it.
//!
//! Little-endian, length-prefixed, versioned by its first byte so that a
//! later format can still read this one:
//!
//! | field | bytes |
//! |---|---|
//! | format | `u8`, 2 (format 1, without expiry, is still read) |
//! | version | `u64` |
//! | key | `u32` length, then the bytes |
//! | op | `u8` tag: 1 put, 2 delete, 3 patch |
//! | put | `u32` length, then the value; then the expiry |
//! | patch | `u8` kind (0 hash, 1 scores: each kind's `LOG_TAG` in `value/`); `u8` 1 if a reset follows, then `u64` reset; `u32` field count; per field: `u32` length and the field, `u64` version, `u8` value tag (0 removed, 1 bytes: `u32` length and the bytes, 2 score: `f64`; each kind's `FIELD_TAG` and `encode_field`); then the expiry |
//! | expiry | `u8` 1 if an expiry follows, then `u64` Unix milliseconds (format 2 only) |
//!
//! A multi-key transaction's writes are one log record, a group (the log
//! only; the dead-letter file keeps single writes), so that a crash keeps
//! all of them or none:
//!
//! | field | bytes |
//! |---|---|
//! | format | `u8`, 3 (a group) |
//! | count | `u32`, 2 or more |
//! | per write | `u32` length, then the write's record as above (format 2) |
//!
//! The log's own frame adds the length, checksum and sequence number; a
//! group is written by data-directory format 3 and later (`log_format.rs`).

use std::collections::BTreeMap;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::op::Op;
use crate::store::Change;
use crate::value::{FieldValue, MapKind};
pub use crate::wire::RecordError;
use crate::wire::{get_bytes, get_u8, get_u32, get_u64, put_bytes};

const FORMAT: u8 = 2;
/// The value tag of a removed field; each kind's values have their own tags
/// (`value/`).
const REMOVED: u8 = 0;
/// The first format, written before keys could expire.
const FORMAT_WITHOUT_EXPIRY: u8 = 1;
/// The first byte of a group record: a transaction's writes together.
const GROUP: u8 = 3;

/// Appends the record of `op` at `version` for `key` to `out`.
pub(crate) fn encode(out: &mut BytesMut, key: &[u8], version: u64, op: &Op) {
    out.put_u8(FORMAT);
    out.put_u64_le(version);
    put_bytes(out, key);
    match op {
        Op::Put { value, expires_at } => {
            out.put_u8(1);
            put_bytes(out, value);
            put_expiry(out, *expires_at);
        }
        Op::Delete => out.put_u8(2),
        Op::Patch { kind, reset, fields, expires_at } => {
            out.put_u8(3);
            out.put_u8(kind.log_tag());
            match reset {
                Some(r) => {
                    out.put_u8(1);
                    out.put_u64_le(*r);
                }
                None => out.put_u8(0),
            }
            out.put_u32_le(u32::try_from(fields.len()).unwrap_or(u32::MAX));
            for (field, (fversion, value)) in fields {
                put_bytes(out, field);
                out.put_u64_le(*fversion);
                match value {
                    None => out.put_u8(REMOVED),
                    Some(value) => value.encode(out),
                }
            }
            put_expiry(out, *expires_at);
        }
    }
}

fn put_expiry(out: &mut BytesMut, expires_at: Option<u64>) {
    match expires_at {
        Some(at) => {
            out.put_u8(1);
            out.put_u64_le(at);
        }
        None => out.put_u8(0),
    }
}

/// One write as a record holds it.
#[derive(Debug, PartialEq)]
pub(crate) struct Record {
    pub key: Bytes,
    pub version: u64,
    pub op: Op,
}

/// Appends the group record of a transaction's `writes` (key, version, op;
/// two or more) to `out`: each write encoded by [`encode`] behind its
/// length, which is filled in once the write is there, so each is written
/// once, straight into `out`.
pub(crate) fn encode_group<'a>(
    out: &mut BytesMut,
    writes: impl ExactSizeIterator<Item = (&'a [u8], u64, &'a Op)>,
) {
    out.put_u8(GROUP);
    out.put_u32_le(u32::try_from(writes.len()).unwrap_or(u32::MAX));
    for (key, version, op) in writes {
        let at = out.len();
        out.put_u32_le(0);
        encode(out, key, version, op);
        let len = u32::try_from(out.len() - at - 4).unwrap_or(u32::MAX);
        out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }
}

/// What one log record holds: one write, or a transaction's writes.
#[derive(Debug, PartialEq)]
pub(crate) enum Logged {
    One(Record),
    Group(Vec<Record>),
}

impl Logged {
    /// The writes, in the order they were logged.
    pub(crate) fn into_records(self) -> impl Iterator<Item = Record> {
        let (one, group) = match self {
            Logged::One(record) => (Some(record), Vec::new()),
            Logged::Group(records) => (None, records),
        };
        one.into_iter().chain(group)
    }
}

/// Decodes a log record: a single write (as [`decode`]) or a group. A
/// group decodes whole or not at all.
pub(crate) fn decode_logged(mut buf: Bytes) -> Result<Logged, RecordError> {
    if buf.first() != Some(&GROUP) {
        return decode(buf).map(Logged::One);
    }
    buf.advance(1);
    let n = get_u32(&mut buf)?;
    if n < 2 {
        return Err(RecordError("a group of fewer than two writes"));
    }
    // Each write takes at least its length and a record's fixed fields, so
    // a count the bytes cannot hold allocates nothing.
    let mut records = Vec::with_capacity((n as usize).min(buf.remaining() / 18));
    for _ in 0..n {
        records.push(decode(get_bytes(&mut buf)?)?);
    }
    if buf.has_remaining() {
        return Err(RecordError("trailing bytes"));
    }
    Ok(Logged::Group(records))
}

/// Decodes a record.
pub(crate) fn decode(mut buf: Bytes) -> Result<Record, RecordError> {
    let with_expiry = match get_u8(&mut buf)? {
        FORMAT => true,
        FORMAT_WITHOUT_EXPIRY => false,
        _ => return Err(RecordError("unknown format")),
    };
    let expiry = |buf: &mut Bytes| -> Result<Option<u64>, RecordError> {
        if !with_expiry {
            return Ok(None);
        }
        match get_u8(buf)? {
            0 => Ok(None),
            1 => Ok(Some(get_u64(buf)?)),
            _ => Err(RecordError("bad expiry flag")),
        }
    };
    let version = get_u64(&mut buf)?;
    let key = get_bytes(&mut buf)?;
    let op = match get_u8(&mut buf)? {
        1 => {
            let value = get_bytes(&mut buf)?;
            Op::Put { value, expires_at: expiry(&mut buf)? }
        }
        2 => Op::Delete,
        3 => {
            let kind = MapKind::from_log_tag(get_u8(&mut buf)?)?;
            let reset = match get_u8(&mut buf)? {
                0 => None,
                1 => Some(get_u64(&mut buf)?),
                _ => return Err(RecordError("bad reset flag")),
            };
            let n = get_u32(&mut buf)?;
            let mut fields = BTreeMap::new();
            for _ in 0..n {
                let field = get_bytes(&mut buf)?;
                let fversion = get_u64(&mut buf)?;
                let value = match get_u8(&mut buf)? {
                    REMOVED => None,
                    tag => Some(FieldValue::decode(tag, &mut buf)?),
                };
                fields.insert(field, (fversion, value));
            }
            Op::Patch { kind, reset, fields, expires_at: expiry(&mut buf)? }
        }
        _ => return Err(RecordError("unknown op tag")),
    };
    if buf.has_remaining() {
        return Err(RecordError("trailing bytes"));
    }
    Ok(Record { key, version, op })
}

/// The op whose [`Op::to_change`] is `change` (and whose expiry is
/// `expires_at`): a store write (as the dead-letter queue keeps it) goes
/// back to the op this format encodes.
///
/// A patch's fields become a map, so they come back sorted by field, and
/// of two entries for one field (which [`Change::Patch`] rules out) the
/// later wins; for every change an op produced, the round trip is exact.
pub(crate) fn op_from_change(change: &Change, expires_at: Option<u64>) -> Op {
    match change {
        Change::Put(value) => Op::Put { value: value.clone(), expires_at },
        Change::Delete => Op::Delete,
        Change::Patch { kind, reset, fields } => Op::Patch {
            expires_at,
            kind: *kind,
            reset: *reset,
            fields: fields
                .iter()
                .map(|f| (f.field.clone(), (f.version, f.value.clone())))
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bytes() -> impl Strategy<Value = Bytes> {
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Bytes::from)
    }

    fn op() -> impl Strategy<Value = Op> {
        let field_value = prop_oneof![
            Just(None),
            bytes().prop_map(|b| Some(FieldValue::Bytes(b))),
            bytes().prop_map(|b| Some(FieldValue::Element(b))),
            any::<f64>()
                .prop_filter("comparable", |f| !f.is_nan())
                .prop_map(|s| Some(FieldValue::Score(s))),
            bytes().prop_map(|b| Some(FieldValue::Stream(b))),
            Just(Some(FieldValue::Member)),
        ];
        let kind = prop::sample::select(MapKind::ALL.to_vec());
        prop_oneof![
            (bytes(), proptest::option::of(any::<u64>()))
                .prop_map(|(value, expires_at)| Op::Put { value, expires_at }),
            Just(Op::Delete),
            (
                kind,
                proptest::option::of(any::<u64>()),
                proptest::collection::btree_map(bytes(), (any::<u64>(), field_value), 0..5),
                proptest::option::of(any::<u64>()),
            )
                .prop_map(|(kind, reset, fields, expires_at)| Op::Patch {
                    kind,
                    reset,
                    fields,
                    expires_at,
                }),
        ]
    }

    proptest! {
        #[test]
        fn records_round_trip(key in bytes(), version in any::<u64>(), op in op()) {
            let mut out = BytesMut::new();
            encode(&mut out, &key, version, &op);
            let record = decode(out.freeze()).unwrap();
            prop_assert_eq!(record, Record { key, version, op });
        }

        #[test]
        fn groups_round_trip(writes in proptest::collection::vec((bytes(), any::<u64>(), op()), 2..5)) {
            let mut out = BytesMut::new();
            encode_group(&mut out, writes.iter().map(|(k, v, op)| (&k[..], *v, op)));
            let logged = decode_logged(out.freeze()).unwrap();
            let want: Vec<Record> = writes
                .into_iter()
                .map(|(key, version, op)| Record { key, version, op })
                .collect();
            prop_assert_eq!(logged, Logged::Group(want));
        }

        /// A group decodes whole or not at all: every cut is an error.
        #[test]
        fn every_cut_of_a_group_is_an_error(
            writes in proptest::collection::vec((bytes(), any::<u64>(), op()), 2..4),
        ) {
            let mut out = BytesMut::new();
            encode_group(&mut out, writes.iter().map(|(k, v, op)| (&k[..], *v, op)));
            let full = out.freeze();
            for at in 0..full.len() {
                prop_assert!(decode_logged(full.slice(..at)).is_err(), "cut at {}", at);
            }
        }

        #[test]
        fn a_single_record_reads_as_one(key in bytes(), version in any::<u64>(), op in op()) {
            let mut out = BytesMut::new();
            encode(&mut out, &key, version, &op);
            let logged = decode_logged(out.freeze()).unwrap();
            prop_assert_eq!(logged, Logged::One(Record { key, version, op }));
        }

        #[test]
        fn changes_go_back_to_their_ops(op in op()) {
            prop_assert_eq!(op_from_change(&op.to_change(), op.expires_at()), op);
        }

        #[test]
        fn every_cut_is_an_error_not_a_panic(key in bytes(), op in op(), cut in any::<prop::sample::Index>()) {
            let mut out = BytesMut::new();
            encode(&mut out, &key, 9, &op);
            let full = out.freeze();
            let at = cut.index(full.len());
            prop_assert!(decode(full.slice(..at)).is_err());
        }
    }

    /// The bytes of a patch of each kind, spelled out: the kinds' tags live
    /// in `value/`, and moving them there must not move a byte.
    #[test]
    fn patch_records_keep_their_bytes() {
        let patch = |kind, value| Op::Patch {
            kind,
            reset: None,
            fields: [(Bytes::from_static(b"f"), (5, Some(value)))].into(),
            expires_at: None,
        };
        let head = |kind_tag: u8| {
            let mut b =
                vec![2, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, b'k', 3, kind_tag, 0, 1, 0, 0, 0];
            b.extend([1, 0, 0, 0, b'f', 5, 0, 0, 0, 0, 0, 0, 0]);
            b
        };
        let mut out = BytesMut::new();
        encode(
            &mut out,
            b"k",
            7,
            &patch(MapKind::Hash, FieldValue::Bytes(Bytes::from_static(b"v"))),
        );
        let mut want = head(0);
        want.extend([1, 1, 0, 0, 0, b'v', 0]);
        assert_eq!(out.to_vec(), want);

        let mut out = BytesMut::new();
        encode(&mut out, b"k", 7, &patch(MapKind::Scores, FieldValue::Score(1.5)));
        let mut want = head(1);
        want.push(2);
        want.extend(1.5f64.to_le_bytes());
        want.push(0);
        assert_eq!(out.to_vec(), want);
    }

    /// The bytes of a group, spelled out: its tag, its count, and each
    /// write's record behind its length.
    #[test]
    fn group_records_keep_their_bytes() {
        let put = Op::Put { value: Bytes::from_static(b"v"), expires_at: None };
        let mut out = BytesMut::new();
        encode_group(&mut out, [(&b"a"[..], 7, &put), (&b"b"[..], 8, &Op::Delete)].into_iter());
        let mut want = vec![3, 2, 0, 0, 0];
        want.extend([21, 0, 0, 0, 2, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, b'a']);
        want.extend([1, 1, 0, 0, 0, b'v', 0]);
        want.extend([15, 0, 0, 0, 2, 8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, b'b', 2]);
        assert_eq!(out.to_vec(), want);
    }

    #[test]
    fn a_group_of_one_or_nested_groups_is_refused() {
        let mut one = BytesMut::new();
        one.put_u8(GROUP);
        one.put_u32_le(1);
        let mut single = BytesMut::new();
        encode(&mut single, b"k", 1, &Op::Delete);
        put_bytes(&mut one, &single);
        assert!(decode_logged(one.freeze()).is_err());

        let mut inner = BytesMut::new();
        encode_group(
            &mut inner,
            [(&b"a"[..], 1, &Op::Delete), (&b"b"[..], 2, &Op::Delete)].into_iter(),
        );
        let mut nested = BytesMut::new();
        encode_group(
            &mut nested,
            [(&b"c"[..], 3, &Op::Delete), (&b"d"[..], 4, &Op::Delete)].into_iter(),
        );
        let mut outer = BytesMut::new();
        outer.put_u8(GROUP);
        outer.put_u32_le(2);
        put_bytes(&mut outer, &inner);
        put_bytes(&mut outer, &nested);
        assert!(decode_logged(outer.freeze()).is_err());
    }

    #[test]
    fn a_record_of_the_first_format_reads_without_expiry() {
        let mut out = BytesMut::new();
        encode(&mut out, b"k", 7, &Op::Put { value: Bytes::from_static(b"v"), expires_at: None });
        let mut old = out.to_vec();
        old[0] = FORMAT_WITHOUT_EXPIRY;
        old.pop(); // format 1 has no expiry flag
        let op = decode(Bytes::from(old)).unwrap().op;
        assert_eq!(op, Op::Put { value: Bytes::from_static(b"v"), expires_at: None });
    }
}
