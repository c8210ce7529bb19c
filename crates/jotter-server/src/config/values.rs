//! The value types of settings and their text forms: sizes and durations
//! as Redis writes them, the store URL, the enumerated switches, users and
//! the TLS section. Each parses from the file and from a flag alike.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

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

/// A named user for `AUTH name password`, and the commands it may run.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct User {
    pub name: String,
    /// Its password. Default: none (only `rules` give it one).
    pub password: Option<String>,
    /// Redis ACL rules for the commands it may run, applied left to right
    /// (`+@all -@dangerous`). Default: `+@all` without `rules`.
    pub commands: Option<String>,
    /// Redis ACL rules, as ACL SETUSER takes them (`on >pw ~app:* +@all`),
    /// applied to a new user (off, nothing allowed). Default: `on ~* &*`.
    pub rules: Option<String>,
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

/// `flush-priority`: the CPU priority of the SQLite store's writer threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum FlushPriority {
    Background,
    Nice,
    Normal,
}

impl FlushPriority {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FlushPriority::Background => "background",
            FlushPriority::Nice => "nice",
            FlushPriority::Normal => "normal",
        }
    }
}

/// `log-format`: how each log event is written to stderr, one line each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum LogFormat {
    /// `2026-01-01T00:00:00.000000Z  INFO target: message key=value`.
    Text,
    /// One JSON object per line: timestamp, level, target, message and
    /// the event's fields.
    Json,
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
