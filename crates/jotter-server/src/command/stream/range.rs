//! XRANGE, XREVRANGE and XLEN (`xrangeGenericCommand`, `xlenCommand`).

use jotter::{StreamId, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::id::parse_bound;
use super::reply::{self, stream};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Outcome};

pub(super) fn xrange(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    range(req, txn, w, false)
}

pub(super) fn xrevrange(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    range(req, txn, w, true)
}

fn range(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, rev: bool) -> Outcome {
    let (start_at, end_at) = if rev { (3, 2) } else { (2, 3) };
    let (mut start, start_ex) = parse_bound(req.arg(start_at).unwrap_or_default(), 0)?;
    if start_ex {
        start = start.next().ok_or_else(|| fail::error("ERR invalid start ID for the interval"))?;
    }
    let (mut end, end_ex) = parse_bound(req.arg(end_at).unwrap_or_default(), u64::MAX)?;
    if end_ex {
        end = end.prev().ok_or_else(|| fail::error("ERR invalid end ID for the interval"))?;
    }
    let mut count: Option<i64> = None;
    let mut j = 4;
    while j < req.len() {
        match req.arg(j + 1) {
            Some(v) if req.arg(j).unwrap_or_default().eq_ignore_ascii_case(b"count") => {
                count = Some(parse_i64(v).ok_or_else(fail::not_integer)?.max(0));
                j += 2;
            }
            _ => return Err(fail::syntax()),
        }
    }
    let Some(s) = stream(txn, req.arg(1).unwrap_or_default())? else {
        w.array(0);
        return Ok(());
    };
    if count == Some(0) {
        w.null_array();
        return Ok(());
    }
    let count = usize::try_from(count.unwrap_or(0)).unwrap_or(usize::MAX);
    reply::entries(w, &reply::range(s, start..=end, rev, count));
    Ok(())
}

pub(super) fn xlen(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let len = stream(txn, req.arg(1).unwrap_or_default())?.map_or(0, |s| s.entries().len());
    w.integer(i64::try_from(len).unwrap_or(i64::MAX));
    Ok(())
}

/// The entries after `after`, at most `count` (0: all).
pub(super) fn after(
    s: &jotter::Stream,
    after: StreamId,
    count: usize,
) -> Vec<(StreamId, jotter::StreamEntry)> {
    match after.next() {
        Some(start) => reply::range(s, start..=StreamId::MAX, false, count),
        None => Vec::new(),
    }
}
