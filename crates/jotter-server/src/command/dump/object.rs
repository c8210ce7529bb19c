//! A value as an RDB object: the type byte and the body. Jotter writes the
//! plain encodings every Redis since 2.x reads (a string, a hash of pairs,
//! a sorted set of members with binary scores, a set of members, a list of
//! its elements), so a Redis 7.0 RESTOREs
//! them; it reads those and the compact encodings Redis 7.0 and 7.2 write
//! (listpacks, intsets, quicklists, LZF-compressed and integer strings).

use std::sync::Arc;

use bytes::Bytes;
use jotter::{FieldValue, MapKind, ScoreMap, Value, list_order};

use super::listpack;
use super::rdb::{Reader, put_len, put_string};

const STRING: u8 = 0;
const LIST: u8 = 1;
const SET: u8 = 2;
const ZSET: u8 = 3;
const HASH: u8 = 4;
const ZSET_2: u8 = 5;
const SET_INTSET: u8 = 11;
const HASH_LISTPACK: u8 = 16;
const ZSET_LISTPACK: u8 = 17;
const LIST_QUICKLIST_2: u8 = 18;
const SET_LISTPACK: u8 = 20;
const STREAM_LISTPACKS: u8 = 15;
const STREAM_LISTPACKS_2: u8 = 19;
const STREAM_LISTPACKS_3: u8 = 21;
/// A stream as Jotter writes it: its fields (entries and state) as pairs of
/// strings. A type number Redis does not use, so Redis refuses the payload
/// as a bad format rather than misreading it.
const JOTTER_STREAM: u8 = 200;

/// Quicklist node containers: one element, or a listpack of several.
const PLAIN_NODE: usize = 1;
const PACKED_NODE: usize = 2;

/// Why a payload's object cannot become a value.
#[derive(Debug, PartialEq)]
pub(super) enum Unreadable {
    /// Malformed, empty, or of an encoding not read here.
    BadFormat,
    /// Of a type whose RDB form is not read here.
    NotRead(&'static str),
}

/// The object for `value`: its type byte and its body. A stream is written
/// in a form of Jotter's own ([`JOTTER_STREAM`]): Redis's (listpacks of
/// entries, its groups in radix trees) is not written here.
pub(super) fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    match value {
        Value::Blob(b) => {
            out.push(STRING);
            put_string(&mut out, b);
        }
        Value::Hash(map) => {
            out.push(HASH);
            put_len(&mut out, map.len());
            for (field, value) in map.iter() {
                put_string(&mut out, field);
                put_string(&mut out, value);
            }
        }
        Value::Scores(map) => {
            out.push(ZSET_2);
            put_len(&mut out, map.len());
            for (member, score) in map.iter() {
                put_string(&mut out, member);
                out.extend_from_slice(&score.to_le_bytes());
            }
        }
        Value::Stream(_) => {
            // Entries and group state alike, as the stores hold them.
            let fields = value.fields().unwrap_or_default();
            out.push(JOTTER_STREAM);
            put_len(&mut out, fields.len());
            for (field, state) in &fields {
                put_string(&mut out, field);
                if let FieldValue::Stream(state) = state {
                    put_string(&mut out, state);
                }
            }
        }
        Value::Set(members) => {
            out.push(SET);
            put_len(&mut out, members.len());
            for member in members.iter() {
                put_string(&mut out, member);
            }
        }
        Value::List(elements) => {
            out.push(LIST);
            put_len(&mut out, elements.len());
            for element in elements.values() {
                put_string(&mut out, element);
            }
        }
    }
    out
}

/// The value an object holds. The whole object must be read: bytes left
/// over are a bad format.
pub(super) fn decode(object: &[u8]) -> Result<Value, Unreadable> {
    let mut r = Reader::new(object);
    let value = read(&mut r)?;
    if !r.is_empty() {
        return Err(Unreadable::BadFormat);
    }
    value.ok_or(Unreadable::BadFormat)
}

/// The value, or `Ok(None)` if the object is malformed or empty (Redis
/// refuses an empty collection too).
fn read(r: &mut Reader<'_>) -> Result<Option<Value>, Unreadable> {
    let bad = Unreadable::BadFormat;
    let kind = r.byte().ok_or(bad)?;
    Ok(match kind {
        STRING => r.string().map(|s| Value::Blob(Bytes::from(s))),
        HASH => pairs(r).and_then(hash),
        HASH_LISTPACK => packed(r).and_then(into_pairs).and_then(hash),
        ZSET | ZSET_2 => scored(r, kind == ZSET_2).and_then(zset),
        ZSET_LISTPACK => {
            let pairs = packed(r).and_then(into_pairs);
            pairs
                .and_then(|p| p.into_iter().map(|(m, s)| Some((m, parse_score(&s)?))).collect())
                .and_then(zset)
        }
        SET | SET_INTSET | SET_LISTPACK => {
            let members = match kind {
                SET => strings(r),
                SET_INTSET => r.string().and_then(|s| listpack::intset(&s)),
                _ => packed(r),
            };
            members.and_then(set)
        }
        LIST | LIST_QUICKLIST_2 => {
            let elements = if kind == LIST { strings(r) } else { quicklist(r) };
            elements.filter(|e| !e.is_empty()).map(|e| {
                let values: Vec<Bytes> = e.into_iter().map(Bytes::from).collect();
                Value::List(Arc::new(list_order::elements(&values)))
            })
        }
        JOTTER_STREAM => pairs(r).and_then(|pairs| {
            let fields = pairs
                .into_iter()
                .map(|(f, v)| (Bytes::from(f), FieldValue::Stream(Bytes::from(v))));
            Value::map_of(MapKind::Stream, fields)
        }),
        STREAM_LISTPACKS | STREAM_LISTPACKS_2 | STREAM_LISTPACKS_3 => {
            return Err(Unreadable::NotRead("stream"));
        }
        _ => return Err(Unreadable::BadFormat),
    })
}

/// `count` strings.
fn strings(r: &mut Reader<'_>) -> Option<Vec<Vec<u8>>> {
    let n = r.count()?;
    (0..n).map(|_| r.string()).collect()
}

/// `count` pairs of strings.
fn pairs(r: &mut Reader<'_>) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let n = r.count()?;
    (0..n).map(|_| Some((r.string()?, r.string()?))).collect()
}

/// `count` members with their scores, in binary or as text.
fn scored(r: &mut Reader<'_>, binary: bool) -> Option<Vec<(Vec<u8>, f64)>> {
    let n = r.count()?;
    (0..n)
        .map(|_| {
            let member = r.string()?;
            let score = if binary { r.binary_double()? } else { r.text_double()? };
            Some((member, score))
        })
        .collect()
}

/// The elements of a listpack stored as one string.
fn packed(r: &mut Reader<'_>) -> Option<Vec<Vec<u8>>> {
    listpack::elements(&r.string()?)
}

/// A list's elements from quicklist nodes.
fn quicklist(r: &mut Reader<'_>) -> Option<Vec<Vec<u8>>> {
    let nodes = r.count()?;
    let mut elements = Vec::new();
    for _ in 0..nodes {
        match r.len()? {
            PLAIN_NODE => elements.push(r.string()?),
            PACKED_NODE => elements.extend(packed(r)?),
            _ => return None,
        }
    }
    Some(elements)
}

fn into_pairs(flat: Vec<Vec<u8>>) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    if !flat.len().is_multiple_of(2) {
        return None;
    }
    let mut it = flat.into_iter();
    Some(std::iter::from_fn(|| Some((it.next()?, it.next()?))).collect())
}

fn parse_score(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.parse().ok().filter(|s: &f64| !s.is_nan())
}

fn hash(pairs: Vec<(Vec<u8>, Vec<u8>)>) -> Option<Value> {
    let fields =
        pairs.into_iter().map(|(f, v)| (Bytes::from(f), FieldValue::Bytes(Bytes::from(v))));
    Value::map_of(MapKind::Hash, fields)
}

fn set(members: Vec<Vec<u8>>) -> Option<Value> {
    Value::map_of(MapKind::Set, members.into_iter().map(|m| (Bytes::from(m), FieldValue::Member)))
}

fn zset(members: Vec<(Vec<u8>, f64)>) -> Option<Value> {
    let mut map = ScoreMap::new();
    for (member, score) in members {
        map.insert(Bytes::from(member), score);
    }
    (!map.is_empty()).then(|| Value::Scores(Arc::new(map)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_written_value_reads_back() {
        let mut scores = ScoreMap::new();
        scores.insert(Bytes::from_static(b"m"), -1.5);
        scores.insert(Bytes::from_static(b"n"), f64::INFINITY);
        let values = [
            Value::Blob(Bytes::from_static(b"")),
            Value::Blob(Bytes::from(vec![7u8; 70_000])),
            Value::map_of(
                MapKind::Hash,
                [(Bytes::from_static(b"f"), FieldValue::Bytes(Bytes::new()))],
            )
            .unwrap(),
            Value::Scores(Arc::new(scores)),
            Value::map_of(MapKind::Set, [(Bytes::from_static(b"x"), FieldValue::Member)]).unwrap(),
            Value::List(Arc::new(list_order::elements(&[
                Bytes::from_static(b"a"),
                Bytes::new(),
                Bytes::from_static(b"a"),
            ]))),
        ];
        for value in values {
            assert_eq!(decode(&encode(&value)), Ok(value));
        }
    }

    #[test]
    fn malformed_objects_are_refused() {
        for object in [
            &b""[..],
            b"\x00",
            b"\x00\x05ab",
            b"\x04\x00",
            b"\x04\x01\x01a",
            b"\x63",
            b"\x00\x01ab",
        ] {
            assert_eq!(decode(object), Err(Unreadable::BadFormat), "{object:?}");
        }
    }
}
