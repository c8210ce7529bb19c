//! Running data commands on the engine. A command that reads or writes keys
//! runs as one [`Cache::transact`](jotter::Cache::transact) over its keys:
//! its body sees the keys through a [`Txn`], decides, writes, and writes its
//! reply straight into the connection's output buffer, all while the keys
//! are locked, so the command is atomic and its reply matches what it did.
//! `MULTI`/`EXEC` runs the bodies of its queued commands in one such
//! transaction.
//!
//! # Writing a data command
//!
//! A family provides, per command, a body
//! `fn(cmd, req, &mut Txn, &mut ReplyWriter) -> Outcome` and the command's
//! keys (usually [`spec_keys`]). The body must check everything that can
//! fail (argument syntax, types, numbers) before it writes to the `Txn`: an
//! `Err` discards the transaction's writes when the command runs alone, but
//! inside `EXEC` the other commands' writes stand (as in Redis), so a body
//! that fails must not have written. A body writes exactly one reply on
//! `Ok`, none on `Err` (the error is the reply).
//!
//! # Write-through
//!
//! With write-through on for the connection (`JOTTER.WRITETHROUGH ON`) or
//! for the one command (`JOTTER.THROUGH <command> ...`), the reply is sent
//! only once every key the command wrote is in the store; if the store
//! refuses the write, the reply is that error instead.

use std::borrow::Cow;

use bytes::Bytes;
use jotter::{Durability, Error, Ticket, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::{Ctx, Flow, Spec, engine_error_text};

/// Why a data command failed; the error is its reply.
#[derive(Debug)]
pub(crate) enum Fail {
    /// An engine error, replied in Redis's words where Redis has them.
    Engine(Error),
    /// A Redis error reply, the text after the `-`.
    Reply(Cow<'static, str>),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Engine(e)
    }
}

impl Fail {
    /// The error reply's text.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Fail::Engine(e) => engine_error_text(e),
            Fail::Reply(text) => Cow::Borrowed(text),
        }
    }
}

/// A data command body's result.
pub(crate) type Outcome = Result<(), Fail>;

/// `-WRONGTYPE ...`.
pub(crate) fn wrong_type() -> Fail {
    Fail::Engine(Error::WrongType { expected: jotter::Shape::Blob })
}

/// `-ERR syntax error`.
pub(crate) fn syntax() -> Fail {
    Fail::Reply(Cow::Borrowed("ERR syntax error"))
}

/// `-ERR value is not an integer or out of range`.
pub(crate) fn not_integer() -> Fail {
    Fail::Reply(Cow::Borrowed("ERR value is not an integer or out of range"))
}

/// `-ERR value is not a valid float`.
pub(crate) fn not_float() -> Fail {
    Fail::Reply(Cow::Borrowed("ERR value is not a valid float"))
}

/// Any other error reply.
pub(crate) fn error(text: impl Into<Cow<'static, str>>) -> Fail {
    Fail::Reply(text.into())
}

/// The keys of a request where its spec places them (first, last, step).
pub(crate) fn spec_keys(spec: &Spec, req: &Request) -> Vec<Bytes> {
    let len = req.len();
    let first = usize::try_from(spec.first_key).unwrap_or(0);
    if first == 0 || first >= len {
        return Vec::new();
    }
    let last = if spec.last_key < 0 {
        len.saturating_sub(usize::from(spec.last_key.unsigned_abs()))
    } else {
        usize::try_from(spec.last_key).unwrap_or(0).min(len - 1)
    };
    let step = usize::try_from(spec.step).unwrap_or(1).max(1);
    (first..=last).step_by(step).filter_map(|i| req.arg_bytes(i)).collect()
}

/// Runs one data command: `body` over `keys` as one transaction, its reply
/// written into the output, then write-through if the connection asks.
/// With `blind`, the command's one key is overwritten without being read
/// (a plain `SET`), so it is not loaded from the store first.
pub(crate) async fn run(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    blind: bool,
    mut body: impl FnMut(&mut Txn<'_>, &mut ReplyWriter<'_>) -> Outcome,
) -> Flow {
    let protocol = ctx.client.protocol;
    let cache = &ctx.shared.cache;
    let out = ctx.out();
    let mark = out.len();
    let mut attempt = |txn: &mut Txn<'_>| {
        // The body may run again (waiting for room): only the last
        // attempt's reply stays.
        out.truncate(mark);
        body(txn, &mut ReplyWriter::new(out, protocol)).map_err(TxnFail::Command)
    };
    let result = match keys {
        [key] if blind => cache.write_blind_deferred(key, attempt).await,
        _ => cache.transact_deferred(keys, &mut attempt).await,
    };
    match result {
        Ok(((), tickets, durability)) => acknowledge(ctx, mark, tickets, durability).await,
        Err(e) => {
            ctx.out().truncate(mark);
            let text = match &e {
                TxnFail::Command(fail) => fail.text(),
                TxnFail::Engine(e) => engine_error_text(e),
            };
            ctx.reply().error(text.as_bytes());
        }
    }
    Flow::Continue
}

/// Makes the reply written since `mark` an acknowledgement of the
/// command's writes: normally it waits with the connection's other replies
/// until their log records are durable (the connection waits once per
/// pipeline, before it sends); write-through waits here until the store
/// has them, and replaces the reply with the error if it refuses them.
pub(crate) async fn acknowledge(
    ctx: &mut Ctx<'_>,
    mark: usize,
    tickets: Vec<Ticket>,
    durability: Durability,
) {
    if !ctx.client.write_through {
        ctx.client.unacknowledged.extend(durability);
        return;
    }
    let stored = async {
        durability.wait().await?;
        for ticket in tickets {
            ctx.shared.cache.stored(ticket).await?;
        }
        Ok::<(), Error>(())
    };
    if let Err(e) = stored.await {
        ctx.out().truncate(mark);
        ctx.reply().error(engine_error_text(&e).as_bytes());
    }
}

/// A transaction's failure: the command's own (its reply), or the
/// engine's (no room, shutting down, the store unreachable for a load).
#[derive(Debug)]
pub(crate) enum TxnFail {
    Command(Fail),
    Engine(Error),
}

impl From<Error> for TxnFail {
    fn from(e: Error) -> Self {
        TxnFail::Engine(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::lookup;

    fn req(args: &[&str]) -> Request {
        Request::from_args(args).expect("a request")
    }

    #[test]
    fn keys_follow_the_spec() {
        let (_, del) = lookup(b"del").unwrap();
        let keys = spec_keys(del, &req(&["DEL", "a", "b", "c"]));
        assert_eq!(keys, [Bytes::from("a"), Bytes::from("b"), Bytes::from("c")]);
        let (_, get) = lookup(b"get").unwrap();
        assert_eq!(spec_keys(get, &req(&["GET", "k"])), [Bytes::from("k")]);
        let (_, ping) = lookup(b"ping").unwrap();
        assert!(spec_keys(ping, &req(&["PING"])).is_empty());
    }
}
