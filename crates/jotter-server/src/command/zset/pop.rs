//! The pops: ZPOPMIN, ZPOPMAX, ZMPOP (`genericZpopCommand`,
//! `zmpopGenericCommand`) and the blocking BZPOPMIN, BZPOPMAX and BZMPOP
//! (`blockingGenericZpopCommand`).
//!
//!
//! BZPOPMIN, BZPOPMAX and BZMPOP are data commands with
//! [`flag::BLOCKING`](crate::command::spec::flag::BLOCKING): their `apply`
//! is one attempt (a null array if no key holds a sorted set), which is how
//! `EXEC` runs them; anywhere else [`block`] runs them in the blocking loop
//! (`command/blocking.rs`), served first come, first served per key.

use std::time::Duration;

use bytes::Bytes;
use jotter::{MapKind, Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::query::sorted_set;
use crate::command::blocking::{self, Wait, parse_timeout};
use crate::command::fail::{self, Fail, Outcome};
use crate::command::mpop;
use crate::command::spec::{BoxFlow, Ctx, Flow};

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
pub(super) fn pop_once(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let plan = parse_blocking(req)?;
    if !pop_first(req, &plan, txn, w, false)? {
        w.null_array();
    }
    Ok(())
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
    let keys = plan_keys(req, &plan);
    blocking::block(ctx, &keys, &keys, plan.timeout, |txn, w, retry| {
        pop_first(req, &plan, txn, w, retry)
    })
    .await
}

fn plan_keys(req: &Request, plan: &PopPlan) -> Vec<Bytes> {
    plan.keys.clone().filter_map(|i| req.arg_bytes(i)).collect()
}

/// What a blocking sorted-set pop waits on, or the error it answers.
pub(crate) fn wait(req: &Request) -> Result<Wait, Fail> {
    let plan = parse_blocking(req)?;
    Ok(Wait { waits_on: plan_keys(req, &plan), timeout: plan.timeout, blocks: true })
}

/// Pops up to `n` members from the sorted set at `key`, which must hold
/// one; returns them in pop order.
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
    let count = mpop::optional_count(req)?;
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
    let args = mpop::parse(req, at, [b"min", b"max"])?;
    Ok(PopPlan {
        keys: args.keys,
        max: args.second,
        count: args.count,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn req(args: &[&str]) -> Request {
        Request::from_args(args).expect("a request")
    }

    #[test]
    fn blocking_arguments() {
        let plan = parse_blocking(&req(&["BZMPOP", "1.5", "1", "a", "MIN"])).unwrap();
        assert_eq!((plan.keys, plan.timeout), (3..4, Some(Duration::from_millis(1500))));
        let plan = parse_blocking(&req(&["BZPOPMAX", "a", "b", "0"])).unwrap();
        assert_eq!((plan.keys, plan.max, plan.nested, plan.timeout), (1..3, true, false, None));
    }
}
