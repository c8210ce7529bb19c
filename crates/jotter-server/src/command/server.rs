//! Server commands: COMMAND (and its COUNT, INFO, DOCS, LIST subcommands),
//! INFO and TIME. They describe the server and the command table; they
//! read no data.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use jotter_resp::{ReplyWriter, Request};

use super::spec::{Ctx, Flow, Spec, flag, now};
use super::writebehind::{Stat, stat_fields};

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
        "info",
        -1,
        flag::LOADING | flag::STALE | flag::SENTINEL,
        "server",
        "Returns information and statistics about the server.",
        "1.0.0",
        now(info),
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
            reply.map(3 + usize::from(!spec.subs.is_empty()));
            docs_fields(&mut reply, spec.summary, spec.since, spec.group);
            if !spec.subs.is_empty() {
                reply.bulk(b"subcommands");
                reply.map(spec.subs.len());
                for sub in spec.subs {
                    reply.bulk(format!("{}|{}", spec.name, sub.name).as_bytes());
                    reply.map(3);
                    docs_fields(&mut reply, sub.summary, sub.since, spec.group);
                }
            }
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

/// A command's or subcommand's `COMMAND DOCS` fields.
fn docs_fields(reply: &mut ReplyWriter<'_>, summary: &str, since: &str, group: &str) {
    reply.bulk(b"summary");
    reply.bulk(summary.as_bytes());
    reply.bulk(b"since");
    reply.bulk(since.as_bytes());
    reply.bulk(b"group");
    reply.bulk(group.as_bytes());
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
    reply.array(spec.subs.len());
    for sub in spec.subs {
        reply.array(10);
        reply.bulk(format!("{}|{}", spec.name, sub.name).as_bytes());
        reply.integer(sub.arity.into());
        let flags: Vec<&str> =
            flag::NAMES.iter().filter(|(bit, _)| sub.flags & bit != 0).map(|(_, n)| *n).collect();
        reply.set(flags.len());
        flags.iter().for_each(|name| reply.simple(name.as_bytes()));
        reply.integer(0);
        reply.integer(0);
        reply.integer(0);
        let rows = super::categories::subcommands_of(spec.name);
        let row = super::categories::SUBCOMMANDS[rows].iter().find(|(_, s, _)| *s == sub.name);
        let categories = row.map_or(&[][..], |(_, _, c)| c);
        reply.set(categories.len());
        categories.iter().for_each(|c| reply.simple(c.as_bytes()));
        reply.set(0);
        reply.array(0);
        reply.array(0);
    }
}

const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "keyspace",
    "writebehind",
];

fn info(req: &Request, ctx: &mut Ctx<'_>) -> Flow {
    info_reply(req, ctx);
    Flow::Continue
}

fn info_reply(req: &Request, ctx: &mut Ctx<'_>) {
    let mut sections: Vec<&str> = Vec::new();
    if req.len() == 1 {
        sections.extend_from_slice(DEFAULT_SECTIONS);
    }
    for arg in req.args().skip(1) {
        let arg = String::from_utf8_lossy(arg).to_ascii_lowercase();
        match arg.as_str() {
            "default" | "all" | "everything" => sections.extend_from_slice(DEFAULT_SECTIONS),
            name => {
                if let Some(known) = DEFAULT_SECTIONS.iter().find(|s| **s == name) {
                    sections.push(known);
                }
            }
        }
    }
    let mut text = String::with_capacity(2048);
    for (i, section) in sections.iter().enumerate() {
        if sections[..i].contains(section) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        write_section(&mut text, section, ctx);
    }
    ctx.reply().verbatim(*b"txt", text.as_bytes());
}

fn write_section(out: &mut String, section: &str, ctx: &Ctx<'_>) {
    let shared = ctx.shared;
    let config = &shared.config;
    // `writeln!` would end lines with "\n" alone; INFO lines end in CRLF.
    macro_rules! line {
        ($($arg:tt)*) => {{
            let _ = write!(out, $($arg)*);
            out.push_str("\r\n");
        }};
    }
    match section {
        "server" => {
            let uptime = shared.started.elapsed().as_secs();
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            line!("# Server");
            line!("redis_version:{REDIS_VERSION}");
            line!("jotter_version:{}", env!("CARGO_PKG_VERSION"));
            line!("redis_mode:standalone");
            line!("os:{} {}", std::env::consts::OS, std::env::consts::ARCH);
            line!("arch_bits:{}", usize::BITS);
            line!("process_id:{}", std::process::id());
            line!("tcp_port:{}", ctx.session.entry.laddr.port());
            line!("server_time_usec:{}", now.as_micros());
            line!("uptime_in_seconds:{uptime}");
            line!("uptime_in_days:{}", uptime / 86_400);
        }
        "clients" => {
            line!("# Clients");
            line!("connected_clients:{}", shared.clients.len());
            line!("maxclients:{}", config.maxclients);
            line!("blocked_clients:{}", super::wake::blocked_clients());
        }
        "memory" => {
            let rss = resident_bytes();
            let stats = shared.cache.stats();
            line!("# Memory");
            line!("used_memory:{rss}");
            line!("used_memory_rss:{rss}");
            line!("maxmemory:{}", config.maxmemory.0.0);
            line!("cache_bytes:{}", config.cache_bytes.0.0);
            line!("pending_bytes:{}", stats.pending_bytes);
            line!("max_pending_bytes:{}", config.max_pending_bytes.0.0);
        }
        "persistence" => {
            line!("# Persistence");
            line!("loading:0");
            line!("aof_enabled:0");
            line!("wal_enabled:1");
            line!("wal_fsync:{}", config.fsync.name());
            line!("store:{}", config.store);
        }
        "stats" => {
            line!("# Stats");
            line!(
                "total_connections_received:{}",
                shared.connections_received.load(Ordering::Relaxed)
            );
            line!("total_commands_processed:{}", shared.commands_processed.load(Ordering::Relaxed));
            line!("rejected_connections:{}", shared.rejected_connections.load(Ordering::Relaxed));
            line!("auth_failures:{}", shared.auth_throttle.failures());
            line!("auth_throttled:{}", shared.auth_throttle.throttled());
        }
        "replication" => {
            line!("# Replication");
            line!("role:master");
            line!("connected_slaves:0");
        }
        // Counting keys would mean scanning the store: left empty, as
        // Redis shows an empty keyspace.
        "keyspace" => line!("# Keyspace"),
        "writebehind" => {
            line!("# Writebehind");
            for (name, value) in stat_fields(&shared.cache.stats()) {
                match value {
                    Stat::Int(n) => line!("{name}:{n}"),
                    Stat::Float(x) => line!("{name}:{x:.2}"),
                }
            }
        }
        _ => {}
    }
}

/// Resident memory from /proc (Linux); 0 where it cannot be read.
fn resident_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages * 4096
}
