//! The pops: LPOP, RPOP (`popGenericCommand`), LMPOP, LMOVE and RPOPLPUSH,
//! and the blocking BLPOP, BRPOP, BLMPOP, BLMOVE and BRPOPLPUSH
//! (`blockingPopGenericCommand`, `blmoveGenericCommand`).
//!
//! The blocking ones are data commands with
//! [`flag::BLOCKING`](crate::command::spec::flag::BLOCKING): their `apply`
//! is one attempt, which is how `EXEC` runs them (a null array, or for the
//! moves a null, when there is nothing to take, as Redis answers a client
//! that may not block); anywhere else [`block`] runs them in the blocking
//! loop (`command/blocking.rs`), served first come, first served per key.

use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use jotter::{Txn, Value};
use jotter_resp::{ReplyWriter, Request};

use super::elements::{End, list, move_one, parse_end, pop_n};
use crate::command::blocking::{self, Wait, parse_timeout};
use crate::command::fail::{self, Fail, Outcome};
use crate::command::mpop;
use crate::command::spec::{BoxFlow, Ctx, Flow};

pub(super) fn lpop(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    pop_command(req, txn, w, End::Left, "lpop")
}

pub(super) fn rpop(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    pop_command(req, txn, w, End::Right, "rpop")
}

/// `LPOP`/`RPOP key [count]`: one element (or null), or with a count an
/// array (a null array if the key is absent).
fn pop_command(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    end: End,
    name: &str,
) -> Outcome {
    if req.len() > 3 {
        return Err(fail::arity(name));
    }
    let count = mpop::optional_count(req)?;
    let key = req.arg(1).unwrap_or_default();
    if list(txn, key)?.is_none() {
        match count {
            Some(_) => w.null_array(),
            None => w.null(),
        }
        return Ok(());
    }
    let popped = pop_n(txn, key, end, count.unwrap_or(1))?;
    match count {
        Some(_) => {
            w.array(popped.len());
            popped.iter().for_each(|v| w.bulk(v));
        }
        None => w.bulk_or_null(popped.first().map(|v| &v[..])),
    }
    Ok(())
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`.
pub(super) fn lmove(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let from = parse_end(req.arg(3).unwrap_or_default())?;
    let to = parse_end(req.arg(4).unwrap_or_default())?;
    move_command(req, txn, w, (from, to))
}

/// `RPOPLPUSH source destination`: LMOVE from the right to the left.
pub(super) fn rpoplpush(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    move_command(req, txn, w, (End::Right, End::Left))
}

fn move_command(
    req: &Request,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    ends: (End, End),
) -> Outcome {
    if !serve(req, &What::Move(ends.0, ends.1), txn, w, false)? {
        w.null();
    }
    Ok(())
}

/// `LMPOP numkeys key... LEFT|RIGHT [COUNT n]`.
pub(super) fn lmpop(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let what = parse_mpop(req, 1)?;
    if !serve(req, &what, txn, w, false)? {
        w.null_array();
    }
    Ok(())
}

/// A blocking list command inside `EXEC`: one attempt, as Redis makes for
/// a client that may not block (a timeout at once).
pub(super) fn serve_once(req: &Request, txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>) -> Outcome {
    let (what, _) = parse_blocking(req)?;
    if !serve(req, &what, txn, w, false)? {
        match what {
            What::Move(..) => w.null(),
            What::Pop { .. } => w.null_array(),
        }
    }
    Ok(())
}

/// The blocking loop of the blocking list commands (see the module docs);
/// the dispatcher runs it outside `EXEC`.
pub(super) fn block<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        let (what, timeout) = match parse_blocking(req) {
            Ok(parsed) => parsed,
            Err(fail) => {
                ctx.reply().error(fail.text().as_bytes());
                return Flow::Continue;
            }
        };
        let (keys, waits_on) = key_ranges(req, &what);
        let serve =
            |txn: &mut Txn<'_>, w: &mut ReplyWriter<'_>, retry| serve(req, &what, txn, w, retry);
        blocking::block(ctx, &keys, &keys[..waits_on], timeout, serve).await
    })
}

/// The keys of a blocking list command and how many of them, first, it
/// waits on.
fn key_ranges(req: &Request, what: &What) -> (Vec<Bytes>, usize) {
    let (keys, waits_on): (Range<usize>, usize) = match what {
        What::Pop { keys, .. } => (keys.clone(), keys.len()),
        // The destination is written, not waited on.
        What::Move(..) => (1..3, 1),
    };
    (keys.filter_map(|i| req.arg_bytes(i)).collect(), waits_on)
}

/// What a blocking list command waits on, or the error it answers.
pub(crate) fn wait(req: &Request) -> Result<Wait, Fail> {
    let (what, timeout) = parse_blocking(req)?;
    let (mut keys, waits_on) = key_ranges(req, &what);
    keys.truncate(waits_on);
    Ok(Wait { waits_on: keys, timeout, blocks: true })
}

/// What a pop takes and how it replies.
#[derive(Clone, Debug, PartialEq)]
enum What {
    /// From the first key holding a list (the argument indexes `keys`):
    /// `count` elements at `end`; `nested` is LMPOP's `[key, [element...]]`,
    /// else BLPOP's `[key, element]`.
    Pop { keys: Range<usize>, end: End, count: usize, nested: bool },
    /// One element from the source (argument 1) at the first end, pushed
    /// at the second end of the destination (argument 2); the element.
    Move(End, End),
}

/// Takes what `what` says and writes the reply; `Ok(false)`, writing
/// nothing, if there is nothing to take. A key of another type is
/// WRONGTYPE, unless `skip_wrong_type` (a blocked retry).
fn serve(
    req: &Request,
    what: &What,
    txn: &mut Txn<'_>,
    w: &mut ReplyWriter<'_>,
    skip_wrong_type: bool,
) -> Result<bool, Fail> {
    match what {
        What::Move(from, to) => {
            let (src, dst) = (req.arg(1).unwrap_or_default(), req.arg(2).unwrap_or_default());
            if skip_wrong_type && !holds_list(txn, src) {
                return Ok(false);
            }
            let Some(value) = move_one(txn, (src, *from), (dst, *to))? else {
                return Ok(false);
            };
            w.bulk(&value);
            Ok(true)
        }
        What::Pop { keys, end, count, nested } => {
            for i in keys.clone() {
                let key = req.arg(i).unwrap_or_default();
                match txn.get(key) {
                    None => continue,
                    Some(Value::List(_)) => {}
                    Some(_) if skip_wrong_type => continue,
                    Some(_) => return Err(fail::wrong_type()),
                }
                let popped = pop_n(txn, key, *end, *count)?;
                w.array(2);
                w.bulk(key);
                if *nested {
                    w.array(popped.len());
                }
                popped.iter().for_each(|v| w.bulk(v));
                return Ok(true);
            }
            Ok(false)
        }
    }
}

fn holds_list(txn: &Txn<'_>, key: &[u8]) -> bool {
    matches!(txn.get(key), None | Some(Value::List(_)))
}

/// LMPOP's (`at` 1) or BLMPOP's (`at` 2) arguments.
fn parse_mpop(req: &Request, at: usize) -> Result<What, Fail> {
    let args = mpop::parse(req, at, [b"left", b"right"])?;
    let end = if args.second { End::Right } else { End::Left };
    Ok(What::Pop { keys: args.keys, end, count: args.count, nested: true })
}

/// A blocking command's arguments, in the order Redis reads them, and its
/// timeout (`None`: forever).
fn parse_blocking(req: &Request) -> Result<(What, Option<Duration>), Fail> {
    let name = req.name();
    let argc = req.len();
    let arg = |i: usize| req.arg(i).unwrap_or_default();
    if name.eq_ignore_ascii_case(b"blmpop") {
        let what = parse_mpop(req, 2)?;
        Ok((what, parse_timeout(arg(1))?))
    } else if name.eq_ignore_ascii_case(b"blmove") {
        let what = What::Move(parse_end(arg(3))?, parse_end(arg(4))?);
        Ok((what, parse_timeout(arg(5))?))
    } else if name.eq_ignore_ascii_case(b"brpoplpush") {
        Ok((What::Move(End::Right, End::Left), parse_timeout(arg(3))?))
    } else {
        let timeout = parse_timeout(arg(argc - 1))?;
        let end = if name.eq_ignore_ascii_case(b"brpop") { End::Right } else { End::Left };
        Ok((What::Pop { keys: 1..argc - 1, end, count: 1, nested: false }, timeout))
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
        let (what, timeout) =
            parse_blocking(&req(&["BLMPOP", "1.5", "2", "a", "b", "RIGHT"])).unwrap();
        assert_eq!(what, What::Pop { keys: 3..5, end: End::Right, count: 1, nested: true });
        assert_eq!(timeout, Some(Duration::from_millis(1500)));
        let (what, timeout) = parse_blocking(&req(&["BRPOP", "a", "b", "0"])).unwrap();
        assert_eq!(what, What::Pop { keys: 1..3, end: End::Right, count: 1, nested: false });
        assert_eq!(timeout, None);
        let (what, _) = parse_blocking(&req(&["BLMOVE", "a", "b", "left", "RIGHT", "1"])).unwrap();
        assert_eq!(what, What::Move(End::Left, End::Right));
        let err = parse_blocking(&req(&["BLMOVE", "a", "b", "up", "left", "x"])).unwrap_err();
        assert_eq!(err.text(), "ERR syntax error", "the ends are read before the timeout");
    }
}
