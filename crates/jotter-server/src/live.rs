//! The settings that `CONFIG SET` changes while the server runs: each an
//! atomic read where it applies (the accept loop, the slow log, the latency
//! monitor), so a change takes effect at the next read without a lock on
//! any command's path; `timeout` is a watch channel, read by a connection
//! only when it waits, so that a client already waiting sees a change. They start from the file and
//! flags (`config.rs`); every other setting is fixed for the run.

use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;

use crate::config::Config;

/// The run-time values.
pub(crate) struct Live {
    maxclients: AtomicUsize,
    /// Seconds; a channel, so that clients already waiting see a change.
    timeout: watch::Sender<u64>,
    slowlog_log_slower_than: AtomicI64,
    slowlog_max_len: AtomicU64,
    latency_monitor_threshold: AtomicU64,
    /// The parameters `CONFIG SET` changed, by name: what `CONFIG REWRITE`
    /// adds to a file that does not name them.
    changed: Mutex<Vec<&'static str>>,
}

impl Live {
    /// The values the settings give at start.
    pub(crate) fn new(config: &Config) -> Live {
        Live {
            maxclients: AtomicUsize::new(config.maxclients),
            timeout: watch::Sender::new(config.timeout),
            slowlog_log_slower_than: AtomicI64::new(config.slowlog_log_slower_than),
            slowlog_max_len: AtomicU64::new(config.slowlog_max_len),
            latency_monitor_threshold: AtomicU64::new(config.latency_monitor_threshold),
            changed: Mutex::new(Vec::new()),
        }
    }

    /// Most connected clients.
    pub(crate) fn maxclients(&self) -> usize {
        self.maxclients.load(Ordering::Relaxed)
    }

    pub(crate) fn set_maxclients(&self, n: usize) {
        self.maxclients.store(n, Ordering::Relaxed);
    }

    /// Seconds a client may stay idle; 0 = never closed.
    pub(crate) fn timeout(&self) -> u64 {
        *self.timeout.borrow()
    }

    /// Told of every change of [`timeout`](Self::timeout).
    pub(crate) fn timeout_changes(&self) -> watch::Receiver<u64> {
        self.timeout.subscribe()
    }

    /// [`timeout`](Self::timeout) as a wait; `None` for never.
    pub(crate) fn idle_limit(&self) -> Option<Duration> {
        let secs = self.timeout();
        (secs > 0).then(|| Duration::from_secs(secs))
    }

    pub(crate) fn set_timeout(&self, secs: u64) {
        self.timeout.send_replace(secs);
    }

    /// Microseconds from which a command is logged in the slow log; 0 logs
    /// every command, a negative value none.
    pub(crate) fn slowlog_log_slower_than(&self) -> i64 {
        self.slowlog_log_slower_than.load(Ordering::Relaxed)
    }

    pub(crate) fn set_slowlog_log_slower_than(&self, micros: i64) {
        self.slowlog_log_slower_than.store(micros, Ordering::Relaxed);
    }

    /// Most entries the slow log keeps.
    pub(crate) fn slowlog_max_len(&self) -> u64 {
        self.slowlog_max_len.load(Ordering::Relaxed)
    }

    pub(crate) fn set_slowlog_max_len(&self, n: u64) {
        self.slowlog_max_len.store(n, Ordering::Relaxed);
    }

    /// Milliseconds from which a command is a latency event; 0 = the
    /// monitor is off.
    pub(crate) fn latency_monitor_threshold(&self) -> u64 {
        self.latency_monitor_threshold.load(Ordering::Relaxed)
    }

    pub(crate) fn set_latency_monitor_threshold(&self, millis: u64) {
        self.latency_monitor_threshold.store(millis, Ordering::Relaxed);
    }

    /// Notes that `CONFIG SET` changed the parameter `name`.
    pub(crate) fn mark_changed(&self, name: &'static str) {
        let mut changed = self.changed.lock();
        if !changed.contains(&name) {
            changed.push(name);
        }
    }

    /// Whether `CONFIG SET` changed the parameter `name` during this run.
    pub(crate) fn was_changed(&self, name: &str) -> bool {
        self.changed.lock().contains(&name)
    }
}
