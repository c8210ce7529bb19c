//! When to try a failed store write again: exponential back-off with jitter.
//!
//! Jitter keeps several workers (or several instances) from hitting a
//! recovering database in lock-step; the cap keeps a long outage probed
//! every `max` at most, never hammered.

use std::time::Duration;

/// Back-off for transient failures and the attempt budget for permanent ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    pub dead_letter_after: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(30),
            dead_letter_after: 3,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0 for the first retry): the
    /// doubled delay capped at `max`, drawn from its upper half.
    pub(crate) fn delay(&self, attempt: u32, rng: &mut fastrand::Rng) -> Duration {
        let doubled = self.initial.saturating_mul(1u32 << attempt.min(20));
        let ceiling = doubled.min(self.max);
        let half = ceiling / 2;
        let span = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(rng.u64(0..=span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_the_upper_half_and_stop_at_the_cap() {
        let p = RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            dead_letter_after: 3,
        };
        let mut rng = fastrand::Rng::with_seed(7);
        for attempt in 0..40 {
            let ceiling = (Duration::from_millis(100) * 2u32.pow(attempt.min(10))).min(p.max);
            for _ in 0..50 {
                let d = p.delay(attempt, &mut rng);
                assert!(
                    d >= ceiling / 2 && d <= ceiling,
                    "attempt {attempt}: {d:?} vs {ceiling:?}"
                );
            }
        }
    }
}
