//! LPUSH, RPUSH, LPUSHX, RPUSHX (`pushGenericCommand`), LINSERT and LSET.

use bytes::Bytes;
use jotter::list_order;
use jotter::{FieldValue, MapKind, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::elements::{End, index_of, insert_at, len_reply, list, push};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Outcome};

pub(super) fn lpush(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    push_command(req, txn, w, End::Left, false)
}

pub(super) fn rpush(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    push_command(req, txn, w, End::Right, false)
}

pub(super) fn lpushx(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    push_command(req, txn, w, End::Left, true)
}

pub(super) fn rpushx(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    push_command(req, txn, w, End::Right, true)
}

/// `key element...`; with `only_existing` (the X forms) an absent key
/// stays absent and the reply is 0.
fn push_command(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    end: End,
    only_existing: bool,
) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    if list(txn, key)?.is_none() && only_existing {
        w.integer(0);
        return Ok(());
    }
    let values: Vec<Bytes> = (2..req.len()).filter_map(|i| req.arg_bytes(i)).collect();
    let len = push(txn, key, end, &values)?;
    w.integer(len_reply(len));
    Ok(())
}

/// `LINSERT key BEFORE|AFTER pivot element`: the new length, -1 if the
/// pivot is not there, 0 if the key is absent.
pub(super) fn linsert(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let side = req.arg(2).unwrap_or_default();
    let after = if side.eq_ignore_ascii_case(b"after") {
        true
    } else if side.eq_ignore_ascii_case(b"before") {
        false
    } else {
        return Err(fail::syntax());
    };
    let key = req.arg(1).unwrap_or_default();
    let Some(elements) = list(txn, key)? else {
        w.integer(0);
        return Ok(());
    };
    let pivot = req.arg(3).unwrap_or_default();
    let Some(at) = elements.values().position(|v| v == pivot) else {
        w.integer(-1);
        return Ok(());
    };
    let value = req.arg_bytes(4).unwrap_or_default();
    let len = insert_at(txn, key, at + usize::from(after), &[value])?;
    w.integer(len_reply(len));
    Ok(())
}

/// `LSET key index element`.
pub(super) fn lset(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    let elements = list(txn, key)?.ok_or_else(|| fail::error("ERR no such key"))?;
    let index = req.arg(2).and_then(parse_i64).ok_or_else(fail::not_integer)?;
    let order_key = index_of(elements, index)
        .and_then(|i| list_order::nth(elements, i))
        .map(|(k, _)| k.clone())
        .ok_or_else(|| fail::error("ERR index out of range"))?;
    let value = req.arg_bytes(3).unwrap_or_default();
    txn.set_fields(key, MapKind::List, [(order_key, Some(FieldValue::Element(value)))])?;
    w.ok();
    Ok(())
}
