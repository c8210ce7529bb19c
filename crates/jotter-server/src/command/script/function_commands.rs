//! `FUNCTION LOAD|LIST|DELETE|FLUSH|DUMP|RESTORE|STATS|KILL|HELP` and
//! `FCALL`/`FCALL_RO`. Every change of the libraries is written to the
//! data directory before it is acknowledged (`library_file.rs`), so a
//! library loaded survives a restart.

use jotter_resp::{ReplyWriter, Request};

use super::busy;
use super::functions::Policy;
use super::library_file;
use super::run::{self, Script};
use super::scripts::Engine;
use crate::command::glob::glob_match;
use crate::command::spec::{BoxFlow, Ctx, Flow, Sub, flag};
use crate::command::subcommand;

/// FUNCTION's subcommands, in `FUNCTION HELP`'s order.
pub(super) const SUBS: &[Sub] = &[
    Sub::waits(
        "load",
        -3,
        flag::WRITE | flag::DENYOOM | flag::NOSCRIPT,
        "Create a function with the given arguments (name, code, description)",
        "7.0.0",
        &[
            b"LOAD [REPLACE] <FUNCTION CODE>",
            b"    Create a new library with the given library name and code.",
        ],
        changes,
    ),
    Sub::waits(
        "delete",
        3,
        flag::WRITE | flag::NOSCRIPT,
        "Delete a function by name",
        "7.0.0",
        &[b"DELETE <LIBRARY NAME>", b"    Delete the given library."],
        changes,
    ),
    Sub::waits(
        "list",
        -2,
        flag::NOSCRIPT,
        "List information about all the functions",
        "7.0.0",
        &[
            b"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            b"    Return general information on all the libraries:",
            b"    * Library name",
            b"    * The engine used to run the Library",
            b"    * Library description",
            b"    * Functions list",
            b"    * Library code (if WITHCODE is given)",
            b"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        ],
        reads,
    ),
    Sub::waits(
        "stats",
        2,
        flag::NOSCRIPT,
        "Return information about the function currently running (name, description, duration)",
        "7.0.0",
        &[
            b"STATS",
            b"    Return information about the current function running:",
            b"    * Function name",
            b"    * Command used to run the function",
            b"    * Duration in MS that the function is running",
            b"    If no function is running, return nil",
            b"    In addition, returns a list of available engines.",
        ],
        reads,
    ),
    Sub::now(
        "kill",
        2,
        flag::NOSCRIPT,
        "Kill the function currently in execution.",
        "7.0.0",
        &[b"KILL", b"    Kill the current running function."],
        kill,
    ),
    Sub::waits(
        "flush",
        -2,
        flag::WRITE | flag::NOSCRIPT,
        "Deleting all functions",
        "7.0.0",
        &[
            b"FLUSH [ASYNC|SYNC]",
            b"    Delete all the libraries.",
            b"    When called without the optional mode argument, the behavior is determined by the",
            b"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            b"    * ASYNC: Asynchronously flush the libraries.",
            b"    * SYNC: Synchronously flush the libraries.",
        ],
        changes,
    ),
    Sub::waits(
        "dump",
        2,
        flag::NOSCRIPT,
        "Dump all functions into a serialized binary payload",
        "7.0.0",
        &[
            b"DUMP",
            b"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        ],
        reads,
    ),
    Sub::waits(
        "restore",
        -3,
        flag::WRITE | flag::DENYOOM | flag::NOSCRIPT,
        "Restore all the functions on the given payload",
        "7.0.0",
        &[
            b"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            b"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            b"    control how to handle existing libraries (default APPEND):",
            b"    * FLUSH: delete all existing libraries.",
            b"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            b"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            b"      libraries with the new libraries (notice that even on this option there is a chance of failure",
            b"      in case of functions name collision with another library).",
        ],
        changes,
    ),
    subcommand::help_row("7.0.0"),
];

/// `FUNCTION <subcommand> ...`.
pub(super) fn function<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(subcommand::run_waiting(SUBS, "FUNCTION", req, ctx))
}

fn kill(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    super::eval_commands::kill_running(ctx, busy::FUNCTION)
}

/// LOAD, DELETE, FLUSH, RESTORE.
fn changes<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        let sub = req.arg(1).unwrap_or_default().to_ascii_lowercase();
        let too_long = match sub.as_slice() {
            b"flush" => req.len() > 3,
            b"restore" => req.len() > 4,
            _ => false,
        };
        if too_long {
            subcommand::wrong_form(ctx, req.arg(1).unwrap_or_default(), "FUNCTION");
        } else {
            change(req, &sub, ctx).await;
        }
        Flow::Continue
    })
}

/// LIST, STATS, DUMP.
fn reads<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(async move {
        let sub = req.arg(1).unwrap_or_default().to_ascii_lowercase();
        read(req, &sub, ctx).await;
        Flow::Continue
    })
}

/// LOAD, DELETE, FLUSH, RESTORE: change the libraries, then keep them.
async fn change(req: &Request, sub: &[u8], ctx: &mut Ctx<'_>) {
    let shared = ctx.shared;
    let mut engine = match shared.scripts.engine().await {
        Ok(engine) => engine,
        Err(text) => return ctx.reply().error(text.as_bytes()),
    };
    let engine = &mut *engine;
    let arg = |i| req.arg(i).unwrap_or_default();
    let result: Result<Option<String>, String> = match sub {
        b"load" => {
            // Every argument before the code is an option, as Redis reads them.
            let options = 2..req.len() - 1;
            match options.clone().find(|&i| !arg(i).eq_ignore_ascii_case(b"replace")) {
                Some(i) => {
                    Err(format!("ERR Unknown option given: {}", String::from_utf8_lossy(arg(i))))
                }
                None => engine
                    .libraries
                    .load(&engine.interpreter, arg(req.len() - 1), !options.is_empty())
                    .map(Some),
            }
        }
        b"delete" => engine.libraries.delete(&String::from_utf8_lossy(arg(2))).map(|()| None),
        b"flush" => match req.arg(2).map(<[u8]>::to_ascii_lowercase).as_deref() {
            None | Some(b"sync" | b"async") => {
                engine.libraries.flush();
                Ok(None)
            }
            Some(_) => Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option".into()),
        },
        _ => match restore_policy(req.arg(3)) {
            Ok(policy) => {
                engine.libraries.restore(&engine.interpreter, arg(2), policy).map(|()| None)
            }
            Err(text) => Err(text),
        },
    };
    let kept = match (&result, shared.scripts.functions_file()) {
        (Ok(_), Some(file)) => library_file::write(file, &engine.libraries.dump()),
        _ => Ok(()),
    };
    match (result, kept) {
        (Err(text), _) | (Ok(_), Err(text)) => ctx.reply().error(text.as_bytes()),
        (Ok(Some(name)), Ok(())) => ctx.reply().bulk(name.as_bytes()),
        (Ok(None), Ok(())) => ctx.reply().ok(),
    }
}

fn restore_policy(arg: Option<&[u8]>) -> Result<Policy, String> {
    match arg.map(<[u8]>::to_ascii_lowercase).as_deref() {
        None | Some(b"append") => Ok(Policy::Append),
        Some(b"flush") => Ok(Policy::Flush),
        Some(b"replace") => Ok(Policy::Replace),
        Some(_) => {
            Err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
                .into())
        }
    }
}

/// LIST, STATS, DUMP.
async fn read(req: &Request, sub: &[u8], ctx: &mut Ctx<'_>) {
    let shared = ctx.shared;
    let engine = match shared.scripts.engine().await {
        Ok(engine) => engine,
        Err(text) => return ctx.reply().error(text.as_bytes()),
    };
    match sub {
        b"dump" => ctx.reply().bulk(&engine.libraries.dump()),
        b"stats" => stats(&engine, &mut ctx.reply()),
        _ => list(req, &engine, ctx),
    }
}

/// `FUNCTION STATS`: no function is running (one that is makes this
/// command BUSY), and the Lua engine's counts.
fn stats(engine: &Engine, reply: &mut ReplyWriter<'_>) {
    let (libraries, functions) = engine.libraries.counts();
    reply.map(2);
    reply.bulk(b"running_script");
    reply.null();
    reply.bulk(b"engines");
    reply.map(1);
    reply.bulk(b"LUA");
    reply.map(2);
    reply.bulk(b"libraries_count");
    reply.integer(libraries as i64);
    reply.bulk(b"functions_count");
    reply.integer(functions as i64);
}

/// `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]`.
fn list(req: &Request, engine: &Engine, ctx: &mut Ctx<'_>) {
    let mut pattern = None;
    let mut with_code = false;
    let mut i = 2;
    while let Some(word) = req.arg(i) {
        if word.eq_ignore_ascii_case(b"withcode") && !with_code {
            with_code = true;
        } else if word.eq_ignore_ascii_case(b"libraryname") && pattern.is_none() {
            match req.arg(i + 1) {
                Some(p) => pattern = Some(p),
                None => return ctx.reply().error(b"ERR library name argument was not given"),
            }
            i += 1;
        } else {
            let text = format!("ERR Unknown argument {}", String::from_utf8_lossy(word));
            return ctx.reply().error(text.as_bytes());
        }
        i += 1;
    }
    let libraries =
        engine.libraries.list(|name| pattern.is_none_or(|p| glob_match(p, name, false)));
    let mut reply = ctx.reply();
    reply.array(libraries.len());
    for (name, code, functions) in libraries {
        reply.map(if with_code { 4 } else { 3 });
        reply.bulk(b"library_name");
        reply.bulk(name.as_bytes());
        reply.bulk(b"engine");
        reply.bulk(b"LUA");
        reply.bulk(b"functions");
        reply.array(functions.len());
        for (fname, f) in functions {
            reply.map(3);
            reply.bulk(b"name");
            reply.bulk(fname.as_bytes());
            reply.bulk(b"description");
            reply.bulk_or_null(f.description.as_deref().map(str::as_bytes));
            reply.bulk(b"flags");
            reply.set(f.flags.len());
            for flag in &f.flags {
                reply.simple(flag.as_bytes());
            }
        }
        if with_code {
            reply.bulk(b"library_code");
            reply.bulk(code);
        }
    }
}

/// `FCALL function numkeys key... arg...`.
pub(super) fn fcall<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(call(req, ctx, false))
}

/// `FCALL_RO`: only a function flagged `no-writes`.
pub(super) fn fcall_ro<'a>(req: &'a Request, ctx: &'a mut Ctx<'_>) -> BoxFlow<'a> {
    Box::pin(call(req, ctx, true))
}

async fn call(req: &Request, ctx: &mut Ctx<'_>, read_only: bool) -> Flow {
    run::prepare_and_run(ctx, |engine| prepare(engine, req, read_only)).await
}

/// The function `req` (FCALL; `read_only`: FCALL_RO) calls, or Redis's
/// refusal.
pub(super) fn prepare(engine: &Engine, req: &Request, read_only: bool) -> Result<Script, String> {
    let (keys, argv) = run::keys_and_args(req)?;
    let name = String::from_utf8_lossy(req.arg(1).unwrap_or_default()).into_owned();
    let function = engine.libraries.function(&name).ok_or("ERR Function not found")?;
    let no_writes = function.flags.contains(&"no-writes");
    if read_only && !no_writes {
        return Err("ERR Can not execute a script with write flag using *_ro command.".into());
    }
    Ok(Script {
        f: function.f.clone(),
        name,
        kind: busy::FUNCTION,
        read_only: read_only || no_writes,
        keys,
        argv,
    })
}
