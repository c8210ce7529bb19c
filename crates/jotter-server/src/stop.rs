//! The end of a run, told truthfully: the last log line says how many
//! writes reached the store after the stop began, how many stay in the
//! write-ahead log for the next start, and how many are dead letters; the
//! exit status says the same to a supervisor.
//!
//! | exit | meaning |
//! |---|---|
//! | 0 | every write reached the store |
//! | 3 | writes stay in the log (the store did not take them in time); the next start flushes them |
//! | 4 | every write left the buffer, but some are dead letters (the store refused them) |
//! | 130 | a second signal: the process exits at once, the rest stays in the log |
//!
//! (1 is a failure to start or run, 2 a bad setting.) When writes stay in
//! the log and dead letters exist too, the exit is 3: the next start is what
//! matters first.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use crate::dead_letter_fields::counted;
use crate::state::Shared;

/// Writes stay in the log.
pub(crate) const EXIT_LEFT_IN_LOG: u8 = 3;
/// Dead letters remain.
pub(crate) const EXIT_DEAD_LETTERS: u8 = 4;
/// A second signal.
pub(crate) const EXIT_SECOND_SIGNAL: u8 = 130;

/// The moment the stop began, and the store's write count then.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StopStart {
    pub at: Instant,
    store_writes: u64,
}

impl StopStart {
    pub(crate) fn now(shared: &Shared) -> Self {
        StopStart { at: Instant::now(), store_writes: shared.cache.stats().store_writes }
    }
}

/// What the stop achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StopReport {
    /// Writes that reached the store since the stop began.
    pub stored: u64,
    /// Writes still pending: they stay in the log for the next start.
    pub left_in_log: u64,
    /// Writes the store refused for good.
    pub dead_letters: u64,
}

impl StopReport {
    /// The cache's state now, against `start`.
    pub(crate) fn measure(shared: &Shared, start: StopStart) -> Self {
        let stats = shared.cache.stats();
        StopReport {
            stored: stats.store_writes.saturating_sub(start.store_writes),
            left_in_log: stats.pending_entries,
            dead_letters: stats.dead_letters,
        }
    }

    /// The exit status that says it (see the table above).
    pub(crate) fn exit_code(&self) -> u8 {
        if self.left_in_log > 0 {
            EXIT_LEFT_IN_LOG
        } else if self.dead_letters > 0 {
            EXIT_DEAD_LETTERS
        } else {
            0
        }
    }

    /// The last log line of the run; `why` says why the stop ended early
    /// (a second signal), if it did.
    pub(crate) fn log(&self, why: Option<&str>) {
        let (stored, left_in_log, dead_letters) =
            (self.stored, self.left_in_log, self.dead_letters);
        let exit = why.map_or(self.exit_code(), |_| EXIT_SECOND_SIGNAL);
        let summary = format!(
            "{stored} writes reached the store during the stop, {left_in_log} stay in the log \
             for the next start, {} in the queue",
            counted(dead_letters)
        );
        match (why, exit) {
            (None, 0) => {
                tracing::info!(stored, left_in_log, dead_letters, exit, "stopped: {summary}");
            }
            (None, EXIT_DEAD_LETTERS) => tracing::warn!(
                stored,
                left_in_log,
                dead_letters,
                exit,
                "stopped with {} remaining: writes the store refused, which \
                 are not in the store. They are kept in the data directory; after the next start, see \
                 them with JOTTER.DEADLETTERS LIST, then replay (JOTTER.DEADLETTERS REPLAY) or purge \
                 them: {summary}",
                counted(dead_letters)
            ),
            (None, _) => tracing::warn!(
                stored,
                left_in_log,
                dead_letters,
                exit,
                "stopped at shutdown-timeout without every write in the store: {summary}{}",
                see_dead_letters(dead_letters)
            ),
            (Some(why), _) => {
                tracing::warn!(
                    stored,
                    left_in_log,
                    dead_letters,
                    exit,
                    "stopped by {why}: {summary}{}",
                    see_dead_letters(dead_letters)
                );
            }
        }
    }
}

/// Where to find the dead letters, when there are some.
fn see_dead_letters(dead_letters: u64) -> &'static str {
    if dead_letters > 0 {
        " (after the next start, JOTTER.DEADLETTERS LIST shows the dead letters)"
    } else {
        ""
    }
}

/// The stop's end for `main`: the report logged, and its exit status.
pub(crate) fn finish(shared: &Arc<Shared>, start: StopStart) -> ExitCode {
    let report = StopReport::measure(shared, start);
    report.log(None);
    ExitCode::from(report.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_says_what_is_left() {
        let r = |left_in_log, dead_letters| StopReport { stored: 5, left_in_log, dead_letters };
        assert_eq!(r(0, 0).exit_code(), 0);
        assert_eq!(r(2, 0).exit_code(), EXIT_LEFT_IN_LOG);
        assert_eq!(r(0, 1).exit_code(), EXIT_DEAD_LETTERS);
        assert_eq!(r(2, 1).exit_code(), EXIT_LEFT_IN_LOG);
    }
}
