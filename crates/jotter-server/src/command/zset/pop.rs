//! The pops: ZPOPMIN, ZPOPMAX, ZMPOP (`genericZpopCommand`,
//! `zmpopGenericCommand`) and the blocking BZPOPMIN, BZPOPMAX and BZMPOP
//! (`blockingGenericZpopCommand`).
//!
//!
//! BZPOPMIN, BZPOPMAX and BZMPOP are data commands with
//! [`flag::BLOCKING`](crate::command::spec::flag::BLOCKING). Their `apply` is one attempt (a null array if no key
//! holds a sorted set): that is how `EXEC` runs them, in queue order, as
//! Redis does (no blocking inside a transaction). Anywhere else the
//! dispatcher sends them to [`block`], the blocking loop: it tries a pop
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

use std::time::{Duration, Instant};

use bytes::Bytes;
use jotter::{MapKind, Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::query::sorted_set;
use crate::command::args::{ScoreBound, parse_i64, parse_score_bound};
use crate::command::data;
use crate::command::fail::{self, Fail, Outcome};
use crate::command::spec::{BoxFlow, Ctx, Flow};
use crate::command::wake::WriteWait;

pub(super) fn zpopmin(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    zpop(req, txn, w, false)
}

pub(super) fn zpopmax(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    zpop(req, txn, w, true)
}

pub(super) fn zmpop(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let plan = parse_mpop(req, 1)?;
    if !pop_first(req, &plan, txn, w, false)? {
        w.null_array();
    }
    Ok(())
}

/// BZPOPMIN, BZPOPMAX and BZMPOP inside `EXEC`: one attempt, as Redis
/// makes there (a timeout at once); elsewhere [`block`] runs them.
fn pop_once(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let plan = parse_blocking(req)?;
    if !pop_first(req, &plan, txn, w, false)? {
        w.null_array();
    }
    Ok(())
}

pub(super) fn bzpopmin(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    pop_once(req, txn, w)
}

pub(super) fn bzpopmax(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    pop_once(req, txn, w)
}

pub(super) fn bzmpop(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    pop_once(req, txn, w)
}

/// The blocking loop of BZPOPMIN, BZPOPMAX and BZMPOP (see the module
/// docs); the dispatcher runs it outside `EXEC`. Each attempt is one
/// transaction whose reply, if it popped, is in the output when it
/// returns; the loop's only wait is between attempts.
pub(super) fn block<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(blocking_loop(req, ctx))
}

async fn blocking_loop(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let plan = match parse_blocking(req) {
        Ok(plan) => plan,
        Err(fail) => {
            ctx.reply().error(fail.text().as_bytes());
            return Flow::Continue;
        }
    };
    let keys: Vec<Bytes> = plan.keys.clone().filter_map(|i| req.arg_bytes(i)).collect();
    let started = Instant::now();
    let deadline = plan.timeout.and_then(|t| started.checked_add(t));
    let kill = ctx.session.entry.kill.clone();
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

/// `ZPOPMIN`/`ZPOPMAX key [count]`: a flat member, score, ... array, except in
/// RESP3 with a count: an array of [member, score] pairs.
fn zpop(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, max: bool) -> Outcome {
    if req.len() > 3 {
        return Err(fail::syntax());
    }
    let count = match req.arg(2) {
        None => None,
        Some(arg) => Some(
            parse_i64(arg)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| fail::error("ERR value is out of range, must be positive"))?,
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
            Some(_) => return Err(fail::wrong_type()),
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
        .ok_or_else(|| fail::error("ERR numkeys should be greater than 0"))?;
    let where_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(at + 1))
        .filter(|&i| i < argc)
        .ok_or_else(fail::syntax)?;
    let side = req.arg(where_at).unwrap_or_default();
    let max = if side.eq_ignore_ascii_case(b"min") {
        false
    } else if side.eq_ignore_ascii_case(b"max") {
        true
    } else {
        return Err(fail::syntax());
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
                .ok_or_else(|| fail::error("ERR count should be greater than 0"))?;
            count = Some(n);
        } else {
            return Err(fail::syntax());
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
fn parse_blocking(req: &Request) -> Result<PopPlan, Fail> {
    let argc = req.len();
    match req.name() {
        name if name.eq_ignore_ascii_case(b"bzmpop") => {
            let mut plan = parse_mpop(req, 2)?;
            plan.timeout = parse_timeout(req.arg(1).unwrap_or_default())?;
            Ok(plan)
        }
        _ => Ok(PopPlan {
            timeout: parse_timeout(req.arg(argc - 1).unwrap_or_default())?,
            keys: 1..argc - 1,
            max: req.name().eq_ignore_ascii_case(b"bzpopmax"),
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
    let not_float = || fail::error("ERR timeout is not a float or out of range");
    let negative = || fail::error("ERR timeout is negative");
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

    fn req(args: &[&str]) -> Request {
        Request::from_args(args).expect("a request")
    }

    fn text(fail: Fail) -> String {
        fail.text().into_owned()
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
        let plan = parse_blocking(&req(&["BZMPOP", "1.5", "1", "a", "MIN"])).unwrap();
        assert_eq!((plan.keys, plan.timeout), (3..4, Some(Duration::from_millis(1500))));
        let plan = parse_blocking(&req(&["BZPOPMAX", "a", "b", "0"])).unwrap();
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
