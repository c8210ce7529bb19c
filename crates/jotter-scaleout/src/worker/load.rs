//! `--load-store`: a cluster started on an existing database (one a single
//! node wrote, or a cluster's whose Redis was lost) serves the keys the
//! store holds. The worker lists every live key of the store a page at a
//! time, loads the page, and writes each key into Redis with `FCALL
//! jotter_load` (`worker.lua`), one atomic step per key that writes it
//! only if Redis knows nothing of the key: neither the key nor a version
//! for it. So a key a client wrote before the load (or deleted, its
//! delete not yet flushed) is never overwritten. Each key loaded gets the
//! store's version of it (or, if the store cannot tell, the store's
//! highest version, at or below every version the clock hands out after
//! it was raised to it) and no change record: the store already holds it.
//!
//! A value is sent in the form `jotter_read` answers it (`read.rs` turns
//! that form into a value; [`items_of`] is its inverse). Streams are
//! loaded with their entries and state (last id, entries added, max
//! deleted id); their consumer groups are not (in scale-out mode groups
//! are Redis's own and never stored).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use jotter::{Listing, Page, Store, Value};
use redis::aio::MultiplexedConnection;

use super::SessionError;
use crate::layout::is_reserved;

/// Keys listed, loaded and written per round.
const PAGE: usize = 500;
/// Keys' versions asked of the store at once (one query each), while the
/// page's values load.
const VERSION_QUERIES: usize = 8;

/// Writes every live key of `store` that Redis does not know into Redis;
/// returns how many were written.
pub(crate) async fn load<S: Store>(
    connection: &mut MultiplexedConnection,
    store: &S,
) -> Result<u64, SessionError> {
    let failed = |e: jotter::StoreError| {
        SessionError::Load(format!(
            "cannot load the store into the cluster ({}): start the worker again with \
             --load-store once the store answers (keys already loaded are kept)",
            e.message()
        ))
    };
    let floor = store.max_version().await.map_err(failed)?;
    let now =
        u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis())
            .unwrap_or(u64::MAX);
    let mut after: Option<Bytes> = None;
    let (mut loaded, mut listed) = (0u64, 0u64);
    loop {
        let page = Page { listing: Listing::Live, after: after.as_deref(), limit: PAGE, now };
        let keys = store.list(page).await.map_err(failed)?;
        let Some(last) = keys.last().cloned() else { break };
        listed += keys.len() as u64;
        let keys: Vec<Bytes> = keys.into_iter().filter(|k| !reserved(k)).collect();
        let versions =
            stream::iter(&keys).map(|key| store.version_of(key)).buffered(VERSION_QUERIES);
        let (entries, versions): (_, Vec<Option<u64>>) =
            tokio::try_join!(store.load_many(&keys), versions.try_collect()).map_err(failed)?;
        let mut pipe = redis::pipe();
        let mut calls = 0;
        for ((key, entry), version) in keys.iter().zip(entries).zip(versions) {
            let Some(entry) = entry.filter(|e| !e.is_expired(now)) else { continue };
            let version = version.unwrap_or(floor);
            let (kind, items) = items_of(&entry.value);
            let call = pipe.cmd("FCALL").arg("jotter_load").arg(1).arg(key.as_ref());
            call.arg(version.to_string()).arg(kind).arg(entry.expires_at.unwrap_or(0));
            for item in &items {
                call.arg(item.as_ref());
            }
            calls += 1;
        }
        if calls > 0 {
            let written: Vec<u64> = pipe.query_async(connection).await?;
            loaded += written.iter().sum::<u64>();
        }
        after = Some(last);
    }
    tracing::info!(listed, loaded, "loaded the store's keys Redis did not hold");
    Ok(loaded)
}

/// A key in Jotter's own namespace cannot be a client's in the cluster.
fn reserved(key: &Bytes) -> bool {
    let reserved = is_reserved(key);
    if reserved {
        tracing::warn!(key = %jotter::LogKey(key), "not loading a store key in Jotter's reserved namespace");
    }
    reserved
}

/// A value's Redis type and its items, as `jotter_read` answers them (a
/// sorted set's member/score pairs, scores printed exactly); a stream's
/// entries each as id, item count, items.
pub(crate) fn items_of(value: &Value) -> (&'static str, Vec<Bytes>) {
    match value {
        Value::Blob(b) => ("string", vec![b.clone()]),
        Value::Hash(m) => ("hash", m.iter().flat_map(|(f, v)| [f.clone(), v.clone()]).collect()),
        Value::Set(m) => ("set", m.iter().cloned().collect()),
        Value::Scores(m) => (
            "zset",
            // Rust prints the shortest digits that read back to the same
            // double, and `inf`/`-inf`, which ZADD reads.
            m.iter().flat_map(|(member, score)| [member.clone(), score_text(score)]).collect(),
        ),
        Value::List(m) => ("list", m.values().cloned().collect()),
        Value::Stream(s) => {
            let meta = s.meta();
            let mut items = vec![
                Bytes::from(meta.last_id.to_string()),
                Bytes::from(meta.entries_added.to_string()),
                Bytes::from(meta.max_deleted_id.to_string()),
            ];
            for (id, flat) in s.entries() {
                items.push(Bytes::from(id.to_string()));
                items.push(Bytes::from(flat.len().to_string()));
                items.extend(flat.iter().cloned());
            }
            ("stream", items)
        }
    }
}

fn score_text(score: f64) -> Bytes {
    Bytes::from(score.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jotter::{FieldValue, MapKind};
    use redis::Value as Reply;

    /// `items_of` is the inverse of `read.rs`'s reading of `jotter_read`.
    #[test]
    fn a_value_read_back_from_its_items_is_the_same() {
        let values = [
            Value::Blob(Bytes::from("v")),
            Value::map_of(MapKind::Hash, [(Bytes::from("f"), FieldValue::Bytes("x".into()))])
                .unwrap(),
            Value::map_of(MapKind::Set, [(Bytes::from("m"), FieldValue::Member)]).unwrap(),
            Value::map_of(
                MapKind::Scores,
                [
                    (Bytes::from("a"), FieldValue::Score(0.1)),
                    (Bytes::from("b"), FieldValue::Score(f64::NEG_INFINITY)),
                    (Bytes::from("c"), FieldValue::Score(1e300)),
                ],
            )
            .unwrap(),
        ];
        for value in values {
            let (kind, items) = items_of(&value);
            let reply = Reply::Array(items.iter().map(|i| Reply::BulkString(i.to_vec())).collect());
            assert_eq!(super::super::read::value_of(kind, &reply), Ok(Some(value)));
        }
        let list = super::super::read::value_of(
            "list",
            &Reply::Array(vec![Reply::BulkString(b"a".to_vec()), Reply::BulkString(b"b".to_vec())]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(items_of(&list), ("list", vec![Bytes::from("a"), Bytes::from("b")]));
    }
}
