//! The version clock: every write gets a version that is unique and larger
//! than every version before it, in this process and in the store.
//!
//! A hybrid logical clock: the high bits are wall-clock microseconds, the low
//! 12 bits a counter, and the clock never goes back. It starts above the
//! store's highest version, so versions stay monotonic across restarts even
//! when the machine's clock was set back or the log was lost (docs/DESIGN.md:
//! "versions restart at zero"), and so that instances sharing a store order
//! their writes by time.
//!
//! Reading the wall clock on every write cost a third of the write path, so
//! a write only counts up, and [`VersionClock::tick`], called every
//! [`TICK`] by a background task, lifts the clock to the wall clock. Versions
//! therefore trail wall time by at most one tick (and run ahead of it only
//! under more than 4,096 writes a microsecond).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Bits of logical counter below the physical microseconds.
pub(crate) const LOGICAL_BITS: u32 = 12;

/// How often the clock is lifted to the wall clock.
pub(crate) const TICK: std::time::Duration = std::time::Duration::from_millis(5);

/// Where the clock reads physical time from; tests set it back.
pub(crate) type WallClock = fn() -> u64;

#[derive(Debug)]
pub(crate) struct VersionClock {
    last: AtomicU64,
    wall: WallClock,
}

/// Microseconds since the Unix epoch.
pub(crate) fn system_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Milliseconds since the Unix epoch: the clock key expiry is judged by.
pub(crate) fn unix_millis() -> u64 {
    system_micros() / 1000
}

impl VersionClock {
    /// A clock whose first version is above `floor` and the wall clock.
    pub(crate) fn new(floor: u64, wall: WallClock) -> Self {
        let clock = VersionClock { last: AtomicU64::new(floor), wall };
        clock.tick();
        clock
    }

    /// The next version: unique, and larger than every one before it.
    pub(crate) fn next(&self) -> u64 {
        self.last.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Lifts the clock to the wall clock, if that is ahead.
    pub(crate) fn tick(&self) {
        self.last.fetch_max((self.wall)() << LOGICAL_BITS, Ordering::AcqRel);
    }

    /// Moves the clock to at least `version` (a version read back from the log).
    pub(crate) fn raise(&self, version: u64) {
        self.last.fetch_max(version, Ordering::AcqRel);
    }

    /// The last version handed out (or the floor).
    pub(crate) fn last(&self) -> u64 {
        self.last.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_even_when_the_wall_clock_stands_still_or_goes_back() {
        let clock = VersionClock::new(0, || 5);
        let a = clock.next();
        let b = clock.next();
        assert!(b > a);
        assert_eq!(a, (5 << LOGICAL_BITS) + 1);
        clock.tick();
        assert!(clock.next() > b, "a tick to the same wall time does not go back");

        let behind = VersionClock::new(1 << 60, || 1);
        behind.tick();
        assert_eq!(behind.next(), (1 << 60) + 1, "starts above the store's highest version");
    }

    #[test]
    fn ticks_follow_the_wall_clock() {
        static NOW: AtomicU64 = AtomicU64::new(1000);
        let clock = VersionClock::new(0, || NOW.load(Ordering::SeqCst));
        NOW.store(2000, Ordering::SeqCst);
        assert!(clock.next() < 2000 << LOGICAL_BITS, "between ticks, writes only count up");
        clock.tick();
        assert!(clock.next() > 2000 << LOGICAL_BITS);
    }

    #[test]
    fn concurrent_versions_are_unique() {
        let clock = std::sync::Arc::new(VersionClock::new(0, system_micros));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let c = clock.clone();
                std::thread::spawn(move || (0..10_000).map(|_| c.next()).collect::<Vec<_>>())
            })
            .collect();
        let mut all: Vec<u64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
    }
}
