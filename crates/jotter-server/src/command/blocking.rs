//! The blocking loop every blocking command runs outside `EXEC` (BLPOP,
//! BLMOVE, BZPOPMIN, ...): try, and if nothing was there, wait for a write
//! of one of the keys, in line with the other clients blocked on it.
//!
//! Such a command is a data command with
//! [`flag::BLOCKING`](crate::command::spec::flag::BLOCKING); its `apply` is
//! one attempt, which is how `EXEC` runs it (no blocking inside a
//! transaction, as in Redis). Anywhere else the dispatcher sends it to its
//! blocking handler, which calls [`block`]: each try is one transaction
//! over the keys; when it serves nothing the command waits for its turn
//! on a written key ([`Waiter`]: first come, first served, per key), then
//! tries again, until it is served, the timeout (a null array), the client
//! closing (no reply: the connection ends), a kill or the server stopping,
//! or `CLIENT UNBLOCK` (as a timeout, or an `UNBLOCKED` error).
//!
//! Nothing is lost to a client that leaves: the loop only stops between
//! tries, at its one wait, and a try that serves returns its reply at once.
//! Nothing drops the loop midway (the connection tells it the client closed
//! through [`Ctx::client_closed`] and waits for it).

use std::time::{Duration, Instant};

use bytes::Bytes;
use jotter::Txn;
use jotter_resp::ReplyWriter;

use super::args::{ScoreBound, parse_score_bound};
use super::data;
use super::fail::{self, Fail};
use super::spec::{Ctx, Flow};
use super::wake::{self, Waiter};
use crate::unblock::Unblocked;

/// Runs `attempt` over `keys` until it serves (writes a reply or fails),
/// waiting in line on `waits_on` (the keys it takes from: BLMOVE's
/// destination is written, not waited on) between tries, at most `timeout`
/// (`None`: forever). `attempt` gets `retry` true after
/// the first try (a retry skips keys of another type, as Redis leaves a
/// client blocked when its key becomes something else) and returns
/// whether it served.
pub(crate) async fn block(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    waits_on: &[Bytes],
    timeout: Option<Duration>,
    attempt: impl FnMut(&mut Txn<'_>, &mut ReplyWriter<'_>, bool) -> Result<bool, Fail>,
) -> Flow {
    // In line before the first look, so that a write after it is a turn.
    let waiter = Waiter::new(waits_on);
    run(ctx, keys, waits_on, waiter, timeout, attempt).await
}

/// [`block`] for a reader that takes nothing (XREAD and XREADGROUP with
/// BLOCK): every write of one of `keys` wakes it, and it holds no turn back
/// from the commands that take (a pop in line on the same key).
pub(crate) async fn watch(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    timeout: Option<Duration>,
    attempt: impl FnMut(&mut Txn<'_>, &mut ReplyWriter<'_>, bool) -> Result<bool, Fail>,
) -> Flow {
    let waiter = Waiter::watching(keys);
    run(ctx, keys, keys, waiter, timeout, attempt).await
}

async fn run(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    waits_on: &[Bytes],
    mut waiter: Waiter,
    timeout: Option<Duration>,
    mut attempt: impl FnMut(&mut Txn<'_>, &mut ReplyWriter<'_>, bool) -> Result<bool, Fail>,
) -> Flow {
    let started = Instant::now();
    let deadline = timeout.and_then(|t| started.checked_add(t));
    let kill = ctx.session.entry.kill.clone();
    let shutdown = ctx.shared.shutdown.clone();
    let entry = ctx.session.entry.clone();
    // Blocked (for CLIENT UNBLOCK and CLIENT LIST) from the first wait on.
    let mut blocked = None;
    let mut retry = false;
    let mut present: Vec<Bytes> = Vec::new();
    loop {
        waiter.take_turns();
        let mark = ctx.out().len();
        let flow = data::run(ctx, keys, false, |txn, w| {
            present.clear();
            present.extend(waits_on.iter().filter(|k| txn.get(k).is_some()).cloned());
            attempt(txn, w, retry).map(|_| ())
        })
        .await;
        if ctx.out().len() != mark {
            // Served (or failed): what it wrote (a move's destination) may
            // serve the next in line there.
            wake::wrote(keys);
            return flow;
        }
        waiter.pass(|key| present.contains(key));
        retry = true;
        let now = Instant::now();
        let expired = timeout.is_some_and(|t| now.duration_since(started) >= t);
        if expired || kill.is_cancelled() || shutdown.is_cancelled() {
            ctx.reply().null_array();
            return Flow::Continue;
        }
        let blocked = blocked.get_or_insert_with(|| entry.unblock.block());
        let until_deadline = async {
            match deadline {
                Some(d) => tokio::time::sleep(d.saturating_duration_since(now)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = until_deadline => {}
            () = waiter.turn() => {}
            () = kill.cancelled() => {}
            () = shutdown.cancelled() => {}
            how = blocked.asked() => {
                match how {
                    Unblocked::Timeout => ctx.reply().null_array(),
                    Unblocked::Error => {
                        ctx.reply().error(b"UNBLOCKED client unblocked via CLIENT UNBLOCK");
                    }
                }
                return Flow::Continue;
            }
            // Nobody to reply to: stop without taking anything.
            () = ctx.client_closed() => return Flow::Close,
        }
    }
}

/// What a blocking command waits on and for how long, as its own blocking
/// handler reads its arguments: for a cluster front end, which does the
/// waiting itself (`cluster/blocking.rs`).
#[derive(Debug, PartialEq)]
pub(crate) struct Wait {
    /// The keys it takes from (a move's destination is written, not
    /// waited on).
    pub(crate) waits_on: Vec<Bytes>,
    /// `None`: forever.
    pub(crate) timeout: Option<Duration>,
    /// False for XREAD and XREADGROUP without BLOCK, which never block.
    pub(crate) blocks: bool,
}

/// A blocking timeout in seconds, as Redis's `getTimeoutFromObjectOrReply`:
/// a `strtold` float (no leading space, the whole argument, not NaN; hex
/// and `inf` accepted) times 1000, truncated to whole milliseconds; 0 (so
/// also anything under a millisecond, even negative) waits forever. A value
/// whose milliseconds do not fit a `long long` converts to its minimum,
/// hence "negative", as on x86-64.
pub(crate) fn parse_timeout(arg: &[u8]) -> Result<Option<Duration>, Fail> {
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

    fn text(fail: Fail) -> String {
        fail.text().into_owned()
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
