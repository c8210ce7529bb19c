//! What the sorted-set commands share: a key's sorted set, ZRANGE-style
//! queries (by rank, score or lex; reverse; LIMIT) with their parsing and
//! selection, and the reply shapes of members with scores.

use bytes::Bytes;
use jotter::{MapKind, ScoreMap, Txn, Value};
use jotter_resp::{Protocol, ReplyWriter, Request};

use crate::command::args::parse_i64;
use crate::command::args::{
    LexRange, ScoreRange, limit_window, parse_lex_bound, parse_score_bound, rank_range,
};
use crate::command::fail::{self, Fail};

// ---------------------------------------------------------------------------

/// The sorted set at `key`: `Ok(None)` if the key is absent (or expired),
/// `Err(WRONGTYPE)` if it holds another type.
pub(in crate::command) fn sorted_set<'t>(
    txn: &'t Txn<'_>,
    key: &[u8],
) -> Result<Option<&'t ScoreMap>, Fail> {
    match txn.get(key) {
        None => Ok(None),
        Some(Value::Scores(map)) => Ok(Some(map)),
        Some(_) => Err(fail::wrong_type()),
    }
}

/// How a ZRANGE-style command selects members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RangeBy {
    /// By rank (index in score order): ZRANGE's default, ZREVRANGE.
    Rank,
    /// By score: BYSCORE, ZRANGEBYSCORE, ZREVRANGEBYSCORE.
    Score,
    /// By member, for members of equal score: BYLEX, ZRANGEBYLEX.
    Lex,
}

/// The parsed range of a ZRANGE-style command.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Selection {
    /// Inclusive indexes as given (negatives count from the end).
    Rank {
        start: i64,
        stop: i64,
    },
    Score(ScoreRange),
    Lex(LexRange),
}

/// A parsed ZRANGE-style request (Redis `zrangeGenericCommand`, steps 1
/// and 2): what to select, in which direction, LIMIT, WITHSCORES.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct RangeQuery {
    pub selection: Selection,
    /// Highest score first; for BYSCORE/BYLEX the bounds were given as
    /// `max min` and are already swapped back into `selection`.
    pub reverse: bool,
    /// LIMIT offset and count as given (absent: 0 and -1); only for
    /// BYSCORE/BYLEX (see [`limit_window`] for their meaning).
    pub offset: i64,
    pub count: i64,
    pub withscores: bool,
}

/// Parses a ZRANGE-style request as Redis 7.0's `zrangeGenericCommand`:
/// the key at `key_at`, `min max` right after it, then the options. `store`
/// (ZRANGESTORE) refuses WITHSCORES. `by` / `reverse` fix the range type and
/// direction for the older commands (ZRANGEBYSCORE, ZREVRANGE, ...), which
/// then refuse BYSCORE/BYLEX and REV as syntax errors; `None` lets the
/// options choose (ZRANGE, ZRANGESTORE).
///
/// # Errors
///
/// Redis's texts: `ERR syntax error`, the LIMIT and WITHSCORES conflicts,
/// `ERR value is not an integer or out of range`, `ERR min or max is not a
/// float`, `ERR min or max not valid string range item`.
pub(super) fn parse_range_query(
    req: &Request,
    key_at: usize,
    store: bool,
    by: Option<RangeBy>,
    reverse: Option<bool>,
) -> Result<RangeQuery, Fail> {
    let (mut by_opt, mut rev_opt) = (by, reverse);
    let (mut offset, mut count, mut withscores) = (0i64, -1i64, false);
    let argc = req.len();
    let mut j = key_at + 3;
    while j < argc {
        let arg = req.arg(j).unwrap_or_default();
        let left = argc - j - 1;
        if !store && arg.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
        } else if arg.eq_ignore_ascii_case(b"limit") && left >= 2 {
            offset = int_arg(req, j + 1)?;
            count = int_arg(req, j + 2)?;
            j += 2;
        } else if rev_opt.is_none() && arg.eq_ignore_ascii_case(b"rev") {
            rev_opt = Some(true);
        } else if by_opt.is_none() && arg.eq_ignore_ascii_case(b"bylex") {
            by_opt = Some(RangeBy::Lex);
        } else if by_opt.is_none() && arg.eq_ignore_ascii_case(b"byscore") {
            by_opt = Some(RangeBy::Score);
        } else {
            return Err(fail::syntax());
        }
        j += 1;
    }
    let reverse = rev_opt.unwrap_or(false);
    let by = by_opt.unwrap_or(RangeBy::Rank);
    // Redis tests the count, not whether LIMIT was given: `LIMIT 5 -1` with
    // a rank range passes.
    if count != -1 && by == RangeBy::Rank {
        return Err(fail::error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == RangeBy::Lex {
        return Err(fail::error(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut min_at, mut max_at) = (key_at + 1, key_at + 2);
    if reverse && by != RangeBy::Rank {
        std::mem::swap(&mut min_at, &mut max_at);
    }
    let (min, max) = (req.arg(min_at).unwrap_or_default(), req.arg(max_at).unwrap_or_default());
    let selection = match by {
        RangeBy::Rank => {
            Selection::Rank { start: int_arg(req, min_at)?, stop: int_arg(req, max_at)? }
        }
        RangeBy::Score => Selection::Score(parse_score_range(min, max)?),
        RangeBy::Lex => Selection::Lex(parse_lex_range(min, max)?),
    };
    Ok(RangeQuery { selection, reverse, offset, count, withscores })
}

/// `min max` of a score range, or `ERR min or max is not a float`.
pub(super) fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, Fail> {
    match (parse_score_bound(min), parse_score_bound(max)) {
        (Some(min), Some(max)) => Ok(ScoreRange::new(min, max)),
        _ => Err(fail::error("ERR min or max is not a float")),
    }
}

/// `min max` of a lex range, or `ERR min or max not valid string range item`.
pub(super) fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, Fail> {
    match (parse_lex_bound(min), parse_lex_bound(max)) {
        (Some(min), Some(max)) => Ok(LexRange::new(min, max)),
        _ => Err(fail::error("ERR min or max not valid string range item")),
    }
}

/// The members a [`RangeQuery`] selects from `map`, in reply order (LIMIT
/// applied). Never sorts: a rank range walks from the nearer end of the
/// score order, a score range starts at its bound, so the cost is the
/// distance walked plus the members returned.
pub(super) fn select<'a>(map: &'a ScoreMap, query: &RangeQuery) -> Vec<(&'a Bytes, f64)> {
    let window = |it: &mut dyn Iterator<Item = (&'a Bytes, f64)>| -> Vec<(&'a Bytes, f64)> {
        match limit_window(query.offset, query.count) {
            None => Vec::new(),
            Some(w) => {
                let it = it.skip(w.skip);
                match w.take {
                    Some(n) => it.take(n).collect(),
                    None => it.collect(),
                }
            }
        }
    };
    match &query.selection {
        Selection::Rank { start, stop } => by_rank(map, *start, *stop, query.reverse),
        Selection::Score(range) => window(&mut by_score(map, range, query.reverse)),
        Selection::Lex(range) => window(&mut by_lex(map, range, query.reverse)),
    }
}

/// Members by rank, `start..=stop` normalised as Redis does ([`rank_range`]);
/// `reverse` counts ranks from the highest score.
pub(super) fn by_rank(map: &ScoreMap, start: i64, stop: i64, reverse: bool) -> Vec<(&Bytes, f64)> {
    let len = map.len();
    let Some((start, stop)) = rank_range(start, stop, len) else {
        return Vec::new();
    };
    // Ascending indexes [lo, hi] of the selection.
    let (lo, hi) = if reverse { (len - 1 - stop, len - 1 - start) } else { (start, stop) };
    let n = hi - lo + 1;
    let mut out: Vec<_> = if lo <= len - 1 - hi {
        map.ranked().skip(lo).take(n).collect()
    } else {
        let mut v: Vec<_> = map.ranked().rev().skip(len - 1 - hi).take(n).collect();
        v.reverse();
        v
    };
    if reverse {
        out.reverse();
    }
    out
}

/// The members within a score range, lowest score first (or highest first
/// if `reverse`), starting at the bound in O(log n).
pub(super) fn by_score<'a>(
    map: &'a ScoreMap,
    range: &ScoreRange,
    reverse: bool,
) -> Box<dyn Iterator<Item = (&'a Bytes, f64)> + 'a> {
    if range.is_empty_range() {
        return Box::new(std::iter::empty());
    }
    let range = *range;
    let within = move |(_, s): &(&Bytes, f64)| range.contains(*s);
    if reverse {
        let (max, ex) = range.max.parts();
        Box::new(map.ranked_down_from(max, ex).take_while(within))
    } else {
        let (min, ex) = range.min.parts();
        Box::new(map.ranked_from(min, ex).take_while(within))
    }
}

/// The members within a lex range, in rank order (reversed if `reverse`):
/// the first run of members inside the range, as Redis finds it when every
/// score is equal (the only case Redis defines).
pub(super) fn by_lex<'a>(
    map: &'a ScoreMap,
    range: &LexRange,
    reverse: bool,
) -> Box<dyn Iterator<Item = (&'a Bytes, f64)> + 'a> {
    if range.is_empty_range() {
        return Box::new(std::iter::empty());
    }
    let r1 = range.clone();
    let r2 = range.clone();
    let outside = move |(m, _): &(&Bytes, f64)| !r1.contains(m);
    let inside = move |(m, _): &(&Bytes, f64)| r2.contains(m);
    if reverse {
        Box::new(map.ranked().rev().skip_while(outside).take_while(inside))
    } else {
        Box::new(map.ranked().skip_while(outside).take_while(inside))
    }
}

/// One member with its score as ZRANGE ... WITHSCORES writes it: in RESP3
/// a 2-element array `[member, double]`, in RESP2 the member then the score
/// as a bulk string (the caller's array header counts both).
pub(super) fn write_member(w: &mut ReplyWriter<'_>, member: &[u8], score: f64) {
    if w.protocol() == Protocol::Resp3 {
        w.array(2);
    }
    w.bulk(member);
    w.double(score);
}

/// A whole ZRANGE-style reply: an array of members, or with scores an
/// array of `[member, score]` pairs (RESP3) / a flat member, score, ...
/// array (RESP2), as Redis 7.0.
pub(super) fn write_members(w: &mut ReplyWriter<'_>, items: &[(&Bytes, f64)], withscores: bool) {
    let flat = withscores && w.protocol() == Protocol::Resp2;
    w.array(if flat { items.len() * 2 } else { items.len() });
    for (member, score) in items {
        if withscores {
            write_member(w, member, *score);
        } else {
            w.bulk(member);
        }
    }
}

/// The rank of `member` from the lowest score, walking from both ends at
/// once: O(min(rank, len - rank)).
pub(super) fn rank_of(map: &ScoreMap, member: &[u8]) -> Option<usize> {
    map.get(member)?;
    let mut up = map.ranked();
    let mut down = map.ranked().rev();
    let last = map.len() - 1;
    for i in 0..=last {
        if up.next()?.0.as_ref() == member {
            return Some(i);
        }
        if down.next()?.0.as_ref() == member {
            return Some(last - i);
        }
    }
    None
}

pub(super) fn int_arg(req: &Request, at: usize) -> Result<i64, Fail> {
    parse_i64(req.arg(at).unwrap_or_default()).ok_or_else(fail::not_integer)
}

pub(super) fn nan_error() -> Fail {
    fail::error("ERR resulting score is not a number (NaN)")
}

/// Removes `members` from the sorted set at `key` in one write.
pub(super) fn remove_members(
    txn: &mut Txn<'_>,
    key: &[u8],
    members: Vec<Bytes>,
) -> Result<i64, Fail> {
    let n = members.len() as i64;
    if n > 0 {
        txn.set_fields(key, MapKind::Scores, members.into_iter().map(|m| (m, None)))?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(n: usize) -> ScoreMap {
        (0..n).map(|i| (Bytes::from(format!("m{i:05}")), i as f64)).collect()
    }

    fn req(args: &[&str]) -> Request {
        Request::from_args(args).expect("a request")
    }

    #[test]
    fn rank_ranges_walk_from_the_nearer_end() {
        let b = board(100);
        let names =
            |v: Vec<(&Bytes, f64)>| v.into_iter().map(|(_, s)| s as i64).collect::<Vec<_>>();
        assert_eq!(names(by_rank(&b, 0, 2, false)), [0, 1, 2]);
        assert_eq!(names(by_rank(&b, 0, 2, true)), [99, 98, 97]);
        assert_eq!(names(by_rank(&b, 95, 97, false)), [95, 96, 97]);
        assert_eq!(names(by_rank(&b, -3, -1, false)), [97, 98, 99]);
        assert_eq!(names(by_rank(&b, 95, 200, true)), [4, 3, 2, 1, 0]);
        assert!(by_rank(&b, 5, 2, false).is_empty());
        assert_eq!(by_rank(&b, 0, -1, false).len(), 100);
    }

    #[test]
    fn ranks_from_both_ends() {
        let b = board(10);
        for i in 0..10 {
            assert_eq!(rank_of(&b, format!("m{i:05}").as_bytes()), Some(i));
        }
        assert_eq!(rank_of(&b, b"nope"), None);
    }

    #[test]
    fn range_queries_parse_as_redis() {
        let q = parse_range_query(
            &req(&["ZRANGE", "k", "5", "(1", "BYSCORE", "REV", "LIMIT", "1", "2"]),
            1,
            false,
            None,
            None,
        )
        .unwrap();
        assert!(q.reverse);
        // REV takes `max min`: the first bound given is the max.
        let Selection::Score(range) = q.selection else { panic!("{q:?}") };
        assert!(range.contains(5.0) && !range.contains(1.0));
        assert_eq!((q.offset, q.count), (1, 2));
        let e = parse_range_query(
            &req(&["ZRANGEBYSCORE", "k", "1", "2", "REV"]),
            1,
            false,
            Some(RangeBy::Score),
            Some(false),
        );
        assert_eq!(e.unwrap_err().text(), "ERR syntax error");
        let e = parse_range_query(
            &req(&["ZRANGESTORE", "d", "k", "0", "1", "WITHSCORES"]),
            2,
            true,
            None,
            None,
        );
        assert_eq!(e.unwrap_err().text(), "ERR syntax error");
        let ok = parse_range_query(
            &req(&["ZRANGE", "k", "0", "1", "LIMIT", "3", "-1"]),
            1,
            false,
            None,
            None,
        );
        assert!(ok.is_ok(), "count -1 with a rank range passes, as in Redis");
    }
}
