//! Saving, in Redis's words: `SAVE` and `BGSAVE` are flush barriers (every
//! write accepted before them reaches the store), `LASTSAVE` the time of the
//! last one that completed (the start, before any), INFO's persistence
//! section their counts; and whether the stop `SHUTDOWN` asked for drains
//! the pending writes (`SAVE`, the default) or leaves them in the
//! write-ahead log (`NOSAVE`) for the next start.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The saves' state.
pub(crate) struct Saves {
    /// Unix seconds of the last completed save.
    last: AtomicU64,
    /// A `BGSAVE` is running.
    background: AtomicBool,
    /// The last save failed.
    last_failed: AtomicBool,
    /// Completed saves since start.
    count: AtomicU64,
    /// `SHUTDOWN NOSAVE`: the stop does not drain.
    nosave: AtomicBool,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Default for Saves {
    fn default() -> Self {
        Saves {
            last: AtomicU64::new(unix_now()),
            background: AtomicBool::new(false),
            last_failed: AtomicBool::new(false),
            count: AtomicU64::new(0),
            nosave: AtomicBool::new(false),
        }
    }
}

impl Saves {
    /// Unix seconds of the last completed save.
    pub(crate) fn last(&self) -> u64 {
        self.last.load(Ordering::Relaxed)
    }

    /// A save ended: `ok` if every write it waited for is in the store.
    pub(crate) fn finished(&self, ok: bool) {
        self.last_failed.store(!ok, Ordering::Relaxed);
        if ok {
            self.last.store(unix_now(), Ordering::Relaxed);
            self.count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Marks a background save as running; false if one already is.
    pub(crate) fn begin_background(&self) -> bool {
        !self.background.swap(true, Ordering::AcqRel)
    }

    /// The background save ended (see [`finished`](Self::finished)).
    pub(crate) fn end_background(&self, ok: bool) {
        self.finished(ok);
        self.background.store(false, Ordering::Release);
    }

    pub(crate) fn background_running(&self) -> bool {
        self.background.load(Ordering::Acquire)
    }

    pub(crate) fn last_failed(&self) -> bool {
        self.last_failed.load(Ordering::Relaxed)
    }

    pub(crate) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// `SHUTDOWN NOSAVE` asked not to drain.
    pub(crate) fn skip_drain_at_stop(&self) {
        self.nosave.store(true, Ordering::Relaxed);
    }

    /// Whether the stop drains the pending writes.
    pub(crate) fn drain_at_stop(&self) -> bool {
        !self.nosave.load(Ordering::Relaxed)
    }
}
