//! `CLIENT PAUSE`: the server-wide pause and the wait of the commands it
//! holds. A pause holds the commands that write (WRITE: those flagged
//! write or may-replicate, and an EXEC of such commands) or every command
//! (ALL) until its end or `CLIENT UNPAUSE`; a held command waits, then
//! runs. Pausing again keeps the later end and the stricter kind, as
//! Redis does.
//!
//! The dispatcher checks [`Pause::engaged`] for every command: one relaxed
//! load while no pause is on.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

use tokio::sync::watch;

/// What a pause holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PauseKind {
    Write = 1,
    All = 2,
}

const NONE: u8 = 0;

#[derive(Clone, Copy, Debug)]
struct State {
    kind: Option<PauseKind>,
    until: Instant,
}

/// The server's pause.
pub(crate) struct Pause {
    /// The kind in force (0: none), for the one check per command; the
    /// state itself is in `state`.
    kind: AtomicU8,
    state: watch::Sender<State>,
}

impl Default for Pause {
    fn default() -> Self {
        let state = State { kind: None, until: Instant::now() };
        Pause { kind: AtomicU8::new(NONE), state: watch::Sender::new(state) }
    }
}

impl Pause {
    /// Whether a pause may be on (it may also have just ended).
    pub(crate) fn engaged(&self) -> bool {
        self.kind.load(Ordering::Relaxed) != NONE
    }

    /// Pauses `kind` until `until`, keeping the later end and the
    /// stricter kind of a pause already on.
    pub(crate) fn pause(&self, kind: PauseKind, until: Instant) {
        let now = Instant::now();
        self.state.send_modify(|state| {
            let current = state.kind.filter(|_| state.until > now);
            state.kind = Some(current.map_or(kind, |c| c.max(kind)));
            state.until = if current.is_some() { state.until.max(until) } else { until };
            self.kind.store(state.kind.map_or(NONE, |k| k as u8), Ordering::Relaxed);
        });
    }

    /// Ends the pause; the held commands run.
    pub(crate) fn unpause(&self) {
        self.state.send_modify(|state| {
            state.kind = None;
            self.kind.store(NONE, Ordering::Relaxed);
        });
    }

    /// Waits while the pause holds a command (`writes`: one that writes).
    pub(crate) async fn wait(&self, writes: bool) {
        let mut changes = self.state.subscribe();
        loop {
            let state = *changes.borrow_and_update();
            let held = match state.kind {
                None => false,
                Some(PauseKind::Write) => writes,
                Some(PauseKind::All) => true,
            };
            if !held {
                return;
            }
            if state.until <= Instant::now() {
                self.expire();
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep_until(state.until.into()) => {}
                _ = changes.changed() => {}
            }
        }
    }

    /// Ends a pause whose time is up.
    fn expire(&self) {
        let now = Instant::now();
        self.state.send_if_modified(|state| {
            if state.kind.is_some() && state.until <= now {
                state.kind = None;
                self.kind.store(NONE, Ordering::Relaxed);
                true
            } else {
                false
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_second_pause_keeps_the_later_end_and_the_stricter_kind() {
        let pause = Pause::default();
        let now = Instant::now();
        pause.pause(PauseKind::All, now + Duration::from_secs(60));
        pause.pause(PauseKind::Write, now + Duration::from_secs(1));
        let state = *pause.state.borrow();
        assert_eq!(state.kind, Some(PauseKind::All));
        assert_eq!(state.until, now + Duration::from_secs(60));
        pause.unpause();
        assert!(!pause.engaged());
    }

    #[tokio::test]
    async fn reads_pass_a_write_pause_and_an_ended_pause_holds_nothing() {
        let pause = Pause::default();
        pause.pause(PauseKind::Write, Instant::now() + Duration::from_secs(600));
        pause.wait(false).await;
        assert!(pause.engaged());
        pause.unpause();
        pause.pause(PauseKind::All, Instant::now());
        pause.wait(true).await;
        assert!(!pause.engaged(), "a pause past its end is over");
    }
}
