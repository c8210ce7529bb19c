//! What INFO's `commandstats` and `errorstats` sections report: per
//! command, its calls, the microseconds they took, the calls refused before
//! running (arity, authentication, permissions, inside `MULTI`) and those
//! that replied an error; per error prefix (`ERR`, `WRONGTYPE`, ...), the
//! errors replied. Calls and time arrive in batches
//! (`dispatch::settle_counts`), so a pipeline of one command costs a few
//! atomic adds, not a few per command; errors are counted as they happen
//! (rare, and worth a lock).
//!
//! Indexed like the command table, whose size is given before the first
//! client ([`CommandStats::register`]): this file knows no command.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

/// Redis's cap on distinct error prefixes: past it, errors are still
/// counted in the total but no new prefix is added (a client cannot grow
/// the map without bound).
const MAX_PREFIXES: usize = 128;

/// One command's counters.
#[derive(Default)]
struct Counters {
    calls: AtomicU64,
    usec: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
}

/// One command's counters as read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CommandCounts {
    pub calls: u64,
    pub usec: u64,
    pub rejected: u64,
    pub failed: u64,
}

/// Every command's counters and the error counts.
#[derive(Default)]
pub(crate) struct CommandStats {
    commands: OnceLock<Vec<Counters>>,
    errors: Mutex<BTreeMap<String, u64>>,
    total_errors: AtomicU64,
}

impl CommandStats {
    /// Counters for a table of `commands` commands; called once, before
    /// the first client.
    pub(crate) fn register(&self, commands: usize) {
        let _ = self.commands.set((0..commands).map(|_| Counters::default()).collect());
    }

    fn command(&self, index: usize) -> Option<&Counters> {
        self.commands.get()?.get(index)
    }

    /// `calls` runs of the command at `index` that took `usec` in all.
    pub(crate) fn ran(&self, index: usize, calls: u64, usec: u64) {
        if let Some(c) = self.command(index) {
            c.calls.fetch_add(calls, Ordering::Relaxed);
            if usec > 0 {
                c.usec.fetch_add(usec, Ordering::Relaxed);
            }
        }
    }

    /// The command at `index` was refused before it ran, with `error`.
    pub(crate) fn rejected(&self, index: usize, error: &[u8]) {
        if let Some(c) = self.command(index) {
            c.rejected.fetch_add(1, Ordering::Relaxed);
        }
        self.error(error);
    }

    /// The command at `index` ran and replied `error`.
    pub(crate) fn failed(&self, index: usize, error: &[u8]) {
        if let Some(c) = self.command(index) {
            c.failed.fetch_add(1, Ordering::Relaxed);
        }
        self.error(error);
    }

    /// An error replied (its text, without the leading `-`), counted under
    /// its prefix: the first word.
    pub(crate) fn error(&self, error: &[u8]) {
        self.total_errors.fetch_add(1, Ordering::Relaxed);
        let end = error.iter().position(|&b| b == b' ' || b == b'\r').unwrap_or(error.len());
        let prefix = String::from_utf8_lossy(&error[..end]);
        let mut errors = self.errors.lock();
        if let Some(n) = errors.get_mut(prefix.as_ref()) {
            *n += 1;
        } else if errors.len() < MAX_PREFIXES {
            errors.insert(prefix.into_owned(), 1);
        }
    }

    /// The command at `index`'s counters.
    pub(crate) fn get(&self, index: usize) -> CommandCounts {
        self.command(index).map_or_else(CommandCounts::default, |c| CommandCounts {
            calls: c.calls.load(Ordering::Relaxed),
            usec: c.usec.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        })
    }

    /// Every error prefix and its count, by prefix.
    pub(crate) fn errors(&self) -> Vec<(String, u64)> {
        self.errors.lock().iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// Every error replied.
    pub(crate) fn total_errors(&self) -> u64 {
        self.total_errors.load(Ordering::Relaxed)
    }

    /// Back to zero (`CONFIG RESETSTAT`).
    pub(crate) fn reset(&self) {
        for c in self.commands.get().into_iter().flatten() {
            c.calls.store(0, Ordering::Relaxed);
            c.usec.store(0, Ordering::Relaxed);
            c.rejected.store(0, Ordering::Relaxed);
            c.failed.store(0, Ordering::Relaxed);
        }
        self.errors.lock().clear();
        self.total_errors.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_count_under_their_first_word() {
        let stats = CommandStats::default();
        stats.register(2);
        stats.failed(1, b"WRONGTYPE Operation against a key");
        stats.rejected(0, b"ERR wrong number of arguments");
        stats.error(b"ERR syntax error");
        assert_eq!(stats.errors(), [("ERR".to_owned(), 2), ("WRONGTYPE".to_owned(), 1)]);
        assert_eq!(stats.total_errors(), 3);
        assert_eq!(stats.get(1).failed, 1);
        assert_eq!(stats.get(0).rejected, 1);
        stats.ran(1, 3, 30);
        assert_eq!((stats.get(1).calls, stats.get(1).usec), (3, 30));
        stats.reset();
        assert_eq!(stats.get(1), CommandCounts::default());
        assert!(stats.errors().is_empty());
    }
}
