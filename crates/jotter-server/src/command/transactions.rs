//! Transactions: `MULTI`, `EXEC`, `DISCARD`, `WATCH`, `UNWATCH`.
//!
//! `EXEC` runs every queued data command in one engine transaction over the
//! union of their keys (and the watched keys): nothing else touches those
//! keys in between, and their writes are accepted together, all or none,
//! each key's writes folded into one write. A command that fails inside
//! `EXEC` replies its error and writes nothing; the others stand, as in
//! Redis (there is no rollback).
//!
//! `WATCH` records what each key held; `EXEC` compares, under the locks, and
//! aborts (a null reply) if any watched key changed. A key changed and then
//! changed back to the same value and expiry does not abort, where Redis
//! would: the comparison is by content, not by a modification counter.
//!
//! Commands that are not data commands (PING, INFO, KEYS, SCAN, ...) run
//! after the transaction, their replies in their places in `EXEC`'s reply.
//! Blocking commands never block inside `EXEC`, as in Redis.

use bytes::{Bytes, BytesMut};
use jotter_resp::{ReplyWriter, Request};

use super::data::{self, Fail};
use super::{Command, Ctx, Flow, Spec, flag, specs};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmd {
    Multi,
    Exec,
    Discard,
    Watch,
    Unwatch,
}

/// The commands a `MULTI` has queued.
#[derive(Debug, Default)]
pub(crate) struct Queued {
    /// Each command's index in the table and its request.
    pub commands: Vec<(usize, Request)>,
    /// A command could not be queued (unknown, wrong arity): `EXEC` refuses.
    pub failed: bool,
}

const fn spec(name: &'static str, arity: i16, summary: &'static str, cmd: Cmd) -> Spec {
    Spec::new(
        name,
        arity,
        flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST,
        "transactions",
        summary,
        "1.2.0",
        Command::Transactions(cmd),
    )
}

pub(super) const SPECS: &[Spec] = &[
    spec("multi", 1, "Starts a transaction.", Cmd::Multi),
    Spec {
        flags: flag::NOSCRIPT | flag::LOADING | flag::STALE,
        ..spec("exec", 1, "Executes all commands in a transaction.", Cmd::Exec)
    },
    spec("discard", 1, "Discards a transaction.", Cmd::Discard),
    spec(
        "watch",
        -2,
        "Monitors changes to keys to determine the execution of a transaction.",
        Cmd::Watch,
    )
    .keys(1, -1, 1),
    spec("unwatch", 1, "Forgets about watched keys of a transaction.", Cmd::Unwatch),
];

/// Whether a command runs at once even inside `MULTI`.
pub(crate) fn runs_inside_multi(command: Command) -> bool {
    matches!(
        command,
        Command::Transactions(Cmd::Exec | Cmd::Discard | Cmd::Multi | Cmd::Watch)
            | Command::Connection(super::connection::Cmd::Quit | super::connection::Cmd::Reset)
    )
}

pub(super) async fn execute(cmd: Cmd, req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    match cmd {
        Cmd::Multi => {
            if ctx.client.multi.is_some() {
                queue_failed(ctx);
                ctx.reply().error(b"ERR MULTI calls can not be nested");
            } else {
                ctx.client.multi = Some(Queued::default());
                ctx.reply().ok();
            }
        }
        Cmd::Discard => match ctx.client.multi.take() {
            None => ctx.reply().error(b"ERR DISCARD without MULTI"),
            Some(_) => {
                ctx.client.watched.clear();
                ctx.reply().ok();
            }
        },
        Cmd::Watch => {
            if ctx.client.multi.is_some() {
                queue_failed(ctx);
                ctx.reply().error(b"ERR WATCH inside MULTI is not allowed");
                return Flow::Continue;
            }
            for key in req.args().skip(1) {
                let key = Bytes::copy_from_slice(key);
                match ctx.shared.cache.get_entry(key.clone()).await {
                    Ok(entry) => ctx.client.watched.push((key, entry)),
                    Err(e) => {
                        super::reply_engine_error(ctx, &e);
                        return Flow::Continue;
                    }
                }
            }
            ctx.reply().ok();
        }
        Cmd::Unwatch => {
            ctx.client.watched.clear();
            ctx.reply().ok();
        }
        Cmd::Exec => return exec(ctx).await,
    }
    Flow::Continue
}

/// Queues a checked command inside `MULTI`. A command that writes but is
/// not a data command (FLUSHDB, FLUSHALL, JOTTER.THROUGH, JOTTER.FLUSH)
/// would run after the transaction's data commands, out of its place, so it
/// is refused and the transaction with it.
pub(crate) fn queue(ctx: &mut Ctx<'_>, index: usize, req: &Request) {
    let spec = specs()[index];
    if spec.has(flag::WRITE) && super::data_keys(spec.command, spec, req).is_none() {
        queue_failed(ctx);
        let text = format!("ERR '{}' cannot run inside MULTI", spec.name);
        ctx.reply().error(text.as_bytes());
        return;
    }
    if let Some(multi) = &mut ctx.client.multi {
        multi.commands.push((index, req.clone()));
    }
    ctx.reply().simple(b"QUEUED");
}

/// A command refused while queuing: `EXEC` will refuse the transaction.
pub(crate) fn queue_failed(ctx: &mut Ctx<'_>) {
    if let Some(multi) = &mut ctx.client.multi {
        multi.failed = true;
    }
}

/// How one queued command is answered.
enum Slot {
    /// A data command's reply, as a range of the transaction's buffer.
    Data(std::ops::Range<usize>),
    /// Run after the transaction.
    Later,
}

async fn exec(ctx: &mut Ctx<'_>) -> Flow {
    let Some(queued) = ctx.client.multi.take() else {
        ctx.reply().error(b"ERR EXEC without MULTI");
        return Flow::Continue;
    };
    let watched = std::mem::take(&mut ctx.client.watched);
    if queued.failed {
        ctx.reply().error(b"EXECABORT Transaction discarded because of previous errors.");
        return Flow::Continue;
    }
    let table = specs();
    let mut keys: Vec<Bytes> = watched.iter().map(|(k, _)| k.clone()).collect();
    let mut is_data = Vec::with_capacity(queued.commands.len());
    for (index, req) in &queued.commands {
        let spec = table[*index];
        let data_keys = super::data_keys(spec.command, spec, req);
        is_data.push(data_keys.is_some());
        keys.extend(data_keys.into_iter().flatten());
    }
    let protocol = ctx.client.protocol;
    let mut buf = BytesMut::new();
    let mut slots: Vec<Slot> = Vec::with_capacity(queued.commands.len());
    let result = ctx
        .shared
        .cache
        .transact_deferred(&keys, |txn| {
            buf.clear();
            slots.clear();
            for (key, entry) in &watched {
                if txn.entry(key) != entry.as_ref() {
                    return Ok::<bool, data::TxnFail>(false);
                }
            }
            for ((index, req), data) in queued.commands.iter().zip(&is_data) {
                if !data {
                    slots.push(Slot::Later);
                    continue;
                }
                let start = buf.len();
                let command = table[*index].command;
                let outcome =
                    super::data_apply(command, req, txn, &mut ReplyWriter::new(&mut buf, protocol));
                if let Err(fail) = outcome {
                    buf.truncate(start);
                    ReplyWriter::new(&mut buf, protocol).error(fail.text().as_bytes());
                }
                slots.push(Slot::Data(start..buf.len()));
            }
            Ok(true)
        })
        .await;
    let (tickets, durability) = match result {
        Ok((false, _, _)) => {
            ctx.reply().null_array();
            return Flow::Continue;
        }
        Ok((true, tickets, durability)) => (tickets, durability),
        Err(e) => {
            let text = match &e {
                data::TxnFail::Command(fail) => fail.text(),
                data::TxnFail::Engine(e) => super::engine_error_text(e),
            };
            ctx.reply().error(format!("EXECABORT {}", text.trim_start_matches("ERR ")).as_bytes());
            return Flow::Continue;
        }
    };
    // Acknowledged before anything else runs or is written: a later
    // command may close the connection, and the replies must not leave
    // before these writes are durable (write-through: stored; on a refusal
    // the reply is that error).
    let mark = ctx.out().len();
    data::acknowledge(ctx, mark, tickets, durability).await;
    if ctx.out().len() > mark {
        return Flow::Continue;
    }
    ctx.reply().array(slots.len());
    for (slot, (index, req)) in slots.iter().zip(&queued.commands) {
        match slot {
            Slot::Data(range) => ctx.out().extend_from_slice(&buf[range.clone()]),
            Slot::Later => {
                let command = table[*index].command;
                let spec = ctx.spec;
                ctx.spec = table[*index];
                // Boxed: EXEC runs commands, which may (in principle) be
                // any command, so the future would contain itself.
                let flow = Box::pin(super::run(command, req, ctx)).await;
                ctx.spec = spec;
                if flow == Flow::Close {
                    return Flow::Close;
                }
            }
        }
    }
    Flow::Continue
}

impl From<Fail> for data::TxnFail {
    fn from(fail: Fail) -> Self {
        data::TxnFail::Command(fail)
    }
}
