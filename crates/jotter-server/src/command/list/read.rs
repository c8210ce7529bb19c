//! LLEN, LRANGE, LINDEX and LPOS.

use jotter::Txn;
use jotter::list_order;
use jotter_resp::{ReplyWriter, Request};

use super::elements::{index_of, len_reply, list};
use crate::command::args::{parse_i64, rank_range};
use crate::command::fail::{self, Outcome};

pub(super) fn llen(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let len = list(txn, req.arg(1).unwrap_or_default())?.map_or(0, |l| l.len());
    w.integer(len_reply(len));
    Ok(())
}

/// `LRANGE key start stop`: the bounds are read before the key.
pub(super) fn lrange(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let start = req.arg(2).and_then(parse_i64).ok_or_else(fail::not_integer)?;
    let stop = req.arg(3).and_then(parse_i64).ok_or_else(fail::not_integer)?;
    let Some(elements) = list(txn, req.arg(1).unwrap_or_default())? else {
        w.array(0);
        return Ok(());
    };
    let Some((start, stop)) = rank_range(start, stop, elements.len()) else {
        w.array(0);
        return Ok(());
    };
    w.array(stop - start + 1);
    // From the nearer end, as Redis walks its quicklist.
    if start > elements.len() - 1 - stop {
        let mut tail: Vec<_> = elements
            .values()
            .rev()
            .skip(elements.len() - 1 - stop)
            .take(stop - start + 1)
            .collect();
        tail.reverse();
        tail.into_iter().for_each(|v| w.bulk(v));
    } else {
        elements.values().skip(start).take(stop - start + 1).for_each(|v| w.bulk(v));
    }
    Ok(())
}

/// `LINDEX key index`: the key is looked at before the index is read.
pub(super) fn lindex(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let Some(elements) = list(txn, req.arg(1).unwrap_or_default())? else {
        w.null();
        return Ok(());
    };
    let index = req.arg(2).and_then(parse_i64).ok_or_else(fail::not_integer)?;
    let value = index_of(elements, index).and_then(|i| list_order::nth(elements, i));
    w.bulk_or_null(value.map(|(_, v)| &v[..]));
    Ok(())
}

/// `LPOS key element [RANK rank] [COUNT num] [MAXLEN len]` (`lposCommand`).
pub(super) fn lpos(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let (mut rank, mut count, mut maxlen) = (1i64, None::<usize>, 0usize);
    let mut j = 3;
    while j < req.len() {
        let opt = req.arg(j).unwrap_or_default();
        let more = j + 1 < req.len();
        let value = req.arg(j + 1).unwrap_or_default();
        if opt.eq_ignore_ascii_case(b"rank") && more {
            rank = parse_i64(value).ok_or_else(fail::not_integer)?;
            if rank == 0 {
                return Err(fail::error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if opt.eq_ignore_ascii_case(b"count") && more {
            count = Some(non_negative(value, "ERR COUNT can't be negative")?);
        } else if opt.eq_ignore_ascii_case(b"maxlen") && more {
            maxlen = non_negative(value, "ERR MAXLEN can't be negative")?;
        } else {
            return Err(fail::syntax());
        }
        j += 2;
    }
    let Some(elements) = list(txn, req.arg(1).unwrap_or_default())? else {
        if count.is_some() {
            w.array(0);
        } else {
            w.null();
        }
        return Ok(());
    };
    let element = req.arg(2).unwrap_or_default();
    let len = elements.len();
    let scanned = if maxlen == 0 { len } else { maxlen.min(len) };
    // Redis negates the rank in a `long`: the least one stays negative and
    // then skips no match.
    let skip = rank.checked_abs().map_or(0, |r| usize::try_from(r - 1).unwrap_or(usize::MAX));
    let wanted = match count {
        Some(0) => usize::MAX,
        Some(n) => n,
        None => 1,
    };
    let matches = |(_, v): &(usize, &bytes::Bytes)| v[..] == *element;
    let found: Vec<usize> = if rank > 0 {
        elements
            .values()
            .enumerate()
            .take(scanned)
            .filter(matches)
            .skip(skip)
            .take(wanted)
            .map(|(i, _)| i)
            .collect()
    } else {
        elements
            .values()
            .rev()
            .enumerate()
            .take(scanned)
            .filter(matches)
            .skip(skip)
            .take(wanted)
            .map(|(i, _)| len - 1 - i)
            .collect()
    };
    match count {
        Some(_) => {
            w.array(found.len());
            found.iter().for_each(|&i| w.integer(len_reply(i)));
        }
        None => match found.first() {
            Some(&i) => w.integer(len_reply(i)),
            None => w.null(),
        },
    }
    Ok(())
}

/// A count that must not be negative; `message` for anything else, as
/// Redis's `getPositiveLongFromObjectOrReply` with a message.
fn non_negative(arg: &[u8], message: &'static str) -> Result<usize, crate::command::fail::Fail> {
    parse_i64(arg).and_then(|n| usize::try_from(n).ok()).ok_or_else(|| fail::error(message))
}
