//! Keys' current values and versions from Redis, as store writes: one
//! `FCALL jotter_read` over many keys reads each key's version (from
//! [`VERSIONS`](crate::VERSIONS)), type, expiry and value in one atomic
//! step, so a value is never paired with another write's version. Each
//! Redis type becomes the value a single node holds for it (a string a
//! blob, a hash, a set, a sorted set, a list under fresh order keys, a
//! stream's entries and state), written whole with
//! [`Write::replace`]; a key that no longer exists is a delete at its
//! version.

use std::sync::Arc;

use bytes::Bytes;
use jotter::{Entry, FieldValue, MapKind, StreamId, StreamMeta, StreamWrite, Value, Write};
use redis::Value as Reply;
use redis::aio::MultiplexedConnection;

use super::records::{bytes, text};

/// Keys per `FCALL`: a bound on how long one call holds Redis.
const KEYS_PER_CALL: usize = 100;

/// The writes that store `keys` as Redis holds them now: for each key,
/// `Ok(write)` or `Err(reason)` when its value cannot be stored (a type the
/// store has no shape for). `fallback[i]` is the version used for a key
/// without one in [`VERSIONS`](crate::VERSIONS) (its records' newest).
pub(crate) async fn writes(
    connection: &mut MultiplexedConnection,
    keys: &[Bytes],
    fallback: &[u64],
) -> redis::RedisResult<Vec<Result<Write, String>>> {
    let mut out = Vec::with_capacity(keys.len());
    for (chunk, versions) in keys.chunks(KEYS_PER_CALL).zip(fallback.chunks(KEYS_PER_CALL)) {
        let mut call = redis::cmd("FCALL");
        call.arg("jotter_read").arg(chunk.len());
        for key in chunk {
            call.arg(key.as_ref());
        }
        let reply: Reply = call.query_async(connection).await?;
        let Reply::Array(items) = reply else {
            return Err(malformed("jotter_read did not answer an array"));
        };
        if items.len() != chunk.len() {
            return Err(malformed("jotter_read answered for another number of keys"));
        }
        for ((key, fallback), item) in chunk.iter().zip(versions).zip(items) {
            out.push(write_of(key, *fallback, &item));
        }
    }
    Ok(out)
}

fn malformed(what: &'static str) -> redis::RedisError {
    redis::RedisError::from((redis::ErrorKind::Parse, what))
}

/// The write for one key's `[version, type, pexpiretime, value]`.
fn write_of(key: &Bytes, fallback: u64, item: &Reply) -> Result<Write, String> {
    let Reply::Array(parts) = item else { return Err("jotter_read: not an array".into()) };
    let [version, kind, expiry, value] = parts.as_slice() else {
        return Err("jotter_read: not four parts".into());
    };
    let version = text(version).and_then(|v| v.parse::<u64>().ok()).unwrap_or(fallback);
    let kind = text(kind).unwrap_or_default();
    let expires_at = match expiry {
        Reply::Int(at) => u64::try_from(*at).ok(),
        _ => None,
    };
    let value = value_of(&kind, value)?;
    Ok(Write::replace(key.clone(), version, value.map(|value| Entry { value, expires_at })))
}

/// The value of a key of Redis type `kind` (`None`: the key is gone).
pub(super) fn value_of(kind: &str, value: &Reply) -> Result<Option<Value>, String> {
    let items: Vec<Vec<u8>> = match value {
        Reply::Array(items) => items.iter().filter_map(bytes).collect(),
        _ => Vec::new(),
    };
    let pairs = |wrap: fn(Vec<u8>) -> Result<FieldValue, String>| {
        items
            .chunks_exact(2)
            .map(|p| Ok((Bytes::from(p[0].clone()), wrap(p[1].clone())?)))
            .collect::<Result<Vec<_>, String>>()
    };
    let map = |kind, fields: Vec<(Bytes, FieldValue)>| Ok(Value::map_of(kind, fields));
    match kind {
        "none" => Ok(None),
        "string" => Ok(items.into_iter().next().map(|b| Value::Blob(Bytes::from(b)))),
        "hash" => map(MapKind::Hash, pairs(|v| Ok(FieldValue::Bytes(Bytes::from(v))))?),
        "zset" => map(MapKind::Scores, pairs(|v| score(&v).map(FieldValue::Score))?),
        "set" => map(
            MapKind::Set,
            items.into_iter().map(|m| (Bytes::from(m), FieldValue::Member)).collect(),
        ),
        "list" => {
            let values: Vec<Bytes> = items.into_iter().map(Bytes::from).collect();
            let elements = jotter::list_order::elements(&values);
            Ok((!elements.is_empty()).then(|| Value::List(Arc::new(elements))))
        }
        "stream" => stream_of(value).map(Some),
        other => Err(format!("a Redis {other} has no shape in the store")),
    }
}

/// A sorted set's score as Redis prints it (exact: `%.17g`, `inf`).
fn score(text: &[u8]) -> Result<f64, String> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .ok_or_else(|| format!("a score that is not a number: {}", String::from_utf8_lossy(text)))
}

/// A stream id as Redis prints it (`ms-seq`).
fn stream_id(text: &str) -> Option<StreamId> {
    let (ms, seq) = text.split_once('-')?;
    Some(StreamId { ms: ms.parse().ok()?, seq: seq.parse().ok()? })
}

/// A stream from `[last id, entries added, max deleted id, entries]`. Its
/// consumer groups are Redis's own and are not stored.
fn stream_of(value: &Reply) -> Result<Value, String> {
    let bad = || "jotter_read: a stream not as expected".to_owned();
    let Reply::Array(parts) = value else { return Err(bad()) };
    let [last, added, deleted, entries] = parts.as_slice() else { return Err(bad()) };
    let id = |r: &Reply| text(r).as_deref().and_then(stream_id).ok_or_else(bad);
    let meta = StreamMeta {
        last_id: id(last)?,
        entries_added: text(added).and_then(|a| a.parse().ok()).ok_or_else(bad)?,
        max_deleted_id: id(deleted)?,
        ..StreamMeta::default()
    };
    let mut fields = vec![StreamWrite::meta(&meta)];
    if let Reply::Array(entries) = entries {
        for entry in entries {
            let Reply::Array(entry) = entry else { return Err(bad()) };
            let [entry_id, flat] = entry.as_slice() else { return Err(bad()) };
            let flat: Vec<Bytes> = match flat {
                Reply::Array(flat) => flat.iter().filter_map(bytes).map(Bytes::from).collect(),
                _ => Vec::new(),
            };
            fields.push(StreamWrite::entry(id(entry_id)?, &flat));
        }
    }
    let fields = fields.into_iter().filter_map(|(f, v)| Some((f, v?)));
    Value::map_of(MapKind::Stream, fields).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jotter::Change;

    fn bulk(s: &str) -> Reply {
        Reply::BulkString(s.as_bytes().to_vec())
    }

    fn item(version: Option<&str>, kind: &str, expiry: i64, value: Vec<Reply>) -> Reply {
        Reply::Array(vec![
            version.map_or(Reply::Nil, bulk),
            bulk(kind),
            Reply::Int(expiry),
            Reply::Array(value),
        ])
    }

    #[test]
    fn each_type_becomes_the_whole_value_at_the_version_read() {
        let key = Bytes::from("k");
        let w = write_of(&key, 1, &item(Some("42"), "string", 1_000, vec![bulk("v")])).unwrap();
        assert_eq!((w.version, w.expires_at), (42, Some(1_000)));
        assert_eq!(w.change, Change::Put(Bytes::from("v")));

        let w =
            write_of(&key, 1, &item(Some("43"), "hash", -1, vec![bulk("f"), bulk("x")])).unwrap();
        let Change::Patch { kind, reset, fields } = &w.change else { panic!("{w:?}") };
        assert_eq!((*kind, *reset, fields.len(), w.expires_at), (MapKind::Hash, Some(43), 1, None));
        assert_eq!(fields[0].version, 43);

        let w = write_of(&key, 7, &item(None, "none", -2, vec![])).unwrap();
        assert_eq!((w.version, w.change), (7, Change::Delete));

        let w =
            write_of(&key, 1, &item(Some("9"), "zset", -1, vec![bulk("m"), bulk("1.5")])).unwrap();
        let Change::Patch { fields, .. } = &w.change else { panic!("{w:?}") };
        assert_eq!(fields[0].value, Some(FieldValue::Score(1.5)));

        let w =
            write_of(&key, 1, &item(Some("9"), "list", -1, vec![bulk("a"), bulk("b")])).unwrap();
        let Change::Patch { kind: MapKind::List, fields, .. } = &w.change else { panic!() };
        assert_eq!(fields.len(), 2);

        assert!(write_of(&key, 1, &item(Some("9"), "MBbloom--", -1, vec![])).is_err());
    }
}
