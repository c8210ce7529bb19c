//! Server commands: INFO and TIME. They describe the server; they read no
//! data. COMMAND is its own family (`introspect/`).

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use jotter_resp::Request;

use super::spec::{Ctx, Flow, Spec, flag, now};
use super::writebehind::{Stat, stat_fields};

/// The Redis version whose protocol and replies Jotter follows, reported
/// where clients look for it (HELLO, INFO's `redis_version`).
pub(crate) const REDIS_VERSION: &str = "7.0.0";

pub(super) const SPECS: &[Spec] = &[
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
