//! `CLIENT UNBLOCK`'s hold on a client: whether the client is blocked in
//! a blocking command (BLPOP, XREAD BLOCK, ...) now, and the request to
//! end that wait as a timeout or as an error. The blocking loop
//! (`command/blocking.rs`) marks the client blocked while it waits and
//! watches for the request; a client paused by `CLIENT PAUSE` is not
//! blocked in this sense, as in Redis.

use std::sync::atomic::{AtomicU8, Ordering};

use tokio::sync::Notify;

const NOT_BLOCKED: u8 = 0;
const BLOCKED: u8 = 1;
const AS_TIMEOUT: u8 = 2;
const AS_ERROR: u8 = 3;

/// How `CLIENT UNBLOCK` ends the wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unblocked {
    /// As if the command's timeout had passed.
    Timeout,
    /// With `-UNBLOCKED client unblocked via CLIENT UNBLOCK`.
    Error,
}

/// One client's blocked state.
#[derive(Debug, Default)]
pub(crate) struct Unblock {
    state: AtomicU8,
    wake: Notify,
}

impl Unblock {
    /// The client starts waiting in a blocking command; it stays blocked
    /// until the guard drops.
    pub(crate) fn block(&self) -> Blocked<'_> {
        self.state.store(BLOCKED, Ordering::SeqCst);
        Blocked { unblock: self }
    }

    /// Whether the client waits in a blocking command now.
    pub(crate) fn is_blocked(&self) -> bool {
        self.state.load(Ordering::Relaxed) != NOT_BLOCKED
    }

    /// Asks a blocked client to stop waiting; false when it is not
    /// blocked (or already asked).
    pub(crate) fn request(&self, how: Unblocked) -> bool {
        let to = match how {
            Unblocked::Timeout => AS_TIMEOUT,
            Unblocked::Error => AS_ERROR,
        };
        let asked =
            self.state.compare_exchange(BLOCKED, to, Ordering::SeqCst, Ordering::SeqCst).is_ok();
        if asked {
            self.wake.notify_one();
        }
        asked
    }
}

/// A client blocked now; see [`Unblock::block`].
pub(crate) struct Blocked<'a> {
    unblock: &'a Unblock,
}

impl Blocked<'_> {
    /// Whether `CLIENT UNBLOCK` asked, and how.
    pub(crate) fn requested(&self) -> Option<Unblocked> {
        match self.unblock.state.load(Ordering::SeqCst) {
            AS_TIMEOUT => Some(Unblocked::Timeout),
            AS_ERROR => Some(Unblocked::Error),
            _ => None,
        }
    }

    /// Completes once `CLIENT UNBLOCK` asks.
    pub(crate) async fn asked(&self) -> Unblocked {
        loop {
            if let Some(how) = self.requested() {
                return how;
            }
            self.unblock.wake.notified().await;
        }
    }
}

impl Drop for Blocked<'_> {
    fn drop(&mut self) {
        self.unblock.state.store(NOT_BLOCKED, Ordering::SeqCst);
    }
}
