//! A stream's fields: what each field key names and how each kind of field
//! value is spelled, in the log and in the stores.
//!
//! An entry's field key is its id as 16 bytes, milliseconds then sequence,
//! both big-endian, so byte order is id order (and the stores route
//! exactly the 16-byte fields to their entries table). Every other field
//! is state: the stream's metadata (`m`), a consumer group (`g`), one of its
//! consumers (`c`) or one of its pending entries (`p`), each a tag byte and
//! length-prefixed names; a state key that would be 16 bytes long gets one
//! zero byte more, so no state key is ever taken for an entry. Integers in
//! state values are big-endian `u64`s.

use bytes::{BufMut, Bytes, BytesMut};

use super::id::StreamId;
use super::state::{Consumer, GroupHeader, Pending, StreamMeta};

/// The length of an entry's field key.
pub(crate) const ENTRY_KEY_LEN: usize = 16;

const META: u8 = b'm';
const GROUP: u8 = b'g';
const CONSUMER: u8 = b'c';
const PENDING: u8 = b'p';

/// What a field key names.
#[derive(Debug, PartialEq)]
pub(crate) enum Field {
    Entry(StreamId),
    Meta,
    Group(Bytes),
    Consumer(Bytes, Bytes),
    Pending(Bytes, StreamId),
}

impl Field {
    /// The field's key.
    pub(crate) fn key(&self) -> Bytes {
        let mut out = BytesMut::new();
        match self {
            Field::Entry(id) => return Bytes::copy_from_slice(&id.to_bytes()),
            Field::Meta => out.put_u8(META),
            Field::Group(g) => {
                out.put_u8(GROUP);
                put_name(&mut out, g);
            }
            Field::Consumer(g, c) => {
                out.put_u8(CONSUMER);
                put_name(&mut out, g);
                put_name(&mut out, c);
            }
            Field::Pending(g, id) => {
                out.put_u8(PENDING);
                put_name(&mut out, g);
                out.put_slice(&id.to_bytes());
            }
        }
        if out.len() == ENTRY_KEY_LEN {
            out.put_u8(0);
        }
        out.freeze()
    }

    /// What `key` names; `None` for a key no stream writes.
    pub(crate) fn parse(key: &[u8]) -> Option<Field> {
        if key.len() == ENTRY_KEY_LEN {
            return Some(Field::Entry(StreamId::from_bytes(key)?));
        }
        let (&tag, mut rest) = key.split_first()?;
        Some(match tag {
            META => Field::Meta,
            GROUP => Field::Group(take_name(&mut rest)?),
            CONSUMER => Field::Consumer(take_name(&mut rest)?, take_name(&mut rest)?),
            PENDING => {
                let g = take_name(&mut rest)?;
                Field::Pending(g, StreamId::from_bytes(rest.get(..ENTRY_KEY_LEN)?)?)
            }
            _ => return None,
        })
    }
}

fn put_name(out: &mut BytesMut, name: &[u8]) {
    out.put_u32(u32::try_from(name.len()).unwrap_or(u32::MAX));
    out.put_slice(name);
}

fn take_name(rest: &mut &[u8]) -> Option<Bytes> {
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let name = rest.get(4..4 + len)?;
    *rest = &rest[4 + len..];
    Some(Bytes::copy_from_slice(name))
}

/// Big-endian `u64`s read from the front of a value.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u64(&mut self) -> Option<u64> {
        let (head, rest) = self.0.split_at_checked(8)?;
        self.0 = rest;
        Some(u64::from_be_bytes(head.try_into().ok()?))
    }

    fn id(&mut self) -> Option<StreamId> {
        Some(StreamId { ms: self.u64()?, seq: self.u64()? })
    }
}

fn put_id(out: &mut BytesMut, id: StreamId) {
    out.put_slice(&id.to_bytes());
}

/// The metadata's value: last id, entries added, max deleted id.
pub(crate) fn meta_value(m: &StreamMeta) -> Bytes {
    let mut out = BytesMut::with_capacity(40);
    put_id(&mut out, m.last_id);
    out.put_u64(m.entries_added);
    put_id(&mut out, m.max_deleted_id);
    out.freeze()
}

pub(crate) fn parse_meta(v: &[u8]) -> Option<StreamMeta> {
    let mut r = Reader(v);
    Some(StreamMeta { last_id: r.id()?, entries_added: r.u64()?, max_deleted_id: r.id()? })
}

/// A group's value: last delivered id, entries read (`u64::MAX`: unknown).
pub(crate) fn group_value(h: &GroupHeader) -> Bytes {
    let mut out = BytesMut::with_capacity(24);
    put_id(&mut out, h.last_id);
    out.put_u64(h.entries_read.unwrap_or(u64::MAX));
    out.freeze()
}

pub(crate) fn parse_group(v: &[u8]) -> Option<GroupHeader> {
    let mut r = Reader(v);
    let last_id = r.id()?;
    let read = r.u64()?;
    Some(GroupHeader { last_id, entries_read: (read != u64::MAX).then_some(read) })
}

/// A consumer's value: when it was last seen (Unix milliseconds).
pub(crate) fn consumer_value(c: &Consumer) -> Bytes {
    Bytes::copy_from_slice(&c.seen.to_be_bytes())
}

pub(crate) fn parse_consumer(v: &[u8]) -> Option<Consumer> {
    Some(Consumer { seen: Reader(v).u64()? })
}

/// A pending entry's value: last delivery time, delivery count, then the
/// consumer's name (the rest of the value).
pub(crate) fn pending_value(p: &Pending) -> Bytes {
    let mut out = BytesMut::with_capacity(16 + p.consumer.len());
    out.put_u64(p.delivered_at);
    out.put_u64(p.deliveries);
    out.put_slice(&p.consumer);
    out.freeze()
}

pub(crate) fn parse_pending(v: &[u8]) -> Option<Pending> {
    let mut r = Reader(v);
    let (delivered_at, deliveries) = (r.u64()?, r.u64()?);
    Some(Pending { consumer: Bytes::copy_from_slice(r.0), delivered_at, deliveries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_back_and_state_is_never_16_bytes() {
        let id = StreamId { ms: 5, seq: u64::MAX };
        for g in 0..20 {
            let name = Bytes::from(vec![b'x'; g]);
            for f in [
                Field::Entry(id),
                Field::Meta,
                Field::Group(name.clone()),
                Field::Consumer(name.clone(), Bytes::from_static(b"alice")),
                Field::Consumer(Bytes::from_static(b"g"), name.clone()),
                Field::Pending(name.clone(), id),
            ] {
                let key = f.key();
                assert_eq!(key.len() == ENTRY_KEY_LEN, matches!(f, Field::Entry(_)));
                assert_eq!(Field::parse(&key), Some(f));
            }
        }
    }
}
