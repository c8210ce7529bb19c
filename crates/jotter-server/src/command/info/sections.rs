//! INFO's sections that describe the server as Redis's do: `server`,
//! `clients`, `memory`, `persistence`, `stats`, `replication`, `cpu`,
//! `modules`, `cluster` and `keyspace`, under Redis's field names, with a
//! few fields of Jotter's own where Redis has none for it (`jotter_version`,
//! the write-ahead log, the store, the cache's bounds).

use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use super::super::server::REDIS_VERSION;
use super::super::spec::Ctx;
use super::text::line;

/// Writes the section `name`; false if it is not one of these.
pub(super) fn write(out: &mut String, name: &str, ctx: &Ctx<'_>) -> bool {
    let shared = ctx.shared;
    let config = &shared.config;
    match name {
        "server" => {
            let uptime = shared.started.elapsed().as_secs();
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            let executable = std::env::current_exe().unwrap_or_default();
            let config_file = shared.config_file.clone().unwrap_or_default();
            line!(out, "# Server");
            line!(out, "redis_version:{REDIS_VERSION}");
            line!(out, "jotter_version:{}", env!("CARGO_PKG_VERSION"));
            line!(out, "redis_mode:standalone");
            line!(out, "os:{} {}", std::env::consts::OS, std::env::consts::ARCH);
            line!(out, "arch_bits:{}", usize::BITS);
            line!(out, "process_id:{}", std::process::id());
            line!(out, "process_supervised:no");
            line!(out, "run_id:{}", run_id());
            line!(out, "tcp_port:{}", ctx.session.entry.laddr.port());
            line!(out, "server_time_usec:{}", now.as_micros());
            line!(out, "uptime_in_seconds:{uptime}");
            line!(out, "uptime_in_days:{}", uptime / 86_400);
            line!(out, "executable:{}", executable.display());
            line!(out, "config_file:{}", config_file.display());
            line!(out, "io_threads_active:0");
        }
        "clients" => {
            line!(out, "# Clients");
            line!(out, "connected_clients:{}", shared.clients.len());
            line!(out, "cluster_connections:0");
            line!(out, "maxclients:{}", shared.live.maxclients());
            line!(out, "blocked_clients:{}", super::super::wake::blocked_clients());
            line!(out, "tracking_clients:0");
        }
        "memory" => {
            let rss = resident_bytes();
            let stats = shared.cache.stats();
            let maxmemory = config.maxmemory.0.0;
            line!(out, "# Memory");
            line!(out, "used_memory:{rss}");
            line!(out, "used_memory_human:{}", human(rss));
            line!(out, "used_memory_rss:{rss}");
            line!(out, "used_memory_rss_human:{}", human(rss));
            line!(out, "used_memory_dataset:{}", shared.cache.memory_used());
            line!(out, "total_system_memory:{}", system_memory());
            line!(out, "maxmemory:{maxmemory}");
            line!(out, "maxmemory_human:{}", human(maxmemory));
            line!(out, "maxmemory_policy:noeviction");
            line!(out, "mem_allocator:{}", ALLOCATOR);
            line!(out, "cache_bytes:{}", config.cache_bytes.0.0);
            line!(out, "pending_bytes:{}", stats.pending_bytes);
            line!(out, "max_pending_bytes:{}", config.max_pending_bytes.0.0);
        }
        "persistence" => {
            let saves = &shared.saves;
            line!(out, "# Persistence");
            line!(out, "loading:0");
            line!(out, "async_loading:0");
            line!(out, "rdb_changes_since_last_save:{}", shared.cache.stats().pending_entries);
            line!(out, "rdb_bgsave_in_progress:{}", u8::from(saves.background_running()));
            line!(out, "rdb_last_save_time:{}", saves.last());
            line!(out, "rdb_last_bgsave_status:{}", if saves.last_failed() { "err" } else { "ok" });
            line!(out, "rdb_saves:{}", saves.count());
            // The write-ahead log is the append-only file's counterpart.
            line!(out, "aof_enabled:1");
            line!(out, "aof_rewrite_in_progress:0");
            line!(out, "aof_last_write_status:ok");
            line!(out, "wal_enabled:1");
            line!(out, "wal_fsync:{}", config.fsync.name());
            line!(out, "store:{}", config.store);
        }
        "stats" => {
            let load = |n: &std::sync::atomic::AtomicU64| n.load(Ordering::Relaxed);
            line!(out, "# Stats");
            line!(out, "total_connections_received:{}", load(&shared.connections_received));
            line!(out, "total_commands_processed:{}", load(&shared.commands_processed));
            line!(out, "rejected_connections:{}", load(&shared.rejected_connections));
            line!(out, "total_error_replies:{}", shared.command_stats.total_errors());
            line!(out, "auth_failures:{}", shared.auth_throttle.failures());
            line!(out, "auth_throttled:{}", shared.auth_throttle.throttled());
        }
        "replication" => {
            line!(out, "# Replication");
            line!(out, "role:master");
            line!(out, "connected_slaves:0");
            line!(out, "master_failover_state:no-failover");
            line!(out, "master_replid:{}", run_id());
            line!(out, "master_replid2:{}", "0".repeat(40));
            line!(out, "master_repl_offset:0");
            line!(out, "second_repl_offset:-1");
            line!(out, "repl_backlog_active:0");
            line!(out, "repl_backlog_histlen:0");
        }
        "cpu" => {
            let [sys, user, sys_children, user_children] = cpu_seconds();
            line!(out, "# CPU");
            line!(out, "used_cpu_sys:{sys:.6}");
            line!(out, "used_cpu_user:{user:.6}");
            line!(out, "used_cpu_sys_children:{sys_children:.6}");
            line!(out, "used_cpu_user_children:{user_children:.6}");
        }
        "modules" => line!(out, "# Modules"),
        "cluster" => {
            line!(out, "# Cluster");
            line!(out, "cluster_enabled:0");
        }
        // Counting keys would mean scanning the store: left empty, as
        // Redis shows an empty keyspace.
        "keyspace" => line!(out, "# Keyspace"),
        _ => return false,
    }
    true
}

#[cfg(all(target_os = "linux", not(target_env = "msvc")))]
const ALLOCATOR: &str = "jemalloc";
#[cfg(not(all(target_os = "linux", not(target_env = "msvc"))))]
const ALLOCATOR: &str = "libc";

/// The run's id: 40 random hex digits, as Redis's, drawn once.
fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        (0..40)
            .map(|_| char::from_digit(u32::from(fastrand::u8(0..16)), 16).unwrap_or('0'))
            .collect()
    })
}

/// Bytes as Redis's `*_human` fields write them: `1.50M`.
fn human(bytes: u64) -> String {
    let b = bytes as f64;
    let units = [(1u64 << 40, 'T'), (1 << 30, 'G'), (1 << 20, 'M'), (1 << 10, 'K')];
    for (size, unit) in units {
        if bytes >= size {
            let scaled = b / size as f64;
            return format!("{scaled:.2}{unit}");
        }
    }
    format!("{bytes}B")
}

/// Resident memory from /proc (Linux); 0 where it cannot be read.
pub(in crate::command) fn resident_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages * 4096
}

/// The machine's memory from /proc (Linux); 0 where it cannot be read.
fn system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// CPU seconds (system, user, children's system, children's user) from
/// /proc (Linux, at its usual 100 ticks a second); zeros where it cannot
/// be read.
fn cpu_seconds() -> [f64; 4] {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return [0.0; 4] };
    // The fields after the command name, which is in parentheses and may
    // hold spaces: utime, stime, cutime, cstime are the 12th to 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let field = |i: usize| -> f64 {
        rest.split_whitespace().nth(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0
    };
    [field(12), field(11), field(14), field(13)]
}
