//! The options of a [`SqliteStore`](super::SqliteStore): how hard a commit
//! works to reach the disk, and how long a statement waits for a lock.

use std::time::Duration;

/// How hard SQLite works to get a commit onto the disk (`PRAGMA
/// synchronous`), in WAL mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// No syncs: fastest, but an operating-system crash or power loss may
    /// lose committed batches or corrupt the file.
    Off,
    /// Syncs only at WAL checkpoints: safe from corruption, but a power loss
    /// may roll back the last committed batches. An application crash loses
    /// nothing.
    Normal,
    /// Syncs the WAL on every commit: a committed batch survives power loss.
    #[default]
    Full,
}

impl Synchronous {
    pub(super) fn pragma_value(self) -> &'static str {
        match self {
            Synchronous::Off => "OFF",
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// Options of a [`SqliteStore`](super::SqliteStore).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqliteOptions {
    /// The durability of a commit. Default: [`Synchronous::Full`].
    pub synchronous: Synchronous,
    /// How long a statement waits for a lock held by another connection
    /// before it fails with a transient error. Default: 5 seconds.
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions { synchronous: Synchronous::Full, busy_timeout: Duration::from_secs(5) }
    }
}
