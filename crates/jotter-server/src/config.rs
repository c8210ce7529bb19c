//! The server's settings: one TOML file (`--config`), layered as
//! defaults < file < command-line flags (and their `JOTTER_*` environment
//! variables), then checked as a whole before anything starts.
//!
//! Every key, with its default, is documented in `jotter.example.toml` at
//! the repository root; a test parses that file and compares it with
//! [`Config::default`], so the two cannot drift apart. Keys are kebab-case
//! and unknown keys are refused, so a typo stops the start instead of being
//! silently ignored.

mod error;
mod mapping;
mod values;
mod worker;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub(crate) use error::ConfigError;
pub(crate) use mapping::MappingSetting;
pub(crate) use values::{
    Bytes, FlushPriority, FsyncSetting, FullPolicySetting, LogFormat, Setting, StoreUrl, Tls, User,
    YesNo, parse_bytes, parse_duration,
};
pub(crate) use worker::WorkerSetting;

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
    /// CPU priority of the SQLite store's writer threads: background |
    /// nice | normal. Default: background.
    pub flush_priority: FlushPriority,
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
    /// The ACL file: every user, in Redis's format; ACL SAVE writes it,
    /// ACL LOAD reads it. Replaces `requirepass` and `[[user]]`. Default: none.
    pub aclfile: Option<PathBuf>,
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
    /// Commands taking at least this many microseconds go to the slow log;
    /// 0 logs every command, a negative value none. Default: 10000.
    pub slowlog_log_slower_than: i64,
    /// Most entries the slow log keeps. Default: 128.
    pub slowlog_max_len: u64,
    /// Commands taking at least this many milliseconds are latency events
    /// (LATENCY LATEST); 0 = off. Default: 0.
    pub latency_monitor_threshold: u64,
    /// A second RESP listener speaking TLS (built with the `tls` feature).
    /// Default: none.
    pub tls: Option<Tls>,
    /// How log lines are written to stderr, one event a line: text | json.
    /// Default: text.
    pub log_format: LogFormat,
    /// Keys written into the user's own PostgreSQL tables instead of
    /// jotter's. Default: none.
    pub mapping: Vec<MappingSetting>,
    /// Keyspace notifications published: Redis's class letters
    /// (`K E g $ l s h z x e t m d n A`) and Jotter's `w` (`stored`).
    /// Default: "" (none).
    pub notify_keyspace_events: String,
    /// Milliseconds a script may run before other clients are told BUSY
    /// and SCRIPT KILL may stop it (Redis's name; `lua-time-limit` is its
    /// alias). Default: 5000.
    #[serde(alias = "lua-time-limit")]
    pub busy_reply_threshold: u64,
    /// Serve as a front end of this Redis cluster (`redis://…` or
    /// `redis-sentinel://MASTER@host:port,…`). Default: none.
    pub cluster: Option<String>,
    /// Shard streams of a cluster's write queue, for the process that
    /// creates its layout. Default: 16.
    pub cluster_shards: u32,
    /// How long a front end's write waits for a replica under
    /// `fsync = always`. Default: 1s.
    pub cluster_wait_timeout: Setting<Duration>,
    /// How long a front end's write-through waits for the store. Default:
    /// 10s.
    pub cluster_through_timeout: Setting<Duration>,
    /// `[worker]`: the flush workers' own settings.
    pub worker: WorkerSetting,
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
            flush_priority: FlushPriority::Background,
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
            aclfile: None,
            protected_mode: YesNo::Yes,
            maxclients: 10_000,
            timeout: 0,
            client_output_buffer_limit: Setting(Bytes(256 << 20)),
            proto_max_bulk_len: Setting(Bytes(512 << 20)),
            shutdown_timeout: Setting(Duration::from_secs(10)),
            slowlog_log_slower_than: 10_000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            tls: None,
            log_format: LogFormat::Text,
            mapping: Vec::new(),
            notify_keyspace_events: String::new(),
            busy_reply_threshold: 5_000,
            cluster: None,
            cluster_shards: 16,
            cluster_wait_timeout: Setting(Duration::from_secs(1)),
            cluster_through_timeout: Setting(Duration::from_secs(10)),
            worker: WorkerSetting::default(),
        }
    }
}

/// The longest `bookkeeping-retention`: 100 years.
const MAX_BOOKKEEPING_RETENTION: Duration = Duration::from_secs(36_500 * 86_400);

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
        self.requirepass.is_some() || !self.user.is_empty() || self.aclfile.is_some()
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
        if let Some(url) = &self.cluster
            && let Err(e) = jotter_scaleout::ClusterUrl::parse(url)
        {
            return Err(ConfigError::invalid("cluster", e.to_string()));
        }
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
        if let Err(e) = crate::command::check_notify_keyspace_events(&self.notify_keyspace_events) {
            return Err(ConfigError::invalid("notify-keyspace-events", e.to_string()));
        }
        if self.cluster_shards == 0 || self.cluster_shards > 1024 {
            return Err(ConfigError::invalid("cluster-shards", "must be between 1 and 1024"));
        }
        self.worker.validate()?;
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
            "commands",
            "rules",
            "aclfile",
            "protected-mode",
            "maxclients",
            "timeout",
            "client-output-buffer-limit",
            "proto-max-bulk-len",
            "shutdown-timeout",
            "slowlog-log-slower-than",
            "slowlog-max-len",
            "latency-monitor-threshold",
            "[tls]",
            "log-format",
            "[[mapping]]",
            "keys",
            "table",
            "key-column",
            "kind",
            "value-column",
            "id-column",
            "time-column",
            "member-column",
            "longitude-column",
            "latitude-column",
            "[mapping.columns]",
            "notify-keyspace-events",
            "cluster",
            "cluster-shards",
            "cluster-wait-timeout",
            "cluster-through-timeout",
            "[worker]",
            "consumer",
            "claim-idle",
            "max-deliveries",
            "load-store",
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
    fn stream_mappings_need_an_id_column_and_only_they_take_one() {
        let text = r#"
            store = "postgres://db/app"
            [[mapping]]
            keys = "clicks:*"
            table = "page_views"
            key-column = "page"
            kind = "stream"
            id-column = "entry_id"
            time-column = "at"
            [mapping.columns]
            user = "bigint"
            url = "text"
        "#;
        let c = Config::from_toml(text).unwrap();
        c.validate().unwrap();
        assert!(c.mapping[0].to_mapping().unwrap().is_stream());
        let without_id = text.replace("id-column = \"entry_id\"", "");
        let err = Config::from_toml(&without_id).unwrap().validate().unwrap_err().to_string();
        assert!(err.contains("needs id-column"), "{err}");
        let twice = text.replace("time-column = \"at\"", "time-column = \"url\"");
        let err = Config::from_toml(&twice).unwrap().validate().unwrap_err().to_string();
        assert!(err.contains("named twice"), "{err}");
        let hash = text.replace("kind = \"stream\"", "kind = \"hash\"");
        let err = Config::from_toml(&hash).unwrap().validate().unwrap_err().to_string();
        assert!(err.contains("id-column and time-column are for kind = \"stream\""), "{err}");
    }

    #[test]
    fn geo_mappings_need_their_three_columns_and_only_they_take_them() {
        let text = r#"
            store = "postgres://db/app"
            [[mapping]]
            keys = "shops:*"
            table = "places"
            key-column = "city"
            kind = "geo"
            member-column = "name"
            longitude-column = "lon"
            latitude-column = "lat"
        "#;
        let c = Config::from_toml(text).unwrap();
        c.validate().unwrap();
        assert!(c.mapping[0].to_mapping().unwrap().is_geo());
        let without = text.replace("latitude-column = \"lat\"", "");
        let err = Config::from_toml(&without).unwrap().validate().unwrap_err().to_string();
        assert!(err.contains("needs member-column, longitude-column and latitude-column"), "{err}");
        let twice = text.replace("latitude-column = \"lat\"", "latitude-column = \"lon\"");
        let err = Config::from_toml(&twice).unwrap().validate().unwrap_err().to_string();
        assert!(err.contains("named twice"), "{err}");
        let columns = format!("{text}\n[mapping.columns]\nname = \"text\"\n");
        let err = Config::from_toml(&columns).unwrap().validate().unwrap_err().to_string();
        assert!(err.contains("remove value-column and [mapping.columns]"), "{err}");
        let hash = text.replace("kind = \"geo\"", "kind = \"hash\"");
        let err = Config::from_toml(&hash).unwrap().validate().unwrap_err().to_string();
        assert!(err.contains("are for kind = \"geo\""), "{err}");
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
