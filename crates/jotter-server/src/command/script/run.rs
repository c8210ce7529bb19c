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
//! While the script runs its thread is given over to it
//! (`block_in_place`), so the other connections' tasks move to the other
//! workers and can be told `BUSY`, or kill the script.

use bytes::Bytes;
use jotter_resp::{Frame, Request};
use mlua::{Function, MultiValue, Value};

use super::busy::KILLED;
use super::call::{Call, Called, UNDECLARED};
use super::convert;
use super::sandbox::{Interpreter, raise};
use crate::command::spec::{Ctx, Flow};
use crate::command::wake;
use crate::command::{data, pubsub};

/// Most times a script runs again to declare keys it named, before it is
/// refused.
const MAX_ROUNDS: usize = 16;

/// What is run.
pub(super) struct Script<'a> {
    pub interpreter: &'a Interpreter,
    pub f: &'a Function,
    /// The script's SHA-1 or the function's name, for error texts.
    pub name: &'a str,
    /// `busy::EVAL` or `busy::FUNCTION`.
    pub kind: u8,
    pub read_only: bool,
    /// What `f` is called with (FCALL's KEYS and ARGV tables; nil for EVAL,
    /// whose KEYS and ARGV are globals).
    pub args: (Value, Value),
}

/// Why a round of the transaction ended without committing.
enum Stop {
    /// The script named keys the transaction did not hold.
    Undeclared(Vec<Bytes>),
    Engine(jotter::Error),
}

impl From<jotter::Error> for Stop {
    fn from(e: jotter::Error) -> Self {
        Stop::Engine(e)
    }
}

/// Runs `script` over `keys` and replies what it returned.
pub(super) async fn run(ctx: &mut Ctx<'_>, script: Script<'_>, keys: Vec<Bytes>) -> Flow {
    let shared = ctx.shared;
    let commands = ctx.commands;
    let running = shared.scripts.running();
    let _started = running.start(script.kind);
    let mut declared = keys;
    for _ in 0..MAX_ROUNDS {
        let session = &mut *ctx.session;
        let result = shared
            .cache
            .transact_deferred(&declared, |txn| {
                let mut call = Call {
                    shared,
                    session: &mut *session,
                    commands,
                    declared: &declared,
                    undeclared: Vec::new(),
                    read_only: script.read_only,
                    running,
                    wrote: Vec::new(),
                };
                let reply = given_over(|| run_once(&script, &mut call, txn));
                if !call.undeclared.is_empty() {
                    return Err(Stop::Undeclared(call.undeclared));
                }
                Ok((reply, call.wrote))
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
                return Flow::Continue;
            }
            Err(Stop::Undeclared(more)) => {
                for key in more {
                    if !declared.contains(&key) {
                        declared.push(key);
                    }
                }
            }
            Err(Stop::Engine(e)) => {
                ctx.engine_error(&e);
                return Flow::Continue;
            }
        }
    }
    ctx.reply().error(b"ERR the script names too many keys it did not declare");
    Flow::Continue
}

/// One run of the script on the transaction: its reply, errors included.
fn run_once(script: &Script<'_>, call: &mut Call<'_>, txn: &mut jotter::Txn<'_>) -> Frame {
    let interpreter = script.interpreter;
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
        interpreter.run(script.f, script.args.clone(), &runner, |result, resp3| match result {
            Ok(value) => convert::from_lua(value, resp3),
            Err(failure) => Frame::Error(failure.text(script.name).into()),
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
