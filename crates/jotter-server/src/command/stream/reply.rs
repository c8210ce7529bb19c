//! Reading a key's stream and writing entries as Redis replies them: an
//! entry is a two-element array, its id then its flat field/value pairs.

use std::ops::RangeInclusive;
use std::sync::Arc;

use jotter::{Stream, StreamEntry, StreamId, Txn, Value};
use jotter_resp::ReplyWriter;

use super::id::reply_id;
use crate::command::fail::{self, Fail};

/// The stream at `key`: `None` if absent, WRONGTYPE if another type.
pub(super) fn stream<'t>(txn: &'t Txn<'_>, key: &[u8]) -> Result<Option<&'t Arc<Stream>>, Fail> {
    match txn.get(key) {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(fail::wrong_type()),
    }
}

/// The entries with ids in `range`, forwards or backwards, at most `count`
/// (0: all). An empty range (start after end) has none.
pub(super) fn range(
    s: &Stream,
    range: RangeInclusive<StreamId>,
    rev: bool,
    count: usize,
) -> Vec<(StreamId, StreamEntry)> {
    if range.start() > range.end() {
        return Vec::new();
    }
    let take = if count == 0 { usize::MAX } else { count };
    let it = s.entries().range(range).map(|(id, e)| (*id, Arc::clone(e)));
    if rev { it.rev().take(take).collect() } else { it.take(take).collect() }
}

/// One entry: `[id, [field, value, ...]]`.
pub(super) fn entry(w: &mut ReplyWriter<'_>, id: StreamId, pairs: &[bytes::Bytes]) {
    w.array(2);
    reply_id(w, id);
    w.array(pairs.len());
    for b in pairs {
        w.bulk(b);
    }
}

/// Entries as an array.
pub(super) fn entries(w: &mut ReplyWriter<'_>, list: &[(StreamId, StreamEntry)]) {
    w.array(list.len());
    for (id, pairs) in list {
        entry(w, *id, pairs);
    }
}
