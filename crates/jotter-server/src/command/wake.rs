//! Waking blocked commands: a command blocked until a write (BZPOPMIN, ...)
//! waits on [`WriteWait`]; the dispatcher calls [`wrote`] after every write
//! command. While no command is blocked, a write costs one atomic load here.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;
use tokio::sync::futures::Notified;

static BLOCKED: AtomicUsize = AtomicUsize::new(0);
static WRITTEN: Notify = Notify::const_new();

/// Commands blocked now, for INFO's `blocked_clients`.
pub(crate) fn blocked_clients() -> usize {
    BLOCKED.load(Ordering::Relaxed)
}

/// Wakes the blocked commands after a write (any key: each looks at its
/// own keys again). Cheap when none is blocked.
pub(crate) fn wrote() {
    if BLOCKED.load(Ordering::SeqCst) > 0 {
        WRITTEN.notify_waiters();
    }
}

/// A blocked command's wait for the next write. Take it before looking at
/// the keys: a write that lands after the look wakes it. A write that does
/// not go through the dispatcher (none does today) would not wake it, so a
/// blocked command also looks again every few milliseconds.
pub(crate) struct WriteWait(Pin<Box<Notified<'static>>>);

impl WriteWait {
    pub(crate) fn new() -> WriteWait {
        BLOCKED.fetch_add(1, Ordering::SeqCst);
        let mut notified = Box::pin(WRITTEN.notified());
        notified.as_mut().enable();
        WriteWait(notified)
    }

    /// Completes at the first write since [`WriteWait::new`].
    pub(crate) async fn written(&mut self) {
        self.0.as_mut().await;
    }
}

impl Drop for WriteWait {
    fn drop(&mut self) {
        BLOCKED.fetch_sub(1, Ordering::SeqCst);
    }
}
