//! The sorted-set writes on one key: ZADD, ZINCRBY, ZREM and
//! ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX.

use std::collections::BTreeMap;

use bytes::Bytes;
use jotter::{FieldValue, MapKind, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::query::{
    RangeQuery, Selection, int_arg, nan_error, parse_lex_range, parse_score_range, remove_members,
    select, sorted_set,
};
use crate::command::args::parse_f64;
use crate::command::fail::{self, Outcome};

fn key(req: &Request) -> &[u8] {
    req.arg(1).unwrap_or_default()
}

pub(in crate::command) fn zadd(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    add(req, key(req), txn, w, false)
}

pub(super) fn zincrby(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    add(req, key(req), txn, w, true)
}

pub(super) fn zrem(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let members: Vec<Bytes> = match sorted_set(txn, key)? {
        None => Vec::new(),
        Some(map) => {
            let mut seen = std::collections::BTreeSet::new();
            (2..req.len())
                .filter_map(|i| req.arg_bytes(i))
                .filter(|m| map.get(m).is_some() && seen.insert(m.clone()))
                .collect()
        }
    };
    let n = remove_members(txn, key, members)?;
    w.integer(n);
    Ok(())
}

pub(super) fn zremrangebyrank(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    let selection = Selection::Rank { start: int_arg(req, 2)?, stop: int_arg(req, 3)? };
    remove_range(req, txn, w, selection)
}

pub(super) fn zremrangebyscore(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    let (min, max) = (req.arg(2).unwrap_or_default(), req.arg(3).unwrap_or_default());
    remove_range(req, txn, w, Selection::Score(parse_score_range(min, max)?))
}

pub(super) fn zremrangebylex(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let (min, max) = (req.arg(2).unwrap_or_default(), req.arg(3).unwrap_or_default());
    remove_range(req, txn, w, Selection::Lex(parse_lex_range(min, max)?))
}

/// The ZREMRANGEBY* commands: removes the members `selection` picks.
fn remove_range(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    selection: Selection,
) -> Outcome {
    let key = key(req);
    let query = RangeQuery { selection, reverse: false, offset: 0, count: -1, withscores: false };
    let members: Vec<Bytes> = match sorted_set(txn, key)? {
        None => Vec::new(),
        Some(map) => select(map, &query).into_iter().map(|(m, _)| m.clone()).collect(),
    };
    let n = remove_members(txn, key, members)?;
    w.integer(n);
    Ok(())
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`,
/// and ZINCRBY key increment member (`zaddGenericCommand` with INCR).
fn add(
    req: &Request,
    key: &[u8],
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    zincrby: bool,
) -> Outcome {
    let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) =
        (false, false, false, false, false, zincrby);
    let mut at = 2;
    if !zincrby {
        while let Some(arg) = req.arg(at) {
            let flag = match arg.to_ascii_lowercase().as_slice() {
                b"nx" => &mut nx,
                b"xx" => &mut xx,
                b"gt" => &mut gt,
                b"lt" => &mut lt,
                b"ch" => &mut ch,
                b"incr" => &mut incr,
                _ => break,
            };
            *flag = true;
            at += 1;
        }
    }
    let elements = req.len() - at;
    if elements == 0 || !elements.is_multiple_of(2) {
        return Err(fail::syntax());
    }
    if nx && xx {
        return Err(fail::error("ERR XX and NX options at the same time are not compatible"));
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return Err(fail::error(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if incr && elements > 2 {
        return Err(fail::error("ERR INCR option supports a single increment-element pair"));
    }
    let mut pairs = Vec::with_capacity(elements / 2);
    for i in (at..req.len()).step_by(2) {
        let score = parse_f64(req.arg(i).unwrap_or_default()).ok_or_else(fail::not_float)?;
        pairs.push((score, req.arg_bytes(i + 1).unwrap_or_default()));
    }

    let map = sorted_set(txn, key)?;
    // What this command sets, member by member in argument order (a member
    // given twice sees its first change). A score of -0 is kept as 0, as in
    // Redis's small-set encoding (which stores "0"); the reply of ZADD INCR
    // still shows the -0 it computed, as Redis's does.
    let mut changes: BTreeMap<Bytes, f64> = BTreeMap::new();
    let (mut added, mut updated) = (0i64, 0i64);
    let mut result: Option<f64> = None;
    if map.is_some() || !xx {
        for (score, member) in pairs {
            let current =
                changes.get(&member).copied().or_else(|| map.and_then(|m| m.get(&member)));
            match current {
                Some(cur) => {
                    if nx {
                        continue;
                    }
                    let new = if incr { score + cur } else { score };
                    if new.is_nan() {
                        return Err(nan_error());
                    }
                    if (lt && new >= cur) || (gt && new <= cur) {
                        continue;
                    }
                    result = Some(new);
                    #[expect(clippy::float_cmp, reason = "Redis compares scores exactly")]
                    if new != cur {
                        changes.insert(member, new + 0.0);
                        updated += 1;
                    }
                }
                None => {
                    if xx {
                        continue;
                    }
                    changes.insert(member, score + 0.0);
                    result = Some(score);
                    added += 1;
                }
            }
        }
    }
    if !changes.is_empty() {
        txn.set_fields(
            key,
            MapKind::Scores,
            changes.into_iter().map(|(m, s)| (m, Some(FieldValue::Score(s)))),
        )?;
    }
    if incr {
        w.double_or_null(result);
    } else {
        w.integer(if ch { added + updated } else { added });
    }
    Ok(())
}
