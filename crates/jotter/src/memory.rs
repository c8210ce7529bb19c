//! `max_memory`: one bound on the bytes the cache holds for keys, pending
//! and clean together.
//!
//! Pending writes may take all of it (never more than `max_pending_bytes`
//! either); clean entries get what pending writes leave, up to
//! `cache_bytes`. As pending bytes grow, the clean cache's capacity shrinks
//! and it evicts: clean entries go first, pending ones never (they are not
//! in the store yet). When pending writes alone reach `max_memory`, the
//! full policy answers the next write.
//!
//! The clean cache's capacity is changed in steps of 1/64 of `max_memory`
//! (resizing takes every one of its locks, so not on every write), and set
//! one step below what pending writes leave, so that pending writes can
//! grow by a step before the next resize without the sum passing the bound.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::clean::CleanCache;

/// Steps of the clean cache's capacity, as a fraction of `max_memory`.
const STEPS: u64 = 64;

#[derive(Debug)]
pub(crate) struct MemoryBudget {
    max: u64,
    cache_bytes: u64,
    /// The clean cache's capacity as last set.
    clean_capacity: AtomicU64,
}

impl MemoryBudget {
    pub(crate) fn new(max: u64, cache_bytes: u64) -> Self {
        let budget = MemoryBudget { max, cache_bytes, clean_capacity: AtomicU64::new(0) };
        budget.clean_capacity.store(budget.clean_for(0), Ordering::Relaxed);
        budget
    }

    /// The bound on pending bytes this budget allows.
    pub(crate) fn max(&self) -> u64 {
        self.max
    }

    /// The clean cache's capacity to start with.
    pub(crate) fn initial_clean(&self) -> u64 {
        self.clean_capacity.load(Ordering::Relaxed)
    }

    fn step(&self) -> u64 {
        (self.max / STEPS).max(1)
    }

    /// What the clean cache may hold while pending writes hold `pending`.
    fn clean_for(&self, pending: u64) -> u64 {
        self.max.saturating_sub(pending.saturating_add(self.step())).min(self.cache_bytes)
    }

    /// Resizes the clean cache to what `pending` bytes leave, if that moved
    /// by a step or more since the last resize (or reached nothing).
    pub(crate) fn rebalance(&self, clean: &CleanCache, pending: u64) {
        let want = self.clean_for(pending);
        let set = self.clean_capacity.load(Ordering::Relaxed);
        // Shrink at once when the headroom of one step is used up; grow back
        // only by whole steps.
        let shrink =
            want < set && pending.saturating_add(set) > self.max.saturating_sub(self.step() / 2);
        let grow =
            want >= set.saturating_add(self.step()) || (want > set && want == self.cache_bytes);
        if !(shrink || grow) {
            return;
        }
        if self
            .clean_capacity
            .compare_exchange(set, want, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            clean.set_capacity(want);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clean_cache_gets_what_pending_writes_leave() {
        let budget = MemoryBudget::new(64_000, 100_000);
        assert_eq!(budget.initial_clean(), 63_000, "one step of headroom");
        let budget = MemoryBudget::new(64_000, 8_000);
        assert_eq!(budget.initial_clean(), 8_000, "never more than cache_bytes");
        assert_eq!(budget.clean_for(60_000), 3_000);
        assert_eq!(budget.clean_for(64_000), 0);
    }
}
