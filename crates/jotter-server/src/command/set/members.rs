//! The set commands on members by name: SADD, SREM, SCARD, SISMEMBER,
//! SMISMEMBER, SMEMBERS, SMOVE, and SSCAN.

use bytes::Bytes;
use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use super::value::{Members, change, count, key, set_at, write_set};
use crate::command::fail::{self, Outcome};
use crate::command::glob::glob_match;
use crate::command::scan;

/// Sets of at most this many members are scanned in one call with cursor
/// 0, as Redis does for its small encodings.
const SMALL_SET: usize = 128;

pub(super) fn sadd(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let set = set_at(txn, key)?;
    let new: Members =
        req.args().skip(2).filter(|m| set.is_none_or(|s| !s.contains(m))).map(own).collect();
    let added = new.len();
    change(txn, key, new, true)?;
    w.integer(count(added));
    Ok(())
}

pub(super) fn srem(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let gone: Members = match set_at(txn, key)? {
        None => Members::new(),
        Some(set) => req.args().skip(2).filter_map(|m| set.get(m)).cloned().collect(),
    };
    let removed = gone.len();
    change(txn, key, gone, false)?;
    w.integer(count(removed));
    Ok(())
}

pub(super) fn scard(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    w.integer(count(set_at(txn, key(req))?.map_or(0, Members::len)));
    Ok(())
}

pub(super) fn sismember(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let member = req.arg(2).unwrap_or_default();
    w.integer(i64::from(set_at(txn, key(req))?.is_some_and(|s| s.contains(member))));
    Ok(())
}

pub(super) fn smismember(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let set = set_at(txn, key(req))?;
    w.array(req.len() - 2);
    for member in req.args().skip(2) {
        w.integer(i64::from(set.is_some_and(|s| s.contains(member))));
    }
    Ok(())
}

pub(super) fn smembers(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let empty = Members::new();
    write_set(w, set_at(txn, key(req))?.unwrap_or(&empty).iter());
    Ok(())
}

/// `SMOVE source destination member` (`smoveCommand`): an absent source
/// is 0 before the destination's type is checked; moving within one set
/// only says whether the member is there.
pub(super) fn smove(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let (src, dst) = (req.arg(1).unwrap_or_default(), req.arg(2).unwrap_or_default());
    let member = req.arg(3).unwrap_or_default();
    let Some(from) = set_at(txn, src)? else {
        w.integer(0);
        return Ok(());
    };
    let present = from.contains(member);
    set_at(txn, dst)?;
    if src == dst || !present {
        w.integer(i64::from(present));
        return Ok(());
    }
    let member = own(member);
    change(txn, src, [member.clone()], false)?;
    change(txn, dst, [member], true)?;
    w.integer(1);
    Ok(())
}

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`: a set of up to
/// [`SMALL_SET`] members comes whole with cursor 0; a larger one is paged
/// in hash order ([`scan::hashed_page`]).
pub(super) fn sscan(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let cursor = crate::command::args::parse_scan_cursor(req.arg(2).unwrap_or_default())
        .ok_or_else(|| fail::error("ERR invalid cursor"))?;
    let Some(set) = set_at(txn, key(req))? else {
        // Redis replies before it reads the options of an absent key.
        scan::nothing(w);
        return Ok(());
    };
    let (count, pattern) = scan::options(req, 3)?;
    let (next, page) = if set.len() <= SMALL_SET {
        (0, set.iter().collect())
    } else {
        let (next, page) = scan::hashed_page(set.iter().map(|m| (m, ())), cursor, count);
        (next, page.into_iter().map(|(m, ())| m).collect::<Vec<_>>())
    };
    let kept: Vec<&Bytes> =
        page.into_iter().filter(|m| pattern.is_none_or(|p| glob_match(p, m, false))).collect();
    w.array(2);
    w.bulk(itoa::Buffer::new().format(next).as_bytes());
    w.array(kept.len());
    for member in kept {
        w.bulk(member);
    }
    Ok(())
}

/// A member named in a request, in bytes of its own.
fn own(member: &[u8]) -> Bytes {
    Bytes::copy_from_slice(member)
}
