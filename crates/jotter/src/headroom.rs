//! The outage headroom: how long until a bound on pending writes is reached
//! if they keep growing as fast as they did over the last [`WINDOW`].
//!
//! While the store is away every accepted write stays pending, so this is
//! the time left before the full policy answers writes (block, reject or
//! write through to a store that is not there). It is measured, not
//! configured: the net growth (accepted minus stored) of entries and bytes
//! between the oldest and the newest sample of the window, against each
//! bound's room. Growth measured over less than [`MIN_SPAN`] is noise and
//! counts as none.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::bound::Used;

/// How far back the growth is measured.
pub(crate) const WINDOW: Duration = Duration::from_secs(30);

/// The shortest span a growth rate is computed over.
const MIN_SPAN: Duration = Duration::from_secs(1);

/// The bounds on pending writes; `None`: no bound of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub entries: Option<u64>,
    /// The tighter of `max_pending_bytes` and `max_memory` (pending writes
    /// may take all of `max_memory`: clean entries are evicted for them).
    pub bytes: Option<u64>,
}

/// Samples of what pending writes held, over the last [`WINDOW`].
#[derive(Debug, Default)]
pub(crate) struct Headroom {
    samples: VecDeque<(Instant, Used)>,
}

impl Headroom {
    /// Adds a sample taken at `at` and forgets those the window has passed,
    /// keeping one at or before its start so the span covers all of it.
    pub(crate) fn record(&mut self, at: Instant, used: Used) {
        self.samples.push_back((at, used));
        let Some(start) = at.checked_sub(WINDOW) else { return };
        while self.samples.len() > 1 && self.samples[1].0 <= start {
            self.samples.pop_front();
        }
    }

    /// Seconds until the first of `limits` is reached at the window's net
    /// growth; `f64::INFINITY` when nothing grows toward a bound.
    pub(crate) fn seconds(&self, limits: Limits) -> f64 {
        let (Some(&(t0, first)), Some(&(t1, last))) = (self.samples.front(), self.samples.back())
        else {
            return f64::INFINITY;
        };
        let span = t1.saturating_duration_since(t0);
        if span < MIN_SPAN {
            return f64::INFINITY;
        }
        let left = |limit: Option<u64>, from: u64, to: u64| match limit {
            Some(limit) if to > from => {
                let per_sec = (to - from) as f64 / span.as_secs_f64();
                limit.saturating_sub(to) as f64 / per_sec
            }
            _ => f64::INFINITY,
        };
        left(limits.entries, first.entries, last.entries).min(left(
            limits.bytes,
            first.bytes,
            last.bytes,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(entries: u64, bytes: u64) -> Used {
        Used { entries, bytes }
    }

    const LIMITS: Limits = Limits { entries: Some(1_000), bytes: Some(1_000_000) };

    /// One sample a second for `secs` seconds, `step` more entries and
    /// `100 * step` more bytes each second.
    fn fill(secs: u64, step: i64) -> Headroom {
        let start = Instant::now();
        let mut h = Headroom::default();
        for s in 0..=secs {
            let n = (500 + step * s as i64) as u64;
            h.record(start + Duration::from_secs(s), used(n, n * 100));
        }
        h
    }

    #[test]
    fn growth_gives_the_time_to_the_nearest_bound() {
        // 10 entries/s with 400 entries of room left: 40 s (bytes: 1000 b/s,
        // 940,000 b of room, much later).
        let h = fill(10, 10);
        assert!((h.seconds(LIMITS) - 40.0).abs() < 1e-9, "{}", h.seconds(LIMITS));
        let bytes_first = Limits { entries: Some(1_000_000), bytes: Some(70_000) };
        assert!((h.seconds(bytes_first) - 10.0).abs() < 1e-9, "{}", h.seconds(bytes_first));
    }

    #[test]
    fn the_window_forgets_old_growth() {
        let start = Instant::now();
        let mut h = Headroom::default();
        // Fast growth long ago, then flat for longer than the window.
        h.record(start, used(0, 0));
        h.record(start + Duration::from_secs(1), used(900, 900));
        for s in 2..=(WINDOW.as_secs() + 5) {
            h.record(start + Duration::from_secs(s), used(900, 900));
        }
        assert_eq!(h.seconds(LIMITS), f64::INFINITY);
        assert!(h.samples.len() as u64 <= WINDOW.as_secs() + 2, "{}", h.samples.len());
    }

    #[test]
    fn shrinking_or_flat_pending_writes_have_no_end() {
        assert_eq!(fill(10, -10).seconds(LIMITS), f64::INFINITY);
        assert_eq!(fill(10, 0).seconds(LIMITS), f64::INFINITY);
    }

    #[test]
    fn without_a_bound_there_is_no_end() {
        let none = Limits { entries: None, bytes: None };
        assert_eq!(fill(10, 10).seconds(none), f64::INFINITY);
    }

    #[test]
    fn a_full_bound_has_no_time_left_and_a_short_span_says_nothing() {
        let start = Instant::now();
        let mut h = Headroom::default();
        h.record(start, used(900, 0));
        h.record(start + Duration::from_millis(500), used(1_000, 0));
        assert_eq!(h.seconds(LIMITS), f64::INFINITY, "half a second is too short to tell");
        h.record(start + Duration::from_secs(2), used(1_000, 0));
        assert_eq!(h.seconds(LIMITS), 0.0);
    }
}
