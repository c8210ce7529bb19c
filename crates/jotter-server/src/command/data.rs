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
//! `fn(req, &mut Txn, &mut ReplyWriter) -> Outcome` (the row's
//! [`data`](super::spec::data) kind) and, when its keys are not where its
//! spec places them, how to find them. The body must check everything that can
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

use bytes::Bytes;
use jotter::{Durability, Error, Ticket, Txn};
use jotter_resp::{ReplyWriter, Request};

use super::fail::{Fail, Outcome};
use super::spec::{Ctx, Data, Flow};
use crate::engine_error::reply_text;

/// Runs a data command alone (not in `EXEC`): its body over its keys.
pub(crate) async fn run_one(data: Data, keys: &[Bytes], req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    run(ctx, keys, (data.blind)(req), |txn, w| (data.apply)(req, txn, w)).await
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
    let protocol = ctx.session.protocol;
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
                TxnFail::Engine(e) => reply_text(e),
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
    super::pubsub::note_written(ctx.shared, ctx.session, &tickets);
    if !ctx.session.write_through {
        ctx.session.unacknowledged.extend(durability);
        return;
    }
    let stored = async {
        durability.wait().await?;
        for ticket in tickets {
            ctx.shared.cache.stored(ticket).await?;
        }
        Ok::<(), Error>(())
    };
    // Boxed: write-through is the cold path, and every data command's
    // future would otherwise be as large as the wait for the store.
    if let Err(e) = Box::pin(stored).await {
        ctx.out().truncate(mark);
        ctx.reply().error(reply_text(&e).as_bytes());
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

impl From<Fail> for TxnFail {
    fn from(fail: Fail) -> Self {
        TxnFail::Command(fail)
    }
}
