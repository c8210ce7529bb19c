//! COMMAND: the command table as Redis 7.0 describes its own — plain
//! COMMAND and INFO (`info.rs`, with the key specs of `key_specs.rs` and
//! the tips of `annotations.rs`), DOCS (`docs.rs`), GETKEYS and
//! GETKEYSANDFLAGS (`getkeys.rs`), COUNT, LIST with FILTERBY, HELP.

mod annotations;
mod docs;
mod getkeys;
mod info;
mod key_specs;

pub(crate) use getkeys::request_keys;

use jotter_resp::Request;

use super::categories::{categories, sub_categories};
use super::glob::glob_match;
use super::spec::{Ctx, Flow, Spec, Sub, flag, now};
use super::subcommand;

const FLAGS: u16 = flag::LOADING | flag::STALE;

pub(in crate::command) const SPECS: &[Spec] = &[Spec::new(
    "command",
    -1,
    FLAGS | flag::SENTINEL,
    "server",
    "Get array of Redis command details",
    "2.8.13",
    now(command),
)
.subs(SUBS)];

const fn sub(
    name: &'static str,
    arity: i16,
    summary: &'static str,
    since: &'static str,
    help: &'static [&'static [u8]],
    run: fn(&Request, &mut Ctx<'_>) -> Flow,
) -> Sub {
    Sub::now(name, arity, FLAGS, summary, since, help, run)
}

/// COMMAND's subcommands, in `COMMAND HELP`'s order.
const SUBS: &[Sub] = &[
    sub(
        "count",
        2,
        "Get total number of Redis commands",
        "2.8.13",
        &[b"COUNT", b"    Return the total number of commands in this Redis server."],
        count,
    ),
    sub(
        "list",
        -2,
        "Get an array of Redis command names",
        "7.0.0",
        &[b"LIST", b"    Return a list of all commands in this Redis server."],
        list,
    ),
    sub(
        "info",
        -2,
        "Get array of specific Redis command details, or all when no argument is given.",
        "2.8.13",
        &[
            b"INFO [<command-name> ...]",
            b"    Return details about multiple Redis commands.",
            b"    If no command names are given, documentation details for all",
            b"    commands are returned.",
        ],
        info,
    ),
    sub(
        "docs",
        -2,
        "Get array of specific Redis command documentation",
        "7.0.0",
        &[
            b"DOCS [<command-name> ...]",
            b"    Return documentation details about multiple Redis commands.",
            b"    If no command names are given, documentation details for all",
            b"    commands are returned.",
        ],
        docs::docs,
    ),
    sub(
        "getkeys",
        -4,
        "Extract keys given a full Redis command",
        "2.8.13",
        &[b"GETKEYS <full-command>", b"    Return the keys from a full Redis command."],
        getkeys::getkeys,
    ),
    sub(
        "getkeysandflags",
        -4,
        "Extract keys and access flags given a full Redis command",
        "7.0.0",
        &[
            b"GETKEYSANDFLAGS <full-command>",
            b"    Return the keys and the access flags from a full Redis command.",
        ],
        getkeys::getkeysandflags,
    ),
    sub(
        "help",
        2,
        "Show helpful text about the different subcommands",
        "5.0.0",
        &[b"HELP", b"    Prints this help."],
        help,
    ),
];

/// Plain `COMMAND` describes every command; otherwise a subcommand.
fn command(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    if req.len() == 1 {
        let specs = ctx.commands.specs();
        let mut reply = ctx.reply();
        reply.array(specs.len());
        specs.iter().for_each(|spec| info::write(&mut reply, spec));
        return Flow::Continue;
    }
    subcommand::run(SUBS, "COMMAND", req, ctx)
}

fn help(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let head: &[&[u8]] = &[
        b"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"(no subcommand)",
        b"    Return details about all Redis commands.",
    ];
    subcommand::write_help(SUBS, head, ctx);
    Flow::Continue
}

fn count(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let n = ctx.commands.specs().len();
    ctx.reply().integer(i64::try_from(n).unwrap_or(i64::MAX));
    Flow::Continue
}

/// `COMMAND INFO [name ...]`: every command, or those named (null for a
/// name not known).
fn info(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let commands = ctx.commands;
    let mut reply = ctx.reply();
    if req.len() == 2 {
        reply.array(commands.specs().len());
        commands.specs().iter().for_each(|spec| info::write(&mut reply, spec));
        return Flow::Continue;
    }
    reply.array(req.len() - 2);
    for name in req.args().skip(2) {
        match commands.lookup(name) {
            Some((_, spec)) => info::write(&mut reply, spec),
            None => reply.null(),
        }
    }
    Flow::Continue
}

/// `COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN glob]`:
/// every command's name and its subcommands' (`container|sub`).
fn list(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let Some(filter) = Filter::parse(req) else {
        ctx.syntax_error();
        return Flow::Continue;
    };
    let mut names: Vec<String> = Vec::new();
    for spec in ctx.commands.specs() {
        if filter.keeps(spec.name, &categories(spec)) {
            names.push(spec.name.to_owned());
        }
        for sub in spec.subs {
            let full = format!("{}|{}", spec.name, sub.name);
            if filter.keeps(&full, &sub_categories(spec, sub)) {
                names.push(full);
            }
        }
    }
    let mut reply = ctx.reply();
    reply.array(names.len());
    names.iter().for_each(|n| reply.bulk(n.as_bytes()));
    Flow::Continue
}

/// `COMMAND LIST`'s filter.
enum Filter {
    All,
    /// `MODULE name`: this server has no modules.
    Nothing,
    /// `ACLCAT name`, as `@name`.
    Category(String),
    Pattern(Vec<u8>),
}

impl Filter {
    /// The filter of `COMMAND LIST [FILTERBY ...]`; `None`: a syntax error.
    fn parse(req: &Request) -> Option<Filter> {
        if req.len() == 2 {
            return Some(Filter::All);
        }
        if req.len() != 5 || !req.arg(2)?.eq_ignore_ascii_case(b"FILTERBY") {
            return None;
        }
        let by = req.arg(3)?;
        let value = req.arg(4)?;
        if by.eq_ignore_ascii_case(b"MODULE") {
            Some(Filter::Nothing)
        } else if by.eq_ignore_ascii_case(b"ACLCAT") {
            Some(Filter::Category(format!("@{}", String::from_utf8_lossy(value))))
        } else if by.eq_ignore_ascii_case(b"PATTERN") {
            Some(Filter::Pattern(value.to_vec()))
        } else {
            None
        }
    }

    /// Whether a command (or `container|sub`) in `categories` is listed.
    fn keeps(&self, name: &str, categories: &[&str]) -> bool {
        match self {
            Filter::All => true,
            Filter::Nothing => false,
            Filter::Category(wanted) => categories.iter().any(|c| c.eq_ignore_ascii_case(wanted)),
            Filter::Pattern(pattern) => glob_match(pattern, name.as_bytes(), true),
        }
    }
}
