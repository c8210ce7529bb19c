//! `EVAL`, `EVALSHA`, `EVAL_RO`, `EVALSHA_RO` and `SCRIPT
//! LOAD|EXISTS|FLUSH|KILL|HELP`: scripts named by their body or their
//! SHA-1, cached in the interpreter (`scripts.rs`) and run by `run.rs`.

use jotter_resp::Request;

use super::busy;
use super::run::{self, Script, keys_and_args};
use super::scripts::{self, Engine};
use crate::command::spec::{BoxFlow, Ctx, Flow, Sub, flag};
use crate::command::subcommand;

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
    run::prepare_and_run(ctx, |engine| prepare(engine, req, by_sha, read_only)).await
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

/// SCRIPT's subcommands, in `SCRIPT HELP`'s order. `DEBUG` (Redis's Lua
/// debugger) is not provided: its lines stay in the help, as in Redis's,
/// and it is an unknown subcommand.
pub(super) const SCRIPT_SUBS: &[Sub] = &[
    Sub::waits(
        "exists",
        -3,
        flag::NOSCRIPT,
        "Check existence of scripts in the script cache.",
        "2.6.0",
        &[
            b"EXISTS <sha1> [<sha1> ...]",
            b"    Return information about the existence of the scripts in the script cache.",
        ],
        exists,
    ),
    Sub::waits(
        "flush",
        -2,
        flag::NOSCRIPT,
        "Remove all the scripts from the script cache.",
        "2.6.0",
        &[
            b"FLUSH [ASYNC|SYNC]",
            b"    Flush the Lua scripts cache. Very dangerous on replicas.",
            b"    When called without the optional mode argument, the behavior is determined by the",
            b"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            b"    * ASYNC: Asynchronously flush the scripts cache.",
            b"    * SYNC: Synchronously flush the scripts cache.",
        ],
        flush,
    ),
    Sub::now(
        "kill",
        2,
        flag::NOSCRIPT,
        "Kill the script currently in execution.",
        "2.6.0",
        &[b"KILL", b"    Kill the currently executing Lua script."],
        kill,
    ),
    Sub::waits(
        "load",
        3,
        flag::NOSCRIPT | flag::STALE,
        "Load the specified Lua script into the script cache.",
        "2.6.0",
        &[b"LOAD <script>", b"    Load a script into the scripts cache without executing it."],
        load,
    ),
    Sub::now(
        "help",
        2,
        flag::LOADING | flag::STALE,
        "Show helpful text about the different subcommands",
        "5.0.0",
        &[b"HELP", b"    Prints this help."],
        help,
    ),
];

/// `SCRIPT <subcommand> ...`.
pub(super) fn script<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(subcommand::run_waiting(SCRIPT_SUBS, "SCRIPT", req, ctx))
}

fn help(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let head: &[&[u8]] = &[
        b"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"DEBUG (YES|SYNC|NO)",
        b"    Set the debug mode for subsequent scripts executed.",
    ];
    subcommand::write_help(SCRIPT_SUBS, head, ctx);
    Flow::Continue
}

fn kill(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    kill_running(ctx, busy::EVAL)
}

/// SCRIPT KILL and FUNCTION KILL: stops the running script of `kind`.
pub(super) fn kill_running(ctx: &mut Ctx<'_>, kind: u8) -> Flow {
    match ctx.shared.scripts.running().kill(kind) {
        Ok(()) => ctx.reply().ok(),
        Err(text) => ctx.reply().error(text),
    }
    Flow::Continue
}

fn flush<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        let mode = req.arg(2).map(<[u8]>::to_ascii_lowercase);
        if req.len() > 3 || !matches!(mode.as_deref(), None | Some(b"sync" | b"async")) {
            ctx.reply().error(b"ERR SCRIPT FLUSH only support SYNC|ASYNC option");
            return Flow::Continue;
        }
        with_engine(ctx, |engine, reply| {
            engine.flush_scripts();
            reply.ok();
        })
        .await;
        Flow::Continue
    })
}

fn exists<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        with_engine(ctx, |engine, reply| {
            reply.array(req.len() - 2);
            for sha in req.args().skip(2) {
                reply.integer(i64::from(engine.script(sha).is_some()));
            }
        })
        .await;
        Flow::Continue
    })
}

fn load<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        let body = req.arg(2).unwrap_or_default();
        with_engine(ctx, |engine, reply| match engine.load_script(body) {
            Ok((sha, _)) => reply.bulk(sha.as_bytes()),
            Err(text) => reply.error(text.as_bytes()),
        })
        .await;
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
