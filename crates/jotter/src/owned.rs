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
//! letter read back from its file) is copied with [`own`] first, once, at
//! the door; what is only read during the call is never copied.
//!
//! This file holds the copy itself; which bytes a value holds, and so what
//! to copy, is each kind's rule (`value/`), and an op copies its own with
//! `Op::into_owned` and hands them to the entry beside it with `op::adopt`.

use bytes::Bytes;

/// A copy of `b` in an allocation of its own, exactly its size.
pub(crate) fn own(b: &Bytes) -> Bytes {
    Bytes::copy_from_slice(b)
}

/// Whether two `Bytes` are the same bytes in memory, not just equal.
pub(crate) fn same(a: &Bytes, b: &Bytes) -> bool {
    a.as_ptr() == b.as_ptr() && a.len() == b.len()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use std::sync::Arc;

    use super::*;
    use crate::op::{Op, adopt};
    use crate::value::{Entry, FieldValue, MapKind, Value};

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
