//! The counters: INCR, DECR, INCRBY, DECRBY (`incrDecrCommand`) and
//! INCRBYFLOAT. Each keeps its key's TTL.

use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use super::value::{integer_arg, key, string};
use crate::command::args::{parse_f64, parse_i64};
use crate::command::fail::{self, Outcome};

pub(super) fn incr(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    incr_by(key(req), 1, txn, w)
}

pub(super) fn decr(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    incr_by(key(req), -1, txn, w)
}

pub(super) fn incrby(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    incr_by(key(req), integer_arg(req, 2)?, txn, w)
}

pub(super) fn decrby(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let by = integer_arg(req, 2)?;
    if by == i64::MIN {
        return Err(fail::error("ERR decrement would overflow"));
    }
    incr_by(key(req), -by, txn, w)
}

pub(super) fn incrbyfloat(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let current = match string(txn, key)? {
        None => 0.0,
        Some(value) => parse_f64(value).ok_or_else(fail::not_float)?,
    };
    let by = parse_f64(req.arg(2).unwrap_or_default()).ok_or_else(fail::not_float)?;
    let total = current + by;
    if !total.is_finite() {
        return Err(fail::error("ERR increment would produce NaN or Infinity"));
    }
    // Redis replies the stored text as a bulk string, in RESP3 too.
    let text = jotter_resp::double::format_human(total);
    let expires_at = txn.expires_at(key);
    txn.put_blob(key, text.as_bytes(), expires_at);
    w.bulk(text.as_bytes());
    Ok(())
}

/// Adds `by` to the key's integer.
fn incr_by(key: &[u8], by: i64, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let current = match string(txn, key)? {
        None => 0,
        Some(value) => parse_i64(value).ok_or_else(fail::not_integer)?,
    };
    let total = current
        .checked_add(by)
        .ok_or_else(|| fail::error("ERR increment or decrement would overflow"))?;
    let expires_at = txn.expires_at(key);
    txn.put_blob(key, itoa::Buffer::new().format(total).as_bytes(), expires_at);
    w.integer(total);
    Ok(())
}
