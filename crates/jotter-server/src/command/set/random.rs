//! SRANDMEMBER and SPOP (`srandmemberWithCountCommand`,
//! `spopWithCountCommand`): random members, with or without repeats, and
//! removing them. Picks are uniform, each one step: a set reaches its
//! members by position (`jotter::MemberSet`), so a pick costs O(1) and a
//! count of k costs O(k), whatever the size of the set.

use bytes::Bytes;
use jotter::Txn;
use jotter_resp::{ReplyWriter, Request};

use super::value::{Members, change, key, set_at, write_set};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Outcome};
use crate::command::sample;

/// One member chosen uniformly; `None` for an absent set.
fn one(set: Option<&Members>) -> Option<&Bytes> {
    let set = set?;
    set.get_index(fastrand::usize(..set.len()))
}

/// `SRANDMEMBER key [count]`: a negative count allows repeats; the reply
/// with a count is an array, in RESP3 too.
pub(super) fn srandmember(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    match req.len() {
        2 => {
            w.bulk_or_null(one(set_at(txn, key(req))?).map(Bytes::as_ref));
            return Ok(());
        }
        3 => {}
        _ => return Err(fail::syntax()),
    }
    let n = parse_i64(req.arg(2).unwrap_or_default()).ok_or_else(fail::not_integer)?;
    if n == i64::MIN {
        return Err(fail::error(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        ));
    }
    let Some(set) = set_at(txn, key(req))? else {
        w.array(0);
        return Ok(());
    };
    let at = |i| set.get_index(i).expect("a position of the set");
    let wanted = usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX);
    if n < 0 {
        // Written as drawn, as Redis does: nothing the size of the count
        // is allocated.
        w.array(wanted);
        for i in sample::repeats(set.len(), wanted) {
            w.bulk(at(i));
        }
        return Ok(());
    }
    let picks = sample::distinct(set.len(), wanted);
    w.array(picks.len());
    for i in picks {
        w.bulk(at(i));
    }
    Ok(())
}

/// `SPOP key [count]`: with a count, the reply is a set (an array in
/// RESP2), empty for an absent key; popping the last member removes the
/// key.
pub(super) fn spop(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    match req.len() {
        2 => {
            let popped = one(set_at(txn, key)?).cloned();
            if let Some(member) = &popped {
                change(txn, key, [member.clone()], false)?;
            }
            w.bulk_or_null(popped.as_deref());
            return Ok(());
        }
        3 => {}
        _ => return Err(fail::syntax()),
    }
    let n = parse_i64(req.arg(2).unwrap_or_default())
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| fail::error("ERR value is out of range, must be positive"))?;
    let popped: Members = match set_at(txn, key)? {
        None => Members::new(),
        Some(set) => sample::distinct(set.len(), n)
            .into_iter()
            .filter_map(|i| set.get_index(i).cloned())
            .collect(),
    };
    change(txn, key, popped.iter().cloned(), false)?;
    write_set(w, popped.iter());
    Ok(())
}
