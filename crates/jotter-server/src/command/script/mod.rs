//! Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FUNCTION, FCALL,
//! FCALL_RO, as Redis 7.0 documents them, with Lua 5.1.
//!
//! - `scripts.rs`: the server's scripting state (the one interpreter, the
//!   script cache, the libraries); `busy.rs`: the running script as other
//!   connections see it (BUSY, SCRIPT KILL).
//! - `sandbox.rs`: the Lua state, sandboxed as Redis's, and the `redis`
//!   table; `convert.rs`: replies to Lua values and back.
//! - `call.rs`: `redis.call`/`redis.pcall`; `run.rs`: a script as one
//!   engine transaction.
//! - `functions.rs`: FUNCTION libraries; `library_file.rs`: keeping them
//!   across restarts; `function_commands.rs`: FUNCTION and FCALL.
//!
//! Every script runs through `run.rs`, so EVAL and FCALL are atomic in the
//! same way.

mod busy;
mod call;
mod convert;
mod function_commands;
mod functions;
mod library_file;
mod run;
mod sandbox;
mod scripts;

use bytes::Bytes;
use jotter_resp::Request;
use mlua::Value;

pub(crate) use busy::allowed_while_busy;
pub(crate) use scripts::Scripts;

use super::spec::{BoxFlow, Ctx, Flow, Spec, flag, waits};
use run::Script;

const GROUP: &str = "scripting";

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "eval",
        -3,
        flag::NOSCRIPT | flag::STALE,
        GROUP,
        "Execute a Lua script server side",
        "2.6.0",
        waits(eval),
    ),
    Spec::new(
        "evalsha",
        -3,
        flag::NOSCRIPT | flag::STALE,
        GROUP,
        "Execute a Lua script server side",
        "2.6.0",
        waits(evalsha),
    ),
    Spec::new(
        "eval_ro",
        -3,
        flag::NOSCRIPT | flag::STALE | flag::READONLY,
        GROUP,
        "Execute a read-only Lua script server side",
        "7.0.0",
        waits(eval_ro),
    ),
    Spec::new(
        "evalsha_ro",
        -3,
        flag::NOSCRIPT | flag::STALE | flag::READONLY,
        GROUP,
        "Execute a read-only Lua script server side",
        "7.0.0",
        waits(evalsha_ro),
    ),
    Spec::new(
        "script",
        -2,
        flag::NOSCRIPT,
        GROUP,
        "A container for Lua scripts management commands",
        "2.6.0",
        waits(script),
    ),
    Spec::new(
        "function",
        -2,
        flag::NOSCRIPT,
        GROUP,
        "A container for function commands",
        "7.0.0",
        waits(function_commands::function),
    ),
    Spec::new(
        "fcall",
        -3,
        flag::NOSCRIPT | flag::STALE,
        GROUP,
        "Invoke a function",
        "7.0.0",
        waits(function_commands::fcall),
    ),
    Spec::new(
        "fcall_ro",
        -3,
        flag::NOSCRIPT | flag::STALE | flag::READONLY,
        GROUP,
        "Invoke a read-only function",
        "7.0.0",
        waits(function_commands::fcall_ro),
    ),
];

fn eval<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(evaluate(req, ctx, false, false))
}

fn evalsha<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(evaluate(req, ctx, true, false))
}

fn eval_ro<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(evaluate(req, ctx, false, true))
}

fn evalsha_ro<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(evaluate(req, ctx, true, true))
}

/// `EVAL script numkeys key... arg...` and its forms.
async fn evaluate(req: &Request, ctx: &mut Ctx<'_>, by_sha: bool, read_only: bool) -> Flow {
    let (keys, argv) = match keys_and_args(req) {
        Ok(split) => split,
        Err(text) => {
            ctx.reply().error(text.as_bytes());
            return Flow::Continue;
        }
    };
    let body = req.arg(1).unwrap_or_default();
    let shared = ctx.shared;
    let mut engine = match shared.scripts.engine().await {
        Ok(engine) => engine,
        Err(text) => {
            ctx.reply().error(text.as_bytes());
            return Flow::Continue;
        }
    };
    let found = if by_sha {
        engine.script(body).ok_or_else(|| "NOSCRIPT No matching script. Please use EVAL.".into())
    } else {
        engine.load_script(body)
    };
    let (sha, f) = match found {
        Ok(found) => found,
        Err(text) => {
            ctx.reply().error(text.as_bytes());
            return Flow::Continue;
        }
    };
    if let Err(e) = engine.set_keys_and_argv(&keys, &argv) {
        ctx.reply().error(format!("ERR {e}").as_bytes());
        return Flow::Continue;
    }
    let script = Script {
        interpreter: &engine.interpreter,
        f: &f,
        name: &sha,
        kind: busy::EVAL,
        read_only,
        args: (Value::Nil, Value::Nil),
    };
    run::run(ctx, script, keys).await
}

/// `numkeys key... arg...` from argument 2 on: the keys and the rest, or
/// Redis's error.
fn keys_and_args(req: &Request) -> Result<(Vec<Bytes>, Vec<Bytes>), String> {
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

const SCRIPT_HELP: &[&[u8]] = &[
    b"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"DEBUG (YES|SYNC|NO)",
    b"    Set the debug mode for subsequent scripts executed.",
    b"EXISTS <sha1> [<sha1> ...]",
    b"    Return information about the existence of the scripts in the script cache.",
    b"FLUSH [ASYNC|SYNC]",
    b"    Flush the Lua scripts cache. Very dangerous on replicas.",
    b"    When called without the optional mode argument, the behavior is determined by the",
    b"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    b"    * ASYNC: Asynchronously flush the scripts cache.",
    b"    * SYNC: Synchronously flush the scripts cache.",
    b"KILL",
    b"    Kill the currently executing Lua script.",
    b"LOAD <script>",
    b"    Load a script into the scripts cache without executing it.",
    b"HELP",
    b"    Prints this help.",
];

/// `SCRIPT LOAD|EXISTS|FLUSH|KILL|HELP`.
fn script<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        let sub = req.arg(1).unwrap_or_default().to_ascii_lowercase();
        let n = req.len();
        let arity_ok = match sub.as_slice() {
            b"help" | b"kill" => n == 2,
            b"load" => n == 3,
            b"exists" => n >= 3,
            b"flush" => n <= 3,
            _ => true,
        };
        if !arity_ok {
            ctx.arity_error(&format!("script|{}", String::from_utf8_lossy(&sub)));
            return Flow::Continue;
        }
        match sub.as_slice() {
            b"help" => ctx.help(SCRIPT_HELP),
            b"kill" => match ctx.shared.scripts.running().kill(busy::EVAL) {
                Ok(()) => ctx.reply().ok(),
                Err(text) => ctx.reply().error(text),
            },
            b"flush" => {
                let mode = req.arg(2).map(<[u8]>::to_ascii_lowercase);
                if !matches!(mode.as_deref(), None | Some(b"sync" | b"async")) {
                    ctx.reply().error(b"ERR SCRIPT FLUSH only support SYNC|ASYNC option");
                    return Flow::Continue;
                }
                with_engine(ctx, |engine, reply| {
                    engine.flush_scripts();
                    reply.ok();
                })
                .await;
            }
            b"exists" => {
                with_engine(ctx, |engine, reply| {
                    reply.array(req.len() - 2);
                    for sha in req.args().skip(2) {
                        reply.integer(i64::from(engine.script(sha).is_some()));
                    }
                })
                .await;
            }
            b"load" => {
                let body = req.arg(2).unwrap_or_default();
                with_engine(ctx, |engine, reply| match engine.load_script(body) {
                    Ok((sha, _)) => reply.bulk(sha.as_bytes()),
                    Err(text) => reply.error(text.as_bytes()),
                })
                .await;
            }
            _ => ctx.unknown_subcommand(req.arg(1).unwrap_or_default(), "SCRIPT"),
        }
        Flow::Continue
    })
}

/// Runs `f` on the interpreter (made if need be) and the reply; a failure
/// to make it is the reply.
async fn with_engine(
    ctx: &mut Ctx<'_>,
    f: impl FnOnce(&mut scripts::Engine, &mut jotter_resp::ReplyWriter<'_>),
) {
    let shared = ctx.shared;
    match shared.scripts.engine().await {
        Ok(mut engine) => f(&mut engine, &mut ctx.reply()),
        Err(text) => ctx.reply().error(text.as_bytes()),
    }
}
