//! The plain reads and writes of strings: GET, SETNX, GETSET, GETDEL, MGET,
//! MSET, MSETNX, APPEND, STRLEN, GETRANGE (and SUBSTR) and SETRANGE.

use bytes::Bytes;
use jotter::{Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::value::{arg, check_length, integer_arg, key, string};
use crate::command::args::getrange_range;
use crate::command::fail::{self, Outcome};

pub(super) fn get(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    w.bulk_or_null(string(txn, key(req))?.map(Bytes::as_ref));
    Ok(())
}

pub(super) fn setnx(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    if txn.get(key(req)).is_some() {
        w.integer(0);
    } else {
        txn.put(key(req), Value::Blob(arg(req, 2)), None);
        w.integer(1);
    }
    Ok(())
}

pub(super) fn getset(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let old = string(txn, key(req))?.cloned();
    txn.put(key(req), Value::Blob(arg(req, 2)), None);
    w.bulk_or_null(old.as_deref());
    Ok(())
}

pub(super) fn getdel(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let old = string(txn, key(req))?.cloned();
    if old.is_some() {
        txn.delete(key(req));
    }
    w.bulk_or_null(old.as_deref());
    Ok(())
}

pub(super) fn mget(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    w.array(req.len() - 1);
    for key in req.args().skip(1) {
        match txn.get(key) {
            Some(Value::Blob(value)) => w.bulk(value),
            _ => w.null(),
        }
    }
    Ok(())
}

pub(super) fn mset(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    set_pairs(req, txn, "mset")?;
    w.ok();
    Ok(())
}

pub(super) fn msetnx(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    w.integer(i64::from(set_pairs(req, txn, "msetnx")?));
    Ok(())
}

/// MSET and MSETNX (`name`): sets every key/value pair, or with MSETNX
/// none if one of the keys exists; whether it set them.
fn set_pairs(req: &Request, txn: &mut Txn<'_>, name: &str) -> Result<bool, fail::Fail> {
    if req.len().is_multiple_of(2) {
        return Err(fail::arity(name));
    }
    let pairs = (1..req.len()).step_by(2);
    if name == "msetnx" && pairs.clone().any(|i| txn.get(&arg(req, i)).is_some()) {
        return Ok(false);
    }
    for i in pairs {
        txn.put(&arg(req, i), Value::Blob(arg(req, i + 1)), None);
    }
    Ok(true)
}

pub(super) fn append(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let addition = req.arg(2).unwrap_or_default();
    let value = match string(txn, key)? {
        None => arg(req, 2),
        Some(old) => {
            check_length(old.len() as u64 + addition.len() as u64)?;
            let mut value = Vec::with_capacity(old.len() + addition.len());
            value.extend_from_slice(old);
            value.extend_from_slice(addition);
            Bytes::from(value)
        }
    };
    let len = value.len();
    let expires_at = txn.expires_at(key);
    txn.put(key, Value::Blob(value), expires_at);
    w.integer(len as i64);
    Ok(())
}

pub(super) fn strlen(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let len = string(txn, key(req))?.map_or(0, Bytes::len);
    w.integer(len as i64);
    Ok(())
}

/// GETRANGE and SUBSTR.
pub(super) fn getrange(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let start = integer_arg(req, 2)?;
    let stop = integer_arg(req, 3)?;
    let value = string(txn, key(req))?.map(Bytes::as_ref).unwrap_or_default();
    match getrange_range(start, stop, value.len()) {
        Some((start, stop)) => w.bulk(&value[start..=stop]),
        None => w.bulk(b""),
    }
    Ok(())
}

/// SETRANGE key offset value (`setrangeCommand`): the key keeps its TTL.
pub(super) fn setrange(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let offset = integer_arg(req, 2)?;
    let Ok(offset) = u64::try_from(offset) else {
        return Err(fail::error("ERR offset is out of range"));
    };
    let patch = req.arg(3).unwrap_or_default();
    let old = string(txn, key)?;
    if patch.is_empty() {
        // Setting nothing changes nothing, not even an absent key.
        w.integer(old.map_or(0, Bytes::len) as i64);
        return Ok(());
    }
    let end = offset.saturating_add(patch.len() as u64);
    check_length(end)?;
    let (offset, end) = (offset as usize, end as usize);
    let mut value = old.map(|v| v.to_vec()).unwrap_or_default();
    if value.len() < end {
        value.resize(end, 0);
    }
    value[offset..end].copy_from_slice(patch);
    let len = value.len();
    let expires_at = txn.expires_at(key);
    txn.put(key, Value::Blob(Bytes::from(value)), expires_at);
    w.integer(len as i64);
    Ok(())
}
