//! Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FUNCTION, FCALL,
//! FCALL_RO, as Redis 7.0 documents them, with Lua 5.1.
//!
//! - `scripts.rs`: the server's scripting state (the one interpreter, the
//!   script cache, the libraries); `busy.rs`: the running script as other
//!   connections see it (BUSY, SCRIPT KILL).
//! - `sandbox.rs`: the Lua state, sandboxed as Redis's, and the `redis`
//!   table; `convert.rs`: replies to Lua values and back; `bit.rs`,
//!   `cjson.rs`, `cmsgpack.rs`, `structs.rs`: the libraries Redis loads
//!   for scripts.
//! - `call.rs`: `redis.call`/`redis.pcall`; `run.rs`: a script as one
//!   engine transaction; `in_exec.rs`: the scripts of a `MULTI` queue,
//!   run in their places in `EXEC`'s transaction.
//! - `eval_commands.rs`: EVAL and SCRIPT; `function_commands.rs`:
//!   FUNCTION and FCALL; `functions.rs`: FUNCTION libraries;
//!   `library_file.rs`: keeping them across restarts.
//!
//! Every script runs through `run.rs`, so EVAL and FCALL are atomic in the
//! same way, alone or inside `EXEC`.

mod bit;
mod busy;
mod call;
mod cjson;
mod cmsgpack;
mod convert;
mod eval_commands;
mod function_commands;
mod functions;
mod in_exec;
mod library_file;
mod run;
mod sandbox;
mod scripts;
mod structs;

pub(crate) use busy::allowed_while_busy;
pub(crate) use in_exec::InExec;
pub(crate) use run::{TOO_MANY_KEYS, Unrun, transact_declaring};
pub(crate) use scripts::Scripts;

use super::spec::{Spec, flag, waits};
use eval_commands::{eval, eval_ro, evalsha, evalsha_ro, script};

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
        0,
        GROUP,
        "A container for Lua scripts management commands",
        "2.6.0",
        waits(script),
    )
    .subs(eval_commands::SCRIPT_SUBS),
    Spec::new(
        "function",
        -2,
        0,
        GROUP,
        "A container for function commands",
        "7.0.0",
        waits(function_commands::function),
    )
    .subs(function_commands::SUBS),
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

/// For the libraries' tests: each piece of Lua must return the string
/// given, in a fresh state with the library `register` adds.
#[cfg(test)]
fn assert_returns(register: fn(&mlua::Lua) -> mlua::Result<()>, cases: &[(&str, &str)]) {
    let lua = mlua::Lua::new();
    register(&lua).expect("the library registers");
    for (code, want) in cases {
        let got: String = lua.load(*code).eval().unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(got, *want, "{code}");
    }
}
