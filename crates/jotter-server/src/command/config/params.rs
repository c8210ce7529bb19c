//! The parameters `CONFIG GET` and `CONFIG SET` know: one row each, with
//! its Redis name, its aliases, how its value is read and, when it can
//! change while the server runs, how it is set. A feature with a setting
//! of its own adds one row to [`PARAMS`].
//!
//! A settable row's name is also its key in the TOML file (`CONFIG
//! REWRITE` writes it there). A read-only row answers `CONFIG SET` with
//! Redis's "can't set immutable config". Redis parameters that client
//! libraries and tools read (save, appendonly, databases, ...) are
//! answered from Jotter's own settings, as they apply to it.

use std::time::Duration;

use crate::config::{Config, FullPolicySetting, YesNo};
use crate::state::Shared;

/// A parameter's value as `CONFIG GET` shows it.
pub(crate) type Get = fn(&Shared) -> String;

/// Sets a parameter from `CONFIG SET`'s text, or says why not in Redis's
/// words (the text after "CONFIG SET failed (possibly related to argument
/// '...') - ").
pub(crate) type Set = fn(&Shared, &str) -> Result<(), String>;

/// One row of the table.
pub(crate) struct Param {
    pub name: &'static str,
    /// Other names it answers to (as Redis's `slave-*` for `replica-*`).
    pub aliases: &'static [&'static str],
    pub get: Get,
    /// `None`: fixed for the run.
    pub set: Option<Set>,
}

impl Param {
    /// A read-only parameter.
    pub(crate) const fn fixed(name: &'static str, get: Get) -> Param {
        Param { name, aliases: &[], get, set: None }
    }

    /// A parameter `CONFIG SET` changes.
    pub(crate) const fn settable(name: &'static str, get: Get, set: Set) -> Param {
        Param { name, aliases: &[], get, set: Some(set) }
    }

    /// The same parameter, also known as `aliases`.
    pub(crate) const fn aliases(mut self, aliases: &'static [&'static str]) -> Param {
        self.aliases = aliases;
        self
    }

    /// Whether it is called `name` (ignoring case), by its name or an alias.
    pub(crate) fn is_named(&self, name: &[u8]) -> bool {
        self.name.as_bytes().eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.as_bytes().eq_ignore_ascii_case(name))
    }
}

/// Every parameter. Settable ones first, then Redis's, then Jotter's own.
pub(crate) const PARAMS: &[Param] = &[
    Param::settable(
        "maxclients",
        |s| s.live.maxclients().to_string(),
        |s, v| {
            let n = integer_in(v, 1, i64::from(u32::MAX))?;
            s.live.set_maxclients(usize::try_from(n).unwrap_or(usize::MAX));
            Ok(())
        },
    ),
    Param::settable(
        "timeout",
        |s| s.live.timeout().to_string(),
        |s, v| {
            s.live.set_timeout(integer_in(v, 0, i64::from(i32::MAX))?.unsigned_abs());
            Ok(())
        },
    ),
    Param::settable(
        "slowlog-log-slower-than",
        |s| s.live.slowlog_log_slower_than().to_string(),
        |s, v| {
            s.live.set_slowlog_log_slower_than(integer_in(v, -1, i64::MAX)?);
            Ok(())
        },
    ),
    Param::settable(
        "slowlog-max-len",
        |s| s.live.slowlog_max_len().to_string(),
        |s, v| {
            let n = integer_in(v, 0, i64::MAX)?.unsigned_abs();
            s.live.set_slowlog_max_len(n);
            s.slowlog.trim(n);
            Ok(())
        },
    ),
    Param::settable(
        "latency-monitor-threshold",
        |s| s.live.latency_monitor_threshold().to_string(),
        |s, v| {
            s.live.set_latency_monitor_threshold(integer_in(v, 0, i64::MAX)?.unsigned_abs());
            Ok(())
        },
    ),
    Param::settable(
        "notify-keyspace-events",
        |s| s.pubsub.notify_keyspace_events(),
        |s, v| s.pubsub.set_notify_keyspace_events(v).map_err(|e| e.to_string()),
    ),
    Param::settable(
        "busy-reply-threshold",
        |s| s.scripts.running().threshold_ms().to_string(),
        |s, v| {
            s.scripts.running().set_threshold_ms(integer_in(v, 0, i64::MAX)?.unsigned_abs());
            Ok(())
        },
    )
    .aliases(&["lua-time-limit"]),
    // Redis's parameters, as they apply to Jotter.
    Param::fixed("port", |s| s.config.port.to_string()),
    Param::fixed("bind", |s| s.config.bind.to_string()),
    Param::fixed("tcp-backlog", |s| s.config.tcp_backlog.to_string()),
    Param::fixed("protected-mode", |s| yes_no(s.config.protected_mode)),
    Param::fixed("databases", |_| "1".into()),
    Param::fixed("dir", |s| s.config.data_dir.display().to_string()),
    // No snapshots: the store is where data lives.
    Param::fixed("save", |_| String::new()),
    // The write-ahead log plays the append-only file's part: every write
    // is in it before its reply.
    Param::fixed("appendonly", |_| "yes".into()),
    Param::fixed("appendfsync", |s| s.config.fsync.name().into()).aliases(&["fsync"]),
    Param::fixed("maxmemory", |s| s.config.maxmemory.0.0.to_string()),
    // A clean entry leaves memory but stays in the store: no key is lost.
    Param::fixed("maxmemory-policy", |_| "noeviction".into()),
    Param::fixed("proto-max-bulk-len", |s| s.config.proto_max_bulk_len.0.0.to_string()),
    Param::fixed("client-output-buffer-limit", |s| {
        let n = s.config.client_output_buffer_limit.0.0;
        format!("normal {n} 0 0 slave {n} 0 0 pubsub {n} 0 0")
    }),
    Param::fixed("cluster-enabled", |_| "no".into()),
    Param::fixed("daemonize", |_| "no".into()),
    // Jotter's own settings (docs: jotter.example.toml).
    Param::fixed("store", |s| s.config.store.to_string()),
    Param::fixed("flush-interval", |s| duration(s.config.flush_interval.0)),
    Param::fixed("batch-size", |s| s.config.batch_size.to_string()),
    Param::fixed("flush-workers", |s| s.config.flush_workers.to_string()),
    Param::fixed("flush-priority", |s| s.config.flush_priority.name().into()),
    Param::fixed("max-store-writes-per-sec", |s| s.config.max_store_writes_per_sec.to_string()),
    Param::fixed("max-pending", |s| s.config.max_pending.to_string()),
    Param::fixed("max-pending-bytes", |s| s.config.max_pending_bytes.0.0.to_string()),
    Param::fixed("full-policy", |s| full_policy(&s.config).into()),
    Param::fixed("block-timeout", |s| duration(s.config.block_timeout.0)),
    Param::fixed("cache-bytes", |s| s.config.cache_bytes.0.0.to_string()),
    Param::fixed("known-keys", |s| yes_no(s.config.known_keys)),
    Param::fixed("shutdown-timeout", |s| duration(s.config.shutdown_timeout.0)),
];

/// The parameter called `name` (or an alias), ignoring case.
pub(crate) fn find(name: &[u8]) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.is_named(name))
}

/// An integer within `min..=max`, in Redis's words when it is not.
fn integer_in(value: &str, min: i64, max: i64) -> Result<i64, String> {
    let n: i64 =
        value.parse().map_err(|_| "argument couldn't be parsed into an integer".to_owned())?;
    if n < min || n > max {
        return Err(format!("argument must be between {min} and {max} inclusive"));
    }
    Ok(n)
}

fn yes_no(v: YesNo) -> String {
    match v {
        YesNo::Yes => "yes".into(),
        YesNo::No => "no".into(),
    }
}

fn full_policy(config: &Config) -> &'static str {
    match config.full_policy {
        FullPolicySetting::Block => "block",
        FullPolicySetting::Reject => "reject",
        FullPolicySetting::WriteThrough => "write-through",
    }
}

/// A duration as the settings file writes it.
fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) { format!("{}s", ms / 1000) } else { format!("{ms}ms") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lowercase_and_found_by_alias_ignoring_case() {
        for (i, p) in PARAMS.iter().enumerate() {
            assert_eq!(p.name, p.name.to_ascii_lowercase());
            for other in &PARAMS[..i] {
                assert!(!other.is_named(p.name.as_bytes()), "{} twice", p.name);
            }
        }
        assert_eq!(find(b"MaxClients").map(|p| p.name), Some("maxclients"));
        assert!(find(b"nope").is_none());
    }

    #[test]
    fn integers_are_checked_in_redis_words() {
        assert_eq!(integer_in("5", 0, 9), Ok(5));
        assert_eq!(
            integer_in("1.5", 0, 9).unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            integer_in("-2", -1, 9).unwrap_err(),
            "argument must be between -1 and 9 inclusive"
        );
        assert_eq!(duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(duration(Duration::from_secs(2)), "2s");
    }
}
