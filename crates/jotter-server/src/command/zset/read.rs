//! The sorted-set reads: ZSCORE, ZMSCORE, ZCARD, ZRANGE and its older
//! forms (ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX,
//! ZREVRANGE), ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, ZRANDMEMBER and ZSCAN.

use bytes::Bytes;
use jotter::{ScoreMap, Txn};
use jotter_resp::{Protocol, ReplyWriter, Request};

use super::query::{
    RangeBy, by_lex, by_score, int_arg, parse_lex_range, parse_range_query, parse_score_range,
    rank_of, select, sorted_set, write_member, write_members,
};
use crate::command::fail::{self, Outcome};
use crate::command::glob::glob_match;

fn key(req: &Request) -> &[u8] {
    req.arg(1).unwrap_or_default()
}

pub(super) fn zscore(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let member = req.arg(2).unwrap_or_default();
    w.double_or_null(sorted_set(txn, key(req))?.and_then(|m| m.get(member)));
    Ok(())
}

pub(super) fn zmscore(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let map = sorted_set(txn, key(req))?;
    w.array(req.len() - 2);
    for member in req.args().skip(2) {
        w.double_or_null(map.and_then(|m| m.get(member)));
    }
    Ok(())
}

pub(super) fn zcard(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    w.integer(sorted_set(txn, key(req))?.map_or(0, |m| m.len() as i64));
    Ok(())
}

pub(super) fn zrange(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    range(req, txn, w, None, None)
}

pub(super) fn zrangebyscore(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    range(req, txn, w, Some(RangeBy::Score), Some(false))
}

pub(super) fn zrevrangebyscore(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    range(req, txn, w, Some(RangeBy::Score), Some(true))
}

pub(super) fn zrangebylex(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    range(req, txn, w, Some(RangeBy::Lex), Some(false))
}

pub(super) fn zrevrangebylex(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    range(req, txn, w, Some(RangeBy::Lex), Some(true))
}

pub(super) fn zrevrange(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    range(req, txn, w, Some(RangeBy::Rank), Some(true))
}

/// ZRANGE and its older forms, which fix how (`by`) and the direction.
fn range(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    by: Option<RangeBy>,
    reverse: Option<bool>,
) -> Outcome {
    let query = parse_range_query(req, 1, false, by, reverse)?;
    match sorted_set(txn, key(req))? {
        None => w.array(0),
        Some(map) => write_members(w, &select(map, &query), query.withscores),
    }
    Ok(())
}

pub(super) fn zrank(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    rank(req, txn, w, false)
}

pub(super) fn zrevrank(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    rank(req, txn, w, true)
}

fn rank(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, reverse: bool) -> Outcome {
    let member = req.arg(2).unwrap_or_default();
    let map = sorted_set(txn, key(req))?;
    match map.and_then(|m| rank_of(m, member).map(|r| (m, r))) {
        Some((m, rank)) => {
            let rank = if reverse { m.len() - 1 - rank } else { rank };
            w.integer(rank as i64);
        }
        None => w.null(),
    }
    Ok(())
}

pub(super) fn zcount(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let range = parse_score_range(req.arg(2).unwrap_or_default(), req.arg(3).unwrap_or_default())?;
    let n = sorted_set(txn, key(req))?.map_or(0, |m| by_score(m, &range, false).count());
    w.integer(n as i64);
    Ok(())
}

pub(super) fn zlexcount(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let range = parse_lex_range(req.arg(2).unwrap_or_default(), req.arg(3).unwrap_or_default())?;
    let n = sorted_set(txn, key(req))?.map_or(0, |m| by_lex(m, &range, false).count());
    w.integer(n as i64);
    Ok(())
}

fn nth_ranked(map: &ScoreMap, i: usize) -> Option<(&Bytes, f64)> {
    if i < map.len() / 2 { map.ranked().nth(i) } else { map.ranked().rev().nth(map.len() - 1 - i) }
}

/// `ZRANDMEMBER key [count [WITHSCORES]]` (`zrandmemberCommand`).
pub(super) fn zrandmember(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    if req.len() < 3 {
        match sorted_set(txn, key)? {
            None => w.null(),
            Some(map) => {
                let (member, _) = nth_ranked(map, fastrand::usize(..map.len())).expect("non-empty");
                w.bulk(member);
            }
        }
        return Ok(());
    }
    let count = int_arg(req, 2)?;
    if count == i64::MIN {
        return Err(fail::error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let withscores = match req.arg(3) {
        None => false,
        Some(arg) if req.len() == 4 && arg.eq_ignore_ascii_case(b"withscores") => true,
        Some(_) => return Err(fail::syntax()),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(fail::error("ERR value is out of range"));
    }
    let Some(map) = sorted_set(txn, key)? else {
        w.array(0);
        return Ok(());
    };
    if count == 0 {
        w.array(0);
        return Ok(());
    }
    let flat = withscores && w.protocol() == Protocol::Resp2;
    let write = |w: &mut ReplyWriter<'_>, member: &Bytes, score: f64| {
        if withscores {
            write_member(w, member, score);
        } else {
            w.bulk(member);
        }
    };
    let len = map.len();
    if count < 0 || count == 1 {
        // Repeats allowed: each pick independent.
        let n = count.unsigned_abs() as usize;
        w.array(if flat { n * 2 } else { n });
        let all: Vec<(&Bytes, f64)> = if n > 8 { map.ranked().collect() } else { Vec::new() };
        for _ in 0..n {
            let i = fastrand::usize(..len);
            let (member, score) =
                if all.is_empty() { nth_ranked(map, i).expect("in range") } else { all[i] };
            write(w, member, score);
        }
        return Ok(());
    }
    let n = count as usize;
    if n >= len {
        // The whole set, highest score first (as Redis does).
        let all: Vec<_> = map.ranked().rev().collect();
        write_members(w, &all, withscores);
        return Ok(());
    }
    // Distinct members in random order.
    let all: Vec<(&Bytes, f64)> = map.ranked().collect();
    w.array(if flat { n * 2 } else { n });
    for i in crate::command::sample::distinct(len, n) {
        let (member, score) = all[i];
        write(w, member, score);
    }
    Ok(())
}

/// Sets of at most this many members are scanned in one call with cursor 0,
/// as Redis does for its small (listpack) encoding.
const SMALL_SET: usize = 128;

/// ZSCAN key cursor [MATCH pattern] [COUNT count] (`zscanCommand`).
///
/// A set of up to [`SMALL_SET`] members comes whole in one reply with
/// cursor 0; a larger one is paged in hash order (see
/// [`hashed_page`](crate::command::scan::hashed_page)).
pub(super) fn zscan(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let key = key(req);
    let cursor = crate::command::args::parse_scan_cursor(req.arg(2).unwrap_or_default())
        .ok_or_else(|| fail::error("ERR invalid cursor"))?;
    let Some(map) = sorted_set(txn, key)? else {
        crate::command::scan::nothing(w);
        return Ok(());
    };
    let (count, pattern) = crate::command::scan::options(req, 3)?;
    let (next, batch): (u64, Vec<(&Bytes, f64)>) = if map.len() <= SMALL_SET {
        (0, map.ranked().collect())
    } else {
        crate::command::scan::hashed_page(map.iter(), cursor, count)
    };
    let kept: Vec<_> = match pattern {
        None => batch,
        Some(p) => batch.into_iter().filter(|(m, _)| glob_match(p, m, false)).collect(),
    };
    w.array(2);
    w.bulk(itoa::Buffer::new().format(next).as_bytes());
    w.array(kept.len() * 2);
    for (member, score) in kept {
        w.bulk(member);
        w.bulk(jotter_resp::double::format(score).as_bytes());
    }
    Ok(())
}
