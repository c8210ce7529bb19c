//! The server's scripting state, one per server ([`Shared::scripts`]): the
//! Lua interpreter with the scripts it has compiled and the function
//! libraries, and the running script's state.
//!
//! There is one interpreter, behind one async lock, so scripts and
//! functions run one at a time, as in Redis: "the script running" is one
//! script, which `SCRIPT KILL` can name and other connections can be told
//! about. The interpreter is made on first use, with the libraries the
//! data directory holds, so a server that never runs a script never
//! starts Lua.
//!
//! [`Shared::scripts`]: crate::state::Shared

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mlua::Function;
use tokio::sync::{Mutex, MutexGuard};

use super::busy::Running;
use super::functions::{FLAGS, Libraries};
use super::sandbox::{Interpreter, SCRIPT_CHUNK, sha1_hex};

/// Scripting, for every connection.
pub(crate) struct Scripts {
    lua: Mutex<Option<Engine>>,
    running: Arc<Running>,
    /// Where the function libraries are kept across restarts; `None`: not
    /// kept (tests of the parts).
    functions_file: Option<PathBuf>,
}

/// The interpreter and what it holds.
pub(super) struct Engine {
    pub interpreter: Interpreter,
    /// EVAL's script cache: SHA-1 (lowercase hex) to the compiled script.
    scripts: HashMap<String, Cached>,
    pub libraries: Libraries,
}

impl Scripts {
    /// Scripting with `busy-reply-threshold` `threshold`; function
    /// libraries kept in `functions_file`.
    pub(crate) fn new(threshold: Duration, functions_file: Option<PathBuf>) -> Scripts {
        Scripts {
            lua: Mutex::new(None),
            running: Arc::new(Running::new(threshold)),
            functions_file,
        }
    }

    /// Scripting as `config` sets it: its `busy-reply-threshold`, its
    /// libraries kept in the data directory's `state/FUNCTIONS`.
    pub(crate) fn from_config(config: &crate::config::Config) -> Scripts {
        let file = jotter::DataDir::new(&config.data_dir).state().join("FUNCTIONS");
        Scripts::new(Duration::from_millis(config.busy_reply_threshold), Some(file))
    }

    /// The running script's state: the busy check, the threshold setting.
    pub(crate) fn running(&self) -> &Running {
        &self.running
    }

    /// The interpreter, made on first use; waits while a script runs.
    pub(super) async fn engine(&self) -> Result<EngineGuard<'_>, String> {
        let mut guard = self.lua.lock().await;
        if guard.is_none() {
            let interpreter = Interpreter::new(self.running.clone())
                .map_err(|e| format!("ERR cannot start Lua: {e}"))?;
            let mut engine =
                Engine { interpreter, scripts: HashMap::new(), libraries: Libraries::default() };
            if let Some(file) = &self.functions_file {
                // Refused loudly, every time: starting without the
                // libraries would let the next FUNCTION LOAD overwrite them.
                engine.libraries.load_file(&engine.interpreter, file).inspect_err(|e| {
                    tracing::error!(file = %file.display(), "cannot load the function libraries: {e}");
                })?;
            }
            *guard = Some(engine);
        }
        Ok(EngineGuard(guard))
    }

    /// Where the libraries are kept, if anywhere.
    pub(super) fn functions_file(&self) -> Option<&PathBuf> {
        self.functions_file.as_ref()
    }
}

/// Whether an EVAL script's `#!lua flags=a,b` line says `no-writes`, or
/// Redis's refusal of the line.
fn shebang_no_writes(line: &[u8]) -> Result<bool, String> {
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    let engine = words.next().unwrap_or_default();
    if engine != "#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut no_writes = false;
    for word in words {
        let Some(flags) = word.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {word}"));
        };
        for flag in flags.split(',').filter(|f| !f.is_empty()) {
            if !FLAGS.contains(&flag) {
                return Err(format!("ERR Unexpected flag in script shebang: {flag}"));
            }
            no_writes |= flag == "no-writes";
        }
    }
    Ok(no_writes)
}

/// The locked interpreter.
pub(super) struct EngineGuard<'a>(MutexGuard<'a, Option<Engine>>);

impl std::ops::Deref for EngineGuard<'_> {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        self.0.as_ref().expect("made in Scripts::engine")
    }
}

impl std::ops::DerefMut for EngineGuard<'_> {
    fn deref_mut(&mut self) -> &mut Engine {
        self.0.as_mut().expect("made in Scripts::engine")
    }
}

/// A compiled script of the cache.
#[derive(Clone)]
pub(super) struct Cached {
    pub f: Function,
    /// Redis 7.0's `#!lua flags=...` line: `None` without one, else
    /// whether it says `no-writes`.
    pub no_writes: Option<bool>,
}

impl Engine {
    /// Compiles `body` into the script cache (SCRIPT LOAD, EVAL); its SHA-1
    /// and the script, or Redis's error (its shebang, its compilation).
    pub(super) fn load_script(&mut self, body: &[u8]) -> Result<(String, Cached), String> {
        let sha = sha1_hex(body);
        if let Some(cached) = self.scripts.get(&sha) {
            return Ok((sha, cached.clone()));
        }
        let (no_writes, code) = match body.strip_prefix(b"#!") {
            Some(_) => {
                let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
                (Some(shebang_no_writes(&body[..end])?), &body[end..])
            }
            None => (None, body),
        };
        // A shebang stays a line (empty), so line numbers are the script's.
        let f = self
            .interpreter
            .compile(code, SCRIPT_CHUNK)
            .map_err(|e| format!("ERR Error compiling script (new function): {e}"))?;
        let cached = Cached { f, no_writes };
        self.scripts.insert(sha.clone(), cached.clone());
        Ok((sha, cached))
    }

    /// A cached script by its SHA-1, in any case.
    pub(super) fn script(&self, sha: &[u8]) -> Option<(String, Cached)> {
        let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
        self.scripts.get(&sha).map(|cached| (sha, cached.clone()))
    }

    /// SCRIPT FLUSH.
    pub(super) fn flush_scripts(&mut self) {
        self.scripts.clear();
    }
}
