//! LREM and LTRIM: removing elements by value and by range.

use bytes::Bytes;
use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use super::elements::{len_reply, list, remove_keys};
use crate::command::args::{parse_i64, rank_range};
use crate::command::fail::{self, Outcome};

/// `LREM key count element`: the first `count` matches from the head
/// (from the tail if negative; all if 0); the count is read before the key.
pub(super) fn lrem(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let count = req.arg(2).and_then(parse_i64).ok_or_else(fail::not_integer)?;
    let key = req.arg(1).unwrap_or_default();
    let Some(elements) = list(txn, key)? else {
        w.integer(0);
        return Ok(());
    };
    let element = req.arg(3).unwrap_or_default();
    let limit = match count {
        0 => usize::MAX,
        n => usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX),
    };
    let matching = |(_, v): &(&Bytes, &Bytes)| v[..] == *element;
    let removed: Vec<Bytes> = if count < 0 {
        elements.iter().rev().filter(matching).take(limit).map(|(k, _)| k.clone()).collect()
    } else {
        elements.iter().filter(matching).take(limit).map(|(k, _)| k.clone()).collect()
    };
    let n = removed.len();
    remove_keys(txn, key, removed)?;
    w.integer(len_reply(n));
    Ok(())
}

/// `LTRIM key start stop`: keeps the range (as LRANGE reads it), removing
/// the rest; the bounds are read before the key.
pub(super) fn ltrim(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let start = req.arg(2).and_then(parse_i64).ok_or_else(fail::not_integer)?;
    let stop = req.arg(3).and_then(parse_i64).ok_or_else(fail::not_integer)?;
    let key = req.arg(1).unwrap_or_default();
    if let Some(elements) = list(txn, key)? {
        let removed: Vec<Bytes> = match rank_range(start, stop, elements.len()) {
            None => elements.keys().cloned().collect(),
            Some((start, stop)) => {
                let head = elements.keys().take(start);
                let tail = elements.keys().rev().take(elements.len() - 1 - stop);
                head.chain(tail).cloned().collect()
            }
        };
        remove_keys(txn, key, removed)?;
    }
    w.ok();
    Ok(())
}
