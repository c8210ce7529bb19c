//! The keyspace commands on the keys they name: DEL, UNLINK, EXISTS,
//! TOUCH, TYPE, RENAME, RENAMENX and COPY (data commands).

use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use crate::command::args::parse_i64;
use crate::command::fail::{self, Outcome};
use crate::engine_error::type_name;

/// DEL and UNLINK.
pub(super) fn del(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let mut deleted = 0i64;
    for key in req.args().skip(1) {
        deleted += i64::from(txn.delete(key));
    }
    w.integer(deleted);
    Ok(())
}

/// EXISTS and TOUCH.
pub(super) fn exists(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let found = req.args().skip(1).filter(|k| txn.get(k).is_some()).count();
    w.integer(i64::try_from(found).unwrap_or(i64::MAX));
    Ok(())
}

pub(super) fn type_of(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    w.simple(txn.get(req.arg(1).unwrap_or_default()).map_or(b"none", type_name));
    Ok(())
}

pub(super) fn rename(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    move_key(req, txn, w, false)
}

pub(super) fn renamenx(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    move_key(req, txn, w, true)
}

/// RENAME and RENAMENX: the value and its expiry move to the new name.
fn move_key(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, nx: bool) -> Outcome {
    let (src, dst) = (req.arg(1).unwrap_or_default(), req.arg(2).unwrap_or_default());
    let Some(entry) = txn.entry(src).cloned() else {
        return Err(fail::error("ERR no such key"));
    };
    if src == dst {
        if nx {
            w.integer(0)
        } else {
            w.ok()
        }
        return Ok(());
    }
    if nx && txn.get(dst).is_some() {
        w.integer(0);
        return Ok(());
    }
    txn.put(dst, entry.value, entry.expires_at);
    txn.delete(src);
    if nx {
        w.integer(1)
    } else {
        w.ok()
    }
    Ok(())
}

/// `COPY source destination [DB destination-db] [REPLACE]`.
pub(super) fn copy(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let mut replace = false;
    let mut i = 3;
    while let Some(opt) = req.arg(i) {
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"db") && i + 1 < req.len() {
            let db = req.arg(i + 1).and_then(parse_i64).ok_or_else(fail::not_integer)?;
            let db = i32::try_from(db).map_err(|_| fail::not_integer())?;
            if db != 0 {
                return Err(fail::error("ERR DB index is out of range"));
            }
            i += 1;
        } else {
            return Err(fail::syntax());
        }
        i += 1;
    }
    let (src, dst) = (req.arg(1).unwrap_or_default(), req.arg(2).unwrap_or_default());
    if src == dst {
        return Err(fail::error("ERR source and destination objects are the same"));
    }
    let Some(entry) = txn.entry(src).cloned() else {
        w.integer(0);
        return Ok(());
    };
    if txn.get(dst).is_some() && !replace {
        w.integer(0);
        return Ok(());
    }
    txn.put(dst, entry.value, entry.expires_at);
    w.integer(1);
    Ok(())
}
