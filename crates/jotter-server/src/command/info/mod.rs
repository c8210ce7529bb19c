//! `INFO [section ...]`: the server described in Redis's sections and field
//! names (`sections.rs` writes Redis's sections, `counts.rs` the per
//! command and per error counts and Jotter's `writebehind`). Values are
//! Jotter's own; a Redis field Jotter has nothing true to say for is left
//! out rather than made up.
//!
//! `INFO` and `INFO default` give the default sections, `all` and
//! `everything` add `commandstats` (Jotter has no modules, so the two are
//! the same); names are case-insensitive, several may be given, an unknown
//! one adds nothing.

mod counts;
mod sections;
mod text;

pub(super) use sections::resident_bytes;

use jotter_resp::Request;

use super::spec::{Ctx, Flow, Spec, flag, now};

pub(in crate::command) const SPECS: &[Spec] = &[Spec::new(
    "info",
    -1,
    flag::LOADING | flag::STALE | flag::SENTINEL,
    "server",
    "Returns information and statistics about the server.",
    "1.0.0",
    now(info),
)];

/// Every section, in Redis's order, and whether `INFO` alone shows it.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("cluster", true),
    ("keyspace", true),
    ("writebehind", true),
];

fn info(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let wanted = wanted_sections(req);
    let mut text = String::with_capacity(4096);
    for (name, _) in SECTIONS.iter().filter(|(name, _)| wanted.contains(name)) {
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        if !sections::write(&mut text, name, ctx) {
            counts::write(&mut text, name, ctx);
        }
    }
    ctx.reply().verbatim(*b"txt", text.as_bytes());
    Flow::Continue
}

/// The sections a request names, each once, in Redis's order.
fn wanted_sections(req: &Request) -> Vec<&'static str> {
    let defaults = || SECTIONS.iter().filter(|(_, default)| *default).map(|(name, _)| *name);
    if req.len() == 1 {
        return defaults().collect();
    }
    let mut wanted = Vec::new();
    for arg in req.args().skip(1) {
        let arg = arg.to_ascii_lowercase();
        match arg.as_slice() {
            b"default" => wanted.extend(defaults()),
            b"all" | b"everything" => wanted.extend(SECTIONS.iter().map(|(name, _)| *name)),
            name => {
                if let Some((known, _)) = SECTIONS.iter().find(|(s, _)| s.as_bytes() == name) {
                    wanted.push(*known);
                }
            }
        }
    }
    wanted
}
