//! Waiting for room in a full write buffer: what a writer does when a bound
//! has none, as the [`FullPolicy`] says (wait up to a timeout, or refuse at
//! once). Hurries the flush workers before every wait, and counts the
//! writer as waiting for as long as it waits.

use std::pin::Pin;

use tokio::sync::futures::Notified;
use tokio::time::Instant;

use crate::bound::Bound;
use crate::config::FullPolicy;
use crate::engine::Inner;
use crate::error::{BoundKind, Error, Result};
use crate::store::Store;

/// A writer's wait for room in a full buffer, across its retries.
pub(crate) struct RoomWait<'a, S: Store> {
    inner: &'a Inner<S>,
    /// When the write first found no room; read only then, so a write that
    /// finds room reads no clock.
    started: Option<Instant>,
    /// Registered only once the buffer was found full (even creating the
    /// waiter touches state shared by every writer), and before the retry
    /// that precedes every wait, so room given back in between is not missed.
    room: Option<Pin<Box<Notified<'a>>>>,
    _waiting: Option<Waiting<'a>>,
}

impl<'a, S: Store> RoomWait<'a, S> {
    pub(crate) fn new(inner: &'a Inner<S>) -> Self {
        RoomWait { inner, started: None, room: None, _waiting: None }
    }

    /// Called when `bound` had no room: hurries the workers, then returns
    /// when the writer should try again, or the policy's error.
    pub(crate) async fn wait(&mut self, bound: BoundKind) -> Result<()> {
        let inner = self.inner;
        // The bound is marked pressed; have the workers flush now.
        inner.wake_workers();
        let started = *self.started.get_or_insert_with(Instant::now);
        let Some(registered) = self.room.as_mut() else {
            self._waiting = Some(Waiting::start(inner.bound()));
            self.room = Some(self.register());
            return Ok(());
        };
        let limit = inner.bound().limit(bound);
        let timeout = match inner.config().full_policy {
            FullPolicy::Reject => return Err(Error::Full { bound, limit }),
            FullPolicy::Block { timeout } => timeout,
            FullPolicy::WriteThrough => inner.config().block_timeout,
        };
        if tokio::time::timeout_at(started + timeout, registered.as_mut()).await.is_err() {
            return Err(Error::FullTimeout { bound, limit, waited: started.elapsed() });
        }
        // Woken: register afresh before the next try. Yield first: a wake
        // can come at once (room given back while this writer retried), and
        // a writer that retries without ever yielding would keep the flush
        // workers sharing its thread from making the room it waits for.
        tokio::task::yield_now().await;
        self.room = Some(self.register());
        Ok(())
    }

    fn register(&self) -> Pin<Box<Notified<'a>>> {
        let mut room = Box::pin(self.inner.bound().room.notified());
        room.as_mut().enable();
        room
    }
}

/// A writer counted as waiting for room until it is dropped.
struct Waiting<'a>(&'a Bound);

impl<'a> Waiting<'a> {
    fn start(bound: &'a Bound) -> Self {
        bound.start_waiting();
        Waiting(bound)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.stop_waiting();
    }
}
