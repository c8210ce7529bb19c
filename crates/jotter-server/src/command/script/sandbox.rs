//! The Lua interpreter scripts run in, sandboxed as Redis 7.0's: Lua 5.1
//! with its base, table, string and math libraries (no `os`, `io`,
//! `package`, `loadfile`, `dofile`), the `redis` table, and globals that a
//! script can read but not create or change (Redis's texts: "Script
//! attempted to access nonexistent global variable", "Attempt to modify a
//! readonly table"); the library tables (`redis`, `string`, `cjson`, ...)
//! are read-only too.
//!
//! A script runs in an environment of its own: an empty table whose reads
//! fall through to the real globals and whose writes are refused, so a
//! script leaves nothing behind for the next. It is called through
//! `xpcall` with an error handler that, as Redis's, turns any error into a
//! table `{err=..., source=..., line=...}`: the error's text (`ERR `
//! before a plain message) and where in the script it was raised, which
//! [`Failure::text`] renders as Redis does.
//!
//! `redis.call` and `redis.pcall` are Lua functions over one Rust function
//! set for the length of a run ([`Interpreter::run`]): the one that runs
//! commands on the run's transaction (`call.rs`). Every 100,000
//! instructions a hook asks the running script's state (`busy.rs`) whether
//! the script went past the busy threshold or was killed.

use std::sync::Arc;

use bytes::Bytes;
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};

use super::busy::Running;

/// Instructions between two checks of the kill switch and the clock, as
/// Redis's hook.
const HOOK_EVERY: u32 = 100_000;

/// The chunk name of EVAL scripts (Redis's: errors say `user_script:1:`).
pub(super) const SCRIPT_CHUNK: &str = "@user_script";
/// The chunk name of FUNCTION libraries.
pub(super) const LIBRARY_CHUNK: &str = "@user_function";

/// Lua run once per interpreter: the `redis` table, the protected
/// globals, and the function that runs a script under the error handler.
const PRELUDE: &str = r#"
local handler, sha1hex, log, call, pcall_, setresp = ...
local xpcall, error, type, rawget, tostring, find, sub, gsub =
    xpcall, error, type, rawget, tostring, string.find, string.sub, string.gsub

-- Redis's error table from a message starting with '-': its first word is
-- the code (ERR when there is only one word).
local function error_table(e)
    local space = find(e, ' ', 1, true)
    local code, msg
    if space then code, msg = sub(e, 2, space - 1), sub(e, space + 1)
    else code, msg = 'ERR', sub(e, 2) end
    msg = gsub(gsub(msg, '^[\r\n]+', ''), '[\r\n]+$', '')
    return {err = code .. ' ' .. msg}
end

local function arg_error()
    return error_table('-ERR wrong number or type of arguments')
end

redis = {
    call = call,
    pcall = pcall_,
    sha1hex = sha1hex,
    log = log,
    error_reply = function(e)
        if type(e) ~= 'string' then return arg_error() end
        if sub(e, 1, 1) ~= '-' then e = '-' .. e end
        return error_table(e)
    end,
    status_reply = function(s)
        if type(s) ~= 'string' then return arg_error() end
        return {ok = s}
    end,
    setresp = setresp,
    set_repl = function(flags)
        if type(flags) ~= 'number' or flags < 0 or flags > 3 then
            error({err = 'ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.'})
        end
    end,
    replicate_commands = function() return true end,
    breakpoint = function() return false end,
    debug = function() end,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
    REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
    REDIS_VERSION = '7.0.0', REDIS_VERSION_NUM = 0x00070000,
}

loadfile, dofile, print = nil, nil, nil

-- The libraries as scripts see them: read-only, so that no script changes
-- them for the next.
local function readonly(t)
    return setmetatable({}, {
        __index = t,
        __newindex = function() error('Attempt to modify a readonly table', 2) end,
        __metatable = false,
    })
end
for _, name in ipairs({'redis', 'string', 'table', 'math', 'bit', 'cjson', 'cmsgpack', 'struct'}) do
    rawset(_G, name, readonly(rawget(_G, name)))
end

-- A script's environment: reads fall through to the globals, writes fail.
local globals = _G
local env = setmetatable({}, {
    __index = function(_, k)
        local v = rawget(globals, k)
        if v == nil then
            error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
        end
        return v
    end,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
})

local function run(f, a, b)
    return xpcall(function() return f(a, b) end, handler)
end

return env, run
"#;

/// One Lua state and what a run needs of it.
pub(super) struct Interpreter {
    lua: Lua,
    /// `slot.f`: the command runner while a script runs; `slot.resp`: the
    /// script's `redis.setresp`.
    slot: Table,
    /// The environment every script and library runs in.
    env: Table,
    /// `run(f, a, b)`: `xpcall(f(a, b), handler)`.
    run: Function,
}

/// How a script ended when it did not return: the handler's table.
#[derive(Debug)]
pub(super) struct Failure {
    /// The error's text, code first.
    pub err: String,
    /// Where it was raised: `@user_script` and the line.
    pub at: Option<(String, i64)>,
}

impl Failure {
    /// The error reply: Redis 7.0 adds where it was raised.
    /// `name` is the script's SHA-1 or the function's name.
    pub(super) fn text(&self, name: &str) -> String {
        match &self.at {
            Some((source, line)) => format!("{} script: {name}, on {source}:{line}.", self.err),
            None => self.err.clone(),
        }
    }
}

impl Interpreter {
    /// A fresh sandboxed state whose hook reports to `running`.
    pub(super) fn new(running: Arc<Running>) -> mlua::Result<Interpreter> {
        let lua =
            Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::default())?;
        super::bit::register(&lua)?;
        super::cjson::register(&lua)?;
        super::cmsgpack::register(&lua)?;
        super::structs::register(&lua)?;
        let handler = lua.create_function(error_handler)?;
        let sha1hex =
            lua.create_function(|_, text: mlua::String| Ok(sha1_hex(&text.as_bytes())))?;
        let log = lua.create_function(log)?;
        let slot = lua.create_table()?;
        // C functions, not Lua ones: a `return redis.call(...)` is then not
        // a tail call, and an error keeps the script's line, as in Redis.
        let runner = slot.clone();
        let call = lua.create_function(move |_, args: MultiValue| {
            let reply = run_command(&runner, args)?;
            match error_text(&reply) {
                Some(text) => Err(raise(text)),
                None => Ok(reply),
            }
        })?;
        let runner = slot.clone();
        let pcall = lua.create_function(move |_, args: MultiValue| run_command(&runner, args))?;
        let resp = slot.clone();
        let setresp = lua.create_function(move |_, version: Value| match version {
            Value::Integer(v @ (2 | 3)) => resp.raw_set("resp", v),
            Value::Number(v) if v == 2.0 || v == 3.0 => resp.raw_set("resp", v as i64),
            _ => Err(raise("ERR RESP version must be 2 or 3.".into())),
        })?;
        let (env, run): (Table, Function) = lua
            .load(PRELUDE)
            .set_name("=prelude")
            .call((handler, sha1hex, log, call, pcall, setresp))?;
        lua.set_hook(HookTriggers::new().every_nth_instruction(HOOK_EVERY), move |_, _| {
            running.check().map_err(|text| raise(text.to_owned()))?;
            Ok(VmState::Continue)
        });
        Ok(Interpreter { lua, slot, env, run })
    }

    pub(super) fn lua(&self) -> &Lua {
        &self.lua
    }

    /// Compiles `body` as the chunk `name` in the scripts' environment.
    /// `Err` is Lua's message (`user_script:1: ...`).
    pub(super) fn compile(&self, body: &[u8], name: &str) -> Result<Function, String> {
        self.lua
            .load(body)
            .set_name(name)
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }

    /// Sets a global scripts read (`KEYS`, `ARGV`).
    pub(super) fn set_global(&self, name: &str, values: &[Bytes]) -> mlua::Result<()> {
        let table = self.lua.create_table_with_capacity(values.len(), 0)?;
        for (i, v) in values.iter().enumerate() {
            table.raw_set(i + 1, self.lua.create_string(v)?)?;
        }
        self.lua.globals().raw_set(name, table)
    }

    /// A Lua table of `values`, as FCALL passes keys and arguments.
    pub(super) fn strings(&self, values: &[Bytes]) -> mlua::Result<Table> {
        let table = self.lua.create_table_with_capacity(values.len(), 0)?;
        for (i, v) in values.iter().enumerate() {
            table.raw_set(i + 1, self.lua.create_string(v)?)?;
        }
        Ok(table)
    }

    /// Runs `f(a, b)` with `runner` behind `redis.call`/`redis.pcall`, then
    /// converts what it returned while the Lua values are alive. `runner`
    /// gets the script's RESP version and the command's arguments.
    pub(super) fn run<R>(
        &self,
        f: &Function,
        (a, b): (Value, Value),
        runner: &Function,
        convert: impl FnOnce(Result<&Value, Failure>, bool) -> R,
    ) -> mlua::Result<R> {
        self.slot.raw_set("f", runner)?;
        self.slot.raw_set("resp", 2)?;
        let result = self.run.call::<MultiValue>((f, a, b));
        self.slot.raw_set("f", Value::Nil)?;
        let resp3 = self.slot.raw_get::<i64>("resp")? == 3;
        let mut values = result?.into_iter();
        let ok = matches!(values.next(), Some(Value::Boolean(true)));
        let value = values.next().unwrap_or(Value::Nil);
        if ok {
            return Ok(convert(Ok(&value), resp3));
        }
        Ok(convert(Err(failure(&value)), resp3))
    }
}

/// An error raised from Rust with Redis's text, code first: the error
/// handler takes the text as it is.
#[derive(Debug)]
pub(super) struct Raised(pub String);

impl std::fmt::Display for Raised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Raised {}

/// A Lua error carrying `text` as the script's error.
pub(super) fn raise(text: String) -> mlua::Error {
    mlua::Error::external(Raised(text))
}

/// `slot.f(slot.resp, ...)`: the run's command runner (`call.rs`).
fn run_command(slot: &Table, args: MultiValue) -> mlua::Result<Value> {
    let Value::Function(runner) = slot.raw_get::<Value>("f")? else {
        return Err(raise("ERR redis.call is not available here".into()));
    };
    let mut args = args;
    args.push_front(slot.raw_get::<Value>("resp")?);
    runner.call(args)
}

/// The text of an error reply (`{err=...}`).
fn error_text(value: &Value) -> Option<String> {
    let Value::Table(t) = value else { return None };
    match t.raw_get::<Value>("err") {
        Ok(Value::String(s)) => Some(s.to_string_lossy()),
        _ => None,
    }
}

/// The error table the handler built, read back.
fn failure(value: &Value) -> Failure {
    let Value::Table(t) = value else {
        let err = match value {
            Value::Error(e) => root_message(e),
            other => format!("ERR {}", value_text(other)),
        };
        return Failure { err, at: None };
    };
    let err = t.raw_get::<Value>("err").map(|v| value_text(&v)).unwrap_or_default();
    let source = t.raw_get::<Option<String>>("source").ok().flatten();
    let line = t.raw_get::<Option<i64>>("line").ok().flatten();
    Failure { err, at: source.zip(line) }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.to_string_lossy(),
        Value::Error(e) => root_message(e),
        Value::Number(n) => n.to_string(),
        Value::Integer(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

/// An error raised from Rust, without mlua's wrapping: a [`Raised`] as
/// it is, any other with `ERR ` before it.
pub(super) fn root_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => root_message(cause),
        e => match e.downcast_ref::<Raised>() {
            Some(Raised(text)) => text.clone(),
            None => match e {
                mlua::Error::RuntimeError(text) => format!("ERR {text}"),
                other => format!("ERR {other}"),
            },
        },
    }
}

/// Redis's error handler: the error as a table `{err, source, line}`, the
/// place the first frame of a script or library (not of the prelude, not
/// Rust) it was raised in.
fn error_handler(lua: &Lua, err: Value) -> mlua::Result<Table> {
    let table = match &err {
        Value::Table(t) if matches!(t.raw_get::<Value>("err"), Ok(Value::String(_))) => t.clone(),
        Value::Error(e) => {
            let t = lua.create_table()?;
            t.raw_set("err", root_message(e))?;
            t
        }
        other => {
            let t = lua.create_table()?;
            t.raw_set("err", format!("ERR {}", value_text(other)))?;
            t
        }
    };
    for level in 1..64 {
        let Some(frame) = lua.inspect_stack(level) else { break };
        let source = frame.source().source.map(|s| s.into_owned());
        if let Some(source) = source.filter(|s| s == SCRIPT_CHUNK || s == LIBRARY_CHUNK) {
            table.raw_set("source", source)?;
            table.raw_set("line", frame.curr_line())?;
            break;
        }
    }
    Ok(table)
}

/// `redis.log(level, message...)`: to the server's log at Redis's levels.
fn log(lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    let mut args = args.into_iter();
    let level = match args.next() {
        Some(Value::Integer(n)) => n,
        Some(Value::Number(n)) => n as i64,
        _ => return Err(raise("ERR First argument must be a number (log level).".into())),
    };
    let mut message = String::new();
    for (i, arg) in args.enumerate() {
        if i > 0 {
            message.push(' ');
        }
        message.push_str(&lua.coerce_string(arg)?.map(|s| s.to_string_lossy()).unwrap_or_default());
    }
    match level {
        0 => tracing::debug!(target: "script", "{message}"),
        1 | 2 => tracing::info!(target: "script", "{message}"),
        3 => tracing::warn!(target: "script", "{message}"),
        _ => return Err(raise("ERR Invalid debug level.".into())),
    }
    Ok(())
}

/// Lowercase hex SHA-1, as Redis names scripts.
pub(super) fn sha1_hex(data: &[u8]) -> String {
    sha1_smol::Sha1::from(data).digest().to_string()
}
