//! The command line: `jotter serve [flags]` and `jotter migrate [flags]`.
//! Each flag overrides the config
//! file's key of the same name and can also come from a `JOTTER_*`
//! environment variable.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::config::{self, Config, FsyncSetting, LogFormat, Setting, StoreUrl, YesNo};

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
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// A TOML config file (see jotter.example.toml).
    #[arg(long, env = "JOTTER_CONFIG")]
    config: Option<PathBuf>,
    /// Address of the RESP listener [default: 127.0.0.1].
    #[arg(long, env = "JOTTER_BIND")]
    bind: Option<IpAddr>,
    /// Port of the RESP listener, 0 for any free port [default: 6380].
    #[arg(long, env = "JOTTER_PORT")]
    port: Option<u16>,
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
    /// Queue length of connections not yet accepted [default: 511].
    #[arg(long, env = "JOTTER_TCP_BACKLOG")]
    tcp_backlog: Option<u32>,
    /// Directory of the write-ahead log and of relative SQLite paths
    /// [default: ./jotter-data].
    #[arg(long, env = "JOTTER_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// sqlite:PATH or postgres://… [default: sqlite:jotter.db].
    #[arg(long, env = "JOTTER_STORE")]
    store: Option<StoreUrl>,
    /// When the log is fsynced [default: everysec].
    #[arg(long, env = "JOTTER_FSYNC", value_enum)]
    fsync: Option<FsyncSetting>,
    /// How log lines are written to stderr: text or json, one event a
    /// line [default: text].
    #[arg(long, env = "JOTTER_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    /// Longest a pending write waits, e.g. 100ms, 1s [default: 1s].
    #[arg(long, env = "JOTTER_FLUSH_INTERVAL", value_parser = config::parse_duration)]
    flush_interval: Option<Duration>,
    /// Most writes per store call [default: 1000].
    #[arg(long, env = "JOTTER_BATCH_SIZE")]
    batch_size: Option<usize>,
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
}

impl ServeArgs {
    /// Defaults, then the file, then these flags.
    pub(crate) fn config(&self) -> Result<Config, config::ConfigError> {
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
        set!(bind, port, admin_bind, admin_port, data_dir, store, fsync, batch_size, max_pending);
        set!(protected_mode, known_keys, tcp_backlog, max_store_writes_per_sec, log_format);
        if let Some(v) = self.flush_interval {
            c.flush_interval = Setting(v);
        }
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
        if let Some(v) = &self.admin_token {
            c.admin_token = Some(v.clone());
        }
        c.validate()?;
        Ok(c)
    }
}
