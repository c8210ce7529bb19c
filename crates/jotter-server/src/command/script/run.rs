//! Running one script or function atomically: the whole script is the body
//! of one engine transaction over its keys, as `EXEC` runs its queue
//! (`transactions.rs`). Nothing else reads or writes those keys while it
//! runs; its writes are accepted together, each key's folded into one
//! write, and written behind together; only their effects reach the log
//! and the store, never the script.
//!
//! The keys are the ones the script declares (EVAL's `numkeys`). A script
//! that names another key (Redis allows it outside a cluster) is stopped
//! at that command, its writes dropped, and run again from the start with
//! that key declared as well, until it runs through: what it finally does
//! is atomic over every key it touched. As in Redis, a script that fails
//! part-way keeps the writes it made before the error.
//!
//! A script queued inside `MULTI` runs through the same [`on_txn`], on
//! `EXEC`'s transaction (`in_exec.rs`), and [`transact_declaring`] reruns
//! that whole transaction when one of its scripts names a key it lacks.
//!
//! While the script runs its thread is given over to it
//! (`block_in_place`), so the other connections' tasks move to the other
//! workers and can be told `BUSY`, or kill the script.

use bytes::Bytes;
use jotter::{Durability, Ticket, Txn};
use jotter_resp::{Frame, Request};
use mlua::{Function, MultiValue, Value};

use super::busy::{self, KILLED};
use super::call::{Call, Called, UNDECLARED};
use super::convert;
use super::sandbox::{Interpreter, raise};
use super::scripts::Engine;
use crate::command::spec::{Ctx, Flow};
use crate::command::wake;
use crate::command::{data, pubsub};

/// Most times a script runs again to declare keys it named, before it is
/// refused.
const MAX_ROUNDS: usize = 16;

/// The refusal of a script that named undeclared keys in each of
/// [`MAX_ROUNDS`] runs.
pub(crate) const TOO_MANY_KEYS: &str = "ERR the script names too many keys it did not declare";

/// A script or function ready to run: found, checked, with its arguments.
pub(super) struct Script {
    pub f: Function,
    /// The script's SHA-1 or the function's name, for error texts.
    pub name: String,
    /// `busy::EVAL` or `busy::FUNCTION`.
    pub kind: u8,
    pub read_only: bool,
    /// The keys it declares (`numkeys`) and its other arguments: EVAL's
    /// `KEYS` and `ARGV` globals, FCALL's two tables, made afresh for each
    /// run so a run again starts from what the client sent.
    pub keys: Vec<Bytes>,
    pub argv: Vec<Bytes>,
}

/// Why a run of a transaction's body ended without committing.
pub(crate) enum Stop {
    /// A script named keys the transaction did not hold.
    Undeclared(Vec<Bytes>),
    Engine(jotter::Error),
}

impl From<jotter::Error> for Stop {
    fn from(e: jotter::Error) -> Self {
        Stop::Engine(e)
    }
}

/// Why [`transact_declaring`] committed nothing.
pub(crate) enum Unrun {
    Engine(jotter::Error),
    /// Still undeclared keys after [`MAX_ROUNDS`]: [`TOO_MANY_KEYS`].
    TooManyKeys,
}

/// Runs `body` as one engine transaction over `declared`; each time it
/// stops naming keys the transaction did not hold, its writes are dropped
/// and it runs again from the start with them added to `declared`. What it
/// returned and its writes' tickets and durability, to acknowledge.
pub(crate) async fn transact_declaring<R>(
    cache: &crate::state::Engine,
    declared: &mut Vec<Bytes>,
    mut body: impl FnMut(&mut Txn<'_>, &[Bytes]) -> Result<R, Stop>,
) -> Result<(R, Vec<Ticket>, Durability), Unrun> {
    for _ in 0..MAX_ROUNDS {
        let keys: &[Bytes] = declared;
        match cache.transact_deferred(keys, |txn| body(txn, keys)).await {
            Ok(done) => return Ok(done),
            Err(Stop::Undeclared(more)) => {
                for key in more {
                    if !declared.contains(&key) {
                        declared.push(key);
                    }
                }
            }
            Err(Stop::Engine(e)) => return Err(Unrun::Engine(e)),
        }
    }
    Err(Unrun::TooManyKeys)
}

/// EVAL's and FCALL's forms: takes the interpreter (made if need be),
/// runs the script `prepare` makes of the request, or replies why there is
/// none (the interpreter could not be made, NOSCRIPT, a bad numkeys ...).
pub(super) async fn prepare_and_run(
    ctx: &mut Ctx<'_>,
    prepare: impl FnOnce(&mut Engine) -> Result<Script, String>,
) -> Flow {
    let shared = ctx.shared;
    let prepared = match shared.scripts.engine().await {
        Ok(mut engine) => prepare(&mut engine).map(|script| (engine, script)),
        Err(text) => Err(text),
    };
    match prepared {
        Ok((engine, script)) => run(ctx, &engine.interpreter, script).await,
        Err(text) => {
            ctx.reply().error(text.as_bytes());
            Flow::Continue
        }
    }
}

/// Runs `script` on its own keys and replies what it returned.
pub(super) async fn run(ctx: &mut Ctx<'_>, interpreter: &Interpreter, script: Script) -> Flow {
    let shared = ctx.shared;
    let commands = ctx.commands;
    let session = &mut *ctx.session;
    let mut declared = script.keys.clone();
    let result = transact_declaring(&shared.cache, &mut declared, |txn, declared| {
        on_txn(interpreter, &script, Call::new(shared, &mut *session, commands, declared), txn)
    })
    .await;
    match result {
        Ok(((reply, wrote), tickets, durability)) => {
            let mark = ctx.out().len();
            data::acknowledge(ctx, mark, tickets, durability).await;
            pubsub::after_exec(&wrote, ctx);
            wake::wrote(&declared);
            if ctx.out().len() == mark {
                reply.encode(ctx.session.protocol, ctx.out());
            }
        }
        Err(Unrun::Engine(e)) => ctx.engine_error(&e),
        Err(Unrun::TooManyKeys) => ctx.reply().error(TOO_MANY_KEYS.as_bytes()),
    }
    Flow::Continue
}

/// Runs `script` on `txn`, which holds `call.declared`: its reply (errors
/// included) and the write commands it ran, or [`Stop::Undeclared`] when it
/// named keys `txn` does not hold (the transaction must not commit). The
/// script is the running one (BUSY, SCRIPT KILL) while it runs.
pub(super) fn on_txn(
    interpreter: &Interpreter,
    script: &Script,
    mut call: Call<'_>,
    txn: &mut Txn<'_>,
) -> Result<(Frame, Vec<(usize, Request)>), Stop> {
    call.read_only = script.read_only;
    let _started = call.running.start(script.kind);
    let reply = given_over(|| run_once(interpreter, script, &mut call, txn));
    if !call.undeclared.is_empty() {
        return Err(Stop::Undeclared(call.undeclared));
    }
    Ok((reply, call.wrote))
}

/// One run of the script on the transaction: its reply, errors included.
fn run_once(
    interpreter: &Interpreter,
    script: &Script,
    call: &mut Call<'_>,
    txn: &mut Txn<'_>,
) -> Frame {
    let running = call.running;
    let result = interpreter.lua().scope(|scope| {
        let runner = scope.create_function_mut(|lua, args: MultiValue| {
            if running.killed() {
                return Err(raise(KILLED.into()));
            }
            let mut args = args.into_iter();
            let resp3 = match args.next() {
                Some(Value::Integer(n)) => n == 3,
                Some(Value::Number(n)) => n == 3.0,
                _ => false,
            };
            let mut words = Vec::with_capacity(args.len());
            for arg in args {
                let word = match &arg {
                    Value::String(s) => Some(Bytes::copy_from_slice(&s.as_bytes())),
                    Value::Integer(_) | Value::Number(_) => {
                        lua.coerce_string(arg)?.map(|s| Bytes::copy_from_slice(&s.as_bytes()))
                    }
                    _ => None,
                };
                let Some(word) = word else {
                    let text = "ERR Lua redis lib command arguments must be strings or integers";
                    return convert::to_lua(lua, Frame::Error(text.into()), resp3);
                };
                words.push(word);
            }
            match call.run(txn, &words, resp3) {
                Called::Reply(frame) => convert::to_lua(lua, frame, resp3),
                Called::Undeclared => Err(raise(UNDECLARED.into())),
            }
        })?;
        let args = if script.kind == busy::FUNCTION {
            let keys = interpreter.strings(&script.keys)?;
            (Value::Table(keys), Value::Table(interpreter.strings(&script.argv)?))
        } else {
            interpreter.set_global("KEYS", &script.keys)?;
            interpreter.set_global("ARGV", &script.argv)?;
            (Value::Nil, Value::Nil)
        };
        interpreter.run(&script.f, args, &runner, |result, resp3| match result {
            Ok(value) => convert::from_lua(value, resp3),
            Err(failure) => Frame::Error(failure.text(&script.name).into()),
        })
    });
    match result {
        Ok(frame) => frame,
        Err(e) => Frame::Error(format!("ERR {e}").into()),
    }
}

/// Runs `f` with the thread given over to it when the runtime allows
/// (a multi-threaded one): the worker's other tasks move elsewhere.
fn given_over<R>(f: impl FnOnce() -> R) -> R {
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi { tokio::task::block_in_place(f) } else { f() }
}

/// `numkeys key... arg...` from argument 2 on: the keys and the rest, or
/// Redis's error.
pub(super) fn keys_and_args(req: &Request) -> Result<(Vec<Bytes>, Vec<Bytes>), String> {
    let numkeys = req
        .arg(2)
        .and_then(|n| std::str::from_utf8(n).ok())
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or("ERR value is not an integer or out of range")?;
    if numkeys < 0 {
        return Err("ERR Number of keys can't be negative".into());
    }
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > req.len() - 3 {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let mut args = req.args().skip(3).map(Bytes::copy_from_slice);
    let keys = args.by_ref().take(numkeys).collect();
    Ok((keys, args.collect()))
}
