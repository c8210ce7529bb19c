//! Change records as the shard streams hand them out (`XREADGROUP`,
//! `XAUTOCLAIM`), and a batch of them grouped by key: a key written many
//! times between two batches is read and stored once (coalescing), and
//! every one of its records is acknowledged with it.

use std::collections::BTreeMap;

use bytes::Bytes;
use redis::Value;

use crate::layout::{FIELD_KEY, FIELD_VERSION};

/// One change record: where it is, and the key and version it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// The shard stream it is in.
    pub shard: u32,
    /// Its entry id.
    pub id: String,
    /// The key written, or `None` for an entry that is not a change record
    /// (acknowledged and skipped).
    pub key: Option<Bytes>,
    /// The version written (0 if the record has none).
    pub version: u64,
}

/// A key's records in one batch.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyRecords {
    /// The records, in the order they came.
    pub records: Vec<Record>,
    /// The highest version they name.
    pub version: u64,
}

/// Records grouped by key; the records that name no key apart.
pub(crate) fn by_key(records: Vec<Record>) -> (BTreeMap<Bytes, KeyRecords>, Vec<Record>) {
    let mut keys: BTreeMap<Bytes, KeyRecords> = BTreeMap::new();
    let mut stray = Vec::new();
    for record in records {
        match record.key.clone() {
            Some(key) => {
                let entry = keys.entry(key).or_default();
                entry.version = entry.version.max(record.version);
                entry.records.push(record);
            }
            None => stray.push(record),
        }
    }
    (keys, stray)
}

/// The shard a stream's name names (`{jotter}:s:<i>`).
pub(crate) fn shard_of_stream(name: &[u8]) -> Option<u32> {
    let rest = name.strip_prefix(b"{jotter}:s:")?;
    std::str::from_utf8(rest).ok()?.parse().ok()
}

/// The records of one stream's entries (`[[id, [field, value, ...]], ...]`);
/// an entry whose fields are gone (deleted) names no key.
pub(crate) fn entries(shard: u32, entries: &Value) -> Vec<Record> {
    let Value::Array(entries) = entries else { return Vec::new() };
    entries
        .iter()
        .filter_map(|entry| {
            let Value::Array(parts) = entry else { return None };
            let id = text(parts.first()?)?;
            let mut record = Record { shard, id, key: None, version: 0 };
            if let Some(Value::Array(fields)) = parts.get(1) {
                for pair in fields.chunks(2) {
                    match (bytes(&pair[0]), pair.get(1).and_then(bytes)) {
                        (Some(f), Some(v)) if f == FIELD_KEY.as_bytes() => {
                            record.key = Some(Bytes::from(v));
                        }
                        (Some(f), Some(v)) if f == FIELD_VERSION.as_bytes() => {
                            let version = std::str::from_utf8(&v).ok().and_then(|v| v.parse().ok());
                            record.version = version.unwrap_or(0);
                        }
                        _ => {}
                    }
                }
            }
            Some(record)
        })
        .collect()
}

/// An `XREADGROUP` reply: `[[stream, entries], ...]` (or nil: nothing new).
pub(crate) fn read_reply(reply: &Value) -> Vec<Record> {
    let Value::Array(streams) = reply else { return Vec::new() };
    let mut records = Vec::new();
    for stream in streams {
        let Value::Array(parts) = stream else { continue };
        let Some(shard) = parts.first().and_then(bytes).and_then(|n| shard_of_stream(&n)) else {
            continue;
        };
        if let Some(list) = parts.get(1) {
            records.extend(entries(shard, list));
        }
    }
    records
}

/// A reply's bytes, if it is a string.
pub(crate) fn bytes(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.clone().into_bytes()),
        Value::Okay => Some(b"OK".to_vec()),
        Value::Int(i) => Some(i.to_string().into_bytes()),
        _ => None,
    }
}

/// A reply's text, if it is a UTF-8 string.
pub(crate) fn text(value: &Value) -> Option<String> {
    String::from_utf8(bytes(value)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn a_read_reply_becomes_records_grouped_by_key() {
        let entry = |id: &str, key: &str, version: &str| {
            Value::Array(vec![
                bulk(id),
                Value::Array(vec![bulk("k"), bulk(key), bulk("v"), bulk(version)]),
            ])
        };
        let reply = Value::Array(vec![Value::Array(vec![
            bulk("{jotter}:s:3"),
            Value::Array(vec![
                entry("1-0", "a", "7"),
                entry("2-0", "b", "8"),
                entry("3-0", "a", "9"),
                Value::Array(vec![bulk("4-0"), Value::Nil]),
            ]),
        ])]);
        let records = read_reply(&reply);
        assert_eq!(records.len(), 4);
        assert!(records.iter().all(|r| r.shard == 3));
        let (keys, stray) = by_key(records);
        assert_eq!(keys[&Bytes::from("a")].version, 9);
        assert_eq!(keys[&Bytes::from("a")].records.len(), 2);
        assert_eq!(keys[&Bytes::from("b")].version, 8);
        assert_eq!(stray.len(), 1);
        assert_eq!(stray[0].id, "4-0");
    }

    #[test]
    fn only_shard_streams_name_a_shard() {
        assert_eq!(shard_of_stream(b"{jotter}:s:12"), Some(12));
        assert_eq!(shard_of_stream(b"{jotter}:dead"), None);
    }
}
