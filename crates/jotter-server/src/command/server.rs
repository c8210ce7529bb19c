//! Server commands: COMMAND (and its COUNT, INFO, DOCS, LIST subcommands),
//! ROLE and TIME. They describe the server and the command table; they
//! read no data.

use std::time::{SystemTime, UNIX_EPOCH};

use jotter_resp::{ReplyWriter, Request};

use super::spec::{Ctx, Flow, Spec, flag, now};

/// The Redis version whose protocol and replies Jotter follows, reported
/// where clients look for it (HELLO, INFO's `redis_version`).
pub(crate) const REDIS_VERSION: &str = "7.0.0";

pub(super) const SPECS: &[Spec] = &[
    Spec::new(
        "command",
        -1,
        flag::LOADING | flag::STALE | flag::SENTINEL,
        "server",
        "Returns detailed information about all commands.",
        "2.8.13",
        now(command),
    ),
    Spec::new(
        "role",
        1,
        flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::FAST,
        "server",
        "Returns the replication role.",
        "2.8.12",
        now(role),
    ),
    Spec::new(
        "time",
        1,
        flag::LOADING | flag::STALE | flag::FAST,
        "server",
        "Returns the server time.",
        "2.6.0",
        now(time),
    ),
];

fn time(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let mut reply = ctx.reply();
    reply.array(2);
    reply.bulk(itoa::Buffer::new().format(now.as_secs()).as_bytes());
    reply.bulk(itoa::Buffer::new().format(now.subsec_micros()).as_bytes());
    Flow::Continue
}

/// A master with no replicas, at offset 0: Jotter does not replicate.
fn role(_req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    let mut reply = ctx.reply();
    reply.array(3);
    reply.bulk(b"master");
    reply.integer(0);
    reply.array(0);
    Flow::Continue
}

fn command(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    command_reply(req, ctx);
    Flow::Continue
}

fn command_reply(req: &Request, ctx: &mut Ctx<'_>) {
    let commands = ctx.commands;
    let specs = commands.specs();
    let lookup = |name: &[u8]| commands.lookup(name);
    let Some(sub) = req.arg(1) else {
        let mut reply = ctx.reply();
        reply.array(specs.len());
        for spec in specs {
            command_info(&mut reply, spec);
        }
        return;
    };
    let is = |name: &[u8]| sub.eq_ignore_ascii_case(name);
    if is(b"count") {
        if req.len() != 2 {
            return ctx.arity_error("command|count");
        }
        ctx.reply().integer(i64::try_from(specs.len()).unwrap_or(i64::MAX));
    } else if is(b"info") {
        let mut reply = ctx.reply();
        if req.len() == 2 {
            reply.array(specs.len());
            specs.iter().for_each(|spec| command_info(&mut reply, spec));
        } else {
            reply.array(req.len() - 2);
            for name in req.args().skip(2) {
                match lookup(name) {
                    Some((_, spec)) => command_info(&mut reply, spec),
                    None => reply.null(),
                }
            }
        }
    } else if is(b"docs") {
        let wanted: Vec<&Spec> = if req.len() == 2 {
            specs.to_vec()
        } else {
            req.args().skip(2).filter_map(|name| lookup(name).map(|(_, s)| s)).collect()
        };
        let mut reply = ctx.reply();
        reply.map(wanted.len());
        for spec in wanted {
            reply.bulk(spec.name.as_bytes());
            reply.map(3);
            reply.bulk(b"summary");
            reply.bulk(spec.summary.as_bytes());
            reply.bulk(b"since");
            reply.bulk(spec.since.as_bytes());
            reply.bulk(b"group");
            reply.bulk(spec.group.as_bytes());
        }
    } else if is(b"list") {
        let mut reply = ctx.reply();
        reply.array(specs.len());
        specs.iter().for_each(|spec| reply.bulk(spec.name.as_bytes()));
    } else if is(b"help") {
        ctx.help(COMMAND_HELP);
    } else {
        ctx.unknown_subcommand(sub, "COMMAND");
    }
}

/// `COMMAND HELP`: the subcommands, in Redis's words.
const COMMAND_HELP: &[&[u8]] = &[
    b"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"(no subcommand)",
    b"    Return details about all commands.",
    b"COUNT",
    b"    Return the total number of commands in this server.",
    b"LIST",
    b"    Return a list of all commands in this server.",
    b"INFO [<command-name> ...]",
    b"    Return details about multiple commands.",
    b"DOCS [<command-name> ...]",
    b"    Return documentation details about multiple commands.",
];

/// One command's `COMMAND INFO` entry, Redis 7.0's ten fields.
fn command_info(reply: &mut ReplyWriter<'_>, spec: &Spec) {
    reply.array(10);
    reply.bulk(spec.name.as_bytes());
    reply.integer(spec.arity.into());
    let flags: Vec<&str> =
        flag::NAMES.iter().filter(|(bit, _)| spec.has(*bit)).map(|(_, name)| *name).collect();
    reply.set(flags.len());
    flags.iter().for_each(|name| reply.simple(name.as_bytes()));
    reply.integer(spec.first_key.into());
    reply.integer(spec.last_key.into());
    reply.integer(spec.step.into());
    let categories = super::categories::categories(spec);
    reply.set(categories.len());
    categories.iter().for_each(|c| reply.simple(c.as_bytes()));
    reply.set(0); // tips
    reply.array(0); // key specs
    reply.array(0); // subcommands
}
