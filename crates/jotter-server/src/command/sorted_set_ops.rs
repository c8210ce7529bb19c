//! Sorted-set commands over several keys, and the pops: ZUNION, ZINTER,
//! ZDIFF and their STORE forms, ZINTERCARD, ZPOPMIN, ZPOPMAX, ZMPOP, the
//! blocking BZPOPMIN, BZPOPMAX and BZMPOP, and ZRANGESTORE, as Redis 7.0
//! runs them: same options, reply shapes in RESP2 and RESP3, error texts
//! and order of checks (`zunionInterDiffGenericCommand`,
//! `genericZpopCommand`, `zmpopGenericCommand`, `blockingGenericZpopCommand`
//! in `t_zset.c`).
//!
//! A STORE form replaces its destination whatever it held, without a TTL;
//! an empty result deletes it. Scores stored are kept with -0 as 0, as
//! Redis's small encoding (and this server's ZADD) keeps them; a reply
//! computed and not stored shows the -0 it computed, as Redis's does.
//!
//! # Blocking
//!
//! BZPOPMIN, BZPOPMAX and BZMPOP are data commands with
//! [`flag::BLOCKING`]. Their `apply` is one attempt (a null array if no key
//! holds a sorted set): that is how `EXEC` runs them, in queue order, as
//! Redis does (no blocking inside a transaction). Anywhere else the
//! dispatcher sends them to [`execute`], the blocking loop: it tries a pop
//! as one transaction over the keys and, when no key holds a sorted set,
//! waits for the next write by any client (or at most [`POLL`]) and tries
//! again, until a pop, the timeout (a null array), the client closing (no
//! reply: the connection ends), a kill or the server stopping. A retry
//! skips keys of another type, as Redis 7.0 leaves a client blocked when
//! its key becomes something else.
//!
//! A pop is never lost to a client that leaves: the loop only stops
//! between attempts, at its one wait, and an attempt that pops returns its
//! reply at once. Nothing drops the loop midway (the connection tells it
//! the client closed through [`Ctx::client_closed`] and waits for it).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use jotter::{MapKind, ScoreMap, Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::args::{ScoreBound, parse_f64, parse_score_bound};
use super::data::{self, Fail, Outcome};
use super::sorted_sets::{parse_range_query, select, sorted_set, write_members};
use super::{Command, Ctx, Flow, Spec, WriteWait, flag, parse_i64};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmd {
    Zunion,
    Zinter,
    Zdiff,
    Zunionstore,
    Zinterstore,
    Zdiffstore,
    Zintercard,
    Zpopmin,
    Zpopmax,
    Bzpopmin,
    Bzpopmax,
    Zmpop,
    Bzmpop,
    Zrangestore,
}

const fn spec(
    name: &'static str,
    arity: i16,
    flags: u16,
    summary: &'static str,
    since: &'static str,
    cmd: Cmd,
) -> Spec {
    Spec::new(name, arity, flags, "sorted-set", summary, since, Command::SortedSetOps(cmd))
}

const R: u16 = flag::READONLY;
const W: u16 = flag::WRITE;
const WD: u16 = flag::WRITE | flag::DENYOOM;

/// Key positions are Redis's legacy ones (`COMMAND INFO`): the `numkeys`
/// forms report none (or only the destination); [`keys`] finds them.
pub(super) const SPECS: &[Spec] = &[
    spec("zunion", -3, R, "Add multiple sorted sets", "6.2.0", Cmd::Zunion),
    spec("zinter", -3, R, "Intersect multiple sorted sets", "6.2.0", Cmd::Zinter),
    spec("zdiff", -3, R, "Subtract multiple sorted sets", "6.2.0", Cmd::Zdiff),
    spec(
        "zunionstore",
        -4,
        WD,
        "Add multiple sorted sets and store the resulting sorted set in a new key",
        "2.0.0",
        Cmd::Zunionstore,
    )
    .keys(1, 1, 1),
    spec(
        "zinterstore",
        -4,
        WD,
        "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        "2.0.0",
        Cmd::Zinterstore,
    )
    .keys(1, 1, 1),
    spec(
        "zdiffstore",
        -4,
        WD,
        "Subtract multiple sorted sets and store the resulting sorted set in a new key",
        "6.2.0",
        Cmd::Zdiffstore,
    )
    .keys(1, 1, 1),
    spec(
        "zintercard",
        -3,
        R,
        "Intersect multiple sorted sets and return the cardinality of the result",
        "7.0.0",
        Cmd::Zintercard,
    ),
    spec(
        "zpopmin",
        -2,
        W | flag::FAST,
        "Remove and return members with the lowest scores in a sorted set",
        "5.0.0",
        Cmd::Zpopmin,
    )
    .keys(1, 1, 1),
    spec(
        "zpopmax",
        -2,
        W | flag::FAST,
        "Remove and return members with the highest scores in a sorted set",
        "5.0.0",
        Cmd::Zpopmax,
    )
    .keys(1, 1, 1),
    spec(
        "bzpopmin",
        -3,
        W | flag::NOSCRIPT | flag::BLOCKING | flag::FAST,
        "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        "5.0.0",
        Cmd::Bzpopmin,
    )
    .keys(1, -2, 1),
    spec(
        "bzpopmax",
        -3,
        W | flag::NOSCRIPT | flag::BLOCKING | flag::FAST,
        "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        "5.0.0",
        Cmd::Bzpopmax,
    )
    .keys(1, -2, 1),
    spec("zmpop", -4, W, "Remove and return members with scores in a sorted set", "7.0.0", Cmd::Zmpop),
    spec(
        "bzmpop",
        -5,
        W | flag::BLOCKING,
        "Remove and return members with scores in a sorted set or block until one is available",
        "7.0.0",
        Cmd::Bzmpop,
    ),
    spec(
        "zrangestore",
        -5,
        WD,
        "Store a range of members from sorted set into another key",
        "6.2.0",
        Cmd::Zrangestore,
    )
    .keys(1, 2, 1),
];

/// The keys of a data command: every command here (the blocking ones
/// too, see the module docs). A `numkeys` form whose count is invalid gets
/// no input keys: its body fails on the count before it reads a key.
pub(super) fn keys(cmd: Cmd, spec: &Spec, req: &Request) -> Option<Vec<Bytes>> {
    Some(match cmd {
        Cmd::Zunion | Cmd::Zinter | Cmd::Zdiff | Cmd::Zintercard | Cmd::Zmpop => {
            counted_keys(req, 1)
        }
        Cmd::Bzmpop => counted_keys(req, 2),
        Cmd::Zunionstore | Cmd::Zinterstore | Cmd::Zdiffstore => {
            let mut keys: Vec<Bytes> = req.arg_bytes(1).into_iter().collect();
            keys.extend(counted_keys(req, 2));
            keys
        }
        Cmd::Zpopmin | Cmd::Zpopmax | Cmd::Bzpopmin | Cmd::Bzpopmax | Cmd::Zrangestore => {
            data::spec_keys(spec, req)
        }
    })
}

/// The `numkeys` keys following the count at argument `at`, when the count
/// is at least 1 and that many arguments follow; none otherwise.
fn counted_keys(req: &Request, at: usize) -> Vec<Bytes> {
    let available = req.len().saturating_sub(at + 1);
    match req.arg(at).and_then(parse_i64).and_then(|n| usize::try_from(n).ok()) {
        Some(n) if n >= 1 && n <= available => {
            (at + 1..=at + n).filter_map(|i| req.arg_bytes(i)).collect()
        }
        _ => Vec::new(),
    }
}

/// The body of each command, run under the locks of its keys.
pub(super) fn apply(
    cmd: Cmd,
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    match cmd {
        Cmd::Zunion => set_command(cmd, req, txn, w, SetOp::Union),
        Cmd::Zinter | Cmd::Zintercard => set_command(cmd, req, txn, w, SetOp::Inter),
        Cmd::Zdiff => set_command(cmd, req, txn, w, SetOp::Diff),
        Cmd::Zunionstore => set_command(cmd, req, txn, w, SetOp::Union),
        Cmd::Zinterstore => set_command(cmd, req, txn, w, SetOp::Inter),
        Cmd::Zdiffstore => set_command(cmd, req, txn, w, SetOp::Diff),
        Cmd::Zpopmin => zpop(req, txn, w, false),
        Cmd::Zpopmax => zpop(req, txn, w, true),
        Cmd::Zmpop => {
            let plan = parse_mpop(req, 1)?;
            if !pop_first(req, &plan, txn, w, false)? {
                w.null_array();
            }
            Ok(())
        }
        Cmd::Bzpopmin | Cmd::Bzpopmax | Cmd::Bzmpop => {
            // One attempt, as inside EXEC: a timeout at once (the blocking
            // loop is `execute`).
            let plan = parse_blocking(cmd, req)?;
            if !pop_first(req, &plan, txn, w, false)? {
                w.null_array();
            }
            Ok(())
        }
        Cmd::Zrangestore => {
            let query = parse_range_query(req, 2, true, None, None)?;
            let src = req.arg(2).unwrap_or_default();
            let result: ScoreMap = match sorted_set(txn, src)? {
                None => ScoreMap::new(),
                Some(map) => select(map, &query).into_iter().map(|(m, s)| (m.clone(), s)).collect(),
            };
            store(txn, req.arg(1).unwrap_or_default(), result, w);
            Ok(())
        }
    }
}

/// The blocking loop of BZPOPMIN, BZPOPMAX and BZMPOP (see the module
/// docs); the dispatcher sends them here outside `EXEC`. Each attempt is
/// one transaction whose reply, if it popped, is in the output when it
/// returns; the loop's only wait is between attempts.
pub(super) async fn execute(cmd: Cmd, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    if !matches!(cmd, Cmd::Bzpopmin | Cmd::Bzpopmax | Cmd::Bzmpop) {
        // Not reached (every other command here is a plain data command).
        let keys = keys(cmd, ctx.spec, req).unwrap_or_default();
        return data::run(ctx, &keys, false, |txn, w| apply(cmd, req, txn, w)).await;
    }
    let plan = match parse_blocking(cmd, req) {
        Ok(plan) => plan,
        Err(fail) => {
            ctx.reply().error(fail.text().as_bytes());
            return Flow::Continue;
        }
    };
    let keys: Vec<Bytes> = plan.keys.clone().filter_map(|i| req.arg_bytes(i)).collect();
    let started = Instant::now();
    let deadline = plan.timeout.and_then(|t| started.checked_add(t));
    let kill = ctx.client.entry.kill.clone();
    let shutdown = ctx.shared.shutdown.clone();
    let mut retry = false;
    loop {
        // Taken before the look, so that a write after it wakes the wait.
        let mut write = WriteWait::new();
        let mark = ctx.out().len();
        let flow =
            data::run(ctx, &keys, false, |txn, w| pop_first(req, &plan, txn, w, retry).map(|_| ()))
                .await;
        if ctx.out().len() != mark {
            return flow; // popped, or an error
        }
        retry = true;
        let now = Instant::now();
        let expired = plan.timeout.is_some_and(|t| now.duration_since(started) >= t);
        if expired || kill.is_cancelled() || shutdown.is_cancelled() {
            ctx.reply().null_array();
            return Flow::Continue;
        }
        let nap = deadline.map_or(POLL, |d| d.saturating_duration_since(now).min(POLL));
        tokio::select! {
            () = tokio::time::sleep(nap) => {}
            () = write.written() => {}
            () = kill.cancelled() => {}
            () = shutdown.cancelled() => {}
            // Nobody to reply to: stop without popping.
            () = ctx.client_closed() => return Flow::Close,
        }
    }
}

/// How often a blocked pop looks at its keys again without a write to wake
/// it (a write through the dispatcher wakes it at once).
const POLL: Duration = Duration::from_millis(10);

// ---------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// The options after the keys.
#[derive(Debug, PartialEq)]
struct SetOptions {
    /// One per input key, in the order given.
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT; 0 is none.
    limit: usize,
}

fn command_name(cmd: Cmd) -> &'static str {
    match cmd {
        Cmd::Zunion => "zunion",
        Cmd::Zinter => "zinter",
        Cmd::Zdiff => "zdiff",
        Cmd::Zunionstore => "zunionstore",
        Cmd::Zinterstore => "zinterstore",
        Cmd::Zdiffstore => "zdiffstore",
        Cmd::Zintercard => "zintercard",
        Cmd::Zpopmin => "zpopmin",
        Cmd::Zpopmax => "zpopmax",
        Cmd::Bzpopmin => "bzpopmin",
        Cmd::Bzpopmax => "bzpopmax",
        Cmd::Zmpop => "zmpop",
        Cmd::Bzmpop => "bzmpop",
        Cmd::Zrangestore => "zrangestore",
    }
}

/// `zunionInterDiffGenericCommand`: the count, the keys' types, the
/// options, then the result, replied, counted or stored.
fn set_command(
    cmd: Cmd,
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    op: SetOp,
) -> Outcome {
    let store = matches!(cmd, Cmd::Zunionstore | Cmd::Zinterstore | Cmd::Zdiffstore);
    let card = cmd == Cmd::Zintercard;
    let at = if store { 2 } else { 1 };
    let args: Vec<&[u8]> = req.args().collect();
    let n = parse_numkeys(command_name(cmd), &args, at)?;
    let result = {
        let sets = args[at + 1..=at + n]
            .iter()
            .map(|key| sorted_set(txn, key))
            .collect::<Result<Vec<_>, Fail>>()?;
        let options = parse_set_options(&args[at + 1 + n..], n, op, store, card)?;
        if card {
            w.integer(i64::try_from(inter_card(&sets, options.limit)).unwrap_or(i64::MAX));
            return Ok(());
        }
        let result = combine(&sets, &options.weights, op, options.aggregate);
        if !store {
            let items: Vec<(&Bytes, f64)> = result.ranked().collect();
            write_members(w, &items, options.withscores);
            return Ok(());
        }
        result
    };
    store_normalised(txn, args[1], result, w);
    Ok(())
}

/// The `numkeys` argument at `at`: an integer, at least 1, and no more
/// than the arguments after it.
fn parse_numkeys(name: &str, args: &[&[u8]], at: usize) -> Result<usize, Fail> {
    let n = args.get(at).copied().and_then(parse_i64).ok_or_else(data::not_integer)?;
    if n < 1 {
        return Err(data::error(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    match usize::try_from(n) {
        Ok(n) if n <= args.len().saturating_sub(at + 1) => Ok(n),
        _ => Err(data::syntax()),
    }
}

/// The options after the keys, in Redis's loop: WEIGHTS (not for ZDIFF
/// and ZINTERCARD) needs a weight per key, AGGREGATE SUM|MIN|MAX (idem),
/// WITHSCORES (not for the STORE forms and ZINTERCARD), LIMIT (ZINTERCARD
/// only); each may repeat, the last one counting.
fn parse_set_options(
    rest: &[&[u8]],
    setnum: usize,
    op: SetOp,
    store: bool,
    card: bool,
) -> Result<SetOptions, Fail> {
    let mut options = SetOptions {
        weights: vec![1.0; setnum],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let algebra = op != SetOp::Diff && !card;
    let mut j = 0;
    while j < rest.len() {
        let remaining = rest.len() - j;
        let arg = rest[j];
        if algebra && remaining > setnum && arg.eq_ignore_ascii_case(b"weights") {
            for (i, weight) in options.weights.iter_mut().enumerate() {
                *weight = parse_f64(rest[j + 1 + i])
                    .ok_or_else(|| data::error("ERR weight value is not a float"))?;
            }
            j += 1 + setnum;
        } else if algebra && remaining >= 2 && arg.eq_ignore_ascii_case(b"aggregate") {
            let kind = rest[j + 1];
            options.aggregate = if kind.eq_ignore_ascii_case(b"sum") {
                Aggregate::Sum
            } else if kind.eq_ignore_ascii_case(b"min") {
                Aggregate::Min
            } else if kind.eq_ignore_ascii_case(b"max") {
                Aggregate::Max
            } else {
                return Err(data::syntax());
            };
            j += 2;
        } else if !store && !card && arg.eq_ignore_ascii_case(b"withscores") {
            options.withscores = true;
            j += 1;
        } else if card && remaining >= 2 && arg.eq_ignore_ascii_case(b"limit") {
            options.limit = parse_i64(rest[j + 1])
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| data::error("ERR LIMIT can't be negative"))?;
            j += 2;
        } else {
            return Err(data::syntax());
        }
    }
    Ok(options)
}

/// `zunionInterAggregate`: a sum that is NaN (inf + -inf) is 0; MIN and
/// MAX keep the current score against a NaN.
fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

/// A weighted score; NaN (inf × 0) is 0, as Redis's.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() { 0.0 } else { v }
}

/// The input indexes from the smallest set to the largest (a missing key
/// is empty), ties in the order given: the order Redis's `qsort` (glibc's
/// merge sort, stable) leaves them in, which fixes the order scores are
/// summed in.
fn by_size(sets: &[Option<&ScoreMap>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sets.len()).collect();
    order.sort_by_key(|&i| sets[i].map_or(0, ScoreMap::len));
    order
}

/// The union, intersection or difference of `sets` with Redis's scores.
fn combine(sets: &[Option<&ScoreMap>], weights: &[f64], op: SetOp, how: Aggregate) -> ScoreMap {
    match op {
        SetOp::Diff => {
            // Scores as in the first set: ZDIFF has no weights.
            let Some(first) = sets.first().copied().flatten() else {
                return ScoreMap::new();
            };
            first
                .iter()
                .filter(|(m, _)| !sets[1..].iter().flatten().any(|s| s.get(m).is_some()))
                .map(|(m, s)| (m.clone(), s))
                .collect()
        }
        SetOp::Inter => {
            let order = by_size(sets);
            let Some(smallest) = sets[order[0]] else {
                return ScoreMap::new();
            };
            let mut out = ScoreMap::new();
            'members: for (member, score) in smallest.iter() {
                let mut total = weighted(score, weights[order[0]]);
                for &j in &order[1..] {
                    // The other scores are weighted without the NaN check.
                    match sets[j].and_then(|s| s.get(member)) {
                        Some(s) => aggregate(&mut total, s * weights[j], how),
                        None => continue 'members,
                    }
                }
                out.insert(member.clone(), total);
            }
            out
        }
        SetOp::Union => {
            let mut acc: HashMap<&Bytes, f64> = HashMap::new();
            for i in by_size(sets) {
                for (member, score) in sets[i].into_iter().flat_map(ScoreMap::iter) {
                    let value = weighted(score, weights[i]);
                    acc.entry(member)
                        .and_modify(|total| aggregate(total, value, how))
                        .or_insert(value);
                }
            }
            acc.into_iter().map(|(m, s)| (m.clone(), s)).collect()
        }
    }
}

/// ZINTERCARD: the size of the intersection, counting stopped at `limit`
/// (0: no limit).
fn inter_card(sets: &[Option<&ScoreMap>], limit: usize) -> usize {
    let order = by_size(sets);
    let Some(smallest) = sets[order[0]] else {
        return 0;
    };
    let mut count = 0;
    for (member, _) in smallest.iter() {
        if order[1..].iter().all(|&j| sets[j].is_some_and(|s| s.get(member).is_some())) {
            count += 1;
            if count == limit {
                break;
            }
        }
    }
    count
}

/// A STORE form's ending: `dst` replaced by `result` (no TTL), or deleted
/// if it is empty; the reply is its size.
fn store(txn: &mut Txn<'_>, dst: &[u8], result: ScoreMap, w: &mut ReplyWriter<'_>) {
    let len = result.len();
    if len == 0 {
        txn.delete(dst);
    } else {
        txn.put(dst, Value::Scores(Arc::new(result)), None);
    }
    w.integer(i64::try_from(len).unwrap_or(i64::MAX));
}

/// [`store`] with -0 scores made 0 (see the module docs).
fn store_normalised(txn: &mut Txn<'_>, dst: &[u8], result: ScoreMap, w: &mut ReplyWriter<'_>) {
    let result = if result.iter().any(|(_, s)| s == 0.0 && s.is_sign_negative()) {
        result.iter().map(|(m, s)| (m.clone(), s + 0.0)).collect()
    } else {
        result
    };
    store(txn, dst, result, w);
}

// ---------------------------------------------------------------------------
// ZPOPMIN, ZPOPMAX, ZMPOP, BZPOPMIN, BZPOPMAX, BZMPOP
// ---------------------------------------------------------------------------

/// Removes up to `n` members from the low (or, `max`, the high) end of the
/// sorted set at `key`, which must hold one; returns them in pop order.
fn pop(txn: &mut Txn<'_>, key: &[u8], max: bool, n: usize) -> Result<Vec<(Bytes, f64)>, Fail> {
    let Some(map) = sorted_set(txn, key)? else {
        return Ok(Vec::new());
    };
    let popped: Vec<(Bytes, f64)> = if max {
        map.ranked().rev().take(n).map(|(m, s)| (m.clone(), s)).collect()
    } else {
        map.ranked().take(n).map(|(m, s)| (m.clone(), s)).collect()
    };
    txn.set_fields(key, MapKind::Scores, popped.iter().map(|(m, _)| (m.clone(), None)))?;
    Ok(popped)
}

/// ZPOPMIN/ZPOPMAX key [count]: a flat member, score, ... array, except in
/// RESP3 with a count: an array of [member, score] pairs.
fn zpop(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, max: bool) -> Outcome {
    if req.len() > 3 {
        return Err(data::syntax());
    }
    let count = match req.arg(2) {
        None => None,
        Some(arg) => Some(
            parse_i64(arg)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| data::error("ERR value is out of range, must be positive"))?,
        ),
    };
    let key = req.arg(1).unwrap_or_default();
    if sorted_set(txn, key)?.is_none() || count == Some(0) {
        w.array(0);
        return Ok(());
    }
    let nested = count.is_some() && w.protocol() == jotter_resp::Protocol::Resp3;
    let popped = pop(txn, key, max, count.unwrap_or(1))?;
    w.array(if nested { popped.len() } else { popped.len() * 2 });
    for (member, score) in &popped {
        if nested {
            w.array(2);
        }
        w.bulk(member);
        w.double(*score);
    }
    Ok(())
}

/// What a multi-key pop does.
#[derive(Clone, Debug, PartialEq)]
struct PopPlan {
    /// The argument indexes of the keys.
    keys: std::ops::Range<usize>,
    max: bool,
    count: usize,
    /// ZMPOP/BZMPOP's `[key, [[member, score], ...]]`, else BZPOPMIN's
    /// `[key, member, score]`.
    nested: bool,
    /// How long a blocking pop waits; `None` is forever.
    timeout: Option<Duration>,
}

/// Pops from the first key that holds a sorted set and writes the reply;
/// `Ok(false)`, writing nothing, if no key does. The first key of another
/// type is WRONGTYPE, unless `skip_wrong_type` (a blocked retry).
fn pop_first(
    req: &Request,
    plan: &PopPlan,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    skip_wrong_type: bool,
) -> Result<bool, Fail> {
    for i in plan.keys.clone() {
        let key = req.arg(i).unwrap_or_default();
        match txn.get(key) {
            None => continue,
            Some(Value::Scores(map)) if !map.is_empty() => {}
            Some(Value::Scores(_)) => continue,
            Some(_) if skip_wrong_type => continue,
            Some(_) => return Err(data::wrong_type()),
        }
        let popped = pop(txn, key, plan.max, plan.count)?;
        if plan.nested {
            w.array(2);
            w.bulk(key);
            w.array(popped.len());
        } else {
            w.array(1 + 2 * popped.len());
            w.bulk(key);
        }
        for (member, score) in &popped {
            if plan.nested {
                w.array(2);
            }
            w.bulk(member);
            w.double(*score);
        }
        return Ok(true);
    }
    Ok(false)
}

/// ZMPOP's (`at` 1) or BZMPOP's (`at` 2) `numkeys key... MIN|MAX [COUNT n]`.
fn parse_mpop(req: &Request, at: usize) -> Result<PopPlan, Fail> {
    let argc = req.len();
    let numkeys = req
        .arg(at)
        .and_then(parse_i64)
        .filter(|&n| n >= 1)
        .ok_or_else(|| data::error("ERR numkeys should be greater than 0"))?;
    let where_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(at + 1))
        .filter(|&i| i < argc)
        .ok_or_else(data::syntax)?;
    let side = req.arg(where_at).unwrap_or_default();
    let max = if side.eq_ignore_ascii_case(b"min") {
        false
    } else if side.eq_ignore_ascii_case(b"max") {
        true
    } else {
        return Err(data::syntax());
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < argc {
        let more = argc - 1 - j;
        let arg = req.arg(j).unwrap_or_default();
        if count.is_none() && more > 0 && arg.eq_ignore_ascii_case(b"count") {
            j += 1;
            let n = req
                .arg(j)
                .and_then(parse_i64)
                .filter(|&n| n >= 1)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| data::error("ERR count should be greater than 0"))?;
            count = Some(n);
        } else {
            return Err(data::syntax());
        }
        j += 1;
    }
    Ok(PopPlan {
        keys: at + 1..where_at,
        max,
        count: count.unwrap_or(1),
        nested: true,
        timeout: None,
    })
}

/// BZPOPMIN/BZPOPMAX `key... timeout`, BZMPOP `timeout numkeys key...
/// MIN|MAX [COUNT n]` (its timeout read after the rest, as Redis).
fn parse_blocking(cmd: Cmd, req: &Request) -> Result<PopPlan, Fail> {
    let argc = req.len();
    match cmd {
        Cmd::Bzmpop => {
            let mut plan = parse_mpop(req, 2)?;
            plan.timeout = parse_timeout(req.arg(1).unwrap_or_default())?;
            Ok(plan)
        }
        _ => Ok(PopPlan {
            timeout: parse_timeout(req.arg(argc - 1).unwrap_or_default())?,
            keys: 1..argc - 1,
            max: cmd == Cmd::Bzpopmax,
            count: 1,
            nested: false,
        }),
    }
}

/// A blocking timeout in seconds, as Redis's `getTimeoutFromObjectOrReply`:
/// a `strtold` float (no leading space, the whole argument, not NaN; hex
/// and `inf` accepted) times 1000, truncated to whole milliseconds; 0 (so
/// also anything under a millisecond, even negative) waits forever. A value
/// whose milliseconds do not fit a `long long` converts to its minimum,
/// hence "negative", as on x86-64.
fn parse_timeout(arg: &[u8]) -> Result<Option<Duration>, Fail> {
    const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let not_float = || data::error("ERR timeout is not a float or out of range");
    let negative = || data::error("ERR timeout is negative");
    let leading_space = arg.first().is_some_and(|&b| b" \t\n\x0b\x0c\r".contains(&b));
    if arg.is_empty() || arg.len() >= MAX_LONG_DOUBLE_CHARS || leading_space {
        return Err(not_float());
    }
    // `parse_score_bound` is bare strtod with the end check; a `(` prefix
    // is not a number here.
    let Some(ScoreBound::Inclusive(seconds)) = parse_score_bound(arg) else {
        return Err(not_float());
    };
    let ms = seconds * 1000.0;
    if !(ms > -TWO_63 && ms < TWO_63) {
        return Err(negative());
    }
    // In range: the cast truncates toward zero as C's does.
    #[expect(clippy::cast_possible_truncation, reason = "checked to fit above")]
    let ms = ms.trunc() as i64;
    match u64::try_from(ms) {
        Err(_) => Err(negative()),
        Ok(0) => Ok(None),
        Ok(ms) => Ok(Some(Duration::from_millis(ms))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn set(pairs: &[(&str, f64)]) -> ScoreMap {
        pairs.iter().map(|&(m, s)| (b(m), s)).collect()
    }

    fn req(args: &[&str]) -> Request {
        Request::from_args(args).expect("a request")
    }

    fn pairs(map: &ScoreMap) -> Vec<(String, f64)> {
        map.ranked().map(|(m, s)| (String::from_utf8_lossy(m).into_owned(), s)).collect()
    }

    fn text(fail: Fail) -> String {
        fail.text().into_owned()
    }

    fn opts(args: &[&str], setnum: usize, op: SetOp, store: bool, card: bool) -> SetOptions {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        parse_set_options(&args, setnum, op, store, card).expect("valid options")
    }

    fn opts_err(args: &[&str], setnum: usize, op: SetOp, store: bool, card: bool) -> String {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        text(parse_set_options(&args, setnum, op, store, card).expect_err("invalid options"))
    }

    #[test]
    fn aggregation_follows_redis() {
        let mut t = f64::INFINITY;
        aggregate(&mut t, f64::NEG_INFINITY, Aggregate::Sum);
        assert_eq!(t, 0.0, "inf + -inf is 0");
        let mut t = 2.0;
        aggregate(&mut t, f64::NAN, Aggregate::Min);
        assert_eq!(t, 2.0);
        aggregate(&mut t, f64::NAN, Aggregate::Max);
        assert_eq!(t, 2.0);
        aggregate(&mut t, 1.0, Aggregate::Min);
        assert_eq!(t, 1.0);
        aggregate(&mut t, 5.0, Aggregate::Max);
        assert_eq!(t, 5.0);
        assert_eq!(weighted(f64::INFINITY, 0.0), 0.0);
    }

    #[test]
    fn union_inter_diff_scores() {
        let a = set(&[("x", 1.0), ("y", 2.0), ("z", 3.0)]);
        let bb = set(&[("y", 5.0), ("w", 7.0)]);
        let sets = [Some(&a), Some(&bb)];
        let u = combine(&sets, &[1.0, 2.0], SetOp::Union, Aggregate::Sum);
        assert_eq!(
            pairs(&u),
            [("x".into(), 1.0), ("z".into(), 3.0), ("y".into(), 12.0), ("w".into(), 14.0)]
        );
        let u = combine(&sets, &[3.0, 4.0], SetOp::Union, Aggregate::Sum);
        assert_eq!(pairs(&u)[2..], [("y".into(), 26.0), ("w".into(), 28.0)]);
        let i = combine(&sets, &[1.0, 1.0], SetOp::Inter, Aggregate::Max);
        assert_eq!(pairs(&i), [("y".into(), 5.0)]);
        let i = combine(&sets, &[1.0, 1.0], SetOp::Inter, Aggregate::Min);
        assert_eq!(pairs(&i), [("y".into(), 2.0)]);
        let d = combine(&sets, &[1.0, 1.0], SetOp::Diff, Aggregate::Sum);
        assert_eq!(pairs(&d), [("x".into(), 1.0), ("z".into(), 3.0)]);
        let none = [None, Some(&a)];
        assert!(combine(&none, &[1.0, 1.0], SetOp::Inter, Aggregate::Sum).is_empty());
        assert!(combine(&none, &[1.0, 1.0], SetOp::Diff, Aggregate::Sum).is_empty());
        assert_eq!(combine(&none, &[1.0, 1.0], SetOp::Union, Aggregate::Sum).len(), 3);
        assert_eq!(inter_card(&sets, 0), 1);
        assert_eq!(inter_card(&[Some(&a), Some(&a)], 2), 2);
        assert_eq!(inter_card(&[Some(&a), None], 0), 0);
    }

    #[test]
    fn inter_with_infinite_weights_matches_redis() {
        // ZINTER 2 a a WEIGHTS inf -inf AGGREGATE MIN WITHSCORES on
        // {x: 0, y: 1} is y -inf, x 0 in Redis 7.0.
        let a = set(&[("x", 0.0), ("y", 1.0)]);
        let i = combine(
            &[Some(&a), Some(&a)],
            &[f64::INFINITY, f64::NEG_INFINITY],
            SetOp::Inter,
            Aggregate::Min,
        );
        assert_eq!(pairs(&i), [("y".into(), f64::NEG_INFINITY), ("x".into(), 0.0)]);
        // ZUNION ... WEIGHTS inf -inf: both 0.
        let u = combine(
            &[Some(&a), Some(&a)],
            &[f64::INFINITY, f64::NEG_INFINITY],
            SetOp::Union,
            Aggregate::Sum,
        );
        assert_eq!(pairs(&u), [("x".into(), 0.0), ("y".into(), 0.0)]);
    }

    #[test]
    fn set_options_parse_as_redis() {
        let o = opts(
            &["WEIGHTS", "2", "3", "aggregate", "MAX", "withscores"],
            2,
            SetOp::Union,
            false,
            false,
        );
        assert_eq!(o.weights, [2.0, 3.0]);
        assert_eq!(o.aggregate, Aggregate::Max);
        assert!(o.withscores);
        // Repeats: the last counts.
        let o = opts(
            &["weights", "1", "weights", "4", "withscores", "withscores"],
            1,
            SetOp::Inter,
            false,
            false,
        );
        assert_eq!(o.weights, [4.0]);
        assert_eq!(opts(&["LIMIT", "3"], 1, SetOp::Inter, false, true).limit, 3);
        let syntax = "ERR syntax error";
        assert_eq!(opts_err(&["weights", "1"], 2, SetOp::Union, false, false), syntax);
        assert_eq!(
            opts_err(&["weights", "1", "x"], 2, SetOp::Union, false, false),
            "ERR weight value is not a float"
        );
        assert_eq!(opts_err(&["aggregate", "avg"], 1, SetOp::Union, false, false), syntax);
        assert_eq!(opts_err(&["aggregate"], 1, SetOp::Union, false, false), syntax);
        assert_eq!(opts_err(&["withscores"], 1, SetOp::Union, true, false), syntax);
        assert_eq!(opts_err(&["weights", "1"], 1, SetOp::Diff, false, false), syntax);
        assert_eq!(opts_err(&["aggregate", "min"], 1, SetOp::Diff, false, false), syntax);
        assert_eq!(opts_err(&["withscores"], 1, SetOp::Inter, false, true), syntax);
        assert_eq!(
            opts_err(&["limit", "-1"], 1, SetOp::Inter, false, true),
            "ERR LIMIT can't be negative"
        );
        assert_eq!(
            opts_err(&["limit", "x"], 1, SetOp::Inter, false, true),
            "ERR LIMIT can't be negative"
        );
        assert_eq!(opts_err(&["limit"], 1, SetOp::Inter, false, true), syntax);
        assert_eq!(opts_err(&["limit", "1"], 1, SetOp::Inter, false, false), syntax);
    }

    #[test]
    fn numkeys_checks() {
        let args: Vec<&[u8]> = vec![b"zunion", b"2", b"a", b"b"];
        assert_eq!(parse_numkeys("zunion", &args, 1).ok(), Some(2));
        let args: Vec<&[u8]> = vec![b"zunion", b"3", b"a", b"b"];
        assert_eq!(text(parse_numkeys("zunion", &args, 1).unwrap_err()), "ERR syntax error");
        let args: Vec<&[u8]> = vec![b"zunionstore", b"d", b"0", b"a"];
        assert_eq!(
            text(parse_numkeys("zunionstore", &args, 2).unwrap_err()),
            "ERR at least 1 input key is needed for 'zunionstore' command"
        );
        let args: Vec<&[u8]> = vec![b"zunion", b"x", b"a"];
        assert_eq!(
            text(parse_numkeys("zunion", &args, 1).unwrap_err()),
            "ERR value is not an integer or out of range"
        );
    }

    #[test]
    fn keys_of_the_numkeys_forms() {
        let spec = super::super::lookup(b"zunionstore").expect("zunionstore").1;
        let keys = keys(
            Cmd::Zunionstore,
            spec,
            &req(&["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"]),
        );
        assert_eq!(keys, Some(vec![b("d"), b("a"), b("b")]));
        let keys = keys_of(Cmd::Zunion, &["ZUNION", "9", "a", "b"]);
        assert_eq!(keys, Some(vec![]));
        assert_eq!(
            keys_of(Cmd::Zmpop, &["ZMPOP", "2", "a", "b", "MIN"]),
            Some(vec![b("a"), b("b")])
        );
        assert_eq!(
            keys_of(Cmd::Bzpopmin, &["BZPOPMIN", "a", "b", "0"]),
            Some(vec![b("a"), b("b")])
        );
        assert_eq!(
            keys_of(Cmd::Bzmpop, &["BZMPOP", "0", "2", "a", "b", "MIN"]),
            Some(vec![b("a"), b("b")])
        );
        assert_eq!(keys_of(Cmd::Bzmpop, &["BZMPOP", "0", "9", "a", "b", "MIN"]), Some(vec![]));
    }

    fn keys_of(cmd: Cmd, args: &[&str]) -> Option<Vec<Bytes>> {
        let spec = super::super::lookup(command_name(cmd).as_bytes()).expect("in the table").1;
        keys(cmd, spec, &req(args))
    }

    #[test]
    fn mpop_arguments() {
        let plan = parse_mpop(&req(&["ZMPOP", "2", "a", "b", "max", "COUNT", "3"]), 1).unwrap();
        assert_eq!((plan.keys, plan.max, plan.count), (2..4, true, 3));
        let err = |args: &[&str]| text(parse_mpop(&req(args), 1).unwrap_err());
        assert_eq!(err(&["ZMPOP", "0", "a", "MIN"]), "ERR numkeys should be greater than 0");
        assert_eq!(err(&["ZMPOP", "x", "a", "MIN"]), "ERR numkeys should be greater than 0");
        assert_eq!(err(&["ZMPOP", "2", "a", "MIN"]), "ERR syntax error");
        assert_eq!(err(&["ZMPOP", "9223372036854775807", "a", "MIN"]), "ERR syntax error");
        assert_eq!(err(&["ZMPOP", "1", "a", "MID"]), "ERR syntax error");
        assert_eq!(
            err(&["ZMPOP", "1", "a", "MIN", "COUNT", "0"]),
            "ERR count should be greater than 0"
        );
        assert_eq!(err(&["ZMPOP", "1", "a", "MIN", "COUNT"]), "ERR syntax error");
        assert_eq!(
            err(&["ZMPOP", "1", "a", "MIN", "COUNT", "1", "COUNT", "1"]),
            "ERR syntax error"
        );
        let plan = parse_blocking(Cmd::Bzmpop, &req(&["BZMPOP", "1.5", "1", "a", "MIN"])).unwrap();
        assert_eq!((plan.keys, plan.timeout), (3..4, Some(Duration::from_millis(1500))));
        let plan = parse_blocking(Cmd::Bzpopmax, &req(&["BZPOPMAX", "a", "b", "0"])).unwrap();
        assert_eq!((plan.keys, plan.max, plan.nested, plan.timeout), (1..3, true, false, None));
    }

    #[test]
    fn timeouts_parse_as_redis() {
        let ok = |s: &str| parse_timeout(s.as_bytes()).map_err(text);
        assert_eq!(ok("0"), Ok(None));
        assert_eq!(ok("0.0005"), Ok(None), "under a millisecond is forever");
        assert_eq!(ok("-0.0001"), Ok(None), "truncates to 0");
        assert_eq!(ok("1.5"), Ok(Some(Duration::from_millis(1500))));
        assert_eq!(ok("0x10"), Ok(Some(Duration::from_secs(16))));
        assert!(matches!(ok("9000000000000000"), Ok(Some(_))), "a long wait is no error");
        let negative = Err("ERR timeout is negative".to_owned());
        assert_eq!(ok("-1"), negative);
        assert_eq!(ok("9223372036854776"), negative);
        assert_eq!(ok("1e30"), negative);
        assert_eq!(ok("inf"), negative);
        assert_eq!(ok("-inf"), negative);
        let not_float = Err("ERR timeout is not a float or out of range".to_owned());
        for bad in ["x", "", " 1", "1 ", "nan", "(1", "1.5s"] {
            assert_eq!(ok(bad), not_float, "{bad:?}");
        }
    }
}
