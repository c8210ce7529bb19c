//! FUNCTION libraries, as Redis 7.0 has them: a library is Lua code whose
//! first line names it (`#!lua name=mylib`) and whose body registers its
//! functions with `redis.register_function` (a name and a callback, or a
//! table of `function_name`, `callback`, `flags`, `description`). Function
//! names are unique across libraries.
//!
//! [`Libraries::dump`] and [`Libraries::restore`] are FUNCTION DUMP's and
//! RESTORE's payload, framed as Redis frames it (each library's code after
//! the RDB function opcode, then the RDB version and a CRC-64), so a
//! payload moves between Redis and Jotter. The same payload is the file
//! that keeps the libraries across restarts (`library_file.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use mlua::{Function, Table, Value};

use super::library_file;
use super::sandbox::{Interpreter, LIBRARY_CHUNK, raise, root_message};
use crate::command::dump::{payload, rdb};

/// RDB's opcode before a library's code (`RDB_OPCODE_FUNCTION2`).
const FUNCTION_OPCODE: u8 = 245;

/// The flags a function (or an EVAL script's shebang) may declare, as
/// Redis names them.
pub(super) const FLAGS: &[&str] =
    &["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"];

/// One loaded library.
#[derive(Clone)]
pub(super) struct Library {
    /// Its code, the `#!lua` line included, as loaded.
    code: Bytes,
    functions: BTreeMap<String, LibFunction>,
}

/// One registered function.
#[derive(Clone)]
pub(super) struct LibFunction {
    pub f: Function,
    pub flags: Vec<&'static str>,
    pub description: Option<String>,
}

/// A library as FUNCTION LIST shows it: its name, its code, its
/// functions by name.
pub(super) type Listed<'a> = (&'a str, &'a Bytes, Vec<(&'a str, &'a LibFunction)>);

/// Every loaded library, by name.
#[derive(Default)]
pub(super) struct Libraries {
    libraries: BTreeMap<String, Library>,
}

/// What FUNCTION RESTORE does with libraries already loaded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Policy {
    Flush,
    Append,
    Replace,
}

impl Libraries {
    /// A function by name, with its library's name.
    pub(super) fn function(&self, name: &str) -> Option<&LibFunction> {
        self.libraries.values().find_map(|lib| lib.functions.get(name))
    }

    /// Loads the libraries kept in `file`, if there is one.
    pub(super) fn load_file(
        &mut self,
        interpreter: &Interpreter,
        file: &Path,
    ) -> Result<(), String> {
        match library_file::read(file)? {
            Some(payload) => self.restore(interpreter, &payload, Policy::Flush),
            None => Ok(()),
        }
    }

    /// FUNCTION LOAD: compiles `code` and registers its functions; the
    /// library's name, or Redis's error.
    pub(super) fn load(
        &mut self,
        interpreter: &Interpreter,
        code: &[u8],
        replace: bool,
    ) -> Result<String, String> {
        let (name, library) = compile(interpreter, code)?;
        if !replace && self.libraries.contains_key(&name) {
            return Err(format!("ERR Library '{name}' already exists"));
        }
        for (other, lib) in &self.libraries {
            if *other == name {
                continue;
            }
            if let Some(clash) = library.functions.keys().find(|f| lib.functions.contains_key(*f)) {
                return Err(format!("ERR Function {clash} already exists"));
            }
        }
        self.libraries.insert(name.clone(), library);
        Ok(name)
    }

    /// FUNCTION DELETE.
    pub(super) fn delete(&mut self, name: &str) -> Result<(), String> {
        self.libraries.remove(name).map(|_| ()).ok_or_else(|| "ERR Library not found".into())
    }

    /// FUNCTION FLUSH.
    pub(super) fn flush(&mut self) {
        self.libraries.clear();
    }

    /// How many libraries and functions there are (FUNCTION STATS).
    pub(super) fn counts(&self) -> (usize, usize) {
        let functions = self.libraries.values().map(|lib| lib.functions.len()).sum();
        (self.libraries.len(), functions)
    }

    /// The libraries whose names `matches`, for FUNCTION LIST: name, code,
    /// functions.
    pub(super) fn list(&self, matches: impl Fn(&[u8]) -> bool) -> Vec<Listed<'_>> {
        self.libraries
            .iter()
            .filter(|(name, _)| matches(name.as_bytes()))
            .map(|(name, lib)| {
                let functions = lib.functions.iter().map(|(n, f)| (n.as_str(), f)).collect();
                (name.as_str(), &lib.code, functions)
            })
            .collect()
    }

    /// FUNCTION DUMP's payload.
    pub(super) fn dump(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for lib in self.libraries.values() {
            out.push(FUNCTION_OPCODE);
            rdb::put_string(&mut out, &lib.code);
        }
        payload::seal(out)
    }

    /// FUNCTION RESTORE: loads every library of `payload`, all or none.
    pub(super) fn restore(
        &mut self,
        interpreter: &Interpreter,
        payload: &[u8],
        policy: Policy,
    ) -> Result<(), String> {
        let body =
            payload::open(payload).ok_or("ERR DUMP payload version or checksum are wrong")?;
        let mut reader = rdb::Reader::new(body);
        let mut codes = Vec::new();
        while !reader.is_empty() {
            if reader.byte() != Some(FUNCTION_OPCODE) {
                return Err("ERR given type is not a function".into());
            }
            codes.push(reader.string().ok_or("ERR payload is not a valid function dump")?);
        }
        // Built aside and swapped in: RESTORE is all or none.
        let mut next = Libraries::default();
        if policy != Policy::Flush {
            next.libraries = self.libraries.clone();
        }
        for code in &codes {
            next.load(interpreter, code, policy == Policy::Replace)?;
        }
        *self = next;
        Ok(())
    }
}

/// The library name of `code`'s first line, `#!lua name=<name>`.
fn metadata(code: &[u8]) -> Result<String, String> {
    let Some(rest) = code.strip_prefix(b"#!") else {
        return Err("ERR Missing library metadata".into());
    };
    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = std::str::from_utf8(line).map_err(|_| "ERR Invalid library metadata")?;
    let mut words = line.split_whitespace();
    let invalid = || "ERR Invalid library metadata".to_string();
    if words.next() != Some("lua") {
        return Err(invalid());
    }
    let mut name = None;
    for word in words {
        match word.strip_prefix("name=") {
            Some(n) if name.is_none() && valid_name(n) => name = Some(n.to_owned()),
            _ => return Err(invalid()),
        }
    }
    name.ok_or_else(invalid)
}

/// Letters, digits and underscores, at least one.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Compiles a library and runs its body to collect its functions.
fn compile(interpreter: &Interpreter, code: &[u8]) -> Result<(String, Library), String> {
    let name = metadata(code)?;
    // The `#!` line stays a line (empty), so line numbers are the code's.
    let body_start = code.iter().position(|&b| b == b'\n').unwrap_or(code.len());
    let body = &code[body_start..];
    let f = interpreter
        .compile(body, LIBRARY_CHUNK)
        .map_err(|e| format!("ERR Error compiling function: {e}"))?;
    let registered = register(interpreter, &f)
        .map_err(|e| format!("ERR Error registering functions: {}", root_message(&e)))?;
    if registered.is_empty() {
        return Err("ERR No functions registered".into());
    }
    let library = Library { code: Bytes::copy_from_slice(code), functions: registered };
    Ok((name, library))
}

/// Runs a library's body with `redis.register_function` set.
fn register(
    interpreter: &Interpreter,
    body: &Function,
) -> mlua::Result<BTreeMap<String, LibFunction>> {
    let lua = interpreter.lua();
    let redis: Table = lua.globals().raw_get("redis")?;
    let mut functions = BTreeMap::new();
    let result = lua.scope(|scope| {
        let register = scope.create_function_mut(|_, args: mlua::MultiValue| {
            let (name, f, flags, description) = registration(args)?;
            if !valid_name(&name) {
                return Err(fail(
                    "Library names can only contain letters, numbers, or underscores(_) and must \
                     be at least one character long",
                ));
            }
            if functions.contains_key(&name) {
                return Err(fail("Function already exists in the library"));
            }
            functions.insert(name, LibFunction { f, flags, description });
            Ok(())
        })?;
        redis.raw_set("register_function", register)?;
        let ran = body.call::<()>(());
        redis.raw_set("register_function", Value::Nil)?;
        ran
    });
    result.map(|()| functions)
}

fn fail(text: &str) -> mlua::Error {
    raise(format!("ERR {text}"))
}

/// `register_function(name, callback)` or `register_function{...}`.
fn registration(
    args: mlua::MultiValue,
) -> mlua::Result<(String, Function, Vec<&'static str>, Option<String>)> {
    let args: Vec<Value> = args.into_iter().collect();
    match args.as_slice() {
        [Value::String(name), Value::Function(f)] => {
            Ok((name.to_string_lossy(), f.clone(), Vec::new(), None))
        }
        [Value::Table(t)] => {
            let name = match t.raw_get::<Value>("function_name")? {
                Value::String(s) => s.to_string_lossy(),
                _ => {
                    return Err(fail(
                        "function_name argument given to redis.register_function must be a string",
                    ));
                }
            };
            let Value::Function(f) = t.raw_get::<Value>("callback")? else {
                return Err(fail(
                    "callback argument given to redis.register_function must be a function",
                ));
            };
            let mut flags = Vec::new();
            if let Value::Table(given) = t.raw_get::<Value>("flags")? {
                for flag in given.sequence_values::<String>() {
                    let flag = flag?;
                    let Some(known) = FLAGS.iter().find(|f| **f == flag) else {
                        return Err(fail("unknown flag given"));
                    };
                    flags.push(*known);
                }
            }
            let description = match t.raw_get::<Value>("description")? {
                Value::String(s) => Some(s.to_string_lossy()),
                _ => None,
            };
            Ok((name, f, flags, description))
        }
        [_] => Err(fail(
            "calling redis.register_function with a single argument is only applicable to Lua \
             table (representing named arguments).",
        )),
        _ => Err(fail("wrong number of arguments to redis.register_function")),
    }
}
