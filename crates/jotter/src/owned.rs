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
//! to copy, is each kind's rule (`value/`). A write's op copies its own with
//! `Op::into_owned` as the transaction (`Txn`) receives it, and the key's
//! new value is computed from that copy, so the op and the value the
//! buffer keeps beside it share one copy and nothing is copied twice.

use bytes::Bytes;

/// A copy of `b` in an allocation of its own, exactly its size.
pub(crate) fn own(b: &Bytes) -> Bytes {
    Bytes::copy_from_slice(b)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::op::Op;
    use crate::txn::{Slot, Txn};
    use crate::value::{FieldValue, MapKind, Value};

    /// Whether two `Bytes` are the same bytes in memory, not just equal.
    fn same(a: &Bytes, b: &Bytes) -> bool {
        a.as_ptr() == b.as_ptr() && a.len() == b.len()
    }

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
    fn a_put_keeps_one_copy_shared_by_the_op_and_the_value() {
        let buffer = Bytes::from(vec![0u8; 16 * 1024]);
        let value = sliced(&buffer, "value");
        let mut slots = [Slot::new(Bytes::from_static(b"k"), None, 0)];
        Txn::new(&mut slots, 0).put(b"k", Value::Blob(value.clone()), None);
        let Some(Op::Put { value: kept, .. }) = &slots[0].op else { panic!("{:?}", slots[0].op) };
        assert_eq!(kept, &value);
        assert!(apart(kept, &value) && kept.len() == 5);
        let Value::Blob(now) = &slots[0].now.as_ref().unwrap().value else { panic!() };
        assert!(same(now, kept), "the key's value is the op's copy");
    }

    #[test]
    fn a_field_write_keeps_one_copy_shared_by_the_op_and_the_map() {
        let buffer = Bytes::from(vec![0u8; 16 * 1024]);
        let (field, value) = (sliced(&buffer, "field"), sliced(&buffer, "value"));
        let old =
            Value::Hash(Arc::new([(Bytes::from_static(b"a"), Bytes::from_static(b"1"))].into()));
        let mut slots =
            [Slot::new(Bytes::from_static(b"h"), Some(crate::value::Entry::new(old)), 0)];
        let written = [(field.clone(), Some(FieldValue::Bytes(value.clone())))];
        Txn::new(&mut slots, 0).set_fields(b"h", MapKind::Hash, written).unwrap();
        let Some(Op::Patch { fields, .. }) = &slots[0].op else { panic!("{:?}", slots[0].op) };
        let (op_field, (_, op_value)) = fields.iter().next().unwrap();
        let Some(FieldValue::Bytes(op_value)) = op_value else { panic!() };
        assert!(apart(op_field, &buffer) && apart(op_value, &buffer));
        let Value::Hash(map) = &slots[0].now.as_ref().unwrap().value else { panic!() };
        let (f, v) = map.get_key_value(&field).unwrap();
        assert!(same(f, op_field), "the map's field is the op's copy");
        assert!(same(v, op_value), "the map's value is the op's copy");
    }
}
