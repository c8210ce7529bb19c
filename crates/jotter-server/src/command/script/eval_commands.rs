//! `EVAL`, `EVALSHA`, `EVAL_RO`, `EVALSHA_RO` and `SCRIPT
//! LOAD|EXISTS|FLUSH|KILL|HELP`: scripts named by their body or their
//! SHA-1, cached in the interpreter (`scripts.rs`) and run by `run.rs`.

use jotter_resp::Request;

use super::busy;
use super::run::{self, Script, keys_and_args};
use super::scripts::{self, Engine};
use crate::command::spec::{BoxFlow, Ctx, Flow};

pub(super) fn eval<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(evaluate(req, ctx, false, false))
}

pub(super) fn evalsha<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(evaluate(req, ctx, true, false))
}

pub(super) fn eval_ro<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(evaluate(req, ctx, false, true))
}

pub(super) fn evalsha_ro<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(evaluate(req, ctx, true, true))
}

/// `EVAL script numkeys key... arg...` and its forms.
async fn evaluate(req: &Request, ctx: &mut Ctx<'_>, by_sha: bool, read_only: bool) -> Flow {
    let shared = ctx.shared;
    let mut engine = match shared.scripts.engine().await {
        Ok(engine) => engine,
        Err(text) => {
            ctx.reply().error(text.as_bytes());
            return Flow::Continue;
        }
    };
    match prepare(&mut engine, req, by_sha, read_only) {
        Ok(script) => run::run(ctx, &engine.interpreter, script).await,
        Err(text) => {
            ctx.reply().error(text.as_bytes());
            Flow::Continue
        }
    }
}

/// The script `req` (EVAL or, `by_sha`, EVALSHA; `read_only`: their `_RO`
/// forms) runs, compiled into the cache if need be, or Redis's refusal.
pub(super) fn prepare(
    engine: &mut Engine,
    req: &Request,
    by_sha: bool,
    read_only: bool,
) -> Result<Script, String> {
    let (keys, argv) = keys_and_args(req)?;
    let body = req.arg(1).unwrap_or_default();
    let (sha, cached) = if by_sha {
        engine.script(body).ok_or("NOSCRIPT No matching script. Please use EVAL.")?
    } else {
        engine.load_script(body)?
    };
    if read_only && cached.no_writes == Some(false) {
        return Err("ERR Can not execute a script with write flag using *_ro command.".into());
    }
    Ok(Script {
        f: cached.f,
        name: sha,
        kind: busy::EVAL,
        read_only: read_only || cached.no_writes == Some(true),
        keys,
        argv,
    })
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
pub(super) fn script<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
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
