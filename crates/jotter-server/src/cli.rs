//! The command line: `jotter serve [flags]` and `jotter migrate [flags]`,
//! whose flags override the config file's key of the same name and can also
//! come from a `JOTTER_*` environment variable; and the operator's commands
//! `jotter dead-letters ...` and `jotter key KEY`, which reach a running
//! server as redis-cli does (`-h`, `-p`, `-a`, `--user`, `-u`), or a data
//! directory no server holds (`--config`, `--data-dir`); `jotter bench`; and
//! `jotter worker`, a flush worker of the scale-out mode.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::config::{
    self, Config, FlushPriority, FsyncSetting, LogFormat, Setting, StoreUrl, YesNo,
};

/// Jotter: a write-behind cache that speaks the Redis protocol.
#[derive(Debug, Parser)]
#[command(name = "jotter", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Runs the RESP server and the HTTP admin listener.
    // A flag given twice takes its last value, so scripts can append
    // overrides to a base command line.
    #[command(args_override_self = true)]
    Serve(ServeArgs),
    /// Creates or upgrades the store's schema (the tables Jotter writes),
    /// then exits. `serve` does the same on start; run this to do it ahead
    /// of time, e.g. on a PostgreSQL database. Takes the same flags as
    /// `serve`; only `--config`, `--store` and `--data-dir` matter.
    #[command(args_override_self = true)]
    Migrate(ServeArgs),
    /// Lists, replays or purges the dead letters: writes the store refused
    /// for good. Reaches a running server (-h, -p, -a as redis-cli takes
    /// them), or with --config/--data-dir a data directory no server holds.
    #[command(subcommand)]
    DeadLetters(DeadLettersCommand),
    /// Where is a key's latest write: in the store, pending, retrying or
    /// dead-lettered (JOTTER.KEY on a running server).
    #[command(disable_help_flag = true)]
    Key(KeyArgs),
    /// Runs workloads against Jotter and redis-server side by side
    /// (alternating), servers given or started at each durability level,
    /// and prints throughput, latency percentiles, ratios and the store's
    /// figures; --report DIR also writes a Markdown report.
    Bench(BenchArgs),
    /// Runs one flush worker of the scale-out mode: moves the writes the
    /// front ends recorded in the cluster's Redis into the store
    /// (docs/SCALE-OUT.md). Takes --config like `serve`; flags override it.
    #[command(args_override_self = true)]
    Worker(WorkerArgs),
}

/// `jotter dead-letters ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum DeadLettersCommand {
    /// Shows the dead letters, oldest id first, a page at a time.
    #[command(disable_help_flag = true)]
    List(ListArgs),
    /// Writes dead letters to the store again (after fixing what made the
    /// store refuse them). A key written since keeps its newer value: its
    /// letter is only removed. Letters the store refuses again stay.
    #[command(disable_help_flag = true)]
    Replay(SelectArgs),
    /// Removes dead letters for good; their writes never reach the store.
    #[command(disable_help_flag = true)]
    Purge(SelectArgs),
}

/// Where the operator's commands act: a running server, unless `--config` or
/// `--data-dir` names a data directory to open.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TargetArgs {
    /// Server host name or address.
    #[arg(short = 'h', long = "host", default_value = "127.0.0.1")]
    pub host: String,
    /// Server RESP port.
    #[arg(short = 'p', long = "port", default_value_t = 6380)]
    pub port: u16,
    /// Password (as AUTH takes it; also from the REDISCLI_AUTH environment
    /// variable, which keeps it out of the process list).
    #[arg(short = 'a', long = "pass", env = "REDISCLI_AUTH", hide_env_values = true)]
    pub password: Option<String>,
    /// User name, for a server with [[user]] sections [default: default].
    #[arg(long = "user")]
    pub user: Option<String>,
    /// Server URI, redis://[user[:password]@]host[:port]; what it names
    /// overrides -h, -p, --user and -a.
    #[arg(short = 'u', long = "uri")]
    pub uri: Option<String>,
    /// Open the data directory of this config file instead of reaching a
    /// server (only when no server holds it).
    #[arg(long, conflicts_with = "uri")]
    pub config: Option<PathBuf>,
    /// Open this data directory instead of reaching a server (only when no
    /// server holds it); with --config, overrides its data-dir.
    #[arg(long, conflicts_with = "uri")]
    pub data_dir: Option<PathBuf>,
    /// The store of the data directory opened with --data-dir, as `serve`
    /// takes it [default: the config file's, or sqlite:jotter.db].
    #[arg(long)]
    pub store: Option<StoreUrl>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
}

impl TargetArgs {
    /// The settings of the data directory to open, or `None` to reach a
    /// running server. Built as `serve` builds them from the same flags.
    pub(crate) fn offline_config(&self) -> Option<Result<Config, config::ConfigError>> {
        if self.config.is_none() && self.data_dir.is_none() {
            return None;
        }
        let serve = ServeArgs {
            shared: SharedArgs {
                config: self.config.clone(),
                store: self.store.clone(),
                ..SharedArgs::default()
            },
            data_dir: self.data_dir.clone(),
            ..ServeArgs::default()
        };
        Some(serve.config())
    }
}

/// `jotter dead-letters list`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// Start after this cursor: the one a previous page printed (0 = the
    /// start).
    #[arg(long, default_value = "0")]
    pub cursor: String,
    /// Letters per page.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: u64,
    /// Every page, not only the first.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// The letters `replay` and `purge` act on.
#[derive(Debug, clap::Args)]
pub(crate) struct SelectArgs {
    /// Letter ids, as `list` shows them.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub ids: Vec<u64>,
    /// Every dead letter.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `jotter key KEY`.
#[derive(Debug, clap::Args)]
pub(crate) struct KeyArgs {
    /// The key.
    pub key: String,
    /// Also read the version the store holds now (one store round trip).
    #[arg(long)]
    pub from_store: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `jotter bench`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct BenchArgs {
    /// Servers to start for the bench, `jotter`, `redis` or `jotter,redis`:
    /// each in a temporary folder on a free port, at each --fsync level,
    /// stopped when the bench ends (redis-server is found on PATH).
    #[arg(long, value_enum, value_delimiter = ',', required_unless_present = "targets")]
    pub start: Vec<crate::bench::Kind>,
    /// The durability levels of the servers --start starts, e.g.
    /// always,everysec,no: the whole bench runs at each, servers started
    /// afresh (Jotter --fsync LEVEL; redis-server appendonly yes,
    /// appendfsync LEVEL, or appendonly no for `no`) [default: everysec].
    #[arg(long, value_enum, value_delimiter = ',', requires = "start")]
    pub fsync: Vec<FsyncSetting>,
    /// The store of the Jotter server --start starts, as `jotter serve
    /// --store` takes it, e.g. postgres://127.0.0.1:5432/test [default:
    /// SQLite in its temporary folder].
    #[arg(long, requires = "start")]
    pub store: Option<String>,
    /// A running server to load, KIND=HOST:PORT with KIND `jotter` or
    /// `redis` (e.g. jotter=127.0.0.1:6380); give several to compare them.
    /// Targets run one after the other, round after round.
    #[arg(long = "target", value_parser = crate::bench::Target::parse)]
    pub targets: Vec<crate::bench::Target>,
    /// Also run each Jotter target write-through (every write sent as
    /// JOTTER.THROUGH ...), as a target of its own.
    #[arg(long)]
    pub through: bool,
    /// What the clients send; several (set,get,incr) run one after the
    /// other, each a row of the tables.
    #[arg(long = "workload", value_enum, value_delimiter = ',', default_value = "counters")]
    pub workloads: Vec<crate::bench::Workload>,
    /// Share of requests that are reads, 0 to 1.
    #[arg(long, default_value_t = 0.0, value_parser = parse_ratio)]
    pub read_ratio: f64,
    /// Connections, each its own client.
    #[arg(short = 'c', long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub clients: u32,
    /// Requests each client sends before reading their replies; several
    /// (1,16) run one after the other, each a row of the tables.
    #[arg(
        short = 'P',
        long = "pipeline",
        value_delimiter = ',',
        default_value = "1",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub pipelines: Vec<u32>,
    /// Distinct keys (counters, sessions; players on the leaderboard).
    #[arg(short = 'r', long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub keyspace: u64,
    /// Bytes of each value written (events, sessions' `data` field).
    #[arg(short = 'd', long, default_value_t = 64)]
    pub value_size: usize,
    /// Zipf exponent of the key choice (counters, leaderboard); 0 = uniform.
    #[arg(long, default_value_t = 0.99)]
    pub zipf: f64,
    /// How long each run lasts, e.g. 10s, 1m.
    #[arg(long, default_value = "10s", value_parser = config::parse_duration)]
    pub duration: Duration,
    /// Requests a second offered across all clients, sent on schedule
    /// whatever the replies (latency counts from when a request was due);
    /// 0 = as fast as the replies come.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Runs of each target, alternating (A B A B ...).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: u32,
    /// Password for every target (as AUTH takes it).
    #[arg(short = 'a', long = "pass", env = "REDISCLI_AUTH", hide_env_values = true)]
    pub password: Option<String>,
    /// Write REPORT.md and its SVG plots into this folder.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Print the results as one JSON document instead of tables.
    #[arg(long)]
    pub json: bool,
}

fn parse_ratio(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err("give a number from 0 to 1, e.g. 0.2".to_owned()),
    }
}

/// The flags `jotter serve` and `jotter worker` share: the config file,
/// the store and its batches, the admin port, the log format and the
/// cluster.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct SharedArgs {
    /// A TOML config file (see jotter.example.toml).
    #[arg(long, env = "JOTTER_CONFIG")]
    config: Option<PathBuf>,
    /// sqlite:PATH or postgres://… [default: sqlite:jotter.db; a worker
    /// needs postgres://…].
    #[arg(long, env = "JOTTER_STORE")]
    store: Option<StoreUrl>,
    /// Longest a pending write waits (a worker: longest one read of the
    /// shard streams waits), e.g. 100ms, 1s [default: 1s].
    #[arg(long, env = "JOTTER_FLUSH_INTERVAL", value_parser = config::parse_duration)]
    flush_interval: Option<Duration>,
    /// Most writes per store call [default: 1000].
    #[arg(long, env = "JOTTER_BATCH_SIZE")]
    batch_size: Option<usize>,
    /// Address of the HTTP admin listener [default: 127.0.0.1].
    #[arg(long, env = "JOTTER_ADMIN_BIND")]
    admin_bind: Option<IpAddr>,
    /// Port of the HTTP admin listener, 0 for any free port [default: 9380].
    #[arg(long, env = "JOTTER_ADMIN_PORT")]
    admin_port: Option<u16>,
    /// Token the admin port asks for (Authorization: Bearer TOKEN) on every
    /// path but /health; needed to bind it outside loopback.
    #[arg(long, env = "JOTTER_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// How log lines are written to stderr: text or json, one event a
    /// line [default: text].
    #[arg(long, env = "JOTTER_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    /// The cluster's Redis: redis://[USER:PASSWORD@]HOST:PORT or
    /// redis-sentinel://[USER:PASSWORD@]MASTER@HOST:PORT,HOST:PORT,...
    /// (the Sentinels' own password after ?sentinel-password=) (`serve`:
    /// run as a stateless front end of it, with no data-dir or store).
    #[arg(long, env = "JOTTER_CLUSTER", hide_env_values = true)]
    cluster: Option<String>,
    /// Shard streams of the cluster's write queue, when this process
    /// creates its layout [default: 16].
    #[arg(long, env = "JOTTER_CLUSTER_SHARDS")]
    cluster_shards: Option<u32>,
}

impl SharedArgs {
    /// The file's settings (or the defaults), with these flags over them.
    fn config(&self) -> Result<Config, config::ConfigError> {
        let mut c = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        macro_rules! set {
            ($($field:ident),*) => {$(
                if let Some(v) = &self.$field {
                    c.$field = v.clone();
                }
            )*};
        }
        set!(store, batch_size, admin_bind, admin_port, log_format, cluster_shards);
        if let Some(v) = self.flush_interval {
            c.flush_interval = Setting(v);
        }
        if let Some(v) = &self.admin_token {
            c.admin_token = Some(v.clone());
        }
        if let Some(v) = &self.cluster {
            c.cluster = Some(v.clone());
        }
        Ok(c)
    }
}

/// `jotter worker`.
#[derive(Debug, Default, clap::Args)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    shared: SharedArgs,
    /// This worker's consumer name, unique in the pool [default: HOST:PID].
    #[arg(long, env = "JOTTER_CONSUMER")]
    consumer: Option<String>,
    /// Records pending longer than this with another worker are claimed
    /// [default: 5s].
    #[arg(long, env = "JOTTER_CLAIM_IDLE", value_parser = config::parse_duration)]
    claim_idle: Option<Duration>,
    /// Deliveries after which a record the store refuses is dead-lettered
    /// [default: 5].
    #[arg(long, env = "JOTTER_MAX_DELIVERIES")]
    max_deliveries: Option<u64>,
    /// Before flushing, write every key of the store that Redis does not
    /// hold into Redis (a cluster started on an existing database).
    #[arg(long, env = "JOTTER_LOAD_STORE")]
    load_store: bool,
}

impl WorkerArgs {
    /// Defaults, then the file, then these flags, checked.
    pub(crate) fn config(&self) -> Result<Config, config::ConfigError> {
        let mut c = self.shared.config()?;
        if let Some(v) = &self.consumer {
            c.worker.consumer = Some(v.clone());
        }
        if let Some(v) = self.claim_idle {
            c.worker.claim_idle = Setting(v);
        }
        if let Some(v) = self.max_deliveries {
            c.worker.max_deliveries = v;
        }
        if self.load_store {
            c.worker.load_store = true;
        }
        c.validate()?;
        Ok(c)
    }
}

#[derive(Debug, Default, clap::Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    shared: SharedArgs,
    /// Address of the RESP listener [default: 127.0.0.1].
    #[arg(long, env = "JOTTER_BIND")]
    bind: Option<IpAddr>,
    /// Port of the RESP listener, 0 for any free port [default: 6380].
    #[arg(long, env = "JOTTER_PORT")]
    port: Option<u16>,
    /// Queue length of connections not yet accepted [default: 511].
    #[arg(long, env = "JOTTER_TCP_BACKLOG")]
    tcp_backlog: Option<u32>,
    /// Directory of the write-ahead log and of relative SQLite paths
    /// [default: ./jotter-data].
    #[arg(long, env = "JOTTER_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// When the log is fsynced [default: everysec].
    #[arg(long, env = "JOTTER_FSYNC", value_enum)]
    fsync: Option<FsyncSetting>,
    /// Most key writes a second sent to the store; 0 = no limit [default: 0].
    #[arg(long, env = "JOTTER_MAX_STORE_WRITES_PER_SEC")]
    max_store_writes_per_sec: Option<u64>,
    /// How long tombstones and other bookkeeping rows are kept past the
    /// oldest write still held, e.g. 10m, 1h [default: 1h].
    #[arg(long, env = "JOTTER_BOOKKEEPING_RETENTION", value_parser = config::parse_duration)]
    bookkeeping_retention: Option<Duration>,
    /// How often they are collected; 0 = never [default: 1m].
    #[arg(long, env = "JOTTER_BOOKKEEPING_INTERVAL", value_parser = config::parse_duration)]
    bookkeeping_interval: Option<Duration>,
    /// Most pending writes [default: 1000000].
    #[arg(long, env = "JOTTER_MAX_PENDING")]
    max_pending: Option<u64>,
    /// Bound on the data held, pending and clean, e.g. 256mb; 0 = none
    /// [default: 0].
    #[arg(long, env = "JOTTER_MAXMEMORY", value_parser = config::parse_bytes)]
    maxmemory: Option<config::Bytes>,
    /// Password clients must give with AUTH.
    #[arg(long, env = "JOTTER_REQUIREPASS", hide_env_values = true)]
    requirepass: Option<String>,
    /// Refuse a non-loopback bind without a password [default: yes].
    #[arg(long, env = "JOTTER_PROTECTED_MODE", value_enum)]
    protected_mode: Option<YesNo>,
    /// The server is the database's only writer: list its keys at start and
    /// answer misses on new keys without a read; say no if anything else
    /// writes the database [default: yes].
    #[arg(long, env = "JOTTER_KNOWN_KEYS", value_enum)]
    known_keys: Option<YesNo>,
    /// CPU priority of the SQLite store's writer threads [default: background].
    #[arg(long, env = "JOTTER_FLUSH_PRIORITY", value_enum)]
    flush_priority: Option<FlushPriority>,
    /// How long a front end's write waits for a replica under fsync =
    /// always, e.g. 500ms [default: 1s].
    #[arg(long, env = "JOTTER_CLUSTER_WAIT_TIMEOUT", value_parser = config::parse_duration)]
    cluster_wait_timeout: Option<Duration>,
    /// How long a front end's write-through (JOTTER.THROUGH,
    /// JOTTER.WRITETHROUGH ON) waits for the store, e.g. 30s [default: 10s].
    #[arg(long, env = "JOTTER_CLUSTER_THROUGH_TIMEOUT", value_parser = config::parse_duration)]
    cluster_through_timeout: Option<Duration>,
}

impl ServeArgs {
    /// The config file given (`--config`), made absolute so that `CONFIG
    /// REWRITE` finds it whatever the working directory.
    pub(crate) fn config_file(&self) -> Option<PathBuf> {
        let path = self.shared.config.as_ref()?;
        Some(std::path::absolute(path).unwrap_or_else(|_| path.clone()))
    }

    /// Defaults, then the file, then these flags.
    pub(crate) fn config(&self) -> Result<Config, config::ConfigError> {
        let mut c = self.shared.config()?;
        macro_rules! set {
            ($($field:ident),*) => {$(
                if let Some(v) = &self.$field {
                    c.$field = v.clone();
                }
            )*};
        }
        set!(bind, port, data_dir, fsync, max_pending, protected_mode, known_keys, tcp_backlog);
        set!(max_store_writes_per_sec, flush_priority);
        if let Some(v) = self.bookkeeping_retention {
            c.bookkeeping_retention = Setting(v);
        }
        if let Some(v) = self.bookkeeping_interval {
            c.bookkeeping_interval = Setting(v);
        }
        if let Some(v) = &self.maxmemory {
            c.maxmemory = Setting(*v);
        }
        if let Some(v) = &self.requirepass {
            c.requirepass = Some(v.clone());
        }
        if let Some(v) = self.cluster_wait_timeout {
            c.cluster_wait_timeout = Setting(v);
        }
        if let Some(v) = self.cluster_through_timeout {
            c.cluster_through_timeout = Setting(v);
        }
        c.validate()?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_operator_commands_take_redis_cli_flags() {
        let cli = Cli::try_parse_from([
            "jotter",
            "dead-letters",
            "replay",
            "-h",
            "db",
            "-p",
            "7000",
            "-a",
            "pw",
            "--user",
            "ops",
            "3",
            "5",
        ])
        .unwrap();
        let Command::DeadLetters(DeadLettersCommand::Replay(args)) = cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!((args.target.host.as_str(), args.target.port), ("db", 7000));
        assert_eq!((args.target.password.as_deref(), args.ids), (Some("pw"), vec![3, 5]));
        // Ids or --all, not both, not neither.
        assert!(Cli::try_parse_from(["jotter", "dead-letters", "purge"]).is_err());
        assert!(Cli::try_parse_from(["jotter", "dead-letters", "purge", "1", "--all"]).is_err());
        assert!(Cli::try_parse_from(["jotter", "dead-letters", "list", "--count", "0"]).is_err());
        let cli = Cli::try_parse_from(["jotter", "key", "user:1", "--from-store", "--json"]);
        assert!(matches!(cli.unwrap().command, Command::Key(KeyArgs { from_store: true, .. })));
    }
}
