//! SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms
//! (`sinterGenericCommand`, `sunionDiffGenericCommand`). Every key's type
//! is checked before anything is computed; an absent key is an empty set.
//! A STORE form replaces its destination whatever it held, without a TTL,
//! and an empty result deletes it.

use std::sync::Arc;

use bytes::Bytes;
use jotter::{Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::value::{Members, count, set_at, write_set};
use crate::command::args::parse_i64;
use crate::command::fail::{self, Fail, Outcome};

#[derive(Clone, Copy)]
enum Op {
    Inter,
    Union,
    Diff,
}

pub(super) fn sinter(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    reply(req, txn, w, Op::Inter)
}

pub(super) fn sunion(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    reply(req, txn, w, Op::Union)
}

pub(super) fn sdiff(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    reply(req, txn, w, Op::Diff)
}

pub(super) fn sinterstore(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    store(req, txn, w, Op::Inter)
}

pub(super) fn sunionstore(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    store(req, txn, w, Op::Union)
}

pub(super) fn sdiffstore(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    store(req, txn, w, Op::Diff)
}

/// The sets at `keys`, every type checked first (absent: `None`).
fn inputs<'t>(
    txn: &'t Txn<'_>,
    keys: impl Iterator<Item = &'t [u8]>,
) -> Result<Vec<Option<&'t Members>>, Fail> {
    keys.map(|key| set_at(txn, key)).collect()
}

/// The non-STORE forms: the result as a set reply.
fn reply(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, op: Op) -> Outcome {
    let sets = inputs(txn, req.args().skip(1))?;
    let result = combine(&sets, op);
    write_set(w, result.iter());
    Ok(())
}

/// The STORE forms: the result replaces the destination (argument 1).
fn store(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, op: Op) -> Outcome {
    let result = combine(&inputs(txn, req.args().skip(2))?, op);
    let dst = req.arg(1).unwrap_or_default();
    let len = result.len();
    if len == 0 {
        txn.delete(dst);
    } else {
        txn.put(dst, Value::Set(Arc::new(result)), None);
    }
    w.integer(count(len));
    Ok(())
}

/// The union, intersection or difference of `sets`.
fn combine(sets: &[Option<&Members>], op: Op) -> Members {
    match op {
        Op::Inter => intersection(sets).cloned().collect(),
        Op::Union => sets.iter().flatten().flat_map(|s| s.iter()).cloned().collect(),
        Op::Diff => {
            let Some(Some(first)) = sets.first() else { return Members::new() };
            first
                .iter()
                .filter(|m| !sets[1..].iter().flatten().any(|s| s.contains(m)))
                .cloned()
                .collect()
        }
    }
}

/// The members of every one of `sets` (none if one is absent), found by
/// walking the smallest.
fn intersection<'a>(sets: &[Option<&'a Members>]) -> impl Iterator<Item = &'a Bytes> {
    let all: Option<Vec<&Members>> = sets.iter().copied().collect();
    let mut all = all.unwrap_or_default();
    all.sort_by_key(|s| s.len());
    let (smallest, rest) = match all.split_first() {
        Some((first, rest)) => (Some(*first), rest.to_vec()),
        None => (None, Vec::new()),
    };
    smallest.into_iter().flatten().filter(move |m| rest.iter().all(|s| s.contains(m)))
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`: the size of the
/// intersection, counting stopped at the limit (0: none).
pub(super) fn sintercard(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let n = parse_i64(req.arg(1).unwrap_or_default())
        .filter(|&n| n >= 1)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| fail::error("ERR numkeys should be greater than 0"))?;
    if n > req.len() - 2 {
        return Err(fail::error("ERR Number of keys can't be greater than number of args"));
    }
    let mut limit = 0usize;
    let mut i = 2 + n;
    while i < req.len() {
        let option = req.arg(i).unwrap_or_default();
        match req.arg(i + 1) {
            Some(value) if option.eq_ignore_ascii_case(b"limit") => {
                limit = parse_i64(value)
                    .and_then(|l| usize::try_from(l).ok())
                    .ok_or_else(|| fail::error("ERR LIMIT can't be negative"))?;
            }
            _ => return Err(fail::syntax()),
        }
        i += 2;
    }
    let sets = inputs(txn, req.args().skip(2).take(n))?;
    let found = intersection(&sets);
    let found = if limit == 0 { found.count() } else { found.take(limit).count() };
    w.integer(count(found));
    Ok(())
}
