//! A ceiling on store writes per second, shared by all flush workers.
//!
//! Pacing rather than a token bucket with a large burst: after an outage the
//! backlog is released at the configured rate from the first batch on, which
//! is the point of the limit.

use parking_lot::Mutex;
use tokio::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct RateLimit {
    per_write: Duration,
    /// When the next write may start; never behind "now" by more than one
    /// second of budget, so an idle period does not bank an unlimited burst.
    next: Mutex<Option<Instant>>,
}

impl RateLimit {
    pub(crate) fn new(writes_per_sec: u64) -> Self {
        RateLimit {
            per_write: Duration::from_secs(1)
                / u32::try_from(writes_per_sec).unwrap_or(u32::MAX).max(1),
            next: Mutex::new(None),
        }
    }

    /// Waits until `n` more writes fit under the ceiling.
    pub(crate) async fn acquire(&self, n: usize) {
        let start = {
            let mut next = self.next.lock();
            let now = Instant::now();
            let floor = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
            let start = next.map_or(now, |t| t.max(floor));
            let cost = self.per_write.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX));
            *next = Some(start + cost);
            start
        };
        tokio::time::sleep_until(start).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paces_writes_at_the_configured_rate() {
        let limit = RateLimit::new(1000);
        let t0 = Instant::now();
        for _ in 0..10 {
            limit.acquire(500).await;
        }
        // 10 batches of 500 at 1,000/s, back to back: the tenth starts 4.5 s in.
        let waited = t0.elapsed();
        assert!(
            waited >= Duration::from_millis(4500) && waited <= Duration::from_millis(4600),
            "{waited:?}"
        );
    }
}
