//! The bound on pending writes, in entries and bytes, counted exactly.
//!
//! A write reserves its room before it is accepted and gives it back only
//! when the store has it (or it was dead-lettered), so writes in flight
//! count too; the bound is the bound, not "about twice the setting" (docs/DESIGN.md, "the bound is not the bound").
//! Reservations are compare-and-swap loops, so concurrent writers can never
//! overshoot together.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::Notify;

use crate::error::BoundKind;

#[derive(Debug)]
pub(crate) struct Bound {
    pub max_entries: u64,
    pub max_bytes: u64,
    /// The setting `max_bytes` comes from, named when it is reached.
    bytes_kind: BoundKind,
    entries: AtomicU64,
    bytes: AtomicU64,
    /// Woken whenever room is given back, for writers blocked on a full buffer.
    pub room: Notify,
    /// Writers registered on `room`. Notifying takes a lock, so room given
    /// back on the hot path (a value that shrank) notifies only if someone
    /// waits.
    waiting: AtomicU64,
    /// Set when a write found no room, cleared when room is given back: the
    /// flush workers then flush at once instead of waiting for a full batch
    /// or the interval (back-pressure must push something to the store).
    pressed: AtomicBool,
}

impl Bound {
    pub(crate) fn new(max_entries: u64, max_bytes: u64) -> Self {
        Bound {
            max_entries,
            max_bytes,
            bytes_kind: BoundKind::Bytes,
            entries: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            room: Notify::new(),
            waiting: AtomicU64::new(0),
            pressed: AtomicBool::new(false),
        }
    }

    /// The bound on bytes is `max_memory`'s, `max` (when below
    /// `max_pending_bytes`).
    pub(crate) fn with_memory(mut self, max: u64) -> Self {
        if max < self.max_bytes {
            self.max_bytes = max;
            self.bytes_kind = BoundKind::Memory;
        }
        self
    }

    /// Reserves `entries` and `bytes` more, or names the bound that has no room.
    pub(crate) fn try_reserve(&self, entries: u64, bytes: u64) -> Result<(), BoundKind> {
        if reserve(&self.entries, entries, self.max_entries).is_err() {
            self.pressed.store(true, Ordering::SeqCst);
            return Err(BoundKind::Entries);
        }
        if reserve(&self.bytes, bytes, self.max_bytes).is_err() {
            self.pressed.store(true, Ordering::SeqCst);
            // The entries go back. Waiters are woken only if holding them
            // filled the entries bound, so that a writer turned away by
            // that brief hold tries again. Waking them on every failed
            // attempt would have each blocked writer's failure wake the
            // others (and itself) into another failing attempt, a loop that
            // never yields and starves the flush that would make room.
            let before = self.entries.fetch_sub(entries, Ordering::SeqCst);
            if before.saturating_add(1) > self.max_entries
                && self.waiting.load(Ordering::SeqCst) > 0
            {
                self.room.notify_waiters();
            }
            return Err(self.bytes_kind);
        }
        Ok(())
    }

    /// Takes room even beyond the bound: for writes read back from the log,
    /// which were acknowledged before a crash and must not be dropped.
    pub(crate) fn force_reserve(&self, entries: u64, bytes: u64) {
        self.entries.fetch_add(entries, Ordering::SeqCst);
        self.bytes.fetch_add(bytes, Ordering::SeqCst);
    }

    /// Gives back room and wakes blocked writers.
    pub(crate) fn release(&self, entries: u64, bytes: u64) {
        if entries == 0 && bytes == 0 {
            return;
        }
        self.entries.fetch_sub(entries, Ordering::SeqCst);
        self.bytes.fetch_sub(bytes, Ordering::SeqCst);
        if self.pressed.load(Ordering::SeqCst) {
            self.pressed.store(false, Ordering::SeqCst);
        }
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.room.notify_waiters();
        }
    }

    /// Counts a writer about to wait for room; it must call
    /// [`Bound::stop_waiting`] when done. Counted before it registers and
    /// re-checks, so a release that misses the count is seen by the re-check.
    pub(crate) fn start_waiting(&self) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn stop_waiting(&self) {
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether a write found no room since room was last given back.
    pub(crate) fn pressed(&self) -> bool {
        self.pressed.load(Ordering::SeqCst)
    }

    /// The configured value of a bound.
    pub(crate) fn limit(&self, kind: BoundKind) -> u64 {
        match kind {
            BoundKind::Entries => self.max_entries,
            BoundKind::Bytes | BoundKind::Memory => self.max_bytes,
        }
    }

    /// Entries and bytes reserved now.
    pub(crate) fn used(&self) -> Used {
        Used {
            entries: self.entries.load(Ordering::Acquire),
            bytes: self.bytes.load(Ordering::Acquire),
        }
    }
}

/// What the pending writes hold of the bound at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Used {
    pub entries: u64,
    pub bytes: u64,
}

fn reserve(counter: &AtomicU64, n: u64, max: u64) -> Result<(), ()> {
    if n == 0 {
        return Ok(());
    }
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
            cur.checked_add(n).filter(|&next| next <= max)
        })
        .map(drop)
        .map_err(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn concurrent_reservations_never_exceed_the_bound() {
        let bound = Arc::new(Bound::new(1000, 1 << 40));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let b = bound.clone();
                std::thread::spawn(move || {
                    (0..10_000).filter(|_| b.try_reserve(1, 10).is_ok()).count()
                })
            })
            .collect();
        let granted: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(granted, 1000);
        assert_eq!(bound.used(), Used { entries: 1000, bytes: 10_000 });
    }

    #[test]
    fn a_byte_refusal_gives_back_the_entry() {
        let bound = Bound::new(10, 100);
        assert_eq!(bound.try_reserve(1, 101), Err(BoundKind::Bytes));
        assert_eq!(bound.used(), Used::default());
        bound.try_reserve(1, 100).unwrap();
        bound.release(1, 100);
        assert_eq!(bound.used(), Used::default());
    }
}
