//! XREADGROUP (`xreadCommand` with a group): `>` delivers the entries after
//! the group's last delivered id, moving it forward and (unless NOACK)
//! making each entry pending for the consumer, one pending field each; an
//! id reads back the consumer's own pending entries after it (an entry
//! deleted since is its id and a null), counting a delivery each. The
//! consumer is created, or seen, when a stream serves it. With BLOCK,
//! outside `EXEC`, `>` waits as XREAD does (`block.rs`).

use bytes::Bytes;
use jotter::{Pending, StreamEntry, StreamId, StreamWrite, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::groups::{delivered, existing, find, set, touch_consumer};
use super::id::{parse_strict, reply_id};
use super::range::after;
use super::read::{ReadArgs, Reading, served_header, served_key};
use super::reply::{self, stream};
use crate::command::fail::{self, Fail, Outcome};
use crate::command::spec::{BoxFlow, Ctx};

const SUFFIX: &str = " in XREADGROUP with GROUP option";

/// Each key's id: `None` for `>`, else the id after which the consumer's
/// history is read.
fn resolve(req: &Request, args: &ReadArgs, txn: &Txn<'_>) -> Result<Vec<Option<StreamId>>, Fail> {
    let (group, _) = args.group.clone().unwrap_or_default();
    (0..args.keys)
        .map(|i| {
            let (key, id) = args.key_and_id(req, i);
            existing(txn, key, &group, SUFFIX)?;
            match id {
                b"$" => Err(fail::error(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                )),
                b">" => Ok(None),
                id => parse_strict(id, 0).map(Some),
            }
        })
        .collect()
}

/// What one stream serves: each id with its entry (`None`: deleted).
type Served = Vec<(StreamId, Option<StreamEntry>)>;

/// Serves each key that has something for the consumer, then replies;
/// whether any did. A retry skips keys that changed type or lost the
/// group meanwhile.
fn serve(
    req: &Request,
    args: &ReadArgs,
    ids: &[Option<StreamId>],
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    retry: bool,
) -> Result<bool, Fail> {
    let (group, consumer) = args.group.clone().unwrap_or_default();
    let now = txn.now();
    let mut served: Vec<(Bytes, Served)> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let key = req.arg_bytes(args.streams_at + i).unwrap_or_default();
        let s = match stream(txn, &key) {
            Ok(Some(s)) if find(s, &group).is_some() => s.clone(),
            Err(e) if !retry => return Err(e),
            _ => continue,
        };
        let g = find(&s, &group).cloned().unwrap_or_default();
        let (items, changes): (Served, Vec<_>) = match id {
            Some(start) => {
                let from = match start.next() {
                    Some(from) => from,
                    None => continue,
                };
                let take = if args.count == 0 { usize::MAX } else { args.count };
                let mine: Vec<(StreamId, Pending)> = g
                    .pending()
                    .range(from..)
                    .filter(|(_, p)| p.consumer == consumer)
                    .take(take)
                    .map(|(id, p)| (*id, p.clone()))
                    .collect();
                let mut items = Vec::with_capacity(mine.len());
                let mut changes = Vec::new();
                for (id, p) in mine {
                    let entry = s.entries().get(&id).cloned();
                    if entry.is_some() {
                        let again =
                            Pending { delivered_at: now, deliveries: p.deliveries + 1, ..p };
                        changes.push(StreamWrite::pending(&group, id, &again));
                    }
                    items.push((id, entry));
                }
                (items, changes)
            }
            None => {
                let fresh = after(&s, g.header().last_id, args.count);
                if fresh.is_empty() {
                    continue;
                }
                let mut header = g.header();
                let mut changes = Vec::new();
                for (id, _) in &fresh {
                    header = delivered(&s, header, *id);
                    if !args.noack {
                        let p = Pending {
                            consumer: consumer.clone(),
                            delivered_at: now,
                            deliveries: 1,
                        };
                        changes.push(StreamWrite::pending(&group, *id, &p));
                    }
                }
                changes.push(StreamWrite::group(&group, &header));
                (fresh.into_iter().map(|(id, e)| (id, Some(e))).collect(), changes)
            }
        };
        // Let go of the stream first, so the writes change it in place.
        drop(s);
        set(txn, &key, changes)?;
        touch_consumer(txn, &key, &group, &consumer, now)?;
        served.push((key, items));
    }
    if served.is_empty() {
        return Ok(false);
    }
    served_header(w, served.len());
    for (key, items) in &served {
        served_key(w, key);
        w.array(items.len());
        for (id, entry) in items {
            match entry {
                Some(pairs) => reply::entry(w, *id, pairs),
                None => {
                    w.array(2);
                    reply_id(w, *id);
                    w.null_array();
                }
            }
        }
    }
    Ok(true)
}

const XREADGROUP: Reading<Option<StreamId>> = Reading { grouped: true, resolve, serve };

/// XREADGROUP as one look.
pub(super) fn xreadgroup(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    XREADGROUP.once(req, txn, w)
}

/// XREADGROUP outside `EXEC`.
pub(super) fn block<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(XREADGROUP.blocking(req, ctx))
}
