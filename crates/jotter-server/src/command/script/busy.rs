//! The script running now, as other connections see it: whether one has
//! run past `busy-reply-threshold` (then every command but a few is
//! refused with Redis's `BUSY` error), and the kill switch `SCRIPT KILL`
//! and `FUNCTION KILL` pull.
//!
//! Scripts run one at a time (the interpreter is behind one lock), so there
//! is at most one running script. The dispatcher asks [`Running::busy`]
//! before every command: one relaxed atomic load, so the hot path pays
//! nothing more while no script is slow. The script itself sets the flag
//! from its instruction hook, which also reads the kill switch.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// No script runs.
const IDLE: u8 = 0;
/// What runs: a script of `EVAL`/`EVALSHA`.
pub(super) const EVAL: u8 = 1;
/// What runs: a function of `FCALL`.
pub(super) const FUNCTION: u8 = 2;

/// Redis 7.0's refusal while an `EVAL` script is busy.
const EVAL_BUSY: &[u8] =
    b"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/// Redis 7.0's refusal while a function is busy.
const FUNCTION_BUSY: &[u8] =
    b"BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// The error a killed script ends with.
pub(super) const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";

/// The running script's state, shared by every connection.
#[derive(Debug)]
pub(crate) struct Running {
    /// [`IDLE`], or the kind of a script running past the threshold.
    busy: AtomicU8,
    /// The kind of the script running now, past the threshold or not.
    kind: AtomicU8,
    /// Set by SCRIPT KILL / FUNCTION KILL; read by the script's hook.
    kill: AtomicBool,
    /// The running script has called a write command: it cannot be killed.
    wrote: AtomicBool,
    /// When the running script started.
    started: Mutex<Instant>,
    /// `busy-reply-threshold` in milliseconds.
    threshold_ms: AtomicU64,
}

impl Running {
    pub(crate) fn new(threshold: Duration) -> Running {
        Running {
            busy: AtomicU8::new(IDLE),
            kind: AtomicU8::new(IDLE),
            kill: AtomicBool::new(false),
            wrote: AtomicBool::new(false),
            started: Mutex::new(Instant::now()),
            threshold_ms: AtomicU64::new(u64::try_from(threshold.as_millis()).unwrap_or(u64::MAX)),
        }
    }

    /// Redis's `BUSY` error when a script has run past the threshold; the
    /// dispatcher refuses the command with it unless [`allowed_while_busy`].
    pub(crate) fn busy(&self) -> Option<&'static [u8]> {
        match self.busy.load(Ordering::Relaxed) {
            IDLE => None,
            EVAL => Some(EVAL_BUSY),
            _ => Some(FUNCTION_BUSY),
        }
    }

    /// `busy-reply-threshold` (alias `lua-time-limit`), in milliseconds.
    pub(crate) fn threshold_ms(&self) -> u64 {
        self.threshold_ms.load(Ordering::Relaxed)
    }

    /// Changes `busy-reply-threshold` (CONFIG SET); the running script's
    /// next check uses it.
    pub(crate) fn set_threshold_ms(&self, ms: u64) {
        self.threshold_ms.store(ms, Ordering::Relaxed);
    }

    /// Marks a script of `kind` running until the guard drops.
    pub(super) fn start(&self, kind: u8) -> Started<'_> {
        *self.started.lock() = Instant::now();
        self.kill.store(false, Ordering::Relaxed);
        self.wrote.store(false, Ordering::Relaxed);
        self.kind.store(kind, Ordering::Release);
        Started(self)
    }

    /// The hook's check, every so many instructions: flags the script busy
    /// once past the threshold; `Err` once it is killed.
    pub(super) fn check(&self) -> Result<(), &'static str> {
        if self.kill.load(Ordering::Acquire) {
            return Err(KILLED);
        }
        if self.busy.load(Ordering::Relaxed) == IDLE {
            let elapsed = self.started.lock().elapsed();
            if elapsed.as_millis() >= u128::from(self.threshold_ms()) {
                self.busy.store(self.kind.load(Ordering::Relaxed), Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// Whether the running script was killed.
    pub(super) fn killed(&self) -> bool {
        self.kill.load(Ordering::Acquire)
    }

    /// The running script calls a write command: from now on it cannot be
    /// killed (its writes would be half done).
    pub(super) fn wrote(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    /// `SCRIPT KILL` (`kind` [`EVAL`]) or `FUNCTION KILL` ([`FUNCTION`]):
    /// `Ok` once the kill switch is pulled, or Redis's refusal.
    pub(super) fn kill(&self, kind: u8) -> Result<(), &'static [u8]> {
        let running = self.kind.load(Ordering::Acquire);
        if running == IDLE {
            return Err(b"NOTBUSY No scripts in execution right now.");
        }
        if self.wrote.load(Ordering::Relaxed) {
            return Err(b"UNKILLABLE Sorry the script already executed write commands against \
                the dataset. You can either wait the script termination or kill the server in a \
                hard way using the SHUTDOWN NOSAVE command.");
        }
        if running != kind {
            return Err(if running == EVAL { EVAL_BUSY } else { FUNCTION_BUSY });
        }
        self.kill.store(true, Ordering::Release);
        Ok(())
    }
}

/// A script running; dropping it ends the busy state.
pub(super) struct Started<'a>(&'a Running);

impl Drop for Started<'_> {
    fn drop(&mut self) {
        self.0.kind.store(IDLE, Ordering::Release);
        self.0.busy.store(IDLE, Ordering::Relaxed);
        self.0.kill.store(false, Ordering::Relaxed);
    }
}

/// The commands Redis 7.0 runs while a script is busy (its `allow-busy`
/// flag): killing the script, stopping the server, and the transaction
/// commands a pipelined `MULTI` needs to stay whole.
pub(crate) fn allowed_while_busy(name: &str, sub: Option<&[u8]>) -> bool {
    let sub_is = |want: &str| sub.is_some_and(|s| s.eq_ignore_ascii_case(want.as_bytes()));
    match name {
        "script" | "function" => sub_is("kill"),
        "shutdown" | "multi" | "discard" | "watch" | "unwatch" => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_is_busy_only_past_the_threshold_and_killable_until_it_writes() {
        let running = Running::new(Duration::from_secs(3600));
        assert_eq!(running.kill(EVAL), Err(&b"NOTBUSY No scripts in execution right now."[..]));
        let started = running.start(EVAL);
        assert!(running.check().is_ok());
        assert!(running.busy().is_none());
        running.set_threshold_ms(0);
        assert!(running.check().is_ok());
        assert_eq!(running.busy(), Some(EVAL_BUSY));
        assert_eq!(running.kill(FUNCTION), Err(EVAL_BUSY));
        assert!(running.kill(EVAL).is_ok());
        assert_eq!(running.check(), Err(KILLED));
        drop(started);
        assert!(running.busy().is_none());
        let _started = running.start(FUNCTION);
        running.wrote();
        assert!(running.kill(FUNCTION).unwrap_err().starts_with(b"UNKILLABLE"));
    }

    #[test]
    fn only_the_kill_commands_and_a_few_others_run_while_busy() {
        assert!(allowed_while_busy("script", Some(b"KILL")));
        assert!(!allowed_while_busy("script", Some(b"load")));
        assert!(allowed_while_busy("function", Some(b"kill")));
        assert!(!allowed_while_busy("get", None));
        assert!(allowed_while_busy("shutdown", None));
    }
}
