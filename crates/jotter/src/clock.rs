//! The version clock: every write gets a version that is unique and larger
//! than every version before it, in this process and in the store.
//!
//! A hybrid logical clock: the high bits are wall-clock microseconds, the low
//! 12 bits a counter, and the clock never goes back. It starts above the
//! store's highest version, so versions stay monotonic across restarts even
//! when the machine's clock was set back or the log was lost (trap 8:
//! "versions restart at zero"), and so that instances sharing a store order
//! their writes by time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Bits of logical counter below the physical microseconds.
const LOGICAL_BITS: u32 = 12;

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

impl VersionClock {
    /// A clock whose first version is above `floor`.
    pub(crate) fn new(floor: u64, wall: WallClock) -> Self {
        VersionClock { last: AtomicU64::new(floor), wall }
    }

    /// The next version.
    pub(crate) fn next(&self) -> u64 {
        let physical = (self.wall)() << LOGICAL_BITS;
        let prev = self
            .last
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |last| Some(physical.max(last + 1)))
            .unwrap_or_else(|last| last);
        physical.max(prev + 1)
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
        assert_eq!(a, 5 << LOGICAL_BITS);

        let behind = VersionClock::new(1 << 60, || 1);
        assert_eq!(behind.next(), (1 << 60) + 1, "starts above the store's highest version");
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
