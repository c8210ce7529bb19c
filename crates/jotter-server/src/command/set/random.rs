//! SRANDMEMBER and SPOP (`srandmemberWithCountCommand`,
//! `spopWithCountCommand`): random members, with or without repeats, and
//! removing them. Picks are uniform; a set has no index by position, so
//! each call walks it once (O(n)).

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
    set.iter().nth(fastrand::usize(..set.len()))
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
    let members: Vec<&Bytes> = set.iter().collect();
    let wanted = usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX);
    if n < 0 {
        // Written as drawn, as Redis does: nothing the size of the count
        // is allocated.
        w.array(wanted);
        for i in sample::repeats(members.len(), wanted) {
            w.bulk(members[i]);
        }
        return Ok(());
    }
    let picks = sample::distinct(members.len(), wanted);
    w.array(picks.len());
    for i in picks {
        w.bulk(members[i]);
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
        Some(set) => {
            let members: Vec<&Bytes> = set.iter().collect();
            sample::distinct(members.len(), n).into_iter().map(|i| members[i].clone()).collect()
        }
    };
    change(txn, key, popped.iter().cloned(), false)?;
    write_set(w, popped.iter());
    Ok(())
}
