//! The records a failed write or fsync refused, kept so that whoever waits
//! for them learns it: a waiter reads one shared mark ("resolved up to
//! LSN"), not an answer of its own, so the failures are kept beside it.
//!
//! Failures are rare and each refuses one run of consecutive LSNs (the rest
//! of a batch), so a short list of runs suffices; the common case, no
//! failure anywhere near the LSNs asked about, is one atomic load.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::WalError;

/// How many refused runs are kept. A waiter asks within moments of its
/// submit, so only a disk failing this many batches in that moment could
/// push its run out; it is then refused too (see [`Refusals::check`]).
const KEPT_RUNS: usize = 1024;

/// One run of refused LSNs, `first..=last`, and why.
#[derive(Debug)]
struct Run {
    first: u64,
    last: u64,
    error: WalError,
}

#[derive(Debug, Default)]
struct Runs {
    recent: VecDeque<Run>,
    /// The newest run pushed out of `recent`: LSNs up to its end can no
    /// longer be told apart, and are refused with its error.
    forgotten: Option<Run>,
}

/// The refused runs of LSNs.
#[derive(Debug, Default)]
pub(crate) struct Refusals {
    /// One past the highest refused LSN (0: none), so that a waiter whose
    /// records are all above it skips the lock.
    above: AtomicU64,
    runs: Mutex<Runs>,
}

impl Refusals {
    /// Records that LSNs `first..=last` were refused with `error`. Called
    /// before the resolved mark moves past them, so a waiter that sees the
    /// mark sees the refusal.
    pub(crate) fn refuse(&self, first: u64, last: u64, error: WalError) {
        let mut runs = self.runs.lock();
        if runs.recent.len() == KEPT_RUNS {
            runs.forgotten = runs.recent.pop_front();
        }
        runs.recent.push_back(Run { first, last, error });
        self.above.fetch_max(last + 1, Ordering::Release);
    }

    /// `Ok` unless a record with an LSN in `first..=last` was refused.
    ///
    /// A range holding several callers' records (see
    /// [`Pending::absorb`](crate::Pending::absorb)) is refused whole when any
    /// record in it was: never acknowledging a failed record matters, not
    /// acknowledging a written one is safe. So is a range older than the
    /// runs kept.
    pub(crate) fn check(&self, first: u64, last: u64) -> Result<(), WalError> {
        if first >= self.above.load(Ordering::Acquire) {
            return Ok(());
        }
        let runs = self.runs.lock();
        let hit = |run: &&Run| run.first <= last && first <= run.last;
        if let Some(run) = runs.forgotten.iter().find(|run| first <= run.last) {
            return Err(run.error.clone());
        }
        match runs.recent.iter().find(hit) {
            Some(run) => Err(run.error.clone()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ranges_touching_a_refused_run_are_refused() {
        let refusals = Refusals::default();
        assert!(refusals.check(1, 100).is_ok());
        refusals.refuse(10, 12, WalError::Closed);
        assert!(refusals.check(1, 9).is_ok());
        assert!(refusals.check(13, 20).is_ok());
        assert!(refusals.check(12, 12).is_err());
        assert!(refusals.check(5, 30).is_err(), "a range spanning the run");
    }

    #[test]
    fn a_range_older_than_the_runs_kept_is_refused() {
        let refusals = Refusals::default();
        for i in 0..=KEPT_RUNS as u64 {
            refusals.refuse(10 * i + 5, 10 * i + 5, WalError::Closed);
        }
        assert!(refusals.check(1, 1).is_err(), "cannot tell any more: refused");
        assert!(refusals.check(10 * KEPT_RUNS as u64 + 6, u64::MAX - 1).is_ok());
        assert!(refusals.check(10 * KEPT_RUNS as u64 - 4, 10 * KEPT_RUNS as u64 - 2).is_ok());
    }
}
