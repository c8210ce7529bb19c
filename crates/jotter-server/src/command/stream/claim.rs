//! XCLAIM and XAUTOCLAIM (`xclaimCommand`, `xautoclaimCommand`): pending
//! entries moved to another consumer, each a pending field rewritten; a
//! pending entry whose stream entry was deleted is dropped instead.

use bytes::Bytes;
use std::sync::Arc;

use jotter::{Consumer, GroupHeader, Pending, Stream, StreamGroup, StreamId, StreamWrite, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::groups::{existing, set};
use super::id::{parse_strict, reply_id};
use super::pending::interval;
use super::reply::{self, stream};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Fail, Outcome};

fn number(arg: &[u8], message: &'static str) -> Result<i64, Fail> {
    parse_i64(arg).ok_or_else(|| fail::error(message))
}

/// The key's stream and a copy of its group. The command gathers its
/// changes and writes them once, after it lets go of the stream, so that
/// they change the stream in place.
fn stream_and_group(
    txn: &Txn<'_>,
    key: &[u8],
    name: &[u8],
) -> Result<(Arc<Stream>, StreamGroup), Fail> {
    let group = existing(txn, key, name, "")?;
    let s = stream(txn, key)?.cloned().unwrap_or_default();
    Ok((s, group))
}

/// Replies with a claimed entry: its id alone (JUSTID) or the entry.
fn claimed(w: &mut ReplyWriter<'_>, s: &Stream, id: StreamId, justid: bool) {
    match (justid, s.entries().get(&id)) {
        (true, _) => reply_id(w, id),
        (false, Some(pairs)) => reply::entry(w, id, pairs),
        (false, None) => w.null(),
    }
}

pub(super) fn xclaim(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = req.arg_bytes(1).unwrap_or_default();
    let name = req.arg_bytes(2).unwrap_or_default();
    let consumer = req.arg_bytes(3).unwrap_or_default();
    let (s, group) = stream_and_group(txn, &key, &name)?;
    let arg = |i: usize| req.arg(i).unwrap_or_default();
    let min_idle = number(arg(4), "ERR Invalid min-idle-time argument for XCLAIM")?.max(0);
    let mut j = 5;
    let mut ids = Vec::new();
    while j < req.len() {
        match parse_strict(arg(j), 0) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = i64::try_from(txn.now()).unwrap_or(i64::MAX);
    let (mut force, mut justid, mut retrycount, mut delivery, mut last_id) =
        (false, false, None, None, StreamId::MIN);
    while j < req.len() {
        let opt = arg(j);
        let has_value = j + 1 < req.len();
        let is = |name: &[u8]| opt.eq_ignore_ascii_case(name);
        if is(b"force") {
            force = true;
        } else if is(b"justid") {
            justid = true;
        } else if is(b"idle") && has_value {
            j += 1;
            delivery = Some(now - number(arg(j), "ERR Invalid IDLE option argument for XCLAIM")?);
        } else if is(b"time") && has_value {
            j += 1;
            delivery = Some(number(arg(j), "ERR Invalid TIME option argument for XCLAIM")?);
        } else if is(b"retrycount") && has_value {
            j += 1;
            retrycount = Some(number(arg(j), "ERR Invalid RETRYCOUNT option argument for XCLAIM")?);
        } else if is(b"lastid") && has_value {
            j += 1;
            last_id = parse_strict(arg(j), 0)?;
        } else {
            return Err(fail::error(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
        j += 1;
    }
    let mut changes = Vec::new();
    if last_id > group.header().last_id {
        let header = GroupHeader { last_id, ..group.header() };
        changes.push(StreamWrite::group(&name, &header));
    }
    let delivery = match delivery {
        Some(t) if (0..=now).contains(&t) => t,
        _ => now,
    };
    let now = now.unsigned_abs();
    let mut replies = Vec::new();
    let mut pending = group.pending().clone();
    let mut touched = false;
    for id in ids {
        let known = pending.get(&id).cloned();
        if !s.entries().contains_key(&id) {
            if known.is_some() {
                pending.remove(&id);
                changes.push(StreamWrite::remove_pending(&name, id));
            }
            continue;
        }
        let (p, forced) = match known {
            Some(p) => (p, false),
            None if force => {
                (Pending { consumer: Bytes::new(), delivered_at: now, deliveries: 1 }, true)
            }
            None => continue,
        };
        if !forced && min_idle > 0 && now.saturating_sub(p.delivered_at) < min_idle.unsigned_abs() {
            continue;
        }
        if !touched {
            changes.push(StreamWrite::consumer(&name, &consumer, &Consumer { seen: now }));
            touched = true;
        }
        let deliveries = match retrycount {
            Some(n) if n >= 0 => n.unsigned_abs(),
            _ if !justid => p.deliveries + 1,
            _ => p.deliveries,
        };
        let p = Pending {
            consumer: consumer.clone(),
            delivered_at: delivery.unsigned_abs(),
            deliveries,
        };
        changes.push(StreamWrite::pending(&name, id, &p));
        pending.insert(id, p);
        replies.push(id);
    }
    w.array(replies.len());
    for id in replies {
        claimed(w, &s, id, justid);
    }
    drop(s);
    set(txn, &key, changes)
}

pub(super) fn xautoclaim(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let arg = |i: usize| req.arg(i).unwrap_or_default();
    let min_idle = number(arg(4), "ERR Invalid min-idle-time argument for XAUTOCLAIM")?.max(0);
    let (start, _) = interval(arg(5), None)?;
    let (mut count, mut justid) = (100i64, false);
    let mut j = 6;
    while j < req.len() {
        let opt = arg(j);
        if opt.eq_ignore_ascii_case(b"count") && j + 1 < req.len() {
            let max = i64::MAX / 16;
            count = parse_i64(arg(j + 1))
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| fail::error("ERR COUNT must be > 0"))?;
            j += 1;
        } else if opt.eq_ignore_ascii_case(b"justid") {
            justid = true;
        } else {
            return Err(fail::syntax());
        }
        j += 1;
    }
    let key = req.arg_bytes(1).unwrap_or_default();
    let name = req.arg_bytes(2).unwrap_or_default();
    let consumer = req.arg_bytes(3).unwrap_or_default();
    let (s, group) = stream_and_group(txn, &key, &name)?;
    let now = txn.now();
    let mut attempts = count.saturating_mul(10);
    let mut left = count;
    let (mut claimed_ids, mut deleted) = (Vec::new(), Vec::new());
    let (mut touched, mut changes) = (false, Vec::new());
    let mut cursor = group.pending().range(start..).map(|(id, p)| (*id, p.clone())).peekable();
    while attempts > 0 && left > 0 {
        attempts -= 1;
        let Some((id, p)) = cursor.next() else { break };
        if !s.entries().contains_key(&id) {
            changes.push(StreamWrite::remove_pending(&name, id));
            deleted.push(id);
            left -= 1;
            continue;
        }
        if min_idle > 0 && now.saturating_sub(p.delivered_at) < min_idle.unsigned_abs() {
            continue;
        }
        if !touched {
            changes.push(StreamWrite::consumer(&name, &consumer, &Consumer { seen: now }));
            touched = true;
        }
        let deliveries = if justid { p.deliveries } else { p.deliveries + 1 };
        let p = Pending { consumer: consumer.clone(), delivered_at: now, deliveries };
        changes.push(StreamWrite::pending(&name, id, &p));
        claimed_ids.push(id);
        left -= 1;
    }
    let next = cursor.peek().map_or(StreamId::MIN, |(id, _)| *id);
    w.array(3);
    reply_id(w, next);
    w.array(claimed_ids.len());
    for id in claimed_ids {
        claimed(w, &s, id, justid);
    }
    w.array(deleted.len());
    for id in deleted {
        reply_id(w, id);
    }
    drop(s);
    set(txn, &key, changes)
}
