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
//! Scripts (EVAL, FCALL, ...) run in their places inside the transaction,
//! their declared keys added to it (`script/in_exec.rs`); one that names a
//! key the transaction does not hold runs the whole body again with it.
//! Other commands that are not data commands (PING, INFO, KEYS, SCAN, ...)
//! run after the transaction, their replies in their places in `EXEC`'s
//! reply.
//! Blocking commands never block inside `EXEC`, as in Redis.

use bytes::{Bytes, BytesMut};
use jotter_resp::{ReplyWriter, Request};

use super::data;
use super::observe;
use super::script;
use super::spec::{BoxFlow, Ctx, Flow, Kind, Spec, flag, now, waits};
use super::wake;

/// Every transaction command runs at once inside `MULTI` except UNWATCH,
/// which Redis queues.
const FLAGS: u16 = flag::NOSCRIPT | flag::LOADING | flag::STALE;

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "multi",
        1,
        FLAGS | flag::FAST | flag::NOQUEUE,
        "transactions",
        "Starts a transaction.",
        "1.2.0",
        now(multi),
    ),
    Spec::new(
        "exec",
        1,
        FLAGS | flag::NOQUEUE,
        "transactions",
        "Executes all commands in a transaction.",
        "1.2.0",
        waits(exec),
    ),
    Spec::new(
        "discard",
        1,
        FLAGS | flag::FAST | flag::NOQUEUE,
        "transactions",
        "Discards a transaction.",
        "1.2.0",
        now(discard),
    ),
    Spec::new(
        "watch",
        -2,
        FLAGS | flag::FAST | flag::NOQUEUE,
        "transactions",
        "Monitors changes to keys to determine the execution of a transaction.",
        "1.2.0",
        waits(watch),
    )
    .keys(1, -1, 1),
    Spec::new(
        "unwatch",
        1,
        FLAGS | flag::FAST,
        "transactions",
        "Forgets about watched keys of a transaction.",
        "1.2.0",
        now(unwatch),
    ),
];

fn multi(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    if ctx.session.multi.is_some() {
        // Only the reply: Redis does not flag the transaction for it.
        ctx.reply().error(b"ERR MULTI calls can not be nested");
    } else {
        ctx.session.multi = Some(Default::default());
        ctx.reply().ok();
    }
    Flow::Continue
}

fn discard(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    match ctx.session.multi.take() {
        None => ctx.reply().error(b"ERR DISCARD without MULTI"),
        Some(_) => {
            ctx.session.watched.clear();
            ctx.reply().ok();
        }
    }
    Flow::Continue
}

fn unwatch(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    ctx.session.watched.clear();
    ctx.reply().ok();
    Flow::Continue
}

fn watch<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        if ctx.session.multi.is_some() {
            // Only the reply: Redis does not flag the transaction for it.
            ctx.reply().error(b"ERR WATCH inside MULTI is not allowed");
            return Flow::Continue;
        }
        for key in req.args().skip(1) {
            let key = Bytes::copy_from_slice(key);
            match ctx.shared.cache.get_entry(key.clone()).await {
                Ok(entry) => ctx.session.watched.push((key, entry)),
                Err(e) => {
                    ctx.engine_error(&e);
                    return Flow::Continue;
                }
            }
        }
        ctx.reply().ok();
        Flow::Continue
    })
}

/// How one queued command is answered.
enum Slot {
    /// A data command's reply, as a range of the transaction's buffer.
    Data(std::ops::Range<usize>),
    /// Run after the transaction.
    Later,
}

fn exec<'a>(_req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        // The queued commands run here, not through the dispatcher: none
        // of them blocks, as in Redis.
        let may_block = std::mem::replace(&mut ctx.may_block, false);
        let flow = run_queued(ctx).await;
        ctx.may_block = may_block;
        flow
    })
}

async fn run_queued(ctx: &mut Ctx<'_>) -> Flow {
    let Some(queued) = ctx.session.multi.take() else {
        ctx.reply().error(b"ERR EXEC without MULTI");
        return Flow::Continue;
    };
    let watched = std::mem::take(&mut ctx.session.watched);
    if queued.failed {
        ctx.reply().error(b"EXECABORT Transaction discarded because of previous errors.");
        return Flow::Continue;
    }
    let table = ctx.commands.specs();
    // The user's rules may have changed since a command was queued: a
    // command they no longer allow gets Redis's refusal in its place.
    let refused: Vec<Option<String>> = queued
        .commands
        .iter()
        .map(|(index, req)| super::acl::check_queued(ctx, *index, table[*index], req).err())
        .collect();
    let queue: Vec<(&Spec, &Request)> =
        queued.commands.iter().map(|(index, req)| (table[*index], req)).collect();
    let shared = ctx.shared;
    let scripts = script::InExec::resolve(shared, ctx.commands, &queue, &refused).await;
    let is_script = |at: usize| scripts.as_ref().is_some_and(|s| s.is_script(at));
    let mut keys: Vec<Bytes> = watched.iter().map(|(k, _)| k.clone()).collect();
    let mut is_data = Vec::with_capacity(queue.len());
    for (at, ((spec, req), refused)) in queue.iter().zip(&refused).enumerate() {
        let data_keys = spec.data_keys(req).filter(|_| refused.is_none());
        is_data.push(data_keys.is_some() || refused.is_some() || is_script(at));
        keys.extend(data_keys.into_iter().flatten());
    }
    keys.extend(scripts.iter().flat_map(script::InExec::keys).cloned());
    let session = &mut *ctx.session;
    let protocol = session.protocol;
    let mut buf = BytesMut::new();
    let mut slots: Vec<Slot> = Vec::with_capacity(queue.len());
    // With scripts queued, the write commands whose keyspace events the
    // transaction publishes: the queue's, each script's own in its place.
    let mut events: Vec<(usize, Request)> = Vec::new();
    let result = script::transact_declaring(&shared.cache, &mut keys, |txn, declared| {
        buf.clear();
        slots.clear();
        events.clear();
        for (key, entry) in &watched {
            if txn.entry(key) != entry.as_ref() {
                return Ok(false);
            }
        }
        for (at, (((index, req), data), refused)) in
            queued.commands.iter().zip(&is_data).zip(&refused).enumerate()
        {
            if !data {
                slots.push(Slot::Later);
                continue;
            }
            let start = buf.len();
            if let Some(scripts) = scripts.as_ref().filter(|s| s.is_script(at)) {
                events.extend(scripts.run(at, session, declared, txn, &mut buf)?);
                slots.push(Slot::Data(start..buf.len()));
                continue;
            }
            if let Some(text) = refused {
                ReplyWriter::new(&mut buf, protocol).error(text.as_bytes());
                slots.push(Slot::Data(start..buf.len()));
                continue;
            }
            if scripts.is_some() {
                events.push((*index, req.clone()));
            }
            let Kind::Data(data) = table[*index].kind else { continue };
            let outcome = (data.apply)(req, txn, &mut ReplyWriter::new(&mut buf, protocol));
            if let Err(fail) = outcome {
                buf.truncate(start);
                ReplyWriter::new(&mut buf, protocol).error(fail.text().as_bytes());
            }
            slots.push(Slot::Data(start..buf.len()));
        }
        Ok(true)
    })
    .await;
    // Unlocked before the commands run after the transaction (SCRIPT LOAD,
    // FUNCTION ... lock the interpreter too).
    let ran_scripts = scripts.is_some();
    drop(scripts);
    let (tickets, durability) = match result {
        Ok((false, _, _)) => {
            ctx.reply().null_array();
            return Flow::Continue;
        }
        Ok((true, tickets, durability)) => (tickets, durability),
        Err(unrun) => {
            let text = match &unrun {
                script::Unrun::Engine(e) => crate::engine_error::reply_text(e),
                script::Unrun::TooManyKeys => script::TOO_MANY_KEYS.into(),
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
    // The keys written may serve clients blocked on them (any key the
    // transaction declared: a turn given for a key not written is one
    // more look).
    wake::wrote(&keys);
    super::pubsub::after_exec(if ran_scripts { &events } else { &queued.commands }, ctx);
    if ctx.out().len() > mark {
        return Flow::Continue;
    }
    ctx.reply().array(slots.len());
    for (slot, (index, req)) in slots.iter().zip(&queued.commands) {
        match slot {
            Slot::Data(range) => {
                observe::in_exec(ctx.shared, *index, &buf[range.clone()]);
                ctx.out().extend_from_slice(&buf[range.clone()]);
            }
            Slot::Later => {
                let Kind::Control(handler) = table[*index].kind else { continue };
                let mark = ctx.out().len();
                let flow = handler.run(req, ctx).await;
                observe::in_exec(ctx.shared, *index, &ctx.out()[mark..]);
                if flow == Flow::Close {
                    return Flow::Close;
                }
            }
        }
    }
    Flow::Continue
}
