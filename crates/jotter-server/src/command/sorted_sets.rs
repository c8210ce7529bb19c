//! Sorted-set commands, one key each: ZADD, ZINCRBY, ZSCORE, ZMSCORE,
//! ZCARD, ZRANGE (by rank, BYSCORE, BYLEX, REV, LIMIT, WITHSCORES) and its
//! older forms (ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
//! ZREVRANGEBYLEX, ZREVRANGE), ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, ZREM,
//! ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX, ZRANDMEMBER and ZSCAN,
//! as Redis 7.0 runs them: same options, same reply shapes in RESP2 and
//! RESP3, same error texts, same order of checks.
//!
//! A sorted set is the engine's [`ScoreMap`]; its `(score, member)` index
//! gives ranges in rank order without sorting: `ZREVRANGE board 0 9` walks
//! ten members from the top. A range by rank starts from the nearer end of
//! the order. The engine's index has no order statistics, so what needs a
//! rank (ZRANK, ZCOUNT, a range starting deep in the middle) walks from the
//! nearer end: O(distance), where Redis's skiplist is O(log n).
//!
//! Helpers the multi-key family (`sorted_set_ops.rs`: ZRANGESTORE, ZPOP*,
//! ZUNION/ZINTER/ZDIFF, ...) shares: [`sorted_set`], [`parse_range_query`],
//! [`select`], [`write_members`], [`write_member`].

use std::collections::BTreeMap;

use bytes::Bytes;
use jotter::{FieldValue, MapKind, ScoreMap, Txn, Value};
use jotter_resp::{Protocol, ReplyWriter, Request};

use super::args::{
    LexRange, ScoreRange, limit_window, parse_f64, parse_lex_bound, parse_score_bound, rank_range,
};
use super::data::{self, Fail, Outcome};
use super::glob::glob_match;
use super::{Command, Ctx, Flow, Spec, flag, parse_i64};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmd {
    Zadd,
    Zincrby,
    Zscore,
    Zmscore,
    Zcard,
    Zrange,
    Zrangebyscore,
    Zrevrangebyscore,
    Zrangebylex,
    Zrevrangebylex,
    Zrevrange,
    Zrank,
    Zrevrank,
    Zcount,
    Zlexcount,
    Zrem,
    Zremrangebyrank,
    Zremrangebyscore,
    Zremrangebylex,
    Zrandmember,
    Zscan,
}

const fn spec(
    name: &'static str,
    arity: i16,
    flags: u16,
    summary: &'static str,
    since: &'static str,
    cmd: Cmd,
) -> Spec {
    Spec::new(name, arity, flags, "sorted-set", summary, since, Command::SortedSets(cmd))
        .keys(1, 1, 1)
}

const W: u16 = flag::WRITE;
const WD: u16 = flag::WRITE | flag::DENYOOM;
const R: u16 = flag::READONLY;
const F: u16 = flag::FAST;

pub(super) const SPECS: &[Spec] = &[
    spec(
        "zadd",
        -4,
        WD | F,
        "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.",
        "1.2.0",
        Cmd::Zadd,
    ),
    spec(
        "zincrby",
        4,
        WD | F,
        "Increments the score of a member in a sorted set.",
        "1.2.0",
        Cmd::Zincrby,
    ),
    spec(
        "zscore",
        3,
        R | F,
        "Returns the score of a member in a sorted set.",
        "1.2.0",
        Cmd::Zscore,
    ),
    spec(
        "zmscore",
        -3,
        R | F,
        "Returns the score of one or more members in a sorted set.",
        "6.2.0",
        Cmd::Zmscore,
    ),
    spec("zcard", 2, R | F, "Returns the number of members in a sorted set.", "1.2.0", Cmd::Zcard),
    spec(
        "zrange",
        -4,
        R,
        "Returns members in a sorted set within a range of indexes.",
        "1.2.0",
        Cmd::Zrange,
    ),
    spec(
        "zrangebyscore",
        -4,
        R,
        "Returns members in a sorted set within a range of scores.",
        "1.0.5",
        Cmd::Zrangebyscore,
    ),
    spec(
        "zrevrangebyscore",
        -4,
        R,
        "Returns members in a sorted set within a range of scores in reverse order.",
        "2.2.0",
        Cmd::Zrevrangebyscore,
    ),
    spec(
        "zrangebylex",
        -4,
        R,
        "Returns members in a sorted set within a lexicographical range.",
        "2.8.9",
        Cmd::Zrangebylex,
    ),
    spec(
        "zrevrangebylex",
        -4,
        R,
        "Returns members in a sorted set within a lexicographical range in reverse order.",
        "2.8.9",
        Cmd::Zrevrangebylex,
    ),
    spec(
        "zrevrange",
        -4,
        R,
        "Returns members in a sorted set within a range of indexes in reverse order.",
        "1.2.0",
        Cmd::Zrevrange,
    ),
    spec(
        "zrank",
        3,
        R | F,
        "Returns the index of a member in a sorted set ordered by ascending scores.",
        "2.0.0",
        Cmd::Zrank,
    ),
    spec(
        "zrevrank",
        3,
        R | F,
        "Returns the index of a member in a sorted set ordered by descending scores.",
        "2.0.0",
        Cmd::Zrevrank,
    ),
    spec(
        "zcount",
        4,
        R | F,
        "Returns the count of members in a sorted set that have scores within a range.",
        "2.0.0",
        Cmd::Zcount,
    ),
    spec(
        "zlexcount",
        4,
        R | F,
        "Returns the number of members in a sorted set within a lexicographical range.",
        "2.8.9",
        Cmd::Zlexcount,
    ),
    spec(
        "zrem",
        -3,
        W | F,
        "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.",
        "1.2.0",
        Cmd::Zrem,
    ),
    spec(
        "zremrangebyrank",
        4,
        W,
        "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.",
        "2.0.0",
        Cmd::Zremrangebyrank,
    ),
    spec(
        "zremrangebyscore",
        4,
        W,
        "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.",
        "1.2.0",
        Cmd::Zremrangebyscore,
    ),
    spec(
        "zremrangebylex",
        4,
        W,
        "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.",
        "2.8.9",
        Cmd::Zremrangebylex,
    ),
    spec(
        "zrandmember",
        -2,
        R,
        "Returns one or more random members from a sorted set.",
        "6.2.0",
        Cmd::Zrandmember,
    ),
    spec("zscan", -3, R, "Iterates over members and scores of a sorted set.", "2.8.0", Cmd::Zscan),
];

/// The keys of a data command; every command here is one, on one key.
pub(super) fn keys(_cmd: Cmd, spec: &Spec, req: &Request) -> Option<Vec<Bytes>> {
    Some(data::spec_keys(spec, req))
}

/// Commands that are not data commands; there are none in this family.
pub(super) async fn execute(_cmd: Cmd, _req: &Request, _ctx: &mut Ctx<'_>) -> Flow {
    unreachable!("every sorted-set command is a data command")
}

// ---------------------------------------------------------------------------
// Shared helpers (also for sorted_set_ops.rs)
// ---------------------------------------------------------------------------

/// The sorted set at `key`: `Ok(None)` if the key is absent (or expired),
/// `Err(WRONGTYPE)` if it holds another type.
pub(crate) fn sorted_set<'t>(txn: &'t Txn<'_>, key: &[u8]) -> Result<Option<&'t ScoreMap>, Fail> {
    match txn.get(key) {
        None => Ok(None),
        Some(Value::Scores(map)) => Ok(Some(map)),
        Some(_) => Err(data::wrong_type()),
    }
}

/// How a ZRANGE-style command selects members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RangeBy {
    /// By rank (index in score order): ZRANGE's default, ZREVRANGE.
    Rank,
    /// By score: BYSCORE, ZRANGEBYSCORE, ZREVRANGEBYSCORE.
    Score,
    /// By member, for members of equal score: BYLEX, ZRANGEBYLEX.
    Lex,
}

/// The parsed range of a ZRANGE-style command.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Selection {
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
pub(crate) struct RangeQuery {
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
pub(crate) fn parse_range_query(
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
            return Err(data::syntax());
        }
        j += 1;
    }
    let reverse = rev_opt.unwrap_or(false);
    let by = by_opt.unwrap_or(RangeBy::Rank);
    // Redis tests the count, not whether LIMIT was given: `LIMIT 5 -1` with
    // a rank range passes.
    if count != -1 && by == RangeBy::Rank {
        return Err(data::error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && by == RangeBy::Lex {
        return Err(data::error(
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
pub(crate) fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, Fail> {
    match (parse_score_bound(min), parse_score_bound(max)) {
        (Some(min), Some(max)) => Ok(ScoreRange::new(min, max)),
        _ => Err(data::error("ERR min or max is not a float")),
    }
}

/// `min max` of a lex range, or `ERR min or max not valid string range item`.
pub(crate) fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, Fail> {
    match (parse_lex_bound(min), parse_lex_bound(max)) {
        (Some(min), Some(max)) => Ok(LexRange::new(min, max)),
        _ => Err(data::error("ERR min or max not valid string range item")),
    }
}

/// The members a [`RangeQuery`] selects from `map`, in reply order (LIMIT
/// applied). Never sorts: a rank range walks from the nearer end of the
/// score order, a score range starts at its bound, so the cost is the
/// distance walked plus the members returned.
pub(crate) fn select<'a>(map: &'a ScoreMap, query: &RangeQuery) -> Vec<(&'a Bytes, f64)> {
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
pub(crate) fn by_rank(map: &ScoreMap, start: i64, stop: i64, reverse: bool) -> Vec<(&Bytes, f64)> {
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
pub(crate) fn by_score<'a>(
    map: &'a ScoreMap,
    range: &ScoreRange,
    reverse: bool,
) -> Box<dyn Iterator<Item = (&'a Bytes, f64)> + 'a> {
    use super::args::ScoreBound::{Exclusive, Inclusive};
    if range.is_empty_range() {
        return Box::new(std::iter::empty());
    }
    let range = *range;
    let within = move |(_, s): &(&Bytes, f64)| range.contains(*s);
    if reverse {
        let (max, ex) = match range.max {
            Inclusive(v) => (v, false),
            Exclusive(v) => (v, true),
        };
        Box::new(map.ranked_down_from(max, ex).take_while(within))
    } else {
        let (min, ex) = match range.min {
            Inclusive(v) => (v, false),
            Exclusive(v) => (v, true),
        };
        Box::new(map.ranked_from(min, ex).take_while(within))
    }
}

/// The members within a lex range, in rank order (reversed if `reverse`):
/// the first run of members inside the range, as Redis finds it when every
/// score is equal (the only case Redis defines).
pub(crate) fn by_lex<'a>(
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
pub(crate) fn write_member(w: &mut ReplyWriter<'_>, member: &[u8], score: f64) {
    if w.protocol() == Protocol::Resp3 {
        w.array(2);
    }
    w.bulk(member);
    w.double(score);
}

/// A whole ZRANGE-style reply: an array of members, or with scores an
/// array of `[member, score]` pairs (RESP3) / a flat member, score, ...
/// array (RESP2), as Redis 7.0.
pub(crate) fn write_members(w: &mut ReplyWriter<'_>, items: &[(&Bytes, f64)], withscores: bool) {
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
pub(crate) fn rank_of(map: &ScoreMap, member: &[u8]) -> Option<usize> {
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

fn int_arg(req: &Request, at: usize) -> Result<i64, Fail> {
    parse_i64(req.arg(at).unwrap_or_default()).ok_or_else(data::not_integer)
}

fn nan_error() -> Fail {
    data::error("ERR resulting score is not a number (NaN)")
}

/// Removes `members` from the sorted set at `key` in one write.
fn remove_members(txn: &mut Txn<'_>, key: &[u8], members: Vec<Bytes>) -> Result<i64, Fail> {
    let n = members.len() as i64;
    if n > 0 {
        txn.set_fields(key, MapKind::Scores, members.into_iter().map(|m| (m, None)))?;
    }
    Ok(n)
}

// ---------------------------------------------------------------------------
// The commands
// ---------------------------------------------------------------------------

/// The body of each command, run under the lock of its key.
pub(super) fn apply(
    cmd: Cmd,
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    let key = req.arg(1).unwrap_or_default();
    match cmd {
        Cmd::Zadd => zadd(req, key, txn, w, false),
        Cmd::Zincrby => zadd(req, key, txn, w, true),
        Cmd::Zscore => {
            let member = req.arg(2).unwrap_or_default();
            match sorted_set(txn, key)?.and_then(|m| m.get(member)) {
                Some(score) => w.double(score),
                None => w.null(),
            }
            Ok(())
        }
        Cmd::Zmscore => {
            let map = sorted_set(txn, key)?;
            w.array(req.len() - 2);
            for member in req.args().skip(2) {
                match map.and_then(|m| m.get(member)) {
                    Some(score) => w.double(score),
                    None => w.null(),
                }
            }
            Ok(())
        }
        Cmd::Zcard => {
            w.integer(sorted_set(txn, key)?.map_or(0, |m| m.len() as i64));
            Ok(())
        }
        Cmd::Zrange
        | Cmd::Zrangebyscore
        | Cmd::Zrevrangebyscore
        | Cmd::Zrangebylex
        | Cmd::Zrevrangebylex
        | Cmd::Zrevrange => {
            let (by, reverse) = match cmd {
                Cmd::Zrangebyscore => (Some(RangeBy::Score), Some(false)),
                Cmd::Zrevrangebyscore => (Some(RangeBy::Score), Some(true)),
                Cmd::Zrangebylex => (Some(RangeBy::Lex), Some(false)),
                Cmd::Zrevrangebylex => (Some(RangeBy::Lex), Some(true)),
                Cmd::Zrevrange => (Some(RangeBy::Rank), Some(true)),
                _ => (None, None),
            };
            let query = parse_range_query(req, 1, false, by, reverse)?;
            match sorted_set(txn, key)? {
                None => w.array(0),
                Some(map) => write_members(w, &select(map, &query), query.withscores),
            }
            Ok(())
        }
        Cmd::Zrank | Cmd::Zrevrank => {
            let member = req.arg(2).unwrap_or_default();
            let map = sorted_set(txn, key)?;
            match map.and_then(|m| rank_of(m, member).map(|r| (m, r))) {
                Some((m, rank)) => {
                    let rank = if cmd == Cmd::Zrevrank { m.len() - 1 - rank } else { rank };
                    w.integer(rank as i64);
                }
                None => w.null(),
            }
            Ok(())
        }
        Cmd::Zcount => {
            let range =
                parse_score_range(req.arg(2).unwrap_or_default(), req.arg(3).unwrap_or_default())?;
            let n = sorted_set(txn, key)?.map_or(0, |m| by_score(m, &range, false).count());
            w.integer(n as i64);
            Ok(())
        }
        Cmd::Zlexcount => {
            let range =
                parse_lex_range(req.arg(2).unwrap_or_default(), req.arg(3).unwrap_or_default())?;
            let n = sorted_set(txn, key)?.map_or(0, |m| by_lex(m, &range, false).count());
            w.integer(n as i64);
            Ok(())
        }
        Cmd::Zrem => {
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
        Cmd::Zremrangebyrank | Cmd::Zremrangebyscore | Cmd::Zremrangebylex => {
            let (min, max) = (req.arg(2).unwrap_or_default(), req.arg(3).unwrap_or_default());
            let selection = match cmd {
                Cmd::Zremrangebyrank => {
                    Selection::Rank { start: int_arg(req, 2)?, stop: int_arg(req, 3)? }
                }
                Cmd::Zremrangebyscore => Selection::Score(parse_score_range(min, max)?),
                _ => Selection::Lex(parse_lex_range(min, max)?),
            };
            let query =
                RangeQuery { selection, reverse: false, offset: 0, count: -1, withscores: false };
            let members: Vec<Bytes> = match sorted_set(txn, key)? {
                None => Vec::new(),
                Some(map) => select(map, &query).into_iter().map(|(m, _)| m.clone()).collect(),
            };
            let n = remove_members(txn, key, members)?;
            w.integer(n);
            Ok(())
        }
        Cmd::Zrandmember => zrandmember(req, key, txn, w),
        Cmd::Zscan => zscan(req, key, txn, w),
    }
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...],
/// and ZINCRBY key increment member (`zaddGenericCommand` with INCR).
fn zadd(
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
        return Err(data::syntax());
    }
    if nx && xx {
        return Err(data::error("ERR XX and NX options at the same time are not compatible"));
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return Err(data::error(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if incr && elements > 2 {
        return Err(data::error("ERR INCR option supports a single increment-element pair"));
    }
    let mut pairs = Vec::with_capacity(elements / 2);
    for i in (at..req.len()).step_by(2) {
        let score = parse_f64(req.arg(i).unwrap_or_default()).ok_or_else(data::not_float)?;
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
        match result {
            Some(score) => w.double(score),
            None => w.null(),
        }
    } else {
        w.integer(if ch { added + updated } else { added });
    }
    Ok(())
}

/// The member at ascending rank `i`, walking from the nearer end.
fn nth_ranked(map: &ScoreMap, i: usize) -> Option<(&Bytes, f64)> {
    if i < map.len() / 2 { map.ranked().nth(i) } else { map.ranked().rev().nth(map.len() - 1 - i) }
}

/// ZRANDMEMBER key [count [WITHSCORES]] (`zrandmemberCommand`).
fn zrandmember(req: &Request, key: &[u8], txn: &Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
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
        return Err(data::error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let withscores = match req.arg(3) {
        None => false,
        Some(arg) if req.len() == 4 && arg.eq_ignore_ascii_case(b"withscores") => true,
        Some(_) => return Err(data::syntax()),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(data::error("ERR value is out of range"));
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
    // Distinct members: a partial Fisher-Yates shuffle.
    let mut all: Vec<(&Bytes, f64)> = map.ranked().collect();
    for i in 0..n {
        let j = i + fastrand::usize(..len - i);
        all.swap(i, j);
    }
    w.array(if flat { n * 2 } else { n });
    for &(member, score) in &all[..n] {
        write(w, member, score);
    }
    Ok(())
}

/// Sets of at most this many members are scanned in one call with cursor 0,
/// as Redis does for its small (listpack) encoding.
const SMALL_SET: usize = 128;

/// A member's place in a ZSCAN of a large set: a fixed hash (FNV-1a, then
/// mixed), stable across calls and restarts. Never 0, so that a cursor
/// (the next hash to visit) is 0 only at the start and the end.
fn scan_hash(member: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in member {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    // Leave 0 for "start"/"done" and keep cursors within i64 for clients
    // that read them signed.
    (h >> 1).max(1)
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count] (`zscanCommand`).
///
/// A set of up to [`SMALL_SET`] members comes whole in one reply with
/// cursor 0. A larger one is visited in the order of a fixed hash of each
/// member, the cursor being the next hash to visit: every member present
/// for the whole scan is returned exactly once, whatever changes between
/// calls. Each call walks the set once (O(n)).
fn zscan(req: &Request, key: &[u8], txn: &Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let cursor = super::args::parse_scan_cursor(req.arg(2).unwrap_or_default())
        .ok_or_else(|| data::error("ERR invalid cursor"))?;
    let Some(map) = sorted_set(txn, key)? else {
        super::scan::nothing(w);
        return Ok(());
    };
    let (count, pattern) = super::scan::options(req, 3)?;
    let (next, batch): (u64, Vec<(&Bytes, f64)>) = if map.len() <= SMALL_SET {
        (0, map.ranked().collect())
    } else {
        let mut candidates: Vec<(u64, &Bytes, f64)> = map
            .iter()
            .map(|(m, s)| (scan_hash(m), m, s))
            .filter(|(h, _, _)| *h >= cursor)
            .collect();
        if candidates.len() <= count {
            candidates.sort_unstable_by_key(|c| c.0);
            (0, candidates.into_iter().map(|(_, m, s)| (m, s)).collect())
        } else {
            candidates.select_nth_unstable_by_key(count - 1, |c| c.0);
            let top = candidates[count - 1].0;
            // Members sharing the last hash come now too: the cursor moves
            // past that hash.
            let mut batch: Vec<_> = candidates.into_iter().filter(|c| c.0 <= top).collect();
            batch.sort_unstable_by_key(|c| c.0);
            (top.wrapping_add(1), batch.into_iter().map(|(_, m, s)| (m, s)).collect())
        }
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
