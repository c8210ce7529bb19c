//! Keys and values the engine keeps own exactly their bytes.
//!
//! A [`Bytes`] handed to the engine may be a slice of a much larger buffer:
//! a server's connection read buffer (16 KB or more, of which one request
//! is 100 bytes), a log segment read at recovery. Keeping the slice keeps
//! the whole buffer alive: measured on the RESP server, 200,000 pending
//! 16-byte keys with 64-byte values held 1.6 GB, every key pinning a read
//! buffer of its own. So whatever the engine keeps beyond the call that
//! brought it (a pending op, a buffered key, a kept view, a clean entry's
//! key, a transaction group's keys, a write replayed from the log, a dead
//! letter read back from its file) is copied here first, once, at the
//! door; what is only read during the call is never copied.

use std::sync::Arc;

use bytes::Bytes;

use crate::op::Op;
use crate::value::{Entry, FieldValue, Value};

/// A copy of `b` in an allocation of its own, exactly its size.
pub(crate) fn own(b: &Bytes) -> Bytes {
    Bytes::copy_from_slice(b)
}

impl Op {
    /// The op with every key and value it holds copied into allocations of
    /// their own.
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
}

impl FieldValue {
    fn into_owned(self) -> FieldValue {
        match self {
            FieldValue::Bytes(b) => FieldValue::Bytes(own(&b)),
            score @ FieldValue::Score(_) => score,
        }
    }
}

/// The entry a write computed beside its op, with the bytes the write
/// brought replaced by the op's own copies (see [`Op::into_owned`]): a kept
/// view then pins nothing. Only the fields the op names are touched, so a
/// field write to a large map costs its own fields, not the map.
pub(crate) fn adopt(entry: Option<Entry>, op: &Op) -> Option<Entry> {
    let mut entry = entry?;
    match (&mut entry.value, op) {
        (Value::Blob(b), Op::Put { value, .. }) => {
            *b = if b == value { value.clone() } else { own(b) };
        }
        (Value::Blob(b), _) => *b = own(b),
        (Value::Hash(map), Op::Patch { fields, .. }) => {
            for (field, (_, value)) in fields {
                let Some(FieldValue::Bytes(value)) = value else { continue };
                let kept = map.get_key_value(field);
                if kept.is_some_and(|(f, v)| same(f, field) && same(v, value)) || kept.is_none() {
                    continue;
                }
                let map = Arc::make_mut(map);
                map.remove(field);
                map.insert(field.clone(), value.clone());
            }
        }
        (Value::Scores(map), Op::Patch { fields, .. }) => {
            for (field, (_, value)) in fields {
                let Some(FieldValue::Score(score)) = value else { continue };
                if map.get(field).is_none() {
                    continue;
                }
                let map = Arc::make_mut(map);
                map.remove(field);
                map.insert(field.clone(), *score);
            }
        }
        // A map replaced whole by a blob (or the reverse) is built from the
        // op alone; nothing else to adopt.
        _ => {}
    }
    Some(entry)
}

/// Whether two `Bytes` are the same bytes in memory, not just equal.
fn same(a: &Bytes, b: &Bytes) -> bool {
    a.as_ptr() == b.as_ptr() && a.len() == b.len()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::value::MapKind;

    /// A slice of a large buffer, as a connection's request decoder hands out.
    fn sliced(buffer: &Bytes, text: &str) -> Bytes {
        let at = buffer.len() / 2;
        let mut b = bytes::BytesMut::from(&buffer[..]);
        b[at..at + text.len()].copy_from_slice(text.as_bytes());
        b.freeze().slice(at..at + text.len())
    }

    /// Whether `b` lives outside `buffer`'s allocation (the copy is its own).
    fn apart(b: &Bytes, from: &Bytes) -> bool {
        let (start, end) = (from.as_ptr() as usize, from.as_ptr() as usize + from.len());
        !(start..end).contains(&(b.as_ptr() as usize))
    }

    #[test]
    fn an_owned_op_keeps_nothing_of_the_buffer_it_came_from() {
        let buffer = Bytes::from(vec![0u8; 16 * 1024]);
        let value = sliced(&buffer, "value");
        let Op::Put { value: kept, .. } =
            Op::Put { value: value.clone(), expires_at: None }.into_owned()
        else {
            panic!()
        };
        assert_eq!(kept, value);
        assert!(apart(&kept, &value) && kept.len() == 5);

        let field = sliced(&buffer, "field");
        let patch = Op::Patch {
            kind: MapKind::Hash,
            reset: None,
            fields: BTreeMap::from([(field.clone(), (1, Some(FieldValue::Bytes(value.clone()))))]),
            expires_at: None,
        }
        .into_owned();
        // The view the write computed from the request's slices adopts the
        // op's copies.
        let view =
            Entry::new(Value::Hash(Arc::new(BTreeMap::from([(field.clone(), value.clone())]))));
        let view = adopt(Some(view), &patch).unwrap();
        let Value::Hash(map) = view.value else { panic!() };
        let (f, v) = map.iter().next().unwrap();
        assert_eq!(&f[..], b"field");
        assert!(!same(f, &field), "the field is the op's copy");
        assert!(!same(v, &value), "the value is the op's copy");
        let Op::Patch { fields, .. } = &patch else { panic!() };
        let (op_field, (_, op_value)) = fields.iter().next().unwrap();
        assert!(same(f, op_field));
        assert_eq!(op_value, &Some(FieldValue::Bytes(v.clone())));
    }
}
