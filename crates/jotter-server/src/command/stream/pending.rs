//! XACK and XPENDING (`xackCommand`, `xpendingCommand`): a group's pending
//! entries, acknowledged (a pending field removed each) or listed.

use jotter::{StreamId, StreamWrite, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::groups::{find, no_group, set};
use super::id::{parse_bound, parse_strict, reply_id};
use super::reply::stream;
use crate::command::args::parse_i64;
use crate::command::fail::{self, Fail, Outcome};

pub(super) fn xack(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = req.arg_bytes(1).unwrap_or_default();
    let name = req.arg_bytes(2).unwrap_or_default();
    let Some(group) = stream(txn, &key)?.and_then(|s| find(s, &name).cloned()) else {
        w.integer(0);
        return Ok(());
    };
    let ids = (3..req.len())
        .map(|i| parse_strict(req.arg(i).unwrap_or_default(), 0))
        .collect::<Result<Vec<_>, _>>()?;
    let mut acked: Vec<StreamId> =
        ids.into_iter().filter(|id| group.pending().contains_key(id)).collect();
    acked.sort_unstable();
    acked.dedup();
    set(txn, &key, acked.iter().map(|id| StreamWrite::remove_pending(&name, *id)))?;
    w.integer(i64::try_from(acked.len()).unwrap_or(i64::MAX));
    Ok(())
}

/// An inclusive id range from a start and an end argument, `(` allowed.
pub(super) fn interval(start: &[u8], end: Option<&[u8]>) -> Result<(StreamId, StreamId), Fail> {
    let (mut lo, lo_ex) = parse_bound(start, 0)?;
    if lo_ex {
        lo = lo.next().ok_or_else(|| fail::error("ERR invalid start ID for the interval"))?;
    }
    let Some(end) = end else { return Ok((lo, StreamId::MAX)) };
    let (mut hi, hi_ex) = parse_bound(end, u64::MAX)?;
    if hi_ex {
        hi = hi.prev().ok_or_else(|| fail::error("ERR invalid end ID for the interval"))?;
    }
    Ok((lo, hi))
}

pub(super) fn xpending(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let argc = req.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(fail::syntax());
    }
    let arg = |i: usize| req.arg(i).unwrap_or_default();
    let mut query = None;
    if argc >= 6 {
        let (mut at, mut min_idle) = (3, 0);
        if arg(3).eq_ignore_ascii_case(b"idle") {
            min_idle = parse_i64(arg(4)).ok_or_else(fail::not_integer)?;
            if argc < 8 {
                return Err(fail::syntax());
            }
            at += 2;
        }
        let count = parse_i64(arg(at + 2)).ok_or_else(fail::not_integer)?.max(0);
        let (lo, hi) = interval(arg(at), Some(arg(at + 1)))?;
        let consumer = req.arg_bytes(at + 3);
        query = Some((min_idle, count, lo, hi, consumer));
    }
    let key = arg(1);
    let name = arg(2);
    let Some(group) = stream(txn, key)?.and_then(|s| find(s, name).cloned()) else {
        return Err(no_group(key, name, ""));
    };
    let Some((min_idle, count, lo, hi, consumer)) = query else {
        w.array(4);
        w.integer(i64::try_from(group.pending().len()).unwrap_or(i64::MAX));
        let (Some((first, _)), Some((last, _))) =
            (group.pending().first_key_value(), group.pending().last_key_value())
        else {
            w.null();
            w.null();
            w.null_array();
            return Ok(());
        };
        reply_id(w, *first);
        reply_id(w, *last);
        let owners: Vec<(&bytes::Bytes, usize)> = group
            .consumers()
            .keys()
            .map(|c| (c, group.pending().values().filter(|p| p.consumer == *c).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        w.array(owners.len());
        for (c, n) in owners {
            w.array(2);
            w.bulk(c);
            w.bulk(n.to_string().as_bytes());
        }
        return Ok(());
    };
    if consumer.as_ref().is_some_and(|c| !group.consumers().contains_key(c)) {
        w.array(0);
        return Ok(());
    }
    let now = txn.now();
    let idle = |at: u64| i64::try_from(now.saturating_sub(at)).unwrap_or(i64::MAX);
    let rows: Vec<_> = if lo > hi {
        Vec::new()
    } else {
        group
            .pending()
            .range(lo..=hi)
            .filter(|(_, p)| consumer.as_ref().is_none_or(|c| p.consumer == *c))
            .filter(|(_, p)| min_idle == 0 || idle(p.delivered_at) >= min_idle)
            .take(usize::try_from(count).unwrap_or(usize::MAX))
            .collect()
    };
    w.array(rows.len());
    for (id, p) in rows {
        w.array(4);
        reply_id(w, *id);
        w.bulk(&p.consumer);
        w.integer(idle(p.delivered_at));
        w.integer(i64::try_from(p.deliveries).unwrap_or(i64::MAX));
    }
    Ok(())
}
