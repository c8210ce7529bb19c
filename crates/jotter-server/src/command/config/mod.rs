//! `CONFIG GET`, `SET`, `RESETSTAT`, `REWRITE` and `HELP`, over the
//! parameter table in `params.rs` (one row per setting); `rewrite.rs`
//! writes the run-time settings back into the settings file.
//!
//! `CONFIG SET` with several pairs is all or none, as in Redis: an unknown
//! or read-only parameter, or one named twice, refuses the whole command
//! before anything changes; a value refused midway puts back the values
//! already set.

mod params;
mod rewrite;

use std::sync::atomic::Ordering;

use jotter_resp::Request;

use super::glob::glob_match;
use super::spec::{Ctx, Flow, Spec, flag, now};
use crate::state::Shared;

use params::{PARAMS, Param, Set};

pub(in crate::command) const SPECS: &[Spec] = &[Spec::new(
    "config",
    -2,
    flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
    "server",
    "A container for server configuration commands.",
    "2.0.0",
    now(config),
)];

/// CONFIG's subcommands and their arities, as Redis 7.0 gives them.
const SUBCOMMANDS: &[(&str, i16)] =
    &[("get", -3), ("set", -4), ("resetstat", 2), ("rewrite", 2), ("help", 2)];

fn config(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    match ctx.subcommand(req, "config", SUBCOMMANDS) {
        Some("get") => get(req, ctx),
        Some("set") if req.len().is_multiple_of(2) => set(req, ctx),
        Some("set") => ctx.arity_error("config|set"),
        Some("resetstat") => {
            reset_stats(ctx.shared);
            ctx.reply().ok();
        }
        Some("rewrite") => rewrite(ctx),
        Some(_) => ctx.help(HELP),
        None => {}
    }
    Flow::Continue
}

/// `CONFIG HELP`, in Redis's words.
const HELP: &[&[u8]] = &[
    b"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"GET <pattern>",
    b"    Return parameters matching the glob-like <pattern> and their values.",
    b"SET <directive> <value>",
    b"    Set the configuration <directive> to <value>.",
    b"RESETSTAT",
    b"    Reset statistics reported by the INFO command.",
    b"REWRITE",
    b"    Rewrite the configuration file.",
    b"HELP",
    b"    Prints this help.",
];

/// Every parameter matching any pattern, each once, under the name it
/// matched by (a name without glob characters matches itself, ignoring
/// case, as Redis looks it up).
fn get(req: &Request, ctx: &mut Ctx<'_>) {
    let mut found: Vec<(String, &Param)> = Vec::new();
    for pattern in req.args().skip(2) {
        if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            let name = String::from_utf8_lossy(pattern).into_owned();
            if let Some(param) = params::find(pattern)
                && !already(&found, &name)
            {
                found.push((name, param));
            }
            continue;
        }
        for param in PARAMS {
            for name in std::iter::once(&param.name).chain(param.aliases) {
                if glob_match(pattern, name.as_bytes(), true) && !already(&found, name) {
                    found.push(((*name).to_owned(), param));
                }
            }
        }
    }
    let values: Vec<(String, String)> =
        found.into_iter().map(|(name, p)| (name, (p.get)(ctx.shared))).collect();
    let mut reply = ctx.reply();
    reply.map(values.len());
    for (name, value) in &values {
        reply.bulk(name.as_bytes());
        reply.bulk(value.as_bytes());
    }
}

/// Whether `name` is already in the reply: names are one, whatever their
/// case, as Redis's reply map holds them.
fn already(found: &[(String, &Param)], name: &str) -> bool {
    found.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// Sets every pair, or none.
fn set(req: &Request, ctx: &mut Ctx<'_>) {
    let shared = ctx.shared;
    let args: Vec<&[u8]> = req.args().skip(2).collect();
    // The first pair that cannot be set (unknown, read-only, named twice)
    // refuses the command before anything changes, as in Redis.
    let mut chosen: Vec<(&'static Param, Set, &[u8], String)> = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks(2) {
        let (name, value) = (pair[0], String::from_utf8_lossy(pair[1]).into_owned());
        let Some(param) = params::find(name) else {
            let text = format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                String::from_utf8_lossy(name)
            );
            return ctx.reply().error(text.as_bytes());
        };
        let Some(set) = param.set else {
            return set_failed(ctx, name, "can't set immutable config");
        };
        if chosen.iter().any(|(p, ..)| std::ptr::eq(*p, param)) {
            return set_failed(ctx, name, "duplicate parameter");
        }
        chosen.push((param, set, name, value));
    }
    let before: Vec<String> = chosen.iter().map(|(p, ..)| (p.get)(shared)).collect();
    for (i, (_, set, name, value)) in chosen.iter().enumerate() {
        if let Err(problem) = set(shared, value) {
            // Put back what was already set: all or none.
            for ((_, set, ..), old) in chosen[..i].iter().zip(&before) {
                let _ = set(shared, old);
            }
            return set_failed(ctx, name, &problem);
        }
    }
    for (param, ..) in &chosen {
        shared.live.mark_changed(param.name);
    }
    ctx.reply().ok();
}

fn set_failed(ctx: &mut Ctx<'_>, name: &[u8], problem: &str) {
    let text = format!(
        "ERR CONFIG SET failed (possibly related to argument '{}') - {problem}",
        String::from_utf8_lossy(name)
    );
    ctx.reply().error(text.as_bytes());
}

/// `CONFIG RESETSTAT`: INFO's counters back to zero.
fn reset_stats(shared: &Shared) {
    shared.command_stats.reset();
    shared.commands_processed.store(0, Ordering::Relaxed);
    shared.connections_received.store(0, Ordering::Relaxed);
    shared.rejected_connections.store(0, Ordering::Relaxed);
}

fn rewrite(ctx: &mut Ctx<'_>) {
    let shared = ctx.shared;
    let Some(path) = &shared.config_file else {
        return ctx.reply().error(b"ERR The server is running without a config file");
    };
    let entries: Vec<rewrite::Entry<'_>> = PARAMS
        .iter()
        .filter(|p| p.set.is_some())
        .map(|p| rewrite::Entry {
            key: p.name,
            value: (p.get)(shared),
            changed: shared.live.was_changed(p.name),
        })
        .collect();
    match rewrite::rewrite_file(path, &entries) {
        Ok(()) => ctx.reply().ok(),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "CONFIG REWRITE failed");
            let text = format!("ERR Rewriting config file: {e}");
            ctx.reply().error(text.as_bytes());
        }
    }
}
