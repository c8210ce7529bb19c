//! ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD and ZRANGESTORE
//! (`zunionInterDiffGenericCommand`). Their inputs may be sets too, each
//! member scoring 1, as in Redis (ZRANGESTORE's source is a sorted set
//! only). A STORE form replaces its
//! destination whatever it held, without a TTL; an empty result deletes it.
//! Scores stored are kept with -0 as 0, as Redis's small encoding (and this
//! server's ZADD) keeps them; a reply computed and not stored shows the -0
//! it computed, as Redis's does.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use jotter::{ScoreMap, Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::query::{parse_range_query, select, sorted_set, write_members};
use crate::command::args::{parse_f64, parse_i64};
use crate::command::fail::{self, Fail, Outcome};
use crate::command::spec::Spec;

/// The `numkeys` keys after the count at argument 1 (ZUNION, ZINTER,
/// ZDIFF, ZINTERCARD, ZMPOP).
pub(crate) fn counted_at_1(_spec: &Spec, req: &Request) -> Vec<Bytes> {
    counted_keys(req, 1)
}

/// The `numkeys` keys after the count at argument 2 (BZMPOP).
pub(crate) fn counted_at_2(_spec: &Spec, req: &Request) -> Vec<Bytes> {
    counted_keys(req, 2)
}

/// The destination and the `numkeys` keys after it (the STORE forms).
pub(super) fn destination_and_counted(_spec: &Spec, req: &Request) -> Vec<Bytes> {
    let mut keys: Vec<Bytes> = req.arg_bytes(1).into_iter().collect();
    keys.extend(counted_keys(req, 2));
    keys
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

/// Which of the set commands runs.
struct SetCommand {
    name: &'static str,
    op: SetOp,
    store: bool,
    card: bool,
}

macro_rules! set_command {
    ($fn:ident, $op:ident, $store:literal, $card:literal) => {
        pub(super) fn $fn(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
            let command =
                SetCommand { name: stringify!($fn), op: SetOp::$op, store: $store, card: $card };
            set_command(&command, req, txn, w)
        }
    };
}

set_command!(zunion, Union, false, false);
set_command!(zinter, Inter, false, false);
set_command!(zdiff, Diff, false, false);
set_command!(zunionstore, Union, true, false);
set_command!(zinterstore, Inter, true, false);
set_command!(zdiffstore, Diff, true, false);
set_command!(zintercard, Inter, false, true);

pub(super) fn zrangestore(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let query = parse_range_query(req, 2, true, None, None)?;
    let src = req.arg(2).unwrap_or_default();
    let result: ScoreMap = match sorted_set(txn, src)? {
        None => ScoreMap::new(),
        Some(map) => select(map, &query).into_iter().map(|(m, s)| (m.clone(), s)).collect(),
    };
    store(txn, req.arg(1).unwrap_or_default(), result, w);
    Ok(())
}

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

/// `zunionInterDiffGenericCommand`: the count, the keys' types, the
/// options, then the result, replied, counted or stored.
fn set_command(
    command: &SetCommand,
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
) -> Outcome {
    let SetCommand { name, op, store, card } = *command;
    let at = if store { 2 } else { 1 };
    let args: Vec<&[u8]> = req.args().collect();
    let n = parse_numkeys(name, &args, at)?;
    let result = {
        let inputs = args[at + 1..=at + n]
            .iter()
            .map(|key| scored_input(txn, key))
            .collect::<Result<Vec<_>, Fail>>()?;
        let sets: Vec<Option<&ScoreMap>> = inputs.iter().map(Option::as_deref).collect();
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

/// An input of the set commands: a sorted set, or a set whose members all
/// score 1; `None` if absent, WRONGTYPE for any other type.
fn scored_input<'t>(txn: &'t Txn<'_>, key: &[u8]) -> Result<Option<Cow<'t, ScoreMap>>, Fail> {
    if let Some(Value::Set(members)) = txn.get(key) {
        return Ok(Some(Cow::Owned(members.iter().map(|m| (m.clone(), 1.0)).collect())));
    }
    Ok(sorted_set(txn, key)?.map(Cow::Borrowed))
}

/// The `numkeys` argument at `at`: an integer, at least 1, and no more
/// than the arguments after it.
fn parse_numkeys(name: &str, args: &[&[u8]], at: usize) -> Result<usize, Fail> {
    let n = args.get(at).copied().and_then(parse_i64).ok_or_else(fail::not_integer)?;
    if n < 1 {
        return Err(fail::error(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    match usize::try_from(n) {
        Ok(n) if n <= args.len().saturating_sub(at + 1) => Ok(n),
        _ => Err(fail::syntax()),
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
                    .ok_or_else(|| fail::error("ERR weight value is not a float"))?;
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
                return Err(fail::syntax());
            };
            j += 2;
        } else if !store && !card && arg.eq_ignore_ascii_case(b"withscores") {
            options.withscores = true;
            j += 1;
        } else if card && remaining >= 2 && arg.eq_ignore_ascii_case(b"limit") {
            options.limit = parse_i64(rest[j + 1])
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| fail::error("ERR LIMIT can't be negative"))?;
            j += 2;
        } else {
            return Err(fail::syntax());
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
        let keys =
            keys_of("zunionstore", &["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"]);
        assert_eq!(keys, Some(vec![b("d"), b("a"), b("b")]));
        let keys = keys_of("zunion", &["ZUNION", "9", "a", "b"]);
        assert_eq!(keys, Some(vec![]));
        assert_eq!(keys_of("zmpop", &["ZMPOP", "2", "a", "b", "MIN"]), Some(vec![b("a"), b("b")]));
        assert_eq!(keys_of("bzpopmin", &["BZPOPMIN", "a", "b", "0"]), Some(vec![b("a"), b("b")]));
        assert_eq!(
            keys_of("bzmpop", &["BZMPOP", "0", "2", "a", "b", "MIN"]),
            Some(vec![b("a"), b("b")])
        );
        assert_eq!(keys_of("bzmpop", &["BZMPOP", "0", "9", "a", "b", "MIN"]), Some(vec![]));
    }

    fn keys_of(name: &str, args: &[&str]) -> Option<Vec<Bytes>> {
        let spec = crate::command::lookup(name.as_bytes()).expect("in the table").1;
        spec.data_keys(&req(args))
    }
}
