//! The options of a [`SqliteStore`](super::SqliteStore): how hard a commit
//! works to reach the disk, how long a statement waits for a lock, and the
//! CPU priority of the thread that writes.

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

/// The CPU priority of the store's writer threads, which apply every
/// batch (see `writer_thread.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WriterPriority {
    /// The process's own priority: the flush competes with the threads
    /// answering clients as an equal.
    Normal,
    /// Linux's idle scheduling class (`SCHED_IDLE`; elsewhere the same as
    /// `Normal`): the flush runs on the CPU the rest of the process (and
    /// the machine) leaves idle, and never delays a request. A batch that
    /// waits 200 ms without starting is taken by a thread ten steps of
    /// `nice` below the process instead, so on a machine kept busy the
    /// flush still gets about a tenth of a core. Under a load that keeps
    /// every core busy, writes stay pending longer (and coalesce more)
    /// until the bound on pending writes makes writers wait.
    #[default]
    Background,
    /// One thread ten steps of `nice` below the process (Linux; elsewhere
    /// the same as `Normal`), which gets about a tenth of a busy core: the
    /// flush may delay a request a little more than in the background, but
    /// no batch can be held up by a thread the machine gives no CPU to (for
    /// a host that CPU-bound neighbours keep busy).
    Nice,
}

/// How many steps of `nice` the catch-up thread of
/// [`WriterPriority::Background`] runs below the process: a thread ten
/// steps down weighs about a tenth of one at the process's priority in
/// Linux's scheduler, so a flush keeps running, slowly, on a saturated
/// machine (at nineteen it would all but stop).
const BACKGROUND_NICE: i32 = 10;

impl WriterPriority {
    /// Sets the calling thread, the one that takes every job first, at
    /// this priority: the idle class for [`WriterPriority::Background`],
    /// ten steps of `nice` down for [`WriterPriority::Nice`]. Failing to is
    /// logged, not fatal: the store works the same, only without the
    /// priority.
    pub(super) fn apply_to_this_thread(self) {
        match self {
            WriterPriority::Normal => {}
            WriterPriority::Nice => lower_this_thread(),
            WriterPriority::Background => idle_this_thread(),
        }
    }
}

/// Puts the calling thread in Linux's idle scheduling class.
fn idle_this_thread() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
            set_thread_priority_and_policy, thread_native_id, thread_schedule_policy,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        // The call also sets the thread's nice value, which the idle class
        // ignores; only the class matters.
        let result = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle);
        if result.is_err() && thread_schedule_policy().ok() != Some(idle) {
            tracing::warn!(?result, "cannot put the sqlite writer thread in the idle class");
        }
    }
}

/// Lowers the calling thread [`BACKGROUND_NICE`] steps of `nice` (the
/// thread of [`WriterPriority::Nice`], the catch-up thread of
/// [`WriterPriority::Background`]).
pub(super) fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        // On Linux, `setpriority` with a thread id sets that thread's nice
        // value alone.
        let thread = rustix::thread::gettid();
        let result = rustix::process::getpriority_process(Some(thread)).and_then(|now| {
            rustix::process::setpriority_process(Some(thread), (now + BACKGROUND_NICE).min(19))
        });
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot lower the sqlite writer thread's priority");
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
    /// The CPU priority of the thread that applies batches. Default:
    /// [`WriterPriority::Background`].
    pub writer_priority: WriterPriority,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(5),
            writer_priority: WriterPriority::Background,
        }
    }
}
