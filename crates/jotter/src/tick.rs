//! A point in time in 8 bytes (an `Instant` takes 16): every pending op
//! keeps when it was accepted, so the 8 bytes are saved per pending key.
//!
//! A tick is the nanoseconds from a process-wide origin to the instant, and
//! converts back to exactly that instant. The origin lies a day before the
//! first tick taken, so that an instant read a little earlier than that (a
//! test runtime's paused clock, started before it) still comes after it.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::time::Instant;

fn origin() -> std::time::Instant {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    *ORIGIN.get_or_init(|| {
        let now = std::time::Instant::now();
        now.checked_sub(Duration::from_secs(24 * 3600)).unwrap_or(now)
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tick(u64);

impl Tick {
    pub(crate) fn now() -> Self {
        Self::at(Instant::now())
    }

    pub(crate) fn at(instant: Instant) -> Self {
        let since = instant.into_std().saturating_duration_since(origin());
        Tick(u64::try_from(since.as_nanos()).unwrap_or(u64::MAX))
    }

    pub(crate) fn instant(self) -> Instant {
        Instant::from_std(origin() + Duration::from_nanos(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_is_the_instant_it_was_taken_at() {
        let now = Instant::now();
        assert_eq!(Tick::at(now).instant(), now);
        let earlier = now - Duration::from_secs(3600);
        assert_eq!(Tick::at(earlier).instant(), earlier, "an hour before the first tick");
        let later = now + Duration::from_secs(10 * 365 * 24 * 3600);
        assert_eq!(Tick::at(later).instant(), later);
    }

    #[tokio::test(start_paused = true)]
    async fn ticks_follow_a_paused_clock() {
        let start = Tick::now();
        tokio::time::advance(Duration::from_millis(250)).await;
        let age = Tick::now().instant() - start.instant();
        assert_eq!(age, Duration::from_millis(250));
    }
}
