//! The server's settings: one TOML file (`--config`), layered as
//! defaults < file < command-line flags (and their `JOTTER_*` environment
//! variables), then checked as a whole before anything starts.
//!
//! Every key, with its default, is documented in `jotter.example.toml` at
//! the repository root; a test parses that file and compares it with
//! [`Config::default`], so the two cannot drift apart. Keys are kebab-case
//! and unknown keys are refused, so a typo stops the start instead of being
//! silently ignored.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Why the settings cannot be used. Each message names the key at fault and
/// what it accepts.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// toml's message quotes the offending line, so the key is named, and
    /// serde's enum errors list the allowed values.
    #[error("invalid config file {path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("invalid setting {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

impl ConfigError {
    fn invalid(key: &'static str, message: impl Into<String>) -> Self {
        ConfigError::Invalid { key, message: message.into() }
    }
}

/// Every setting of `jotter serve`. Field docs end with the default.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub(crate) struct Config {
    /// Address of the RESP listener. Default: 127.0.0.1.
    pub bind: IpAddr,
    /// Port of the RESP listener; 0 picks a free one. Default: 6380.
    pub port: u16,
    /// Address of the HTTP admin listener. Default: 127.0.0.1.
    pub admin_bind: IpAddr,
    /// Port of the HTTP admin listener; 0 picks a free one. Default: 9380.
    pub admin_port: u16,
    /// Token the admin port asks for (`Authorization: Bearer TOKEN`) on
    /// every path but `/health`; needed to bind it outside loopback.
    /// Default: none.
    pub admin_token: Option<String>,
    /// Length of the RESP listeners' queue of connections not yet accepted
    /// (the kernel caps it at net.core.somaxconn). Default: 511.
    pub tcp_backlog: u32,
    /// Directory of the write-ahead log (`log/`) and of relative SQLite
    /// paths. Default: ./jotter-data.
    pub data_dir: PathBuf,
    /// Where writes go: `sqlite:PATH` (relative to data-dir) or
    /// `postgres://…`. Default: sqlite:jotter.db.
    pub store: StoreUrl,
    /// When the log is fsynced: always | everysec | no. Default: everysec.
    pub fsync: FsyncSetting,
    /// Longest a pending write waits before its batch goes. Default: 1s.
    pub flush_interval: Setting<Duration>,
    /// Most writes in one store call. Default: 1000.
    pub batch_size: usize,
    /// Flush workers; 0 means one per CPU core. Default: 0.
    pub flush_workers: usize,
    /// Most key writes a second sent to the store, across all workers, so
    /// the backlog of a long outage does not flood a database that has
    /// just come back; 0 = no limit. Default: 0.
    pub max_store_writes_per_sec: u64,
    /// How long the store keeps bookkeeping rows (tombstones, key resets,
    /// leftover expiry records, mapped versions) past the oldest write the
    /// server still holds, so that late writes of another instance cannot
    /// undo newer ones. Default: 1h.
    pub bookkeeping_retention: Setting<Duration>,
    /// How often the store is asked to drop the bookkeeping rows older than
    /// that; 0 = never. Default: 1m.
    pub bookkeeping_interval: Setting<Duration>,
    /// Most pending writes (not yet in the store). Default: 1000000.
    pub max_pending: u64,
    /// Most bytes held by pending writes. Default: 256mb.
    pub max_pending_bytes: Setting<Bytes>,
    /// What a write does when a bound is reached: block | reject |
    /// write-through. Default: block.
    pub full_policy: FullPolicySetting,
    /// How long a write may wait for room under `block`. Default: 5s.
    pub block_timeout: Setting<Duration>,
    /// Memory for clean (already stored) entries. Default: 64mb.
    pub cache_bytes: Setting<Bytes>,
    /// One bound on the data held, pending and clean (Redis's name): clean
    /// entries are evicted first, and when pending writes alone reach it
    /// `full-policy` answers; 0 = none beyond the two above. Default: 0.
    pub maxmemory: Setting<Bytes>,
    /// The server is the store's only writer: it lists the store's keys at
    /// start and answers a miss on a key it never saw without a store read.
    /// Say no if anything else writes the database. Default: yes.
    pub known_keys: YesNo,
    /// Password of the `default` user; clients must AUTH. Default: none.
    pub requirepass: Option<String>,
    /// Named users for `AUTH name password`. Default: none.
    pub user: Vec<User>,
    /// Refuse to listen on a non-loopback address without a password.
    /// Default: yes.
    pub protected_mode: YesNo,
    /// Most connected clients; more are refused. Default: 10000.
    pub maxclients: usize,
    /// Seconds a client may stay idle before it is closed; 0 = never.
    /// Default: 0.
    pub timeout: u64,
    /// A client whose pending replies exceed this many bytes is closed;
    /// 0 = no limit. Default: 256mb (Redis's hard limit for its replica
    /// class): a client that never reads its replies cannot hold more.
    pub client_output_buffer_limit: Setting<Bytes>,
    /// Longest argument a client may send. Default: 512mb.
    pub proto_max_bulk_len: Setting<Bytes>,
    /// How long a stop may spend draining pending writes. Default: 10s.
    pub shutdown_timeout: Setting<Duration>,
    /// A second RESP listener speaking TLS (built with the `tls` feature).
    /// Default: none.
    pub tls: Option<Tls>,
    /// Keys written into the user's own PostgreSQL tables instead of
    /// jotter's. Default: none.
    pub mapping: Vec<MappingSetting>,
}

/// `[[mapping]]`: keys matching `keys` written into `table`, one row per
/// key (see `jotter_postgres::Mapping`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct MappingSetting {
    /// A literal prefix then `*`, as `user:*`.
    pub keys: String,
    /// The user's table (`name` or `schema.name`).
    pub table: String,
    /// The column that receives the key's suffix after the prefix.
    pub key_column: String,
    /// What the keys hold: hash (fields → columns) or string (value →
    /// value-column). Default: hash.
    #[serde(default)]
    pub kind: MappingKind,
    /// For `kind = "string"`: the value's column.
    pub value_column: Option<String>,
    /// Column name → type (text, integer, bigint, double, boolean,
    /// timestamp, jsonb, bytea).
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnTypeSetting>,
}

/// `kind` of a `[[mapping]]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum MappingKind {
    #[default]
    Hash,
    String,
}

/// A column type of a `[[mapping]]`, as jotter-postgres names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ColumnTypeSetting(pub jotter_postgres::ColumnType);

impl<'de> Deserialize<'de> for ColumnTypeSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map(ColumnTypeSetting).map_err(serde::de::Error::custom)
    }
}

impl MappingSetting {
    /// The mapping jotter-postgres takes, or what is wrong with it.
    pub(crate) fn to_mapping(&self) -> Result<jotter_postgres::Mapping, ConfigError> {
        use jotter_postgres::{ColumnType, Mapping, Shape};
        let invalid = |message: String| {
            ConfigError::invalid(
                "mapping",
                format!("[[mapping]] keys = {:?}: {message}", self.keys),
            )
        };
        let shape = match (self.kind, &self.value_column) {
            (MappingKind::Hash, None) => {
                Shape::Hash(self.columns.iter().map(|(n, t)| (n.clone(), t.0)).collect())
            }
            (MappingKind::Hash, Some(_)) => {
                return Err(invalid(
                    "value-column is for kind = \"string\"; a hash maps its fields by \
                     [mapping.columns]"
                        .into(),
                ));
            }
            (MappingKind::String, None) => {
                return Err(invalid("kind = \"string\" needs value-column".into()));
            }
            (MappingKind::String, Some(column)) => {
                if let Some(other) = self.columns.keys().find(|n| *n != column) {
                    return Err(invalid(format!(
                        "a string mapping writes only its value-column; remove column {other:?}"
                    )));
                }
                let ty = self.columns.get(column).map_or(ColumnType::Text, |t| t.0);
                Shape::String { column: column.clone(), ty }
            }
        };
        Mapping::new(&self.keys, &self.table, &self.key_column, shape)
            .map_err(|e| ConfigError::invalid("mapping", e.to_string()))
    }
}

/// `[tls]`: a TLS listener on `bind`:`port`, beside the plain one.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Tls {
    /// Port of the TLS listener; 0 picks a free one.
    pub port: u16,
    /// PEM file with the certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::from([127, 0, 0, 1]),
            port: 6380,
            admin_bind: IpAddr::from([127, 0, 0, 1]),
            admin_port: 9380,
            admin_token: None,
            tcp_backlog: 511,
            data_dir: PathBuf::from("./jotter-data"),
            store: StoreUrl::Sqlite(PathBuf::from("jotter.db")),
            fsync: FsyncSetting::Everysec,
            flush_interval: Setting(Duration::from_secs(1)),
            batch_size: 1000,
            flush_workers: 0,
            max_store_writes_per_sec: 0,
            bookkeeping_retention: Setting(Duration::from_secs(3_600)),
            bookkeeping_interval: Setting(Duration::from_secs(60)),
            max_pending: 1_000_000,
            max_pending_bytes: Setting(Bytes(256 << 20)),
            full_policy: FullPolicySetting::Block,
            block_timeout: Setting(Duration::from_secs(5)),
            cache_bytes: Setting(Bytes(64 << 20)),
            maxmemory: Setting(Bytes(0)),
            known_keys: YesNo::Yes,
            requirepass: None,
            user: Vec::new(),
            protected_mode: YesNo::Yes,
            maxclients: 10_000,
            timeout: 0,
            client_output_buffer_limit: Setting(Bytes(256 << 20)),
            proto_max_bulk_len: Setting(Bytes(512 << 20)),
            shutdown_timeout: Setting(Duration::from_secs(10)),
            tls: None,
            mapping: Vec::new(),
        }
    }
}

/// The longest `bookkeeping-retention`: 100 years.
const MAX_BOOKKEEPING_RETENTION: Duration = Duration::from_secs(36_500 * 86_400);

/// A named user for `AUTH name password`.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct User {
    pub name: String,
    pub password: String,
}

impl fmt::Debug for User {
    // Passwords stay out of logs and panics.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User").field("name", &self.name).finish_non_exhaustive()
    }
}

/// `fsync`: when the write-ahead log reaches the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum FsyncSetting {
    Always,
    Everysec,
    No,
}

impl FsyncSetting {
    pub(crate) fn engine(self) -> jotter::Fsync {
        match self {
            FsyncSetting::Always => jotter::Fsync::Always,
            FsyncSetting::Everysec => jotter::Fsync::EverySec,
            FsyncSetting::No => jotter::Fsync::No,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            FsyncSetting::Always => "always",
            FsyncSetting::Everysec => "everysec",
            FsyncSetting::No => "no",
        }
    }
}

/// `full-policy`: what a write does when the pending bound is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum FullPolicySetting {
    Block,
    Reject,
    WriteThrough,
}

/// Redis's `yes`/`no` switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum YesNo {
    Yes,
    No,
}

/// `store`: which database the writes go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StoreUrl {
    /// An SQLite file; a relative path is taken from the data directory.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (shown without it: it may hold a password).
    Postgres(String),
}

impl std::str::FromStr for StoreUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(path) = s.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err("sqlite: needs a file path, as in sqlite:jotter.db".into());
            }
            Ok(StoreUrl::Sqlite(PathBuf::from(path)))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(StoreUrl::Postgres(s.to_owned()))
        } else {
            Err(format!("{s:?} is not sqlite:PATH or postgres://…"))
        }
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            // The URL may hold a password: show the scheme only.
            StoreUrl::Postgres(_) => f.write_str("postgres://…"),
        }
    }
}

impl<'de> Deserialize<'de> for StoreUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A byte size, as Redis writes them: `1024`, `64kb`, `256mb`, `1gb` (powers
/// of 1024) or `1k`, `1m`, `1g` (powers of 1000).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bytes(pub u64);

/// A duration: `250ms`, `1s`, `2m`, `1h` (a bare number means seconds).
/// `Setting<T>` wraps the parsed value so that a file may write either the
/// text form or, for sizes, a plain integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Setting<T>(pub T);

pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let bad = || format!("{s:?} is not a duration (use a number and a unit: 100ms, 1s, 2m, 1h)");
    let n: u64 = digits.parse().map_err(|_| bad())?;
    Ok(match unit.trim() {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(bad()),
    })
}

pub(crate) fn parse_bytes(s: &str) -> Result<Bytes, String> {
    let lower = s.trim().to_ascii_lowercase();
    let split = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let bad = || format!("{s:?} is not a size (use bytes or a unit: 64kb, 256mb, 1gb)");
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let scale: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1 << 10,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(scale).map(Bytes).ok_or_else(bad)
}

/// A setting written as a plain number or as text with a unit.
#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    Number(u64),
    Text(String),
}

impl<'de> Deserialize<'de> for Setting<Duration> {
    /// A plain number is seconds, as in `timeout`.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(Setting(Duration::from_secs(n))),
            Raw::Text(s) => parse_duration(&s).map(Setting).map_err(serde::de::Error::custom),
        }
    }
}

impl<'de> Deserialize<'de> for Setting<Bytes> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(Setting(Bytes(n))),
            Raw::Text(s) => parse_bytes(&s).map(Setting).map_err(serde::de::Error::custom),
        }
    }
}

impl Config {
    /// Reads a TOML file over the defaults.
    pub(crate) fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Config::from_toml(&text)
            .map_err(|source| ConfigError::Parse { path: path.to_owned(), source })
    }

    pub(crate) fn from_toml(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }

    /// Whether clients must authenticate before most commands.
    pub(crate) fn auth_required(&self) -> bool {
        self.requirepass.is_some() || !self.user.is_empty()
    }

    /// Where the SQLite file is, for an SQLite store.
    pub(crate) fn sqlite_path(&self) -> Option<PathBuf> {
        match &self.store {
            StoreUrl::Sqlite(path) => Some(self.data_dir.join(path)),
            StoreUrl::Postgres(_) => None,
        }
    }

    /// Checks the settings together; the first problem stops the start.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.tls.is_some() && !cfg!(feature = "tls") {
            return Err(ConfigError::invalid(
                "tls",
                "this jotter was built without TLS; rebuild with `--features tls` \
                 or remove the [tls] section",
            ));
        }
        if !self.mapping.is_empty() && matches!(self.store, StoreUrl::Sqlite(_)) {
            return Err(ConfigError::invalid(
                "mapping",
                "[[mapping]] writes into PostgreSQL tables: set store = \"postgres://...\" or \
                 remove the [[mapping]] sections",
            ));
        }
        for m in &self.mapping {
            m.to_mapping()?;
        }
        if self.batch_size == 0 {
            return Err(ConfigError::invalid("batch-size", "must be at least 1"));
        }
        if self.flush_workers > 1024 {
            return Err(ConfigError::invalid(
                "flush-workers",
                "must be between 1 and 1024 (0 = one per core)",
            ));
        }
        if self.flush_interval.0.is_zero() {
            return Err(ConfigError::invalid("flush-interval", "must be greater than zero"));
        }
        // Versions count microseconds in their upper 52 bits: a longer
        // retention would reach back before the clock's start.
        if self.bookkeeping_retention.0 > MAX_BOOKKEEPING_RETENTION {
            return Err(ConfigError::invalid(
                "bookkeeping-retention",
                "must be at most 36500 days (set bookkeeping-interval = 0 to never collect)",
            ));
        }
        let interval = self.bookkeeping_interval.0;
        if !interval.is_zero() && interval < Duration::from_millis(100) {
            return Err(ConfigError::invalid(
                "bookkeeping-interval",
                "must be at least 100ms, or 0 to never collect",
            ));
        }
        if self.max_pending == 0 {
            return Err(ConfigError::invalid("max-pending", "must be at least 1"));
        }
        if self.max_pending_bytes.0.0 < 1024 {
            return Err(ConfigError::invalid("max-pending-bytes", "must be at least 1kb"));
        }
        if self.maxmemory.0.0 != 0 && self.maxmemory.0.0 < 1 << 20 {
            return Err(ConfigError::invalid("maxmemory", "must be at least 1mb, or 0 for none"));
        }
        if self.maxclients == 0 {
            return Err(ConfigError::invalid("maxclients", "must be at least 1"));
        }
        // Redis's own floor: below it ordinary commands would not fit.
        if self.proto_max_bulk_len.0.0 < 1 << 20 {
            return Err(ConfigError::invalid("proto-max-bulk-len", "must be at least 1mb"));
        }
        if self.requirepass.as_deref() == Some("") {
            return Err(ConfigError::invalid(
                "requirepass",
                "must not be empty (leave it out for no password)",
            ));
        }
        for (i, user) in self.user.iter().enumerate() {
            if user.name.is_empty() || user.name.contains(|c: char| c.is_whitespace()) {
                return Err(ConfigError::invalid("user.name", "must be a non-empty word"));
            }
            if self.user[..i].iter().any(|u| u.name == user.name) {
                return Err(ConfigError::invalid(
                    "user.name",
                    format!("{:?} is defined twice", user.name),
                ));
            }
        }
        if self.admin_token.as_deref() == Some("") {
            return Err(ConfigError::invalid(
                "admin-token",
                "must not be empty (leave it out for no token)",
            ));
        }
        // The admin port has no password of its own but the token: whatever
        // protected mode says, it listens outside loopback only with one.
        if !self.admin_bind.is_loopback() && self.admin_token.is_none() {
            return Err(ConfigError::invalid(
                "admin-bind",
                format!(
                    "the admin port refuses to listen on {} without a token: set admin-token \
                     (clients then send Authorization: Bearer TOKEN) or bind a loopback address",
                    self.admin_bind
                ),
            ));
        }
        if self.tcp_backlog == 0 || self.tcp_backlog > 65_535 {
            return Err(ConfigError::invalid("tcp-backlog", "must be between 1 and 65535"));
        }
        if self.protected_mode == YesNo::Yes && !self.auth_required() && !self.bind.is_loopback() {
            return Err(ConfigError::invalid(
                "bind",
                format!(
                    "protected mode refuses to listen on {} without a password: \
                     set requirepass (or a [[user]]), bind a loopback address, \
                     or set protected-mode = \"no\"",
                    self.bind
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../../jotter.example.toml");

    #[test]
    fn the_example_file_states_the_defaults() {
        let parsed = Config::from_toml(EXAMPLE).expect("jotter.example.toml parses");
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn the_example_file_names_every_key() {
        // A key left out of the example would still parse to the default;
        // this catches a new key that was never documented.
        for key in [
            "bind",
            "port",
            "admin-bind",
            "admin-port",
            "admin-token",
            "tcp-backlog",
            "data-dir",
            "store",
            "fsync",
            "flush-interval",
            "batch-size",
            "flush-workers",
            "max-store-writes-per-sec",
            "bookkeeping-retention",
            "bookkeeping-interval",
            "max-pending",
            "max-pending-bytes",
            "full-policy",
            "block-timeout",
            "cache-bytes",
            "known-keys",
            "requirepass",
            "[[user]]",
            "protected-mode",
            "maxclients",
            "timeout",
            "client-output-buffer-limit",
            "proto-max-bulk-len",
            "shutdown-timeout",
            "[tls]",
            "[[mapping]]",
            "keys",
            "table",
            "key-column",
            "kind",
            "value-column",
            "[mapping.columns]",
        ] {
            assert!(EXAMPLE.contains(key), "jotter.example.toml does not document {key}");
        }
    }

    #[test]
    fn a_bad_enum_names_the_key_and_the_values() {
        let err = Config::from_toml("fsync = \"sometimes\"").unwrap_err().to_string();
        assert!(err.contains("fsync"), "{err}");
        assert!(err.contains("always") && err.contains("everysec") && err.contains("no"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Config::from_toml("prot = 1").unwrap_err().to_string();
        assert!(err.contains("prot"), "{err}");
    }

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_bytes("256mb"), Ok(Bytes(256 << 20)));
        assert_eq!(parse_bytes("1k"), Ok(Bytes(1000)));
        assert_eq!(parse_bytes("17"), Ok(Bytes(17)));
        assert!(parse_bytes("1tb").is_err());
        assert_eq!(parse_duration("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("fast").is_err());
        let c =
            Config::from_toml("cache-bytes = 4096\nmax-pending-bytes = \"1mb\"\nblock-timeout = 2")
                .unwrap();
        assert_eq!(c.block_timeout.0, Duration::from_secs(2));
        assert_eq!(c.cache_bytes.0, Bytes(4096));
        assert_eq!(c.max_pending_bytes.0, Bytes(1 << 20));
    }

    #[test]
    fn postgres_is_accepted_and_shown_without_the_password() {
        let c = Config::from_toml("store = \"postgres://u:secret@db/app\"").unwrap();
        c.validate().unwrap();
        let shown = c.store.to_string();
        assert!(shown.starts_with("postgres://") && !shown.contains("secret"), "{shown}");
    }

    #[test]
    fn mappings_parse_and_need_postgres() {
        let text = r#"
            store = "postgres://db/app"
            [[mapping]]
            keys = "user:*"
            table = "users"
            key-column = "id"
            [mapping.columns]
            name = "text"
            score = "integer"
            [[mapping]]
            keys = "setting:*"
            table = "settings"
            key-column = "name"
            kind = "string"
            value-column = "doc"
            columns = { doc = "jsonb" }
        "#;
        let c = Config::from_toml(text).unwrap();
        c.validate().unwrap();
        assert_eq!(c.mapping.len(), 2);
        assert_eq!(c.mapping[0].to_mapping().unwrap().prefix(), "user:");
        let sqlite = text.replace("postgres://db/app", "sqlite:x.db");
        let err = Config::from_toml(&sqlite).unwrap().validate().unwrap_err().to_string();
        assert!(err.contains("mapping") && err.contains("postgres"), "{err}");
        let bad_type = text.replace("\"integer\"", "\"int\"");
        let err = Config::from_toml(&bad_type).unwrap_err().to_string();
        assert!(err.contains("int") && err.contains("bigint"), "{err}");
        let bad_keys = text.replace("user:*", "user:");
        let err = Config::from_toml(&bad_keys).unwrap().validate().unwrap_err().to_string();
        assert!(err.contains("prefix followed by *"), "{err}");
    }

    #[test]
    fn protected_mode_refuses_an_open_bind_without_password() {
        let mut c = Config { bind: IpAddr::from([0, 0, 0, 0]), ..Config::default() };
        assert!(c.validate().unwrap_err().to_string().contains("protected mode"));
        c.requirepass = Some("pw".into());
        c.validate().unwrap();
    }

    #[test]
    fn the_admin_port_listens_outside_loopback_only_with_a_token() {
        // A password for RESP does not protect the HTTP port.
        let mut c = Config {
            admin_bind: IpAddr::from([0, 0, 0, 0]),
            requirepass: Some("pw".into()),
            protected_mode: YesNo::No,
            ..Config::default()
        };
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("admin-bind") && err.contains("admin-token"), "{err}");
        c.admin_token = Some("t0ken".into());
        c.validate().unwrap();
        c.admin_token = Some(String::new());
        assert!(c.validate().unwrap_err().to_string().contains("admin-token"));
    }

    #[test]
    fn tcp_backlog_defaults_to_redis_and_is_checked() {
        assert_eq!(Config::default().tcp_backlog, 511);
        let c = Config::from_toml("tcp-backlog = 1024").unwrap();
        assert_eq!(c.tcp_backlog, 1024);
        c.validate().unwrap();
        let err = Config::from_toml("tcp-backlog = 0").unwrap().validate().unwrap_err();
        assert!(err.to_string().contains("tcp-backlog"), "{err}");
    }

    #[test]
    fn bookkeeping_collection_defaults_to_the_engines_and_is_checked() {
        let c = Config::default();
        assert_eq!(c.bookkeeping_retention.0, Duration::from_secs(3_600));
        assert_eq!(c.bookkeeping_interval.0, Duration::from_secs(60));
        let c =
            Config::from_toml("bookkeeping-retention = \"10m\"\nbookkeeping-interval = 0").unwrap();
        c.validate().unwrap();
        assert_eq!(c.bookkeeping_retention.0, Duration::from_secs(600));
        assert!(c.bookkeeping_interval.0.is_zero());
        let err = Config::from_toml("bookkeeping-interval = \"10ms\"").unwrap().validate();
        assert!(err.unwrap_err().to_string().contains("bookkeeping-interval"));
        let err = Config::from_toml("bookkeeping-retention = \"900000h\"").unwrap().validate();
        assert!(err.unwrap_err().to_string().contains("bookkeeping-retention"));
    }
}
